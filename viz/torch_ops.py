"""PyTorch ops as glassgrad ops: the one table from PyTorch's op names to glassgrad's rules.

A traced op (`viz.trace_torch`) or an autograd node (`viz.draw_torch`) whose PyTorch op *is*
a glassgrad op is drawn with that op's symbol, and when every operand is a number its edges
carry local derivatives from glassgrad's scalar rule table (autograd/scalar_rules.py),
whose conventions at kinks are PyTorch's. Any other op keeps its PyTorch name and its
edges stay unlabelled.

`glassgrad_op(name, args, kwargs)` answers for one call: the glassgrad op, where its
operands are among the call's positional arguments (in the rule's order), and the rule's
parameter; or None when the call is not that op (e.g. `add` with `alpha=2`).

>>> glassgrad_op("mul", ("x", 2), {})
('*', (0, 1), None)
>>> glassgrad_op("rsub", ("x", 1), {})          # 1 - x arrives as x.__rsub__(1)
('-', (1, 0), None)
>>> glassgrad_op("pow", ("x", 2), {})
('**', (0,), 2.0)
>>> glassgrad_op("leaky_relu", ("x",), {"negative_slope": 0.2})
('leaky_relu', (0,), 0.2)
>>> glassgrad_op("add", ("x", "y"), {"alpha": 2}) is None
True
>>> split_name("__iadd__"), split_name("relu_"), split_name("__getitem__")
(('add', True), ('relu', True), ('getitem', False))
>>> function_op("LeakyReluBackward0")
'leaky_relu'
"""
from __future__ import annotations

import numbers
import re
from typing import Any, Callable, Dict, Optional, Tuple

Mapped = Tuple[str, Tuple[int, ...], Any]

# The table. Binary ops take (operand 0, operand 1); `r` names are Python's reflected
# operators (`1 - x` calls x.__rsub__(1)), whose operands come the other way round.
_BINARY = {"add": "+", "sub": "-", "subtract": "-", "mul": "*", "multiply": "*", "div": "/",
           "divide": "/", "true_divide": "/", "truediv": "/", "maximum": "maximum",
           "minimum": "minimum", "binary_cross_entropy": "binary_cross_entropy"}
_REFLECTED = {"radd": "+", "rsub": "-", "rmul": "*", "rdiv": "/", "rtruediv": "/"}
_UNARY = {"neg": "neg", "negative": "neg", "exp": "exp", "log": "log", "sqrt": "sqrt",
          "tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "sin": "sin", "cos": "cos",
          "abs": "abs", "absolute": "abs"}

# Python's augmented assignments (`x += y` calls x.__iadd__(y)) on tensors.
_AUGMENTED = {"add", "sub", "mul", "truediv", "div", "floordiv", "mod", "pow", "matmul", "and",
              "or", "xor", "lshift", "rshift"}

# What makes a binary call *not* the glassgrad op: a parameter the rule does not have.
_DEFAULTS = {"alpha": 1, "rounding_mode": None, "weight": None}


def _param(args: tuple, kwargs: Dict[str, Any], position: int, name: str, default: Any) -> Any:
    if len(args) > position:
        return args[position]
    return kwargs.get(name, default)


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _pow(args: tuple, kwargs: Dict[str, Any]) -> Optional[Mapped]:
    exponent = _param(args, kwargs, 1, "exponent", None)
    if _is_number(exponent):
        return "**", (0,), float(exponent)
    return ("pow", (0, 1), None) if len(args) >= 2 else None


def _with_arg(op: str, position: int, name: str, default: float) -> Callable:
    def spec(args: tuple, kwargs: Dict[str, Any]) -> Optional[Mapped]:
        value = _param(args, kwargs, position, name, default)
        return (op, (0,), float(value)) if _is_number(value) else None
    return spec


def _only_default(op: str, **expected: Any) -> Callable:
    def spec(args: tuple, kwargs: Dict[str, Any]) -> Optional[Mapped]:
        for position, (name, want) in enumerate(expected.items(), start=1):
            if _param(args, kwargs, position, name, want) != want:
                return None
        return op, (0,), None
    return spec


_SPECIAL: Dict[str, Callable] = {
    "pow": _pow,
    "float_power": _pow,
    "rpow": lambda args, kwargs: ("pow", (1, 0), None),
    "square": lambda args, kwargs: ("**", (0,), 2.0),
    "leaky_relu": _with_arg("leaky_relu", 1, "negative_slope", 0.01),
    # SELU and CELU share ELU's autograd node, with other scales.
    "elu": lambda args, kwargs: (None if kwargs.get("scale", 1) != 1
                                 or kwargs.get("input_scale", 1) != 1
                                 else _with_arg("elu", 1, "alpha", 1.0)(args, kwargs)),
    "gelu": _only_default("gelu", approximate="none"),
    "softplus": _only_default("softplus", beta=1, threshold=20),
}


def glassgrad_op(name: str, args: tuple, kwargs: Dict[str, Any]) -> Optional[Mapped]:
    """(glassgrad op, operand positions in `args`, the rule's parameter) or None."""
    if name in _UNARY:
        return _UNARY[name], (0,), None
    if name in _BINARY or name in _REFLECTED:
        if len(args) < 2 or any(kwargs.get(key, default) != default
                                for key, default in _DEFAULTS.items()):
            return None
        return (_BINARY[name], (0, 1), None) if name in _BINARY else \
            (_REFLECTED[name], (1, 0), None)
    special = _SPECIAL.get(name)
    return special(args, kwargs) if special is not None else None


def split_name(name: str) -> Tuple[str, bool]:
    """(base name, in place?) of a PyTorch function name: `add_` and `__iadd__` are `add`
    in place, `__rsub__` is `rsub`, `__getitem__` is `getitem`."""
    if name.startswith("__") and name.endswith("__"):
        core = name[2:-2]
        if core[:1] == "i" and core[1:] in _AUGMENTED:
            return core[1:], True
        return core, False
    if name.endswith("_") and not name.startswith("_"):
        return name[:-1], True
    return name, False


def function_name(func: Any) -> str:
    """The name a traced callable goes by: `mul`, `linear`, `__getitem__`; a property
    read (`x.T`) is named after the property."""
    name = getattr(func, "__name__", None) or type(func).__name__
    if name in ("__get__", "__set__"):
        owner = getattr(func, "__self__", None)
        return getattr(owner, "__name__", name)
    return name


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def function_op(class_name: str) -> str:
    """The op an autograd node class computes the backward of: `MulBackward0` is `mul`,
    `LeakyReluBackward0` is `leaky_relu`, `AccumulateGrad` stays as it is."""
    core = re.sub(r"Backward\d*$", "", class_name)
    if core == class_name:
        return class_name
    return _CAMEL.sub("_", core).lower()
