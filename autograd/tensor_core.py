"""`Tensor`: a NumPy array that remembers how it was computed (PyTorch-shaped API).

Every op looks up its NumPy forward and its vector-Jacobian product in ONE table,
`tensor_rules.RULES`; a node stores its parents, the op name and the op's parameter, never a
closure. `backward()` walks the graph once (`topological_order`) and sums each gradient
back to its operand's shape in one place (`unbroadcast`).

>>> from autograd import Tensor
>>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, label="x")
>>> w = Tensor([0.5, -1.0], requires_grad=True, label="w")
>>> loss = (x * w).sum(dim=1).tanh().mean()     # w broadcasts over the rows of x
>>> loss.backward()
>>> w.grad.shape, x.grad.shape
(autograd.Size([2]), autograd.Size([2, 2]))

Deliberate differences from PyTorch (README "Differences from PyTorch" has them all):

* graphs are kept after `backward()` (no `retain_graph` needed; it is accepted and
  ignored), and *every* node keeps its gradient in `.grad` so drawings can show it
  (PyTorch frees both). `retain_grad()` is therefore a no-op. Interior gradients are
  recomputed from zero on each `backward()`; leaves accumulate, as in PyTorch.
* `Tensor(ndarray)` wraps the array without copying and keeps its dtype (like
  `torch.from_numpy`); `autograd.tensor(data)` copies (like `torch.tensor`).
* in-place ops (`+=`, `x[i] = v`, `add_`, ...) are refused on a non-leaf tensor that
  requires grad while grad mode is on (PyTorch re-records them); the version check looks
  at every input of an op, not only the ones PyTorch saves.
* the repr shows `op='*'` where PyTorch shows `grad_fn=<MulBackward0>`.
* `view` never requires contiguity.
"""
from __future__ import annotations

import numbers
import operator
from typing import Any, Iterator, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import dtypes, versions
from .anomaly import check_backward, check_forward
from .collector import graph_work
from .devices import check_device, device
from .errors import DtypeError, ShapeError
from .graph import Node, next_seq, topological_order
from .mode import STATE, THREAD
from .size import Size
from .tensor_convert import Conversions
from .tensor_inplace import InPlace
from .tensor_rules import ARRAY_MATH, RULES, WHOLE, unbroadcast
from .value import Value

_new = object.__new__
_RULES = RULES
_FORWARD = {op: rule.forward for op, rule in RULES.items()}
_NOT_FLOAT = ("Only Tensors of floating point and complex dtype can require gradients")
_MIX = "Tensor and Value don't mix: use Tensor(v.data) for a Value v, or Value(t.item())"
_INT64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)
# Unary ops that need more than their rule's forward, looked up once per op: the ones with
# an integer-input rule (dtypes.INTEGER_INPUTS), and the ones whose result may be a view of
# the operand's memory (it then shares the operand's version counter).
_INTEGER, _VIEW = "integer", "view"
_SPECIAL = dict.fromkeys(dtypes.INTEGER_INPUTS, _INTEGER)
_SPECIAL.update(dict.fromkeys(("reshape", "flatten", "squeeze", "unsqueeze", "transpose",
                               "permute", "expand"), _VIEW))
_CPU = device("cpu")

Shape = Tuple[int, ...]


# ---- turning user data into arrays ----

def _to_array(data: Any, dtype: Any, legacy: bool = False) -> np.ndarray:
    """Python data -> float32/int64/bool like torch.tensor (or, `legacy`, always the default
    float dtype, like the torch.Tensor constructor); an ndarray keeps its dtype."""
    if dtype is not None:
        dtype = dtypes.to_numpy(dtype)
    if isinstance(data, np.ndarray):
        array = data if dtype is None else data.astype(dtype, copy=False)
    elif isinstance(data, np.generic):
        array = np.asarray(data, dtype=dtype)
    elif isinstance(data, Value):
        raise TypeError(_MIX)
    else:
        try:
            array = np.asarray(data)
        except (TypeError, ValueError) as err:
            raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} "
                            f"({err})") from None
        if array.dtype.kind in "biuf":
            if dtype is None and (legacy or array.dtype == np.float64):
                dtype = dtypes.default_float()     # PyTorch's default, not NumPy's float64
            if dtype is not None:
                array = array.astype(dtype, copy=False)
    if array.dtype.kind not in "fiub" or array.dtype not in dtypes.SUPPORTED:
        hint = f"; {_MIX}" if array.dtype == object and any(
            isinstance(v, Value) for v in array.flat) else ""
        raise TypeError(f"Tensor: unsupported dtype {array.dtype} (bool, (u)int8, int16, "
                        f"int32, int64, float16, float32 or float64 only){hint}")
    return array


def _leaf(data: np.ndarray, label: str = "") -> "Tensor":
    """A constant tensor (no grad) around `data`, without __init__'s checks."""
    t = _new(Tensor)
    t._data = data
    t._grad = None
    t.label = label
    t._requires_grad = False
    t._parents = ()
    t._op = ""
    t._arg = None
    t._seq = next_seq()
    t._mark = None
    t._scope = THREAD.recording.scope
    t._version = None
    return t


def _lift(x: Any, like: "Tensor") -> "Tensor":
    """A number or array met in an expression becomes a constant tensor.

    A number gets the dtype the result will have (`x * 2` stays float32, `uint8 + 100`
    uint8: PyTorch's promotion, `dtypes.number_array`).
    """
    if isinstance(x, Tensor):
        return x
    # Python's float and int first: the ABC check below costs more than the op's overhead.
    if type(x) is float or type(x) is int or (isinstance(x, (numbers.Number, np.generic))
                                              and not isinstance(x, Value)):
        return _leaf(dtypes.number_array(x, like._data.dtype))
    if isinstance(x, Value):
        raise TypeError(_MIX)
    if isinstance(x, (np.ndarray, list, tuple)):
        return _leaf(_to_array(x, None))
    raise TypeError(f"unsupported operand type for a Tensor op: {type(x).__name__}")


