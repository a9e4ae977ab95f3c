"""`backward_steps`: the backward pass as a film, one frame per step that does something.

The first frame seeds the output (grad = 1); then one frame per op node, in reverse
topological order as `backward()` goes, with the arithmetic as caption:
grad(parent) += local derivative × grad(node). Nodes not reached yet are neutral grey with
grad '?'; a sum still waiting for contributions says 'so far'; a gradient is final (no 'so
far') as soon as every node that uses it has been processed, so a leaf needs no frame of
its own. Gradients are computed here from the local derivatives (the `_vjp` hook every node
type has): the user's `.grad` fields are never touched, and the last frame has exactly the
gradients of one `backward()` call.

`save("steps.html")` writes one offline page: the graph is laid out **once** (one SVG) and
each frame only changes colours and numbers, so the page grows with the nodes, not nodes ×
frames. The page's script (viz/web/frames.js and steps.js) exposes `window.glassgrad`
(`nodes()`, `frames()`, `backwardStep(k)`, `frame()`), and every drawn node is an SVG
element with `data-node-id` (its topological index) and `data-label`. The explorer
(viz/explore.py) shows the same frames under its own slider.

>>> from autograd import Value
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = a * b; c.label = "c"
>>> steps = backward_steps(c)
>>> len(steps.frames), steps.captions[1][1]
(2, 'c = a × b: grad(a) += ∂c/∂a × grad(c) = -3 × 1 = -3;  grad(b) += ∂c/∂b × grad(c) = 2 × 1 = 2')
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from . import theme
from .dot import Frame, Writer, op_symbol
from .draw import GraphView, build, prepare
from .drawing import Drawing
from .frames import Looks, changes, laid_out, rows, widest
from .node import data_of, local_derivatives_of
from .page import Page, data_element, json_number, mount, script
from .render import find_renderer
from .text import grad_text, is_array, short

MAX_FRAMES = 200
_SHOWN_PARENTS = 4


class TooManyFrames(ValueError):
    """The film would have more frames than `max_frames` (`frames` and `limit` say how many;
    for a graph far too big, `frames` counts every op, an upper bound)."""

    def __init__(self, frames: int, limit: int, who: str = "backward_steps",
                 what: str = "backward pass") -> None:
        self.frames, self.limit = frames, limit
        super().__init__(f"{who}: the {what} takes {frames} frames, over "
                         f"max_frames={limit}. Draw a smaller graph or raise max_frames.")


def _name(view: GraphView, i: int) -> str:
    """A node's name in captions: its label, else its number in the drawing (n5 is #5)."""
    return view.nodes[i].label or f"#{i}"


def _scalar_caption(view: GraphView, i: int, g: float, names: List[str], derivs: tuple) -> str:
    node = view.nodes[i]
    me = names[i]
    parts = []
    for k, (p, d) in enumerate(zip(view.parents[i], derivs)):
        if k == _SHOWN_PARENTS:
            parts.append(f"… and {len(derivs) - k} more inputs")
            break
        parts.append(f"grad({names[p]}) += ∂{me}/∂{names[p]} × grad({me}) = "
                     f"{short(d)} × {short(g)} = {short(d * g)}")
    ins = f" {op_symbol(node)} ".join(names[p] for p in view.parents[i][:_SHOWN_PARENTS])
    if len(view.parents[i]) == 1:
        ins = f"{op_symbol(node)}({names[view.parents[i][0]]})"
    elif len(view.parents[i]) > _SHOWN_PARENTS:
        ins = f"{op_symbol(node)}(…)"
    return f"{me} = {ins}: " + ";  ".join(parts)


class _Step:
    """One frame's numbers: every node's state and gradient, the focus and the caption."""

    __slots__ = ("state", "grads", "focus", "caption")

    def __init__(self, state: List[str], grads: List[Any], focus: int,
                 caption: List[str]) -> None:
        self.state, self.grads, self.focus, self.caption = state, grads, focus, caption


