"""`backward_steps`: the backward pass as a film, one frame per node.

Frames go through the nodes in reverse topological order, as `backward()` does. Each
frame shows the gradients known so far ('?' for not reached yet, 'so far' for a sum
still waiting for contributions), the node being processed in green, and a caption with
the arithmetic: grad(parent) += local derivative × grad(node). Gradients are computed
here from the local derivatives (the `_vjp` hook every node type has), so the user's
`.grad` fields are never touched. The last frame has exactly the gradients of one
`backward()` call.

>>> from autograd import Value
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = a * b; c.label = "c"
>>> steps = backward_steps(c)
>>> len(steps.frames), steps.captions[0][1]
(3, 'c = a × b: grad(a) += ∂c/∂a × grad(c) = -3 × 1 = -3;  grad(b) += ∂c/∂b × grad(c) = 2 × 1 = 2')
"""
from __future__ import annotations

import html as _html
import itertools
from pathlib import Path
from typing import Any, Iterator, List, Optional, Union

from autograd.scalar_rules import local_derivatives

from .dot import Frame, op_symbol
from .draw import GraphView, build
from .drawing import Drawing
from .text import grad_text, is_array, short

MAX_FRAMES = 200
_SHOWN_PARENTS = 4
_widget_ids = itertools.count(1)


def _name(view: GraphView, i: int) -> str:
    """A node's name in captions: its label, else its number in the drawing (n5 is #5)."""
    return view.nodes[i].label or f"#{i}"


def _scalar_caption(view: GraphView, i: int, g: float, names: List[str]) -> str:
    node = view.nodes[i]
    me = names[i]
    derivs = local_derivatives(node)
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


def backward_steps(root: Any, *, max_frames: int = MAX_FRAMES, **options: Any) -> "BackwardSteps":
    """Frames of the backward pass from `root` (a scalar Value or Tensor). `options` are
    `draw`'s (rankdir, edge_labels, merge_ops, color, vanishing, exploding, title)."""
    if isinstance(root, (list, tuple)):
        raise TypeError("backward_steps: give one output node (backward starts from one seed)")
    view = GraphView(root)
    n = len(view.nodes)
    if n > max_frames:
        raise ValueError(f"backward_steps: the graph has {n} nodes, one frame each; that is "
                         f"over max_frames={max_frames}. Draw a smaller graph or raise max_frames.")
    for bad in ("show_grad", "collapse", "highlight", "max_nodes"):
        if bad in options:
            raise TypeError(f"backward_steps: option {bad}= is not available for frames")
    title = options.pop("title", None)
    nodes, parents = view.nodes, view.parents
    names = [_name(view, i) for i in range(n)]
    r = view.roots[0]
    grads: List[Any] = [None] * n
    state = ["unknown"] * n
    grads[r] = root._seed_gradient(None, False)
    state[r] = "partial"
    frames: List[Drawing] = []
    captions: List[List[str]] = []
    for step, i in enumerate(reversed(range(n)), start=1):
        node = nodes[i]
        g = grads[i]
        if g is None and not is_array(node.raw_data):
            g = grads[i] = 0.0        # never reached: backward() leaves a scalar at 0
        state[i] = "final"
        head = f"Backward step {step} of {n}: node {names[i]}"
        if not node.label:
            head += f" ({op_symbol(node)})" if parents[i] else " (a leaf)"
        if i == r:
            head += f" (the output: seed grad({names[i]}) = 1)"
        lines = [head]
        if parents[i] and g is not None:
            contributions = node._vjp(g, False)
            for p, c in zip(parents[i], contributions):
                if c is None:
                    continue
                grads[p] = c if grads[p] is None else grads[p] + c
                state[p] = "partial"
            if is_array(node.raw_data) or is_array(g):
                shown = [f"grad({names[p]}) += vector-Jacobian product (now {grad_text(grads[p])})"
                         if grads[p] is not None else f"{names[p]} needs no gradient"
                         for p in parents[i][:_SHOWN_PARENTS]]
                lines.append(f"{names[i]} = {op_symbol(node)}(…): " + ";  ".join(shown))
            else:
                lines.append(_scalar_caption(view, i, g, names))
        elif parents[i]:
            lines.append(f"{names[i]} has no gradient, nothing flows to its inputs")
        else:
            lines.append(f"{names[i]} is a leaf: its gradient is complete, grad = {grad_text(g)}"
                         if g is not None else f"{names[i]} is a leaf that needs no gradient")
        frame = Frame(list(state), i, lines if title is None else [title] + lines)
        frames.append(build(view, list(grads), frame=frame, **options))
        captions.append(lines)
    return BackwardSteps(frames, captions)