def _integer_input(op: str, a: np.ndarray) -> np.ndarray:
    """What `op` does with a bool or integer operand (dtypes.INTEGER_INPUTS): compute in
    the default float dtype, sum as int64, or refuse as PyTorch does."""
    rule = dtypes.INTEGER_INPUTS.get(op)
    if rule is None:
        return a
    if rule == dtypes.FLOAT:
        return a.astype(dtypes.default_float())
    if rule == dtypes.INT64:
        return a.astype(np.int64, copy=False)
    name = dtypes.of(a.dtype)
    if rule == dtypes.REFUSED:
        raise NotImplementedError(f"{op}: not implemented for {name} tensors (PyTorch's "
                                  f"kernel is float-only); convert first with .float()")
    raise RuntimeError(rule.format(dtype=name))


# ---- building nodes: the hot path ----

def _make(data: Any, parents: tuple, op: str, arg: Any) -> "Tensor":
    if type(data) is not np.ndarray:
        data = np.asarray(data)  # NumPy returns scalars from 0-d ops; keep arrays
    t = _new(Tensor)
    t._data = data
    t._grad = None
    t.label = ""
    t._arg = arg
    t._seq = next_seq()
    t._mark = None
    state = THREAD.recording
    t._scope = state.scope
    t._version = None
    if state.grad_enabled:
        for p in parents:
            if p._requires_grad:
                t._requires_grad = True
                t._parents = parents
                t._op = op
                break
        else:
            t._requires_grad = False
            t._parents = ()
            t._op = ""
    else:
        t._requires_grad = False
        t._parents = ()
        t._op = ""
    if STATE.anomaly:
        check_forward(op, data, parents)
    return t


def _unary(op: str, a: "Tensor", arg: Any = None) -> "Tensor":
    x = a._data
    special = _SPECIAL.get(op)
    if special is _INTEGER and x.dtype.kind != "f":
        x = _integer_input(op, x)
    try:
        data = _FORWARD[op](x, arg)
    except ValueError as err:
        raise ShapeError(f"{op}: {err} (input shape {tuple(x.shape)})") from None
    t = _make(data, (a,), op, arg)
    if special is _VIEW and _is_view(t._data, x):
        t._version = a._counter()
    return t


def _is_view(out: np.ndarray, x: np.ndarray) -> bool:
    """Whether NumPy made `out` as a view of `x`'s memory (a copy has another base)."""
    base = out.base
    return base is not None and (base is x or base is x.base)


def _binary(op: str, a: Any, b: Any, arg: Any = None) -> "Tensor":
    if not isinstance(a, Tensor):
        a = _lift(a, b)
    if not isinstance(b, Tensor):
        b = _lift(b, a)
    x, y = a._data, b._data
    dtype = x.dtype
    if dtype is not y.dtype or dtype.kind != "f":   # NumPy's builtin dtypes are singletons
        x, y = _promoted(op, x, y)
    try:
        data = _FORWARD[op](x, y, arg)
    except ValueError:
        raise ShapeError(f"{op}: operands of shapes {tuple(x.shape)} and {tuple(y.shape)} "
                         f"cannot be broadcast together") from None
    return _make(data, (a, b), op, arg)


def _promoted(op: str, x: np.ndarray, y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Both operands in the result's dtype (PyTorch's promotion; `int / int` is float)."""
    target = dtypes.result_type(x, y).dtype
    if target.kind != "f" and dtypes.INTEGER_INPUTS.get(op) == dtypes.FLOAT:
        target = dtypes.default_float()
    return x.astype(target, copy=False), y.astype(target, copy=False)


def _nary(op: str, operands: tuple, arg: Any) -> "Tensor":
    arrays = [t._data for t in operands]
    try:
        data = _FORWARD[op](arrays, arg)
    except ValueError as err:
        shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
        raise ShapeError(f"{op}: {err} (input shapes {shapes})") from None
    return _make(data, operands, op, arg)


# ---- argument parsing shared by methods ----

def _dim(d: Any, ndim: int, op: str) -> int:
    """One dim in [-ndim, ndim) as a non-negative int, or IndexError like PyTorch's (a 0-d
    tensor accepts 0 and -1, as in PyTorch)."""
    n = max(ndim, 1)
    try:
        d = operator.index(d)
    except TypeError:
        raise TypeError(f"{op}: dim must be an int, got {type(d).__name__}") from None
    if not -n <= d < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {d})")
    return d % n


def _axes(dim: Any, ndim: int, op: str) -> Optional[Tuple[int, ...]]:
    """Reduction dims as a sorted tuple, or None for all (checked even on a 0-d tensor)."""
    if dim is None:
        return None
    dims = (dim,) if not isinstance(dim, (tuple, list)) else tuple(dim)
    if not dims:  # PyTorch: an empty dim list reduces over everything
        return None
    axes = tuple(sorted(_dim(d, ndim, op) for d in dims))
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{op}: dim {list(dims)} names a dimension twice")
    return axes if ndim else None


def _spelling(op: str, dim: Any, axis: Any, keepdim: bool, keepdims: Any) -> Tuple[Any, bool]:
    """Accept PyTorch's dim/keepdim and NumPy's axis/keepdims."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim and axis (they are the same argument)")
        dim = axis
    return dim, bool(keepdim if keepdims is None else keepdims)


