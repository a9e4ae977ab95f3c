"""`save` / `load`: state dicts (name -> Tensor) as `.npz` files, PyTorch's `torch.save(model.
state_dict(), path)` and `model.load_state_dict(torch.load(path))` with plain arrays inside.

Nothing is ever unpickled: a file is read member by member, each header checked (a number
dtype, a shape whose size matches the bytes the file really holds) BEFORE anything is
allocated. Every malformed file raises `CheckpointError` (a ValueError) naming the file
and the problem: not a zip, empty, truncated, damaged, a member that is not a .npy array,
strings, complex numbers or Python objects inside, or a header claiming more data than the
file holds.

>>> import io, autograd
>>> buffer = io.BytesIO()
>>> autograd.save({"w": autograd.tensor([1.0, 2.0]), "step": autograd.tensor(3)}, buffer)
>>> _ = buffer.seek(0)
>>> {k: v.tolist() for k, v in autograd.load(buffer).items()}
{'w': [1.0, 2.0], 'step': 3}
"""
from __future__ import annotations

import io
import math
import os
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, BinaryIO, Union

import numpy as np

from . import dtypes
from .devices import check_device
from .errors import CheckpointError
from .tensor_core import Tensor, _leaf

PathOrFile = Union[str, "os.PathLike[str]", BinaryIO]
# DEFLATE expands at most ~1032x: a member claiming more is a lie (a "zip bomb").
MAX_RATIO = 1100


def _name(f: Any) -> str:
    return os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", repr(f))


def save(obj: Any, f: PathOrFile) -> None:
    """Write a dict of name -> Tensor (a state_dict) to `f` (a path or a binary file) as an
    .npz of plain arrays. Anything else is refused: save `model.state_dict()`, not the
    model, and keep other training state (epoch, optimizer) out of the file."""
    if not isinstance(obj, Mapping):
        hint = (" (save model.state_dict(), and rebuild the model in code when loading)"
                if hasattr(obj, "state_dict") else "")
        raise TypeError(f"save: expected a dict of name -> Tensor (a state_dict), got "
                        f"{type(obj).__name__}{hint}; glassgrad files hold tensors only, "
                        f"never pickled objects")
    arrays = OrderedDict()
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"save: keys must be strings, got {key!r}")
        if not isinstance(value, Tensor):
            raise TypeError(f"save: the value for {key!r} is {type(value).__name__}, not a "
                            f"Tensor; glassgrad files hold tensors only (a state_dict)")
        arrays[key] = value.raw_data
    if isinstance(f, (str, os.PathLike)):
        # Through a file object so the file is exactly `f` (np.savez would add ".npz").
        with open(f, "wb") as handle:
            np.savez(handle, **arrays)
    else:
        np.savez(f, **arrays)


def load(f: PathOrFile, map_location: Any = None, weights_only: Any = None,
         **options: Any) -> "OrderedDict[str, Tensor]":
    """Read a file written by `save` (or any .npz of number arrays): an ordered dict of
    name -> Tensor. `map_location` may name the CPU; `weights_only` is accepted for
    PyTorch code and changes nothing (glassgrad never unpickles, whatever it says)."""
    if not callable(map_location) and not isinstance(map_location, Mapping):
        check_device(map_location)
    return OrderedDict((k, _leaf(v)) for k, v in read_npz(f).items())


def read_npz(f: PathOrFile) -> "OrderedDict[str, np.ndarray]":
    """The arrays of an .npz file, checked as the module docstring says."""
    name = _name(f)      # a missing or unreadable path raises OSError (FileNotFoundError)
    size = os.path.getsize(f) if isinstance(f, (str, os.PathLike)) else _stream_size(f)
    if size == 0:
        raise CheckpointError(f"{name}: the file is empty")
    _refuse_other_formats(f, name)
    try:
        with zipfile.ZipFile(f) as archive:
            return OrderedDict(_read_member(archive, info, size, name)
                               for info in archive.infolist())
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError) as err:
        raise CheckpointError(f"{name}: not a readable .npz archive ({err})") from None


def _refuse_other_formats(f: PathOrFile, name: str) -> None:
    """Clear words for the files people try most: pickles, bare .npy arrays, PyTorch's own
    checkpoints."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as handle:
            head = handle.read(6)
    else:
        here = f.tell()
        head = f.read(6)
        f.seek(here)
    if head[:1] == b"\x80":
        raise CheckpointError(f"{name}: a pickle file; glassgrad never loads pickled objects "
                              f"(write files with autograd.save or Module.save)")
    if head == b"\x93NUMPY":
        raise CheckpointError(f"{name}: a single .npy array, not an .npz of named arrays")


def _stream_size(f: BinaryIO) -> int:
    here = f.tell()
    end = f.seek(0, io.SEEK_END)
    f.seek(here)
    return end - here


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int,
                 name: str) -> tuple:
    member = info.filename
    where = f"{name}: member {member!r}"
    if member.endswith("data.pkl"):
        raise CheckpointError(f"{name}: a PyTorch checkpoint (pickled); load it with torch and "
                              f"save {{k: v.numpy() for k, v in state.items()}} with numpy.savez")
    if not member.endswith(".npy"):
        raise CheckpointError(f"{where} is not a .npy array (an .npz holds only .npy files)")
    if info.compress_size > size:
        raise CheckpointError(f"{where} claims {info.compress_size} bytes, more than the "
                              f"file's {size}")
    with archive.open(info) as fp:
        try:
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except ValueError as err:
            raise CheckpointError(f"{where} is not a valid .npy array ({err})") from None
        _check_dtype(dtype, where)
        nbytes = math.prod(shape) * dtype.itemsize
        header = fp.tell()
        if info.file_size != header + nbytes:
            raise CheckpointError(
                f"{where} declares shape {tuple(shape)} of {dtype} ({nbytes} bytes) but "
                f"holds {info.file_size - header} bytes: truncated or damaged")
        if info.compress_type != zipfile.ZIP_STORED and \
                nbytes > MAX_RATIO * info.compress_size + 4096:
            raise CheckpointError(f"{where} claims {nbytes} bytes from {info.compress_size} "
                                  f"compressed bytes, more than compression can give")
        buffer = bytearray(nbytes)
        if fp.readinto(buffer) != nbytes or fp.read(1):
            raise CheckpointError(f"{where} holds a different amount of data than its "
                                  f"header declares: truncated or damaged")
    array = np.frombuffer(buffer, dtype=dtype)
    array = array.reshape(shape, order="F" if fortran else "C")
    native = dtype.newbyteorder("=")
    return member[:-4], array.astype(native, copy=False)


def _check_dtype(dtype: np.dtype, where: str) -> None:
    if dtype.hasobject:
        raise CheckpointError(f"{where} holds Python objects, which only pickle can read; "
                              f"glassgrad never loads pickled objects")
    if dtype.fields is not None or dtype.newbyteorder("=") not in dtypes.SUPPORTED:
        raise CheckpointError(f"{where} holds {dtype} values, not numbers a tensor can hold "
                              f"(bool, integers or floats)")
