"""Factories: new leaf tensors from data, shapes or random draws, with PyTorch's names, dtypes
(floats get the default dtype, `set_default_dtype`) and `dtype=`/`device=`/`requires_grad=`
keywords; and the legacy typed constructors (`FloatTensor`, `LongTensor`, ...).

>>> from autograd import tensor, zeros, arange, linspace, LongTensor
>>> tensor([1, 2]).dtype, zeros(2, 3).shape, arange(3).tolist(), linspace(0, 1, 3).tolist()
(autograd.int64, autograd.Size([2, 3]), [0, 1, 2], [0.0, 0.5, 1.0])
>>> LongTensor([1.7, 2.2]).tolist()
[1, 2]

Random factories draw from `generator` (an `autograd.Generator`) or the global stream that
`manual_seed` seeds; the numbers differ from PyTorch's for the same seed (autograd/random.py).
"""
from __future__ import annotations

import operator
import warnings
from typing import Any, Optional

import numpy as np

from . import dtypes, random
from .devices import check_device
from .tensor_core import Tensor, _leaf, _raw, _shape_args, _to_array


def _factory(data: np.ndarray, requires_grad: bool, device: Any = None) -> Tensor:
    check_device(device)
    t = _leaf(data)
    if requires_grad:
        t.requires_grad = True
    return t


def _float(dtype: Any) -> np.dtype:
    return dtypes.default_float() if dtype is None else dtypes.to_numpy(dtype)


def _given(dtype: Any, like: np.dtype) -> np.dtype:
    return like if dtype is None else dtypes.to_numpy(dtype)


def _rng(generator: Any) -> np.random.Generator:
    return random.default_generator if generator is None else generator


# ---- from data ----

def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           label: str = "") -> Tensor:
    """A tensor holding a *copy* of `data` (PyTorch's torch.tensor): Python floats become the
    default float dtype, ints int64, bools bool; an array keeps its dtype."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.clone().detach() or "
                      "sourceTensor.clone().detach().requires_grad_(True), rather than "
                      "tensor(sourceTensor).", UserWarning, stacklevel=2)
        data = data._data
    array = _to_array(data, dtype)
    t = _factory(array.copy() if array is data else array, requires_grad, device)
    t.label = label
    return t


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like `tensor`, but shares memory when it can: an ndarray of the right dtype is wrapped,
    a Tensor of the right dtype is returned as it is."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return _factory(_to_array(data, dtype), False, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing the ndarray's memory and dtype (writes show on both sides)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return _leaf(_to_array(array, None))


# ---- from shapes ----

def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(_shape_args(size), dtype=_float(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(_shape_args(size), dtype=_float(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """An "uninitialised" tensor: glassgrad fills it with zeros, so runs are repeatable."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """The dtype follows fill_value when not given (float32, int64 or bool), as in PyTorch."""
    value = _raw(fill_value)
    dtype = _to_array(value, None).dtype if dtype is None else dtypes.to_numpy(dtype)
    return _factory(np.full(_shape_args((size,)), value, dtype=dtype), requires_grad, device)


def eye(n: int, m: Optional[int] = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    return _factory(np.eye(n, m, dtype=_float(dtype)), requires_grad, device)


def zeros_like(t: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(t.raw_data.shape, _given(dtype, t.raw_data.dtype)), requires_grad,
                    device)


def ones_like(t: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(t.raw_data.shape, _given(dtype, t.raw_data.dtype)), requires_grad,
                    device)


empty_like = zeros_like


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return _factory(np.full(t.raw_data.shape, _raw(fill_value),
                            _given(dtype, t.raw_data.dtype)), requires_grad, device)


# ---- ranges ----

def arange(start: float, end: Optional[float] = None, step: float = 1, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """int64 for integer arguments, the default float dtype if any is a float (PyTorch)."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if ints else dtypes.get_default_dtype()
    return _factory(np.arange(start, end, step, dtype=dtypes.to_numpy(dtype)), requires_grad,
                    device)


def _steps(steps: Any) -> int:
    try:
        n = operator.index(steps)
    except TypeError:
        raise TypeError(f"linspace/logspace: steps must be an int, got "
                        f"{type(steps).__name__}") from None
    if n < 0:
        raise RuntimeError("number of steps must be non-negative")
    return n


