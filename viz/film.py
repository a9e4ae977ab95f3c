"""`Film`: a training run's gradients, one page with a scrubber: watch them vanish or explode
where they happen.

>>> import nn, viz
>>> from nn import datasets
>>> X, y = datasets.xor()
>>> model = nn.MLP(2, [4, 1], activation="sigmoid", seed=0)
>>> film = viz.Film(every=2)                  # keep every 2nd step
>>> _ = nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.5), (X, y),
...            epochs=6, callbacks=[film], progress=False)
>>> film.steps, film.modules                  # film.save("film.html") writes the page
([1, 3, 5], ['layers.0', 'layers.1'])

Every `every` steps a film keeps the loss and, per module, the norm of its parameters'
gradients (and, for a small graph of scalar `Value`s, every node's gradient). With
`nn.fit` pass it as a callback; in a loop of your own call `film.record(model, loss)`
after `loss.backward()` and before the optimizer's step. `save("film.html")` writes one
offline page: the module-level graph coloured by gradient norm on the |grad| scale of the
drawings (grey and dashed below `viz.VANISHING`, magenta above `viz.EXPLODING`), the loss
curve with the current step marked, a scrubber (slider, buttons, arrow keys) over the
recorded steps, and the node-level graph when there is one.

A film reads a model through a small interface, so a model of another engine plugs in
through an adapter: `model.named_modules()` gives `(qualified name, module)` pairs, the
model itself first; `module.named_parameters()` gives `(name, parameter)` pairs, the
module's own and its submodules'; a parameter's numbers are read with
`viz.node.grad_of`/`data_of` (`raw_grad`, `raw_data`: a float or an array, None for no
gradient). The modules shown are those `level` deep (1: the model's children, `layers.0`
of an MLP, `0` of a Sequential) that have parameters. When `loss` is a graph node, the
arrows between modules follow the graph (a module's nodes carry it in `_scope`; modules
without parameters, such as activations, label the arrows they sit on); otherwise the
modules are drawn in order. A `torch.nn.Module` comes through such an adapter
(viz/torch_film.py; torch is imported only then): record it in a PyTorch loop with its
loss tensor, and its modules are drawn in registration order.

The page's `window.glassgrad`: `nodes()` → the modules `[{id, label, op, data, grad}]`
(`grad`: the norm at the frame shown), `frames()`, `frame(k)` (show frame k; returns the
frame shown), `steps()` (the recorded step numbers), `losses()`.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from . import labels, theme
from .dot import style_look
from .draw import GraphView
from .drawing import Drawing
from .frames import Looks, changes, entry
from .node import data_of, grad_of
from .page import Page, data_element, html_path, mount, script
from .steps import COLORS, _Step, page_data, stepper_bar
from .structure import _module_prefixes
from .svgpage import annotate
from .torch_film import film_model
from .text import fmt, html, quoted, short

INPUT, LOSS = "input", "loss"
_WIDE = 5          # more modules than this are drawn top to bottom by default


def _level(name: str) -> int:
    return len(_module_prefixes(name)) if name else 0


def _norm(values: List[Any]) -> Optional[float]:
    """The 2-norm of floats and arrays as if concatenated; None when there are none."""
    present = [np.asarray(v, dtype=np.float64).ravel() for v in values if v is not None]
    if not present:
        return None
    # einsum, not np.dot: BLAS threads on a busy machine made a film record 10x slower.
    return float(math.sqrt(sum(float(np.einsum("i,i->", v, v)) for v in present)))


def _number(x: Any) -> float:
    """A loss as a float: a graph node's value or anything float() takes."""
    if hasattr(x, "raw_data"):
        x = data_of(x)
    return float(np.asarray(x, dtype=np.float64).reshape(-1)[0]) if np.ndim(x) else float(x)


