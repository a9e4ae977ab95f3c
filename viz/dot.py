"""Write the DOT text of a drawing from a `Plan` (what is drawn) and resolved options.

Node ids come from the topological order (`n0`, `n1`, ..., `n7_op` for an op node,
`m3` for a folded module, `more` for the cut-off remainder), never from `id()`, so the
same graph always gives byte-identical DOT.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

from autograd.scalar_rules import RULES

from . import labels, theme
from .node import data_of, local_derivatives_of
from .shared import Copies, copy_name
from .structure import Cluster, Plan, is_parameter
from .text import (fmt, grad_magnitude, grad_text, html, is_array, quoted, shape_text, short,
                   values_text)


@functools.lru_cache(maxsize=None)
def _tensor_rules() -> dict:
    try:
        from autograd.tensor_rules import RULES as tensor_rules
    except ImportError:         # an engine build without tensors
        return {}
    return tensor_rules


def op_symbol(node: Any) -> str:
    """How the op is shown: the rule table's symbol ('×', 'tanh', '@'), else its name."""
    op = node.op
    rule = (_tensor_rules() if is_array(data_of(node)) else RULES).get(op)
    return getattr(rule, "symbol", "") or op


COMPACT = 400      # drawings with more items use text labels instead of tables


class Frame:
    """Gradients part-way through a backward pass (see `viz.steps`).

    The steps page lays its graph out once: it passes `texts` (each node's widest grad
    text over all frames, so the boxes fit every frame) and `kinds` (every colour any
    frame uses, for the key).
    """

    __slots__ = ("state", "focus", "caption", "texts", "kinds", "stepping")

    def __init__(self, state: List[str], focus: int, caption: List[str],
                 texts: Optional[List[str]] = None, kinds: Sequence[str] = (),
                 stepping: bool = True) -> None:
        self.state = state        # per node: 'unknown' | 'partial' | 'final'
        self.focus = focus        # node being processed (-1: none)
        self.caption = caption    # lines shown under the title
        self.texts = texts
        self.kinds = set(kinds)
        self.stepping = stepping  # False: a page without a stepper (no note about green)


class Look(NamedTuple):
    """How a node looks for a gradient state, before focus, highlight and copy marks."""
    text: Optional[str]            # the grad row ('?', '-1.5000 so far'); None: no grad row
    color: Optional[str]           # the grad row's text colour (None: the default)
    style: Optional[theme.GradStyle]
    fill: str
    border: str
    width: int
    dashed: bool                   # a vanishing gradient
    tag: str                       # 'exploding', 'NaN', 'inf' or ''


class Resolved:
    """Options after validation and after the size-dependent defaults are decided."""

    __slots__ = ("rankdir", "show_grad", "edge_labels", "merge_ops", "color", "vanishing",
                 "exploding", "on_path", "highlight_name", "title", "max_nodes", "notes",
                 "quantity")

    def __init__(self, **kw: Any) -> None:
        for k, v in kw.items():
            setattr(self, k, v)


def style_look(text: Optional[str], color: Optional[str], style: Optional[theme.GradStyle],
               plain_fill: str) -> Look:
    """A box's look for a gradient style (None: uncoloured, filled `plain_fill`): alarming
    kinds get a thick frame and their word, a vanishing gradient a dashed frame."""
    if style is None:
        return Look(text, color, None, plain_fill, "#4a4a4a", 1, False, "")
    alarm = style.kind in ("exploding", "nonfinite")
    return Look(text, color, style, style.fill, style.border, 3 if alarm else 1,
                style.kind == "vanishing", style.tag if alarm else "")


def _style(g: Any, opts: "Resolved") -> theme.GradStyle:
    magnitude, sign = grad_magnitude(g)
    return theme.grad_style(magnitude, sign, opts.vanishing, opts.exploding)


def _plain_fill(is_root: bool, param: bool, leaf: bool) -> str:
    if is_root:
        return theme.OUTPUT_FILL
    if param:
        return theme.PARAM_FILL
    return theme.INPUT_FILL if leaf else theme.PLAIN_FILL


