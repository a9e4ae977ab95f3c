"""`Value`: a scalar node of the computational graph (micrograd-compatible, grown up).

>>> from autograd import Value
>>> x = Value(0.5, label="x"); w = Value(-1.0, label="w")
>>> y = (x * w).tanh(); y.backward()
>>> round(y.data, 4), round(x.grad, 4), round(w.grad, 4)
(-0.4621, -0.7864, 0.3932)
"""
from __future__ import annotations

import functools
import math
import numbers
import weakref
from operator import attrgetter
from typing import Any, Callable, Iterable, Sequence

from .anomaly import check_forward, check_value_backward
from .collector import graph_work
from .errors import DomainError
from .graph import Node, next_seq, topological_order
from .mode import STATE, THREAD
from .scalar_rules import ACCUMULATE, MASKED, RULES, local_derivatives

_new = object.__new__
_data = attrgetter("data")
_FORWARD = {op: rule.forward for op, rule in RULES.items()}
_LOCAL = {op: rule.local for op, rule in RULES.items()}


def _as_float(x: Any) -> float:
    if isinstance(x, numbers.Real):
        return float(x)
    if hasattr(x, "shape"):
        raise TypeError(f"Value holds one number, got a {type(x).__name__}; Value and Tensor "
                        f"don't mix: use Value(t.item()) or Tensor(v.data)")
    raise TypeError(f"Value needs a real number, got {type(x).__name__}: {x!r}")


def _lift(x: Any) -> "Value":
    """A number met in an expression becomes a constant leaf, as in micrograd."""
    return x if type(x) is Value else Value(x)


def _node(data: float, parents: tuple, op: str, arg: Any = None) -> "Value":
    # The hot path: no __init__ checks, no closure, parents kept in order.
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    v._arg = arg
    v._seq = next_seq()
    v._mark = None
    state = THREAD.recording
    if state.grad_enabled:
        v._parents = parents
        v._op = op
        v._scope = state.scope
    else:
        v._parents = ()
        v._op = ""
        v._scope = None
    if state.anomaly:   # process-wide (a class attribute): no second lookup
        check_forward(op, data, parents)
    return v


def _named(err: DomainError, operands: Sequence["Value"]) -> DomainError:
    for v in operands:
        if v.data == err.operand and v.label:
            return err.naming(v.label)
    return err


# Forward through the rule table, one helper per arity: a generic *args version costs a
# third of the per-op graph's run time.
def _binary(op: str, a: "Value", b: Any) -> "Value":
    if type(b) is not Value:
        b = Value(b)
    try:
        data = _FORWARD[op](a.data, b.data)
    except DomainError as err:
        # Name the culprit: the divisor of a division, the base of every other binary op
        # (x / 0 with a labelled x = 0 must not blame x).
        raise _named(err, (b,) if op == "/" else (a,)) from None
    return _node(data, (a, b), op)


def _rbinary(op: str, a: Any, b: "Value") -> "Value":
    return _binary(op, Value(a), b)


def _unary(op: str, a: "Value", arg: Any = None) -> "Value":
    try:
        data = _FORWARD[op](a.data) if arg is None else _FORWARD[op](a.data, arg)
    except DomainError as err:
        raise _named(err, (a,)) from None
    return _node(data, (a,), op, arg)


def _apply(op: str, operands: tuple, arg: Any = None) -> "Value":
    """Apply any table op to Values (used by losses and fused ops)."""
    if len(operands) == 2 and arg is None:
        return _binary(op, operands[0], operands[1])
    return _unary(op, operands[0], arg)


