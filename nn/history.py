"""`History` (what `fit` measured, per epoch) and `TrainState` (what callbacks see).

>>> h = History()
>>> h._record(1, {"loss": 0.5, "val_loss": 0.7}); h._record(2, {"loss": 0.2, "val_loss": 0.4})
>>> h.loss, h["val_loss"], h.best_epoch
([0.5, 0.2], [0.7, 0.4], 2)
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from .module import Module

__all__ = ["History", "TrainState"]

# Columns of History.table, in this order; other metrics follow alphabetically.
_FIRST = ("loss", "val_loss", "accuracy", "val_accuracy", "lr")


class History:
    """What `fit` measured, one entry per epoch (epochs are numbered from 1).

    `history["loss"]`, `history.val_loss`, `.accuracy`, `.val_accuracy`, `.lr` are lists
    (metrics that do not apply are absent: `"val_loss" in history`). `history.steps["loss"]`
    holds every step's batch loss. `best_epoch` is the epoch with the lowest `val_loss`
    (`loss` without validation data), or the one `EarlyStopping` chose; `stop_reason` says
    why training ended early (None if it ran all its epochs).
    """

    def __init__(self) -> None:
        self.epochs: List[int] = []
        self.metrics: Dict[str, List[float]] = {}
        self.steps: Dict[str, List[float]] = {"loss": [], "lr": []}
        self.stop_reason: Optional[str] = None
        self._best_epoch: Optional[int] = None

    # ---- recording (used by fit) ----
    def _record(self, epoch: int, logs: Dict[str, float]) -> None:
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.metrics.setdefault(key, []).append(value)

    # ---- reading ----
    def __getitem__(self, key: str) -> List[float]:
        try:
            return self.metrics[key]
        except KeyError:
            raise KeyError(f"History has no {key!r}; it has {sorted(self.metrics)}") from None

    def __contains__(self, key: str) -> bool:
        return key in self.metrics

    def __len__(self) -> int:
        return len(self.epochs)

    def __getattr__(self, name: str) -> List[float]:
        # history.loss, history.val_accuracy, ... (only called for missing attributes)
        metrics = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(f"History has no {name!r}; it has {sorted(metrics)}")

    def monitor_default(self) -> str:
        return "val_loss" if "val_loss" in self.metrics else "loss"

    @property
    def best_epoch(self) -> Optional[int]:
        """The epoch EarlyStopping restored, else the one with the lowest val_loss (or loss)."""
        if self._best_epoch is not None:
            return self._best_epoch
        values = self.metrics.get(self.monitor_default())
        if not values or all(math.isnan(v) for v in values):
            return None
        return self.epochs[int(np.nanargmin(values))]

    @best_epoch.setter
    def best_epoch(self, epoch: Optional[int]) -> None:
        self._best_epoch = epoch

    def as_dict(self) -> Dict[str, List[float]]:
        return {"epoch": list(self.epochs), **{k: list(v) for k, v in self.metrics.items()}}

    def table(self, every: int = 1) -> str:
        """The metrics as a text table, one row every `every` epochs (plus the last one)."""
        keys = [k for k in _FIRST if k in self.metrics] + sorted(
            k for k in self.metrics if k not in _FIRST)
        lines = ["epoch " + " ".join(f"{k:>12}" for k in keys)]
        last = len(self.epochs) - 1
        for i, epoch in enumerate(self.epochs):
            if i % every and i != last:
                continue
            cells = " ".join(f"{self.metrics[k][i]:>12.5g}" for k in keys)
            lines.append(f"{epoch:>5} {cells}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        if not self.epochs:
            return "History(no epochs)"
        parts = [f"{len(self.epochs)} epochs"]
        for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
            if key in self.metrics:
                parts.append(f"{key} {self.metrics[key][0]:.4g} → {self.metrics[key][-1]:.4g}")
        if self.best_epoch is not None:
            parts.append(f"best epoch {self.best_epoch}")
        if self.stop_reason:
            parts.append(f"stopped: {self.stop_reason}")
        return "History(" + ", ".join(parts) + ")"


class TrainState:
    """The loop's state, handed to every callback hook.

    Callbacks read `model`, `optimizer`, `loss_fn`, `history`, `epoch` (from 1), `step`
    (steps so far, from 1), `loss` (the last batch's loss node, graph intact, grads filled
    after backward), `loss_value`, `logs` (this epoch's metrics at `on_epoch_end`), and may
    call `stop(reason)`.
    """

    def __init__(self, model: Module, loss_fn: Callable, optimizer: Any, epochs: int,
                 progress: Any) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.epochs = epochs
        self.history = History()
        self.epoch = 0
        self.step = 0
        self.loss: Any = None
        self.loss_value = math.nan
        self.logs: Dict[str, float] = {}
        self.stop_training = False
        self.has_val = False
        self._bar = progress

    @property
    def stop_reason(self) -> Optional[str]:
        """Why training is ending (the first `stop` reason), kept in the history."""
        return self.history.stop_reason

    def stop(self, reason: str) -> None:
        """End training after the current step (the optimizer does not take it)."""
        self.stop_training = True
        if self.history.stop_reason is None:
            self.history.stop_reason = reason

    def log(self, message: str) -> None:
        """Print a line without breaking the progress bar."""
        if self._bar is not None:
            self._bar.write(message)
        else:
            print(message)
