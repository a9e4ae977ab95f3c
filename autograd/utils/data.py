"""`torch.utils.data`: `Dataset`, `TensorDataset`, `Subset`, `random_split` and `DataLoader`.

A `DataLoader` yields batches of Tensors: each batch is the dataset's items at the sampled
indices, joined by `default_collate` (PyTorch's rules: tensors and arrays are stacked,
Python floats become float64 and ints int64 tensors, tuples become lists, dicts stay dicts).
A `TensorDataset` is batched by indexing each tensor once with the whole index array (the
same batch, without a Python loop over its items).

>>> import autograd
>>> from autograd.utils.data import DataLoader, TensorDataset
>>> X = autograd.arange(10.0).reshape(5, 2); y = autograd.arange(5)
>>> loader = DataLoader(TensorDataset(X, y), batch_size=2)
>>> [(tuple(xb.shape), yb.tolist()) for xb, yb in loader]
[((2, 2), [0, 1]), ((2, 2), [2, 3]), ((1, 2), [4])]

Differences from PyTorch: `num_workers` > 0 loads in the main process (there is no worker
pool; the batches are the same); `pin_memory` is accepted and does nothing (no GPU).
"""
from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Iterable, Iterator, List, Optional, Union

import numpy as np

from .. import random
from ..factories import tensor
from ..tensor_core import Tensor, stack

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "DataLoader",
           "random_split", "default_collate"]


class Dataset:
    """A map-style dataset: subclasses define `__getitem__(index)` and `__len__()`."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Item i is `(t[i] for t in tensors)`: features and targets side by side."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: expected Tensors, got {type(t).__name__} "
                                f"(wrap arrays with autograd.from_numpy or autograd.tensor)")
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            # AssertionError is PyTorch's class for this mistake.
            raise AssertionError(f"Size mismatch between tensors: sizes along dim 0 are "
                                 f"{sizes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The items of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other (`a + b` for Datasets)."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def _generator(generator: Any) -> np.random.Generator:
    if generator is None:
        return random.default_generator
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be an autograd.Generator (or a numpy Generator), got "
                    f"{type(generator).__name__}")


def random_split(dataset: Any, lengths: Sequence[Union[int, float]],
                 generator: Any = None) -> List[Subset]:
    """Split into non-overlapping random Subsets of the given lengths, or fractions summing
    to 1 (floored, the remainder handed out one by one from the first, as PyTorch does).

    >>> from autograd import Generator
    >>> parts = random_split(range(10), [0.25, 0.75], generator=Generator().manual_seed(0))
    >>> [len(p) for p in parts], sorted(parts[0].indices + parts[1].indices) == list(range(10))
    ([3, 7], True)
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, f in enumerate(lengths):
            if not 0 <= f <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        sizes = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any(int(x) != x or x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!"
                         f" (lengths {lengths}, dataset length {n})")
    order = _generator(generator).permutation(n).tolist()
    parts, start = [], 0
    for size in lengths:
        parts.append(Subset(dataset, order[start:start + int(size)]))
        start += int(size)
    return parts


def default_collate(batch: List[Any]) -> Any:
    """Join a list of dataset items into one batch (PyTorch's default_collate rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind not in "biuf":
            raise TypeError(f"default_collate: cannot batch arrays of dtype {elem.dtype}")
        return Tensor(np.stack(batch))
    if isinstance(elem, np.generic):
        return tensor(np.array(batch))
    if isinstance(elem, bool):
        return tensor(batch)
    if isinstance(elem, numbers.Integral):
        return tensor(batch)
    if isinstance(elem, numbers.Real):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return type(elem)({key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):      # a namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(item) != len(elem) for item in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem)}")


def _convert(item: Any) -> Any:
    """An item as is, arrays made Tensors (`batch_size=None`: no batching)."""
    if isinstance(item, np.ndarray) and item.dtype.kind in "biuf":
        return Tensor(item)
    if isinstance(item, Mapping):
        return type(item)({k: _convert(v) for k, v in item.items()})
    if isinstance(item, tuple) and not hasattr(item, "_fields"):
        return [_convert(v) for v in item]
    return item


class DataLoader:
    """Batches from a dataset: `DataLoader(dataset, batch_size=1, shuffle=False, ...)`.

    Each pass (`for batch in loader`) draws a new order when `shuffle=True`, from
    `generator` (an `autograd.Generator`; default: the global stream `manual_seed` seeds).
    `sampler` is any iterable of indices (exclusive with `shuffle`).
    """

    def __init__(self, dataset: Any, batch_size: Optional[int] = 1, shuffle: Optional[bool] = None,
                 sampler: Optional[Iterable[int]] = None, batch_sampler: Any = None,
                 num_workers: int = 0, collate_fn: Optional[Callable] = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Optional[Callable] = None, generator: Any = None,
                 **options: Any) -> None:
        if batch_size is not None and (not isinstance(batch_size, numbers.Integral)
                                       or isinstance(batch_size, bool) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
        if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 "
                             "to disable multiprocessing.")
        unknown = set(options) - {"prefetch_factor", "persistent_workers", "pin_memory_device",
                                  "in_order", "multiprocessing_context"}
        if unknown:
            raise TypeError(f"DataLoader got unexpected keyword arguments {sorted(unknown)}")
        # timeout, worker_init_fn and pin_memory concern worker processes and GPU copies,
        # which glassgrad does not have: accepted, nothing to do.
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.generator = _generator(generator) if generator is not None else None

    def _indices(self) -> List[int]:
        if self.sampler is not None:
            return list(self.sampler)
        n = len(self.dataset)
        if self.shuffle:
            return _generator(self.generator).permutation(n).tolist()
        return list(range(n))

    def _batches(self) -> Iterator[List[int]]:
        if self.batch_sampler is not None:
            yield from (list(b) for b in self.batch_sampler)
            return
        order = self._indices()
        size = self.batch_size or 1
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        for start in range(0, stop, size):
            yield order[start:start + size]

    def __iter__(self) -> Iterator[Any]:
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        for indices in self._batches():
            if self.batch_size is None and self.batch_sampler is None:
                item = self.dataset[indices[0]]
                yield self.collate_fn(item) if self.collate_fn else _convert(item)
            elif fast:
                index = np.asarray(indices, dtype=np.int64)
                yield [t[index] for t in self.dataset.tensors]
            else:
                items = [self.dataset[i] for i in indices]
                yield (self.collate_fn or default_collate)(items)

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