class _Modules:
    """The modules a film shows, found once: names, classes, parameters, arrows."""

    def __init__(self, model: Any, level: int, loss: Any) -> None:
        if not callable(getattr(model, "named_modules", None)):
            raise TypeError(f"Film.record: {type(model).__name__} has no named_modules(): "
                            f"give the model (an nn.Module, or an adapter with "
                            f"named_modules() and named_parameters())")
        named = list(model.named_modules())
        self.names: List[str] = []
        self.classes: List[str] = []
        self.params: List[List[Any]] = []
        owner_of: Dict[int, int] = {}            # id(module) -> shown module index
        passing: Dict[int, str] = {}             # id(module) -> class, modules without params
        # A list of modules (`blocks` of `blocks.0`) is not a level of its own, as in the
        # drawings' module boxes: its items are shown. An item that holds a list itself
        # (`0` of `0.0`, a Sequential in a Sequential) is a module (`_module_prefixes`).
        lists = {parent for parent in (name.rsplit(".", 1)[0] for name, _ in named
                                       if "." in name and name.rsplit(".", 1)[1].isdigit())
                 if not parent.rsplit(".", 1)[-1].isdigit()}
        for name, module in named:
            if _level(name) != level or name in lists:
                continue
            params = [p for _, p in module.named_parameters()]
            if not params:
                continue
            self.names.append(name)
            self.classes.append(type(module).__name__)
            self.params.append(params)
        prefixes = {name: k for k, name in enumerate(self.names)}
        for name, module in named:
            top = _module_prefixes(name)[level - 1][0] if _level(name) >= level else None
            if top in prefixes:
                owner_of[id(module)] = prefixes[top]
            elif name and not list(module.named_parameters()):
                passing[id(module)] = type(module).__name__
        if not self.names:
            raise ValueError(f"Film.record: {type(model).__name__} has no module with "
                             f"parameters at level {level}")
        self.arrows = self._arrows(loss, owner_of, passing) if hasattr(loss, "_parents") \
            else self._in_order(named, level)

    def _in_order(self, named: List[Tuple[str, Any]], level: int) -> Dict[Tuple[str, str], str]:
        """input → each module in registration order → loss; between two, the modules
        without parameters registered there."""
        arrows: Dict[Tuple[str, str], str] = {}
        previous, between = INPUT, []
        shown = set(self.names)
        for name, module in named:
            if _level(name) != level:
                continue
            if name in shown:
                arrows[(previous, name)] = " ".join(between)
                previous, between = name, []
            else:
                between.append(type(module).__name__)
        arrows[(previous, LOSS)] = " ".join(between)
        return arrows

    def _arrows(self, loss: Any, owner_of: Dict[int, int],
                passing: Dict[int, str]) -> Dict[Tuple[str, str], str]:
        """The arrows of the graph that computed `loss`: A → B when a node of module B
        uses a node of module A, directly or through nodes of no shown module."""
        view = GraphView(loss)
        param_owner = {id(p): k for k, params in enumerate(self.params) for p in params}
        n = len(view.nodes)
        owner: List[Optional[int]] = [None] * n
        for i, node in enumerate(view.nodes):
            # A leaf is a parameter of its module or an input, wherever it was made (a
            # scalar Layer turns its input numbers into Values inside its forward).
            scope = getattr(node, "_scope", None) if view.parents[i] else None
            owner[i] = param_owner.get(id(node), owner_of.get(id(scope)) if scope else None)
        reach: List[Dict[str, set]] = [{} for _ in range(n)]   # source -> classes passed
        arrows: Dict[Tuple[str, str], set] = {}
        for i, node in enumerate(view.nodes):
            ps = view.parents[i]
            if not ps:
                if owner[i] is None:
                    reach[i] = {INPUT: set()}
                continue
            found: Dict[str, set] = {}
            for p in ps:
                sources = {self.names[owner[p]]: set()} if owner[p] is not None else reach[p]
                for src, passed in sources.items():
                    found.setdefault(src, set()).update(passed)
            if owner[i] is not None:
                me = self.names[owner[i]]
                for src, passed in found.items():
                    if src != me:
                        arrows.setdefault((src, me), set()).update(passed)
                continue
            scope = getattr(node, "_scope", None)
            through = passing.get(id(scope)) if scope is not None else None
            if through:
                for passed in found.values():
                    passed.add(through)
            reach[i] = found
        r = view.roots[0]
        ends = {self.names[owner[r]]: set()} if owner[r] is not None else reach[r]
        for src, passed in ends.items():
            if src != INPUT:
                arrows.setdefault((src, LOSS), set()).update(passed)
        return {key: " ".join(sorted(v)) for key, v in arrows.items()}


