"""Losses for scalar models: predictions are `Value`s (or lists of them), targets numbers.

All take `reduction='mean'|'sum'|'none'` like PyTorch ('none' returns the list).

>>> from autograd import Value
>>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data
2.5
>>> round(cross_entropy([Value(1000.0), Value(0.0)], 1).data, 3)   # stable for big logits
1000.0
"""
from __future__ import annotations

import numbers
from typing import Any, List, Sequence, Union

import numpy as np

from autograd.value import Value, _lift, _apply

Preds = Union[Value, Sequence[Value]]
REDUCTIONS = ("mean", "sum", "none")


def _items(x: Any) -> list:
    """A list of predictions or targets: a list, tuple or NumPy array (as Python numbers, e.g.
    labels from `nn.datasets`), or one item."""
    if isinstance(x, np.ndarray):
        return x.tolist() if x.ndim else [x.item()]
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _pairs(pred: Any, target: Any) -> tuple:
    preds = _items(pred)
    targets = _items(target)
    if len(preds) != len(targets):
        raise ValueError(f"loss: {len(preds)} predictions but {len(targets)} targets")
    return preds, targets


def reduce(losses: List[Value], reduction: str) -> Any:
    """Combine per-sample losses: their mean, their sum, or the list itself."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if reduction == "none":
        return losses
    total = _lift(losses[0])
    for item in losses[1:]:   # a left-to-right chain, no constant 0 node in drawings
        total = total + item
    return total / len(losses) if reduction == "mean" else total


def mse_loss(pred: Preds, target: Any, reduction: str = "mean") -> Any:
    """Mean (or sum, or list) of (pred - target)²."""
    return reduce([(p - t) ** 2 for p, t in zip(*_pairs(pred, target))], reduction)


def l1_loss(pred: Preds, target: Any, reduction: str = "mean") -> Any:
    """Mean (or sum, or list) of |pred - target|."""
    return reduce([abs(p - t) for p, t in zip(*_pairs(pred, target))], reduction)


def huber_loss(pred: Preds, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """0.5 d² if |d| < delta else delta (|d| - delta/2), d = pred - target (PyTorch's)."""
    out = []
    for p, t in zip(*_pairs(pred, target)):
        d = _lift(p) - t
        out.append(0.5 * d * d if abs(d.data) < delta else delta * (abs(d) - 0.5 * delta))
    return reduce(out, reduction)


def hinge_loss(score: Preds, label: Any, margin: float = 1.0, reduction: str = "mean") -> Any:
    """SVM max-margin loss relu(margin − y·s) for labels y = ±1 (micrograd's demo loss)."""
    out = []
    for s, y in zip(*_pairs(score, label)):
        if y not in (1, -1):
            raise ValueError(f"hinge_loss: labels must be +1 or -1, got {y!r}")
        out.append((margin + -y * s).relu())
    return reduce(out, reduction)


def binary_cross_entropy(prob: Preds, target: Any, reduction: str = "mean") -> Any:
    """−[y log p + (1−y) log(1−p)] from probabilities, logs clamped at −100 (PyTorch's)."""
    return reduce([_apply("binary_cross_entropy", (_lift(p), _lift(t)))
                   for p, t in zip(*_pairs(prob, target))], reduction)


def binary_cross_entropy_with_logits(logit: Preds, target: Any, pos_weight: float = 1.0,
                                     reduction: str = "mean") -> Any:
    """BCE of sigmoid(x), computed stably as (1−y)x + (1 + (w−1)y)·softplus(−x)."""
    out = []
    for x, y in zip(*_pairs(logit, target)):
        x = _lift(x)
        out.append((1.0 - y) * x + (1.0 + (pos_weight - 1.0) * y) * (-x).softplus())
    return reduce(out, reduction)


def _rows(name: str, scores: Sequence[Any], target: Any) -> tuple:
    """(rows, class indices, batched?) for one sample (a list of Values and an int) or a
    batch (a list of lists and a list or array of ints); each index checked."""
    batch = isinstance(scores[0], (list, tuple))
    rows, targets = (scores, _items(target)) if batch else ([scores], _items(target))
    if len(rows) != len(targets):
        raise ValueError(f"{name}: {len(rows)} samples but {len(targets)} targets")
    for row, t in zip(rows, targets):
        if not isinstance(t, numbers.Integral) or isinstance(t, bool) or not 0 <= t < len(row):
            raise ValueError(f"{name}: target {t!r} is not a class index in [0, {len(row)})")
    return rows, [int(t) for t in targets], batch


def cross_entropy(logits: Sequence[Any], target: Any, reduction: str = "mean") -> Any:
    """−log softmax(logits)[target], with a max-shifted log-sum-exp (stable for ±1e4).

    `logits` is one sample's list of Values with an int `target`, or a list of such lists
    with a list (or array) of targets.
    """
    rows, targets, batch = _rows("cross_entropy", logits, target)
    out = []
    for row, t in zip(rows, targets):
        row = [_lift(z) for z in row]
        m = max(z.data for z in row)   # a constant shift: softmax does not change
        total = (row[0] - m).exp()
        for z in row[1:]:
            total = total + (z - m).exp()
        out.append(total.log() + m - row[t])
    return reduce(out, reduction) if batch else out[0]


def nll_loss(logp: Sequence[Any], target: Any, reduction: str = "mean") -> Any:
    """−logp[target] from log-probabilities: one sample's list and an int, or a batch."""
    rows, targets, batch = _rows("nll_loss", logp, target)
    out = [-_lift(row[t]) for row, t in zip(rows, targets)]
    return reduce(out, reduction) if batch else out[0]
