"""glassgrad's engine: scalar `Value` and NumPy `Tensor` nodes, backprop, and checks.

Note: the import name `autograd` is also used by the unrelated HIPS autograd package; the
project's Makefile installs glassgrad into a private `.venv` so the two never meet.

>>> from autograd import Value
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
>>> c = a * b + a; c.backward()
>>> c.data, a.grad, b.grad
(-4.0, -2.0, 2.0)
"""
from .anomaly import AnomalyError, detect_anomaly
from .differentiate import grad
from .errors import DivisionByZero, DomainError, GradcheckError, Overflow
from .functions import (abs, cos, elu, exp, gelu, leaky_relu, log, maximum, minimum, relu,
                        sigmoid, sin, softplus, sqrt, tanh)
from .gradcheck import gradcheck
from .graph import topological_order
from .mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .scalar_rules import local_derivatives
from .factories import (arange, eye, full, ones, ones_like, rand, randn, tensor, zeros,
                        zeros_like)
from .random import manual_seed
from .tensor_core import Tensor, cat, concatenate, linear, matmul, stack, where
from .value import Value, affine

__version__ = "0.1.0"

__all__ = [
    "Value", "affine", "grad", "gradcheck", "topological_order", "local_derivatives",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "DomainError", "DivisionByZero", "Overflow", "GradcheckError",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "elu", "gelu",
    "softplus", "sin", "cos", "abs", "maximum", "minimum", "__version__",
    "Tensor", "tensor", "zeros", "ones", "full", "randn", "rand", "arange", "eye",
    "zeros_like", "ones_like", "manual_seed", "cat", "concatenate", "stack", "where",
    "matmul", "linear", "detect_anomaly", "AnomalyError",
]
