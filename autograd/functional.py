"""PyTorch's `torch.autograd.functional`: `vjp`, `jvp`, `jacobian`, `hessian`, `vhp`, `hvp`.

Same names, signatures and result structure as PyTorch's (reachable as
`torch.autograd.functional` after `import autograd as torch`). `func` takes the inputs as
separate arguments (`func(*inputs)`) and returns a Tensor or a tuple of Tensors; `inputs`
is a Tensor or a tuple of them, and each result mirrors that: a Tensor for a Tensor, a tuple
for a tuple. Functions of scalar `Value`s work too: `inputs` a Value (or number) or a list
of them, results floats and (nested) lists, e.g. `jacobian` of a function of a list of
Values returning a list of Values gives `J[i][j] = ∂out_i/∂in_j`.

Reverse mode (`autograd.grad`) computes `vjp`, the default `jacobian` (one backward pass
per output element) and `vhp` (reverse over reverse); forward mode (`autograd.forward`)
computes `jvp`, `jacobian(strategy="forward-mode")` (one tangent pass per input element,
over a graph recorded once) and `hvp` (forward over reverse). `vectorize` is accepted and
changes nothing (the rows are computed one by one).

>>> from autograd import Tensor
>>> f = lambda x: (x ** 3).sum()
>>> x = Tensor([1.0, 2.0])
>>> jacobian(f, x).tolist(), hessian(f, x).tolist()
([3.0, 12.0], [[6.0, 0.0], [0.0, 12.0]])
>>> out, hv = hvp(f, x, Tensor([1.0, 1.0]))
>>> out.item(), hv.tolist()
(9.0, [6.0, 12.0])
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, List, Sequence, Tuple

import numpy as np

from .differentiate import grad
from .forward import (leaf_for, output_nodes, push_tangents, sweep, vector_like,
                      wrap_tangent, zero_tangent)
from .graph import topological_order
from .mode import enable_grad
from .tensor_core import Tensor, _leaf, stack
from .tensor_rules import total
from .value import Value

STRATEGIES = ("reverse-mode", "forward-mode")


# ---- inputs and outputs in PyTorch's structure ----

def _as_tuple(who: str, inputs: Any) -> Tuple[tuple, bool]:
    """(the inputs as a tuple, whether the user gave a tuple/list)."""
    if isinstance(inputs, (tuple, list)):
        if not inputs:
            raise ValueError(f"{who}: inputs is empty; give a Tensor or a tuple of Tensors")
        return tuple(inputs), True
    return (inputs,), False


def _leaves(who: str, inputs: tuple, create_graph: bool) -> List[Any]:
    return [leaf_for(who, f"input {i}", x, create_graph) for i, x in enumerate(inputs)]


def _evaluate(who: str, func: Callable, inputs: Any,
              create_graph: bool) -> Tuple[bool, List[Any], List[Any], bool]:
    """(whether inputs is a tuple, the leaves func ran on, its outputs, whether it returned
    one): every transform starts here."""
    ins, as_tuple = _as_tuple(who, inputs)
    leaves = _leaves(who, ins, create_graph)
    if not callable(func):
        raise TypeError(f"{who}: func must be a function, got {type(func).__name__}")
    with enable_grad():
        result = func(*leaves)
    outs, single = output_nodes(who, result)
    return as_tuple, leaves, outs, single


def _vectors(who: str, v: Any, nodes: Sequence[Any], owner: str, create_graph: bool) -> list:
    """`v` checked against `nodes` (PyTorch's _validate_v): one entry per node."""
    vs, _ = _as_tuple(who, v) if isinstance(v, (tuple, list)) else ((v,), False)
    if len(vs) != len(nodes):
        raise ValueError(f"{who}: v is a tuple of invalid length: should be {len(nodes)} but "
                         f"got {len(vs)}")
    return [vector_like(who, "v" if len(nodes) == 1 else f"entry {i} in v", f"{owner} {i}",
                        n, x, create_graph) for i, (n, x) in enumerate(zip(nodes, vs))]


def _default_v(who: str, v: Any, nodes: Sequence[Any], what: str) -> Any:
    """v = 1 when it may be left out: one node with one element (PyTorch's rule)."""
    if v is not None:
        return v
    if len(nodes) != 1 or _numel(nodes[0]) != 1:
        raise ValueError(f"{who}: The vector v can only be None if {what} is a single Tensor "
                         f"with a single element")
    node = nodes[0]
    return 1.0 if type(node) is Value else Tensor(np.ones(node._data.shape, node._data.dtype))


def _numel(node: Any) -> int:
    return 1 if type(node) is Value else int(node._data.size)


def _shaped(values: Sequence[Any], as_tuple: bool) -> Any:
    """One result per input (or output) in the structure the user gave: a tuple or one."""
    values = tuple(values)
    return values if as_tuple else values[0]


def _user(node: Any, create_graph: bool) -> Any:
    """An output as the user gets it: detached unless `create_graph`."""
    return node if create_graph else node.detach()


def _zero(node: Any) -> Any:
    return 0.0 if type(node) is Value else zero_tangent(node)


def _reverse(who: str, outs: Sequence[Any], leaves: Sequence[Any], seeds: Any,
             create_graph: bool, strict: bool, stage: str = "output") -> list:
    """d(outs)/d(leaves) seeded with `seeds` (autograd.grad), zeros where unused (an
    error in strict mode)."""
    grads = grad(outs, leaves, grad_outputs=seeds, create_graph=create_graph,
                 allow_unused=True)
    return [_filled(who, g, leaf, i, strict, stage) for i, (g, leaf) in
            enumerate(zip(grads, leaves))]


def _filled(who: str, g: Any, leaf: Any, i: int, strict: bool, stage: str) -> Any:
    if g is not None:
        return g
    if strict:
        raise RuntimeError(f"{who}: The {stage} of the user-provided function is independent "
                           f"of input {i}. This is not allowed in strict mode.")
    return _zero(leaf)


def _value_out(g: Any, create_graph: bool) -> Any:
    """A scalar result as a float (a Value with create_graph), a Tensor as itself."""
    if isinstance(g, Tensor):
        return g
    if create_graph:
        return g if type(g) is Value else Value(float(g))
    return float(g.data if type(g) is Value else g)


# ---- vjp and jvp ----

def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Any, Any]:
    """(func(*inputs), vᵀ·J): the vector-Jacobian product, one reverse pass.

    >>> from autograd import Tensor
    >>> out, g = vjp(lambda x: x * x, Tensor([1.0, 3.0]), Tensor([1.0, 0.5]))
    >>> g.tolist()
    [2.0, 3.0]
    """
    as_tuple, leaves, outs, single = _evaluate("vjp", func, inputs, create_graph)
    v = _default_v("vjp", v, outs, "the user-provided function's output")
    seeds = _vectors("vjp", v, outs, "output", create_graph)
    seeds = [_seed(o, s) for o, s in zip(outs, seeds)]
    grads = _reverse("vjp", outs, leaves, seeds, create_graph, strict)
    result = [_value_out(g, create_graph) for g in grads]
    return (_shaped([_user(o, create_graph) for o in outs], not single),
            _shaped(result, as_tuple))


