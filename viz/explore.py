"""`explore`: a graph as one offline page to touch: inspect, blame, what-if, descend, step.

>>> from autograd import Value
>>> import viz
>>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
>>> y = (x * w).tanh(); y.label = "y"
>>> page = viz.explore(y, params=["w"])      # .save("graph.html"); in Jupyter just `page`
>>> page.live, page.frames                   # recomputed in the page; seed + 2 ops
(True, 3)

A PyTorch run recorded with `viz.trace_torch()` is explored the same way:
`viz.explore(tape)` (its output; traced one-element tensors whose ops are all glassgrad's
recompute like `Value`s, in float64; the backward steps replay each op in PyTorch). A
torch tensor that was not traced, `viz.explore(loss, params=model)`, shows what
`viz.draw_torch` shows (its autograd graph) and can be inspected and blamed only.

The page (`save("graph.html")`, or inline in Jupyter) holds one SVG laid out by graphviz
on the Python side and plain JavaScript (viz/web/*.js, inlined: nothing is fetched):

- **Inspect.** Drag to pan, wheel or +/− to zoom, double-click to fit. Hovering a node
  shows its label, op, value and gradient and, for an op, each local derivative as a
  formula with the numbers plugged in (`∂o/∂n = 1 − tanh²(n) = 1 − 0.7071² = 0.5`);
  a tensor node shows shape, dtype, min / mean / max, the gradient's norm and a histogram.
- **Blame.** Clicking a node highlights every path from it to the output and lists the
  chain rule over them: grad(x) = Σ over paths Π edge derivatives, equal to its gradient.
- **What-if** (graphs of scalar `Value`s). Every leaf has an input; changing it
  recomputes every value and gradient in the page with a JavaScript copy of the scalar
  rule table (viz/web/rules.js; a test checks it against autograd/scalar_rules.py). A
  graph with tensors, or with an op outside that table (a custom `autograd.Function`;
  PyTorch's `linear`), is shown as computed, and the page says why (`fixed_because`).
- **Descend.** "step" applies p ← p − lr·grad to the leaves marked as parameters
  (`params=`, nn parameters by default, or the tick boxes) and shows the output (the
  loss) after each step.
- **Backward steps.** The frames of `backward_steps` on the same drawing (slider, arrow
  keys), each captioned with its chain-rule arithmetic; "live" returns to the values.

`window.glassgrad` (a saved page; in Jupyter each widget's element has `.glassgrad`) is a
stable contract for tests and tools:

- `nodes()` → `[{id, label, op, data, grad, leaf, param}]`, the numbers now shown (a
  tensor's data/grad are lists up to 6 values, else null);
- `select(idOrLabel)` → `{id, paths, sum, grad, nodes}` (the blame paths: how many, the
  sum over them, the node's gradient, the ids highlighted); `select(null)` clears;
- `setLeaf(idOrLabel, value)` → the output's new value (throws an Error naming the
  problem: not a leaf, unknown label, a domain error such as log of a negative number);
- `descend(lr)` → the output after one step (lr defaults to the page's field);
- `backwardStep(k)` → the frame shown; `frames()`, `frame()`; `live()` leaves the steps
  and `mode()` says which view is shown ('live' or 'steps'); `view()` → the visible
  area (the SVG's viewBox);
- `reset()` restores the saved values; `params([ids])` reads or sets the parameters;
- `readyMs`: milliseconds from the start of loading to the page being interactive.

Every drawn node is an SVG element with `data-node-id` (its index in topological order)
and `data-label`; the page makes no network request.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import numpy as np

from autograd.differentiate import grad as autograd_grad
from autograd.scalar_rules import RULES

# The rules the page's JavaScript engine recomputes: every scalar rule but a custom op
# (`autograd.Function`, a micrograd `_backward`), whose derivative is the user's Python code.
PAGE_RULES = frozenset(RULES) - {"function"}

from . import theme
from .draw import GraphView, _warn_before_backward, prepare
from .dot import Writer, op_symbol
from .frames import Looks, entry
from .node import data_of, grad_of, rule_of
from .page import Page, data_element, html_path, json_number, mount, script
from .steps import (MAX_FRAMES, TooManyFrames, _Step, check_max_frames, film, page_data,
                    plain, stepper_bar)
from .structure import spelled
from .text import is_array
from .torch_support import is_torch

HISTOGRAM_BINS = 12
# Gradients standing for each colour class of the page's styleIndex (viz/web/engine.js):
# zero, vanishing, exploding, NaN, inf, then one per positive and per negative colour step.
_FIXED_PROBES = (0.0, None, None, math.nan, math.inf)
_SCRIPTS = ["frames.js", "rules.js", "engine.js", "panzoom.js", "explore.js"]


def probes(vanishing: float, exploding: float) -> List[float]:
    """One gradient per colour class, in the order of the page's `styleIndex`."""
    steps = theme.decades(vanishing, exploding)
    mids = []
    for k in range(steps):
        lo = vanishing * 10 ** k
        mids.append(math.sqrt(lo * min(lo * 10, exploding)))
    return [0.0, vanishing / 2, exploding * 2, math.nan, math.inf] + mids + [-m for m in mids]


