"""Every Tensor op in one table: its NumPy forward beside its vector-Jacobian product (VJP)
and its Jacobian-vector product (JVP, forward mode: `autograd.forward`).

A rule's `vjp` turns the gradient `g` of the op's output into the gradient of each operand.
It is written once, against a tiny backend `B` (a namespace of functions), so it serves both:

* backward: `B = ARRAY_MATH`, operands and `g` are ndarrays, the result is ndarrays;
* higher-order gradients (`autograd.grad(..., create_graph=True)`): `B` is the Tensor
  backend (in tensor.py), operands and `g` are Tensors, so the gradient is itself a graph.

Operators (`+ - * / ** @`), `.sum/.mean(axis=, keepdims=)`, `.reshape`, `.swapaxes`, `.T`,
`.shape` and indexing mean the same on ndarrays and Tensors, so rules use them directly.
Masks (where is x > 0?) are plain boolean ndarrays computed from `B.raw(x)`: they are
constants, with derivative zero.

A rule's `jvp` pushes the operands' tangents forward to the output's tangent. Most ops need
no second formula, and their entry says why with one of three words:

* `SYMMETRIC`: each operand's Jacobian is symmetric (diagonal for elementwise ops, the
  softmax's diag(s) − s sᵀ), so J·t = Jᵀ·t: the VJP applied to the tangent;
* `LINEAR`: the op is linear (reshape, sum, getitem, cat, ...), so its JVP is the op
  itself applied to the tangent;
* `REDUCTION`: out[j] reduces a slice of one operand and the VJP is the gradient spread
  by weights W (`vjp(ones) = W`), so the JVP is Σ W·t over the reduced axes.

The other ops (matmul, linear, log_softmax) have a JVP function `(B, tangents, out, operands,
arg)`, tangents a list with None for a zero tangent.

A rule may return a gradient of the *broadcast* output shape: the engine sums it back to
the operand's shape in ONE place, `unbroadcast`. Operands that do not require grad get
None (`need` says which do), so `x @ W` with a constant `x` never computes `g @ W.T`.

Conventions at kinks follow PyTorch (and `scalar_rules.py`): relu'(0) = 0, abs'(0) = 0,
leaky_relu'(0) = slope, clamp'(bound) = 1, maximum/minimum ties split 0.5/0.5, a full
`max()`/`min()` splits evenly among tied elements, `max(dim)` gives all to the returned
index.

>>> import numpy as np
>>> g = np.ones(3); a = np.array([1.0, 2.0, 3.0]); b = np.array([4.0, 5.0, 6.0])
>>> RULES["*"].vjp(ARRAY_MATH, g, a * b, a, b, None, (True, True))
(array([4., 5., 6.]), array([1., 2., 3.]))
>>> unbroadcast(np.ones((2, 3)), (3,))
array([2., 2., 2.])
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, NamedTuple, Sequence, Tuple

import numpy as np

from .scalar_rules import made_by_apply

SOFTPLUS_THRESHOLD = 20.0  # PyTorch's default: above it softplus(x) = x, slope exactly 1
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT1_2 = math.sqrt(0.5)


class Rule(NamedTuple):
    symbol: str        # how drawings show the op
    arity: int         # 1 (unary), 2 (binary) or 0 (any number of operands, as a list)
    forward: Callable  # unary: (a, arg); binary: (a, b, arg); n-ary: (list, arg) -> ndarray
    vjp: Callable      # unary: (B, g, out, a, arg) -> grad
    #                    binary: (B, g, out, a, b, arg, need) -> (grad_a, grad_b)
    #                    n-ary: (B, g, out, operands, arg, need) -> grads
    jvp: Any = None    # SYMMETRIC, LINEAR, REDUCTION or (B, tangents, out, operands, arg)


# How a rule's JVP follows from its forward or its VJP (see the module docstring).
SYMMETRIC = "symmetric"
LINEAR = "linear"
REDUCTION = "reduction"

RULES: Dict[str, Rule] = {}


def _rule(op: str, symbol: str, arity: int, forward: Callable, vjp: Callable,
          jvp: Any) -> None:
    RULES[op] = Rule(symbol, arity, forward, vjp, jvp)


# ---- broadcasting: the one place gradients are summed back to an operand's shape ----

def unbroadcast(grad: Any, shape: Tuple[int, ...]) -> Any:
    """Sum `grad` (ndarray or Tensor) over the axes NumPy broadcasting added to `shape`.

    Leading axes the operand did not have are summed away; axes where the operand had
    size 1 are summed with keepdims. Raises AssertionError (even under -O) on a gradient
    that no broadcast of `shape` could have produced.
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    if lead == 1 and gshape[1:] == shape and type(grad) is np.ndarray:
        return np.add.reduce(grad, axis=0)  # a bias's gradient: the common case, one call
    if lead >= 0:
        ones = tuple(i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1)
        if lead:
            grad = grad.sum(axis=tuple(range(lead)))
        if ones:
            grad = grad.sum(axis=tuple(i - lead for i in ones), keepdims=True)
    if grad.shape != shape:
        raise AssertionError(f"unbroadcast: a gradient of shape {gshape} cannot belong to an "
                             f"operand of shape {shape}")
    return grad


