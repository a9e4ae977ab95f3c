"""dtypes: PyTorch's dtype objects and its type-promotion rules, written down ONCE.

Every dtype a Tensor can have is a `dtype` object (`autograd.float32`, `autograd.long`, ...)
wrapping a NumPy dtype; it compares equal to that NumPy dtype, and NumPy accepts it
anywhere it takes a dtype.

Promotion (`result_type`), as PyTorch does it:

* categories: bool < integer < floating;
* operands are dimensioned tensors, 0-d tensors, or Python numbers ("wrapped numbers": a
  float counts as the default float dtype, an int as int64, a bool as bool);
* a 0-d tensor or a number promotes a dimensioned tensor only when it is of a higher
  category: `float32 + 0-d float64 -> float32`, `uint8 + 100 -> uint8`, `int64 + 2.5 ->
  float32`; within one group, types promote as `promote_types` says (int with float gives
  the float, two ints or two floats the wider).

What each op does with integer or bool inputs is the `INTEGER_INPUTS` table.

>>> import numpy as np
>>> from autograd import float32, float64, int64, uint8
>>> result_type(np.ones(2, np.float32), np.array(1.0))          # 0-d float64: no promotion
autograd.float32
>>> result_type(np.ones(2, np.uint8), 100), result_type(np.ones(2, np.int64), 2.5)
(autograd.uint8, autograd.float32)
>>> float32 == np.float32, np.zeros(2, dtype=float64).dtype
(True, dtype('float64'))
"""
from __future__ import annotations

import builtins
import numbers
from typing import Any, Dict, Optional

import numpy as np


class dtype:
    """A Tensor element type (PyTorch's `torch.dtype`), e.g. `autograd.float32`."""

    __slots__ = ("name", "dtype", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, numpy_dtype: Any) -> None:
        self.name = name
        self.dtype = np.dtype(numpy_dtype)    # `.dtype`: how NumPy reads it, np.dtype(d)
        self.is_floating_point = self.dtype.kind == "f"
        self.is_signed = self.dtype.kind in "if"
        self.itemsize = self.dtype.itemsize

    @property
    def is_complex(self) -> builtins.bool:
        return False

    def __eq__(self, other: Any) -> builtins.bool:
        if isinstance(other, dtype):
            return other.dtype == self.dtype
        try:
            return np.dtype(other) == self.dtype
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __repr__(self) -> str:
        return f"autograd.{self.name}"

    def __reduce__(self) -> str:
        return self.name                       # copy/deepcopy give back the same object


bool_ = dtype("bool", np.bool_)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
# The public names, aliases included (PyTorch's: torch.float is float32, torch.long int64).
NAMES: Dict[str, dtype] = {d.name: d for d in ALL}
NAMES.update(float=float32, double=float64, half=float16, long=int64, int=int32, short=int16)
_OF: Dict[np.dtype, dtype] = {d.dtype: d for d in ALL}
SUPPORTED = frozenset(_OF)
# PyTorch's legacy tensor type names (`x.type()`, `autograd.FloatTensor(...)`).
LEGACY = {float32: "FloatTensor", float64: "DoubleTensor", float16: "HalfTensor",
          int64: "LongTensor", int32: "IntTensor", int16: "ShortTensor", int8: "CharTensor",
          uint8: "ByteTensor", bool_: "BoolTensor"}

_default = float32


def of(numpy_dtype: np.dtype) -> dtype:
    """The dtype object for a NumPy dtype (which must be one glassgrad supports)."""
    try:
        return _OF[numpy_dtype]
    except KeyError:
        raise TypeError(f"unsupported dtype {numpy_dtype}: tensors hold bool, (u)int8, int16, "
                        f"int32, int64, float16, float32 or float64 numbers") from None


def to_numpy(d: Any) -> np.dtype:
    """The NumPy dtype for anything naming a dtype: a dtype object, a NumPy dtype or type, a
    string ('float32'), or Python's float / int / bool (float64 / int64 / bool)."""
    if isinstance(d, dtype):
        return d.dtype
    if isinstance(d, str):
        name = d.split(".")[-1]           # 'float32', 'torch.float64', 'autograd.LongTensor'
        for t, legacy in LEGACY.items():
            if name == legacy:
                return t.dtype
        if name in NAMES:
            return NAMES[name].dtype
    try:
        result = np.dtype(d)
    except TypeError:
        raise TypeError(f"{d!r} is not a dtype (use e.g. autograd.float32)") from None
    of(result)
    return result


