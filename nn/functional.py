"""Functional forms (`torch.nn.functional`): activations, `linear`, `dropout` and every loss.

Each loss has ONE public name that works for both engines: given `Tensor`s it runs the
vectorised tensor version; given a scalar `Value` or lists of Values it calls the scalar
loss of the same name in `nn.scalar_losses` (micrograd-style models).

>>> import numpy as np
>>> import nn.functional as F
>>> from autograd import Tensor, Value
>>> F.mse_loss(Tensor([1.0, 3.0]), Tensor([0.0, 1.0])).item()
2.5
>>> F.mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data          # same name, scalars
2.5
>>> logits = Tensor(np.array([[1e4, 0.0], [0.0, 1e4]]), requires_grad=True)
>>> F.cross_entropy(logits, np.array([1, 1])).item()                  # stable: no overflow
5000.0
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Optional

import numpy as np

from autograd import tensor_core as _tensor
from autograd.tensor_core import Tensor

from . import scalar_losses as _scalar
from .init import default_generator

REDUCTIONS = ("mean", "sum", "none")
__all__ = [
    "relu", "leaky_relu", "tanh", "sigmoid", "gelu", "elu", "softplus", "softmax",
    "log_softmax", "linear", "dropout", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "hinge_loss",
]


# ---------------------------------------------------------------- activations
# Methods, not Tensor-only code: relu(Value) and relu(Tensor) both work.

def relu(x: Any) -> Any:
    return x.relu()


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    return x.leaky_relu(negative_slope)


def tanh(x: Any) -> Any:
    return x.tanh()


def sigmoid(x: Any) -> Any:
    return x.sigmoid()


def gelu(x: Any, approximate: str = "none") -> Any:
    """x·Φ(x) (exact, the default) or PyTorch's tanh approximation."""
    if approximate == "none":
        return x.gelu()
    if approximate == "tanh":
        inner = (x + 0.044715 * x ** 3) * math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1.0 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def elu(x: Any, alpha: float = 1.0) -> Any:
    return x.elu(alpha)


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """log(1 + exp(β x)) / β, and x itself where β x > threshold (PyTorch's)."""
    if beta == 1.0 and threshold == 20.0:
        return x.softplus()          # Value.softplus has PyTorch's defaults built in
    if not isinstance(x, Tensor):
        raise ValueError("softplus: beta and threshold are supported for Tensors only")
    return x.softplus(beta, threshold)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return x.softmax(dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    return x.log_softmax(dim)


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """x Wᵀ + b, with W of shape (out_features, in_features) (PyTorch's layout), as ONE
    fused node: no transposed copy of W, one box in drawings."""
    return _tensor.linear(x, weight, bias)


def dropout(x: Tensor, p: float = 0.5, training: bool = True,
            generator: Optional[np.random.Generator] = None) -> Tensor:
    """Inverted dropout: zero each element with probability p, scale survivors by 1/(1−p).

    The identity when `training=False` or p = 0; all zeros when p = 1.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = (default_generator() if generator is None else generator).random(x.shape) >= p
    return x * Tensor(keep * (1.0 / (1.0 - p)), dtype=x.dtype)


# ---------------------------------------------------------------- helpers

def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction!r} is not a valid value for reduction: "
                         f"use one of {REDUCTIONS}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _constant(x: Any, like: Tensor) -> Any:
    """A target: Tensors stay (they may carry gradients), anything else is a constant."""
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x), dtype=like.dtype)


def _same_shape(name: str, input: Tensor, target: Any) -> Any:
    target = _constant(target, input)
    if target.shape != input.shape:
        # PyTorch broadcasts with this warning; a (N,1) vs (N,) mix-up is a classic bug.
        warnings.warn(f"{name}: using a target size ({tuple(target.shape)}) that is "
                      f"different to the input size ({tuple(input.shape)}). This will likely "
                      f"lead to incorrect results due to broadcasting.", stacklevel=3)
    return target


def _scalar_only_defaults(name: str, **options: Any) -> None:
    bad = [k for k, v in options.items() if v]
    if bad:
        raise ValueError(f"{name}: {', '.join(bad)}: supported for Tensor inputs only; "
                         f"scalar (Value) losses take the plain form")


# ---------------------------------------------------------------- regression losses

def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """mean((input − target)²)."""
    if not isinstance(input, Tensor):
        return _scalar.mse_loss(input, target, reduction=reduction)
    _check_reduction(reduction)
    d = input - _same_shape("mse_loss", input, target)
    return _reduce(d * d, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """mean(|input − target|); the gradient at 0 is 0 (PyTorch's)."""
    if not isinstance(input, Tensor):
        return _scalar.l1_loss(input, target, reduction=reduction)
    _check_reduction(reduction)
    return _reduce((input - _same_shape("l1_loss", input, target)).abs(), reduction)


def _huber(input: Tensor, target: Any, delta: float) -> Tensor:
    """0.5 d² where |d| < δ, else δ(|d| − δ/2), with PyTorch's derivatives exactly: the slope
    is clamp(d, −δ, δ) (nan for a nan d) and the curvature is 1 where |d| < δ, else 0.

    Outside, the loss is written c·d − c²/2 with c = clamp(d, −δ, δ) a constant: the same
    value, slope c, curvature 0. Inside, d is squared only where selected (elsewhere it
    could be inf, and where's zero gradient times inf would be nan).
    """
    d = input - target
    raw = d.raw_data
    inside = np.abs(raw) < delta
    near = _tensor.where(inside, d, 0.0)
    c = np.clip(raw, -delta, delta)
    return _tensor.where(inside, 0.5 * near * near, d * c - 0.5 * c * c)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """0.5 d² where |d| < delta, else delta·(|d| − delta/2); d = input − target."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    if not isinstance(input, Tensor):
        return _scalar.huber_loss(input, target, delta=delta, reduction=reduction)
    _check_reduction(reduction)
    return _reduce(_huber(input, _same_shape("huber_loss", input, target), delta), reduction)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Any:
    """huber_loss(delta=beta) / beta: 0.5 d²/β where |d| < β, else |d| − β/2; L1 at β = 0."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    if not isinstance(input, Tensor):
        losses = _scalar.huber_loss(input, target, delta=beta, reduction="none")
        return _scalar.reduce([item / beta for item in losses], reduction)
    _check_reduction(reduction)
    target = _same_shape("smooth_l1_loss", input, target)
    return _reduce(_huber(input, target, beta) * (1.0 / beta), reduction)


def hinge_loss(input: Any, target: Any, margin: float = 1.0, reduction: str = "mean") -> Any:
    """SVM max-margin loss relu(margin − y·s) for labels y = ±1 (micrograd's demo loss).

    Not PyTorch's `hinge_embedding_loss` (which is x for y = 1 and relu(margin − x) for
    y = −1); this is the classic hinge that micrograd's moons demo trains with.
    """
    if not isinstance(input, Tensor):
        return _scalar.hinge_loss(input, target, margin=margin, reduction=reduction)
    _check_reduction(reduction)
    labels = target.raw_data if isinstance(target, Tensor) else np.asarray(target)
    if not np.isin(labels, (1, -1)).all():
        bad = labels[~np.isin(labels, (1, -1))].flat[0]
        raise ValueError(f"hinge_loss: labels must be +1 or -1, got {bad!r}")
    y = _same_shape("hinge_loss", input, target)
    return _reduce((margin - y * input).relu(), reduction)


# ---------------------------------------------------------------- binary classification

def _elementwise_weight(weight: Any, like: Tensor) -> Optional[Any]:
    return None if weight is None else _constant(weight, like)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Any:
    """−w[y log x + (1 − y) log(1 − x)] from probabilities x; each log clamped at −100
    (PyTorch's), so x = 0 or 1 gives a finite loss and a finite gradient."""
    if not isinstance(input, Tensor):
        _scalar_only_defaults("binary_cross_entropy", weight=weight is not None)
        return _scalar.binary_cross_entropy(input, target, reduction=reduction)
    _check_reduction(reduction)
    target = _same_shape("binary_cross_entropy", input, target)
    outside = ~((input.raw_data >= 0) & (input.raw_data <= 1))   # NaN is outside (PyTorch)
    if outside.any():
        bad = input.raw_data[outside].flat[0].item()
        raise ValueError(f"binary_cross_entropy: input must be probabilities in [0, 1], "
                         f"got {bad!r} (use binary_cross_entropy_with_logits for logits)")
    outside = ~((target.raw_data >= 0) & (target.raw_data <= 1))   # PyTorch checks it too
    if outside.any():
        raise ValueError(f"binary_cross_entropy: target must be in [0, 1], got "
                         f"{target.raw_data[outside].flat[0].item()!r}")
    # One node from the tensor rule table: PyTorch's clamped logs and capped gradient.
    loss = _tensor._binary("binary_cross_entropy", input, target)
    if weight is not None:
        loss = loss * _elementwise_weight(weight, input)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Any:
    """BCE of sigmoid(x), computed stably as (1 − y)x + (1 + (p − 1)y)·softplus(−x).

    `pos_weight` (p, broadcast over the last dim, one per class) scales the positive term;
    `weight` scales each element's loss. Finite for logits of ±1e4.
    """
    if not isinstance(input, Tensor):
        _scalar_only_defaults("binary_cross_entropy_with_logits", weight=weight is not None)
        pw = 1.0 if pos_weight is None else float(pos_weight)
        return _scalar.binary_cross_entropy_with_logits(input, target, pos_weight=pw,
                                                        reduction=reduction)
    _check_reduction(reduction)
    y = _same_shape("binary_cross_entropy_with_logits", input, target)
    if isinstance(pos_weight, Tensor) and pos_weight.requires_grad:
        raise RuntimeError("binary_cross_entropy_with_logits is not differentiable with respect "
                           "to argument 'pos_weight'; it cannot have requires_grad=True")
    pw = None if pos_weight is None else _constant(pos_weight, input).raw_data
    # One node from the tensor rule table with PyTorch's forward and gradient formulas.
    loss = _tensor._nary("binary_cross_entropy_with_logits", (input, y), pw)
    if weight is not None:
        loss = loss * _elementwise_weight(weight, input)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- multi-class

def _class_weights(weight: Any, input: Tensor, name: str) -> Optional[np.ndarray]:
    if weight is None:
        return None
    n_classes = input.shape[1 if input.ndim >= 2 else 0]
    w = np.asarray(weight.raw_data if isinstance(weight, Tensor) else weight, dtype=input.dtype)
    if w.shape != (n_classes,):
        raise ValueError(f"{name}: weight must have one entry per class, shape "
                         f"({n_classes},), got {w.shape}")
    return w


def _indices(raw: np.ndarray, input: Tensor, ignore_index: int, name: str) -> np.ndarray:
    cd = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[cd]
    expected = input.shape[:cd] + input.shape[cd + 1:]
    if raw.shape != expected:
        raise ValueError(f"{name}: expected target of shape {tuple(expected)} for input "
                         f"{tuple(input.shape)}, got {raw.shape}")
    bad = (raw != ignore_index) & ((raw < 0) | (raw >= n_classes))
    if bad.any():
        raise IndexError(f"{name}: Target {raw[bad].flat[0]} is out of bounds "
                         f"(classes are 0..{n_classes - 1}, ignore_index={ignore_index})")
    return raw


def _reduce_weighted(loss: Tensor, reduction: str, denominator: float) -> Tensor:
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    # A weighted mean: Σ_n loss_n / Σ_n w_{y_n} (PyTorch's). With nothing to average the
    # loss is 0/0 = nan; the gradient (g · inf) reaches no ignored target (they are
    # selected out), so a padding-only batch gets 0, a zero-weight target nan (PyTorch's).
    return total * (1.0 / denominator if denominator else math.inf)


def _index_targets(input: Tensor, logp: Tensor, raw: np.ndarray, w: Optional[np.ndarray],
                   ignore_index: int, smoothing: float, reduction: str) -> Tensor:
    """l_n = −w_{y_n}·logp[n, y_n] (0 where ignored), mixed under label smoothing with
    −Σ_c w_c·logp[n, c] / C; 'mean' divides by Σ w_{y_n} over the non-ignored targets."""
    cd = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[cd]
    valid = raw != ignore_index
    every = bool(valid.all())
    safe = raw if every else np.where(valid, raw, 0)
    # Gather logp[n, y_n] with one advanced index: N numbers, not an (N, C) one-hot product
    # (twice as fast for C = 1000).
    grid = np.indices(raw.shape, sparse=True)
    picked = logp[tuple(grid[:cd]) + (safe,) + tuple(grid[cd:])]
    if w is None and every:
        loss = -picked
        denominator = float(raw.size)
    else:
        w_y = (np.ones(raw.shape, dtype=input.dtype) if w is None else w[safe]) * valid
        loss = picked * Tensor(-w_y)
        denominator = float(w_y.sum())
    if not every:  # ignored targets are selected out (no 0 * inf when the gradient is inf)
        loss = _tensor.where(valid, loss, 0.0)
    if not smoothing:
        return _reduce_weighted(loss, reduction, denominator)
    if w is None:
        smooth = -logp.sum(dim=cd)
    else:
        shape = (n_classes,) + (1,) * (input.ndim - cd - 1)
        smooth = -(logp * Tensor(w.reshape(shape))).sum(dim=cd)
    if not every:
        smooth = _tensor.where(valid, smooth, 0.0)
    # Each part reduced on its own, then mixed (PyTorch's order: with a zero total weight
    # the target part is 0/0 = nan, whatever the smoothing part is).
    return ((1.0 - smoothing) * _reduce_weighted(loss, reduction, denominator)
            + (smoothing / n_classes) * _reduce_weighted(smooth, reduction, denominator))


def _probability_targets(input: Tensor, logp: Tensor, target: Any, w: Optional[np.ndarray],
                         smoothing: float, reduction: str, name: str) -> Tensor:
    """l_n = −Σ_c w_c·y[n, c]·logp[n, c]; 'mean' divides by N (PyTorch's)."""
    cd = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[cd]
    if tuple(np.shape(target)) != input.shape:
        raise ValueError(f"{name}: probability targets must have the input's shape "
                         f"{tuple(input.shape)}, got {tuple(np.shape(target))}")
    probs = target if isinstance(target, Tensor) else Tensor(np.asarray(target, input.dtype))
    if smoothing:
        probs = probs * (1.0 - smoothing) + smoothing / n_classes
    if w is not None:
        probs = probs * Tensor(w.reshape((n_classes,) + (1,) * (input.ndim - cd - 1)))
    loss = -(logp * probs).sum(dim=cd)
    return _reduce_weighted(loss, reduction, float(input.raw_data.size // n_classes))


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
    """−log softmax(input)[target] from logits (N, C), (C,) or (N, C, d...).

    `target` holds class indices (ints, `ignore_index` skipped) or class probabilities
    (floats, the input's shape). Max-shifted log-sum-exp: finite for logits of ±1e4.
    """
    if not isinstance(input, Tensor):
        _scalar_only_defaults("cross_entropy", weight=weight is not None,
                              ignore_index=ignore_index != -100,
                              label_smoothing=label_smoothing != 0.0)
        return _scalar.cross_entropy(input, target, reduction=reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], "
                         f"got {label_smoothing}")
    w = _class_weights(weight, input, "cross_entropy")
    logp = input.log_softmax(1 if input.ndim >= 2 else 0)
    raw = target.raw_data if isinstance(target, Tensor) else np.asarray(target)
    if raw.dtype.kind == "f":
        return _probability_targets(input, logp, target, w, label_smoothing, reduction,
                                    "cross_entropy")
    if raw.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold class indices (integers) or class "
                        f"probabilities (floats), got dtype {raw.dtype}")
    raw = _indices(raw, input, ignore_index, "cross_entropy")
    return _index_targets(input, logp, raw, w, ignore_index, label_smoothing, reduction)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Any:
    """−input[n, target[n]] from log-probabilities (e.g. `log_softmax` output)."""
    if not isinstance(input, Tensor):
        _scalar_only_defaults("nll_loss", weight=weight is not None,
                              ignore_index=ignore_index != -100)
        return _scalar.nll_loss(input, target, reduction=reduction)
    _check_reduction(reduction)
    raw = target.raw_data if isinstance(target, Tensor) else np.asarray(target)
    if raw.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold class indices, got dtype {raw.dtype}")
    raw = _indices(raw, input, ignore_index, "nll_loss")
    w = _class_weights(weight, input, "nll_loss")
    return _index_targets(input, input, raw, w, ignore_index, 0.0, reduction)