def fixed_because(view: GraphView) -> str:
    """Why the page cannot recompute the graph ('' when it can): a node that is not a
    number (a tensor), or an op without a rule in the page (PyTorch's `linear`, a custom
    `autograd.Function`)."""
    ops: Dict[str, None] = {}
    for node, ps in zip(view.nodes, view.parents):
        if not isinstance(data_of(node), float):
            return ("Only graphs of scalar Values are recomputed in the page; this one "
                    "holds tensors.")
        if ps and rule_of(node)[0] not in PAGE_RULES:
            ops[node.op] = None
    if ops:
        shown = ", ".join(list(ops)[:6]) + (", ..." if len(ops) > 6 else "")
        return (f"The what-if is off: {shown} {'has' if len(ops) == 1 else 'have'} no scalar "
                f"rule in the page (its rules are glassgrad's scalar rule table); the numbers "
                f"are shown as computed.")
    return ""


def live_spec(view: GraphView) -> Optional[Dict[str, Any]]:
    """What the page's engine (viz/web/engine.js `scalarGraph`) needs to recompute the
    graph: every node's rule key and parameter, its parents, its value, and the output.
    None unless every node is a scalar and every op has a scalar rule (`fixed_because`)."""
    if fixed_because(view):
        return None
    rules = [rule_of(node) if ps else ("", None) for node, ps in zip(view.nodes, view.parents)]
    return {"rule": [r[0] for r in rules], "arg": [r[1] for r in rules],
            "parents": [list(ps) for ps in view.parents],
            "data": [data_of(node) for node in view.nodes], "root": view.roots[0]}


# Why an explorer of an untraced PyTorch graph has neither what-if nor backward steps.
UNTRACED_WHAT_IF = ("The what-if is off: this graph was read from PyTorch's autograd graph, "
                    "which keeps values only for leaves and what backward saves; record the "
                    "run with viz.trace_torch() to change values here.")
UNTRACED_STEPS = ("No backward steps: PyTorch's autograd graph cannot replay its ops; record "
                  "the run with viz.trace_torch() to step through them.")


def _tensor_info(data: Any, grad: Any) -> Dict[str, Any]:
    """What a tensor node's tooltip shows: shape, dtype, min / mean / max, grad norm and a
    histogram of its values."""
    info: Dict[str, Any] = {"shape": list(data.shape), "dtype": str(data.dtype)}
    if data.dtype.kind in "biuf" and data.size:
        f = data.astype(float).ravel()
        finite = f[np.isfinite(f)]
        info.update(min=json_number(float(f.min())), mean=json_number(float(f.mean())),
                    max=json_number(float(f.max())))
        if finite.size:
            counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS)
            info["hist"] = {"counts": counts.tolist(), "lo": float(edges[0]),
                            "hi": float(edges[-1])}
    if is_array(grad) and grad.size:
        info["gradNorm"] = json_number(float(np.linalg.norm(grad.astype(float).ravel())))
    return info


def _resolve_params(view: GraphView, params: Any) -> Optional[set]:
    """Indices of the leaves `params` names (nodes or labels); None: not given."""
    if params is None:
        return None
    if isinstance(params, (str, bytes)) or not isinstance(params, (list, tuple, set)):
        params = [params]
    chosen = set()
    for p in params:
        if isinstance(p, str):
            found = [i for i, n in enumerate(view.nodes) if n.label == p and not view.parents[i]]
            if not found:
                leaves = sorted({n.label for i, n in enumerate(view.nodes)
                                 if n.label and not view.parents[i]})[:12]
                raise ValueError(f"explore: params: no leaf labelled {p!r}; leaves: "
                                 f"{', '.join(map(repr, leaves)) or '(none labelled)'}")
            chosen.update(found)
            continue
        i = view.index.get(id(p))
        if i is None or view.nodes[i] is not p:
            raise ValueError("explore: params: a node that is not part of this graph")
        if view.parents[i]:
            raise ValueError(f"explore: params: {p.label or f'node {i}'} is computed by an op, "
                             f"not a leaf; only leaves can be stepped")
        chosen.add(i)
    return chosen


