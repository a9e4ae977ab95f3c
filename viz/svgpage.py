"""One graphviz SVG made ready for a page's script: every node addressable, bytes trimmed.

A page that lays its graph out once (the backward-steps page, the explorer, the film)
changes colours and numbers in place. `annotate` marks what a script needs and drops what it
does not, so the page stays small:

- a value node becomes `<g class="node gg-node" data-node-id="5" data-label="x">` (its
  index in topological order; a dotted copy of a shared node adds `data-copy`), its box a
  `<rect class="gg-box gg-pen">` (fill and frame), its gradient text `class="gg-grad"` and
  its value `class="gg-value"` (`data-prefix` when the text starts with "grad " or
  "data "), an alarm word `class="gg-tag"`;
- an op node is `<g class="node gg-op" data-op-of="5">` with `class="gg-opshape"` on its shape;
- an edge is `<g class="edge" data-from="3" data-to="5">`, its label (the local
  derivative) `class="gg-elabel"`;
- graphviz's ids, comments, and attributes equal to the page's defaults are removed (ids
  would repeat when several drawings share a notebook page).

>>> svg = ('<svg><g id="graph0" class="graph"><g id="node1" class="node"><title>n0</title>'
...        '<path fill="#eee" stroke="transparent" d="M1,2C1,2 9,2 9,2 9,7 1,7 1,7"/>'
...        '<text text-anchor="start" x="1" y="5" fill="#1f1f1f">grad</text>'
...        '<text text-anchor="start" x="5" y="5" fill="#1f1f1f">0.5</text>'
...        '<path fill="none" stroke="#4a4a4a" d="M1,2C1,2 9,2 9,2 9,7 1,7 1,7"/>'
...        '</g></g></svg>')
>>> print(annotate(svg, ["x"]))  # doctest: +NORMALIZE_WHITESPACE
<svg><g class="graph" fill="#1f1f1f"><g class="node gg-node" data-node-id="0"
data-label="x"><rect class="gg-box gg-pen" x="1" y="2" width="8" height="5" rx="5"
fill="#eee" stroke="#4a4a4a"/><text x="1" y="5">grad</text><text x="5" y="5"
class="gg-grad">0.5</text></g></g></svg>
"""
from __future__ import annotations

import html
import re
from typing import Optional, Sequence, Tuple

TEXT = "#1f1f1f"          # the drawings' default text colour (theme.TEXT)
ALARMS = ("exploding", "NaN", "inf")

_GROUP = re.compile(r'<g id="[^"]*" class="(node|edge)">\s*<title>([^<]*)</title>(.*?)</g>',
                    re.S)
_SHAPE = re.compile(r"<(path|polygon|ellipse)\b[^>]*>")
_TEXT = re.compile(r"<text\b([^>]*)>([^<]*)</text>")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_STROKE = ("stroke", "stroke-width", "stroke-dasharray")
# A box's number rows: its gradient (or its tangent ẋ, drawn in the same place) and value.
_ROLE = {"grad": "grad", "ẋ": "grad", "data": "value"}


def inline(svg: str) -> str:
    """An SVG document as an element to put in HTML (no XML prolog, no DOCTYPE)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def node_ref(name: str) -> Tuple[Optional[int], str]:
    """(node index, role) of a DOT node name: n5 -> (5, 'node'), n5_op -> (5, 'op'),
    n5_c9 -> (5, 'copy'); anything else (module boxes, 'more', junctions) -> (None, '')."""
    m = re.fullmatch(r"n(\d+)(?:_(op|c\d+))?", name)
    if m is None:
        return None, ""
    role = m.group(2) or "node"
    return int(m.group(1)), ("copy" if role.startswith("c") else role)


def _attr(tag: str, name: str) -> Optional[str]:
    m = re.search(rf'\s{name}="([^"]*)"', tag)
    return m.group(1) if m else None


def _with_class(tag: str, attrs: str) -> str:
    end = -2 if tag.endswith("/>") else -1
    return tag[:end] + " " + attrs + tag[end:]


def _box(fill_tag: str, pen_tag: Optional[str]) -> str:
    """A node's rounded box (graphviz draws fill and frame as two equal paths) as one
    `<rect>`: the bounding box of a rounded rectangle's points is the rectangle."""
    if not fill_tag.startswith("<path"):
        return _with_class(fill_tag, 'class="gg-box gg-pen"')
    numbers = [float(v) for v in _NUMBER.findall(_attr(fill_tag, "d") or "")]
    xs, ys = numbers[0::2], numbers[1::2]
    attrs = [f'fill="{_attr(fill_tag, "fill")}"']
    source = pen_tag if pen_tag is not None else fill_tag
    for name in _STROKE:
        value = _attr(source, name)
        if value is not None and value not in ("transparent", "none"):
            attrs.append(f'{name}="{value}"')

    def num(v: float) -> str:
        return f"{v:.2f}".rstrip("0").rstrip(".")

    return (f'<rect class="gg-box gg-pen" x="{num(min(xs))}" y="{num(min(ys))}" '
            f'width="{num(max(xs) - min(xs))}" height="{num(max(ys) - min(ys))}" rx="5" '
            + " ".join(attrs) + "/>")


