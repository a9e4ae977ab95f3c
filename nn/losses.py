"""Loss modules with PyTorch's names and options; each calls its `nn.functional` form.

They work for Tensors and, through the functional dispatch, for scalar `Value` models.

>>> import numpy as np
>>> from autograd import Tensor
>>> import nn
>>> loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
>>> logits = Tensor(np.array([[2.0, 0.5, -1.0]]), requires_grad=True)
>>> loss = loss_fn(logits, np.array([0])); loss.backward()
>>> round(loss.item(), 4), logits.grad.shape
(0.3913, autograd.Size([1, 3]))
>>> nn.BCEWithLogitsLoss(pos_weight=np.array([2.0]))
BCEWithLogitsLoss()
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd.tensor_core import Tensor

from . import functional as F
from .module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "HingeLoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        F._check_reduction(reduction)
        self.reduction = reduction

    def _weights(self, **weights: Any) -> None:
        # Buffers, as in PyTorch: class weights are saved in the state_dict, never trained.
        for name, value in weights.items():
            if value is None:
                setattr(self, name, None)
            else:
                self.register_buffer(name, Tensor(np.array(np.asarray(value), dtype=float)))


class MSELoss(_Loss):
    """mean((input − target)²)."""

    def forward(self, input: Any, target: Any) -> Any:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """mean(|input − target|)."""

    def forward(self, input: Any, target: Any) -> Any:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Quadratic for |d| < delta, linear (slope delta) beyond."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if delta <= 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = delta

    def forward(self, input: Any, target: Any) -> Any:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """HuberLoss(delta=beta) / beta; L1Loss when beta = 0."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, got {beta}")
        self.beta = beta

    def forward(self, input: Any, target: Any) -> Any:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_Loss):
    """Binary cross-entropy from probabilities; logs clamped at −100 (PyTorch's)."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._weights(weight=weight)

    def forward(self, input: Any, target: Any) -> Any:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable formula; `pos_weight` per class."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self._weights(weight=weight, pos_weight=pos_weight)

    def forward(self, input: Any, target: Any) -> Any:
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Softmax + negative log-likelihood from logits; class-index or probability targets.

    With class weights, 'mean' divides by the summed weights of the non-ignored targets.
    """

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], "
                             f"got {label_smoothing}")
        self._weights(weight=weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Any:
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood from log-probabilities (pair it with `log_softmax`)."""

    def __init__(self, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._weights(weight=weight)
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Any:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class HingeLoss(_Loss):
    """SVM hinge relu(margin − y·s) for labels ±1 (micrograd's moons demo loss).

    Not `torch.nn.HingeEmbeddingLoss`, which is a different formula (see `F.hinge_loss`).
    """

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input: Any, target: Any) -> Any:
        return F.hinge_loss(input, target, margin=self.margin, reduction=self.reduction)