class Explorer(Page):
    """The page of `explore`. `save('graph.html')` writes it; in Jupyter it shows inline.
    `live`: the page recomputes the graph (scalar graphs); `frames`: backward steps in
    it (0 when the pass takes more than `max_frames`, see `note`)."""

    __slots__ = ("view", "options", "steps", "grads", "rules", "chosen", "lr", "note",
                 "fixed", "_page")
    STYLE = ("steps.css", "explore.css")
    KIND = "explorer"
    TITLE = "glassgrad explorer"

    def __init__(self, view: GraphView, options: Dict[str, Any], steps: Optional[List[_Step]],
                 grads: List[Any], rules: Optional[Dict[str, list]], chosen: Optional[set],
                 lr: float, note: str, fixed: str) -> None:
        self.view, self.options, self.steps, self.grads = view, options, steps, grads
        self.rules, self.chosen, self.lr, self.note = rules, chosen, lr, note
        self.fixed = fixed            # why the page does not recompute ('' when it does)
        self._page: Optional[tuple] = None

    @property
    def live(self) -> bool:
        return self.rules is not None

    @property
    def frames(self) -> int:
        return len(self.steps) if self.steps else 0

    def __repr__(self) -> str:
        kind = "live scalar graph" if self.live else "graph"
        return f"<Explorer: {len(self.view.nodes)}-node {kind}, {self.frames} backward frames>"

    def save(self, path: Union[str, Path]) -> Path:
        """Write the page to `path` (an .html file)."""
        return self.save_page(html_path(path, "explore.save"))

    def html(self, title: Optional[str] = None) -> str:
        return super().html(title or self.options.get("title") or self.TITLE)

    # ---- the page's data ----
    def _data(self) -> tuple:
        view = self.view
        n = len(view.nodes)
        steps = self.steps or [_Step(["final"] * n, list(self.grads), -1, [])]
        opts = self.options
        scale = probes(opts.get("vanishing", theme.VANISHING),
                       opts.get("exploding", theme.EXPLODING))

        def more(looks: Looks, writer: Writer) -> Dict[str, Any]:
            nodes = []
            for i, node in enumerate(view.nodes):
                data, g = data_of(node), self.grads[i]
                leaf = not view.parents[i]
                param = leaf and (i in self.chosen if self.chosen is not None
                                  else writer.is_param(i))
                item = {"id": i, "label": node.label, "name": writer.title(i) or f"#{i}",
                        "op": node.op, "symbol": op_symbol(node) if not leaf else "",
                        "data": plain(data), "grad": plain(g), "leaf": leaf,
                        "param": bool(param), "parents": list(view.parents[i])}
                if is_array(data):
                    item["tensor"] = _tensor_info(data, g)
                nodes.append(item)
            extra: Dict[str, Any] = {"nodes": nodes, "root": view.roots[0],
                                     "stepper": self.steps is not None, "note": self.note,
                                     "fixed": self.fixed,
                                     "lr": self.lr, "highlight": theme.HIGHLIGHT,
                                     "dim": theme.EDGE_DIM}
            if self.rules is not None:
                classes: Dict[tuple, int] = {}
                node_class = []
                for i in range(n):
                    row = []
                    for g in scale:
                        look = entry(writer.look(i, "final", g))
                        look[4], look[5] = "", False        # the page writes the number
                        row.append(looks.add(look))
                    node_class.append(classes.setdefault(tuple(row), len(classes)))
                extra["live"] = {"rule": self.rules["rule"], "arg": self.rules["arg"],
                                 "classes": [list(c) for c in classes],
                                 "nodeClass": node_class, "compensated": _COMPENSATED,
                                 "scale": {"vanishing": writer.opts.vanishing,
                                           "exploding": writer.opts.exploding,
                                           "steps": theme.decades(writer.opts.vanishing,
                                                                  writer.opts.exploding)}}
            return extra

        kinds = {"positive", "negative", "zero"} if self.rules is not None else set()
        return page_data(view, steps, opts, stepping=self.steps is not None,
                         extra_kinds=kinds, more=more)

    def widget(self, element_id: str = "glassgrad-explorer") -> str:
        """The explorer as an HTML fragment (the page and Jupyter use it)."""
        if self._page is None:
            self._page = self._data()
        svg, data = self._page
        count = len(data["frames"])
        steps = (stepper_bar(count) if self.steps is not None else
                 '<div class="gg-caption gg-muted"></div>')
        return "\n".join([
            f'<div id="{element_id}" class="gg-explorer">',
            '<div class="gg-main"><div class="gg-view">'
            '<div class="gg-zoom"><button class="gg-zin" title="zoom in">+</button>'
            '<button class="gg-zout" title="zoom out">&#8722;</button>'
            '<button class="gg-fit" title="fit the drawing">fit</button></div>'
            f'<div class="gg-graph">{svg}</div></div>'
            '<div class="gg-side"></div></div>',
            '<div class="gg-tip" hidden></div>',
            f'<div class="gg-stepper">{steps}</div>',
            data_element(data),
            f"<script>{script(_SCRIPTS, mount('explorer', element_id))}</script>",
            "</div>"])