def _evenly(start: Any, end: Any, steps: int, dtype: np.dtype) -> np.ndarray:
    # PyTorch's kernel: the first half counts up from start, the second half down from end
    # (so both ends are exact), in the result's float type (double for integer results).
    kind = dtype.type if dtype.kind == "f" else np.float64
    start, end = kind(float(_raw(start))), kind(float(_raw(end)))
    i = np.arange(steps)
    if steps < 2:
        return np.full(steps, start, dtype=kind)
    step = kind((end - start) / kind(steps - 1))
    up = start + step * i.astype(kind)
    down = end - step * (steps - 1 - i).astype(kind)
    return np.where(i < steps // 2, up, down)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included (PyTorch's numbers)."""
    dtype = _float(dtype)
    values = _evenly(start, end, _steps(steps), dtype)
    return _factory(values.astype(dtype), requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    dtype = _float(dtype)
    exponents = _evenly(start, end, _steps(steps), dtype)
    return _factory(np.power(exponents.dtype.type(base), exponents).astype(dtype),
                    requires_grad, device)


# ---- random ----

def _random(draw: str, size: tuple, generator: Any, dtype: Any, requires_grad: bool,
            device: Any) -> Tensor:
    dtype = _float(dtype)
    if dtype.kind != "f":
        raise NotImplementedError(f"{draw}: not implemented for {dtypes.of(dtype)} "
                                  f"(floating point dtypes only)")
    rng = _rng(generator)
    shape = _shape_args(size)
    if dtype in (np.float32, np.float64):
        data = getattr(rng, draw)(shape, dtype=dtype)
    else:
        data = getattr(rng, draw)(shape).astype(dtype)
    return _factory(np.asarray(data), requires_grad, device)


def randn(*size: Any, generator: Optional[np.random.Generator] = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from `generator` (default: the one `manual_seed` seeds)."""
    return _random("standard_normal", size, generator, dtype, requires_grad, device)


def rand(*size: Any, generator: Optional[np.random.Generator] = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _random("random", size, generator, dtype, requires_grad, device)


def randn_like(t: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return randn(t.raw_data.shape, dtype=_given(dtype, t.raw_data.dtype), device=device,
                 requires_grad=requires_grad)


def rand_like(t: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return rand(t.raw_data.shape, dtype=_given(dtype, t.raw_data.dtype), device=device,
                requires_grad=requires_grad)


def randint(*args: Any, generator: Optional[np.random.Generator] = None, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """`randint(high, size)` or `randint(low, high, size)`: integers in [low, high), int64."""
    if len(args) == 2:
        low, (high, size) = 0, args
    elif len(args) == 3:
        low, high, size = args
    else:
        raise TypeError("randint: expected (high, size) or (low, high, size)")
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    values = _rng(generator).integers(low, high, _shape_args((size,)))
    return _factory(values.astype(_given(dtype, np.dtype(np.int64))), requires_grad, device)


def randperm(n: int, generator: Optional[np.random.Generator] = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    values = _rng(generator).permutation(operator.index(n))
    return _factory(values.astype(_given(dtype, np.dtype(np.int64))), requires_grad, device)


# ---- legacy typed constructors ----

class TensorType:
    """`FloatTensor(data)` or `FloatTensor(*sizes)`: a Tensor of one dtype (PyTorch's legacy
    constructors, still common in course code); `isinstance(t, FloatTensor)` checks the dtype."""

    __slots__ = ("dtype", "__name__")

    def __init__(self, d: dtypes.dtype) -> None:
        self.dtype = d.dtype
        self.__name__ = dtypes.LEGACY[d]

    def __call__(self, *data: Any, device: Any = None) -> Tensor:
        if len(data) == 1 and not isinstance(data[0], int):
            return Tensor(_to_array(_raw(data[0]), self.dtype, legacy=True), device=device)
        return Tensor(*data, dtype=self.dtype, device=device)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.raw_data.dtype == self.dtype

    def __repr__(self) -> str:
        return f"<class 'autograd.{self.__name__}'>"


FloatTensor = TensorType(dtypes.float32)
DoubleTensor = TensorType(dtypes.float64)
HalfTensor = TensorType(dtypes.float16)
LongTensor = TensorType(dtypes.int64)
IntTensor = TensorType(dtypes.int32)
ShortTensor = TensorType(dtypes.int16)
CharTensor = TensorType(dtypes.int8)
ByteTensor = TensorType(dtypes.uint8)
BoolTensor = TensorType(dtypes.bool_)

