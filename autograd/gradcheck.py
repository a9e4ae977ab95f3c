"""`gradcheck`: backprop against float64 central differences, input element by element.

>>> from autograd import Value, gradcheck
>>> gradcheck(lambda a, b: (a * b).tanh(), [Value(0.3), Value(-1.2)])
True
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .differentiate import grad
from .errors import GradcheckError
from .mode import no_grad


def _scalar(out: Any) -> float:
    # The numeric side sums the output data directly: same number, no graph node needed.
    return float(np.sum(out.raw_data))


def gradcheck(f: Callable, inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True if backprop matches (f(x+eps) - f(x-eps)) / 2eps for every input element.

    `f(*inputs)` must return a scalar node (a Tensor output is summed). On a mismatch the
    error names the input (label or position), the element, both values and the difference.
    Tensor inputs with requires_grad=False are constants and are not checked (PyTorch's
    rule); a float32 Tensor input gets a warning, as eps=1e-6 is below its precision.
    """
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if getattr(x, "requires_grad", False) and x.raw_data.dtype != np.float64:
            warnings.warn(f"gradcheck: input {i} requires grad but is {x.raw_data.dtype}, not "
                          f"float64; central differences will likely disagree", stacklevel=2)
    analytic = grad(_summed(f(*inputs)), inputs, allow_unused=True)
    for i, (x, g) in enumerate(zip(inputs, analytic)):
        if not getattr(x, "requires_grad", True):
            continue
        name = x.label or f"input {i}"
        array = isinstance(x.raw_data, np.ndarray)
        indices = list(np.ndindex(x.raw_data.shape)) if array else [None]
        for idx in indices:
            original = x.raw_data[idx] if array else x.raw_data
            with no_grad():
                _set(x, idx, original + eps)
                plus = _scalar(f(*inputs))
                _set(x, idx, original - eps)
                minus = _scalar(f(*inputs))
                _set(x, idx, original)
            numeric = (plus - minus) / (2 * eps)
            if g is None:
                backprop = 0.0
            else:
                gv = g.raw_data if hasattr(g, "raw_data") else g
                backprop = float(np.asarray(gv)[idx]) if array else float(gv)
            if not abs(backprop - numeric) <= atol + rtol * abs(numeric):
                where = f"{name}[{', '.join(map(str, idx))}]" if array and idx else name
                message = (f"gradcheck: d(output)/d({where}) by backprop = {backprop!r}, "
                           f"by central differences = {numeric!r}, "
                           f"difference = {backprop - numeric!r} (atol={atol}, rtol={rtol})")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def _summed(out: Any) -> Any:
    # A Tensor output is summed, so the check covers every output element at once.
    return out if getattr(out, "shape", ()) in ((), (1,)) else out.sum()


def _set(x: Any, idx: Any, value: float) -> None:
    if idx is None:
        x.raw_data = float(value)
    else:
        x.raw_data[idx] = value
