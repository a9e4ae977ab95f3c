"""Forward mode drawn: the tangent ẋ on every node where reverse mode shows grad.

`draw_forward(y, x, 1.0)` draws the graph that computed `y` after one forward-mode pass that
seeds the input `x` with the tangent 1: every node shows ẋ = d(node)/dε along that
direction (coloured by |ẋ| like gradients), and the edges carry the same local derivatives
as in a reverse-mode drawing, read the other way: ẏ = Σ (edge label × ẋ of the input).
`forward_steps` films that pass one op at a time, in evaluation order, as
`backward_steps` films the backward pass; both pages share one layout of the graph, so a
notebook can put the two passes side by side.

>>> from autograd import Value
>>> import viz
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = a * b; c.label = "c"
>>> d = viz.draw_forward(c, [a, b], [1.0, 0.0])      # ȧ = 1, ḃ = 0: ċ = dc/da = b
>>> steps = viz.forward_steps(c, [a, b], [1.0, 0.0])
>>> len(steps.frames), steps.captions[1][1]
(2, 'ċ = ∂c/∂a × ȧ + ∂c/∂b × ḃ = -3 × 1 + 2 × 0 = -3')
"""
from __future__ import annotations

import html
import unicodedata
from typing import Any, Dict, List, Optional

import numpy as np

from autograd.forward import node_tangent, sweep, vector_like

from .dot import op_symbol
from .draw import GraphView, build
from .drawing import Drawing
from .labels import TANGENT
from .node import local_derivatives_of
from .steps import (_SHOWN_PARENTS, MAX_FRAMES, BackwardSteps, _name, _Step,
                    backward_steps, check_frame_options, film)
from .text import grad_text, is_array, short

_DOT = "\u0307"   # the combining dot above: a → ȧ


def dotted(name: str) -> str:
    """The tangent's name: ȧ for a one-letter name, d(name) otherwise.

    >>> dotted("x"), dotted("loss")
    ('ẋ', 'd(loss)')
    """
    return unicodedata.normalize("NFC", name + _DOT) if len(name) == 1 else f"d({name})"


def _seeds(who: str, view: GraphView, inputs: Any, tangents: Any) -> Dict[int, Any]:
    """{node index: tangent} for the seeded inputs (tangent 1 for each when None)."""
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if tangents is None:
        ts: List[Any] = [np.ones(x.raw_data.shape) if is_array(x.raw_data) else 1.0
                         for x in ins]
    else:
        ts = list(tangents) if isinstance(tangents, (list, tuple)) else [tangents]
    if len(ts) != len(ins):
        raise ValueError(f"{who}: {len(ins)} inputs but {len(ts)} tangents")
    seeds = {}
    for k, (x, t) in enumerate(zip(ins, ts)):
        i = view.index.get(id(x))
        if i is None:
            name = getattr(x, "label", "") or type(x).__name__
            raise ValueError(f"{who}: input {k} ({name}) is not in the graph that computed "
                             f"the output")
        seeds[i] = vector_like(who, f"tangent {k}", f"input {k}", x, t, False)
    return seeds


def _tangents(view: GraphView, seeds: Dict[int, Any]) -> List[Any]:
    """Every node's tangent after one forward pass (None: no seeded input reaches it)."""
    return sweep(view.nodes, [(view.nodes[i], t) for i, t in seeds.items()])


def _shown(node: Any, t: Any) -> Any:
    """A tangent as drawn: a node no seed reaches has tangent 0."""
    if t is not None:
        return t
    data = node.raw_data
    return np.zeros(data.shape, dtype=data.dtype) if is_array(data) else 0.0


def draw_forward(root: Any, inputs: Any, tangents: Any = None, **options: Any) -> Drawing:
    """Draw the graph that computed `root` with every node's tangent ẋ after one forward
    pass seeding `inputs` (a node or a list) with `tangents` (numbers for Values, arrays or
    Tensors for Tensors; 1 for each input when None). `options` are `draw`'s."""
    view = GraphView(root)
    found = _tangents(view, _seeds("draw_forward", view, inputs, tangents))
    options.setdefault("show_grad", True)
    return build(view, [_shown(n, t) for n, t in zip(view.nodes, found)],
                 quantity=TANGENT, **options)


