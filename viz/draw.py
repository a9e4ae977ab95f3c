"""`draw`: one call from a graph node to a picture of its graph.

>>> from autograd import Value
>>> import viz
>>> x = Value(2.0, label="x"); y = (x * 3 + 1).relu(); y.label = "y"
>>> y.backward()
>>> d = viz.draw(y)
>>> "grad" in d.source and "∂ 3" in d.source      # gradients and local derivatives shown
True

micrograd's notebooks call `draw_dot(root, format='svg', rankdir='LR')`; `draw` takes the
same arguments in the same places, so `from viz import draw as draw_dot` is a drop-in.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, List, Optional, Sequence, Set, Tuple

import numpy as np

from autograd.graph import topological_order

from . import labels
from .dot import Frame, Resolved, Writer
from .drawing import Drawing
from .node import grad_of
from .shared import plan_copies
from .structure import plan as make_plan
from .theme import EXPLODING, VANISHING

RANKDIRS = ("LR", "TB")
SMALL = 60          # edge labels and separate op nodes up to this many drawn nodes


class NoBackwardWarning(UserWarning):
    """A graph is drawn whose output has no gradient yet: backward() was not called on it."""


class GraphView:
    """The graph as index lists: `nodes` in topological order, `parents[i]` as indices."""

    __slots__ = ("nodes", "parents", "roots", "index")

    def __init__(self, root: Any) -> None:
        recorded = getattr(root, "graph_roots", None)
        if callable(recorded):          # a recording (viz.trace_torch's tape): its outputs
            root = recorded()
        roots = list(root) if isinstance(root, (list, tuple)) else [root]
        if not roots:
            raise ValueError("draw: nothing to draw (an empty list of outputs)")
        for r in roots:
            if not hasattr(r, "_parents") or not hasattr(r, "raw_data"):
                hint = (" (a model? call it first and draw its output: viz.draw(model(x)))"
                        if callable(r) else "")
                if type(r).__module__.startswith("torch"):
                    hint = (" (a PyTorch tensor: viz.draw_torch(t), or record the run with "
                            "`with viz.trace_torch() as tape:` and draw the tape)")
                raise TypeError(f"draw needs graph nodes (Value or Tensor), got "
                                f"{type(r).__name__}{hint}")
        self.nodes = topological_order(roots)
        self.index = {id(n): i for i, n in enumerate(self.nodes)}
        index = self.index
        self.parents = [tuple(index[id(p)] for p in n.parents) for n in self.nodes]
        self.roots = [index[id(r)] for r in roots]

    def user_grads(self) -> List[Any]:
        return [grad_of(n) for n in self.nodes]


def has_gradients(grads: Sequence[Any]) -> bool:
    """True once backward has run: some gradient is set and not all zero."""
    for g in grads:
        if g is None:
            continue
        if isinstance(g, np.ndarray):
            if g.size and np.any(g != 0):
                return True
        elif g != 0:
            return True
    return False


def _is_zero(g: Any) -> bool:
    return g is None or not has_gradients([g])


def _warn_before_backward(view: GraphView, grads: Sequence[Any], stacklevel: int = 4,
                          who: str = "draw") -> None:
    """One line when no output has a gradient: micrograd's draw_dot then shows grad 0 on
    every node, the most common beginner mistake; here the cause is named."""
    if not all(_is_zero(grads[r]) for r in view.roots):
        return
    if not any(getattr(view.nodes[r], "requires_grad", True) for r in view.roots):
        return                  # a tensor no gradient can reach: backward() is not the fix
    root = view.nodes[view.roots[0]]
    name = root.label or "the output"
    call = f"{root.label}.backward()" if root.label.isidentifier() else "backward()"
    if has_gradients(grads):
        what = (f"the gradients shown are left over from an earlier backward() (stale): call "
                f"{call} first")
    else:
        what = f"no gradients to show yet: call {call} first"
    # Reported at the user's line: user -> draw/draw_modules -> _draw -> here.
    warnings.warn(f"{who}: backward() has not been called on {name}; {what}",
                  NoBackwardWarning, stacklevel=stacklevel)


def _check_bool(name: str, value: Any) -> Optional[bool]:
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    raise TypeError(f"draw: {name} must be True, False or None (automatic), got {value!r}")


def _on_path(view: GraphView, highlight: Any) -> tuple:
    """Marks of the nodes on a path from `highlight` (a node or a label) to the output."""
    if isinstance(highlight, str):
        starts = [i for i, n in enumerate(view.nodes) if n.label == highlight]
        if not starts:
            names = sorted({n.label for n in view.nodes if n.label})[:12]
            raise ValueError(f"highlight: no node labelled {highlight!r} in this graph; "
                             f"labels: {', '.join(map(repr, names)) or '(none)'}")
        name = highlight
    else:
        i = view.index.get(id(highlight))
        if i is None or view.nodes[i] is not highlight:
            raise ValueError("highlight: that node is not part of the graph being drawn")
        starts = [i]
        name = highlight.label or f"node {i} ({highlight.op or 'leaf'})"
    on = [False] * len(view.nodes)
    for i in starts:
        on[i] = True
    for i, ps in enumerate(view.parents):
        if not on[i] and any(on[p] for p in ps):
            on[i] = True
    return on, name


def prepare(view: GraphView, grads: Sequence[Any], *, rankdir: str = "LR",
            show_grad: Optional[bool] = None, edge_labels: Optional[bool] = None,
            merge_ops: Optional[bool] = None, color: bool = True, vanishing: float = VANISHING,
            exploding: float = EXPLODING, highlight: Any = None, collapse: Optional[int] = None,
            max_nodes: int = 300, title: Optional[str] = None,
            frame: Optional[Frame] = None, notes: Sequence[str] = (),
            quantity: str = labels.GRAD) -> Writer:
    """The options checked and resolved, the plan made: a `Writer` ready to write DOT for
    a prepared `GraphView` with given gradients (draw and backward_steps use it). `notes`
    are extra small lines under the key (what a drawing of someone else's graph lacks);
    `quantity` names the numbers shown per node (`labels.TANGENT` in forward mode)."""
    rankdir = rankdir.upper() if isinstance(rankdir, str) else rankdir
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be 'LR' (left to right) or 'TB' (top to "
                         f"bottom), got {rankdir!r}")
    show_grad = _check_bool("show_grad", show_grad)
    edge_labels = _check_bool("edge_labels", edge_labels)
    merge_ops = _check_bool("merge_ops", merge_ops)
    if not isinstance(color, (bool, np.bool_)):
        raise TypeError(f"draw: color must be True or False, got {color!r}")
    for name, v in (("vanishing", vanishing), ("exploding", exploding)):
        if not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise ValueError(f"draw: {name} must be a positive finite number, got {v!r}")
    if exploding <= vanishing:
        raise ValueError(f"draw: exploding ({exploding!r}) must be larger than vanishing "
                         f"({vanishing!r})")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 2:
        raise ValueError(f"draw: max_nodes must be an integer >= 2, got {max_nodes!r}")
    if collapse is not None and (isinstance(collapse, bool) or not isinstance(collapse, int)
                                 or collapse < 0):
        raise ValueError(f"draw: collapse must be None or a module level >= 0, got {collapse!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"draw: title must be a string, got {type(title).__name__}")

    on_path, highlight_name = (None, "") if highlight is None else _on_path(view, highlight)
    plan, clusters, cluster_of, param_names = make_plan(view.nodes, view.parents, view.roots,
                                                        collapse, max_nodes, view.index)
    small = plan.count <= SMALL
    opts = Resolved(
        rankdir=rankdir,
        show_grad=has_gradients(grads) or frame is not None if show_grad is None else show_grad,
        edge_labels=small if edge_labels is None else edge_labels,
        merge_ops=not small if merge_ops is None else merge_ops,
        color=bool(color), vanishing=float(vanishing), exploding=float(exploding),
        on_path=on_path, highlight_name=highlight_name, title=title, max_nodes=max_nodes,
        notes=tuple(notes), quantity=quantity)
    copies = plan_copies(view.parents, plan.item_of, opts.merge_ops)
    return Writer(view.nodes, view.parents, view.roots, grads, plan, clusters, cluster_of,
                  opts, frame, param_names, copies)


def build(view: GraphView, grads: Sequence[Any], format: str = "svg",
          **options: Any) -> Drawing:
    """`draw` on a prepared `GraphView` with given gradients (`prepare`'s options)."""
    writer = prepare(view, grads, **options)
    source = writer.document()
    plan, opts = writer.plan, writer.opts
    info = {"nodes": len(view.nodes), "drawn": plan.count, "copies": len(writer.copies),
            "collapse": plan.level, "dropped": plan.dropped, "note": plan.note,
            "clusters": len(plan.open), "merge_ops": opts.merge_ops,
            "edge_labels": opts.edge_labels, "show_grad": opts.show_grad}
    return Drawing(source, info, format)


def draw(root: Any, format: str = "svg", rankdir: str = "LR", *,
         show_grad: Optional[bool] = None, edge_labels: Optional[bool] = None,
         merge_ops: Optional[bool] = None, color: bool = True, vanishing: float = VANISHING,
         exploding: float = EXPLODING, highlight: Any = None, collapse: Optional[int] = None,
         max_nodes: int = 300, title: Optional[str] = None) -> Drawing:
    """Draw the graph that computed `root` (a Value or Tensor, or a list of them).

    Before `backward()` nodes show their values (and a warning says backward() has not
    been called); after it, values and gradients, with the fill coloured by |grad| on a log
    scale (`color=False` turns that off) and the edges labelled with local derivatives.
    `format` and `rankdir` come first, as in micrograd's `draw_dot(root, format, rankdir)`.
    Options:

    - `format`: what `.render()`, `.pipe()` and Jupyter produce: 'svg' (default), 'png',
      'pdf', 'dot' (`.save(path)` follows the file's extension instead).
    - `rankdir`: 'LR' (left to right, default) or 'TB' (top to bottom).
    - `show_grad`: show gradients (default: once backward has run).
    - `edge_labels`: local derivative on each edge into an op (default: graphs up to 60 nodes).
    - `merge_ops`: show each op inside its result node (default: graphs over 60 nodes).
    - `vanishing`, `exploding`: |grad| thresholds that make a node stand out.
    - `highlight`: a node or a label; every path from it to the output is drawn in orange.
    - `collapse`: fold every nn module deeper than this level into one box (0: each
      top-level module is one box).
    - `max_nodes`: bigger graphs are folded (or cut) automatically, with a note saying so.
    - `title`: a heading above the drawing.

    A node used by ops far apart (`x` in `x*x*...*x`) is drawn again beside each far use,
    dotted and marked "copy · used k×", with its total gradient on every copy: this keeps
    graphviz's layout fast whatever the graph's shape.
    """
    return _draw(root, format=format, rankdir=rankdir, show_grad=show_grad,
                 edge_labels=edge_labels, merge_ops=merge_ops, color=color,
                 vanishing=vanishing, exploding=exploding, highlight=highlight,
                 collapse=collapse, max_nodes=max_nodes, title=title)


def trace(root: Any) -> Tuple[Set[Any], Set[Tuple[Any, Any]]]:
    """micrograd's `trace(root)`: (the set of nodes, the set of (parent, child) edges) of
    the graph that computed `root`, found without recursion.

    >>> from autograd import Value
    >>> x = Value(2.0); y = x * x + 1
    >>> nodes, edges = trace(y)
    >>> len(nodes), len(edges)
    (4, 3)
    """
    view = GraphView(root)
    nodes = view.nodes
    return set(nodes), {(nodes[p], nodes[i]) for i, ps in enumerate(view.parents) for p in ps}


def draw_modules(root: Any, level: int = 1, **options: Any) -> Drawing:
    """Module-level view: one box per nn module at `level` (1: the model's top modules,
    e.g. an MLP's layers; 2: their submodules, e.g. neurons). Same as `draw(root,
    collapse=level - 1, ...)`.
    """
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        raise ValueError(f"draw_modules: level must be an integer >= 1, got {level!r}")
    if "collapse" in options:
        raise TypeError("draw_modules: give level=, not collapse= (level = collapse + 1)")
    return _draw(root, collapse=level - 1, **options)


def _draw(root: Any, show_grad: Optional[bool] = None, **options: Any) -> Drawing:
    view = GraphView(root)
    grads = view.user_grads()
    drawing = build(view, grads, show_grad=show_grad, **options)
    if show_grad is not False:           # after build: bad options fail first, silently
        _warn_before_backward(view, grads)
    return drawing
