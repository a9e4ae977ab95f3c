"""`draw_torch`: draw the autograd graph behind a PyTorch tensor that was not traced.

PyTorch keeps the graph's structure (`grad_fn` and its `next_functions`), the leaves
(`AccumulateGrad` nodes hold the variable, and its `.grad` after backward) and whatever
each backward node saved for later (`_saved_self`, `_saved_result`, ...: freed by a
backward without `retain_graph=True`). That is what this drawing shows: one node per
autograd node, named by its op (`MulBackward0` is drawn as `×`), with the values that
were saved and a note that `viz.trace_torch()` shows every value and gradient.

>>> import importlib.util
>>> if importlib.util.find_spec("torch"):           # PyTorch is an optional dependency
...     import torch
...     w = torch.tensor(-3.0, requires_grad=True)
...     y = (w * 2).tanh(); y.backward()
...     d = draw_torch(y, params={"w": w})
...     found = [text in d.source for text in ("<B>w</B>", "tanh", "trace_torch")]
... else:
...     found = [True, True, True]
>>> found
[True, True, True]
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Tuple

from .torch_node import TorchNode
from .torch_ops import function_op, glassgrad_op
from .torch_support import require_torch

NOTE = ("drawn from PyTorch's autograd graph, which keeps values and gradients only for "
        "leaves and saved tensors: record the run with viz.trace_torch() to see them all")

# Which input a saved tensor is (by its name in the op's signature); PyTorch saves
# `self` and `other` for most ops. `result` is the node's own value.
_SLOTS = {"self": 0, "other": 1, "target": 1}
_SLOTS_BY_CLASS = {"PowBackward1": {"self": 0, "exponent": 1}, "PowBackward2": {},
                   "AddmmBackward0": {"mat1": 1, "mat2": 2},
                   "MmBackward0": {"self": 0, "mat2": 1}, "BmmBackward0": {"self": 0, "mat2": 1}}


def _saved(fn: Any, name: str) -> Any:
    try:
        return getattr(fn, f"_saved_{name}")
    except (AttributeError, RuntimeError):     # not saved, or freed by backward
        return None


def _settings(fn: Any, torch: Any) -> Dict[str, Any]:
    """The op's saved non-tensor arguments (alpha, negative_slope, exponent, ...)."""
    out = {}
    for attr in dir(fn):
        if attr.startswith("_saved_") and not attr.endswith(("_sym_sizes", "_sym_strides")):
            value = _saved(fn, attr[len("_saved_"):])
            if value is not None and not isinstance(value, torch.Tensor):
                out[attr[len("_saved_"):]] = value
    return out


def _names(params: Any, torch: Any, who: str) -> Dict[int, Tuple[Any, str]]:
    if params is None:
        return {}
    if isinstance(params, torch.nn.Module):
        params = dict(params.named_parameters())
    if not isinstance(params, Mapping):
        raise TypeError(f"{who}: params must be a dict of name -> tensor or a "
                        f"torch.nn.Module, got {type(params).__name__}")
    return {id(t): (t, name) for name, t in params.items()}


def _walk(roots: List[Any]) -> List[Any]:
    """Every autograd node reachable from `roots`, inputs before the nodes that use them."""
    found: Dict[int, Any] = {}
    order = []
    for fn in roots:
        if id(fn) not in found:
            found[id(fn)] = fn
            order.append(fn)
    for fn in order:                            # grows while we walk: breadth first
        for parent, _ in fn.next_functions:
            if parent is not None and id(parent) not in found:
                found[id(parent)] = parent
                order.append(parent)
    users: Dict[int, int] = {id(fn): 0 for fn in order}
    for fn in order:
        for parent, _ in fn.next_functions:
            if parent is not None:
                users[id(parent)] += 1
    ready = [fn for fn in order if users[id(fn)] == 0]
    result = []
    while ready:                                # Kahn: outputs first, then reversed
        fn = ready.pop()
        result.append(fn)
        for parent, _ in fn.next_functions:
            if parent is not None:
                users[id(parent)] -= 1
                if users[id(parent)] == 0:
                    ready.append(parent)
    result.reverse()
    return result


