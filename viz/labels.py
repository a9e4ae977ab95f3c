"""HTML-like graphviz labels: value nodes, tensor nodes, module summaries and the legend.

Every label is a small table. A scalar node reads like micrograd's record (name, data,
grad); a tensor node shows shape, dtype, a value summary and the gradient's norm; a
parameter has a gold header band. The fill comes from `theme.grad_style`.

>>> print(value_rows("2.0000", "-1.5000")[0])
<TR><TD ALIGN="LEFT">data</TD><TD ALIGN="RIGHT">2.0000</TD></TR>
"""
from __future__ import annotations

from typing import List, Optional, Sequence

from . import theme
from .text import html

GRAD = "grad"      # a node's gradient row (reverse mode) ...
TANGENT = "ẋ"      # ... and its tangent row in a forward-mode drawing

_CELL = '<TD ALIGN="LEFT">{}</TD><TD ALIGN="RIGHT">{}</TD>'


def row(name: str, value: str, color: Optional[str] = None) -> str:
    if color:
        name = f'<FONT COLOR="{color}">{name}</FONT>'
        value = f'<FONT COLOR="{color}">{value}</FONT>'
    return "<TR>" + _CELL.format(name, value) + "</TR>"


def value_rows(data: str, grad: Optional[str], grad_color: Optional[str] = None,
               name: str = GRAD) -> List[str]:
    rows = [row("data", data)]
    if grad is not None:
        rows.append(row(name, grad, grad_color))
    return rows


def header(title: str, op: str, param: bool, note: str = "") -> str:
    """The top band: the node's name, its op when ops are merged into nodes, and a note
    ("copy · used 9×") for a shared node drawn more than once."""
    parts = []
    if op:
        parts.append(f'<FONT COLOR="{theme.MUTED}">{html(op, 16)}</FONT>')
    if title:
        parts.append(f"<B>{html(title)}</B>")
    if param:
        parts.append("<I>param</I>")
    if note:
        parts.append(f'<FONT POINT-SIZE="9" COLOR="{theme.COPY_NOTE}">{html(note)}</FONT>')
    bg = f' BGCOLOR="{theme.PARAM_HEADER}"' if param else ""
    return f'<TR><TD COLSPAN="2"{bg}>{" ".join(parts)}</TD></TR>'


def tag_row(text: str, color: str) -> str:
    return f'<TR><TD COLSPAN="2"><FONT COLOR="{color}"><B>{html(text)}</B></FONT></TD></TR>'


def table(rows: Sequence[str], fill: str, border: str, width: int, dashed: bool = False,
          dotted: bool = False) -> str:
    """A node's box; `dashed` marks a vanishing gradient, `dotted` a copy of a shared node."""
    style = "rounded,dotted" if dotted else "rounded,dashed" if dashed else "rounded"
    return (f'<<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
            f'STYLE="{style}" BGCOLOR="{fill}" COLOR="{border}">' + "".join(rows) + "</TABLE>>")


def note_row(text: str, color: str = theme.MUTED, span: int = 2) -> str:
    return f'<TR><TD COLSPAN="{span}" ALIGN="LEFT"><FONT COLOR="{color}">{text}</FONT></TD></TR>'


# ---- legend -------------------------------------------------------------------------------

SWATCH_WIDTH = 34
_KEY_FILLERS = 10


def _swatch(fill: str, border: str = "#9e9e9e") -> str:
    return (f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1" WIDTH="{SWATCH_WIDTH}" '
            f'HEIGHT="12" FIXEDSIZE="TRUE"></TD>')


def _small(text: str, color: str = theme.TEXT) -> str:
    return f'<FONT POINT-SIZE="9" COLOR="{color}">{text}</FONT>'


def legend(vanishing: float, exploding: float, kinds: Sequence[str], params: bool,
           name: str = GRAD) -> List[str]:
    """Rows of the gradient-colour key, for the `kinds` of style the drawing uses only: the
    log scale (one colour step per decade) for each sign used, then the other kinds.
    `name` is what the colours measure (`TANGENT` in a forward-mode drawing)."""
    ticks = theme.legend_ticks(vanishing, exploding)
    steps = len(ticks)
    span = steps + 2
    names = {"positive": f"{name} &gt; 0", "negative": f"{name} &lt; 0", "mixed": "mixed signs"}
    out = []
    signs = [kind for kind in ("positive", "negative", "mixed") if kind in kinds]
    if signs:
        title = _small(f"<B>node colour = |{name}|, log scale</B>")
        rows = [f'<TR><TD ALIGN="LEFT" COLSPAN="{span}">{title}</TD></TR>']
        for kind in signs:
            cells = "".join(_swatch(theme.step_color(kind, k, steps)) for k in range(steps))
            rows.append(f'<TR><TD ALIGN="RIGHT">{_small(names[kind])}</TD>{cells}<TD></TD></TR>')
        marks = "".join(f'<TD ALIGN="LEFT" WIDTH="{SWATCH_WIDTH}" HEIGHT="12" FIXEDSIZE="TRUE">'
                        f'{_small(t)}</TD>' for t in ticks)
        rows.append(f"<TR><TD></TD>{marks}<TD></TD></TR>")
        out.append(_nested(rows))
    styles = {"zero": (theme.ZERO_STYLE, f"{name} = 0 exactly"),
              "vanishing": (theme.VANISHING_STYLE,
                            f"vanishing 0 &lt; |{name}| &lt; {theme.tick(vanishing)}"),
              "exploding": (theme.EXPLODING_STYLE,
                            f"exploding |{name}| &gt; {theme.tick(exploding)}"),
              "nonfinite": (theme.NONFINITE_STYLE, "NaN / inf"),
              "unknown": (theme.UNKNOWN_STYLE, "not reached yet")}
    keys = [(fill, pen, text) for kind, ((fill, pen, _), text) in styles.items() if kind in kinds]
    if params:
        keys.append((theme.PARAM_HEADER, theme.PARAM_PEN, "parameter"))
    if keys:
        # Separate small tables per line: one grid would stretch the colour steps unevenly.
        cells = "".join(_swatch(fill, pen) + f'<TD ALIGN="LEFT">{_small(text)}  </TD>'
                        for fill, pen, text in keys)
        # Empty cells take up the width a wider scale above stretches this row to.
        out.append(_nested([f"<TR>{cells}{'<TD></TD>' * _KEY_FILLERS}</TR>"]))
    return out


def _nested(rows: Sequence[str]) -> str:
    return ('<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" '
            'CELLPADDING="0">' + "".join(rows) + "</TABLE></TD></TR>")
