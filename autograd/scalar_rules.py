"""Every scalar op in one table: its forward function beside its local derivatives.

A rule's `local(out, *operands, arg)` returns ∂out/∂operand for each operand. It is written
with plain arithmetic, so the same function serves three uses:

* backward: floats in, floats out, multiplied by the incoming gradient (the chain rule);
* higher-order gradients: `Value`s in, `Value`s out, so the derivative is itself a graph;
* drawings: the edge from an operand into an op is labelled with its local derivative.

Conventions at kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = alpha,
max/min ties split the gradient 0.5/0.5, sqrt'(0) = +inf.

Where PyTorch's backward *selects* (a mask: relu, the losing side of maximum/minimum, the
base of a zero power), the rule returns `MASKED`, a zero that backward never multiplies: the operand gets
no gradient even when the incoming one is inf or nan (0 * inf would be nan). Everywhere
else backward multiplies, so inf and nan appear exactly where PyTorch's do. Local
derivatives are computed in IEEE arithmetic (`power`, `quotient`): backward never raises on
a graph whose forward pass succeeded, in first or higher order; only the forward pass of a
user's op refuses a domain error (see `errors.DomainError`).

>>> RULES["*"].local(6.0, 2.0, 3.0, None)     # out = a*b = 6 at a=2, b=3
(3.0, 2.0)
>>> RULES["tanh"].symbol
'tanh'
"""
from __future__ import annotations

import math
import operator
from typing import Any, Callable, Dict, NamedTuple

import numpy as np

from .errors import DivisionByZero, DomainError, Overflow

INF = math.inf
NAN = math.nan
# The "not selected" zero. Compared by identity: a computed 0.0 is a different object.
MASKED = float("0")
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
SOFTPLUS_THRESHOLD = 20.0  # PyTorch's: above it softplus(x) = x and its slope is exactly 1


class Rule(NamedTuple):
    symbol: str        # how drawings show the op
    forward: Callable  # floats -> float; raises DomainError outside the domain
    local: Callable    # (out, *operands, arg) -> local derivative(s); floats or Values


RULES: Dict[str, Rule] = {}


def _rule(op: str, symbol: str, forward: Callable, local: Callable) -> None:
    RULES[op] = Rule(symbol, forward, local)


# ---- helpers that work on floats and on Values alike (Values for higher-order grads) ----

def _num(x: Any) -> float:
    """The float behind x, for tests of sign in piecewise rules."""
    return x if type(x) is float else x.data


def _generic(name: str, fn: Callable) -> Callable:
    return lambda x: fn(x) if type(x) is float else getattr(x, name)()


def quotient(a: float, b: float) -> float:
    """a / b in IEEE arithmetic: ±inf or nan where Python raises ZeroDivisionError."""
    if b:
        return a / b
    if a != a or a == 0.0:
        return NAN
    return math.copysign(INF, a) * math.copysign(1.0, b)


def power(a: float, k: float) -> float:
    """a ** k in IEEE arithmetic (never raises), with PyTorch's special exponents: 0.5 is
    sqrt and -0.5 is 1/sqrt (so (-0.0) ** 0.5 = -0.0), ±1, 2, 3, -2 are products."""
    if k == 2.0:
        return a * a
    if k == 0.5:
        return math.sqrt(a) if not a < 0.0 else NAN
    if k == -0.5:
        return quotient(1.0, math.sqrt(a)) if not a < 0.0 else NAN
    if k == -1.0:
        return quotient(1.0, a)
    if k == 3.0:
        return a * a * a
    if k == -2.0:
        return quotient(1.0, a * a)
    try:
        out = a ** k
    except (OverflowError, ZeroDivisionError):
        out = None
    if type(out) is float:
        return out
    # Overflow, 0 ** negative, or a negative base with a fractional power (complex in
    # Python): C's pow gives the IEEE answer.
    with np.errstate(all="ignore"):
        return float(np.power(a, k))


def _ieee_log(x: float) -> float:
    return math.log(x) if x > 0.0 else (-INF if x == 0.0 else NAN)


def _ieee_node(op: str, data: float, operands: tuple, arg: Any = None) -> Any:
    """A node for a derivative graph: the op's rule, its IEEE value (never a DomainError)."""
    from .value import Value, _node  # value.py imports this module
    return _node(data, tuple(x if type(x) is Value else Value(x) for x in operands), op, arg)


