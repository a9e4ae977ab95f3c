"""Function forms of the ops: `autograd.exp(x)` is `x.exp()`, for a Value, a Tensor or a number.

>>> from autograd import Value, exp, maximum
>>> exp(Value(0.0)).data, maximum(Value(1.0), 2.0).data
(1.0, 2.0)
"""
from __future__ import annotations

from typing import Any

from .value import Value


def _node(x: Any) -> Any:
    # A Tensor (or Value) already has the method; a bare number becomes a constant Value.
    return x if hasattr(x, "_parents") else Value(x)


def _method(name: str):
    def function(x: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(_node(x), name)(*args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"`{name}(x)` is `x.{name}()` (numbers become constant Values)."
    return function


exp = _method("exp")
log = _method("log")
sqrt = _method("sqrt")
tanh = _method("tanh")
sigmoid = _method("sigmoid")
relu = _method("relu")
leaky_relu = _method("leaky_relu")
elu = _method("elu")
gelu = _method("gelu")
softplus = _method("softplus")
sin = _method("sin")
cos = _method("cos")


def abs(x: Any) -> Any:  # noqa: A001 - mirrors the builtin on purpose
    """|x| with abs'(0) = 0 (PyTorch's convention)."""
    return _node(x).abs()


def _pair(a: Any, b: Any) -> tuple:
    # A bare number meets the other operand's kind: maximum(2.0, tensor) is a Tensor op.
    if not hasattr(a, "_parents") and hasattr(b, "_parents"):
        return b, a
    return _node(a), b


def maximum(a: Any, b: Any) -> Any:
    """Elementwise max; on a tie each side gets half the gradient (PyTorch's convention)."""
    x, y = _pair(a, b)
    return x.maximum(y)


def minimum(a: Any, b: Any) -> Any:
    """Elementwise min; on a tie each side gets half the gradient (PyTorch's convention)."""
    x, y = _pair(a, b)
    return x.minimum(y)
