"""Function forms of the ops: `autograd.exp(x)` is `x.exp()`, for a Value, a Tensor or a number;
`autograd.sum(x, dim)` is `x.sum(dim)` for a Tensor (PyTorch's `torch.sum`), and so on.

>>> import autograd
>>> from autograd import Value, exp, maximum
>>> exp(Value(0.0)).data, maximum(Value(1.0), 2.0).data
(1.0, 2.0)
>>> autograd.sum(autograd.tensor([[1, 2], [3, 4]]), 1).tolist()
[3, 7]
"""
from __future__ import annotations

from typing import Any

from .tensor_core import Tensor
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


# ---- Tensor functions (torch.sum(x, dim) is x.sum(dim), ...) ----

def _tensor_method(name: str):
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - torch's name
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                            f"{type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"`{name}(x, ...)` is `x.{name}(...)` for a Tensor x (PyTorch's form)."
    return function


sum = _tensor_method("sum")          # noqa: A001 - torch.sum; not in autograd.__all__
mean = _tensor_method("mean")
max = _tensor_method("max")          # noqa: A001
min = _tensor_method("min")          # noqa: A001
amax = _tensor_method("amax")
amin = _tensor_method("amin")
var = _tensor_method("var")
std = _tensor_method("std")
norm = _tensor_method("norm")
logsumexp = _tensor_method("logsumexp")
softmax = _tensor_method("softmax")
log_softmax = _tensor_method("log_softmax")
argmax = _tensor_method("argmax")
argmin = _tensor_method("argmin")
all = _tensor_method("all")          # noqa: A001
any = _tensor_method("any")          # noqa: A001
clamp = _tensor_method("clamp")
clip = _tensor_method("clamp")
flatten = _tensor_method("flatten")
reshape = _tensor_method("reshape")
squeeze = _tensor_method("squeeze")
unsqueeze = _tensor_method("unsqueeze")
transpose = _tensor_method("transpose")
permute = _tensor_method("permute")
t = _tensor_method("t")
mm = _tensor_method("mm")
bmm = _tensor_method("bmm")
square = _tensor_method("square")
neg = _tensor_method("neg")
numel = _tensor_method("numel")
allclose = _tensor_method("allclose")
equal = _tensor_method("equal")
eq = _tensor_method("eq")
ne = _tensor_method("ne")
gt = _tensor_method("gt")
ge = _tensor_method("ge")
lt = _tensor_method("lt")
le = _tensor_method("le")


def add(input: Any, other: Any, *, alpha: float = 1) -> Any:  # noqa: A002
    """input + alpha * other."""
    return input + (other if alpha == 1 else other * alpha)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Any:  # noqa: A002
    """input - alpha * other."""
    return input - (other if alpha == 1 else other * alpha)


def mul(input: Any, other: Any) -> Any:  # noqa: A002
    return input * other


def div(input: Any, other: Any) -> Any:  # noqa: A002
    return input / other


def pow(input: Any, exponent: Any) -> Any:  # noqa: A001, A002
    return input ** exponent


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:  # noqa: A002
    return input.is_floating_point()