class Writer:
    """Turns one plan into DOT: node labels, clusters, edges and the legend above."""

    def __init__(self, nodes: Sequence[Any], parents: Sequence[tuple], roots: Sequence[int],
                 grads: Sequence[Any], plan: Plan, clusters: List[Cluster],
                 cluster_of: List[int], opts: Resolved, frame: Optional[Frame],
                 param_names: Optional[Dict[int, str]] = None,
                 copies: Optional[Copies] = None) -> None:
        self.nodes, self.parents, self.roots = nodes, parents, set(roots)
        self.copies = copies if copies is not None else Copies()
        self.grads, self.plan, self.clusters, self.cluster_of = grads, plan, clusters, cluster_of
        self.opts, self.frame = opts, frame
        self.param_names = param_names or {}
        self.compact = plan.count + len(self.copies) > COMPACT
        self.kinds: set = set()
        self.params = False
        self.labelled_edges = False
        self.cut_uses: List[str] = []      # copies of the cut-off box that edges go into
        self.junctions: List[str] = []     # where bundled edges between modules meet

    # ---- nodes -----------------------------------------------------------------------------
    def is_param(self, i: int) -> bool:
        return i in self.param_names or is_parameter(self.nodes[i])

    def look(self, i: int, state: str, g: Any) -> Look:
        """Node i's grad text and colours when its gradient is `g` in `state` ('unknown',
        'partial' or 'final'): drawings and the steps page both ask this."""
        opts = self.opts
        text = color = style = None
        if opts.show_grad:
            if state == "unknown":
                text, color, style = "?", theme.MUTED, theme.UNKNOWN
            elif g is None:
                text, color = "None", theme.MUTED
            else:
                style = _style(g, opts) if opts.color else None
                color = theme.MUTED if state == "partial" else None
                text = grad_text(g) + (" so far" if state == "partial" else "")
        param, is_root = self.is_param(i), i in self.roots
        look = style_look(text, color, style, _plain_fill(is_root, param, not self.parents[i]))
        if param:
            look = look._replace(border=theme.PARAM_PEN, width=max(look.width, 2))
        if is_root:
            look = look._replace(width=max(look.width, 2))
        return look

    def _grad_shown(self, i: int) -> tuple:
        """(text or None, text colour or None, style or None) for node i's gradient row."""
        look = self.look(i, self.frame.state[i] if self.frame else "final", self.grads[i])
        return look.text, look.color, look.style

    def title(self, i: int) -> str:
        """A node's name in the drawing: its label or parameter name; an unlabelled node
        gets its number (#5, as backward_steps' captions call it) when it needs a name."""
        title = self.nodes[i].label or self.param_names.get(i, "")
        if not title and (self.frame is not None or i in self.copies.uses):
            title = f"#{i}"
        return title

    def value_node(self, i: int, consumer: Optional[int] = None) -> List[str]:
        """DOT lines of node i (and its op node), or of its copy beside `consumer`."""
        node, opts = self.nodes[i], self.opts
        param = self.is_param(i)
        self.params |= param
        title = self.title(i)
        op = "" if not self.parents[i] else op_symbol(node)
        merged = opts.merge_ops and op
        look = self.look(i, self.frame.state[i] if self.frame else "final", self.grads[i])
        gtext, style = look.text, look.style
        if self.frame is not None and self.frame.texts is not None and gtext is not None:
            gtext = self.frame.texts[i]
        on_path = opts.on_path is not None and opts.on_path[i]
        focus = self.frame is not None and self.frame.focus == i and consumer is None
        uses = self.copies.uses.get(i)
        note = "" if uses is None else (f"copy · used {uses}×" if consumer is not None
                                        else f"used {uses}×")
        data = data_of(node)
        if style is not None:
            self.kinds.add(style.kind)
        fill, border, width = look.fill, look.border, look.width
        if consumer is not None:
            width = max(width, 2)
        if on_path:
            border, width = theme.HIGHLIGHT, 3
        if focus:
            border, width = theme.FOCUS, 4
        name = f"n{i}" if consumer is None else copy_name(i, consumer)
        if self.compact:
            label = self._compact(title, op if merged else "", param, note, data, gtext,
                                  look.tag, style, self.opts.quantity)
            extra = ("rounded,filled,dotted" if consumer is not None else
                     "rounded,filled,dashed" if look.dashed else "rounded,filled")
            out = [f'{name} [shape=box style="{extra}" fillcolor="{fill}" color="{border}" '
                   f"penwidth={width} margin=\"0.05,0.02\" label={label}]"]
        else:
            rows = []
            if title or merged or param or note:
                rows.append(labels.header(title, op if merged else "", param, note))
            if is_array(data):
                rows.append(labels.note_row(f"{shape_text(data)} {html(str(data.dtype))}"))
                rows.append(labels.note_row(values_text(data), theme.TEXT))
                if gtext is not None:
                    rows.append(labels.row(self.opts.quantity, gtext, look.color))
            else:
                rows.extend(labels.value_rows(fmt(data), gtext, look.color, self.opts.quantity))
            if look.tag:
                rows.append(labels.tag_row(look.tag, style.text))
            box = labels.table(rows, fill, border, width, look.dashed, dotted=consumer is not None)
            out = [f"{name} [label={box}]"]
        if op and not merged and consumer is None:
            shape = "circle" if len(op) <= 2 else "ellipse"
            extra = ""
            if focus:
                extra = f' color="{theme.FOCUS}" penwidth=3'
            elif on_path:
                extra = f' color="{theme.HIGHLIGHT}" penwidth=2.5'
            out.append(f"n{i}_op [shape={shape} style=filled fillcolor=\"{theme.OP_FILL}\" "
                       f"label={quoted(op)} fontsize=12 width=0.36 height=0.36 margin=0.02{extra}]")
        return out

    @staticmethod
    def _compact(title: str, op: str, param: bool, note: str, data: Any, gtext: Optional[str],
                 tag: str, style: Optional[theme.GradStyle], quantity: str) -> str:
        """Text lines instead of a table: big drawings lay out ~20% faster this way."""
        lines = []
        head = " ".join(x for x in (html(op, 16), f"<B>{html(title)}</B>" if title else "",
                                    "<I>param</I>" if param else "", html(note)) if x)
        if head:
            lines.append(head)
        if is_array(data):
            lines.append(f"{shape_text(data)} {html(str(data.dtype))}")
            lines.append(values_text(data))
        else:
            lines.append("data " + fmt(data))
        if gtext is not None:
            lines.append(f"{quantity} {gtext}")
        if tag:
            lines.append(f"<B>{html(tag)}</B>")
        body = '<BR ALIGN="LEFT"/>'.join(lines) + '<BR ALIGN="LEFT"/>'
        if style is not None and style.text != theme.TEXT:
            body = f'<FONT COLOR="{style.text}">{body}</FONT>'
        return f"<{body}>"

    def group_outputs(self) -> Dict[int, List[int]]:
        """Folded item -> its members used outside it (or that are outputs), in one pass."""
        item_of = self.plan.item_of
        n = len(self.nodes)
        found: Dict[int, set] = {}
        for r in self.roots:
            if item_of[r] >= n:
                found.setdefault(item_of[r], set()).add(r)
        for i, ps in enumerate(self.parents):
            a = item_of[i]
            for p in ps:
                b = item_of[p]
                if b >= n and b != a:
                    found.setdefault(b, set()).add(p)
        return {a: sorted(v) for a, v in found.items()}

    def summary_node(self, item: int, members: List[int], outputs: List[int]) -> str:
        n = len(self.nodes)
        c = item - n
        cl = self.clusters[c]
        params = sum(1 for i in members if self.is_param(i))
        self.params |= params > 0
        count = f"{len(members):,} nodes folded" + (f" · {params:,} parameters" if params else "")
        rows = [f'<TR><TD COLSPAN="2"><B>{html(cl.label, 60)}</B></TD></TR>',
                labels.note_row(count, theme.TEXT)]
        style = None
        if len(outputs) == 1:
            o = outputs[0]
            gtext, gcolor, style = self._grad_shown(o)
            data = data_of(self.nodes[o])
            shown = values_text(data) if is_array(data) else fmt(data)
            rows.extend(labels.value_rows(shown, gtext, gcolor))
        else:
            rows.append(labels.note_row(f"{len(outputs):,} outputs", theme.TEXT))
            if self.opts.show_grad:
                known = [self.grads[o] for o in outputs
                         if self.grads[o] is not None
                         and (self.frame is None or self.frame.state[o] != "unknown")]
                if known:
                    row, style = self._grad_range(known)
                    rows.append(labels.note_row(row, theme.TEXT))
        if style is not None:
            self.kinds.add(style.kind)
            fill, border = style.fill, style.border
            if style.tag and style.kind != "vanishing":
                rows.append(labels.tag_row(style.tag, theme.TEXT))
        else:
            fill, border = theme.SUMMARY_FILL, "#4a4a4a"
        width = 2
        if self.opts.on_path is not None and any(self.opts.on_path[i] for i in members):
            border, width = theme.HIGHLIGHT, 3
        dashed = style is not None and style.kind == "vanishing"
        return f"m{c} [label={labels.table(rows, fill, border, width, dashed)}]"

    def _grad_range(self, grads: List[Any]) -> tuple:
        """(text, style) for the gradients of a folded module's outputs: a signed range
        when they share a sign, else the |grad| range coloured as mixed signs (never red
        or blue for numbers shown without their sign); the colour step is the largest's."""
        mags, signs = zip(*(grad_magnitude(g) for g in grads))
        kinds = set(signs)
        kind = kinds.pop() if len(kinds) == 1 else "mixed"
        big = max(mags, key=lambda m: math.inf if m != m else m)
        if kind == "mixed":
            text = f"|{self.opts.quantity}| {fmt(min(mags))} … {fmt(big)}"
        else:
            sign = -1.0 if kind == "negative" else 1.0
            ends = sorted((sign * min(mags), sign * big))
            text = f"{self.opts.quantity} {fmt(ends[0])} … {fmt(ends[1])}"
        if not self.opts.color:
            return text, None
        return text, theme.grad_style(big, kind, self.opts.vanishing, self.opts.exploding)

    # ---- edges -----------------------------------------------------------------------------
    def edges(self) -> List[str]:
        n = len(self.nodes)
        item_of = self.plan.item_of
        opts = self.opts
        on_path = opts.on_path
        focus = self.frame.focus if self.frame else -1
        out: List[str] = []
        between: Dict[str, Dict[str, str]] = {}     # folded module -> its sources
        seen = set()
        dim = f' color="{theme.EDGE_DIM}"' if on_path is not None else ""
        hot = f' color="{theme.HIGHLIGHT}" penwidth=2.5'
        for i, ps in enumerate(self.parents):
            if not ps:
                continue
            a = item_of[i]
            single = 0 <= a < n
            node = self.nodes[i]
            dst = (f"n{i}_op" if not opts.merge_ops else f"n{i}") if single else self._name(a)
            if single and not opts.merge_ops:
                attrs = hot if on_path is not None and on_path[i] else dim
                if i == focus:
                    attrs = f' color="{theme.FOCUS}" penwidth=3'
                out.append(f"n{i}_op -> n{i}" + (f" [{attrs.strip()}]" if attrs else ""))
            derivs = None
            if single and opts.edge_labels and not is_array(data_of(node)):
                derivs = local_derivatives_of(node)
            for k, p in enumerate(ps):
                b = item_of[p]
                if b == a and not single:
                    continue          # inside a folded module
                src = (self.copies.edge_from(b, i) if single and (b == p or b < 0)
                       else self._name(b))
                if a < 0:
                    # Into the cut-off part: a copy of its placeholder right beside the
                    # source, so these edges never pull it (and its edges) across the drawing.
                    dst = f"more_{src}"
                    if dst not in self.cut_uses:
                        self.cut_uses.append(dst)
                if not (single and 0 <= b < n):
                    if (src, dst) in seen:
                        continue
                    seen.add((src, dst))
                attrs = []
                if derivs is not None and 0 <= b < n:
                    attrs.append(f"label={quoted('∂ ' + short(derivs[k]))}")
                    self.labelled_edges = True
                if i == focus:
                    attrs.append(f'color="{theme.FOCUS}" fontcolor="{theme.FOCUS}" penwidth=3')
                elif on_path is not None:
                    attrs.append(hot.strip() if on_path[i] and on_path[p] else dim.strip())
                if a >= n:
                    between.setdefault(dst, {})[src] = " ".join(attrs)
                else:
                    out.append(f"{src} -> {dst}" + (f" [{' '.join(attrs)}]" if attrs else ""))
        return out + self._bundled(between)

    def _bundled(self, between: Dict[str, Dict[str, str]]) -> List[str]:
        """Edges into folded modules. Boxes that all read the same several sources (the
        neurons of one layer reading all of the previous layer's) get those edges through
        one junction dot: |S| + |D| edges instead of |S| × |D|, exactly the same meaning."""
        groups: Dict[tuple, List[str]] = {}
        for dst, sources in between.items():
            groups.setdefault(tuple(sources), []).append(dst)
        out: List[str] = []
        for sources, dsts in groups.items():
            s, d = len(sources), len(dsts)
            if s < 2 or d < 2 or s * d < 2 * (s + d):
                out.extend(f"{src} -> {dst}" + (f" [{between[dst][src]}]"
                                                 if between[dst][src] else "")
                           for dst in dsts for src in sources)
                continue
            junction = f"j{len(self.junctions)}"
            self.junctions.append(junction)
            out.extend(f"{src} -> {junction} [arrowhead=none"
                       + (f" {between[dsts[0]][src]}]" if between[dsts[0]][src] else "]")
                       for src in sources)
            out.extend(f"{junction} -> {dst}" + (f" [{between[dst][sources[0]]}]"
                                                 if between[dst][sources[0]] else "")
                       for dst in dsts)
        return out

    def _name(self, item: int) -> str:
        n = len(self.nodes)
        if item < 0:
            return "more"
        return f"n{item}" if item < n else f"m{item - n}"

    # ---- the whole document ----------------------------------------------------------------
    def document(self) -> str:
        n = len(self.nodes)
        plan, clusters = self.plan, self.clusters
        open_ = set(plan.open)
        buckets: Dict[int, List[str]] = {}
        for i, a in enumerate(plan.item_of):
            if a == i:
                c = self.cluster_of[i]
                buckets.setdefault(c if c in open_ else -1, []).extend(self.value_node(i))
        for p, users in self.copies.copies_of.items():
            if p < 0:
                continue              # copies of the cut-off placeholder: below
            for i in users:
                # Beside its consumer; inside a module box only if the node belongs there too.
                c = self.cluster_of[p] if self.cluster_of[p] == self.cluster_of[i] else -1
                buckets.setdefault(c if c in open_ else -1, []).extend(self.value_node(p, i))
        outputs = self.group_outputs() if plan.members else {}
        for a in sorted(plan.members):
            parent = clusters[a - n].parent
            buckets.setdefault(parent if parent in open_ else -1, []).append(
                self.summary_node(a, plan.members[a], outputs.get(a, [])))
        edges = self.edges()
        buckets.setdefault(-1, []).extend(
            f'{j} [shape=point width=0.08 color="{theme.EDGE}"]' for j in self.junctions)
        if plan.dropped:
            # The placeholder, and a dotted copy of it beside each far node it feeds and
            # each node that feeds it.
            names = (["more"] + [copy_name(-1, i) for i in self.copies.copies_of.get(-1, ())]
                     + self.cut_uses)
            for k, name in enumerate(names):
                buckets.setdefault(-1, []).append(
                    f'{name} [shape=note style="filled{",dotted" if k else ""}" '
                    f'fillcolor="#f3f3f3" color="#9e9e9e" fontcolor="{theme.MUTED}" '
                    f'label="… {plan.dropped:,} more nodes\\n(not drawn)"]')

        body = ["  " + line for line in buckets.get(-1, [])]
        children: Dict[int, List[int]] = {c: [] for c in plan.open}
        top = []
        for c in plan.open:
            parent = clusters[c].parent
            (children[parent] if parent >= 0 else top).append(c)
        # Clusters nest a few levels deep at most; an explicit stack keeps the no-recursion rule.
        stack = [(c, False, 1) for c in reversed(top)]
        while stack:
            c, closing, depth = stack.pop()
            pad = "  " * depth
            if closing:
                body.append(pad + "}")
                continue
            body.append(f"{pad}subgraph cluster_{c} {{")
            body.append(f'{pad}  graph [label=<<B>{html(clusters[c].label, 60)}</B>> '
                        f'style="rounded,filled" fillcolor="{theme.CLUSTER_FILL}" '
                        f'color="{theme.CLUSTER_PEN}" fontsize=10 labeljust=l]')
            body.extend(pad + "  " + line for line in buckets.get(c, []))
            stack.append((c, True, depth))
            stack.extend((ch, False, depth + 1) for ch in reversed(children[c]))
        body.extend("  " + e for e in edges)

        opts = self.opts
        # Folded layers are joined all-to-all; bundling those edges keeps the layout compact.
        dense = len(edges) > 2 * plan.count and not self.labelled_edges
        head = [
            "digraph glassgrad {",
            f'  graph [rankdir={opts.rankdir} bgcolor="white" fontname="{theme.FONT}" '
            f'fontsize=11 nodesep=0.22 ranksep=0.32 pad=0.2 labelloc=t labeljust=l newrank=true'
            + (" concentrate=true" if dense else "") + self._graph_label() + "]",
            f'  node [shape=plain fontname="{theme.FONT}" fontsize=11 fontcolor="{theme.TEXT}"]',
            f'  edge [fontname="{theme.FONT}" fontsize=9 color="{theme.EDGE}" '
            f'fontcolor="#3c4043" arrowsize=0.7]',
        ]
        return "\n".join(head + body + ["}"]) + "\n"

    def _notes(self) -> List[str]:
        """Small lines under the key that explain what else the drawing shows."""
        notes = []
        if self.labelled_edges:
            q = self.opts.quantity
            rule = (f";  {q} = Σ (edge label × {q} of the input it comes from)"
                    if q == labels.TANGENT
                    else f";  {q} = Σ (edge label × {q} of the node it feeds)")
            notes.append("edge label = local derivative ∂out/∂in" + (
                rule if self.opts.show_grad else ""))
        if any(p >= 0 for p in self.copies.uses):
            notes.append(f'<FONT COLOR="{theme.COPY_NOTE}">copy · used k×</FONT>: a node used '
                         "by k ops is drawn again (dotted) beside its far uses; it is one "
                         "node, and every copy shows its total grad")
        if self.frame is not None and self.frame.stepping:
            notes.append(f'<FONT COLOR="{theme.FOCUS}"><B>green</B></FONT>: the node being '
                         "processed;  so far: still waiting for contributions")
        notes.extend(html(note, 400) for note in self.opts.notes)
        return notes

    def _graph_label(self) -> str:
        """Title, captions, notes and the colour key, as one table above the drawing."""
        opts = self.opts
        span = _FILLERS + 1
        texts: List[str] = []      # rows of text
        if opts.title:
            texts.append(f'<FONT POINT-SIZE="15"><B>{html(opts.title, 120)}</B></FONT>')
        if self.frame is not None:
            texts.extend(_wrapped(line, theme.TEXT) for line in self.frame.caption)
        if self.plan.note:
            texts.append(_wrapped(self.plan.note, "#a04000"))
        if opts.on_path is not None:
            texts.append(f'<FONT COLOR="{theme.HIGHLIGHT}"><B>orange</B></FONT>: every path '
                         f"from {html(opts.highlight_name)} to the output")
        rows = [f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" COLSPAN="{span}">{t}</TD></TR>'
                for t in texts]
        kinds = self.kinds | (self.frame.kinds if self.frame is not None else set())
        if opts.color and opts.show_grad and kinds:
            key = labels.legend(opts.vanishing, opts.exploding, sorted(kinds), self.params,
                                opts.quantity)
            # graphviz stretches a nested table to its cell; empty filler cells take most
            # of the extra width when a caption above is wider than the key.
            rows.append('<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" '
                        'CELLPADDING="0">' + "".join(key) + "</TABLE></TD>"
                        + "<TD></TD>" * _FILLERS + "</TR>")
        rows.extend(f'<TR><TD ALIGN="LEFT" COLSPAN="{span}"><FONT POINT-SIZE="9" '
                    f'COLOR="{theme.MUTED}">{note}</FONT></TD></TR>' for note in self._notes())
        if not rows:
            return ""
        return (' label=<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1">'
                + "".join(rows) + "</TABLE>>")


_FILLERS = 12
_WRAP = 110


def _wrapped(text: str, color: str) -> str:
    """Escaped text broken into left-aligned lines of at most ~110 characters."""
    lines: List[str] = []
    for word in str(text).split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= _WRAP:
            lines[-1] += " " + word
        else:
            lines.append(word)
    body = '<BR ALIGN="LEFT"/>'.join(html(line, 400) for line in lines)
    return f'<FONT COLOR="{color}">{body}</FONT><BR ALIGN="LEFT"/>'
