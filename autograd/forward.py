"""Forward mode: tangents pushed from the inputs to the outputs by the same rule tables.

Reverse mode (`backward`, `autograd.grad`) carries d(output)/d(node) from the output back to
the inputs. Forward mode carries a *tangent* ẋ = d(node)/dε for one direction of the inputs
(inputs + ε·tangents), from the inputs forward, in evaluation order:

    ẏ = Σᵢ ∂y/∂xᵢ · ẋᵢ

A scalar node's ∂y/∂xᵢ are the local derivatives of `scalar_rules` (the very ones backward
multiplies by the incoming gradient); a Tensor node's push-forward is its rule's JVP, which
sits next to its VJP in `tensor_rules`. One forward pass gives the derivative of every output
along one direction; a full gradient of W inputs takes W passes (reverse mode: one).

The primal values are computed first, recording the graph as usual; the tangent pass then
walks that graph in topological order (the same traversal as everything else). `jvp` keeps
no graph: its outputs and tangents are fresh leaves.

>>> from autograd import Value
>>> f = lambda x, y: x * y + x.tanh()
>>> out, tangent = jvp(f, (Value(0.5), Value(2.0)), (1.0, 0.0))   # along x: df/dx
>>> round(out.data, 4), round(tangent, 4)
(1.4621, 2.7864)
"""
from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

import numpy as np

from . import versions
from .graph import topological_order
from .mode import enable_grad
from .scalar_rules import MASKED, local_derivatives
from .tensor_core import TENSOR_MATH, Tensor, _leaf, _nary, _unary
from .tensor_rules import ARRAY_MATH, LINEAR, REDUCTION, RULES, SYMMETRIC, total
from .value import Value


def node_tangent(node: Any, tangents: Sequence[Any], create_graph: bool = False) -> Any:
    """The tangent of an op node from its parents' tangents (None: a zero tangent, at
    least one is not None). A float for a Value (a Value with `create_graph`), an ndarray
    for a Tensor (a Tensor with `create_graph`)."""
    if type(node) is Value:
        derivs = local_derivatives(node, differentiable=create_graph)
        # A masked derivative selects: a plain 0, whatever the tangent (no 0 * inf = nan).
        terms = [d * t for d, t in zip(derivs, tangents) if t is not None and d is not MASKED]
        return total(terms) if terms else 0.0
    return _tensor_tangent(node, tangents, create_graph)


def _tensor_tangent(node: Tensor, ts: Sequence[Any], create_graph: bool) -> Any:
    if versions.CLOCK.last > node._seq:      # a value it reads was changed in place since
        versions.check(node)
    op, arg, parents = node._op, node._arg, node._parents
    rule = RULES[op]
    if create_graph:
        B, out, ops = TENSOR_MATH, node, list(parents)
    else:
        B, out, ops = ARRAY_MATH, node._data, [p._data for p in parents]
    jvp = rule.jvp
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if jvp is SYMMETRIC:
            t = _symmetric(rule, B, ts, out, ops, arg)
        elif jvp is LINEAR:
            t = _linear(op, rule, create_graph, ts, ops, arg)
        elif jvp is REDUCTION:
            data = node._data
            ones = np.ones(data.shape, dtype=data.dtype)
            weights = rule.vjp(B, _leaf(ones) if create_graph else ones, out, ops[0], arg)
            t = (ts[0] * weights).sum(axis=arg[0], keepdims=arg[1])
        elif jvp is None:
            raise NotImplementedError(f"forward mode: the Tensor op {op!r} has no JVP in "
                                      f"autograd/tensor_rules.py")
        else:
            t = jvp(B, ts, out, ops, arg)
    shape, dtype = node._data.shape, node._data.dtype
    if t.shape != shape:            # a broadcast operand's tangent: spread to the output
        t = B.expand(t, shape)
    if t.dtype != dtype:
        t = B.cast(t, dtype)
    return t


def _symmetric(rule: Any, B: Any, ts: Sequence[Any], out: Any, ops: List[Any], arg: Any) -> Any:
    """J·t for ops whose Jacobian per operand is symmetric: the VJP of each operand's
    tangent, summed over the operands."""
    if rule.arity == 1:
        return rule.vjp(B, ts[0], out, ops[0], arg)
    n = len(ops)
    terms = []
    for i, t in enumerate(ts):
        if t is None:
            continue
        need = tuple(j == i for j in range(n))
        if rule.arity == 2:
            terms.append(rule.vjp(B, t, out, ops[0], ops[1], arg, need)[i])
        else:
            terms.append(rule.vjp(B, t, out, ops, arg, need)[i])
    return total(terms)