class _Nodes:
    """Every node's gradient and value per frame, for a small scalar graph whose shape
    stays the same from step to step."""

    def __init__(self, loss: Any) -> None:
        self.view = GraphView(loss)
        self.shape = self._shape(self.view)
        self.grads: List[List[float]] = []
        self.values: List[List[float]] = []

    @staticmethod
    def _shape(view: GraphView) -> tuple:
        return tuple((node.op, ps) for node, ps in zip(view.nodes, view.parents))

    def add(self, loss: Any) -> bool:
        view = GraphView(loss)
        if self._shape(view) != self.shape:
            return False
        self.grads.append([grad_of(node) for node in view.nodes])
        self.values.append([data_of(node) for node in view.nodes])
        return True


class Film(Page):
    """Gradients of a training run every `every` steps (see the module docstring).

    `steps` (the step numbers kept), `losses`, `modules` (names), `norms[module]` (one
    gradient norm per kept step, None where no gradient reached it), `node_grads` (per
    kept step, every node's gradient, for a small scalar graph; else empty). Past
    `max_frames` kept steps every other one is dropped and `every` doubles, so a long
    run stays a small page. `rankdir` lays the module graph out left to right ('LR') or
    top to bottom ('TB'; the default past five modules).
    """

    STYLE = ("steps.css", "film.css")
    KIND = "film"
    TITLE = "Training film: gradients step by step"

    def __init__(self, every: int = 1, *, level: int = 1, max_nodes: int = 150,
                 max_frames: int = 400, vanishing: float = theme.VANISHING,
                 exploding: float = theme.EXPLODING, rankdir: Optional[str] = None) -> None:
        for name, value, least in (("every", every, 1), ("level", level, 1),
                                   ("max_nodes", max_nodes, 2), ("max_frames", max_frames, 2)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"Film: {name} must be an integer >= {least}, got {value!r}")
        if not (0 < vanishing < exploding):
            raise ValueError(f"Film: need 0 < vanishing < exploding, got {vanishing!r} and "
                             f"{exploding!r}")
        if rankdir not in (None, "LR", "TB"):
            raise ValueError(f"Film: rankdir must be 'LR', 'TB' or None (automatic: top to "
                             f"bottom past {_WIDE} modules), got {rankdir!r}")
        self.rankdir = rankdir
        self.every, self.level, self.max_nodes, self.max_frames = every, level, max_nodes, max_frames
        self.vanishing, self.exploding = float(vanishing), float(exploding)
        self.steps: List[int] = []
        self.losses: List[float] = []
        self.norms: Dict[str, List[Optional[float]]] = {}
        self.note = ""
        self._modules: Optional[_Modules] = None
        self._nodes: Optional[_Nodes] = None
        self._calls = 0

    # ---- recording ----
    @property
    def modules(self) -> List[str]:
        return list(self._modules.names) if self._modules is not None else []

    @property
    def node_grads(self) -> List[List[float]]:
        return self._nodes.grads if self._nodes is not None else []

    def on_backward_end(self, state: Any) -> None:
        """`nn.fit`'s hook: gradients are ready, the weights not updated yet."""
        self.record(state.model, state.loss, step=state.step)

    def record(self, model: Any, loss: Any = None, step: Optional[int] = None) -> bool:
        """Keep this step's gradients (every `every`-th call); call it after
        `loss.backward()`, before the optimizer's step. `model`: an nn.Module, glassgrad's
        or PyTorch's (then `loss` may be its loss tensor). `loss`: the loss node (its graph
        gives the arrows between modules and, when small, every node's gradient) or a
        number. Returns True when this step was kept."""
        self._calls += 1
        if (self._calls - 1) % self.every:
            return False
        model, loss = film_model(model, loss)
        if self._modules is None:
            self._modules = _Modules(model, self.level, loss)
            self.norms = {name: [] for name in self._modules.names}
            self._nodes = self._small_graph(loss)
        self.steps.append(self._calls if step is None else int(step))
        self.losses.append(_number(loss) if loss is not None else math.nan)
        for name, params in zip(self._modules.names, self._modules.params):
            self.norms[name].append(_norm([grad_of(p) for p in params]))
        if self._nodes is not None and not self._nodes.add(loss):
            self.note = (f"The node-level graph stops at step {self.steps[-2]}: the graph "
                         f"changed shape at step {self.steps[-1]} (a different batch size?).")
            self._nodes = None
        if len(self.steps) > self.max_frames:
            self._thin()
        return True

    def _small_graph(self, loss: Any) -> Optional[_Nodes]:
        if not hasattr(loss, "_parents"):
            return None
        view = GraphView(loss)
        if len(view.nodes) > self.max_nodes or not all(
                isinstance(data_of(n), float) for n in view.nodes):
            return None
        return _Nodes(loss)

    def _thin(self) -> None:
        keep = slice(0, None, 2)
        self.steps, self.losses = self.steps[keep], self.losses[keep]
        self.norms = {k: v[keep] for k, v in self.norms.items()}
        if self._nodes is not None:
            self._nodes.grads, self._nodes.values = self._nodes.grads[keep], self._nodes.values[keep]
        self.every *= 2

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"<Film: {len(self.steps)} frames of {len(self.modules)} modules>"

    # ---- the page ----
    def save(self, path: Union[str, Path]) -> Path:
        """Write the page to `path` (an .html file)."""
        return self.save_page(html_path(path, "Film.save"))

    def _style_of(self, norm: Optional[float]) -> list:
        if norm is None:
            return entry(style_look("no gradient", None, None, theme.PLAIN_FILL))
        style = theme.grad_style(norm, "positive", self.vanishing, self.exploding)
        return entry(style_look(f"norm {fmt(norm)}", None, style, theme.PLAIN_FILL))

    def _module_frames(self) -> Tuple[str, Dict[str, Any]]:
        mods = self._modules
        count, k_loss = len(self.steps), len(mods.names)
        looks = Looks()
        table = [[looks.add(self._style_of(self.norms[name][f])) for name in mods.names]
                 for f in range(count)]
        kinds = {theme.grad_style(n, "positive", self.vanishing, self.exploding).kind
                 for values in self.norms.values() for n in values if n is not None}
        widest = [max((looks.entries[row[k]][4] for row in table), key=len)
                  for k in range(k_loss)]
        loss_texts = [fmt(x) for x in self.losses]
        source = self._module_dot(widest, max(loss_texts, key=len), kinds,
                                  [looks.entries[i] for i in table[0]])
        svg = annotate(Drawing(source).svg, mods.names + [LOSS])
        frames = []
        for f, diff in enumerate(changes(table)):
            caption = [f"Step {self.steps[f]} (frame {f + 1} of {count}): loss "
                       f"{loss_texts[f]}"]
            verdicts: Dict[str, List[str]] = {}
            for name in mods.names:
                norm = self.norms[name][f]
                verdict = "none" if norm is None else theme.norm_verdict(
                    norm, self.vanishing, self.exploding)
                verdicts.setdefault(verdict, []).append(name)
            caption += [f"{verdict.capitalize()} gradients in {', '.join(verdicts[verdict])}"
                        for verdict in ("vanishing", "exploding") if verdict in verdicts]
            frames.append({"caption": caption, "focus": -1, "set": diff,
                           "text": [[k_loss, loss_texts[f]]]})
        nodes = [{"id": k, "label": name, "op": cls, "data": None}
                 for k, (name, cls) in enumerate(zip(mods.names, mods.classes))]
        return svg, {"looks": looks.entries, "base": table[0], "frames": frames,
                     "nodes": nodes, **COLORS}

    def _module_dot(self, widest: List[str], loss_text: str, kinds: set,
                    first: List[list]) -> str:
        mods = self._modules
        rankdir = self.rankdir or ("TB" if len(mods.names) > _WIDE else "LR")
        lines = ["digraph film {",
                 f'  graph [rankdir={rankdir} bgcolor="white" fontname="{theme.FONT}" fontsize=11 '
                 f'nodesep=0.25 ranksep=0.35 pad=0.2 labelloc=t labeljust=l '
                 f'label={self._key(kinds)}]',
                 f'  node [shape=plain fontname="{theme.FONT}" fontsize=11 '
                 f'fontcolor="{theme.TEXT}"]',
                 f'  edge [fontname="{theme.FONT}" fontsize=9 color="{theme.EDGE}" '
                 f'fontcolor="#3c4043" arrowsize=0.7]',
                 f'  input [shape=box style="rounded,filled" fillcolor="{theme.INPUT_FILL}" '
                 f'color="#4a4a4a" label="input"]']
        for k, (name, cls, params) in enumerate(zip(mods.names, mods.classes, mods.params)):
            count = sum(int(np.size(data_of(p))) for p in params)
            rows = [labels.header(f"{name} ({cls})" if name != cls else name, "", False),
                    labels.note_row(f"{count:,} parameters"), labels.row("grad", html(widest[k]))]
            look = first[k]
            lines.append(f"  n{k} [label={labels.table(rows, look[0], look[1], look[2], bool(look[3]))}]")
        loss_rows = [labels.header(LOSS, "", False), labels.row("data", loss_text)]
        lines.append(f"  n{len(mods.names)} [label="
                     f"{labels.table(loss_rows, theme.OUTPUT_FILL, '#4a4a4a', 2)}]")
        ids = {INPUT: "input", LOSS: f"n{len(mods.names)}",
               **{name: f"n{k}" for k, name in enumerate(mods.names)}}
        for (src, dst), passed in mods.arrows.items():
            label = f" [label={quoted(passed)}]" if passed else ""
            lines.append(f"  {ids[src]} -> {ids[dst]}{label}")
        return "\n".join(lines + ["}"]) + "\n"

    def _key(self, kinds: set) -> str:
        rows = labels.legend(self.vanishing, self.exploding, sorted(kinds), False)
        note = (f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="{theme.MUTED}">a box: '
                f"a module, coloured by the norm of its parameters' gradients</FONT>"
                f"</TD></TR>")
        return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1">'
                + "".join(rows) + note + "</TABLE>>")

    def _node_frames(self) -> Optional[Tuple[str, Dict[str, Any]]]:
        if self._nodes is None or not self._nodes.grads:
            return None
        view, n = self._nodes.view, len(self._nodes.view.nodes)
        steps = [_Step(["final"] * n, grads, -1, []) for grads in self._nodes.grads]
        svg, data = page_data(view, steps, {"vanishing": self.vanishing,
                                             "exploding": self.exploding}, stepping=False)
        last: Dict[int, str] = {}
        for frame, values in zip(data["frames"], self._nodes.values):
            texts = [fmt(v) for v in values]
            frame["text"] = [[i, t] for i, t in enumerate(texts) if last.get(i) != t]
            last = dict(enumerate(texts))
        return svg, data

    def _curve(self, width: int = 560, height: int = 150) -> Tuple[str, List[List[float]]]:
        """The loss curve as an SVG, and the marker's position at every frame."""
        xs, ys = self.steps, self.losses
        finite = [y for y in ys if math.isfinite(y)]
        log = bool(finite) and min(finite) > 0 and max(finite) / min(finite) > 30
        f = (lambda y: math.log10(y)) if log else (lambda y: y)
        lo, hi = (min(map(f, finite)), max(map(f, finite))) if finite else (0.0, 1.0)
        hi = hi if hi > lo else lo + 1.0
        left, right, top, bottom = 58, 12, 10, 28
        x0, x1 = xs[0], max(xs[-1], xs[0] + 1)

        def point(x: float, y: float) -> List[float]:
            px = left + (x - x0) / (x1 - x0) * (width - left - right)
            py = top + (1 - (f(y) - lo) / (hi - lo)) * (height - top - bottom) \
                if math.isfinite(y) else height - bottom
            return [round(px, 1), round(py, 1)]

        points = [point(x, y) for x, y in zip(xs, ys)]
        path = " ".join(f"{p[0]},{p[1]}" for p, y in zip(points, ys) if math.isfinite(y))
        scale = " (log scale)" if log else ""
        top_label = short(10 ** hi if log else hi)
        low_label = short(10 ** lo if log else lo)
        svg = (f'<svg class="gg-curve" width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
               f'<rect x="{left}" y="{top}" width="{width - left - right}" '
               f'height="{height - top - bottom}" fill="#fafbfc" stroke="#d5d8dc"/>'
               f'<polyline points="{path}" fill="none" stroke="#4f93dc" stroke-width="1.5"/>'
               f'<line class="gg-now" x1="{points[0][0]}" x2="{points[0][0]}" y1="{top}" '
               f'y2="{height - bottom}" stroke="{theme.FOCUS}" stroke-dasharray="3,2"/>'
               f'<circle class="gg-marker" cx="{points[0][0]}" cy="{points[0][1]}" r="4" '
               f'fill="{theme.FOCUS}"/>'
               f'<text x="{left - 4}" y="{top + 9}" text-anchor="end">{top_label}</text>'
               f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end">{low_label}</text>'
               f'<text x="{left}" y="{height - 10}">step {x0}</text>'
               f'<text x="{width - right}" y="{height - 10}" text-anchor="end">step {xs[-1]}'
               f'</text><text x="{(width + left) / 2}" y="{height - 10}" '
               f'text-anchor="middle">loss{scale}</text></svg>')
        return svg, points

    def _repr_html_(self) -> str:
        if not self.steps:
            return f"<p>{html(repr(self), 200)}: nothing recorded yet.</p>"
        return super()._repr_html_()

    def widget(self, element_id: str = "glassgrad-film") -> str:
        """The film as an HTML fragment (the page and Jupyter use it)."""
        if not self.steps:
            raise ValueError("Film: nothing recorded yet: pass the film to nn.fit(..., "
                             "callbacks=[film]) or call film.record(model, loss) after "
                             "loss.backward()")
        modules_svg, modules = self._module_frames()
        curve, points = self._curve()
        graph = self._node_frames()
        data = {"modules": modules, "curve": points, "steps": self.steps,
                "losses": [x if math.isfinite(x) else str(x) for x in self.losses],
                "norms": [self.norms[name] for name in self.modules],
                "graph": graph[1] if graph else None}
        parts = [f'<div id="{element_id}" class="gg-film">',
                 stepper_bar(len(self.steps), "training step"),
                 f'<div class="gg-row"><div class="gg-modules gg-graph">{modules_svg}</div>'
                 f'<div class="gg-loss">{curve}</div></div>']
        if graph:
            parts.append('<div class="gg-subtitle">Every node of the graph</div>'
                         f'<div class="gg-nodes gg-graph">{graph[0]}</div>')
        if self.note:
            parts.append(f'<div class="gg-muted">{html(self.note, 300)}</div>')
        parts += [data_element(data),
                  f"<script>{script(['frames.js', 'film.js'], mount('film', element_id))}</script>",
                  "</div>"]
        return "\n".join(parts)