# ---- the NumPy backend of the VJP rules ----

def _erf(x: np.ndarray) -> np.ndarray:
    """Vectorised erf to ~1 ulp (W. J. Cody's rational approximations, as in CALERF).

    NumPy has no erf, and the exact GELU needs one: max relative error 5e-16 vs math.erf.
    """
    y = np.abs(x)
    out = np.array(x, copy=True)  # every branch below overwrites its part; NaN stays NaN
    small = y <= 0.46875
    z = y[small] ** 2
    num, den = _ERF_A[4] * z, z
    for i in range(3):
        num, den = (num + _ERF_A[i]) * z, (den + _ERF_B[i]) * z
    out[small] = x[small] * (num + _ERF_A[3]) / (den + _ERF_B[3])
    mid = ~small & (y <= 4.0)
    ym = y[mid]
    num, den = _ERF_C[8] * ym, ym
    for i in range(7):
        num, den = (num + _ERF_C[i]) * ym, (den + _ERF_D[i]) * ym
    out[mid] = np.copysign(1.0 - _exp_x2(ym) * (num + _ERF_C[7]) / (den + _ERF_D[7]), x[mid])
    big = y > 4.0
    yb = y[big]
    z = 1.0 / (yb * yb)
    num, den = _ERF_P[5] * z, z
    for i in range(4):
        num, den = (num + _ERF_P[i]) * z, (den + _ERF_Q[i]) * z
    tail = (0.56418958354775628695 - z * (num + _ERF_P[4]) / (den + _ERF_Q[4])) / yb
    with np.errstate(invalid="ignore"):   # exp(-inf²) * 0 at ±inf: fixed just below
        out[big] = np.copysign(1.0 - _exp_x2(yb) * tail, x[big])
    infinite = np.isinf(y)
    if infinite.any():
        out[infinite] = np.sign(x[infinite])   # erf(±inf) = ±1
    return out


def _exp_x2(y: np.ndarray) -> np.ndarray:
    # exp(-y^2) split as exp(-t^2) exp(-(y-t)(y+t)) with t = y rounded to 1/16: no rounding
    # error from squaring y (Cody's trick).
    t = np.trunc(y * 16.0) / 16.0
    return np.exp(-t * t) * np.exp(-(y - t) * (y + t))


_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # PyTorch's formula 1 / (1 + e^-a). For a < -88 (float32) e^-a overflows to inf and the
    # result is exactly 0, as in PyTorch; only NumPy's overflow warning needs silencing.
    # (A two-branch np.where version is 8x slower on mixed signs.)
    with np.errstate(over="ignore"):
        e = np.exp(-a)
    if type(e) is not np.ndarray:  # a 0-d input gives a NumPy scalar: nothing to reuse
        return np.asarray(1.0 / (1.0 + e))
    e += 1.0
    return np.reciprocal(e, out=e)


def _normal_cdf(a: np.ndarray) -> np.ndarray:
    # PyTorch's formula, 0.5 (1 + erf(x / sqrt 2)), so values agree to rounding.
    return 0.5 * (1.0 + _erf(a * _SQRT1_2))


def _masked(g: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """g where mask is true, else 0 (PyTorch's masked gradients, e.g. relu's).

    `g * mask` is ~8x faster than np.where for a random mask (np.where mispredicts a
    branch per element); where g holds inf or nan a product would leave nan (0 * inf)
    where PyTorch gives 0, so that rare case is redone with np.where (which also works
    on 0-d inputs, where the product is a NumPy scalar).
    """
    out = g * mask
    # A sum is finite exactly when no element is inf or nan (an overflowing sum only
    # sends a finite case down the exact path): one reduction instead of two calls.
    if not math.isfinite(out.sum()):
        out = np.where(mask, g, np.zeros((), dtype=out.dtype))
    return out


def _scatter(g: np.ndarray, index: Any, shape: Tuple[int, ...]) -> np.ndarray:
    """zeros(shape) with g added at `index`; repeated indices accumulate (np.add.at)."""
    out = np.zeros(shape, dtype=g.dtype)
    if is_basic_index(index):
        out[index] = g  # a basic index selects each element at most once
    else:
        np.add.at(out, index, g)
    return out


class ARRAY_MATH:
    """The backend for plain backward: ndarrays in, ndarrays out."""

    raw = staticmethod(lambda x: x)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    sigmoid = staticmethod(_sigmoid)
    normal_cdf = staticmethod(_normal_cdf)
    mask = staticmethod(_masked)              # mask(g, bool ndarray): g there, else 0
    where = staticmethod(np.where)            # where(bool ndarray, x, y)
    expand = staticmethod(np.broadcast_to)    # a read-only view: no copy
    permute = staticmethod(np.transpose)
    scatter = staticmethod(_scatter)
    cast = staticmethod(lambda x, dtype: x.astype(dtype, copy=False))


# ---- helpers shared by rules ----

def is_basic_index(index: Any) -> bool:
    """True if `index` is NumPy basic indexing (ints, slices, None, ...): a view, no repeats."""
    items = index if type(index) is tuple else (index,)
    for i in items:
        if not (type(i) is slice or i is None or i is Ellipsis
                or (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))):
            return False
    return True