def _power(a: Any, k: Any) -> Any:
    """a ** k on floats or Values (IEEE: a derivative graph never raises)."""
    if type(a) is float and type(k) is float:
        return power(a, k)
    if type(k) is float:
        return _ieee_node("**", power(a.data, k), (a,), k)
    return _ieee_node("pow", power(_num(a), k.data), (a, k))


def _divide(a: Any, b: Any) -> Any:
    """a / b on floats or Values (IEEE: a derivative graph never raises)."""
    if type(a) is float and type(b) is float:
        return quotient(a, b)
    return _ieee_node("/", quotient(_num(a), _num(b)), (a, b))


_exp = _generic("exp", math.exp)
_log = _generic("log", _ieee_log)
_sin = _generic("sin", math.sin)
_cos = _generic("cos", math.cos)


def _sigmoid(x: float) -> float:
    # Two branches so exp never overflows.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / _SQRT2))


def _normal_pdf(x: Any) -> Any:
    return _exp(-0.5 * x * x) * _INV_SQRT_2PI


def _dpow(a: Any, k: Any) -> Any:
    """d/da a**k = k a**(k-1) (±inf at a = ±0 for k < 1), and a masked 0 for k = 0 (PyTorch
    selects there, so 0 * inf never makes a nan)."""
    if _num(k) == 0.0:
        return MASKED
    return k * _power(a, k - 1.0)


# ---- forwards that check their domain ----

def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise DivisionByZero("/", b, "divisor must be non-zero")
    return a / b


def _pow(a: float, k: float) -> float:
    if a == 0.0 and k < 0:
        raise DivisionByZero("**", a, f"0 cannot be raised to the negative power {k!r}")
    if a < 0.0 and not float(k).is_integer():
        raise DomainError("**", a, f"a negative base has no real power {k!r}")
    out = power(a, k)
    if out in (INF, -INF) and a not in (INF, -INF):
        raise Overflow("**", a, f"the power {k!r} overflows a float")
    return out


def _pow_values(a: float, b: float) -> float:
    # d/db a**b = a**b * log(a) needs a > 0 (PyTorch returns NaN there; we refuse instead).
    if a < 0.0:
        raise DomainError("pow", a, "the base must be >= 0 when the exponent is a Value "
                                    "(d/d exponent = base**e * log(base))")
    return _pow(a, b)


def _exp_checked(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise Overflow("exp", a, "the result overflows a float (exp is finite up to ~709.78)") from None


def _log_checked(a: float) -> float:
    if a <= 0.0:
        raise DomainError("log", a, "operand must be > 0")
    return math.log(a)


def _sqrt_checked(a: float) -> float:
    if a < 0.0:
        raise DomainError("sqrt", a, "operand must be >= 0")
    return math.sqrt(a)


def _finite_only(op: str, fn: Callable) -> Callable:
    # math.sin(inf) raises a bare "math domain error"; say which op and operand instead.
    def forward(a: float) -> float:
        try:
            return fn(a)
        except ValueError:
            raise DomainError(op, a, "operand must be finite") from None
    return forward


def _sign(a: Any) -> float:
    a = _num(a)
    return 1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0)


def _maximum(a: float, b: float) -> float:
    # NaN wins, as in PyTorch (Python's max(1.0, nan) would return 1.0); a tie keeps the
    # first operand, as PyTorch does (it decides max(0.0, -0.0) = 0.0, hence sqrt' = +inf).
    return a if a >= b or a != a else b


def _minimum(a: float, b: float) -> float:
    return a if a <= b or a != a else b


def _tie_split(a: Any, b: Any) -> tuple:
    """d max(a, b) / (da, db): the winner gets it all (the loser is masked), a tie splits
    it 0.5/0.5, and with a NaN both sides get it (PyTorch's masked_fill formulation)."""
    a, b = _num(a), _num(b)
    if a > b:
        return 1.0, MASKED
    if a < b:
        return MASKED, 1.0
    return (0.5, 0.5) if a == b else (1.0, 1.0)


# ---- the table ----
# binary: local(out, a, b, arg) -> (da, db); unary: local(out, a, arg) -> da