def _seed(node: Any, s: Any) -> Any:
    """A checked vector as autograd.grad takes it as grad_outputs."""
    if type(node) is Value or isinstance(s, Tensor):
        return s
    return _leaf(s)


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Any, Any]:
    """(func(*inputs), J·v): the Jacobian-vector product, one forward-mode pass.

    >>> from autograd import Value
    >>> jvp(lambda a, b: a * b, [Value(2.0), Value(3.0)], [1.0, 0.0])[1]     # ∂(ab)/∂a
    3.0
    """
    as_tuple, leaves, outs, single = _evaluate("jvp", func, inputs, create_graph)
    v = _default_v("jvp", v, leaves, "the input to the user-provided function")
    seeds = _vectors("jvp", v, leaves, "input", create_graph)
    found = push_tangents(outs, leaves, seeds, create_graph)
    tangents = []
    for i, (o, t) in enumerate(zip(outs, found)):
        if t is None:
            if strict:
                raise RuntimeError(f"jvp: Output {i} of the user-provided function is "
                                   f"independent of the inputs. This is not allowed in "
                                   f"strict mode.")
            tangents.append(_zero(o) if not create_graph else zero_tangent(o, True))
        else:
            tangents.append(_value_out(wrap_tangent(o, t, create_graph), create_graph))
    outputs = [_user(o, create_graph) for o in outs]
    return _shaped(outputs, not single), _shaped(tangents, not single)


# ---- jacobian ----

