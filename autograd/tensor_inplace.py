"""In-place Tensor methods (`add_`, `zero_`, `x[i] = v`, `-=`, ...), mixed into `Tensor`.

The rules, as in PyTorch: a leaf that requires grad cannot be changed in place while grad
mode is on (optimizers work under `no_grad`, or through `.data`); the result must fit the
tensor's dtype (`int_tensor += 0.5` is refused); every write bumps the tensor's version
counter, so a backward that would read the old values raises instead of giving a wrong
gradient (autograd/versions.py). glassgrad also refuses in-place ops on non-leaf tensors
that require grad (PyTorch re-records them; glassgrad keeps every node's value for
drawings, so it cannot rewrite one).

>>> from autograd import Tensor
>>> x = Tensor([1.0, 2.0, 3.0])
>>> x.add_(1).mul_(2).clamp_(max=7.0).tolist(), x._version_number
([4.0, 6.0, 7.0], 3)
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from . import dtypes, random
from . import tensor_core as core
from .errors import ShapeError
from .mode import is_grad_enabled


def _cast_error(name: str, result: np.dtype, target: np.dtype) -> Optional[str]:
    # PyTorch's canCast: no float result into an integer tensor, no number into a bool one.
    if (result.kind == "f" and target.kind != "f") or (result.kind != "b" and
                                                      target.kind == "b"):
        return (f"{name}: result type {dtypes.of(result)} can't be cast to the desired "
                f"output type {dtypes.of(target)}")
    return None


class InPlace:
    """The in-place half of the Tensor API (mixed into `Tensor`)."""

    __slots__ = ()

    def _inplace(self, name: str) -> np.ndarray:
        """The array to write into, after PyTorch's checks."""
        if self._requires_grad and is_grad_enabled():
            if not self._parents:
                raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used "
                                   f"in an in-place operation.")
            raise RuntimeError(f"{name}: in-place operations on a tensor inside a graph are not "
                               f"supported (glassgrad keeps graphs for drawing); write "
                               f"`x = x + y` instead")
        return self._data

    def _ufunc_(self, name: str, ufunc: Callable, other: Any) -> Any:
        d = self._inplace(name)
        value = core._raw(other)
        if isinstance(value, (list, tuple)):
            value = np.asarray(value)
        problem = _cast_error(name, dtypes.result_type(d, value).dtype, d.dtype)
        if name == "/=" or name == "div_":
            problem = problem or _cast_error(name, np.dtype(np.float32), d.dtype)
        if problem:
            raise RuntimeError(problem)
        try:
            ufunc(d, value, out=d, casting="unsafe")
        except ValueError:
            raise ShapeError(f"{name}: a value of shape {np.shape(value)} cannot be "
                                  f"broadcast to the tensor's shape {d.shape}") from None
        self._bump_version()
        return self

    def __iadd__(self, other: Any) -> Any:
        return self._ufunc_("+=", np.add, other)

    def __isub__(self, other: Any) -> Any:
        return self._ufunc_("-=", np.subtract, other)

    def __imul__(self, other: Any) -> Any:
        return self._ufunc_("*=", np.multiply, other)

    def __itruediv__(self, other: Any) -> Any:
        return self._ufunc_("/=", np.true_divide, other)

    def add_(self, other: Any, alpha: float = 1) -> Any:
        return self._ufunc_("add_", np.add, other if alpha == 1 else core._raw(other) * alpha)

    def sub_(self, other: Any, alpha: float = 1) -> Any:
        return self._ufunc_("sub_", np.subtract,
                            other if alpha == 1 else core._raw(other) * alpha)

    def mul_(self, other: Any) -> Any:
        return self._ufunc_("mul_", np.multiply, other)

    def div_(self, other: Any) -> Any:
        return self._ufunc_("div_", np.true_divide, other)

    def _assign(self, name: str, index: Any, value: Any) -> Any:
        d = self._inplace(name)
        try:
            d[index] = value
        except ValueError:
            raise ShapeError(f"{name}: a value of shape {np.shape(value)} cannot be "
                                  f"written into shape {d[index].shape}") from None
        self._bump_version()
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        self._assign("setitem", core._index(index), core._raw(value))

    def zero_(self) -> Any:
        return self._assign("zero_", Ellipsis, 0)

    def fill_(self, value: Any) -> Any:
        value = core._raw(value)
        if np.ndim(value):
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {np.ndim(value)} dimensions.")
        return self._assign("fill_", Ellipsis, value)

    def copy_(self, src: Any, non_blocking: bool = False) -> Any:
        """Copy `src` (broadcast to this shape, converted to this dtype) into this tensor."""
        return self._assign("copy_", Ellipsis, core._raw(src))

    def masked_fill_(self, mask: Any, value: Any) -> Any:
        mask = np.asarray(core._raw(mask))
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with "
                               f"dtype {mask.dtype}")
        return self._assign("masked_fill_", np.broadcast_to(mask, self._data.shape),
                            core._raw(value))

    def clamp_(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - PyTorch's names
        if min is None and max is None:
            raise RuntimeError("clamp_: At least one of 'min' or 'max' must not be None")
        d = self._inplace("clamp_")
        bounds = [core._raw(b) for b in (min, max) if b is not None]
        problem = _cast_error("clamp_", dtypes.result_type(d, *bounds).dtype, d.dtype)
        if problem:
            raise RuntimeError(problem)
        np.clip(d, core._raw(min), core._raw(max), out=d, casting="unsafe")
        self._bump_version()
        return self

    clip_ = clamp_

    def _draw_(self, name: str, draw: Callable[[np.random.Generator], np.ndarray]) -> Any:
        d = self._inplace(name)
        if d.dtype.kind != "f":
            raise NotImplementedError(f"{name}: not implemented for {dtypes.of(d.dtype)} "
                                      f"tensors (floating point only)")
        return self._assign(name, Ellipsis, draw(d))

    def uniform_(self, a: float = 0.0, b: float = 1.0,
                 generator: Optional[np.random.Generator] = None) -> Any:
        rng = generator or random.default_generator
        return self._draw_("uniform_", lambda d: rng.uniform(a, b, d.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0,
                generator: Optional[np.random.Generator] = None) -> Any:
        rng = generator or random.default_generator
        return self._draw_("normal_", lambda d: rng.normal(mean, std, d.shape))
