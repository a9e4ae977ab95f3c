"""Training plots (matplotlib): learning curves, gradient flow, decision boundaries, loss
surfaces with optimizer paths, and the lr-finder curve.

Each function returns the matplotlib `Figure` and accepts `ax=` to draw into an existing
Axes instead (then the Figure is `ax.figure`). Figures are built without pyplot, so a
notebook shows a returned figure once and scripts never open windows: `fig.savefig(path)`.
matplotlib is an optional extra: `pip install 'glassgrad[plots]'`.

>>> import nn, viz
>>> from nn import datasets
>>> X, y = datasets.xor()
>>> model = nn.MLP(2, [8, 1], activation="tanh", seed=0)
>>> hist = nn.fit(model, nn.mse_loss, nn.optim.Adam(model.parameters(), lr=0.05), (X, y),
...               epochs=50, progress=False)
>>> fig = viz.plot_learning_curves(hist)
>>> fig.axes[0].get_xlabel()
'epoch'
"""
from __future__ import annotations

import math
import sys
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .theme import EXPLODING, EXPLODING_STYLE, VANISHING, norm_verdict

__all__ = ["plot_learning_curves", "plot_gradient_flow", "plot_decision_boundary",
           "plot_loss_surface", "descent_path", "plot_lr_finder"]