_STYLE = """body{font-family:Helvetica,Arial,sans-serif;margin:12px;color:#1f1f1f}
.gg-bar{display:flex;gap:8px;align-items:center;margin:6px 0 10px}
.gg-bar button{font-size:14px;padding:3px 10px}
.gg-bar input{flex:1;max-width:600px}
.gg-frame{display:none}.gg-frame svg{max-width:100%;height:auto}"""

_SCRIPT = """(function(){var root=document.getElementById("%(id)s");
var frames=root.querySelectorAll(".gg-frame"),slider=root.querySelector("input"),
pos=root.querySelector(".gg-pos"),k=0;
function show(i){k=Math.max(0,Math.min(frames.length-1,i));
for(var j=0;j<frames.length;j++){frames[j].style.display=j===k?"block":"none";}
slider.value=k;pos.textContent=(k+1)+" / "+frames.length;}
root.querySelector(".gg-prev").onclick=function(){show(k-1);};
root.querySelector(".gg-next").onclick=function(){show(k+1);};
slider.oninput=function(){show(parseInt(slider.value,10));};
root.tabIndex=0;root.onkeydown=function(e){if(e.key==="ArrowLeft"){show(k-1);}
if(e.key==="ArrowRight"){show(k+1);}};show(0);})();"""


def _inline_svg(svg: str) -> str:
    """An SVG document as an element to put in HTML (no XML prolog, no DOCTYPE)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


class BackwardSteps:
    """The frames of a backward pass. `save('steps.html')` writes one self-contained page
    (inline SVGs, slider, prev/next buttons, arrow keys; no network); `save('folder')`
    writes numbered pictures `step_001.svg` ... (`format='png'` for PNG)."""

    __slots__ = ("frames", "captions")

    def __init__(self, frames: List[Drawing], captions: List[List[str]]) -> None:
        self.frames = frames
        self.captions = captions

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[Drawing]:
        return iter(self.frames)

    def __getitem__(self, k: int) -> Drawing:
        return self.frames[k]

    def __repr__(self) -> str:
        return f"<BackwardSteps: {len(self.frames)} frames>"

    def widget(self, element_id: str = "glassgrad-steps") -> str:
        """The slider and frames as an HTML fragment (used by the page and by Jupyter)."""
        n = len(self.frames)
        parts = [f'<div id="{element_id}" class="gg-steps">',
                 '<div class="gg-bar"><button class="gg-prev">&#9664; prev</button>'
                 f'<input type="range" min="0" max="{n - 1}" value="0" '
                 'aria-label="backward step">'
                 '<button class="gg-next">next &#9654;</button>'
                 f'<span class="gg-pos">1 / {n}</span></div>']
        for k, frame in enumerate(self.frames):
            parts.append(f'<div class="gg-frame" data-step="{k + 1}">'
                         f"{_inline_svg(frame.svg)}</div>")
        parts.append("</div>")
        parts.append(f"<script>{_SCRIPT % {'id': element_id}}</script>")
        return "\n".join(parts)

    def html(self, title: str = "Backward pass, step by step") -> str:
        """A complete, self-contained HTML page."""
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{_html.escape(title)}</title><style>{_STYLE}</style></head><body>\n"
                f"<h3>{_html.escape(title)}</h3>\n{self.widget()}\n</body></html>\n")

    def _repr_html_(self) -> str:
        return f"<style>{_STYLE.split(chr(10), 1)[1]}</style>" + self.widget(
            f"glassgrad-steps-{next(_widget_ids)}")

    def save(self, path: Union[str, Path], format: Optional[str] = None) -> Path:
        """Write `path.html` as one page, or a folder of numbered frames."""
        path = Path(path)
        if path.suffix.lower() in (".html", ".htm"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.html(), encoding="utf-8")
            return path
        if path.suffix and path.suffix.lower() in (".svg", ".png", ".pdf", ".dot", ".gv"):
            raise ValueError(f"backward_steps.save: give a folder (numbered frames) or a "
                             f".html file, got {str(path)!r}")
        fmt_ = (format or "svg").lower().lstrip(".")
        path.mkdir(parents=True, exist_ok=True)
        width = max(3, len(str(len(self.frames))))
        for k, frame in enumerate(self.frames, start=1):
            frame.save(path / f"step_{k:0{width}d}.{'dot' if fmt_ == 'gv' else fmt_}", fmt_)
        return path