def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of func at inputs: `J[i][j]` of shape `out_i.shape + in_j.shape`,
    nested as PyTorch nests it (a Tensor for one output and one input, a tuple over inputs
    for a tuple of inputs, a tuple over outputs for several outputs). For Values: floats in
    lists. `strategy="reverse-mode"` runs one backward pass per output element;
    `"forward-mode"` one tangent pass per input element.

    >>> from autograd import Value
    >>> jacobian(lambda a, b: [a * b, a + b], [Value(2.0), Value(3.0)])
    [[3.0, 2.0], [1.0, 1.0]]
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"jacobian: Expected strategy to be either \"forward-mode\" or "
                         f"\"reverse-mode\", got {strategy!r}")
    as_tuple, leaves, outs, single = _evaluate("jacobian", func, inputs, create_graph)
    if strategy == "forward-mode":
        blocks = _forward_blocks(outs, leaves, create_graph, strict)
    else:
        blocks = _reverse_blocks(outs, leaves, create_graph, strict)
    # PyTorch nests in tuples; functions of Values get lists.
    seq = list if all(type(n) is Value for n in [*outs, *leaves]) else tuple
    rows = [seq(row) if as_tuple else row[0] for row in blocks]
    return rows[0] if single else seq(rows)


def _reverse_blocks(outs: Sequence[Any], leaves: Sequence[Any], create_graph: bool,
                    strict: bool) -> List[List[Any]]:
    blocks = []
    for i, out in enumerate(outs):
        rows: List[List[Any]] = []           # per output element, its gradient per input
        for seed in _basis(out, create_graph):
            gs = grad(out, leaves, grad_outputs=seed, create_graph=create_graph,
                      allow_unused=True)
            rows.append(list(gs))
        blocks.append([_block(out, leaf, [r[j] for r in rows], i, j, strict, create_graph,
                              rows_are_outputs=True)
                       for j, leaf in enumerate(leaves)])
    return blocks


def _forward_blocks(outs: Sequence[Any], leaves: Sequence[Any], create_graph: bool,
                    strict: bool) -> List[List[Any]]:
    order = topological_order(list(outs))     # one recorded graph, one sweep per column
    position = {id(n): k for k, n in enumerate(order)}
    columns = []                              # per input: per input element, per output
    for j, leaf in enumerate(leaves):
        cols = []
        for seed in _basis(leaf, create_graph):
            seed = seed if create_graph or type(leaf) is Value else seed._data
            found = sweep(order, [(leaf, seed)], create_graph)
            cols.append([found[position[id(o)]] for o in outs])
        columns.append(cols)
    return [[_block(out, leaf, [c[i] for c in columns[j]], i, j, strict, create_graph,
                    rows_are_outputs=False)
             for j, leaf in enumerate(leaves)] for i, out in enumerate(outs)]


def _basis(node: Any, create_graph: bool) -> Iterator[Any]:
    """The unit vectors of a node's space, each of the node's shape, made one at a time
    (an identity matrix of a 10,000-element input would take 800 MB)."""
    if type(node) is Value:
        yield Value(1.0) if create_graph else 1.0
        return
    data = node._data
    for k in range(data.size):
        unit = np.zeros(data.shape, dtype=data.dtype)
        unit.flat[k] = 1.0
        yield _leaf(unit)


def _block(out: Any, leaf: Any, parts: List[Any], i: int, j: int, strict: bool,
           create_graph: bool, rows_are_outputs: bool) -> Any:
    """∂out/∂leaf from its parts: rows (one gradient per output element, reverse mode) or
    columns (one tangent per input element, forward mode); None parts are zeros."""
    if all(p is None for p in parts) or not parts:
        if strict and parts:
            raise RuntimeError(f"jacobian: Output {i} of the user-provided function is "
                               f"independent of input {j}. This is not allowed in strict "
                               f"mode.")
        if type(out) is Value and type(leaf) is Value:
            return Value(0.0) if create_graph else 0.0
        shape = _shape(out) + _shape(leaf)
        return _leaf(np.zeros(shape, dtype=_dtype(out, leaf)))
    if type(out) is Value and type(leaf) is Value:
        return _value_out(parts[0], create_graph)          # the one part of a 1 × 1 block
    filled = [_as_tensor(p, leaf if rows_are_outputs else out) for p in parts]
    # rows: (out elements, *leaf shape); columns: (leaf elements, *out shape) -> move last
    stacked = stack(filled, dim=0 if rows_are_outputs else -1)
    return stacked.reshape(_shape(out) + _shape(leaf))


def _as_tensor(part: Any, like: Any) -> Tensor:
    if part is None:
        return _leaf(np.zeros(_shape(like), dtype=_dtype(like, like)))
    if isinstance(part, Tensor):
        return part
    return _leaf(np.asarray(part, dtype=_dtype(like, like)))