def _shape_args(args: tuple) -> Shape:
    """f(2, 3) and f((2, 3)) both mean shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(operator.index(n) for n in args)


def _index(index: Any) -> Any:
    """Tensors and lists inside an index become ndarrays (bool or integer)."""
    if type(index) is tuple:
        return tuple(_index_item(i) for i in index)
    return _index_item(index)


def _index_item(i: Any) -> Any:
    if isinstance(i, Tensor):
        i = i._data
    elif isinstance(i, list):
        i = np.asarray(i) if i else np.zeros(0, dtype=np.intp)  # x[[]]: empty, as PyTorch
    elif isinstance(i, Value):
        raise TypeError(f"index: {_MIX}")
    if isinstance(i, np.ndarray) and i.dtype.kind not in "iub":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return i


def _raw(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, Value):
        raise TypeError(_MIX)
    return x


class ValuesIndices(NamedTuple):
    """What `max(dim)` / `min(dim)` return, like torch.return_types.max."""
    values: "Tensor"
    indices: "Tensor"


class Tensor(Conversions, InPlace, Node):
    """An n-dimensional array node of the computational graph.

    What users see is PyTorch's API: `.data` and `.grad` are Tensors (`.data` a detached
    alias of the same memory, `.grad` None or a Tensor sharing the gradient's memory), and
    `.numpy()` is the way to an array. The engine, the optimizers and `viz` read the raw
    arrays through the node protocol's `raw_data` / `raw_grad` (see autograd/graph.py).

    The constructor follows `torch.Tensor`: Python data becomes the default float dtype
    (`Tensor([0, 1])` is float32; `autograd.tensor([0, 1])` infers int64), ints alone are
    a shape (`Tensor(2, 3)`, zeros), an ndarray is wrapped as it is (no copy, its dtype).
    """

    __slots__ = ("_data", "_grad", "label", "_requires_grad", "_op", "_parents", "_arg",
                 "_seq", "_scope", "_mark", "_version", "__weakref__")
    # Hashable by identity although == is elementwise (graph walks put nodes in sets).
    __hash__ = object.__hash__
    # `ndarray (op) Tensor` defers to Tensor's reflected operator (so the graph is recorded);
    # a NumPy function applied to a Tensor reads it through __array__ and __array_wrap__
    # turns the result back into a (constant) Tensor, as with PyTorch's CPU tensors.
    __array_priority__ = 1000

    def __init__(self, *data: Any, requires_grad: bool = False, dtype: Any = None,
                 device: Any = None, label: str = "") -> None:
        check_device(device)
        if not data:
            data = ([],)
        if all(type(n) is int for n in data):
            array = np.zeros(data, dtype=dtypes.to_numpy(dtype or dtypes.get_default_dtype()))
        elif len(data) == 1:
            source = data[0]
            array = (source._data if isinstance(source, Tensor) else
                     _to_array(source, dtype, legacy=True))
            if dtype is not None:
                array = array.astype(dtypes.to_numpy(dtype), copy=False)
        else:
            raise TypeError(f"Tensor(): give one piece of data or the sizes as ints, got "
                            f"{len(data)} arguments")
        self._data = array
        self._grad: Optional[np.ndarray] = None
        self.label = label
        self._requires_grad = False
        self._parents: tuple = ()
        self._op = ""
        self._arg: Any = None
        self._seq = next_seq()
        self._mark = None
        self._scope = THREAD.recording.scope
        self._version: Optional[versions.VersionCounter] = None
        if requires_grad:
            self.requires_grad = True

    # ---- .data and .grad: Tensors sharing the raw arrays (PyTorch's API) ----
    @property
    def data(self) -> "Tensor":
        """A detached alias of this tensor's memory with its own version counter: changing
        it in place changes `self` without recording anything or tripping backward's
        in-place check (PyTorch's escape hatch, e.g. `w.data.normal_(0, 0.02)`)."""
        return _leaf(self._data, self.label)

    @data.setter
    def data(self, new: "Tensor") -> None:
        if not isinstance(new, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(new).__name__}"
                            f" (wrap an array with autograd.from_numpy)")
        self._data = new._data

    @property
    def grad(self) -> Optional["Tensor"]:
        """None until a backward pass reaches this tensor, then a Tensor sharing the
        gradient's memory (so `p.grad.zero_()` clears it)."""
        g = self._grad
        return None if g is None else _leaf(g)

    @grad.setter
    def grad(self, new: Optional["Tensor"]) -> None:
        if new is None:
            self._grad = None
            return
        if not isinstance(new, Tensor):
            raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                            f"type {type(new).__name__}")
        g = new._data
        if g.shape != self._data.shape:
            raise RuntimeError(f"attempting to assign a gradient of size {list(g.shape)} to a "
                               f"tensor of size {list(self._data.shape)}. Please ensure that "
                               f"the gradient and the tensor are the same size")
        if g.dtype != self._data.dtype:
            raise RuntimeError(f"attempting to assign a gradient with dtype {g.dtype} to a "
                               f"tensor of dtype {self._data.dtype}")
        self._grad = g

    # ---- the node protocol and metadata ----
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        flag = bool(flag)
        if flag and self._data.dtype.kind not in "fc":
            raise RuntimeError(_NOT_FLOAT)
        if not flag and self._parents:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                               "Use var.detach() for a copy that needs no gradient.")
        self._requires_grad = flag

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self) -> Optional[str]:
        """The op that made this tensor (None for a leaf); PyTorch returns a node object,
        glassgrad the op's name (`'*'`, `'linear'`, ...), which is what a drawing shows."""
        return self.op if self._parents else None

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.of(self._data.dtype)

    @property
    def device(self) -> device:
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def _version_number(self) -> int:
        counter = self._version
        return 0 if counter is None else counter.version

    def _counter(self) -> versions.VersionCounter:
        """This tensor's version counter, made on first use (views share it)."""
        counter = self._version
        if counter is None:
            counter = self._version = versions.VersionCounter()
        return counter

    def _bump_version(self) -> None:
        """Record an in-place write (optimizers and nn code that write the raw array)."""
        counter = self._version         # _counter() inlined: an optimizer calls this a lot
        if counter is None:
            counter = self._version = versions.VersionCounter()
        counter.bump()

    def size(self, dim: Optional[int] = None) -> Union[Size, int]:
        """The shape (PyTorch's `size()`), or one dimension's length. `numel()` counts."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_dim(dim, self._data.ndim, "size")]

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def dim(self) -> int:
        return self._data.ndim

    def item(self) -> Union[float, int, bool]:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               f"to Scalar")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied), as PyTorch's `numpy()`."""
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if copy:
            return np.array(self._data, dtype=dtype, copy=True)
        return np.asarray(self._data, dtype=dtype)

    def __array_wrap__(self, array: np.ndarray, context: Any = None,
                       return_scalar: bool = False) -> "Tensor":
        return _leaf(np.asarray(array))

    # DLPack: `torch.tensor(t)` / `torch.from_dlpack(t)` read a glassgrad tensor directly.
    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> Any:
        return self._data.__dlpack_device__()

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.item())

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (`f"{loss:.4f}"`), as in PyTorch."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)

    def __repr__(self) -> str:
        data = self._data
        options: dict = {"separator": ", ", "prefix": "tensor("}
        if data.dtype.kind == "f" and data.size:
            finite = data[np.isfinite(data)]
            if not np.array_equal(finite, np.round(finite)):
                options.update(precision=4, floatmode="fixed")
        text = np.array2string(data, **options)
        extras = []
        if data.dtype not in (dtypes.default_float(), _INT64, _BOOL):   # PyTorch's rule
            extras.append(f"dtype={dtypes.of(data.dtype)}")
        if self._parents:
            extras.append(f"op='{self.op}'")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({', '.join([text] + extras)})"

    # ---- arithmetic (tensor or number on either side, NumPy broadcasting) ----
    def __add__(self, other: Any) -> "Tensor":
        return _binary("+", self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _binary("+", other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return _binary("-", self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _binary("-", other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return _binary("*", self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _binary("*", other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return _binary("/", self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _binary("/", other, self)

    def __pow__(self, other: Any) -> "Tensor":
        if isinstance(other, (numbers.Real, np.integer, np.floating)) and \
                not isinstance(other, (bool, Value)):
            k = other.item() if isinstance(other, np.generic) else other
            base = self
            if self._data.dtype.kind != "f":
                if isinstance(k, int) and k < 0:
                    raise RuntimeError("Integers to negative integer powers are not allowed.")
                base = self.to(dtypes.result_type(self._data, k))  # int ** 0.5 is float
            return _unary("**", base, k)
        return _binary("pow", self, other)

    def __rpow__(self, other: Any) -> "Tensor":
        return _binary("pow", other, self)

    def __matmul__(self, other: Any) -> "Tensor":
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return matmul(_lift(other, self), self)

    def __neg__(self) -> "Tensor":
        return _unary("neg", self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return _unary("abs", self)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    true_divide = __truediv__
    pow = __pow__
    neg = __neg__
    negative = __neg__

    def matmul(self, other: Any) -> "Tensor":
        return matmul(self, other)

    def mm(self, other: Any) -> "Tensor":
        """Matrix product of two 2-D tensors (PyTorch's `mm`; `matmul` broadcasts)."""
        _require_dims("mm", (self, other), (2,))
        return matmul(self, other)

    def bmm(self, other: Any) -> "Tensor":
        """Batched matrix product of two 3-D tensors (b, n, m) @ (b, m, p)."""
        _require_dims("bmm", (self, other), (3,))
        if self._data.shape[0] != other.shape[0]:
            raise ShapeError(f"bmm: batch1 and batch2 must have the same batch size, got "
                             f"{self._data.shape[0]} and {other.shape[0]}")
        return matmul(self, other)

    def square(self) -> "Tensor":
        return self * self

    # Comparisons are elementwise and give boolean tensors outside the graph.
    def _compare(self, fn: Any, other: Any) -> Any:
        if isinstance(other, Value):
            raise TypeError(_MIX)
        if not isinstance(other, (Tensor, np.ndarray, numbers.Number, np.generic, list)):
            return NotImplemented
        return _leaf(np.asarray(fn(self._data, _raw(other))))

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(np.not_equal, other)

    def __lt__(self, other: Any) -> Any:
        return self._compare(np.less, other)

    def __le__(self, other: Any) -> Any:
        return self._compare(np.less_equal, other)

    def __gt__(self, other: Any) -> Any:
        return self._compare(np.greater, other)

    def __ge__(self, other: Any) -> Any:
        return self._compare(np.greater_equal, other)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    def equal(self, other: "Tensor") -> bool:
        """True when both have the same shape and elements (PyTorch's `torch.equal`)."""
        other = _raw(other)
        return self._data.shape == np.shape(other) and bool(np.array_equal(self._data, other))

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        """|self - other| <= atol + rtol |other| everywhere (broadcasting), as a bool."""
        return bool(np.allclose(self._data, _raw(other), rtol=rtol, atol=atol,
                                equal_nan=equal_nan))

    # Bitwise/logical operators: bool and integer tensors only, results outside the graph.
    def _bitwise(self, fn: Any, other: Any, name: str) -> "Tensor":
        operands = (self._data,) if other is None else (self._data, _raw(other))
        for x in operands:
            kind = np.asarray(x).dtype.kind
            if kind not in "biu":
                raise RuntimeError(f'"{name}" not implemented for {np.asarray(x).dtype} '
                                   f'tensors (bool and integer tensors only)')
        return _leaf(np.asarray(fn(*operands)))

    def __invert__(self) -> "Tensor":
        return self._bitwise(np.invert, None, "~")

    def __and__(self, other: Any) -> "Tensor":
        return self._bitwise(np.bitwise_and, other, "&")

    def __or__(self, other: Any) -> "Tensor":
        return self._bitwise(np.bitwise_or, other, "|")

    def __xor__(self, other: Any) -> "Tensor":
        return self._bitwise(np.bitwise_xor, other, "^")

    __rand__ = __and__
    __ror__ = __or__
    __rxor__ = __xor__

    # ---- elementwise functions ----
    def exp(self) -> "Tensor":
        return _unary("exp", self)

    def log(self) -> "Tensor":
        return _unary("log", self)

    def sqrt(self) -> "Tensor":
        return _unary("sqrt", self)

    def tanh(self) -> "Tensor":
        return _unary("tanh", self)

    def sigmoid(self) -> "Tensor":
        return _unary("sigmoid", self)

    def relu(self) -> "Tensor":
        return _unary("relu", self)

    def leaky_relu(self, negative_slope: float = 0.01, *, alpha: Optional[float] = None
                   ) -> "Tensor":
        """`alpha` is accepted too, the name `Value.leaky_relu` uses."""
        return _unary("leaky_relu", self, float(negative_slope if alpha is None else alpha))

    def elu(self, alpha: float = 1.0) -> "Tensor":
        return _unary("elu", self, float(alpha))

    def gelu(self) -> "Tensor":
        """x Φ(x) with the exact normal CDF (PyTorch's default, approximate='none')."""
        return _unary("gelu", self)

    def normal_cdf(self) -> "Tensor":
        return _unary("normal_cdf", self)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> "Tensor":
        return _unary("softplus", self, (float(beta), float(threshold)))

    def abs(self) -> "Tensor":
        return _unary("abs", self)

    def sin(self) -> "Tensor":
        return _unary("sin", self)

    def cos(self) -> "Tensor":
        return _unary("cos", self)

    def clamp(self, min: Optional[float] = None,  # noqa: A002 - PyTorch's argument names
              max: Optional[float] = None) -> "Tensor":  # noqa: A002
        """Limit to [min, max]; the gradient is 1 inside, boundaries included (PyTorch)."""
        if min is None and max is None:
            raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
        bounds = [b for b in (min, max) if b is not None]
        for bound in bounds:
            if not isinstance(bound, (numbers.Real, np.generic)):
                raise TypeError(f"clamp: min and max must be numbers, got "
                                f"{type(bound).__name__}; use maximum/minimum for tensors")
        target = dtypes.result_type(self._data, *bounds)   # an int tensor with 0.5: float
        return _unary("clamp", self.to(target), (min, max))

    clip = clamp

    def maximum(self, other: Any) -> "Tensor":
        return _binary("maximum", self, other)

    def minimum(self, other: Any) -> "Tensor":
        return _binary("minimum", self, other)

    def masked_fill(self, mask: Any, value: float) -> "Tensor":
        return where(mask, value, self)

    # ---- reductions (dim/keepdim or axis/keepdims) ----
    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
            axis: Any = None, keepdims: Optional[bool] = None) -> "Tensor":
        """Sum over `dim` (all dims by default); integer and bool tensors sum as int64."""
        dim, keep = _spelling("sum", dim, axis, keepdim, keepdims)
        source = self if dtype is None else self.to(dtype)
        return _unary("sum", source, (_axes(dim, self._data.ndim, "sum"), keep))

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
             axis: Any = None, keepdims: Optional[bool] = None) -> "Tensor":
        """Mean over `dim`; float tensors only (PyTorch refuses integers: pass dtype=)."""
        dim, keep = _spelling("mean", dim, axis, keepdim, keepdims)
        source = self if dtype is None else self.to(dtype)
        return _unary("mean", source, (_axes(dim, self._data.ndim, "mean"), keep))

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False,
             dtype: Any = None) -> "Tensor":
        """The p-norm over `dim` (all elements by default): p = 2 ('fro'), 1, inf, -inf, 0
        or any positive number. The gradient at a zero norm is 0, as in PyTorch.

        >>> Tensor([3.0, 4.0]).norm().item(), Tensor([3.0, -4.0]).norm(1).item()
        (5.0, 7.0)
        """
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind != "f":
            _integer_input("norm", x._data)
        p = 2.0 if p == "fro" else p
        if not isinstance(p, (numbers.Real, np.generic)) or isinstance(p, bool) or p < 0 \
                and p != -np.inf:
            raise ValueError(f"norm: p must be 'fro', inf, -inf or a number >= 0, got {p!r}")
        if dim is None:
            dim = tuple(range(x._data.ndim))
        if np.isinf(p):
            return x.abs().amax(dim, keepdim) if p > 0 else x.abs().amin(dim, keepdim)
        if p == 0:
            return (x != 0).to(x.dtype).sum(dim, keepdim)
        if p == 1:
            return x.abs().sum(dim, keepdim)
        total = (x * x if p == 2 else x.abs() ** p).sum(dim, keepdim)
        # sqrt'(0) is infinite: route a zero total around the root, so its gradient is 0.
        zero = total._data == 0
        safe = where(zero, 1.0, total)
        return where(zero, 0.0, safe.sqrt() if p == 2 else safe ** (1.0 / p))

    def _extreme(self, op: str, dim: Any, keepdim: bool, axis: Any, keepdims: Any) -> Any:
        if isinstance(dim, Tensor):  # x.max(other) is maximum, as in PyTorch
            return _binary("maximum" if op == "max" else "minimum", self, dim)
        dim, keep = _spelling(op, dim, axis, keepdim, keepdims)
        if dim is None:
            return _unary(op, self, (None, keep, op == "max", WHOLE))
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"{op}: dim must be one int; use a{op}(dim) for several dims")
        d = _dim(dim, self._data.ndim, op)
        if self._data.ndim == 0:
            return ValuesIndices(_unary(op, self, (None, keep, op == "max", WHOLE)),
                                 _leaf(np.zeros((), dtype=np.int64)))
        pick = np.argmax if op == "max" else np.argmin
        index = pick(self._data, axis=d, keepdims=True)
        values = _unary(op, self, ((d,), keep, op == "max", index))
        return ValuesIndices(values, _leaf(index if keep else index.squeeze(d)))

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Optional[bool] = None) -> Any:
        """Full max (ties split evenly) or, with one dim, `(values, indices)` like PyTorch:
        then the whole gradient goes to the returned index (the first maximum).

        >>> x = Tensor([[1.0, 3.0], [4.0, 2.0]], requires_grad=True)
        >>> values, indices = x.max(dim=1); values.tolist(), indices.tolist()
        ([3.0, 4.0], [1, 0])
        """
        return self._extreme("max", dim, keepdim, axis, keepdims)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Optional[bool] = None) -> Any:
        return self._extreme("min", dim, keepdim, axis, keepdims)

    def amax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: Optional[bool] = None) -> "Tensor":
        """Max over any dims; tied elements share the gradient evenly."""
        dim, keep = _spelling("amax", dim, axis, keepdim, keepdims)
        return _unary("max", self, (_axes(dim, self._data.ndim, "amax"), keep, True, None))

    def amin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: Optional[bool] = None) -> "Tensor":
        dim, keep = _spelling("amin", dim, axis, keepdim, keepdims)
        return _unary("min", self, (_axes(dim, self._data.ndim, "amin"), keep, False, None))

    def _spread(self, op: str, dim: Any, unbiased: Any, keepdim: bool, correction: Any,
                axis: Any, keepdims: Any) -> "Tensor":
        if correction is None:
            correction = 1 if unbiased is None else int(bool(unbiased))
        elif unbiased is not None:
            raise TypeError(f"{op}: give unbiased or correction, not both")
        dim, keep = _spelling(op, dim, axis, keepdim, keepdims)
        return _unary(op, self, (_axes(dim, self._data.ndim, op), keep, correction))

    def var(self, dim: Any = None, unbiased: Optional[bool] = None, keepdim: bool = False, *,
            correction: Optional[float] = None, axis: Any = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        """Variance with PyTorch's default correction=1 (NumPy's default is ddof=0)."""
        return self._spread("var", dim, unbiased, keepdim, correction, axis, keepdims)

    def std(self, dim: Any = None, unbiased: Optional[bool] = None, keepdim: bool = False, *,
            correction: Optional[float] = None, axis: Any = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        """Standard deviation with PyTorch's default correction=1."""
        return self._spread("std", dim, unbiased, keepdim, correction, axis, keepdims)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> "Tensor":
        """log Σ exp(x) over `dim`, computed after subtracting the max (stable)."""
        return _unary("logsumexp", self, (_axes(dim, self._data.ndim, "logsumexp"),
                                          bool(keepdim)))

    def softmax(self, dim: int) -> "Tensor":
        return _unary("softmax", self, _dim(dim, self._data.ndim, "softmax"))

    def log_softmax(self, dim: int) -> "Tensor":
        return _unary("log_softmax", self, _dim(dim, self._data.ndim, "log_softmax"))

    def all(self, dim: Optional[int] = None, keepdim: bool = False) -> "Tensor":
        """True where every element (along `dim`) is non-zero; a boolean constant."""
        axes = _axes(dim, self._data.ndim, "all")
        return _leaf(np.asarray(np.all(self._data, axis=axes, keepdims=keepdim)))

    def any(self, dim: Optional[int] = None, keepdim: bool = False) -> "Tensor":
        axes = _axes(dim, self._data.ndim, "any")
        return _leaf(np.asarray(np.any(self._data, axis=axes, keepdims=keepdim)))

    def argmax(self, dim: Optional[int] = None, keepdim: bool = False) -> "Tensor":
        if dim is None:
            return _leaf(np.asarray(np.argmax(self._data)))
        d = _dim(dim, self._data.ndim, "argmax")
        return _leaf(np.argmax(self._data, axis=d, keepdims=keepdim))

    def argmin(self, dim: Optional[int] = None, keepdim: bool = False) -> "Tensor":
        if dim is None:
            return _leaf(np.asarray(np.argmin(self._data)))
        d = _dim(dim, self._data.ndim, "argmin")
        return _leaf(np.argmin(self._data, axis=d, keepdims=keepdim))

    # ---- shapes ----
    def reshape(self, *shape: Any) -> "Tensor":
        return _unary("reshape", self, _shape_args(shape))

    view = reshape

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    reshape_as = view_as

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    def contiguous(self) -> "Tensor":
        """The tensor itself: glassgrad's views never need contiguous memory."""
        return self

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def t(self) -> "Tensor":
        """The transpose of a 2-D tensor (0-d and 1-D tensors come back as they are)."""
        if self._data.ndim > 2:
            raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                             f"{self._data.ndim}D")
        return self.T

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        shape = self._data.shape
        if not shape:
            return _unary("flatten", self, (1,))
        s = _dim(start_dim, len(shape), "flatten")
        e = _dim(end_dim, len(shape), "flatten")
        if s > e:
            raise ShapeError("flatten: start_dim cannot come after end_dim")
        merged = int(np.prod(shape[s:e + 1]))
        return _unary("flatten", self, shape[:s] + (merged,) + shape[e + 1:])

    def squeeze(self, dim: Any = None) -> "Tensor":
        shape = self._data.shape
        axes = range(len(shape)) if dim is None else _axes(dim, len(shape), "squeeze") or ()
        drop = {i for i in axes if shape[i] == 1}  # like PyTorch, a dim > 1 stays (no error)
        return _unary("squeeze", self, tuple(n for i, n in enumerate(shape) if i not in drop))

    def unsqueeze(self, dim: int) -> "Tensor":
        shape = self._data.shape
        d = _dim(dim, len(shape) + 1, "unsqueeze")
        return _unary("unsqueeze", self, shape[:d] + (1,) + shape[d:])

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        n = self._data.ndim
        return _unary("transpose", self, (_dim(dim0, n, "transpose"), _dim(dim1, n, "transpose")))

    swapaxes = transpose

    def permute(self, *dims: Any) -> "Tensor":
        axes = tuple(_dim(d, self._data.ndim, "permute") for d in _shape_args(dims))
        if sorted(axes) != list(range(self._data.ndim)):
            raise ShapeError(f"permute: dims {axes} are not a permutation of the "
                             f"{self._data.ndim} dims of shape {self._data.shape}")
        return _unary("permute", self, axes)

    @property
    def T(self) -> "Tensor":
        """All dims reversed (a 0-d or 1-D tensor is returned as is)."""
        if self._data.ndim < 2:
            return self
        return _unary("permute", self, tuple(range(self._data.ndim))[::-1])

    @property
    def mT(self) -> "Tensor":
        """The last two dims swapped (batched matrix transpose)."""
        if self._data.ndim < 2:
            raise ShapeError(f"mT: needs at least 2 dims, got shape {self._data.shape}")
        return self.transpose(-2, -1)

    def expand(self, *sizes: Any) -> "Tensor":
        """A broadcast view to `sizes` (-1 keeps a dim); no data is copied."""
        sizes = _shape_args(sizes)
        shape = self._data.shape
        lead = len(sizes) - len(shape)
        if lead < 0:
            raise ShapeError(f"expand: the shape {sizes} has fewer dims than the tensor's "
                             f"shape {shape}")
        target = list(sizes)
        for i, n in enumerate(shape):
            want = sizes[lead + i]
            if want == -1:
                target[lead + i] = n
            elif n != 1 and n != want:
                raise ShapeError(f"expand: the tensor's shape {shape} cannot be expanded to "
                                 f"{sizes} (dim {lead + i}: {n} vs {want})")
        if any(n < 0 for n in target[:lead]):
            raise ShapeError(f"expand: -1 is not allowed for a new leading dim ({sizes})")
        return _unary("expand", self, tuple(target))

    broadcast_to = expand

    def __getitem__(self, index: Any) -> "Tensor":
        index = _index(index)
        try:
            data = self._data[index]
        except IndexError as err:
            raise IndexError(f"getitem: {err} (tensor shape {self._data.shape})") from None
        t = _make(data, (self,), "getitem", index)
        if _is_view(t._data, self._data):
            t._version = self._counter()          # a basic index is a view: one counter
        return t

    # ---- graph ----
    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data (storage) and version counter: gradients
        stop here."""
        t = _leaf(self._data, self.label)
        t._version = self._counter()
        return t

    def __deepcopy__(self, memo: dict) -> "Tensor":
        """A leaf with copies of the data and gradient (same class: a Parameter stays one)."""
        if self._parents:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol; detach() it first")
        t = _leaf(self._data.copy(), self.label)
        t.__class__ = type(self)
        t._grad = None if self._grad is None else self._grad.copy()
        t._requires_grad = self._requires_grad
        memo[id(self)] = t
        return t

    def clone(self) -> "Tensor":
        """A copy of the data that stays in the graph (gradient passes straight through)."""
        return _unary("clone", self)

    def retain_grad(self) -> None:
        """A no-op: glassgrad keeps every node's gradient (PyTorch keeps only leaves')."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")

    # ---- backpropagation ----
    def backward(self, gradient: Any = None, retain_graph: Optional[bool] = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` that requires grad.

        A non-scalar output needs `gradient` (same shape): the result is then the
        vector-Jacobian product. The graph is kept, so backward can run again (leaves
        accumulate; interior nodes are recomputed from zero and keep their gradient for
        drawings). `retain_graph` is accepted for PyTorch code and ignored.
        """
        if not self._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have "
                               "a grad_fn")
        seed = self._seed_gradient(gradient, False)
        # The sweep allocates small tuples and lists but never a cycle: no GC scans. Like
        # PyTorch, an inf or nan gradient flows silently (detect_anomaly raises).
        with graph_work(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            self._backprop(seed)

    def _backprop(self, seed: np.ndarray) -> None:
        if not self._parents:  # backward on a leaf: d(self)/d(self) = 1
            self._grad = seed if self._grad is None else self._grad + seed
            return
        order = topological_order(self)
        for node in order:
            if node._parents:
                node._grad = None
        self._grad = seed
        last_write = versions.CLOCK.last   # no in-place write since a node's birth: fine
        for node in reversed(order):
            if not node._parents:
                continue
            g = node._grad
            if g is None:
                continue
            if last_write > node._seq:
                versions.check(node)
            for p, c in zip(node._parents, node._contributions(g, False)):
                if c is None:
                    continue
                if p._grad is None:
                    if not p._parents and (c is g or type(c) is not np.ndarray
                                           or c.base is not None):
                        c = np.array(c)  # a leaf's .grad owns its memory (views are copied)
                    p._grad = c
                else:
                    p._grad = p._grad + c  # out of place: never writes into a shared array

    # ---- hooks used by autograd.grad (shared with Value) ----
    def _seed_gradient(self, seed: Any, create_graph: bool) -> Any:
        if seed is None:
            if self._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            ones = np.ones(self._data.shape, dtype=self._data.dtype)
            return _leaf(ones) if create_graph else ones
        if isinstance(seed, Value):
            raise TypeError(_MIX)
        array = seed._data if isinstance(seed, Tensor) else np.asarray(seed)
        if array.shape != self._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output has a shape of {array.shape} "
                               f"and output has a shape of {self._data.shape}")
        if create_graph:
            return seed if isinstance(seed, Tensor) else _leaf(array.astype(self._data.dtype))
        return np.array(array, dtype=self._data.dtype)  # a copy the sweep may own

    def _vjp(self, g: Any, create_graph: bool) -> list:
        """The gradient contribution to each parent (None where none is needed), already
        summed to the parent's shape and cast to its dtype."""
        if versions.CLOCK.last > self._seq:
            versions.check(self)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._contributions(g, create_graph)

    def _contributions(self, g: Any, create_graph: bool) -> list:
        # _vjp without the errstate (backward() sets it once for the whole sweep). The
        # hot path of every backward: one pass, no per-parent re-lookups.
        parents = self._parents
        rule = _RULES[self._op]
        need = [p._requires_grad for p in parents]
        if create_graph:
            math, out, ops = TENSOR_MATH, self, parents
        else:
            math, out, ops = ARRAY_MATH, self._data, [p._data for p in parents]
        arity = rule.arity
        if arity == 1:
            grads: Sequence[Any] = (rule.vjp(math, g, out, ops[0], self._arg),)
        elif arity == 2:
            grads = rule.vjp(math, g, out, ops[0], ops[1], self._arg, need)
        else:
            grads = rule.vjp(math, g, out, ops, self._arg, need)
        anomaly = STATE.anomaly
        result = [None] * len(parents)
        i = 0
        for c in grads:
            if c is not None and need[i]:
                data = parents[i]._data
                if c.shape != data.shape:
                    c = unbroadcast(c, data.shape)
                dtype = data.dtype
                if c.dtype is not dtype and c.dtype != dtype:
                    c = math.cast(c, dtype)
                if anomaly:
                    check_backward(self, i, c)
                result[i] = c
            i += 1
        return result

    def _wrap_gradient(self, g: Any, create_graph: bool) -> "Tensor":
        if isinstance(g, Tensor):
            return g
        if type(g) is not np.ndarray or g.base is not None:
            g = np.array(g)
        return _leaf(g)


# The node protocol's number accessors (graph.py) read the slots directly, at C speed.
Tensor.raw_data = Tensor._data
Tensor.raw_grad = Tensor._grad


# ---- the Tensor backend of the VJP rules (for create_graph=True) ----

class TENSOR_MATH:
    """Same names as `tensor_rules.ARRAY_MATH`, built from Tensor ops, so a VJP evaluated
    on Tensors records a graph that can be differentiated again."""

    raw = staticmethod(lambda t: t._data if isinstance(t, Tensor) else t)
    exp = staticmethod(Tensor.exp)
    log = staticmethod(Tensor.log)
    sin = staticmethod(Tensor.sin)
    cos = staticmethod(Tensor.cos)
    sigmoid = staticmethod(Tensor.sigmoid)
    normal_cdf = staticmethod(Tensor.normal_cdf)
    mask = staticmethod(lambda g, m: where(m, g, 0.0))
    where = staticmethod(lambda cond, x, y: where(cond, x, y))
    expand = staticmethod(lambda t, shape: _unary("expand", t, tuple(shape)))
    permute = staticmethod(lambda t, axes: _unary("permute", t, tuple(axes)))
    scatter = staticmethod(lambda g, index, shape: _unary("scatter_add", g, (index, shape)))
    cast = staticmethod(lambda t, dtype: _unary("cast", t, np.dtype(dtype)))


# ---- functions over several tensors ----

def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules: 1-D, 2-D and batched (batch dims broadcast)."""
    if not isinstance(a, Tensor):
        a = _lift(a, b)
    if not isinstance(b, Tensor):
        b = _lift(b, a)
    sa, sb = a._data.shape, b._data.shape
    if not sa or not sb:
        raise ShapeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                         f"{sa} and {sb}")
    inner_b = sb[-2] if len(sb) > 1 else sb[0]
    if sa[-1] != inner_b:
        raise ShapeError(f"matmul: shapes {sa} and {sb} cannot be multiplied "
                         f"({sa[-1]} != {inner_b})")
    if a._data.dtype != b._data.dtype:
        raise DtypeError(f"matmul: expected both operands to have the same dtype, got "
                         f"{a.dtype} and {b.dtype} (PyTorch does not promote here either); "
                         f"convert one, e.g. with .float() or .double()")
    return _binary("matmul", a, b)


def _require_dims(op: str, operands: Sequence[Any], ndims: Sequence[int]) -> None:
    for t in operands:
        if not isinstance(t, Tensor) or t.ndim not in ndims:
            got = f"{t.ndim}-D" if isinstance(t, Tensor) else type(t).__name__
            raise ShapeError(f"{op}: expected {' or '.join(map(str, ndims))}-D tensors, "
                             f"got {got}")


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """x @ weight.T + bias as ONE node (PyTorch's F.linear); weight is (out, in).

    Same numbers as the three-op graph, one node in drawings, and no transposed copy.

    >>> import numpy as np
    >>> x = Tensor(np.ones((4, 3)))
    >>> w = Tensor(np.full((2, 3), 0.5), requires_grad=True); b = Tensor(np.zeros(2), requires_grad=True)
    >>> y = linear(x, w, b); y.shape, y.op
    (autograd.Size([4, 2]), 'linear')
    >>> y.sum().backward(); w.grad.tolist(), b.grad.tolist()
    ([[4.0, 4.0, 4.0], [4.0, 4.0, 4.0]], [4.0, 4.0])
    """
    ws = weight._data.shape
    if len(ws) != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{ws}")
    if not isinstance(x, Tensor):
        x = _lift(x, weight)
    xs = x._data.shape
    if not xs or xs[-1] != ws[1]:
        raise ShapeError(f"linear: input of shape {xs} and weight of shape {ws} cannot be "
                         f"multiplied (in_features {ws[1]} expected)")
    if bias is not None and not isinstance(bias, Tensor):
        bias = _lift(bias, weight)
    operands = (x, weight) if bias is None else (x, weight, bias)
    for t in operands[::2]:
        if t._data.dtype != weight._data.dtype:
            what = "input" if t is x else "bias"
            raise DtypeError(f"linear: the {what}'s dtype {t.dtype} does not match the "
                             f"weight's {weight.dtype} (PyTorch refuses this too); convert "
                             f"the {what} (e.g. x.float()) or the model (model.double())")
    if bias is not None and operands[2]._data.shape not in ((ws[0],), ()):
        raise ShapeError(f"linear: bias of shape {operands[2]._data.shape} does not match "
                         f"weight of shape {ws} (expected ({ws[0]},))")
    return _nary("linear", operands, None)


def _tensors(op: str, tensors: Sequence[Any]) -> tuple:
    """The operands of cat/stack as Tensors of their promoted dtype (PyTorch's rule)."""
    tensors = tuple(tensors)
    if not tensors:
        raise ShapeError(f"{op}: expected a non-empty list of Tensors")
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    if like is None:
        raise TypeError(f"{op}: expected a list of Tensors")
    tensors = tuple(_lift(t, like) for t in tensors)
    target = dtypes.result_type(*tensors).dtype
    return tuple(t if t._data.dtype == target else t.to(target) for t in tensors)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: Optional[int] = None) -> Tensor:
    """Join tensors along an existing dim (all other dims must match).

    >>> cat([Tensor([1.0, 2.0]), Tensor([3.0])]).tolist()
    [1.0, 2.0, 3.0]
    """
    dim, _ = _spelling("cat", None if axis is not None else dim, axis, False, None)
    tensors = _tensors("cat", tensors)
    return _nary("cat", tensors, _dim(dim, tensors[0].ndim, "cat"))


concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: Optional[int] = None) -> Tensor:
    """Join same-shape tensors along a new dim.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], dim=1).shape
    autograd.Size([2, 2])
    """
    dim, _ = _spelling("stack", None if axis is not None else dim, axis, False, None)
    tensors = _tensors("stack", tensors)
    return _nary("stack", tensors, _dim(dim, tensors[0].ndim + 1, "stack"))


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """x where condition is true, else y (broadcast together); condition gets no gradient.

    >>> x = Tensor([-1.0, 2.0], requires_grad=True)
    >>> y = where(x > 0, x, 0.0); y.sum().backward(); y.tolist(), x.grad.tolist()
    ([0.0, 2.0], [0.0, 1.0])
    """
    cond = np.asarray(_raw(condition))
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = _leaf(_to_array(x, None))
    if not isinstance(x, Tensor):
        x = _lift(x, y)
    if not isinstance(y, Tensor):
        y = _lift(y, x)
    try:
        np.broadcast_shapes(cond.shape, x._data.shape, y._data.shape)
    except ValueError:
        raise ShapeError(f"where: condition, x and y of shapes {cond.shape}, {x._data.shape} "
                         f"and {y._data.shape} cannot be broadcast together") from None
    return _binary("where", x, y, cond)