def _keep_shape(shape: Tuple[int, ...], axes: Any) -> Tuple[int, ...]:
    """`shape` with the reduced axes set to 1 (what keepdims=True would give)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape: Tuple[int, ...], axes: Any) -> int:
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[i] for i in axes)


def _kept(x: Any, shape: Tuple[int, ...], axes: Any, keepdims: bool) -> Any:
    """A reduction's output (or its gradient) reshaped to keepdims form, to broadcast back."""
    return x if keepdims else x.reshape(_keep_shape(shape, axes))


def _winner_grad(B: Any, g: Any, a: Any, b: Any) -> Any:
    """d maximum(a, b)/da times g: g where a wins, g/2 on a tie, a masked 0 where b wins
    (PyTorch's where(a == b, g/2, g).masked_fill(a < b, 0): no 0 * inf). A NaN wins on
    both sides. For minimum, swap a and b."""
    ra, rb = B.raw(a), B.raw(b)
    half = 1.0 - 0.5 * (ra == rb).astype(B.raw(g).dtype)
    return B.mask(g * half, ~(ra < rb))


def _fwd(fn: Callable) -> Callable:
    """A unary NumPy function as a forward that ignores `arg`."""
    return lambda a, arg: fn(a)


def _quiet(forward: Callable) -> Callable:
    """`forward` without NumPy's RuntimeWarnings: log(-1) is nan and 1/0 is inf silently, as
    in PyTorch (`autograd.detect_anomaly()` turns them into errors). Costs ~2 µs, so only
    ops that can leave their domain use it."""
    def quiet(*args: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return forward(*args)
    return quiet


# ---- binary elementwise (NumPy broadcasting) ----

_rule("+", "+", 2, lambda a, b, arg: a + b,
      lambda B, g, out, a, b, arg, need: (g, g), SYMMETRIC)
_rule("-", "−", 2, lambda a, b, arg: a - b,
      lambda B, g, out, a, b, arg, need: (g, -g if need[1] else None), SYMMETRIC)
_rule("*", "×", 2, lambda a, b, arg: a * b,
      lambda B, g, out, a, b, arg, need: (g * b if need[0] else None,
                                          g * a if need[1] else None), SYMMETRIC)
_rule("/", "÷", 2, _quiet(lambda a, b, arg: a / b),
      lambda B, g, out, a, b, arg, need: (g / b if need[0] else None,
                                          -g * (out / b) if need[1] else None),  # PyTorch's order
      SYMMETRIC)


def _pow_vjp(B: Any, g: Any, out: Any, a: Any, b: Any, arg: Any, need: Sequence[bool]) -> tuple:
    # PyTorch's conventions: the base's gradient is masked where the exponent is 0 (a
    # select: no 0 * inf); the exponent's derivative is 0 where base == 0 and exponent >= 0
    # (not 0 * log 0), then multiplied by g, as PyTorch's grad * where(...).
    ra, rb = B.raw(a), B.raw(b)
    ga = gb = None
    if need[0]:
        ga = B.mask(g * (b * a ** (b - 1.0)), rb != 0)   # PyTorch's grouping: no g·b underflow
    if need[1]:
        gb = g * B.mask(out * B.log(a), ~((ra == 0) & (rb >= 0)))  # NaN exponent: kept
    return ga, gb


def _pow_tensors(a: np.ndarray, b: np.ndarray, arg: Any) -> np.ndarray:
    """a ** b as PyTorch's tensor ** tensor: C's pow. NumPy takes sqrt for an exponent of 0.5
    given as a scalar or a broadcast (sqrt(-inf) = nan, sqrt(-0) = -0, where pow gives inf
    and +0), so those cases are put right."""
    out = np.power(a, b)
    half = b == 0.5
    if half.any():
        fix = half & ((a == -np.inf) | (a == 0))
        if fix.any():
            out = np.where(fix, np.where(a == 0, 0.0, np.inf), out)
    return out


_rule("pow", "^", 2, _quiet(_pow_tensors), _pow_vjp, SYMMETRIC)
# NumPy's maximum/minimum return the second operand on a tie (max(0.0, -0.0) = -0.0),
# PyTorch's the first: swapping the operands gives PyTorch's signed zeros; NaN still wins.
_rule("maximum", "max", 2, lambda a, b, arg: np.maximum(b, a),
      lambda B, g, out, a, b, arg, need: (
          _winner_grad(B, g, a, b) if need[0] else None,
          _winner_grad(B, g, b, a) if need[1] else None), SYMMETRIC)
_rule("minimum", "min", 2, lambda a, b, arg: np.minimum(b, a),
      lambda B, g, out, a, b, arg, need: (
          _winner_grad(B, g, b, a) if need[0] else None,
          _winner_grad(B, g, a, b) if need[1] else None), SYMMETRIC)
# where(cond, a, b): `cond` is a boolean ndarray held in `arg` (not differentiable).
_rule("where", "where", 2, lambda a, b, cond: np.where(cond, a, b),
      lambda B, g, out, a, b, cond, need: (B.mask(g, cond) if need[0] else None,
                                           B.mask(g, ~cond) if need[1] else None), SYMMETRIC)


# ---- matrix products ----

def _matmul_vjp(B: Any, g: Any, out: Any, a: Any, b: Any, arg: Any,
                need: Sequence[bool]) -> tuple:
    # 1-D operands are promoted the way matmul does (a: (k,) -> (1, k); b: (k,) -> (k, 1)),
    # then da = g bᵀ and db = aᵀ g; batch axes a broadcast over are summed by unbroadcast.
    a_vec, b_vec = len(a.shape) == 1, len(b.shape) == 1
    if a_vec and b_vec:  # a dot product: out is a scalar
        return (g * b if need[0] else None, g * a if need[1] else None)
    if a_vec:
        g = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        a = a.reshape((1, a.shape[0]))
    if b_vec:
        g = g.reshape(g.shape + (1,))
        b = b.reshape((b.shape[0], 1))
    ga = gb = None
    if need[0]:
        ga = g @ b.swapaxes(-1, -2)
        if a_vec:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
    if need[1]:
        gb = a.swapaxes(-1, -2) @ g
        if b_vec:
            gb = gb.reshape(gb.shape[:-1])
    return ga, gb


def _matmul_jvp(B: Any, ts: Sequence[Any], out: Any, ops: Sequence[Any], arg: Any) -> Any:
    # Bilinear: d(a @ b) = da @ b + a @ db (matmul's own 1-D promotion rules apply).
    (ta, tb), (a, b) = ts, ops
    return total([ta @ b if ta is not None else None, a @ tb if tb is not None else None])


def total(terms: Sequence[Any]) -> Any:
    """The sum of the terms that are not None (a JVP's contributions; at least one is)."""
    found = [t for t in terms if t is not None]
    result = found[0]
    for t in found[1:]:
        result = result + t
    return result


_rule("matmul", "@", 2, lambda a, b, arg: a @ b, _matmul_vjp, _matmul_jvp)


def _linear_forward(ops: list, arg: Any) -> np.ndarray:
    out = ops[0] @ ops[1].T
    if len(ops) == 3:
        out += ops[2]  # in place on a fresh product: no extra array
    return out


def _linear_vjp(B: Any, g: Any, out: Any, ops: Sequence[Any], arg: Any,
                need: Sequence[bool]) -> list:
    # out = x Wᵀ + b, one node (PyTorch's F.linear). Batch axes of x are folded into rows.
    x, w = ops[0], ops[1]
    grads = [None] * len(ops)
    if need[0]:
        grads[0] = g @ w
    if need[1]:
        # Explicit row counts, not -1: a layer with 0 outputs has size-0 rows.
        rows = g.reshape((math.prod(g.shape[:-1]), g.shape[-1])) if len(g.shape) != 2 else g
        xs = x.reshape((math.prod(x.shape[:-1]), x.shape[-1])) if len(x.shape) != 2 else x
        grads[1] = rows.T @ xs
    if len(ops) == 3 and need[2]:
        grads[2] = g  # unbroadcast sums the batch axes
    return grads


def _linear_jvp(B: Any, ts: Sequence[Any], out: Any, ops: Sequence[Any], arg: Any) -> Any:
    # d(x Wᵀ + b) = dx Wᵀ + x dWᵀ + db
    x, w = ops[0], ops[1]
    return total([ts[0] @ w.T if ts[0] is not None else None,
                  x @ ts[1].T if ts[1] is not None else None,
                  ts[2] if len(ops) == 3 else None])


_rule("linear", "xWᵀ+b", 0, _linear_forward, _linear_vjp, _linear_jvp)


# ---- unary elementwise ----

def _power(a: np.ndarray, k: float) -> np.ndarray:
    """a ** k as PyTorch computes it: NumPy's `**` already uses sqrt for 0.5, a product for
    2 and a reciprocal for -1 (as PyTorch does); -0.5 is 1/sqrt (rsqrt(-0) = -inf, where
    C's pow gives +inf)."""
    if k == -0.5:
        return np.reciprocal(np.sqrt(a))
    return a ** k


def _pow_scalar_vjp(B: Any, g: Any, out: Any, a: Any, k: float) -> Any:
    if k == 0.0:
        return B.mask(g, np.zeros((), dtype=bool))  # PyTorch: d/da a**0 = 0, even for g = inf
    if k == 1.0:
        return g
    if k == 2.0:
        return g * (2.0 * a)
    # A Tensor's ** records a node whose forward is _power; an array takes it directly.
    return g * (k * (a ** (k - 1.0) if B is not ARRAY_MATH else _power(a, k - 1.0)))


_rule("neg", "−", 1, _fwd(np.negative), lambda B, g, out, a, arg: -g, LINEAR)
_rule("**", "**", 1, _quiet(_power), _pow_scalar_vjp, SYMMETRIC)
_rule("exp", "exp", 1, _quiet(_fwd(np.exp)), lambda B, g, out, a, arg: g * out, SYMMETRIC)
_rule("log", "log", 1, _quiet(_fwd(np.log)), lambda B, g, out, a, arg: g / a, SYMMETRIC)
_rule("sqrt", "√", 1, _quiet(_fwd(np.sqrt)), lambda B, g, out, a, arg: g / (2.0 * out),
      SYMMETRIC)
_rule("tanh", "tanh", 1, _fwd(np.tanh), lambda B, g, out, a, arg: g * (1.0 - out * out),
      SYMMETRIC)
_rule("sigmoid", "σ", 1, _fwd(_sigmoid), lambda B, g, out, a, arg: g * (out * (1.0 - out)),
      SYMMETRIC)
def _split(B: Any, g: Any, positive: np.ndarray, otherwise: Any) -> Any:
    """g where the mask holds, `otherwise` elsewhere (two masked products, no np.where)."""
    return B.mask(g, positive) + B.mask(otherwise, ~positive)


def _leaky_relu(a: np.ndarray, slope: float) -> np.ndarray:
    if 0.0 < slope <= 1.0:  # (slope 0 would make inf * 0 = nan at a = inf)
        return np.maximum(a, a * slope)  # the same values as where(a > 0, ...), faster
    return np.where(a > 0, a, a * slope)


_rule("relu", "ReLU", 1, lambda a, arg: np.maximum(a, 0),
      lambda B, g, out, a, arg: B.mask(g, B.raw(out) != 0),  # out >= 0 or NaN; NaN passes
      SYMMETRIC)
_rule("leaky_relu", "LeakyReLU", 1, _leaky_relu,
      lambda B, g, out, a, slope: _split(B, g, B.raw(a) > 0, g * slope), SYMMETRIC)
# max(a, 0) + alpha expm1(min(a, 0)) is a where a > 0 and alpha (e^a - 1) elsewhere.
def _elu_vjp(B: Any, g: Any, out: Any, a: Any, alpha: float) -> Any:
    # PyTorch's: g where a > 0, g alpha e^a where a <= 0 (not g (out + alpha), which cancels
    # to 0 for a << 0). e^a is taken at min(a, 0) through a mask, so its own derivative
    # vanishes at a = 0, as PyTorch's second derivative (masked where a < 0) does.
    ra = B.raw(a)
    return _split(B, g, ~(ra <= 0), g * (alpha * B.exp(B.where(ra < 0, a, 0.0))))


_rule("elu", "ELU", 1,
      lambda a, alpha: np.maximum(a, 0) + alpha * np.expm1(np.minimum(a, 0)), _elu_vjp,
      SYMMETRIC)
_rule("normal_cdf", "Φ", 1, _fwd(_normal_cdf),
      lambda B, g, out, a, arg: g * (B.exp(a * a * -0.5) * _INV_SQRT_2PI), SYMMETRIC)
_rule("gelu", "GELU", 1, lambda a, arg: a * _normal_cdf(a),
      lambda B, g, out, a, arg: g * (B.normal_cdf(a) + a * (B.exp(a * a * -0.5) * _INV_SQRT_2PI)),
      SYMMETRIC)


def _softplus_forward(a: np.ndarray, arg: Tuple[float, float]) -> np.ndarray:
    beta, threshold = arg
    z = a * beta
    out = np.logaddexp(0.0, z)
    if beta != 1.0:
        out /= beta
    linear = z > threshold  # PyTorch returns x itself there (and its slope is exactly 1)
    if linear.any():
        out = np.where(linear, a, out)
    return out


def _softplus_vjp(B: Any, g: Any, out: Any, a: Any, arg: Tuple[float, float]) -> Any:
    # g where beta a > threshold, else g sigmoid(beta a). The sigmoid reads a through a mask
    # that is constant where beta a >= threshold, so the curvature there is 0: PyTorch's
    # second derivative is masked with beta a < threshold (its first with > threshold).
    beta, threshold = arg
    z = B.raw(a) * beta
    curved = B.where(z < threshold, a, B.raw(a))
    return _split(B, g, z > threshold, g * B.sigmoid(curved * beta))


_rule("softplus", "softplus", 1, _quiet(_softplus_forward), _softplus_vjp, SYMMETRIC)
def _sign(a: np.ndarray) -> np.ndarray:
    # 0 at 0 (abs'(0) = 0) and at NaN, like PyTorch's sgn (np.sign(nan) would be nan).
    s = (a > 0).astype(a.dtype)
    s -= a < 0
    return s


_rule("abs", "|·|", 1, _fwd(np.abs), lambda B, g, out, a, arg: g * _sign(B.raw(a)), SYMMETRIC)
_rule("sin", "sin", 1, _fwd(np.sin), lambda B, g, out, a, arg: g * B.cos(a), SYMMETRIC)
_rule("cos", "cos", 1, _fwd(np.cos), lambda B, g, out, a, arg: -(g * B.sin(a)), SYMMETRIC)
# clamp(min, max): gradient 1 inside [min, max], boundaries included (PyTorch's rule).
_rule("clamp", "clamp", 1, lambda a, arg: np.clip(a, arg[0], arg[1]),
      lambda B, g, out, a, arg: B.mask(
          g, (B.raw(a) >= (-np.inf if arg[0] is None else arg[0]))
          & (B.raw(a) <= (np.inf if arg[1] is None else arg[1]))), SYMMETRIC)
_rule("cast", "cast", 1, lambda a, dtype: a.astype(dtype),
      lambda B, g, out, a, dtype: B.cast(g, B.raw(a).dtype), LINEAR)
_rule("clone", "clone", 1, lambda a, arg: a.copy(), lambda B, g, out, a, arg: g, LINEAR)


# ---- shape and movement (forwards are NumPy views where NumPy allows) ----

def _reshape_vjp(B: Any, g: Any, out: Any, a: Any, arg: Any) -> Any:
    return g.reshape(a.shape)


for _name in ("reshape", "squeeze", "unsqueeze", "flatten"):
    _rule(_name, _name, 1, lambda a, shape: a.reshape(shape), _reshape_vjp, LINEAR)
_rule("permute", "permute", 1, lambda a, axes: a.transpose(axes),
      lambda B, g, out, a, axes: B.permute(g, tuple(int(i) for i in np.argsort(axes))), LINEAR)
# A 0-d tensor's only dims, 0 and -1, name itself: transpose(0, 0) is the identity.
_rule("transpose", "transpose", 1, lambda a, dims: a.swapaxes(*dims) if a.ndim else a,
      lambda B, g, out, a, dims: g.swapaxes(*dims) if len(g.shape) else g, LINEAR)
# expand's VJP is the identity: unbroadcast sums the gradient back to the operand's shape.
_rule("expand", "expand", 1, lambda a, shape: np.broadcast_to(a, shape),
      lambda B, g, out, a, shape: g, LINEAR)
_rule("getitem", "[ ]", 1, lambda a, index: a[index],
      lambda B, g, out, a, index: B.scatter(g, index, a.shape), LINEAR)
# The transpose of getitem (used by higher-order gradients of indexing).
_rule("scatter_add", "scatter", 1, lambda a, arg: _scatter(a, arg[0], arg[1]),
      lambda B, g, out, a, arg: g[arg[0]], LINEAR)


def _cat_vjp(B: Any, g: Any, out: Any, ops: Sequence[Any], axis: int,
             need: Sequence[bool]) -> list:
    grads, start = [], 0
    lead = (slice(None),) * axis
    for x, n in zip(ops, need):
        stop = start + x.shape[axis]
        grads.append(g[lead + (slice(start, stop),)] if n else None)
        start = stop
    return grads


def _stack_vjp(B: Any, g: Any, out: Any, ops: Sequence[Any], axis: int,
               need: Sequence[bool]) -> list:
    lead = (slice(None),) * axis
    return [g[lead + (i,)] if n else None for i, n in enumerate(need)]


_rule("cat", "cat", 0, lambda ops, axis: np.concatenate(ops, axis=axis), _cat_vjp, LINEAR)
_rule("stack", "stack", 0, lambda ops, axis: np.stack(ops, axis=axis), _stack_vjp, LINEAR)


# ---- reductions: arg = (axes or None, keepdims, ...) with axes a sorted tuple ----

def _sum_vjp(B: Any, g: Any, out: Any, a: Any, arg: Any) -> Any:
    axes, keepdims = arg
    return B.expand(_kept(g, a.shape, axes, keepdims), a.shape)


def _mean_vjp(B: Any, g: Any, out: Any, a: Any, arg: Any) -> Any:
    axes, keepdims = arg
    return B.expand(_kept(g, a.shape, axes, keepdims) / _count(a.shape, axes), a.shape)


_rule("sum", "Σ", 1, lambda a, arg: np.sum(a, axis=arg[0], keepdims=arg[1]), _sum_vjp, LINEAR)
_rule("mean", "mean", 1, lambda a, arg: np.mean(a, axis=arg[0], keepdims=arg[1]), _mean_vjp,
      LINEAR)


# max/min's `index` says how the gradient is shared: an index array (max(dim): all of it to
# the returned index), None (amax/amin: evenly among ties, nan everywhere if the slice has a
# NaN, as PyTorch's scale_grad_by_count) or WHOLE (max()/min() of the whole tensor: evenly
# among ties, or among the NaNs when the result is NaN: PyTorch's evenly_distribute_backward).
WHOLE = "whole"


def _extreme_forward(a: np.ndarray, arg: Any) -> np.ndarray:
    axes, keepdims, largest, index = arg
    if type(index) is np.ndarray:  # max(dim): values at the returned indices
        values = np.take_along_axis(a, index, axis=axes[0])
        return values if keepdims else values.squeeze(axis=axes[0])
    reduce = np.max if largest else np.min
    return reduce(a, axis=axes, keepdims=keepdims)


def _extreme_vjp(B: Any, g: Any, out: Any, a: Any, arg: Any) -> Any:
    axes, keepdims, largest, index = arg
    shape = a.shape
    gk = _kept(g, shape, axes, keepdims)
    ra = B.raw(a)
    if type(index) is np.ndarray:  # all of the gradient to the index max(dim) returned
        mask = np.zeros(shape, dtype=bool)
        np.put_along_axis(mask, index, True, axis=axes[0])
        return B.mask(gk, mask)
    extreme = _kept(B.raw(out), shape, axes, keepdims)
    if index is WHOLE and np.isnan(extreme).all():
        mask = np.isnan(ra)
    else:
        mask = ra == extreme
    count = np.sum(mask, axis=axes, keepdims=True, dtype=ra.dtype)
    if index is WHOLE:   # PyTorch fills the selected elements (masked_fill): a select
        return B.mask(gk * (1.0 / count), mask)
    return gk * (mask / count).astype(ra.dtype, copy=False)   # amax: PyTorch multiplies


_rule("max", "max", 1, _extreme_forward, _extreme_vjp, REDUCTION)
_rule("min", "min", 1, _extreme_forward, _extreme_vjp, REDUCTION)


def _centered(a: Any, axes: Any) -> Any:
    return a - a.mean(axis=axes, keepdims=True)


def _var_grad(B: Any, g: Any, a: Any, axes: Any, keepdims: bool, correction: float) -> Any:
    """PyTorch's var_backward: g · 2 (a − mean) / (N − correction). Over given dims the
    divisor is N − correction as is (even 0 or negative); over all elements a divisor
    <= 0 gives g · (nan where a == mean, else inf), as PyTorch's."""
    gk = _kept(g, a.shape, axes, keepdims)
    dof = _count(a.shape, axes) - correction
    if axes is None and dof <= 0:
        ra = B.raw(a)
        return gk * np.where(ra == ra.mean(), np.nan, np.inf).astype(ra.dtype)
    return gk * (_centered(a, axes) * (2.0 / dof if dof else math.inf))


_rule("var", "var", 1,
      lambda a, arg: np.var(a, axis=arg[0], ddof=arg[2], keepdims=arg[1]),
      lambda B, g, out, a, arg: _var_grad(B, g, a, *arg), REDUCTION)


def _std_vjp(B: Any, g: Any, out: Any, a: Any, arg: Any) -> Any:
    # PyTorch's: var's gradient of g / (2 std), masked to 0 where std = 0 (a constant input
    # gives 0, not 0/0).
    axes, keepdims, correction = arg
    grad_var = B.mask(g / (out * 2.0), B.raw(out) != 0)
    return _var_grad(B, grad_var, a, axes, keepdims, correction)


_rule("std", "std", 1,
      lambda a, arg: np.std(a, axis=arg[0], ddof=arg[2], keepdims=arg[1]), _std_vjp, REDUCTION)


# ---- softmax family: stable for logits of ±1e4 (the max is subtracted first) ----

def _max_keepdims(a: np.ndarray, axes: Any) -> np.ndarray:
    """np.max(a, axis=axes, keepdims=True), the same values, fast for short rows.

    NumPy reduces a short trailing axis (say 10 class logits per row) one row at a time:
    24 us for (256, 10), 5x the whole softmax's arithmetic. Copying the axis to the front
    turns the reduction into an elementwise maximum of whole rows (4 us). The max is exact,
    so the result does not depend on the order (NaN propagates either way).
    """
    if type(axes) is tuple and len(axes) == 1:
        axes = axes[0]
    if type(axes) is int and a.ndim > 1:
        k = axes % a.ndim
        if k and a.shape[k] <= 64:  # swapaxes, not moveaxis: 1 us instead of 9
            front = np.ascontiguousarray(a.swapaxes(0, k))
            return np.maximum.reduce(front, axis=0, keepdims=True).swapaxes(0, k)
    return np.max(a, axis=axes, keepdims=True)


def _max_shift(a: np.ndarray, axes: Any) -> np.ndarray:
    """The max over `axes` (kept), or 0 where there is nothing to reduce (NumPy's max has
    no identity). Softmax and log_softmax shift by it as is, like PyTorch's kernels, so a
    slice holding +inf gives nan there too."""
    if a.size == 0:
        return np.zeros(_keep_shape(a.shape, (axes,) if type(axes) is int else axes),
                        dtype=a.dtype)
    return _max_keepdims(a, axes)


def _logsumexp_forward(a: np.ndarray, arg: Any) -> np.ndarray:
    axes, keepdims = arg
    m = _max_shift(a, axes)
    if not np.isfinite(m).all():
        # PyTorch's logsumexp shifts a slice whose max is ±inf by 0 (no inf - inf = nan):
        # logsumexp([0, inf]) = inf, of all -inf = -inf.
        m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True))
    out += m
    return out if keepdims else out.squeeze(axis=axes)


