"""Colours and thresholds: how a gradient's size and sign become a node's fill.

|grad| is placed on a log scale, one colour step per decade between `VANISHING` and
`EXPLODING`: blue for positive gradients, red for negative ones, green for a tensor whose
gradient has both signs. Outside that range the node stands out: grey and dashed when the
gradient vanishes, magenta when it explodes, yellow with a black frame for NaN or inf. A
gradient that is exactly zero (an input of 0 to a product, a ReLU switched off) is not
vanishing: it is white with a solid grey frame.
The training toolkit imports `VANISHING`, `EXPLODING` and `norm_verdict` so its warnings
agree with the drawings.

>>> grad_style(0.5).kind, grad_style(-0.5).kind, grad_style(1e-9).kind, grad_style(1e9).kind
('positive', 'negative', 'vanishing', 'exploding')
>>> grad_style(float("nan")).kind, grad_style(0.0).kind
('nonfinite', 'zero')
"""
from __future__ import annotations

import math
from typing import List, NamedTuple, Optional

VANISHING = 1e-6   # |grad| below this counts as vanishing
EXPLODING = 1e3    # |grad| above this counts as exploding

FONT = "Helvetica"          # graphviz-pure maps it to Arimo (same metrics): same layout everywhere
TEXT = "#1f1f1f"
MUTED = "#6b6b6b"
EDGE = "#5f6368"
EDGE_DIM = "#c4c7cc"
HIGHLIGHT = "#f08c00"       # highlight= paths
FOCUS = "#16a34a"           # backward_steps: the node being processed
OP_FILL = "#eceff1"
CLUSTER_FILL = "#f6f7f9"
CLUSTER_PEN = "#9aa0a6"
SUMMARY_FILL = "#ffffff"
PARAM_HEADER = "#f6d77a"    # parameters get a gold header band
PARAM_PEN = "#9a7400"
INPUT_FILL = "#eaf2fb"      # uncoloured drawings: inputs light blue, params light gold
PARAM_FILL = "#fff7e0"
PLAIN_FILL = "#ffffff"
OUTPUT_FILL = "#e9f6ec"
COPY_NOTE = "#5b3fa0"       # "copy · used k×" on a shared node drawn again

# Colour steps run from a light to a strong tint of each sign's hue (blue +, red -, green ±).
_LIGHT = {"positive": (0xEE, 0xF5, 0xFC), "negative": (0xFD, 0xEF, 0xEB),
          "mixed": (0xED, 0xF7, 0xEE)}
_STRONG = {"positive": (0x4F, 0x93, 0xDC), "negative": (0xE2, 0x68, 0x52),
           "mixed": (0x52, 0xAE, 0x62)}

VANISHING_STYLE = ("#e4e4e4", "#7a7a7a", MUTED)   # fill, border, text
EXPLODING_STYLE = ("#c2188f", "#3d0030", "#ffffff")
NONFINITE_STYLE = ("#ffd60a", "#000000", "#000000")
ZERO_STYLE = ("#ffffff", "#8c8c8c", TEXT)
UNKNOWN_STYLE = ("#f3f3f3", "#b5b5b5", MUTED)     # backward_steps: not reached yet


class GradStyle(NamedTuple):
    kind: str          # positive | negative | mixed | zero | vanishing | exploding | nonfinite
    fill: str
    border: str
    text: str
    tag: str           # a word shown in the node for the alarming kinds ('' otherwise)


UNKNOWN = GradStyle("unknown", *UNKNOWN_STYLE, "")


def _hex(rgb: tuple) -> str:
    return "#%02x%02x%02x" % rgb


def decades(vanishing: float = VANISHING, exploding: float = EXPLODING) -> int:
    """Number of colour steps: one per decade between the thresholds."""
    return max(1, math.ceil(math.log10(exploding / vanishing) - 1e-9))


def step_color(kind: str, step: int, steps: int) -> str:
    """The fill of colour step `step` (0 = lightest) of `steps` for a sign kind."""
    t = step / (steps - 1) if steps > 1 else 1.0
    lo, hi = _LIGHT[kind], _STRONG[kind]
    return _hex(tuple(round(a + (b - a) * t) for a, b in zip(lo, hi)))


def grad_style(magnitude: float, sign: Optional[str] = None, vanishing: float = VANISHING,
               exploding: float = EXPLODING) -> GradStyle:
    """Style for a gradient. `magnitude` may be signed (a scalar gradient) or an |g| with
    `sign` in {'positive', 'negative', 'mixed'} (tensors)."""
    if magnitude != magnitude or magnitude in (math.inf, -math.inf):
        return GradStyle("nonfinite", *NONFINITE_STYLE, "NaN" if magnitude != magnitude else "inf")
    if sign is None:
        sign = "negative" if magnitude < 0 else "positive"
    a = abs(magnitude)
    if a == 0:
        return GradStyle("zero", *ZERO_STYLE, "")
    if a < vanishing:
        return GradStyle("vanishing", *VANISHING_STYLE, "vanishing")
    if a > exploding:
        return GradStyle("exploding", *EXPLODING_STYLE, "exploding")
    steps = decades(vanishing, exploding)
    step = min(steps - 1, int(math.log10(a / vanishing) + 1e-12))  # 1e-5/1e-6 -> exactly 1
    return GradStyle(sign, step_color(sign, step, steps), "#4a4a4a", TEXT, "")


def norm_verdict(norm: float, vanishing: float = VANISHING, exploding: float = EXPLODING) -> str:
    """A gradient norm's verdict: "exploding" (above `exploding` or not finite), "vanishing"
    (below `vanishing`) or "ok", as GradientMonitor and plot_gradient_flow report it.

    >>> norm_verdict(0.5), norm_verdict(1e-9), norm_verdict(float("inf"))
    ('ok', 'vanishing', 'exploding')
    """
    if not math.isfinite(norm) or norm > exploding:
        return "exploding"
    return "vanishing" if norm < vanishing else "ok"


def tick(value: float) -> str:
    """A short legend number: '0.01', '1', '100', '1e-6', '1e5'."""
    if 0.01 <= value < 1000:
        return f"{value:g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def legend_ticks(vanishing: float = VANISHING, exploding: float = EXPLODING) -> List[str]:
    """Lower bound of every colour step, e.g. ['1e-6', '1e-5', ..., '100']."""
    return [tick(vanishing * 10 ** k) for k in range(decades(vanishing, exploding))]