# Python 3.12+ sums floats with compensation: a neuron's w·x + b (summed by `sum`) then
# rounds differently, and the page must sum as the Python that wrote it.
_COMPENSATED = sum([0.1] * 10) == 1.0


def explore(root: Any, *, params: Any = None, lr: float = 0.1, max_frames: int = MAX_FRAMES,
            **options: Any) -> Explorer:
    """An interactive page for the graph that computed `root` (one Value or Tensor, or a
    `viz.trace_torch()` tape: its output; or a torch tensor: its autograd graph, as
    `viz.draw_torch` draws it, with `params` naming leaves as there, and no what-if or
    backward steps).

    `params`: leaves (nodes or labels) that "step" updates (default: the nn parameters in
    the graph); `lr`: the step's starting learning rate; `max_frames`: the backward steps
    are left out of the page past this many frames. Other options are `draw`'s (rankdir,
    edge_labels, merge_ops, color, vanishing, exploding, collapse, max_nodes, title).
    """
    if isinstance(root, (list, tuple)):
        raise TypeError("explore: give one output node (gradients and blame are w.r.t. one "
                        "output)")
    check_max_frames("explore", max_frames)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0 \
            or not math.isfinite(lr):
        raise ValueError(f"explore: lr must be a positive number, got {lr!r}")
    for bad in ("highlight", "show_grad"):
        if bad in options:
            raise TypeError(f"explore: option {bad}= is not available here (click a node in "
                            f"the page, or call window.glassgrad.select, to see its paths)")
    untraced = is_torch(root, "torch", "Tensor")
    if untraced:                     # a PyTorch tensor: the autograd graph behind it
        from .torch_graph import NOTE, autograd_graph
        (root,), params = autograd_graph(root, params, "explore"), None
        options["notes"] = (NOTE,)
    view = GraphView(root)
    root = view.nodes[view.roots[0]]        # a recording (viz.trace_torch's tape): its output
    out = data_of(root)
    if is_array(out) and out.size != 1:
        raise ValueError(f"explore: the output must be one number (gradients and blame paths "
                         f"are of one output), got shape {tuple(out.shape)}: explore a loss, "
                         f"or its .sum()")
    prepare(view, [None] * len(view.nodes), **options)     # bad options fail now
    chosen = _resolve_params(view, params)
    rules = None if untraced else live_spec(view)
    fixed = UNTRACED_WHAT_IF if untraced else fixed_because(view) if rules is None else ""
    steps, note = None, UNTRACED_STEPS if untraced else ""
    if callable(getattr(root, "_vjp", None)) and not untraced:
        try:
            steps = film(view, max_frames)
        except TooManyFrames as err:
            limit = spelled("max_frames") or f"max_frames={err.limit}"
            note = (f"The backward steps are left out: the pass takes {err.frames} frames, "
                    f"over {limit}.")
    if steps is not None:
        grads = list(steps[-1].grads)
    elif rules is not None:
        grads = list(autograd_grad(root, view.nodes, allow_unused=True))
    else:
        grads = [grad_of(node) for node in view.nodes]
        _warn_before_backward(view, grads, stacklevel=3, who="explore")  # user -> explore -> here
    return Explorer(view, options, steps, grads, rules, chosen, float(lr), note, fixed)
