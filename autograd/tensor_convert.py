"""Tensor conversions mixed into `Tensor`: `to(dtype / device / other)`, `type()`, `.float()`,
`.long()`, ..., `.cpu()`, and `new_zeros`-style constructors in the tensor's dtype.

Between float dtypes a conversion is differentiable (an op 'cast' in the graph); to an
integer or bool dtype it gives a constant, as in PyTorch.

>>> import autograd
>>> x = autograd.tensor([1.5, -2.0])
>>> x.long().tolist(), x.to(autograd.float64).dtype, x.type(), x.to("cpu") is x
([1, -2], autograd.float64, 'autograd.FloatTensor', True)
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import dtypes
from . import tensor_core as core
from .devices import check_device, is_device


def _parse_to(args: tuple, kwargs: dict) -> tuple:
    """(dtype or None, copy) from `to`'s three call forms (device, dtype, other tensor)."""
    dtype = kwargs.pop("dtype", None)
    where = kwargs.pop("device", None)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, core.Tensor):
            dtype = arg._data.dtype
        elif is_device(arg):
            where = arg
        elif isinstance(arg, bool):          # to(dtype, non_blocking, copy) positionally
            continue
        else:
            dtype = arg
    check_device(where)
    return (None if dtype is None else dtypes.to_numpy(dtype)), copy


class Conversions:
    """dtype and device conversions (mixed into `Tensor`)."""

    __slots__ = ()

    def to(self, *args: Any, **kwargs: Any) -> Any:
        """`to(dtype)`, `to(device)`, `to(device, dtype)` or `to(other)`: this tensor when
        nothing changes (unless copy=True), else a converted tensor. Only the CPU exists."""
        dtype, copy = _parse_to(args, dict(kwargs))
        if dtype is None or dtype == self._data.dtype:
            return self.clone() if copy else self
        if dtype.kind != "f":  # integer and bool results cannot carry gradients
            return core._leaf(self._data.astype(dtype))
        return core._unary("cast", self, dtype)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """Without an argument the type's name ('autograd.FloatTensor'); with a dtype (or a
        legacy type such as autograd.LongTensor) the converted tensor."""
        if dtype is None:
            return f"autograd.{dtypes.LEGACY[dtypes.of(self._data.dtype)]}"
        return self.to(dtypes.to_numpy(dtype))

    def type_as(self, other: Any) -> Any:
        return self.to(other._data.dtype)

    def float(self) -> Any:
        return self.to(dtypes.float32)

    def double(self) -> Any:
        return self.to(dtypes.float64)

    def half(self) -> Any:
        return self.to(dtypes.float16)

    def long(self) -> Any:
        return self.to(dtypes.int64)

    def int(self) -> Any:
        return self.to(dtypes.int32)

    def short(self) -> Any:
        return self.to(dtypes.int16)

    def bool(self) -> Any:
        return self.to(dtypes.bool_)

    def byte(self) -> Any:
        return self.to(dtypes.uint8)

    def cpu(self) -> Any:
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Any:
        check_device("cuda" if device is None else device)
        return self

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    # ---- new tensors like this one (its dtype unless told otherwise) ----
    def _like(self, array: np.ndarray, dtype: Any, device: Any, requires_grad: bool) -> Any:
        check_device(device)
        t = core._leaf(array.astype(self._data.dtype if dtype is None
                                    else dtypes.to_numpy(dtype), copy=False))
        if requires_grad:
            t.requires_grad = True
        return t

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Any:
        return self._like(np.zeros(core._shape_args(size)), dtype, device, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Any:
        return self._like(np.ones(core._shape_args(size)), dtype, device, requires_grad)

    new_empty = new_zeros

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Any:
        return self._like(np.full(core._shape_args((size,)), core._raw(fill_value)), dtype,
                          device, requires_grad)

    def new_tensor(self, data: Any, dtype: Optional[Any] = None, device: Any = None,
                   requires_grad: bool = False) -> Any:
        return self._like(np.array(core._raw(data)), dtype, device, requires_grad)
