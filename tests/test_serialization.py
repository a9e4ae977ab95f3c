"""autograd.save / autograd.load (torch.save/torch.load-shaped, .npz inside, never pickle) and
hostile or broken files: every one raises CheckpointError (a ValueError) naming the file and
the problem, before anything large is allocated."""
from __future__ import annotations

import io
import pickle
import struct
import zipfile

import numpy as np
import pytest

import autograd
import nn
from autograd import CheckpointError, Tensor

try:
    import torch
except ImportError:
    torch = None


def test_round_trip_of_a_state_dict(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    path = tmp_path / "model.pth"
    autograd.save(model.state_dict(), path)
    loaded = autograd.load(path, weights_only=True, map_location="cpu")
    assert list(loaded) == list(model.state_dict())
    assert all(isinstance(v, Tensor) for v in loaded.values())
    assert loaded["1.num_batches_tracked"].dtype == autograd.int64
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    other.load_state_dict(autograd.load(str(path)))
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[k], v)
    buffer = io.BytesIO()
    autograd.save({"x": autograd.tensor([1, 2], dtype=autograd.uint8)}, buffer)
    buffer.seek(0)
    assert autograd.load(buffer, map_location=lambda storage, loc: storage)["x"].tolist() == [1, 2]


@pytest.mark.parametrize("obj, message", [
    (nn.Linear(2, 1), r"got Linear \(save model.state_dict\(\)"),
    ({"epoch": 3}, "the value for 'epoch' is int, not a Tensor"),
    ({1: autograd.zeros(1)}, "keys must be strings"),
    ([autograd.zeros(1)], "expected a dict of name -> Tensor"),
])
def test_save_refuses_anything_but_a_dict_of_tensors(tmp_path, obj, message):
    with pytest.raises(TypeError, match=message):
        autograd.save(obj, tmp_path / "x.pth")


def test_load_refuses_other_devices(tmp_path):
    autograd.save({"w": autograd.zeros(1)}, tmp_path / "w.pth")
    with pytest.raises(RuntimeError, match="not available"):
        autograd.load(tmp_path / "w.pth", map_location="cuda")
    with pytest.raises(FileNotFoundError):
        autograd.load(tmp_path / "missing.pth")


# ---- hostile and broken files ----

def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def zip_of(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def npy_header(shape, descr="<f8"):
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    header += b" " * ((-(10 + len(header) + 1)) % 64) + b"\n"   # NumPy's 64-byte alignment
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


GOOD = npz_bytes(w=np.arange(6.0).reshape(2, 3))
CASES = {
    "empty": (b"", "the file is empty"),
    "garbage": (b"this is not a zip file at all" * 4, "not a readable .npz archive"),
    "truncated zip": (GOOD[: len(GOOD) // 2], "not a readable .npz archive"),
    "8 TiB header": (zip_of({"w.npy": npy_header((2 ** 20, 2 ** 20, 2 ** 3))}),
                     r"declares shape \(1048576, 1048576, 8\) of float64 .* holds 0 bytes"),
    "short data": (zip_of({"w.npy": npy_header((4,)) + b"\x00" * 8}),
                   r"declares shape \(4,\) of float64 \(32 bytes\) but holds 8 bytes"),
    "not npy": (zip_of({"w.txt": b"1 2 3"}), "member 'w.txt' is not a .npy array"),
    "bad magic": (zip_of({"w.npy": b"NOTNUMPY" + b"\x00" * 32}), "is not a valid .npy array"),
    "strings": (npz_bytes(w=np.array(["a", "b"])), "holds <U1 values, not numbers"),
    "complex": (npz_bytes(w=np.array([1j])), "holds complex128 values"),
    "objects": (npz_bytes(w=np.array([{"evil": 1}], dtype=object)),
                "holds Python objects.*never loads pickled objects"),
    "pickle": (pickle.dumps({"w": [1.0]}), "a pickle file; glassgrad never loads pickled"),
    "bare npy": (npy_header((1,)) + b"\x00" * 8, "a single .npy array"),
    "torch checkpoint": (zip_of({"archive/data.pkl": b"\x80\x02}q\x00."}),
                         "a PyTorch checkpoint"),
    "zip bomb": (zip_of({"w.npy": npy_header((2 ** 24,), "|u1") + b"\x00" * 2 ** 24},
                        zipfile.ZIP_DEFLATED), None),
    "bad crc": (GOOD[:-200] + bytes([GOOD[-200] ^ 0xFF]) + GOOD[-199:], None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_malformed_file_raises_one_clear_error(tmp_path, case):
    data, message = CASES[case]
    path = tmp_path / f"{case.replace(' ', '_')}.npz"
    path.write_bytes(data)
    try:
        result = autograd.load(path)
    except CheckpointError as err:
        assert isinstance(err, ValueError) and str(path) in str(err)
        if message:
            assert __import__("re").search(message, str(err)), str(err)
        return
    # The two compressed cases are valid files: 16 MiB of zeros, and a flipped byte in the
    # central directory's comment area that zipfile tolerates.
    assert message is None and isinstance(result, dict)


def test_a_compressed_member_cannot_claim_more_than_compression_gives(tmp_path):
    # A member whose .npy header and zip sizes agree on ~2 GiB, from ~100 compressed bytes:
    # refused before the 2 GiB buffer is allocated.
    header = npy_header((2 ** 31 - 1 - 128,), "|u1")
    assert len(header) == 128
    archive = zip_of({"w.npy": header}, zipfile.ZIP_DEFLATED)
    # The uncompressed size sits in the local and the central header: claim 2**31 - 1.
    lying = archive.replace(struct.pack("<I", len(header)), struct.pack("<I", 2 ** 31 - 1))
    path = tmp_path / "lying.npz"
    path.write_bytes(lying)
    with pytest.raises(CheckpointError, match="more than compression can give"):
        autograd.load(path)


def test_module_save_and_load_use_the_same_format(tmp_path):
    m = nn.Linear(2, 2)
    m.save(str(tmp_path / "m.npz"))
    assert list(autograd.load(tmp_path / "m.npz")) == ["weight", "bias"]
    (tmp_path / "bad.npz").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        m.load(str(tmp_path / "bad.npz"))


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_arrays_saved_from_torch_weights_load(tmp_path):
    theirs = torch.nn.Linear(3, 2)
    np.savez(tmp_path / "from_torch.npz",
             **{k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours = nn.Linear(3, 2)
    ours.load_state_dict(autograd.load(tmp_path / "from_torch.npz"))
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(ours(autograd.from_numpy(x)).tolist(),
                               theirs(torch.from_numpy(x)).tolist(), rtol=1e-6)
    torch.save(theirs.state_dict(), tmp_path / "torch.pth")
    with pytest.raises(CheckpointError, match="a PyTorch checkpoint"):
        autograd.load(tmp_path / "torch.pth")
