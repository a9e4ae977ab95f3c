"""Factories: new leaf tensors from data, shapes or random draws (PyTorch's names).

>>> from autograd import tensor, zeros, arange
>>> tensor([1, 2]).dtype, zeros(2, 3).shape, arange(3).tolist()
(dtype('int64'), (2, 3), [0, 1, 2])
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import random
from .tensor_core import Tensor, _leaf, _shape_args, _to_array

_FLOAT32 = np.dtype(np.float32)
_INT64 = np.dtype(np.int64)


def _factory(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = _leaf(data)
    if requires_grad:
        t.requires_grad = True
    return t


def _float(dtype: Any) -> np.dtype:
    return _FLOAT32 if dtype is None else np.dtype(dtype)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, label: str = "") -> Tensor:
    """A tensor holding a *copy* of `data` (PyTorch's torch.tensor)."""
    if isinstance(data, Tensor):
        data = data._data
    copied = np.array(data, dtype=dtype) if isinstance(data, (np.ndarray, np.generic)) else data
    return Tensor(copied, requires_grad=requires_grad, dtype=dtype, label=label)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(_shape_args(size), dtype=_float(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(_shape_args(size), dtype=_float(dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The dtype follows fill_value when not given (float32, int64 or bool), as in PyTorch."""
    if dtype is None:
        dtype = _to_array(fill_value, None).dtype
    shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    return _factory(np.full(shape, fill_value, dtype=np.dtype(dtype)), requires_grad)


def _random(draw: str, size: tuple, generator: Any, dtype: Any, requires_grad: bool) -> Tensor:
    dtype = _float(dtype)
    rng = random.default_generator if generator is None else generator
    shape = _shape_args(size)
    if dtype in (np.float32, np.float64):
        data = getattr(rng, draw)(shape, dtype=dtype)
    else:
        data = getattr(rng, draw)(shape).astype(dtype)
    return _factory(np.asarray(data), requires_grad)


def randn(*size: Any, generator: Optional[np.random.Generator] = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples from `generator` (default: the one `manual_seed` seeds)."""
    return _random("standard_normal", size, generator, dtype, requires_grad)


def rand(*size: Any, generator: Optional[np.random.Generator] = None, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _random("random", size, generator, dtype, requires_grad)


def arange(start: float, end: Optional[float] = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """int64 for integer arguments, float32 if any is a float (PyTorch's rule)."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = _INT64 if ints else _FLOAT32
    return _factory(np.arange(start, end, step, dtype=np.dtype(dtype)), requires_grad)


def eye(n: int, m: Optional[int] = None, dtype: Any = None,
        requires_grad: bool = False) -> Tensor:
    return _factory(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(t.shape, dtype=t.dtype if dtype is None else dtype), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(t.shape, dtype=t.dtype if dtype is None else dtype), requires_grad)