def _softmax_forward(a: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(a - _max_shift(a, axis))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _log_softmax_forward(a: np.ndarray, axis: int) -> np.ndarray:
    s = a - _max_shift(a, axis)
    s -= np.log(np.sum(np.exp(s), axis=axis, keepdims=True))
    return s


_rule("logsumexp", "logΣexp", 1, _quiet(_logsumexp_forward),
      lambda B, g, out, a, arg: _kept(g, a.shape, arg[0], arg[1])
      * B.exp(a - _kept(out, a.shape, arg[0], arg[1])), REDUCTION)
_rule("softmax", "softmax", 1, _quiet(_softmax_forward),
      lambda B, g, out, a, axis: out * (g - (g * out).sum(axis=axis, keepdims=True)), SYMMETRIC)
def _log_softmax_jvp(B: Any, ts: Sequence[Any], out: Any, ops: Sequence[Any],
                     axis: int) -> Any:
    # J = I − 1 sᵀ along the axis (s = exp(out)): not symmetric, so not the VJP.
    t = ts[0]
    return t - (B.exp(out) * t).sum(axis=axis, keepdims=True)


_rule("log_softmax", "log_softmax", 1, _quiet(_log_softmax_forward),
      lambda B, g, out, a, axis: g - B.exp(out) * g.sum(axis=axis, keepdims=True),
      _log_softmax_jvp)


# ---- custom ops: an autograd.Function's node; its ctx (the arg) runs the user's backward ----

def _function_jvp(B: Any, ts: Sequence[Any], out: Any, ops: Sequence[Any], ctx: Any) -> Any:
    raise NotImplementedError(
        f"forward mode: the custom op {ctx.op_name!r} (an autograd.Function on Tensors) "
        f"defines backward only, and one VJP cannot give a JVP; compute it in reverse mode "
        f"(autograd.functional.jacobian / vjp) or write the op with built-in Tensor ops")


_rule("function", "", 0, made_by_apply,
      lambda B, g, out, ops, ctx, need: ctx.vector_jacobian(g, ops, B is not ARRAY_MATH),
      _function_jvp)


# ---- binary cross-entropy: PyTorch's clamps cannot be composed from the ops above ----
# (log(0) = -inf would make the clamp's zero gradient 0 * inf = nan). Used by nn.functional.
_BCE_EPSILON = 9.999999960041972e-13  # float32(1e-12), the constant in PyTorch's kernel
_LOG_FLOOR = math.exp(-100.0)         # below it, log is clamped at -100 (PyTorch's BCELoss)


def _clamped_log(B: Any, x: Any) -> Any:
    safe = B.raw(x) > _LOG_FLOOR
    with np.errstate(divide="ignore"):
        return B.where(safe, B.log(B.where(safe, x, 1.0)), -100.0)


def _bce_vjp(B: Any, g: Any, out: Any, p: Any, y: Any, arg: Any, need: Sequence[bool]) -> tuple:
    # PyTorch's backward: (p - y) / max(p (1 - p), EPSILON); the target's is log(1-p) - log p
    # with no clamp (±inf at p = 0 or 1, as in PyTorch).
    gp = gy = None
    if need[0]:
        den = B.raw(p) * (1.0 - B.raw(p))
        gp = g * (p - y) / B.where(den > _BCE_EPSILON, p * (1.0 - p), _BCE_EPSILON)
    if need[1]:
        with np.errstate(divide="ignore"):
            gy = g * (B.log(1.0 - p) - B.log(p))
    return gp, gy


def _softplus_of(B: Any, z: Any) -> Any:
    return np.logaddexp(0.0, z) if B is ARRAY_MATH else z.softplus()


def _bce_logits_forward(ops: list, pos_weight: Any) -> np.ndarray:
    # PyTorch's: (1 − y)x + (1 + (p − 1)y)·softplus(−x), softplus stable both ways.
    x, y = ops
    scale = 1.0 if pos_weight is None else 1.0 + (pos_weight - 1.0) * y
    return (1.0 - y) * x + scale * np.logaddexp(0.0, -x)


def _bce_logits_vjp(B: Any, g: Any, out: Any, ops: Sequence[Any], pos_weight: Any,
                    need: Sequence[bool]) -> list:
    # PyTorch's formulas, so infinities land where its do: d/dx = (1 + (p − 1)y)σ(x) − p·y
    # (σ(x) − y without p), d/dy = p·softplus(−x) − softplus(x) (−x without p).
    x, y = ops
    gx = gy = None
    if need[0]:
        if pos_weight is None:
            gx = g * (B.sigmoid(x) - y)
        else:
            gx = g * ((1.0 + (pos_weight - 1.0) * y) * B.sigmoid(x) - pos_weight * y)
    if need[1]:
        if pos_weight is None:
            gy = g * -x
        else:
            gy = g * (pos_weight * _softplus_of(B, -x) - _softplus_of(B, x))
    return [gx, gy]


# pos_weight (the arg: an array or None) is a constant, as in PyTorch.
_rule("binary_cross_entropy_with_logits", "BCEWithLogits", 0, _quiet(_bce_logits_forward),
      _bce_logits_vjp, SYMMETRIC)

_rule("binary_cross_entropy", "BCE", 2,
      lambda p, y, arg: -(y * _clamped_log(ARRAY_MATH, p)
                          + (1.0 - y) * _clamped_log(ARRAY_MATH, 1.0 - p)),
      _bce_vjp, SYMMETRIC)