_rule("+", "+", operator.add, lambda out, a, b, arg: (1.0, 1.0))
_rule("-", "−", operator.sub, lambda out, a, b, arg: (1.0, -1.0))
_rule("*", "×", operator.mul, lambda out, a, b, arg: (b, a))
# PyTorch's order, -(out / b): -a / (b * b) would underflow b * b to 0 at b = 1e-200.
_rule("/", "÷", _div, lambda out, a, b, arg: (_divide(1.0, b), -_divide(out, b)))
# The exponent's derivative is 0 where a = 0 and b >= 0 (not 0 * log 0 = nan); PyTorch then
# multiplies it by the gradient (grad * where(...)), so it is a plain 0, not a mask.
_rule("pow", "^", _pow_values,
      lambda out, a, b, arg: (_dpow(a, b), 0.0 if _num(a) == 0.0 and _num(b) >= 0.0
                              else out * _log(a)))
_rule("maximum", "max", _maximum, lambda out, a, b, arg: _tie_split(a, b))
_rule("minimum", "min", _minimum, lambda out, a, b, arg: _tie_split(b, a))

_rule("neg", "−", operator.neg, lambda out, a, arg: -1.0)
_rule("**", "**", _pow, lambda out, a, k: _dpow(a, k))
_rule("exp", "exp", _exp_checked, lambda out, a, arg: out)
_rule("log", "log", _log_checked, lambda out, a, arg: _divide(1.0, a))
_rule("sqrt", "√", _sqrt_checked, lambda out, a, arg: _divide(0.5, out))  # ±inf at ±0
_rule("tanh", "tanh", math.tanh, lambda out, a, arg: 1.0 - out * out)
_rule("sigmoid", "σ", _sigmoid, lambda out, a, arg: out * (1.0 - out))
# NaN passes through relu, forward and backward (PyTorch masks where out <= 0).
_rule("relu", "ReLU", lambda a: 0.0 if a <= 0.0 else a,
      lambda out, a, arg: MASKED if _num(out) <= 0.0 else 1.0)
_rule("leaky_relu", "LeakyReLU", lambda a, alpha: a if a > 0.0 else a * alpha,
      lambda out, a, alpha: 1.0 if _num(a) > 0.0 else alpha)
# alpha e^a below 0 (PyTorch's formula; out + alpha would cancel to 0 for a << 0). At a = 0
# the slope is the constant alpha: PyTorch's second derivative is masked where a < 0.
_rule("elu", "ELU", lambda a, alpha: alpha * math.expm1(a) if a <= 0.0 else a,
      lambda out, a, alpha: alpha * _exp(a) if _num(a) < 0.0
      else (alpha if _num(a) == 0.0 else 1.0))
_rule("normal_cdf", "Φ", _normal_cdf, lambda out, a, arg: _normal_pdf(a))
_rule("gelu", "GELU", lambda a: a * _normal_cdf(a),
      lambda out, a, arg: (_normal_cdf(a) if type(a) is float else a.normal_cdf())
      + a * _normal_pdf(a))
_rule("softplus", "softplus",
      lambda a: a if a > SOFTPLUS_THRESHOLD else math.log1p(math.exp(a)),
      lambda out, a, arg: 1.0 if _num(a) > SOFTPLUS_THRESHOLD
      # at the threshold itself a constant slope: PyTorch's curvature is masked there
      else (_sigmoid(_num(a)) if type(a) is float or _num(a) == SOFTPLUS_THRESHOLD
            else a.sigmoid()))
_rule("sin", "sin", _finite_only("sin", math.sin), lambda out, a, arg: _cos(a))
_rule("cos", "cos", _finite_only("cos", math.cos), lambda out, a, arg: -_sin(a))
_rule("abs", "|·|", abs, lambda out, a, arg: _sign(a))



def _bce(p: float, y: float) -> float:
    if not 0.0 <= p <= 1.0:
        raise DomainError("binary_cross_entropy", p, "the probability must be in [0, 1]")
    if not 0.0 <= y <= 1.0:   # PyTorch checks the target too
        raise DomainError("binary_cross_entropy", y, "the target must be in [0, 1]")
    return -(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p))