def draw_torch(output: Any, params: Any = None, format: str = "svg", rankdir: str = "LR",
               **options: Any) -> Any:
    """Draw the autograd graph that computed `output` (a torch tensor or a list of them).

    `params` names leaves: a dict name -> tensor, or a `torch.nn.Module` (its
    `named_parameters()`), as torchviz's `make_dot(params=...)`. Other options are
    `viz.draw`'s. Values show where PyTorch keeps them; `viz.trace_torch()` shows more.
    """
    from .draw import _draw
    return _draw(autograd_graph(output, params, "draw_torch"), format=format,
                 rankdir=rankdir, notes=(NOTE,), **options)


def autograd_graph(output: Any, params: Any = None, who: str = "draw_torch") -> List[TorchNode]:
    """The nodes of the autograd graph behind `output` (see `draw_torch`), one per output:
    what `draw_torch` draws and `viz.explore` of a torch tensor explores."""
    torch = require_torch(f"viz.{who}")
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    for t in outputs:
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{who} needs torch tensors, got {type(t).__name__}")
    names = _names(params, torch, who)
    fns = _walk([t.grad_fn for t in outputs if t.grad_fn is not None])
    values: Dict[int, Any] = {}
    for fn in fns:
        result = _saved(fn, "result")
        if isinstance(result, torch.Tensor):
            values[id(fn)] = result
    for t in outputs:
        if t.grad_fn is not None:
            values[id(t.grad_fn)] = t
    lifted: Dict[Tuple[int, int], Any] = {}
    for fn in fns:
        slots = _SLOTS_BY_CLASS.get(type(fn).__name__, _SLOTS)
        for name, k in slots.items():
            if k >= len(fn.next_functions):
                continue
            saved = _saved(fn, name)
            parent = fn.next_functions[k][0]
            if saved is None:
                continue
            if parent is None:
                lifted[(id(fn), k)] = saved
            elif id(parent) not in values and fn.next_functions[k][1] == 0:
                values[id(parent)] = saved
    has_grads = False
    made: Dict[int, TorchNode] = {}
    for fn in fns:
        variable = getattr(fn, "variable", None)
        if isinstance(variable, torch.Tensor):          # AccumulateGrad: a leaf
            entry = names.get(id(variable))
            node = TorchNode(variable.detach().clone(), requires_grad=True,
                             label=entry[1] if entry and entry[0] is variable else "",
                             parameter=isinstance(variable, torch.nn.Parameter))
            if variable.grad is not None:
                node.add_grad(variable.grad)
                has_grads = True
            made[id(fn)] = node
            continue
        made[id(fn)] = _function_node(fn, values.get(id(fn)), made, lifted, torch)
    roots = []
    for t in outputs:
        if t.grad_fn is None:                # a leaf: its node if the graph uses it
            node = next((made[id(fn)] for fn in fns if getattr(fn, "variable", None) is t),
                        None)
            if node is None:
                node = TorchNode(t.detach().clone(), requires_grad=t.requires_grad)
                if t.grad is not None:
                    node.add_grad(t.grad)
            roots.append(node)
            continue
        node = made[id(t.grad_fn)]
        grad = t.grad if t.retains_grad else None
        if grad is None and has_grads and t.numel() == 1:
            grad = torch.ones_like(t)         # the seed: d output / d output
        if grad is not None and node._gradt is None:
            node.add_grad(grad)
        roots.append(node)
    return roots


def _function_node(fn: Any, value: Any, made: Dict[int, TorchNode],
                   lifted: Dict[Tuple[int, int], Any], torch: Any) -> TorchNode:
    """The node of one backward function: its op, its parents, its value if saved."""
    name = function_op(type(fn).__name__)
    slots = fn.next_functions
    mapped = glassgrad_op(name, tuple(range(len(slots))), _settings(fn, torch))

    def operand(k: int) -> Any:
        """Input k: its node; an input needing no gradient that the op saved, as a
        constant (the `2` of `x * 2`, the batch of `x @ W.T`); else None."""
        if slots[k][0] is not None:
            return made[id(slots[k][0])]
        saved = lifted.get((id(fn), k))
        if saved is None:
            return None
        return TorchNode(saved.detach().clone() if isinstance(saved, torch.Tensor) else saved)

    if mapped is not None:
        parents = [operand(k) for k in mapped[1]]
        if any(p is None for p in parents):
            mapped = None
    if mapped is None:
        parents = [p for p in map(operand, range(len(slots))) if p is not None]
    value = value.detach().clone() if isinstance(value, torch.Tensor) else None
    return TorchNode(value, parents=tuple(parents), op=mapped[0] if mapped else "",
                     arg=mapped[2] if mapped else None, name=name, mapped=mapped is not None,
                     requires_grad=True)