def _film(view: GraphView) -> List[_Step]:
    """The frames: the seed, then every op node that passes a gradient on."""
    nodes, parents = view.nodes, view.parents
    n = len(nodes)
    names = [_name(view, i) for i in range(n)]
    waiting = [0] * n               # consumers of each node not processed yet
    for ps in parents:
        for p in ps:
            waiting[p] += 1
    r = view.roots[0]
    grads: List[Any] = [None] * n
    state = ["unknown"] * n
    grads[r] = nodes[r]._seed_gradient(None, False)
    state[r] = "final"
    steps = [_Step(list(state), list(grads), -1,
                   [f"Start: grad({names[r]}) = {grad_text(grads[r])}, the seed "
                    f"(d{names[r]}/d{names[r]}); every other gradient is not known yet"])]
    for i in reversed(range(n)):
        g = grads[i]
        if not parents[i]:
            continue                 # a leaf: nothing flows on, no frame
        node = nodes[i]
        # A node no gradient reaches passes none on (and gets no frame of its own).
        contributions = node._vjp(g, False) if g is not None else [None] * len(parents[i])
        for p, c in zip(parents[i], contributions):
            waiting[p] -= 1
            if c is not None:
                grads[p] = c if grads[p] is None else grads[p] + c
            if waiting[p] == 0:
                state[p] = "final"
            elif grads[p] is not None:
                state[p] = "partial"
        if g is None:
            continue
        head = f"Step {len(steps)}: node {names[i]}"
        if not node.label:
            head += f" ({op_symbol(node)})"
        derivs = None if is_array(data_of(node)) or is_array(g) else local_derivatives_of(node)
        if derivs is None:          # a tensor op, or a scalar op without a scalar rule
            shown = [f"grad({names[p]}) += vector-Jacobian product (now {grad_text(grads[p])})"
                     if grads[p] is not None else f"{names[p]} needs no gradient"
                     for p in parents[i][:_SHOWN_PARENTS]]
            line = f"{names[i]} = {op_symbol(node)}(…): " + ";  ".join(shown)
        else:
            line = _scalar_caption(view, i, g, names, derivs)
        steps.append(_Step(list(state), list(grads), i, [head, line]))
    last = steps[-1]
    for i in range(n):                # a scalar nothing reaches keeps grad 0, like backward()
        if last.grads[i] is None and not is_array(data_of(nodes[i])):
            last.grads[i] = 0.0
        last.state[i] = "final"
    last.caption.append("Done: every gradient is final, the same numbers as backward().")
    for k, s in enumerate(steps):
        s.caption[0] = f"{s.caption[0]} (frame {k + 1} of {len(steps)})"
    return steps


def check_max_frames(who: str, max_frames: Any) -> None:
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise ValueError(f"{who}: max_frames must be an integer >= 1, got {max_frames!r}")


def film(view: GraphView, max_frames: int, make: Callable[[GraphView], List[_Step]] = _film,
         who: str = "backward_steps", what: str = "backward pass") -> List[_Step]:
    """The frames `make` films (the backward pass from the view's one output by default);
    `TooManyFrames` when there are more than `max_frames`."""
    most = 1 + sum(1 for ps in view.parents if ps)      # the seed + every op, at most
    if most > 10 * max_frames:
        raise TooManyFrames(most, max_frames, who, what)  # without making the film first
    steps = make(view)
    if len(steps) > max_frames:
        raise TooManyFrames(len(steps), max_frames, who, what)
    return steps


def check_frame_options(who: str, max_frames: Any, options: Dict[str, Any]) -> None:
    """max_frames and the draw options a film accepts (not the ones that change the layout
    or the numbers shown)."""
    check_max_frames(who, max_frames)
    for bad in ("show_grad", "collapse", "highlight", "max_nodes", "quantity"):
        if bad in options:
            raise TypeError(f"{who}: option {bad}= is not available for frames")


def backward_steps(root: Any, *, max_frames: int = MAX_FRAMES,
                   **options: Any) -> "BackwardSteps":
    """Frames of the backward pass from `root` (a scalar Value or Tensor). `options` are
    `draw`'s (rankdir, edge_labels, merge_ops, color, vanishing, exploding, title)."""
    if isinstance(root, (list, tuple)):
        raise TypeError("backward_steps: give one output node (backward starts from one seed)")
    check_frame_options("backward_steps", max_frames, options)
    view = GraphView(root)
    steps = BackwardSteps(view, film(view, max_frames), options)
    steps.frames[-1]              # the draw options are checked now, not at the first save
    return steps


# ---------------------------------------------------------------- one frame as a drawing

def _frame(steps: "BackwardSteps", k: int) -> Drawing:
    s = steps.steps[k]
    options = dict(steps.options)
    title = options.pop("title", None)
    caption = s.caption if title is None else [title] + s.caption
    return build(steps.view, s.grads, frame=Frame(s.state, s.focus, caption), **options)


class _Frames:
    """`steps.frames`: frame k as a `Drawing`, built when first asked for."""

    __slots__ = ("_steps", "_made")

    def __init__(self, steps: "BackwardSteps") -> None:
        self._steps = steps
        self._made: Dict[int, Drawing] = {}

    def __len__(self) -> int:
        return len(self._steps.steps)

    def __getitem__(self, k: int) -> Drawing:
        k = range(len(self))[k]            # IndexError and negative indices as a list's
        if k not in self._made:
            self._made[k] = _frame(self._steps, k)
        return self._made[k]

    def __iter__(self) -> Iterator[Drawing]:
        return (self[k] for k in range(len(self)))


# ---------------------------------------------------------------- the page: one layout

def plain(value: Any) -> Any:
    """A node's number for a page's data: a float, or an array's values (small ones)."""
    if value is None:
        return None
    if is_array(value):
        return [json_number(float(v)) for v in value.ravel()] if value.size <= 6 else None
    return json_number(float(value))