TRAIN = "#1f6fb4"      # blue
VAL = "#e07b00"        # orange: tells apart from blue for colour-blind readers too
BEST = "#2e9e44"       # green
GRID = "#e6e6e6"
CLASS_COLORS = ("#3f86d3", "#de5b45", "#45a555", "#9467bd", "#e0a100", "#17becf",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")
PATH_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


# ---------------------------------------------------------------- matplotlib plumbing

def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("viz plots need matplotlib, an optional extra: "
                          "pip install 'glassgrad[plots]'  (or: pip install matplotlib)") from None
    return matplotlib


def _figure(ax: Any, ncols: int = 1, size: Tuple[float, float] = (6.4, 4.0)) -> Tuple[Any, list]:
    """(figure, axes list): the given Axes, or a new pyplot-free Figure with `ncols` panels."""
    _matplotlib()
    if ax is not None:
        axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        if len(axes) != ncols:
            raise ValueError(f"this plot draws {ncols} panel(s): pass ax= as "
                             f"{'one Axes' if ncols == 1 else f'a list of {ncols} Axes'}")
        return axes[0].figure, axes
    if "ipykernel" in sys.modules:
        # In Jupyter, the inline backend's module registers the formatter that displays a
        # returned Figure; importing pyplot alone does not load it until pyplot makes a
        # figure. Our figures never go through pyplot, so they are shown exactly once.
        try:
            import matplotlib_inline.backend_inline  # noqa: F401
        except ImportError:
            pass
    from matplotlib.figure import Figure
    fig = Figure(figsize=(size[0] * ncols, size[1]), layout="constrained")
    return fig, list(np.atleast_1d(fig.subplots(1, ncols)))


def _style(ax: Any) -> None:
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


# ---------------------------------------------------------------- learning curves

_PRETTY = {"loss": "loss", "accuracy": "accuracy", "lr": "learning rate"}


def plot_learning_curves(history: Any, metric: Union[str, Sequence[str]] = "loss",
                         ax: Any = None, log: bool = False, title: Optional[str] = None) -> Any:
    """Train and validation curves of `metric` per epoch, the best epoch marked.

    `metric` may be a list ("loss", "accuracy") for one panel each (then `ax=` is a list).
    The best epoch is `history.best_epoch` (lowest val_loss, or EarlyStopping's choice).
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    for m in metrics:
        if m not in history:
            raise KeyError(f"plot_learning_curves: the history has no {m!r}; it has "
                           f"{sorted(history.metrics)}")
    fig, axes = _figure(ax, len(metrics))
    epochs = np.asarray(history.epochs)
    best = history.best_epoch
    for a, m in zip(axes, metrics):
        _style(a)
        a.plot(epochs, history[m], color=TRAIN, lw=2, label=f"train {_PRETTY.get(m, m)}")
        val_key = f"val_{m}"
        has_val = val_key in history
        if has_val:
            a.plot(epochs, history[val_key], color=VAL, lw=2, ls="--",
                   label=f"validation {_PRETTY.get(m, m)}")
        if best is not None and best in history.epochs:
            i = history.epochs.index(best)
            y = history[val_key if has_val else m][i]
            a.axvline(best, color=BEST, lw=1.2, ls=":", zorder=1)
            a.plot([best], [y], marker="*", ms=15, color=BEST, mec="white", zorder=5,
                   label=f"best epoch {best}")
        if log:
            a.set_yscale("log")
        a.set_xlabel("epoch")
        a.set_ylabel(_PRETTY.get(m, m))
        if len(epochs) and epochs[-1] <= 20:
            a.set_xticks(epochs)
        a.legend(frameon=False)
    axes[0].set_title(title if title is not None else _curve_title(history))
    return fig


def _curve_title(history: Any) -> str:
    if history.stop_reason and history.stop_reason.startswith("early stopping"):
        return f"Learning curves (stopped early after {len(history)} epochs)"
    return "Learning curves"


# ---------------------------------------------------------------- gradient flow

def _norm_table(source: Any) -> Tuple[list, Dict[str, np.ndarray], np.ndarray, Dict[str, float]]:
    """(layers, norms per layer, steps, dead fraction per layer) from a GradientMonitor or a
    {layer: [norm per step]} mapping."""
    if hasattr(source, "grad_norms"):
        layers = list(source.layers)
        norms = {k: np.asarray(source.grad_norms[k], dtype=float) for k in layers}
        steps = np.asarray(source.steps)
        dead = {k: float(np.nanmean(v)) for k, v in source.dead_fraction.items() if len(v)}
    elif isinstance(source, Mapping):
        layers = list(source)
        norms = {k: np.atleast_1d(np.asarray(source[k], dtype=float)) for k in layers}
        steps = np.arange(1, max(len(v) for v in norms.values()) + 1)
        dead = {}
    else:
        raise TypeError(f"plot_gradient_flow needs a GradientMonitor or a dict layer -> norms, "
                        f"got {type(source).__name__}")
    if not layers or all(len(v) == 0 for v in norms.values()):
        raise ValueError("plot_gradient_flow: no gradient norms recorded (did training run?)")
    return layers, norms, steps, dead


def _typical(values: np.ndarray) -> float:
    """A layer's typical gradient norm: the geometric mean over steps (norms span decades,
    so an arithmetic mean would just be the largest one); inf once any step was not finite."""
    if len(values) and not np.all(np.isfinite(values)):
        return math.inf
    positive = values[values > 0]
    return float(np.exp(np.mean(np.log(positive)))) if len(positive) else 0.0


def _bands(a: Any, lo: float, hi: float) -> None:
    a.axhspan(lo, VANISHING, color="#d9d9d9", alpha=0.5, lw=0, zorder=0)
    a.axhspan(EXPLODING, hi, color=EXPLODING_STYLE[0], alpha=0.12, lw=0, zorder=0)
    a.axhline(VANISHING, color="#7a7a7a", lw=1, ls="--", zorder=1)
    a.axhline(EXPLODING, color=EXPLODING_STYLE[0], lw=1, ls="--", zorder=1)
    # Labelled inside their bands at the right, on a light backing so a line or bar behind
    # stays visible; outside the axes they ran into the layer legend.
    kw = dict(transform=a.get_yaxis_transform(), fontsize="small", ha="right", zorder=6,
              bbox=dict(facecolor="white", alpha=0.7, edgecolor="none", pad=1.0))
    a.text(0.99, VANISHING / 1.6, f"vanishing < {VANISHING:g}", color="#555555", va="top", **kw)
    a.text(0.99, EXPLODING * 1.6, f"exploding > {EXPLODING:g}", color=EXPLODING_STYLE[0],
           va="bottom", **kw)


def plot_gradient_flow(source: Any, kind: str = "both", ax: Any = None,
                       title: Optional[str] = None) -> Any:
    """Per-layer gradient norms on a log scale: one line per layer over the training steps
    ("lines"), a bar per layer with its typical norm ("bars"), or both side by side.

    `source` is a `GradientMonitor` (after `fit`) or a dict `{layer: [norm per step]}`.
    Grey bands mark vanishing norms (< viz.VANISHING), magenta ones exploding norms
    (> viz.EXPLODING), the thresholds the graph drawings use.
    """
    if kind not in ("both", "lines", "bars"):
        raise ValueError(f"plot_gradient_flow: kind must be 'both', 'lines' or 'bars', got {kind!r}")
    layers, norms, steps, dead = _norm_table(source)
    matplotlib = _matplotlib()
    fig, axes = _figure(ax, 2 if kind == "both" else 1)
    finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in norms.values()] or [[1.0]])
    lo = min(float(finite.min()) if len(finite) else 1.0, VANISHING) / 10
    hi = max(float(finite.max()) if len(finite) else 1.0, EXPLODING) * 10
    cmap = matplotlib.colormaps["viridis"]
    colors = [cmap(0.9 * i / max(len(layers) - 1, 1)) for i in range(len(layers))]
    panels = {"both": ("lines", "bars"), "lines": ("lines",), "bars": ("bars",)}[kind]
    for a, panel in zip(axes, panels):
        _style(a)
        a.set_yscale("log")
        a.set_ylim(lo, hi)
        _bands(a, lo, hi)
        if panel == "lines":
            for layer, color in zip(layers, colors):
                v = norms[layer]
                a.plot(steps[:len(v)], np.where(v > 0, v, np.nan), color=color, lw=1.6,
                       label=layer)
            a.set_xlabel("training step")
            a.set_ylabel("gradient norm (log scale)")
            a.legend(frameon=False, fontsize="small", ncol=1 + len(layers) // 16,
                     title="layer\n(input → output)", title_fontsize="small",
                     loc="upper left", bbox_to_anchor=(1.0, 1.0))
            a.set_title("Gradient norm per layer over training")
        else:
            typical = [_typical(norms[k]) for k in layers]
            shown = [min(max(t, lo * 1.5), hi / 1.5) if t > 0 or math.isinf(t) else lo * 1.5
                     for t in typical]
            fill = {"ok": "#3f86d3", "vanishing": "#a6a6a6", "exploding": EXPLODING_STYLE[0]}
            bar_colors = [fill[norm_verdict(t)] for t in typical]
            x = np.arange(len(layers))
            # Bars grow up from the bottom of the log axis, so tiny norms show as short bars.
            a.bar(x, np.array(shown) - lo, bottom=lo, color=bar_colors, edgecolor="#333333",
                  lw=0.6, zorder=3)
            crowded = len(layers) > 6          # many bars: turn the labels upright
            for i, (t, layer) in enumerate(zip(typical, layers)):
                text = f"{t:.1e}" if math.isfinite(t) else "inf/nan"
                if layer in dead:
                    text += (" · " if crowded else "\n") + f"{dead[layer]:.0%} dead"
                # Upright labels start at the foot of the bar (inside it): long labels on
                # tall bars would otherwise run out of the axes.
                a.annotate(text, (i, lo * 1.5 if crowded else shown[i]), xytext=(0, 3),
                           textcoords="offset points", ha="center", va="bottom",
                           fontsize="x-small", zorder=4, rotation=90 if crowded else 0)
            a.set_xticks(x, layers, rotation=45 if len(layers) > 4 else 0,
                         ha="right" if len(layers) > 4 else "center")
            a.set_xlabel("layer (input → output)")
            a.set_ylabel("typical gradient norm (log scale)")
            a.set_title("Gradient norm by layer (geometric mean over steps)")
    if title:
        fig.suptitle(title)
    return fig


# ---------------------------------------------------------------- decision boundary

def plot_decision_boundary(model: Any, X: Any, y: Any, ax: Any = None,
                           threshold: Optional[float] = None, resolution: int = 200,
                           padding: float = 0.5, title: Optional[str] = None,
                           split: Optional[str] = None) -> Any:
    """The class regions a model draws over 2-D inputs, with the data points on top.

    Several outputs: the class is the argmax. One output: the larger label where the output
    exceeds `threshold` (default: halfway between the two labels, 0.5 for 0/1 targets; use
    `threshold=0` for logits). Misclassified points get a black ring. The title gives the
    accuracy on the points drawn and says which they are: `split` names them ("validation"
    gives "validation accuracy 85%"), else "on these 200 points".
    """
    from nn.training import classify, predict
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D inputs (n, 2), got shape {X.shape}")
    fig, (a,) = _figure(ax, 1, size=(5.2, 4.4))
    matplotlib = _matplotlib()
    classes = np.unique(y)
    (x0, x1), (y0, y1) = [(X[:, i].min() - padding, X[:, i].max() + padding) for i in (0, 1)]
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    rule = None if threshold is None else float(threshold)
    region = classify(predict(model, grid), classes, rule)
    index = np.searchsorted(classes, region).reshape(gx.shape)
    colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(len(classes))]
    cmap = matplotlib.colors.ListedColormap(colors)
    levels = np.arange(len(classes) + 1) - 0.5
    a.contourf(gx, gy, index, levels=levels, cmap=cmap, alpha=0.25)
    a.contour(gx, gy, index, levels=levels[1:-1], colors="#333333", linewidths=1.2)
    predicted = classify(predict(model, X), classes, rule)
    size = float(np.clip(3000.0 / len(X), 22.0, 120.0))     # few points: bigger markers
    for i, c in enumerate(classes):
        members = y == c
        a.scatter(X[members, 0], X[members, 1], s=size, color=colors[i], edgecolor="white",
                  linewidth=0.6, label=f"class {c}", zorder=3)
    wrong = predicted != y
    if wrong.any():
        a.scatter(X[wrong, 0], X[wrong, 1], s=3 * size, facecolor="none", edgecolor="black",
                  linewidth=1.2, label=f"misclassified ({wrong.sum()})", zorder=4)
    a.set_xlim(x0, x1)
    a.set_ylim(y0, y1)
    a.set_xlabel("$x_1$")
    a.set_ylabel("$x_2$")
    accuracy = f"accuracy {np.mean(~wrong):.0%}"
    shown = f"{split} {accuracy}" if split else f"{accuracy} on these {len(X)} points"
    a.set_title(title if title is not None else f"Decision boundary ({shown})")
    a.legend(frameon=True, framealpha=0.85, fontsize="small", loc="best")
    return fig


# ---------------------------------------------------------------- loss surface and paths

def descent_path(f: Callable[[Any, Any], Any], start: Sequence[float], optimizer_cls: Any,
                 steps: int = 50, **optimizer_kwargs: Any) -> np.ndarray:
    """The points an optimizer visits minimising `f(w1, w2)` from `start`: shape (k, 2),
    k ≤ steps + 1 (the path ends early if the values overflow or stop being finite).

    `f` is written with ordinary operators so it works on `Value`s (for the gradients) and
    on NumPy arrays (for `plot_loss_surface`'s contours).

    >>> from nn.optim import SGD
    >>> descent_path(lambda a, b: a**2 + b**2, (1.0, 1.0), SGD, steps=2, lr=0.25).tolist()
    [[1.0, 1.0], [0.5, 0.5], [0.25, 0.25]]
    """
    from autograd import Value
    w = [Value(float(start[0]), label="w1"), Value(float(start[1]), label="w2")]
    optimizer = optimizer_cls(w, **optimizer_kwargs)
    points = [(w[0].data, w[1].data)]
    for _ in range(steps):
        optimizer.zero_grad()
        try:
            f(w[0], w[1]).backward()
        except ArithmeticError:
            break
        optimizer.step()
        if not (math.isfinite(w[0].data) and math.isfinite(w[1].data)):
            break
        points.append((w[0].data, w[1].data))
    return np.array(points)


def _surface(f: Callable, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    try:
        with np.errstate(all="ignore"):
            z = np.asarray(f(gx, gy), dtype=float)
        if z.shape == gx.shape:
            return z
    except (TypeError, ValueError, ArithmeticError):
        pass
    z = np.empty(gx.shape)
    for idx in np.ndindex(gx.shape):
        try:
            z[idx] = float(getattr(v := f(float(gx[idx]), float(gy[idx])), "data", v))
        except ArithmeticError:
            z[idx] = math.nan
    return z


def plot_loss_surface(f: Callable[[Any, Any], Any], paths: Optional[Mapping[str, Any]] = None,
                      ax: Any = None, xlim: Tuple[float, float] = (-3.0, 3.0),
                      ylim: Tuple[float, float] = (-3.0, 3.0), resolution: int = 200,
                      levels: int = 25, log: bool = True, minimum: Optional[Sequence[float]] = None,
                      title: Optional[str] = None) -> Any:
    """Contours of a 2-parameter loss `f(w1, w2)`, with optimizer `paths` drawn on top.

    `paths` maps a name to points (k, 2) (e.g. from `descent_path`). Contour levels are
    spaced geometrically when `log` (valleys stay visible); `minimum` marks the optimum.
    """
    fig, (a,) = _figure(ax, 1, size=(6.0, 4.8))
    matplotlib = _matplotlib()
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    z = _surface(f, gx, gy)
    finite = z[np.isfinite(z)]
    if not len(finite):
        raise ValueError("plot_loss_surface: f is not finite anywhere on the grid")
    zmin, zmax = float(finite.min()), float(finite.max())
    if log and zmax > 0:
        shift = 0.0 if zmin > 0 else (zmax - zmin) * 1e-4 - zmin
        lv = np.geomspace(max(zmin + shift, (zmax + shift) * 1e-6), zmax + shift, levels) - shift
    else:
        lv = np.linspace(zmin, zmax, levels)
    lv = np.unique(lv)
    cmap = matplotlib.colormaps["Blues_r"]
    # One colour per band between levels, however the levels are spaced.
    a.contourf(gx, gy, z, levels=lv, cmap=cmap, alpha=0.8,
               norm=matplotlib.colors.BoundaryNorm(lv, cmap.N))
    a.contour(gx, gy, z, levels=lv, colors="#4a6a8a", linewidths=0.4, alpha=0.6)
    for i, (name, pts) in enumerate((paths or {}).items()):
        pts = np.asarray(pts, dtype=float)
        color = PATH_COLORS[i % len(PATH_COLORS)]
        a.plot(pts[:, 0], pts[:, 1], "-o", color=color, lw=1.8, ms=3, label=f"{name} ({len(pts) - 1} steps)")
        a.plot(*pts[-1], marker="X", ms=10, color=color, mec="black", mew=0.8, zorder=5)
    if paths:
        first = np.asarray(next(iter(paths.values())), dtype=float)[0]
        a.plot(*first, marker="o", ms=9, color="black", zorder=6, label="start")
    if minimum is not None:
        a.plot(*minimum, marker="*", ms=16, color="gold", mec="black", zorder=6, label="minimum")
    a.set_xlim(*xlim)
    a.set_ylim(*ylim)
    a.set_xlabel("$w_1$")
    a.set_ylabel("$w_2$")
    a.set_title(title if title is not None else "Loss surface and optimizer paths")
    if paths or minimum is not None:
        a.legend(frameon=True, framealpha=0.9, fontsize="small", loc="best")
    return fig


# ---------------------------------------------------------------- lr finder

def plot_lr_finder(result: Any, ax: Any = None, title: Optional[str] = None) -> Any:
    """Loss against learning rate (log scale) from `nn.lr_finder`, the suggestion marked."""
    lrs, losses, smoothed = (np.asarray(v) for v in (result.lrs, result.losses, result.smoothed))
    if len(lrs) == 0:
        raise ValueError("plot_lr_finder: the result holds no steps")
    fig, (a,) = _figure(ax, 1)
    _style(a)
    a.plot(lrs, losses, color=TRAIN, alpha=0.3, lw=1, label="loss per step")
    a.plot(lrs, smoothed, color=TRAIN, lw=2.2, label="smoothed loss")
    a.set_xscale("log")
    finite = smoothed[np.isfinite(smoothed)]
    if len(finite):
        low, high = float(finite.min()), float(finite[: max(3, len(finite) // 10)].max())
        span = max(high - low, 1e-12)
        a.set_ylim(low - 0.1 * span, high + 0.6 * span)
    s = result.suggested_lr
    a.axvline(s, color=BEST, lw=1.5, ls="--", label=f"suggested lr = {s:.2g}")
    i = int(np.argmin(np.abs(np.log(lrs) - math.log(s))))
    a.plot([lrs[i]], [smoothed[i]], marker="o", ms=9, color=BEST, zorder=5)
    a.set_xlabel("learning rate (log scale)")
    a.set_ylabel("training loss")
    a.set_title(title if title is not None else "Learning-rate finder")
    a.legend(frameon=False)
    return fig