def _clamped_log(x: float) -> float:
    # PyTorch's BCELoss clamps log at -100 so the loss stays finite at p = 0 or 1.
    return max(math.log(x), -100.0) if x > 0.0 else -100.0


_BCE_EPSILON = 9.999999960041972e-13  # float32(1e-12), as in PyTorch's kernel


def _bce_local(out: Any, p: Any, y: Any, arg: Any) -> tuple:
    # PyTorch's backward: (p - y) / max(p (1 - p), EPSILON), its EPSILON a float32 1e-12;
    # the target's is log(1 - p) - log(p), unclamped (±inf at p = 0 or 1, as in PyTorch).
    den = p * (1.0 - p)
    dp = (p - y) / (den if _num(den) > _BCE_EPSILON else _BCE_EPSILON)
    pn = _num(p)
    if type(p) is not float and 0.0 < pn < 1.0:
        dy = (1.0 - p).log() - p.log()   # a graph, so higher order sees it depends on p
    else:
        dy = _ieee_log(1.0 - pn) - _ieee_log(pn)
    return dp, dy


_rule("binary_cross_entropy", "BCE", _bce, _bce_local)

# n-ary: a neuron's pre-activation w·x + b as one node. Operands are (*w, b, *x), arg = len(w).
# Summed in micrograd's order (b + w0 x0 + w1 x1 + ...) so both engines give the same bits.
_rule("affine", "w·x+b",
      lambda w, b, x: sum(map(operator.mul, w, x), b),
      lambda out, ops, n: (*ops[n + 1:], 1.0, *ops[:n]))


def _affine_backward(node: Any, g: float) -> None:
    """The same derivatives as the `local` above (∂/∂w_i = x_i, ∂/∂b = 1, ∂/∂x_i = w_i),
    accumulated in place: a neuron is the engine's hottest node, and building the 2n+1
    derivative list first costs a third of its backward time."""
    parents = node._parents
    n = node._arg
    for w, x in zip(parents[:n], parents[n + 1:]):
        w.grad += x.data * g
        x.grad += w.data * g
    parents[n].grad += g


def made_by_apply(*operands: Any) -> None:
    raise TypeError("a custom op's node is made by its Function.apply (or by micrograd's "
                    "Value(data, children, op) with a _backward), not from the rule table")


# A custom op: an `autograd.Function` (arg: its ctx) or micrograd's `_backward` closure (arg:
# its adapter, in value.py). Both answer for themselves; one generic entry serves every one.
_rule("function", "", made_by_apply,
      lambda out, ops, custom: custom.local_derivatives(differentiable=type(out) is not float))


def _custom_backward(node: Any, g: float) -> None:
    node._arg.accumulate(node, g)


NARY = {"affine", "function"}  # ops with any number of operands: local(out, operands, arg)


def _add_backward(node: Any, g: float) -> None:
    """`+`'s local derivatives (1, 1), applied in place: sums are half of a per-op graph."""
    a, b = node._parents
    a.grad += g
    b.grad += g


def _mul_backward(node: Any, g: float) -> None:
    """`*`'s local derivatives (b, a), applied in place: products are the other half."""
    a, b = node._parents
    a.grad += b.data * g
    b.grad += a.data * g


# Ops whose first-order backward accumulates in place, skipping the tuple of local
# derivatives (higher order and drawings always use `local`; tests check the two agree).
ACCUMULATE: Dict[str, Callable] = {"affine": _affine_backward, "+": _add_backward,
                                   "*": _mul_backward, "function": _custom_backward}


def local_derivatives(node: Any, differentiable: bool = False) -> tuple:
    """∂node/∂parent for each parent of a scalar node, at the node's current values.

    With `differentiable=True` the derivatives are `Value`s (graphs), for higher order.
    """
    parents = node._parents
    if not parents:
        return ()
    local = RULES[node._op].local
    if differentiable:
        out, ops = node, parents
    else:
        out, ops = node.data, [p.data for p in parents]
    if node._op in NARY:
        return tuple(local(out, ops, node._arg))
    if len(parents) == 1:
        return (local(out, ops[0], node._arg),)
    if len(parents) == 2:
        return tuple(local(out, ops[0], ops[1], node._arg))
    return tuple(local(out, ops, node._arg))
