"""glassgrad's engine: scalar `Value` and NumPy `Tensor` nodes, backprop, and checks.

`import autograd as torch` gives PyTorch's namespace: `torch.nn`, `torch.optim`,
`torch.utils.data`, `torch.autograd.grad`, dtypes (`torch.float32`), factories
(`torch.tensor`, `torch.zeros`, ...) and functions (`torch.sum`, `torch.cat`, ...).

Note: the import name `autograd` is also used by the unrelated HIPS autograd package; the
project's Makefile installs glassgrad into a private `.venv` so the two never meet.

>>> from autograd import Value
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
>>> c = a * b + a; c.backward()
>>> c.data, a.grad, b.grad
(-4.0, -2.0, 2.0)
"""
from typing import Any

from . import namespace as _namespace
from .anomaly import AnomalyError, detect_anomaly
from .devices import device, get_default_device, set_default_device
from .differentiate import grad
from .dtypes import (bool_ as bool, dtype, float16, float32, float64, get_default_dtype,
                     int8, int16, int32, int64, set_default_dtype, uint8)
from .errors import (CheckpointError, DivisionByZero, DomainError, DtypeError, GradcheckError,
                     Overflow, ShapeError)
from .factories import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,
                        HalfTensor, IntTensor, LongTensor, ShortTensor, arange, as_tensor, empty,
                        empty_like, eye, from_numpy, full, full_like, linspace, logspace, ones,
                        ones_like, rand, rand_like, randint, randn, randn_like, randperm,
                        tensor, zeros, zeros_like)
from .functions import (abs, add, all, allclose, amax, amin, any, argmax, argmin, bmm, clamp,
                        clip, cos, div, elu, eq, equal, exp, flatten, ge, gelu, gt,
                        is_floating_point, is_tensor, le, leaky_relu, log, log_softmax,
                        logsumexp, lt, max, maximum, mean, min, minimum, mm, mul, ne, neg,
                        norm, numel, permute, pow, relu, reshape, sigmoid, sin, softmax,
                        softplus, sqrt, square, squeeze, std, sub, sum, t, tanh, transpose,
                        unsqueeze, var)
from .function import Function, FunctionCtx
from .gradcheck import gradcheck
from .graph import topological_order
from .mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .scalar_rules import local_derivatives
from .serialization import load, save
from .size import Size
from .tensor_core import Tensor, cat, concatenate, linear, matmul, stack, where
from .value import Value, affine

# PyTorch's dtype aliases.
float = float32          # noqa: A001
double = float64
half = float16
long = int64
int = int32              # noqa: A001
short = int16

__version__ = "0.1.0"

# `import autograd as torch`: torch.nn, torch.optim, torch.autograd, torch.utils.data, ...
# resolve (on first use) to the very module objects of the packages that provide them.
_namespace.install()


def __getattr__(name: str) -> Any:
    return _namespace.attribute(name)


# `from autograd import *` leaves Python's builtins alone (sum, max, min, all, any, abs, pow,
# bool, int, float stay Python's); reach those as autograd.sum etc.
__all__ = [
    "Value", "affine", "grad", "gradcheck", "topological_order", "local_derivatives",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
    "DomainError", "DivisionByZero", "Overflow", "GradcheckError", "ShapeError",
    "DtypeError", "CheckpointError",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "elu", "gelu",
    "softplus", "sin", "cos", "maximum", "minimum", "__version__",
    "Tensor", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye",
    "zeros_like", "ones_like", "empty_like", "full_like", "arange", "linspace", "logspace",
    "randn", "rand", "randn_like", "rand_like", "randint", "randperm",
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
    "CharTensor", "ByteTensor", "BoolTensor",
    "manual_seed", "seed", "initial_seed", "default_generator", "Generator", "device",
    "set_default_device", "get_default_device",
    "cat", "concatenate", "stack", "where", "matmul", "mm", "bmm", "linear",
    "mean", "amax", "amin", "var", "std", "norm", "logsumexp", "softmax", "log_softmax",
    "argmax", "argmin", "clamp", "clip", "flatten", "reshape", "squeeze", "unsqueeze",
    "transpose", "permute", "t", "square", "neg", "numel", "allclose", "equal", "eq", "ne",
    "gt", "ge", "lt", "le", "add", "sub", "mul", "div", "is_tensor", "is_floating_point",
    "dtype", "float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64",
    "double", "half", "long", "short", "get_default_dtype", "set_default_dtype", "Size",
    "detect_anomaly", "AnomalyError", "save", "load", "Function", "FunctionCtx",
]