def _linear(op: str, rule: Any, create_graph: bool, ts: Sequence[Any], ops: List[Any],
            arg: Any) -> Any:
    """A linear op's JVP: the op itself applied to the tangent(s) (zeros for the operands
    without one)."""
    if rule.arity == 1:
        return _unary(op, ts[0], arg) if create_graph else rule.forward(ts[0], arg)
    filled = [t if t is not None else _zeros_like(x, create_graph) for t, x in zip(ts, ops)]
    return _nary(op, tuple(filled), arg) if create_graph else rule.forward(filled, arg)


def _zeros_like(x: Any, create_graph: bool) -> Any:
    data = x._data if create_graph else x
    zeros = np.zeros(data.shape, dtype=data.dtype)
    return _leaf(zeros) if create_graph else zeros


def sweep(order: Sequence[Any], seeds: Sequence[Tuple[Any, Any]],
          create_graph: bool = False) -> List[Any]:
    """Every node's tangent (None where no seeded input reaches it), for nodes in
    topological `order`, given `(node, tangent)` seeds."""
    known = {id(node): t for node, t in seeds}
    found = []
    for node in order:
        key = id(node)
        t = known.get(key)
        if t is None and node._parents:
            parent_ts = [known.get(id(p)) for p in node._parents]
            if any(pt is not None for pt in parent_ts):
                t = known[key] = node_tangent(node, parent_ts, create_graph)
        found.append(t)
    return found


def push_tangents(outputs: Any, inputs: Any, input_tangents: Any,
                  create_graph: bool = False) -> tuple:
    """d(outputs)/dε along `input_tangents`: the forward twin of `autograd.grad`.

    One entry per output: the tangent (float or ndarray; a Value or Tensor with
    `create_graph`), or None for an output that does not depend on the inputs.

    >>> from autograd import Value
    >>> x = Value(3.0); y = x * x
    >>> push_tangents(y, x, 1.0)
    (6.0,)
    """
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    ts = list(input_tangents) if isinstance(input_tangents, (list, tuple)) else [input_tangents]
    if len(ts) != len(ins):
        raise ValueError(f"push_tangents: {len(ins)} inputs but {len(ts)} tangents")
    order = topological_order(outs)
    by_id = dict(zip(map(id, order), sweep(order, list(zip(ins, ts)), create_graph)))
    return tuple(by_id[id(o)] for o in outs)


# ---------------------------------------------------------------- jvp(f, primals, tangents)

def jvp(func: Callable, primals: Sequence[Any], tangents: Sequence[Any], *,
        create_graph: bool = False) -> Tuple[Any, Any]:
    """(func(*primals), the derivative of func along `tangents`): `torch.func.jvp`.

    `primals` and `tangents` are tuples with one entry per argument of `func`: Values (or
    numbers) with number tangents, or floating-point Tensors with tangents of the same
    shape. `func` returns a Value or Tensor, or a tuple/list of them; the result has the
    same structure. An output that does not depend on the primals gets a zero tangent.
    No graph is kept (with `create_graph=True` the tangents are graphs of the primals, for
    higher order).

    >>> from autograd import Tensor
    >>> out, t = jvp(lambda x: (x * x).sum(), (Tensor([1.0, 2.0]),), (Tensor([1.0, 0.0]),))
    >>> out.item(), t.item()
    (5.0, 2.0)
    """
    leaves, seeds = primal_leaves("jvp", primals, tangents, create_graph)
    with enable_grad():
        result = func(*leaves)
    outs, single = output_nodes("jvp", result)
    found = push_tangents(outs, leaves, seeds, create_graph)
    ts = [zero_tangent(o, create_graph) if t is None else wrap_tangent(o, t, create_graph)
          for o, t in zip(outs, found)]
    if not create_graph:
        outs = [o.detach() for o in outs]
    if single:
        return outs[0], ts[0]
    return type(result)(outs), type(result)(ts)