def _node(i: int, role: str, body: str, label: str) -> str:
    shapes = list(_SHAPE.finditer(body))
    fill = next((s for s in shapes if _attr(s.group(0), "fill") not in (None, "none")), None)
    pen = next((s for s in shapes if _attr(s.group(0), "fill") == "none"
                and _attr(s.group(0), "stroke") not in (None, "none", "transparent")), None)
    if fill is not None:
        same = pen is not None and _attr(pen.group(0), "d") == _attr(fill.group(0), "d")
        box = _box(fill.group(0), pen.group(0) if same else None)
        cut = [(fill.start(), fill.end(), box)]
        if same:
            cut.append((pen.start(), pen.end(), ""))
        elif pen is not None:
            cut.append((pen.start(), pen.end(), _with_class(pen.group(0), 'class="gg-pen"')))
        for start, end, new in sorted(cut, reverse=True):
            body = body[:start] + new + body[end:]
    texts = list(_TEXT.finditer(body))
    marks = {}
    for j, t in enumerate(texts):
        content = html.unescape(t.group(2)).strip()
        word, _, rest = content.partition(" ")
        if content in _ROLE and j + 1 < len(texts):
            marks[j + 1] = f'class="gg-{_ROLE[content]}"'
        elif word in _ROLE and rest and j not in marks:
            marks[j] = f'class="gg-{_ROLE[word]}" data-prefix="{word} "'
        elif content in ALARMS and j not in marks:
            marks[j] = 'class="gg-tag"'
    for j in sorted(marks, reverse=True):
        t = texts[j]
        body = body[:t.start()] + f"<text{t.group(1)} {marks[j]}>{t.group(2)}</text>" + body[t.end():]
    copy = ' data-copy="1"' if role == "copy" else ""
    return (f'<g class="node gg-node" data-node-id="{i}" '
            f'data-label="{html.escape(label, quote=True)}"{copy}>{body}</g>')


def annotate(svg: str, labels: Sequence[str]) -> str:
    """`svg` (graphviz's, from a glassgrad drawing) marked for a page's script and trimmed;
    `labels[i]` is node i's name (its label, or '#i')."""

    def group(m: "re.Match[str]") -> str:
        kind, title, body = m.group(1), html.unescape(m.group(2)), m.group(3)
        if kind == "edge":
            src, _, dst = title.partition("->")
            to, _ = node_ref(dst.strip())
            frm, _ = node_ref(src.strip())
            attrs = "" if to is None or frm is None else f' data-from="{frm}" data-to="{to}"'
            body = _TEXT.sub(lambda t: f'<text{t.group(1)} class="gg-elabel">{t.group(2)}</text>',
                             body)
            return f'<g class="edge"{attrs}>{body}</g>'
        i, role = node_ref(title)
        if i is None:
            return f'<g class="node">{body}</g>'
        if role == "op":
            body = _SHAPE.sub(lambda s: _with_class(s.group(0), 'class="gg-opshape"'), body,
                              count=1)
            return f'<g class="node gg-op" data-op-of="{i}">{body}</g>'
        return _node(i, role, body, labels[i])

    svg = _GROUP.sub(group, inline(svg))
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r'<g id="graph0" class="graph"', f'<g class="graph" fill="{TEXT}"', svg)
    svg = re.sub(r'<g id="clust\d+" class="cluster">', '<g class="cluster">', svg)
    # Equal to the page's defaults (its style sheet sets the font): most of the bytes.
    for attr in (' font-family="Helvetica,sans-Serif"', ' font-size="11.00"',
                 ' xml:space="preserve"', ' text-anchor="start"'):
        svg = svg.replace(attr, "")
    return re.sub(r'(<text[^>]*?) fill="' + TEXT + '"', r"\1", svg)

