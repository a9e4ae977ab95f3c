"""Gradient clipping: `clip_grad_norm_` (rescale all grads together) and `clip_grad_value_`.

Both take parameters (Values or tensor parameters, or a single one), skip those whose grad is
None, and change grads in place: arrays are modified in place, a Value's float grad is rebound.

>>> from autograd import Value
>>> a, b = Value(0.0), Value(0.0)
>>> a.grad, b.grad = 3.0, 4.0
>>> clip_grad_norm_([a, b], max_norm=1.0)      # the norm BEFORE clipping
5.0
>>> round(a.grad, 6), round(b.grad, 6)
(0.6, 0.8)

The total norm is computed in float64 whatever the grads' dtype; for tensor parameters it is
returned as a 0-d Tensor of the grads' dtype (as PyTorch's), for scalar Values as a float.
"""
from __future__ import annotations

import math
import types
import warnings
from numbers import Real
from typing import Any, Iterable

import numpy as np

from autograd.tensor_core import Tensor


def _as_list(parameters: Any) -> list[Any]:
    if hasattr(parameters, "data") and hasattr(parameters, "grad"):
        return [parameters]                 # one parameter, as torch accepts one Tensor
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=3)
    return parameters


def two_norm(values: Iterable[Any]) -> float:
    """The 2-norm of floats and arrays together, as if concatenated, in float64.

    Python floats take a fast path: a scalar model has one float grad per weight.

    >>> two_norm([3.0, np.array([[4.0]])]), two_norm([])
    (5.0, 0.0)
    """
    total = 0.0
    for v in values:
        if type(v) is float or isinstance(v, (int, np.floating)):
            total += float(v) * float(v)
        else:
            a = np.asarray(v, dtype=np.float64)
            total += float(np.vdot(a, a))
    return math.sqrt(total)


def get_total_norm(grads: Iterable[Any], norm_type: float | str = 2.0,
                   error_if_nonfinite: bool = False) -> Any:
    """The p-norm of all grads together, as if they were concatenated into one vector.

    It is computed as the norm of the per-grad norms (PyTorch's recipe); `norm_type` may be
    `inf` / `'inf'`. No grads give 0.0. Given Tensors (`[p.grad for p in params]`) the
    result is a 0-d Tensor, as PyTorch's; given arrays and floats, a float.

    >>> get_total_norm([np.array([3.0]), 4.0]), get_total_norm([-3.0, 2.0], 'inf')
    (5.0, 3.0)
    """
    grads = list(grads)
    if any(isinstance(g, Tensor) for g in grads):
        raw = [g.raw_data if isinstance(g, Tensor) else g for g in grads]
        return _tensor(get_total_norm(raw, norm_type, error_if_nonfinite), raw)
    p = float(norm_type)
    if p == 2.0:
        total = two_norm(grads)
    else:
        norms = [abs(float(g)) if isinstance(g, Real) else np.linalg.norm(np.ravel(g), p)
                 for g in grads]
        if not norms:
            return 0.0
        total = float(np.linalg.norm(np.asarray(norms, dtype=np.float64), p))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {p} for gradients from `parameters` is "
                           f"non-finite ({total}), so it cannot be clipped. To disable this "
                           f"error and scale the gradients by the non-finite norm anyway, set "
                           f"`error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters: Any, max_norm: float, total_norm: float) -> None:
    """Multiply every grad by min(max_norm / (total_norm + 1e-6), 1), in place."""
    coef = min(float(max_norm) / (total_norm + 1e-6), 1.0)
    for p in _as_list(parameters):
        g = p.raw_grad
        if g is None:
            continue
        if isinstance(g, Real):
            p.raw_grad = g * coef
        else:
            g *= coef                          # always, like torch (a no-op scale by 1.0)


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False) -> Any:
    """Rescale grads so that their total `norm_type`-norm is at most `max_norm`.

    The coefficient is max_norm / (total + 1e-6), clamped to 1 (grads are only ever shrunk).
    Returns the total norm measured BEFORE clipping (a 0-d Tensor for tensor parameters, a
    float for Values). With `error_if_nonfinite=True` a nan/inf total raises RuntimeError;
    otherwise such grads are scaled by 0 (finite entries become 0, infinite ones NaN), as
    in PyTorch.
    """
    params = _as_list(parameters)
    grads = [p.raw_grad for p in params if p.raw_grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    if any(isinstance(p, Tensor) for p in params):
        return _tensor(total, grads)
    return total


def _tensor(total: float, grads: list) -> Tensor:
    dtype = next((g.dtype for g in grads if isinstance(g, np.ndarray)), np.float32)
    return Tensor(np.asarray(total, dtype=dtype))


def clip_grad_value_(parameters: Any, clip_value: float) -> None:
    """Clamp every grad elementwise into [-clip_value, clip_value], in place.

    >>> from autograd import Value
    >>> w = Value(0.0); w.grad = -7.0
    >>> clip_grad_value_([w], 2.0); w.grad
    -2.0
    """
    c = float(clip_value)
    for p in _as_list(parameters):
        g = p.raw_grad
        if g is None:
            continue
        if isinstance(g, Real):
            p.raw_grad = min(max(float(g), -c), c)
        else:
            np.clip(g, -c, c, out=g)
