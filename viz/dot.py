"""Write the DOT text of a drawing from a `Plan` (what is drawn) and resolved options.

Node ids come from the topological order (`n0`, `n1`, ..., `n7_op` for an op node,
`m3` for a folded module, `more` for the cut-off remainder), never from `id()`, so the
same graph always gives byte-identical DOT.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Dict, List, Optional, Sequence

from autograd.scalar_rules import RULES, local_derivatives

from . import labels, theme
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
    rule = (_tensor_rules() if is_array(node.raw_data) else RULES).get(op)
    return getattr(rule, "symbol", "") or op


COMPACT = 400      # drawings with more items use text labels instead of tables


class Frame:
    """Gradients part-way through a backward pass (see `viz.steps`)."""

    __slots__ = ("state", "focus", "caption")

    def __init__(self, state: List[str], focus: int, caption: List[str]) -> None:
        self.state = state        # per node: 'unknown' | 'partial' | 'final'
        self.focus = focus        # node being processed
        self.caption = caption    # lines shown under the title


class Resolved:
    """Options after validation and after the size-dependent defaults are decided."""

    __slots__ = ("rankdir", "show_grad", "edge_labels", "merge_ops", "color", "vanishing",
                 "exploding", "on_path", "highlight_name", "title", "max_nodes")

    def __init__(self, **kw: Any) -> None:
        for k, v in kw.items():
            setattr(self, k, v)


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
                 param_names: Optional[Dict[int, str]] = None) -> None:
        self.nodes, self.parents, self.roots = nodes, parents, set(roots)
        self.grads, self.plan, self.clusters, self.cluster_of = grads, plan, clusters, cluster_of
        self.opts, self.frame = opts, frame
        self.param_names = param_names or {}
        self.compact = plan.count > COMPACT
        self.kinds: set = set()
        self.params = False
        self.labelled_edges = False

    # ---- nodes -----------------------------------------------------------------------------
    def _grad_shown(self, i: int) -> tuple:
        """(text or None, text colour or None, style) for node i's gradient row."""
        opts = self.opts
        if not opts.show_grad:
            return None, None, None
        state = self.frame.state[i] if self.frame else "final"
        g = self.grads[i]
        if state == "unknown":
            return "?", theme.MUTED, None
        if g is None:
            return "None", theme.MUTED, None
        style = _style(g, opts) if opts.color else None
        color = theme.MUTED if state == "partial" else None
        text = grad_text(g) + (" so far" if state == "partial" else "")
        return text, color, style

    def value_node(self, i: int) -> List[str]:
        node, opts = self.nodes[i], self.opts
        leaf = not self.parents[i]
        param = i in self.param_names or is_parameter(node)
        self.params |= param
        title = node.label or self.param_names.get(i, "")
        if not title and self.frame is not None:
            title = f"#{i}"        # backward_steps captions name unlabelled nodes this way
        is_root = i in self.roots
        op = "" if leaf else op_symbol(node)
        merged = opts.merge_ops and op
        gtext, gcolor, style = self._grad_shown(i)
        on_path = opts.on_path is not None and opts.on_path[i]
        focus = self.frame is not None and self.frame.focus == i
        data = node.raw_data
        if style is not None:
            self.kinds.add(style.kind)
            fill, border, width = style.fill, style.border, 1
            if style.kind in ("exploding", "nonfinite"):
                width = 3
        else:
            fill, border, width = _plain_fill(is_root, param, leaf), "#4a4a4a", 1
        if param:
            border, width = theme.PARAM_PEN, max(width, 2)
        if is_root:
            width = max(width, 2)
        if on_path:
            border, width = theme.HIGHLIGHT, 3
        if focus:
            border, width = theme.FOCUS, 4
        dashed = style is not None and style.kind == "vanishing"
        tag = style.tag if style is not None and style.kind in ("exploding", "nonfinite") else ""
        if self.compact:
            label = self._compact(title, op if merged else "", param, data, gtext, tag, style)
            extra = "rounded,filled,dashed" if dashed else "rounded,filled"
            out = [f'n{i} [shape=box style="{extra}" fillcolor="{fill}" color="{border}" '
                   f"penwidth={width} margin=\"0.05,0.02\" label={label}]"]
        else:
            rows = []
            if title or merged or param:
                rows.append(labels.header(title, op if merged else "", param))
            if is_array(data):
                rows.append(labels.note_row(f"{shape_text(data)} {html(str(data.dtype))}"))
                rows.append(labels.note_row(values_text(data), theme.TEXT))
                if gtext is not None:
                    rows.append(labels.row("grad", gtext, gcolor))
            else:
                rows.extend(labels.value_rows(fmt(data), gtext, gcolor))
            if tag:
                rows.append(labels.tag_row(tag, style.text))
            out = [f"n{i} [label={labels.table(rows, fill, border, width, dashed)}]"]
        if op and not merged:
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
    def _compact(title: str, op: str, param: bool, data: Any, gtext: Optional[str], tag: str,
                 style: Optional[theme.GradStyle]) -> str:
        """Text lines instead of a table: big drawings lay out ~20% faster this way."""
        lines = []
        head = " ".join(x for x in (html(op, 16), f"<B>{html(title)}</B>" if title else "",
                                    "<I>param</I>" if param else "") if x)
        if head:
            lines.append(head)
        if is_array(data):
            lines.append(f"{shape_text(data)} {html(str(data.dtype))}")
            lines.append(values_text(data))
        else:
            lines.append("data " + fmt(data))
        if gtext is not None:
            lines.append("grad " + gtext)
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
        params = sum(1 for i in members
                     if i in self.param_names or is_parameter(self.nodes[i]))
        self.params |= params > 0
        count = f"{len(members):,} nodes folded" + (f" · {params:,} parameters" if params else "")
        rows = [f'<TR><TD COLSPAN="2"><B>{html(cl.label, 60)}</B></TD></TR>',
                labels.note_row(count, theme.TEXT)]
        style = None
        if len(outputs) == 1:
            o = outputs[0]
            gtext, gcolor, style = self._grad_shown(o)
            data = self.nodes[o].raw_data
            shown = values_text(data) if is_array(data) else fmt(data)
            rows.extend(labels.value_rows(shown, gtext, gcolor))
        else:
            rows.append(labels.note_row(f"{len(outputs):,} outputs", theme.TEXT))
            if self.opts.show_grad:
                known = [self.grads[o] for o in outputs
                         if self.grads[o] is not None
                         and (self.frame is None or self.frame.state[o] != "unknown")]
                if known:
                    mags = [grad_magnitude(g)[0] for g in known]
                    rows.append(labels.note_row(
                        f"|grad| {fmt(min(mags))} … {fmt(max(mags))}", theme.TEXT))
                    if self.opts.color:
                        worst = max(range(len(known)),
                                    key=lambda k: math.inf if mags[k] != mags[k] else mags[k])
                        style = _style(known[worst], self.opts)
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

    # ---- edges -----------------------------------------------------------------------------
    def edges(self) -> List[str]:
        n = len(self.nodes)
        item_of = self.plan.item_of
        opts = self.opts
        on_path = opts.on_path
        focus = self.frame.focus if self.frame else -1
        out: List[str] = []
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
            if single and opts.edge_labels and not is_array(node.raw_data):
                try:
                    derivs = local_derivatives(node)
                except (KeyError, AttributeError, TypeError, ValueError, ArithmeticError):
                    derivs = None       # an op without a scalar rule: no edge labels
            for k, p in enumerate(ps):
                b = item_of[p]
                if b == a and not single:
                    continue          # inside a folded module
                src = self._name(b)
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
                out.append(f"{src} -> {dst}" + (f" [{' '.join(attrs)}]" if attrs else ""))
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
        outputs = self.group_outputs() if plan.members else {}
        for a in sorted(plan.members):
            parent = clusters[a - n].parent
            buckets.setdefault(parent if parent in open_ else -1, []).append(
                self.summary_node(a, plan.members[a], outputs.get(a, [])))
        if plan.dropped:
            buckets.setdefault(-1, []).append(
                f'more [shape=note style=filled fillcolor="#f3f3f3" color="#9e9e9e" '
                f'fontcolor="{theme.MUTED}" label="… {plan.dropped:,} more nodes\\n(not drawn)"]')
        edges = self.edges()

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

    def _graph_label(self) -> str:
        """Title, captions, notes and the colour key, as one table above the drawing."""
        opts = self.opts
        span = _FILLERS + 1
        texts: List[str] = []      # rows of text
        if opts.title:
            texts.append(f'<FONT POINT-SIZE="15"><B>{html(opts.title, 120)}</B></FONT>')
        if self.frame is not None:
            texts.extend(_wrapped(line, theme.TEXT) for line in self.frame.caption)
            texts.append(f'<FONT POINT-SIZE="9" COLOR="{theme.MUTED}"><FONT COLOR="{theme.FOCUS}">'
                         "<B>green</B></FONT>: the node being processed;  grad ?: not reached "
                         "yet;  so far: still waiting for contributions</FONT>")
        if self.plan.note:
            texts.append(_wrapped(self.plan.note, "#a04000"))
        if opts.on_path is not None:
            texts.append(f'<FONT COLOR="{theme.HIGHLIGHT}"><B>orange</B></FONT>: every path '
                         f"from {html(opts.highlight_name)} to the output")
        rows = [f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" COLSPAN="{span}">{t}</TD></TR>'
                for t in texts]
        if opts.color and opts.show_grad and self.kinds:
            kinds = {"positive", "negative"} | self.kinds
            key = labels.legend(opts.vanishing, opts.exploding, sorted(kinds),
                                self.labelled_edges, self.params)
            # graphviz stretches a nested table to its cell; empty filler cells take most
            # of the extra width when a caption above is wider than the key.
            rows.append('<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" '
                        'CELLPADDING="0">' + "".join(key) + "</TABLE></TD>"
                        + "<TD></TD>" * _FILLERS + "</TR>")
        elif self.labelled_edges:
            rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="{span}"><FONT POINT-SIZE="9" '
                        f'COLOR="{theme.MUTED}">edge label = local derivative ∂out/∂in'
                        "</FONT></TD></TR>")
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