class Value(Node):
    """A scalar that remembers how it was computed.

    The node protocol shared with `Tensor` (and all that `viz` reads): `data`, `grad`,
    `parents`, `op`, `label`.
    """

    __slots__ = ("data", "grad", "label", "_op", "_parents", "_arg", "_seq", "_scope",
                 "_mark", "__weakref__")

    def __init__(self, data: Any, _children: Iterable["Value"] = (), _op: str = "",
                 label: str = "") -> None:
        self.data = data if type(data) is float else _as_float(data)
        self.grad = 0.0
        self.label = label
        self._op = _op
        self._parents = tuple(_children)
        self._arg = None
        self._seq = next_seq()
        self._mark = None
        self._scope = THREAD.recording.scope

    # ---- the node protocol ----
    @property
    def _prev(self) -> tuple:
        """micrograd's name for the parents, so its `trace`/`draw_dot` snippets still work."""
        return self._parents

    def item(self) -> float:
        return self.data

    def __repr__(self) -> str:
        # micrograd 0.1.0's format: a gradient not yet computed (or zeroed) prints as `0`.
        g = self.grad
        shown = "0" if g == 0.0 and math.copysign(1.0, g) > 0.0 else repr(g)
        return f"Value(data={self.data!r}, grad={shown})"

    def __float__(self) -> float:
        return self.data

    # Comparisons look at data (handy in training loops); == stays identity so Values can
    # live in sets and dicts, as in micrograd.
    def __lt__(self, other: Any) -> bool:
        return self.data < _as_number(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _as_number(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _as_number(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _as_number(other)

    # ---- arithmetic ----
    def __add__(self, other: Any) -> "Value":
        return _binary("+", self, other)

    def __radd__(self, other: Any) -> "Value":
        return _rbinary("+", other, self)

    def __sub__(self, other: Any) -> "Value":
        return _binary("-", self, other)

    def __rsub__(self, other: Any) -> "Value":
        return _rbinary("-", other, self)

    def __mul__(self, other: Any) -> "Value":
        return _binary("*", self, other)

    def __rmul__(self, other: Any) -> "Value":
        return _rbinary("*", other, self)

    def __truediv__(self, other: Any) -> "Value":
        return _binary("/", self, other)

    def __rtruediv__(self, other: Any) -> "Value":
        return _rbinary("/", other, self)

    def __pow__(self, other: Any) -> "Value":
        if type(other) is Value:
            return _binary("pow", self, other)
        return _unary("**", self, _as_float(other))

    def __rpow__(self, other: Any) -> "Value":
        return _rbinary("pow", other, self)

    def __neg__(self) -> "Value":
        return _unary("neg", self)

    def __pos__(self) -> "Value":
        return self

    def __abs__(self) -> "Value":
        return _unary("abs", self)

    # ---- functions ----
    def exp(self) -> "Value":
        return _unary("exp", self)

    def log(self) -> "Value":
        return _unary("log", self)

    def sqrt(self) -> "Value":
        return _unary("sqrt", self)

    def tanh(self) -> "Value":
        return _unary("tanh", self)

    def sigmoid(self) -> "Value":
        return _unary("sigmoid", self)

    def relu(self) -> "Value":
        return _unary("relu", self)

    def leaky_relu(self, alpha: float = 0.01) -> "Value":
        return _unary("leaky_relu", self, float(alpha))

    def elu(self, alpha: float = 1.0) -> "Value":
        return _unary("elu", self, float(alpha))

    def gelu(self) -> "Value":
        return _unary("gelu", self)

    def normal_cdf(self) -> "Value":
        return _unary("normal_cdf", self)

    def softplus(self) -> "Value":
        return _unary("softplus", self)

    def sin(self) -> "Value":
        return _unary("sin", self)

    def cos(self) -> "Value":
        return _unary("cos", self)

    def abs(self) -> "Value":
        return _unary("abs", self)

    def maximum(self, other: Any) -> "Value":
        return _binary("maximum", self, other)

    def minimum(self, other: Any) -> "Value":
        return _binary("minimum", self, other)

    # ---- micrograd's way of adding ops ----
    @property
    def _backward(self) -> Callable[[], None]:
        """This node's step of backprop, micrograd's `_backward`: adds d(self)/d(parent) *
        self.grad to every parent's grad (so micrograd's hand-written backward loop works)."""
        return functools.partial(_backward_step, self)

    @_backward.setter
    def _backward(self, fn: Callable[[], None]) -> None:
        """micrograd's way to add an op: `out = Value(t, (x,), 'tanh'); out._backward = fn`,
        where `fn()` adds to `x.grad` using `out.grad`. `backward()` then calls `fn` for
        this node in its one traversal. `autograd.Function` is the recommended form (it
        also gives higher-order gradients)."""
        if not callable(fn):
            raise TypeError(f"_backward must be a function of no arguments, got "
                            f"{type(fn).__name__}")
        self._arg = MicrogradBackward(self.op or "custom", fn, self)
        self._op = "function"

    # ---- graph ----
    def detach(self) -> "Value":
        """A new leaf with the same data: gradients stop here."""
        return Value(self.data, label=self.label)

    # ---- hooks used by autograd.grad (shared with Tensor) ----
    def _seed_gradient(self, seed: Any, create_graph: bool) -> Any:
        return 1.0 if seed is None else seed

    def _vjp(self, g: Any, create_graph: bool) -> list:
        # A masked derivative selects: a plain 0, whatever g is (the parent is still used).
        vjp = [0.0 if d is MASKED else d * g
               for d in local_derivatives(self, differentiable=create_graph)]
        if STATE.anomaly:
            check_value_backward(self, vjp)
        return vjp

    def _wrap_gradient(self, g: Any, create_graph: bool) -> Any:
        # Without create_graph a scalar gradient is just a number; with it, a Value (a
        # constant leaf when the gradient does not depend on any input).
        if create_graph:
            return g if type(g) is Value else Value(g)
        return g.data if type(g) is Value else float(g)

    def backward(self) -> None:
        """Backpropagate from this node: seed d(self)/d(self) = 1 and apply the chain rule.

        Leaves accumulate (call `zero_grad` between steps, as in PyTorch); interior nodes are
        recomputed from zero on every call, so calling backward twice gives exactly twice the
        leaf gradients. Every node keeps its gradient so drawings can show it.
        """
        with graph_work():  # the graph and the walk's tuples hold no cycles: no GC scans
            self._backprop()

    def _backprop(self) -> None:
        order = topological_order(self)
        # Each pass sums every gradient from zero, then adds a leaf's earlier gradient back
        # once (as PyTorch adds a pass's total to .grad): adding the contributions into the
        # old .grad one by one would round differently, and backward twice must give
        # exactly twice the leaf gradients.
        held = []
        for node in order:
            if not node._parents and node.grad:
                held.append((node, node.grad))
            node.grad = 0.0
        self.grad = 1.0
        local = _LOCAL
        accumulate = ACCUMULATE
        checking = STATE.anomaly
        try:
            for node in reversed(order):
                parents = node._parents
                if not parents:
                    continue
                g = node.grad
                op = node._op
                n = len(parents)
                if op in accumulate:
                    accumulate[op](node, g)
                elif n == 2:
                    a, b = parents
                    da, db = local[op](node.data, a.data, b.data, node._arg)
                    # A masked derivative selects (no gradient even if g is inf or nan).
                    if da is not MASKED:
                        a.grad += da * g
                    if db is not MASKED:
                        b.grad += db * g
                elif n == 1:
                    a = parents[0]
                    d = local[op](node.data, a.data, node._arg)
                    if d is not MASKED:
                        a.grad += d * g
                else:
                    _backward_step(node)
                if checking:
                    check_value_backward(node)
        except KeyError:
            if node._op not in local:
                raise KeyError(f"backward: the node {node.label or ''} made by op "
                               f"{node._op!r} has no derivative rule; give it a _backward "
                               f"(micrograd's way) or write the op as an autograd.Function"
                               ) from None
            raise
        for node, earlier in held:
            node.grad = earlier + node.grad


def _as_number(x: Any) -> float:
    return x.data if type(x) is Value else x


def _backward_step(node: Value) -> None:
    """Add node.grad times each local derivative to the parents' grads (masks select)."""
    g = node.grad
    if node._op == "function":
        node._arg.accumulate(node, g)
        return
    for p, d in zip(node._parents, local_derivatives(node)):
        if d is not MASKED:
            p.grad += d * g


class MicrogradBackward:
    """The rule-table arg of a node whose backward is a micrograd-style closure.

    The closure adds to its parents' grads itself; to learn the local derivatives (for
    drawings and `autograd.grad`) it is run once with the node's grad set to 1 and the
    parents' grads to 0, then everything is put back.
    """

    __slots__ = ("op_name", "fn", "_node")

    def __init__(self, name: str, fn: Callable[[], None], node: Value) -> None:
        self.op_name = name
        self.fn = fn
        self._node = weakref.ref(node)  # no cycle node -> arg -> node

    def accumulate(self, node: Value, g: float) -> None:
        self.fn()

    def local_derivatives(self, differentiable: bool) -> tuple:
        if differentiable:
            raise TypeError(f"the op {self.op_name!r} has a micrograd-style _backward, which "
                            f"cannot be differentiated again; write it as an "
                            f"autograd.Function for higher-order gradients")
        node = self._node()
        parents = node._parents
        saved = node.grad, [p.grad for p in parents]
        try:
            node.grad = 1.0
            for p in parents:
                p.grad = 0.0
            self.fn()
            # A parent listed twice gets its total once (its later edges 0): sums stay right.
            seen: set = set()
            out = []
            for p in parents:
                out.append(0.0 if id(p) in seen else p.grad)
                seen.add(id(p))
            return tuple(out)
        finally:
            node.grad = saved[0]
            for p, g in zip(parents, saved[1]):
                p.grad = g


class Inputs(tuple):
    """A tuple already known to hold only Values: a layer converts its inputs once, not once
    per neuron."""

    __slots__ = ()


def as_inputs(xs: Any) -> Inputs:
    """Numbers become constant leaf Values; Values pass through (a bare Value is one input)."""
    if type(xs) is Inputs:
        return xs
    if type(xs) is Value:
        return Inputs((xs,))
    return Inputs([x if type(x) is Value else Value(x) for x in xs])


def affine(weights: Sequence[Value], inputs: Sequence[Any], bias: Value) -> Value:
    """w·x + b as ONE node (a neuron's pre-activation): same numbers as the per-op graph,
    summed in micrograd's order (b + w0*x0 + w1*x1 + ...), far fewer nodes.

    >>> w = [Value(0.5), Value(-0.5)]
    >>> affine(w, [1.0, -1.0], Value(0.0)).data
    1.0
    """
    xs = as_inputs(inputs)
    n = len(weights)
    if len(xs) != n:
        raise ValueError(f"affine: {n} weights but {len(xs)} inputs")
    return _affine(weights, bias, xs)


_AFFINE = _FORWARD["affine"]


def _affine(weights: Sequence[Value], bias: Value, xs: Inputs) -> Value:
    # A neuron has already checked its inputs: no second pass over them.
    data = _AFFINE(map(_data, weights), bias.data, map(_data, xs))  # no lists: 15% faster
    return _node(data, (*weights, bias, *xs), "affine", len(weights))
