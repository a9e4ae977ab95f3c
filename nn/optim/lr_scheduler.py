"""Learning-rate schedulers: StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, LambdaLR.

A scheduler rewrites `group["lr"]` in its optimizer's parameter groups. Build it after the
optimizer (it stores each group's starting lr as `group["initial_lr"]` and `base_lrs`), then
call `scheduler.step()` once per epoch, AFTER `optimizer.step()`.

Like PyTorch, most schedulers are *chainable*: they compute the next lr from the group's
current lr (not from a formula in the epoch), so two schedulers on one optimizer compose and
an lr changed by hand is carried along. LambdaLR is the exception: it is `base_lr·f(epoch)`.

>>> from autograd import Value
>>> from nn.optim import SGD
>>> opt = SGD([Value(0.0)], lr=0.1)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for epoch in range(5):
...     lrs.append(sched.get_last_lr()[0])     # ... train one epoch, opt.step() ...
...     sched.step()
>>> lrs
[0.1, 0.1, 0.05, 0.05, 0.025]

Differences from PyTorch: `step()` takes no `epoch` argument (deprecated there since 1.4),
there is no warning when `scheduler.step()` runs before `optimizer.step()`, and StepLR /
CosineAnnealingLR reject a non-positive period with a ValueError (PyTorch fails later with
ZeroDivisionError).
"""
from __future__ import annotations

import math
import types
from abc import ABC, abstractmethod
from typing import Any, Callable, Sequence

from .optimizer import Optimizer


class LRScheduler(ABC):
    """Base class: `optimizer`, `base_lrs`, `last_epoch`, `step()`, `get_last_lr()`, state dicts.

    Subclasses write `get_lr()`: the list of lrs (one per group) for epoch `last_epoch`.
    Constructing a scheduler performs the first `step()`, which moves `last_epoch` from -1 to 0.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   f"when resuming a scheduler with last_epoch={last_epoch}; "
                                   f"load the optimizer's state dict first")
        self.base_lrs: list[float] = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        # The first step only records the starting lrs (or, when resuming, keeps the loaded
        # ones) instead of advancing the schedule: `_is_initial` tells get_lr so.
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    @abstractmethod
    def get_lr(self) -> list[float]:
        """The lrs for epoch `last_epoch`, one per parameter group (use `get_last_lr()` to read)."""

    def step(self) -> None:
        """Advance one epoch and write the new lrs into the optimizer's groups."""
        self._step_count += 1
        self.last_epoch += 1
        lrs = self.get_lr()
        groups = self.optimizer.param_groups
        if len(lrs) != len(groups):
            raise ValueError(f"{type(self).__name__}.get_lr() gave {len(lrs)} lrs for "
                             f"{len(groups)} parameter groups")
        for group, lr in zip(groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    def get_last_lr(self) -> list[float]:
        """The lrs set by the most recent `step()`, one per parameter group."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (plain numbers and lists)."""
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the lr by `gamma` every `step_size` epochs.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=0.05)
    >>> sched = StepLR(opt, step_size=30)
    >>> for _ in range(60): sched.step()
    >>> round(sched.get_last_lr()[0], 12)      # 0.05 → 0.005 at epoch 30 → 0.0005 at 60
    0.0005
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if not step_size >= 1:
            raise ValueError(f"StepLR: step_size must be a positive number of epochs, "
                             f"got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the lr by `gamma` every epoch.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> sched = ExponentialLR(SGD([Value(0.0)], lr=1.0), gamma=0.5)
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base lr down to `eta_min` over `T_max` epochs.

    The closed form is η_t = η_min + ½(η_base − η_min)(1 + cos(π·t/T_max)); like PyTorch this
    is computed recursively from the current lr,

        η_t = η_min + (η_{t−1} − η_min)·(1 + cos(π·t/T_max)) / (1 + cos(π·(t−1)/T_max)),

    except where that ratio would be 0/0 (t − 1 − T_max a multiple of 2·T_max, the bottom of
    the cosine), where it adds (η_base − η_min)(1 − cos(π/T_max))/2 instead. There are no
    restarts: after T_max epochs the lr climbs back up along the cosine.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> sched = CosineAnnealingLR(SGD([Value(0.0)], lr=1.0), T_max=4)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(8):
    ...     sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
    >>> lrs
    [1.0, 0.853553, 0.5, 0.146447, 0.0, 0.146447, 0.5, 0.853553, 1.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if not T_max >= 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive number of epochs, "
                             f"got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._current_lrs(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]


class LinearLR(LRScheduler):
    """Scale the lr by a factor moving linearly from `start_factor` to `end_factor` over
    `total_iters` epochs, then keep it.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> sched = LinearLR(SGD([Value(0.0)], lr=0.3), start_factor=0.5, total_iters=2)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     sched.step(); lrs.append(round(sched.get_last_lr()[0], 12))
    >>> lrs
    [0.15, 0.225, 0.3, 0.3]
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor expected to be greater than 0 and less "
                             f"or equal to 1, got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor expected to be between 0 and 1, "
                             f"got {end_factor!r}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, start, end = self.last_epoch, self.start_factor, self.end_factor
        if t == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._is_initial or t > self.total_iters:
            return self._current_lrs()
        # factor(t)/factor(t-1), with factor(t) = start + (end - start)·t/total_iters
        ratio = 1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start))
        return [lr * ratio for lr in self._current_lrs()]


class LambdaLR(LRScheduler):
    """Set the lr to `base_lr · lr_lambda(epoch)`; one function, or a list with one per group.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> sched = LambdaLR(SGD([Value(0.0)], lr=0.1), lr_lambda=lambda epoch: 0.5 ** epoch)
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.025]
    """

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"Expected {groups} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """As the base class, but functions are not saved (only callable objects' attributes)."""
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(vars(f))
                               for f in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for f, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                vars(f).update(attrs)