def primal_leaves(who: str, primals: Any, tangents: Any,
                  create_graph: bool) -> Tuple[List[Any], List[Any]]:
    """The nodes `func` is called on (fresh leaves, or graphs of the primals with
    `create_graph`) and their tangents as the sweep reads them, after checking both."""
    for name, xs in (("primals", primals), ("tangents", tangents)):
        if not isinstance(xs, (tuple, list)):
            raise TypeError(f"{who}(f, primals, tangents): {name} must be a tuple with one "
                            f"entry per argument of f, got {type(xs).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"{who}: {len(primals)} primals but {len(tangents)} tangents "
                         f"(one tangent per primal)")
    leaves = [leaf_for(who, f"primal {i}", p, create_graph) for i, p in enumerate(primals)]
    seeds = [vector_like(who, f"tangent {i}", "its primal", leaf, t, create_graph)
             for i, (leaf, t) in enumerate(zip(leaves, tangents))]
    return leaves, seeds


def leaf_for(who: str, what: str, p: Any, create_graph: bool) -> Any:
    """The node a function is differentiated at for the input `p` (a Value, number,
    floating-point Tensor or array): a fresh leaf, or with `create_graph` a node that stays
    connected to `p` (so the result can be differentiated with respect to `p` again)."""
    if type(p) is Value or (isinstance(p, (int, float)) and not isinstance(p, bool)):
        if create_graph:
            return p if type(p) is Value else Value(p)
        return Value(p.data, label=p.label) if type(p) is Value else Value(p)
    if not isinstance(p, (Tensor, np.ndarray)):
        raise TypeError(f"{who}: {what} must be a Value, a number or a Tensor, got "
                        f"{type(p).__name__}")
    x = p if isinstance(p, Tensor) else Tensor(p)
    if x._data.dtype.kind != "f":
        raise TypeError(f"{who}: {what} has dtype {x.dtype}; only floating-point tensors "
                        f"are differentiable (convert it with .double() or .float())")
    if create_graph and x.requires_grad:
        return x.clone()
    leaf = x.detach().requires_grad_()
    leaf.label = x.label
    return leaf


def vector_like(who: str, what: str, owner: str, node: Any, v: Any,
                create_graph: bool) -> Any:
    """`v` checked to be a vector in `node`'s space (a number for a Value, a Tensor of the
    same shape for a Tensor) and converted: a float or ndarray, or with `create_graph` a
    Value or Tensor."""
    if type(node) is Value:
        if isinstance(v, (Tensor, np.ndarray, bool)) or not (
                type(v) is Value or isinstance(v, (int, float))):
            raise TypeError(f"{who}: {what} must be a number ({owner} is a scalar Value), "
                            f"got {type(v).__name__}")
        if create_graph:
            return v if type(v) is Value else Value(float(v))
        return v.data if type(v) is Value else float(v)
    if isinstance(v, (Value, bool)) or not isinstance(v, (Tensor, np.ndarray, int, float, list)):
        raise TypeError(f"{who}: {what} must be a Tensor like {owner}, got "
                        f"{type(v).__name__}")
    data = node._data
    t = v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=data.dtype))
    if tuple(t.shape) != data.shape:
        raise ValueError(f"{who}: {what} has shape {tuple(t.shape)} but {owner} has shape "
                         f"{data.shape}")
    if t._data.dtype != data.dtype:
        t = t.to(node.dtype)
    return t if create_graph else t._data


def output_nodes(who: str, result: Any) -> Tuple[List[Any], bool]:
    """The function's outputs as a list of nodes, and whether it returned just one."""
    single = not isinstance(result, (tuple, list))
    outs = [result] if single else list(result)
    for k, o in enumerate(outs):
        if not isinstance(o, (Value, Tensor)):
            where = "" if single else f" (entry {k})"
            raise TypeError(f"{who}: the function must return a Value or Tensor, or a "
                            f"tuple of them, but it returned a {type(o).__name__}{where}")
    return outs, single


def zero_tangent(node: Any, create_graph: bool = False) -> Any:
    """The tangent of an output that does not depend on the inputs: 0 of its shape."""
    if type(node) is Value:
        return Value(0.0) if create_graph else 0.0
    return _leaf(np.zeros(node._data.shape, dtype=node._data.dtype))


def wrap_tangent(node: Any, t: Any, create_graph: bool) -> Any:
    """A tangent as users get it: a float for a Value, a Tensor for a Tensor."""
    if type(node) is Value:
        return t if create_graph else float(t.data if type(t) is Value else t)
    if isinstance(t, Tensor):
        return t
    return _leaf(np.array(t))
