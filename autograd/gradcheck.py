"""`gradcheck`: backprop against float64 central differences, input element by element.

>>> from autograd import Value, gradcheck
>>> gradcheck(lambda a, b: (a * b).tanh(), [Value(0.3), Value(-1.2)])
True
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, List, Sequence

import numpy as np

from .differentiate import grad
from .errors import GradcheckError
from .graph import topological_order
from .mode import no_grad


def gradcheck(f: Callable, inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True if backprop matches (f(x+eps) - f(x-eps)) / 2eps for every input element.

    `f(*inputs)` returns a node or a list/tuple of nodes. One scalar output is checked as
    it is; otherwise every output element enters one weighted sum, Σ w·output, with fixed
    pseudo-random weights in [0.5, 1.5] (a plain sum would pass a softmax whose backward
    mixes up its elements, since the sum of a softmax is constant). On a mismatch the error
    names the input (label or position), the element, both values and the difference, and
    any custom op (`autograd.Function`, micrograd's `_backward`) whose backward the graph
    used. Tensor inputs with requires_grad=False are constants and are not checked
    (PyTorch's rule). The defaults are PyTorch's, meant for float64: a float32 input gets a
    warning, and a failure says that float32 needs looser tolerances, as PyTorch's does.
    Inputs are perturbed through private copies, so read-only arrays are fine.
    """
    inputs = list(inputs)
    narrow = [i for i, x in enumerate(inputs) if getattr(x, "requires_grad", False)
              and x.raw_data.dtype != np.float64]
    for i in narrow:
        warnings.warn(f"gradcheck: input {i} requires grad but is {inputs[i].raw_data.dtype}, "
                      f"not float64; central differences will likely disagree", stacklevel=2)
    outputs = _as_list(f(*inputs))
    weights = _weights(outputs)
    analytic = grad(outputs, inputs, grad_outputs=[_seed(o, w) for o, w in zip(outputs, weights)],
                    allow_unused=True)
    single = len(outputs) == 1 and weights[0] is None
    for i, (x, g) in enumerate(zip(inputs, analytic)):
        if not getattr(x, "requires_grad", True):
            continue
        original = x.raw_data
        array = isinstance(original, np.ndarray)
        backprop_all = 0.0 if g is None else (g.raw_data if hasattr(g, "raw_data") else g)
        if array:
            x.raw_data = np.array(original)   # a private, writable copy to perturb
        try:
            for idx in (np.ndindex(original.shape) if array else [None]):
                numeric = _central_difference(f, inputs, x, idx, eps, weights)
                backprop = (float(np.asarray(backprop_all)[idx]) if array
                            else float(backprop_all))
                if not abs(backprop - numeric) <= atol + rtol * abs(numeric):
                    if raise_exception:
                        raise GradcheckError(_message(x, i, idx, backprop, numeric, atol, rtol,
                                                      single, outputs, narrow))
                    return False
        finally:
            x.raw_data = original
    return True


def _as_list(out: Any) -> List[Any]:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _weights(outputs: List[Any]) -> List[Any]:
    """None (weight 1) for a lone scalar output, else fixed weights per output element."""
    if len(outputs) == 1 and np.size(outputs[0].raw_data) == 1:
        return [None]
    rng = np.random.default_rng(0)
    return [rng.uniform(0.5, 1.5, np.shape(o.raw_data)) for o in outputs]


def _seed(out: Any, w: Any) -> Any:
    if w is None:
        return None
    if isinstance(out.raw_data, np.ndarray):
        return w.astype(out.raw_data.dtype)
    return float(w)


def _weighted_total(outputs: List[Any], weights: List[Any]) -> float:
    # The numeric side sums the output data directly: same number, no graph node needed.
    return sum(float(np.sum(o.raw_data if w is None else w * o.raw_data))
               for o, w in zip(outputs, weights))


def _central_difference(f: Callable, inputs: List[Any], x: Any, idx: Any, eps: float,
                        weights: List[Any]) -> float:
    original = x.raw_data[idx] if idx is not None else x.raw_data
    with no_grad():
        _set(x, idx, original + eps)
        plus = _weighted_total(_as_list(f(*inputs)), weights)
        _set(x, idx, original - eps)
        minus = _weighted_total(_as_list(f(*inputs)), weights)
        _set(x, idx, original)
    return (plus - minus) / (2 * eps)


def _set(x: Any, idx: Any, value: float) -> None:
    if idx is None:
        x.raw_data = float(value)
    else:
        x.raw_data[idx] = value


def _message(x: Any, i: int, idx: Any, backprop: float, numeric: float, atol: float,
             rtol: float, single: bool, outputs: List[Any], narrow: List[int]) -> str:
    name = x.label or f"input {i}"
    where = f"{name}[{', '.join(map(str, idx))}]" if idx else name
    output = "output" if single else "Σ w·output"
    message = (f"gradcheck: d({output})/d({where}) by backprop = {backprop!r}, "
               f"by central differences = {numeric!r}, "
               f"difference = {backprop - numeric!r} (atol={atol}, rtol={rtol})")
    custom = sorted({n.op for n in topological_order(outputs) if n._op == "function"})
    if custom:
        message += (f"; the graph uses the custom backward of {', '.join(custom)}: check "
                    f"{'it' if len(custom) == 1 else 'them'} first")
    if narrow:
        message += (f"; input(s) {', '.join(map(str, narrow))} are not float64: eps=1e-6 and "
                    f"these tolerances are meant for float64 (as PyTorch's gradcheck says), "
                    f"so a correct function can fail in float32: check in float64 "
                    f"(.double()) or loosen eps/atol/rtol")
    return message