def _forward_film(view: GraphView, seeds: Dict[int, Any]) -> List[_Step]:
    """The frames: the seed, then every op node a tangent reaches, in evaluation order."""
    nodes, parents = view.nodes, view.parents
    n = len(nodes)
    names = [_name(view, i) for i in range(n)]
    found = _tangents(view, seeds)
    shown = [_shown(node, t) for node, t in zip(nodes, found)]
    # Leaves and nodes no seed reaches are known from the start (their tangent is 0).
    state = ["unknown" if found[i] is not None and parents[i] and i not in seeds else "final"
             for i in range(n)]
    tangents = [shown[i] if state[i] == "final" else None for i in range(n)]
    seeded = ", ".join(f"{dotted(names[i])} = {grad_text(t)}" for i, t in seeds.items())
    steps = [_Step(list(state), list(tangents), -1,
                   [f"Start: the seed {seeded}; every other leaf is a constant (tangent 0); "
                    f"the ops' tangents are not known yet"])]
    for i in range(n):
        if state[i] == "final":
            continue
        node = nodes[i]
        tangents[i], state[i] = found[i], "final"
        head = f"Step {len(steps)}: node {names[i]}"
        if not node.label:
            head += f" ({op_symbol(node)})"
        steps.append(_Step(list(state), list(tangents), i,
                           [head, _caption(view, i, names, shown)]))
    last = steps[-1]
    last.caption.append("Done: every tangent is final, the same numbers as "
                        "autograd.forward.jvp.")
    for k, s in enumerate(steps):
        s.caption[0] = f"{s.caption[0]} (frame {k + 1} of {len(steps)})"
    return steps


def _caption(view: GraphView, i: int, names: List[str], shown: List[Any]) -> str:
    node = view.nodes[i]
    me, ps = names[i], view.parents[i]
    derivs = None if is_array(node.raw_data) else local_derivatives_of(node)
    if derivs is None:          # a tensor op: its rule's JVP
        ins = ", ".join(dotted(names[p]) for p in ps[:_SHOWN_PARENTS])
        return (f"{dotted(me)} = Jacobian-vector product of {op_symbol(node)} with "
                f"({ins}) = {grad_text(shown[i])}")
    shown_ps = ps[:_SHOWN_PARENTS]
    symbols = " + ".join(f"∂{me}/∂{names[p]} × {dotted(names[p])}" for p in shown_ps)
    numbers = " + ".join(f"{short(d)} × {short(shown[p])}"
                         for p, d in zip(shown_ps, derivs))
    more = f" + … ({len(ps) - len(shown_ps)} more inputs)" if len(ps) > len(shown_ps) else ""
    return f"{dotted(me)} = {symbols}{more} = {numbers}{more and ' + …'} = {short(shown[i])}"


class ForwardSteps(BackwardSteps):
    """The frames of a forward-mode pass (same page, frames and saving as
    `BackwardSteps`): `save('forward.html')`, `frames[k]`, `captions[k]`."""

    __slots__ = ()
    KIND = "forward-steps"
    TITLE = "Forward pass, step by step"
    STEP = "forward step"


def forward_steps(root: Any, inputs: Any, tangents: Any = None, *,
                  max_frames: int = MAX_FRAMES, **options: Any) -> ForwardSteps:
    """Frames of the forward-mode pass that seeds `inputs` with `tangents` (as
    `draw_forward`), one per op node a tangent reaches, in evaluation order. `options` are
    `draw`'s (rankdir, edge_labels, merge_ops, color, vanishing, exploding, title)."""
    check_frame_options("forward_steps", max_frames, options)
    view = GraphView(root)
    seeds = _seeds("forward_steps", view, inputs, tangents)
    steps = ForwardSteps(view, film(view, max_frames, lambda v: _forward_film(v, seeds),
                                    "forward_steps", "forward pass"),
                         dict(options, quantity=TANGENT))
    steps.frames[-1]              # the draw options are checked now, not at the first save
    return steps


def side_by_side(root: Any, inputs: Any, tangents: Any = None,
                 title: Optional[str] = None) -> str:
    """An HTML fragment with the forward pass (left) and the backward pass (right) of the
    same graph, each under its own slider (in a notebook: `IPython.display.HTML(...)`)."""
    halves = [("Forward mode: tangents pushed from the inputs",
               forward_steps(root, inputs, tangents)),
              ("Reverse mode: gradients pulled from the output", backward_steps(root))]
    cells = "".join(f'<div style="flex:1"><h4>{heading}</h4>{steps._repr_html_()}</div>'
                    for heading, steps in halves)
    head = f"<h3>{html.escape(title)}</h3>" if title else ""
    return f'{head}<div style="display:flex;gap:1em;align-items:flex-start">{cells}</div>'
