"""`lr_finder`: sweep the learning rate up exponentially and watch the loss (Leslie Smith's
range test, as in fastai).

While the lr is too small the loss barely moves; then it falls fastest; then the steps
overshoot and it blows up. A good lr sits where the loss falls fastest, well before the
blow-up. The model's weights are restored afterwards: the sweep only looks.

>>> import nn
>>> from nn import datasets
>>> X, y = datasets.moons(64, seed=0)
>>> model = nn.MLP(2, [8, 1], seed=0)
>>> before = model.state_dict()
>>> result = nn.lr_finder(model, nn.mse_loss, nn.optim.SGD, (X, y), steps=40)
>>> 1e-7 <= result.suggested_lr <= 1.0
True
>>> all((before[k] == v).all() for k, v in model.state_dict().items())   # weights restored
True
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable, NamedTuple, Optional

import numpy as np

from .module import Module
from .training import _loss_float, _source

__all__ = ["lr_finder", "LRFinderResult"]


class LRFinderResult(NamedTuple):
    """`lrs` tried, raw `losses`, `smoothed` losses (bias-corrected moving average),
    `suggested_lr` (steepest fall of the smoothed loss) and `min_loss_lr` (its minimum;
    a tenth of it is another common pick)."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float
    min_loss_lr: float

    def __repr__(self) -> str:
        return (f"LRFinderResult({len(self.lrs)} steps from {self.lrs[0]:.3g} to "
                f"{self.lrs[-1]:.3g}, suggested_lr={self.suggested_lr:.3g}, "
                f"min_loss_lr={self.min_loss_lr:.3g})")


def _suggest(lrs: np.ndarray, smoothed: np.ndarray) -> tuple:
    """(lr where the smoothed loss falls fastest per decade of lr, lr at its minimum)."""
    finite = np.isfinite(smoothed)
    if finite.sum() < 3:
        return float(lrs[0]), float(lrs[0])
    lo = int(np.nanargmin(np.where(finite, smoothed, np.nan)))
    # Slopes over a window of a few steps, skipping the first tenth of the sweep where the
    # moving average is still settling; the steepest fall comes before the minimum.
    n = len(smoothed)
    k = max(1, n // 20)
    first = max(k, n // 10)
    if lo <= first:
        return float(lrs[lo]), float(lrs[lo])
    logs = np.log10(lrs)
    idx = np.arange(first, min(lo, n - k - 1) + 1)
    slopes = (smoothed[idx + k] - smoothed[idx - k]) / (logs[idx + k] - logs[idx - k])
    return float(lrs[idx[int(np.nanargmin(slopes))]]), float(lrs[lo])


def lr_finder(model: Module, loss_fn: Callable, optimizer_cls: Any, data: Any,
              start: float = 1e-7, end: float = 1.0, steps: int = 100,
              batch_size: Optional[int] = None, beta: float = 0.9, diverge: float = 4.0,
              seed: Optional[int] = 0, **optimizer_kwargs: Any) -> LRFinderResult:
    """Train for up to `steps` steps with the lr growing geometrically from `start` to
    `end`, recording the loss; stop early once the smoothed loss exceeds `diverge` times
    its best (or is not finite). `data` is an (X, y) pair (batches of `batch_size`) or a
    DataLoader. A fresh `optimizer_cls(params, lr=..., **optimizer_kwargs)` is used and the
    model's weights are put back at the end.
    """
    if not 0 < start < end:
        raise ValueError(f"lr_finder: need 0 < start < end, got start={start!r}, end={end!r}")
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"lr_finder: steps must be an integer >= 2, got {steps!r}")
    if not 0 <= beta < 1:
        raise ValueError(f"lr_finder: beta must be in [0, 1), got {beta!r}")
    batches = _source("data", data, model)
    saved = copy.deepcopy(model.state_dict())     # a snapshot: state_dict() shares memory
    was_training = model.training
    optimizer = optimizer_cls(model.parameters(), lr=start, **optimizer_kwargs)
    lrs_planned = start * (end / start) ** (np.arange(steps) / (steps - 1))
    rng = np.random.default_rng(seed)
    lrs, losses, smoothed = [], [], []
    average, best = 0.0, math.inf
    queue: list = []
    model.train()
    try:
        for i, lr in enumerate(lrs_planned):
            if not queue:
                queue = list(batches.epoch(batch_size, True, rng))
            idx = queue.pop(0)
            for group in optimizer.param_groups:
                group["lr"] = float(lr)
            optimizer.zero_grad()
            try:
                loss, _, _ = batches.loss(model, loss_fn, idx)
                loss.backward()
            except ArithmeticError:      # the scalar engine's overflow: clearly diverged
                break
            value = _loss_float(loss)
            lrs.append(float(lr))
            losses.append(value)
            average = beta * average + (1 - beta) * value
            smooth = average / (1 - beta ** (i + 1))
            smoothed.append(smooth)
            if not math.isfinite(smooth) or smooth > diverge * best:
                break
            best = min(best, smooth)
            optimizer.step()
    finally:
        model.load_state_dict(saved)
        model.zero_grad()
        model.train(was_training)
    lrs_a, smoothed_a = np.array(lrs), np.array(smoothed)
    suggested, at_min = _suggest(lrs_a, smoothed_a) if len(lrs) else (start, start)
    return LRFinderResult(lrs_a, np.array(losses), smoothed_a, suggested, at_min)
