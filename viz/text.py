"""Text for drawings: number formats, escaping, and compact summaries of arrays.

Escaping matters because labels are user text: `html` makes any string safe inside a
graphviz HTML-like label (which has no record syntax, so `| { } < >` need no special
treatment beyond the HTML entities), `quoted` makes it safe inside a DOT "string".

>>> fmt(2.0), fmt(-1.5e-7), fmt(float("nan")), short(-3.0), short(0.25)
('2.0000', '-1.500e-07', 'nan', '-3', '0.25')
>>> html('a | {b} <c> & "d"')
'a | {b} &lt;c&gt; &amp; &quot;d&quot;'
"""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import numpy as np

MAX_LABEL = 40


def fmt(x: Optional[float]) -> str:
    """A node's number: 4 decimals in the everyday range (as micrograd), else 4 digits;
    None (a value the graph did not keep) is 'not kept'."""
    if x is None:
        return "not kept"
    x = float(x)
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    if x == 0.0:
        return "0.0000"        # also for -0.0: the sign of zero is noise to a student
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def short(x: float) -> str:
    """An edge label's number: at most 4 significant digits."""
    x = float(x)
    if x == 0.0:
        return "0"
    if x != x or x in (math.inf, -math.inf):
        return fmt(x)
    return f"{x:.4g}"


def html(text: Any, limit: int = MAX_LABEL) -> str:
    """`text` escaped for an HTML-like label, control characters removed, long text cut."""
    s = "".join(c if c.isprintable() else " " for c in str(text))
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    # graphviz-pure expands escapes like \N (the node's name) even in HTML labels, and
    # decodes &#92; first; a zero-width space after each backslash keeps it literal in
    # every renderer.
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\\", "\\\u200b"))


def quoted(text: Any) -> str:
    """`text` as a DOT double-quoted string (backslashes would otherwise be escapes)."""
    s = "".join(c if c.isprintable() else " " for c in str(text))
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def is_array(data: Any) -> bool:
    return isinstance(data, np.ndarray)


def shape_text(a: np.ndarray) -> str:
    return "(" + ", ".join(map(str, a.shape)) + ("," if a.ndim == 1 else "") + ")"


def values_text(a: np.ndarray) -> str:
    """All values when there are at most 6, else min / mean / max."""
    if a.size == 0:
        return "empty"
    if a.dtype.kind not in "biuf":
        return html(str(a.dtype))
    if a.size <= 6:
        flat = [short(v) for v in a.astype(float).ravel()]
        if a.ndim <= 1:
            return "[" + ", ".join(flat) + "]" if a.ndim else flat[0]
        width = a.shape[-1]
        rows = ["[" + ", ".join(flat[i:i + width]) + "]" for i in range(0, len(flat), width)]
        return "[" + ", ".join(rows) + "]"
    f = a.astype(float)
    return f"min {short(f.min())}  mean {short(f.mean())}  max {short(f.max())}"


def grad_magnitude(g: Any) -> Tuple[float, str]:
    """(largest |g|, sign kind) of a scalar or array gradient; NaN/inf propagate."""
    if isinstance(g, np.ndarray):
        if g.size == 0:
            return 0.0, "positive"
        f = g.astype(float, copy=False)
        if not np.all(np.isfinite(f)):
            return (math.nan if np.isnan(f).any() else math.inf), "positive"
        big = float(np.max(np.abs(f)))
        neg, pos = bool((f < 0).any()), bool((f > 0).any())
        return big, ("mixed" if neg and pos else "negative" if neg else "positive")
    g = float(g)
    if g != g or g in (math.inf, -math.inf):
        return g, "positive"
    return abs(g), ("negative" if g < 0 else "positive")


def grad_text(g: Any) -> str:
    """A gradient as shown in a node: the number, or an array's norm."""
    if g is None:
        return "None"
    if isinstance(g, np.ndarray) and g.ndim == 0:
        return fmt(float(g))
    if isinstance(g, np.ndarray):
        return "norm " + fmt(float(np.linalg.norm(g.astype(float, copy=False).ravel())))
    return fmt(g)
