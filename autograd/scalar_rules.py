"""Every scalar op in one table: its forward function beside its local derivatives.

A rule's `local(out, *operands, arg)` returns ∂out/∂operand for each operand. It is written
with plain arithmetic, so the same function serves three uses:

* backward: floats in, floats out, multiplied by the incoming gradient (the chain rule);
* higher-order gradients: `Value`s in, `Value`s out, so the derivative is itself a graph;
* drawings: the edge from an operand into an op is labelled with its local derivative.

Conventions at kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = alpha,
max/min ties split the gradient 0.5/0.5, sqrt'(0) = +inf.

>>> RULES["*"].local(6.0, 2.0, 3.0, None)     # out = a*b = 6 at a=2, b=3
(3.0, 2.0)
>>> RULES["tanh"].symbol
'tanh'
"""
from __future__ import annotations

import math
import operator
from typing import Any, Callable, Dict, NamedTuple

from .errors import DivisionByZero, DomainError, Overflow

INF = math.inf
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


_exp = _generic("exp", math.exp)
_log = _generic("log", math.log)
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
    """d/da a**k, with PyTorch's values at a = 0 (0 for k = 0, +inf for 0 < k < 1)."""
    if _num(a) == 0.0 and _num(k) < 1.0:
        return 0.0 if _num(k) == 0.0 else INF
    return k * a ** (k - 1)


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
    try:
        return float(a ** k)
    except OverflowError:
        raise Overflow("**", a, f"the power {k!r} overflows a float") from None


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


def _tie_split(a: Any, b: Any) -> tuple:
    a, b = _num(a), _num(b)
    return (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5)


# ---- the table ----
# binary: local(out, a, b, arg) -> (da, db); unary: local(out, a, arg) -> da

_rule("+", "+", operator.add, lambda out, a, b, arg: (1.0, 1.0))
_rule("-", "−", operator.sub, lambda out, a, b, arg: (1.0, -1.0))
_rule("*", "×", operator.mul, lambda out, a, b, arg: (b, a))
_rule("/", "÷", _div, lambda out, a, b, arg: (1.0 / b, -a / (b * b)))
_rule("pow", "^", _pow_values,
      lambda out, a, b, arg: (_dpow(a, b), out * _log(a) if _num(a) > 0.0 else 0.0))
_rule("maximum", "max", max, lambda out, a, b, arg: _tie_split(a, b))
_rule("minimum", "min", min, lambda out, a, b, arg: _tie_split(b, a))

_rule("neg", "−", operator.neg, lambda out, a, arg: -1.0)
_rule("**", "**", _pow, lambda out, a, k: _dpow(a, k))
_rule("exp", "exp", _exp_checked, lambda out, a, arg: out)
_rule("log", "log", _log_checked, lambda out, a, arg: 1.0 / a)
_rule("sqrt", "√", _sqrt_checked, lambda out, a, arg: 0.5 / out if _num(out) > 0.0 else INF)
_rule("tanh", "tanh", math.tanh, lambda out, a, arg: 1.0 - out * out)
_rule("sigmoid", "σ", _sigmoid, lambda out, a, arg: out * (1.0 - out))
_rule("relu", "ReLU", lambda a: 0.0 if a <= 0.0 else a,  # NaN passes through, as in PyTorch
      lambda out, a, arg: 1.0 if _num(a) > 0.0 else 0.0)
_rule("leaky_relu", "LeakyReLU", lambda a, alpha: a if a > 0.0 else a * alpha,
      lambda out, a, alpha: 1.0 if _num(a) > 0.0 else alpha)
_rule("elu", "ELU", lambda a, alpha: a if a > 0.0 else alpha * math.expm1(a),
      lambda out, a, alpha: 1.0 if _num(a) > 0.0 else out + alpha)
_rule("normal_cdf", "Φ", _normal_cdf, lambda out, a, arg: _normal_pdf(a))
_rule("gelu", "GELU", lambda a: a * _normal_cdf(a),
      lambda out, a, arg: (_normal_cdf(a) if type(a) is float else a.normal_cdf())
      + a * _normal_pdf(a))
_rule("softplus", "softplus",
      lambda a: a if a > SOFTPLUS_THRESHOLD else math.log1p(math.exp(a)),
      lambda out, a, arg: 1.0 if _num(a) > SOFTPLUS_THRESHOLD
      else (_sigmoid(a) if type(a) is float else a.sigmoid()))
_rule("sin", "sin", _finite_only("sin", math.sin), lambda out, a, arg: _cos(a))
_rule("cos", "cos", _finite_only("cos", math.cos), lambda out, a, arg: -_sin(a))
_rule("abs", "|·|", abs, lambda out, a, arg: _sign(a))



def _bce(p: float, y: float) -> float:
    if not 0.0 <= p <= 1.0:
        raise DomainError("binary_cross_entropy", p, "the probability must be in [0, 1]")
    return -(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p))


def _clamped_log(x: float) -> float:
    # PyTorch's BCELoss clamps log at -100 so the loss stays finite at p = 0 or 1.
    return max(math.log(x), -100.0) if x > 0.0 else -100.0


_BCE_EPSILON = 9.999999960041972e-13  # float32(1e-12), as in PyTorch's kernel
_LOG_CLAMP_BELOW = math.exp(-100.0)    # below it, log is clamped to -100 (a constant)


def _bce_local(out: Any, p: Any, y: Any, arg: Any) -> tuple:
    # PyTorch's backward: (p - y) / max(p (1 - p), EPSILON), its EPSILON a float32 1e-12.
    den = p * (1.0 - p)
    dp = (p - y) / (den if _num(den) > _BCE_EPSILON else _BCE_EPSILON)
    pn = _num(p)
    if type(p) is not float and _LOG_CLAMP_BELOW <= pn < 1.0:
        dy = (1.0 - p).log() - p.log()   # a graph, so higher order sees it depends on p
    else:
        dy = _clamped_log(1.0 - pn) - _clamped_log(pn)
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


NARY = {"affine"}  # ops with any number of operands: local(out, operands, arg)

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
                                   "*": _mul_backward}


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