def _shape(node: Any) -> tuple:
    return () if type(node) is Value else node._data.shape


def _dtype(a: Any, b: Any) -> Any:
    for n in (a, b):
        if type(n) is not Value:
            return n._data.dtype
    return np.float64


# ---- second order ----

def _scalar_output(who: str, outs: Sequence[Any], single: bool) -> Any:
    if not single:
        raise RuntimeError(f"{who}: The function given to {who} should return a single "
                           f"Tensor (or Value), got a tuple of {len(outs)}")
    out = outs[0]
    if _numel(out) != 1:
        raise RuntimeError(f"{who}: The Tensor returned by the function given to {who} "
                           f"should contain a single element, got shape {_shape(out)}")
    return out


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient, `H[i][j]` of shape
    `in_i.shape + in_j.shape` (a Tensor for one input, a tuple of tuples for several).
    The gradient is reverse mode; `outer_jacobian_strategy` chooses the outer Jacobian's
    mode ("forward-mode": forward over reverse).

    >>> from autograd import Value
    >>> hessian(lambda a, b: a * a * b, [Value(1.0), Value(2.0)])
    [[4.0, 2.0], [2.0, 0.0]]
    """
    ins, as_tuple = _as_tuple("hessian", inputs)

    def gradient(*xs: Any) -> Any:
        outs, single = output_nodes("hessian", func(*xs))
        out = _scalar_output("hessian", outs, single)
        gs = _nodes(_reverse("hessian", [out], list(xs), None, True, strict))
        return tuple(gs) if as_tuple else gs[0]

    return jacobian(gradient, ins if as_tuple else ins[0], create_graph, strict, vectorize,
                    outer_jacobian_strategy)


def _second_order(who: str, func: Callable, inputs: Any, v: Any, create_graph: bool,
                  strict: bool) -> Tuple[Any, bool, List[Any], List[Any], list]:
    as_tuple, leaves, outs, single = _evaluate(who, func, inputs, create_graph)
    v = _default_v(who, v, leaves, "the input to the user-provided function")
    vs = _vectors(who, v, leaves, "input", True)
    out = _scalar_output(who, outs, single)
    grads = _nodes(_reverse(who, [out], leaves, None, True, strict))
    return out, as_tuple, leaves, grads, vs


def _nodes(grads: Sequence[Any]) -> List[Any]:
    """Gradients as nodes (a Value's zero filled in as a number becomes a constant Value),
    to be differentiated again."""
    return [Value(g) if type(g) is float else g for g in grads]


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Any, Any]:
    """(func(*inputs), vᵀ·H): reverse mode over reverse mode (d/dx of gradient·v).

    >>> from autograd import Tensor
    >>> out, vh = vhp(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 0.0]))
    >>> vh.tolist()
    [6.0, 0.0]
    """
    out, as_tuple, leaves, grads, vs = _second_order("vhp", func, inputs, v, create_graph,
                                                     strict)
    live = [(g * x).sum() if isinstance(g, Tensor) else g * x
            for g, x in zip(grads, vs) if g._parents]       # a constant gradient: H = 0
    if live:
        result = _reverse("vhp", [total(live)], leaves, None, create_graph, strict, "hessian")
    else:
        result = [_filled("vhp", None, leaf, i, strict, "hessian")
                  for i, leaf in enumerate(leaves)]
    return (_user(out, create_graph),
            _shaped([_value_out(r, create_graph) for r in result], as_tuple))


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Any, Any]:
    """(func(*inputs), H·v): forward mode over reverse mode (the gradient's tangent
    along v). Equal to `vhp` since H is symmetric.

    >>> from autograd import Value
    >>> hvp(lambda a, b: a * a * b, [Value(1.0), Value(2.0)], [1.0, 0.0])[1]
    (4.0, 2.0)
    """
    out, as_tuple, leaves, grads, vs = _second_order("hvp", func, inputs, v, create_graph,
                                                     strict)
    seeds = vs if create_graph else [x.data if type(x) is Value else x._data for x in vs]
    found = push_tangents(grads, leaves, seeds, create_graph)
    result = []
    for i, (g, t, leaf) in enumerate(zip(grads, found, leaves)):
        if t is None:
            result.append(_filled("hvp", None, leaf, i, strict, "hessian"))
        else:
            result.append(_value_out(wrap_tangent(g, t, create_graph), create_graph))
    return _user(out, create_graph), _shaped(result, as_tuple)