def get_default_dtype() -> dtype:
    """The dtype Python floats and float factories get (float32 unless changed)."""
    return _default


def set_default_dtype(d: Any) -> None:
    """Make `d` (float16, float32 or float64) the default float dtype, as PyTorch's."""
    global _default
    chosen = of(to_numpy(d))
    if not chosen.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, "
                        f"got {chosen}")
    _default = chosen


def default_float() -> np.dtype:
    return _default.dtype


# ---- promotion ----

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """The smallest type both fit in (`torch.promote_types`): an integer with a float gives
    the float (NumPy would widen int64 + float32 to float64); otherwise NumPy's rule."""
    if a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb and 2 in (ca, cb):
        return a if ca == 2 else b
    return np.promote_types(a, b)


def _combine(higher: Optional[np.dtype], lower: Optional[np.dtype]) -> Optional[np.dtype]:
    # `higher` is the more important group (dimensioned over 0-d over numbers): a lower
    # group only counts when it brings a higher category.
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def _number_dtype(x: Any) -> np.dtype:
    if isinstance(x, (builtins.bool, np.bool_)):
        return bool_.dtype
    if isinstance(x, numbers.Integral):
        return int64.dtype
    if isinstance(x, numbers.Real):
        return _default.dtype
    raise TypeError(f"unsupported number type {type(x).__name__} (real numbers only)")


def is_number(x: Any) -> builtins.bool:
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, np.ndarray)


def result_type(*operands: Any) -> dtype:
    """The dtype of an op's result (`torch.result_type`): operands are arrays, Tensors or
    Python numbers."""
    dim = zero = wrapped = None
    for x in operands:
        if is_number(x):
            d = _number_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
            continue
        data = getattr(x, "raw_data", x)
        if data.ndim:
            dim = data.dtype if dim is None else promote_types(dim, data.dtype)
        else:
            zero = data.dtype if zero is None else promote_types(zero, data.dtype)
    return _OF[_combine(dim, _combine(zero, wrapped))]


def number_array(x: Any, like: np.dtype) -> np.ndarray:
    """A Python number met beside an array of dtype `like`, as a 0-d array of the result's
    dtype (so the op needs no further promotion). Integers wrap around like PyTorch's
    (`uint8 + 300` gives 44 + ...)."""
    if like.kind == "f" and type(x) is float:          # the common case, decided at once
        return np.asarray(x, dtype=like)
    target = _combine(like, _number_dtype(x))
    if target.kind == "f" or isinstance(x, (builtins.bool, np.bool_)):
        return np.asarray(x, dtype=target)
    try:
        return np.asarray(x).astype(target)
    except OverflowError:
        raise RuntimeError(f"value {x} cannot be converted to type {of(target)} without "
                           f"overflow") from None


# ---- what ops do with integer and bool inputs (PyTorch's behaviour) ----

FLOAT = "float"        # computed in the default float dtype (`int / int`, `exp(int)`)
REFUSED = "refused"    # NotImplementedError, as PyTorch's kernels have no integer version
INT64 = "int64"        # sums of integers and bools are int64
INTEGER_INPUTS = {
    "/": FLOAT, "exp": FLOAT, "log": FLOAT, "sqrt": FLOAT, "sin": FLOAT, "cos": FLOAT,
    "tanh": FLOAT, "sigmoid": FLOAT, "normal_cdf": FLOAT, "logsumexp": FLOAT,
    "softplus": REFUSED, "gelu": REFUSED, "elu": REFUSED, "leaky_relu": REFUSED,
    "softmax": REFUSED, "log_softmax": REFUSED,
    "mean": "mean(): could not infer output dtype. Input dtype must be either a floating "
            "point or complex dtype. Got: {dtype}",
    "var": "std and var only support floating point and complex dtypes (got {dtype})",
    "std": "std and var only support floating point and complex dtypes (got {dtype})",
    "norm": "norm: expected a floating point tensor as input, got {dtype}",
    "sum": INT64,
}