def page_data(view: GraphView, steps: List[_Step], options: Dict[str, Any], *,
              stepping: bool = True, extra_kinds: Sequence[str] = (),
              more: Optional[Callable[[Looks, Writer], Dict[str, Any]]] = None
              ) -> Tuple[str, Dict[str, Any]]:
    """The one layout (SVG) and the frames' data of viz/web/frames.js for `steps`. The key
    also shows `extra_kinds`; `more(looks, writer)` may add looks of its own (the
    explorer's live colours) and returns more data for the page."""
    options = dict(options)
    options.pop("title", None)
    last = steps[-1]
    writer = prepare(view, last.grads, frame=Frame(last.state, -1, [], stepping=stepping),
                     **options)
    looks = Looks()
    table = rows(looks, writer, [(s.state, s.grads) for s in steps])
    extra = more(looks, writer) if more is not None else {}
    n = len(view.nodes)
    labels = [view.nodes[i].label or f"#{i}" for i in range(n)]
    svg = laid_out(writer, widest(looks, table, n), looks.kinds | set(extra_kinds), labels)
    frames = [{"caption": s.caption, "focus": s.focus, "set": diff}
              for s, diff in zip(steps, changes(table))]
    nodes = [{"id": i, "label": node.label, "op": node.op, "data": plain(data_of(node)),
              "grad": plain(last.grads[i])} for i, node in enumerate(view.nodes)]
    return svg, {"nodes": nodes, "looks": looks.entries, "base": table[0], "frames": frames,
                 **COLORS, **extra}


# The colours frames.js needs besides the looks.
COLORS = {"focus": theme.FOCUS, "muted": theme.MUTED, "text": theme.TEXT, "edge": theme.EDGE,
          "label": "#3c4043"}


def stepper_bar(count: int, what: str = "backward step") -> str:
    """The slider, buttons and caption frames.js's `stepper` drives."""
    return ('<div class="gg-bar"><button class="gg-prev">&#9664; prev</button>'
            f'<input class="gg-slider" type="range" min="0" max="{count - 1}" value="0" '
            f'aria-label="{what}">'
            '<button class="gg-next">next &#9654;</button>'
            f'<span class="gg-pos">1 / {count}</span></div>'
            '<div class="gg-caption" aria-live="polite"></div>')


class BackwardSteps(Page):
    """The frames of a backward pass. `save('steps.html')` writes one self-contained page
    (one SVG laid out once, slider, prev/next buttons, arrow keys; no network);
    `save('folder')` writes numbered pictures `step_001.svg` ... (`format='png'` for PNG).
    `frames[k]` is frame k as a `Drawing`; `captions[k]` its caption lines."""

    __slots__ = ("view", "steps", "options", "frames", "_page")
    STYLE = ("steps.css",)
    KIND = "steps"
    TITLE = "Backward pass, step by step"
    STEP = "backward step"          # what the slider moves through

    def __init__(self, view: GraphView, steps: List[_Step], options: Dict[str, Any]) -> None:
        self.view = view
        self.steps = steps
        self.options = options
        self.frames = _Frames(self)
        self._page: Optional[Tuple[str, Dict[str, Any]]] = None

    @property
    def captions(self) -> List[List[str]]:
        return [s.caption for s in self.steps]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Drawing]:
        return iter(self.frames)

    def __getitem__(self, k: int) -> Drawing:
        return self.frames[k]

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self.steps)} frames>"

    # ---- the page ----
    def widget(self, element_id: str = "glassgrad-steps") -> str:
        """The slider, the caption and the one SVG as an HTML fragment (the page and
        Jupyter use it)."""
        if self._page is None:
            self._page = page_data(self.view, self.steps, self.options)
        svg, data = self._page
        return "\n".join([
            f'<div id="{element_id}" class="gg-steps">',
            stepper_bar(len(data["frames"]), self.STEP),
            f'<div class="gg-graph">{svg}</div>',
            data_element(data),
            f"<script>{script(['frames.js', 'steps.js'], mount('stepsPage', element_id))}"
            "</script>",
            "</div>"])

    def save(self, path: Union[str, Path], format: Optional[str] = None) -> Path:
        """Write `path.html` as one page, or a folder of numbered frames."""
        path = Path(path)
        if path.suffix.lower() in (".html", ".htm"):
            return self.save_page(path)
        if path.suffix and path.suffix.lower() in (".svg", ".png", ".pdf", ".dot", ".gv"):
            raise ValueError(f"backward_steps.save: give a folder (numbered frames) or a "
                             f".html file, got {str(path)!r}")
        fmt_ = (format or "svg").lower().lstrip(".")
        find_renderer()
        path.mkdir(parents=True, exist_ok=True)
        width = max(3, len(str(len(self.frames))))
        for k, frame in enumerate(self.frames, start=1):
            frame.save(path / f"step_{k:0{width}d}.{'dot' if fmt_ == 'gv' else fmt_}", fmt_)
        return path
