"""Callbacks for `nn.fit`: early stopping, gradient diagnostics, lr schedules, NaN guard.

A callback is any object with some of these methods; each gets the loop's `TrainState`:
`on_train_begin`, `on_epoch_begin`, `on_backward_end` (gradients are ready, weights not yet
updated), `on_step_end` (after `optimizer.step()`), `on_epoch_end` (`state.logs` holds the
epoch's metrics) and `on_train_end`. A callback ends training with `state.stop(reason)`.
`on_error(state, err)` may return True to turn an `ArithmeticError` raised by the forward or
backward pass (the scalar engine raises `Overflow` rather than returning inf) into a stop.

>>> import nn
>>> from nn import datasets
>>> X, y = datasets.xor()
>>> model = nn.MLP(2, [4, 1], activation="sigmoid", seed=0)
>>> monitor = GradientMonitor()
>>> _ = nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y),
...            epochs=3, callbacks=[monitor], progress=False)
>>> monitor.layers, len(monitor.grad_norms["layers.0"])
(['layers.0', 'layers.1'], 3)
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from autograd.graph import topological_order
from autograd.value import Value

from .clip import clip_grad_norm_, clip_grad_value_, get_total_norm, two_norm
from .module import Module
from .scalar import Layer

__all__ = ["Callback", "EarlyStopping", "GradientMonitor", "LRScheduler", "NaNGuard",
           "GradientClipping", "layer_groups"]


class Callback:
    """Base class with every hook as a no-op; override the ones you need."""

    def on_train_begin(self, state: Any) -> None: ...
    def on_epoch_begin(self, state: Any) -> None: ...
    def on_backward_end(self, state: Any) -> None: ...
    def on_step_end(self, state: Any) -> None: ...
    def on_epoch_end(self, state: Any) -> None: ...
    def on_train_end(self, state: Any) -> None: ...

    def on_error(self, state: Any, err: ArithmeticError) -> bool:
        return False


# ---------------------------------------------------------------- early stopping

class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    `mode` is "min" (losses), "max" (accuracies) or "auto" (max for names holding "acc").
    With `restore_best=True` the weights of the best epoch (saved with `state_dict`) are
    loaded back when training ends; `best_epoch`, `best` and `stopped_epoch` tell what
    happened, and `history.best_epoch` is set to the best epoch.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 10, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool = True, verbose: bool = True) -> None:
        if not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 1, got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = float(min_delta)
        self.maximize = mode == "max" or (mode == "auto" and "acc" in monitor)
        self.restore_best = restore_best
        self.verbose = verbose
        self._reset()

    def _reset(self) -> None:
        self.best = -math.inf if self.maximize else math.inf
        self.best_epoch: Optional[int] = None
        self.stopped_epoch: Optional[int] = None
        self.wait = 0
        self._best_state: Optional[dict] = None

    def on_train_begin(self, state: Any) -> None:
        if self.monitor.startswith("val_") and not state.has_val:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r} but fit got no val "
                             f"data: pass val=(X_val, y_val) or monitor='loss'")
        self._reset()

    def _improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.maximize:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, state: Any) -> None:
        if self.monitor not in state.logs:
            raise KeyError(f"EarlyStopping: no {self.monitor!r} in this epoch's metrics "
                           f"{sorted(state.logs)}")
        value = state.logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self.restore_best:
                # A snapshot: a state_dict shares the model's memory (as PyTorch's).
                self._best_state = copy.deepcopy(state.model.state_dict())
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = state.epoch
            state.stop(f"early stopping at epoch {state.epoch}: {self.monitor} did not improve "
                       f"for {self.patience} epochs (best {self.best:.4g} at epoch "
                       f"{self.best_epoch})")

    def on_train_end(self, state: Any) -> None:
        if self.best_epoch is None:
            return
        state.history.best_epoch = self.best_epoch
        restored = (self.restore_best and self._best_state is not None
                    and self.best_epoch != state.epoch)
        if restored:
            state.model.load_state_dict(self._best_state)
        if self.verbose and self.stopped_epoch is not None:
            note = "; weights restored" if restored else ""
            state.log(f"EarlyStopping: stopped at epoch {self.stopped_epoch}; best "
                      f"{self.monitor} {self.best:.4g} at epoch {self.best_epoch}{note}")


# ---------------------------------------------------------------- gradient diagnostics

def _label(name: str, module: Module) -> str:
    if isinstance(module, Layer):
        return name or "Layer"
    kind = type(module).__name__
    return f"{name}:{kind}" if name else kind


def layer_groups(model: Module) -> List[Tuple[str, Module, List[Any]]]:
    """The model's parameters grouped by layer: `(label, module, params)` in forward order.

    A scalar `Layer` is one group (all its neurons); any other module is a group of the
    parameters it owns directly (a `Linear`'s weight and bias), labelled "name:Class".
    """
    groups = []
    claimed: set = set()
    for name, module in model.named_modules():
        params = module.parameters() if isinstance(module, Layer) else \
            [p for _, p in module._own_parameters()]
        params = [p for p in params if id(p) not in claimed]
        if params:
            claimed.update(id(p) for p in params)
            groups.append((_label(name, module), module, params))
    return groups


def _norm(values: List[Any]) -> float:
    """The 2-norm of a group of floats and arrays, as if concatenated; None entries skipped."""
    return two_norm(v for v in values if v is not None)


def _theme() -> Any:
    # Imported here so nn does not need viz at import time (viz may draw nn modules).
    from viz import theme
    return theme


class GradientMonitor(Callback):
    """Per-layer gradient norms and weight norms at every step, and the dead-ReLU fraction.

    After training: `layers` (labels, forward order), `steps`, and per layer the lists
    `grad_norms[layer]`, `weight_norms[layer]` and `dead_fraction[layer]` (layers feeding a
    ReLU: the share of their units whose ReLU gave 0 for every sample of the batch). A layer
    is "vanishing" when its gradient norm is below `viz.VANISHING` (1e-6) and "exploding"
    above `viz.EXPLODING` (1e3) or non-finite, the thresholds the graph drawings use.
    `status()` gives each layer's verdict at the last step, `report()` a table.
    Measure every `every` steps; `dead_relu=False` skips the graph walk dead units need.
    """

    def __init__(self, every: int = 1, dead_relu: bool = True, verbose: bool = False,
                 vanishing: Optional[float] = None, exploding: Optional[float] = None) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"GradientMonitor: every must be an integer >= 1, got {every!r}")
        theme = _theme()
        self.every = every
        self.track_dead = dead_relu
        self.verbose = verbose
        self.vanishing = theme.VANISHING if vanishing is None else float(vanishing)
        self.exploding = theme.EXPLODING if exploding is None else float(exploding)
        self.layers: List[str] = []
        self.steps: List[int] = []
        self.grad_norms: Dict[str, List[float]] = {}
        self.weight_norms: Dict[str, List[float]] = {}
        self.dead_fraction: Dict[str, List[float]] = {}
        self.first_flagged: Dict[str, Tuple[str, int]] = {}
        self._groups: list = []
        self._owner: Dict[int, str] = {}

    def on_train_begin(self, state: Any) -> None:
        self.watch(state.model)

    def watch(self, model: Module) -> None:
        """Start monitoring `model` (fit calls this; call it yourself to use `record`)."""
        self._groups = layer_groups(model)
        self.layers = [label for label, _, _ in self._groups]
        self.steps = []
        self.grad_norms = {label: [] for label in self.layers}
        self.weight_norms = {label: [] for label in self.layers}
        self.dead_fraction = {}
        self.first_flagged = {}
        # Which layer a node belongs to: the module that was running when it was made.
        self._owner = {}
        for label, module, _ in self._groups:
            for m in module.modules():
                self._owner.setdefault(id(m), label)

    def on_backward_end(self, state: Any) -> None:
        if (state.step - 1) % self.every == 0:
            self.record(state.step, state.loss, log=state.log)

    def record(self, step: int, loss: Any = None, log: Callable[[str], None] = print) -> None:
        """Measure the current gradients (and, given the loss node, the dead ReLUs)."""
        self.steps.append(step)
        for label, _, params in self._groups:
            g = _norm([p.raw_grad for p in params])
            self.grad_norms[label].append(g)
            self.weight_norms[label].append(_norm([p.raw_data for p in params]))
            verdict = self._verdict(g)
            if verdict != "ok" and label not in self.first_flagged:
                self.first_flagged[label] = (verdict, step)
                if self.verbose:
                    log(f"GradientMonitor: {label} gradient norm {g:.3g} is {verdict} "
                        f"at step {step}")
        if self.track_dead and loss is not None:
            for label, fraction in self._dead_units(loss).items():
                column = self.dead_fraction.setdefault(label, [])
                column.extend([math.nan] * (len(self.steps) - 1 - len(column)))
                column.append(fraction)

    def _verdict(self, norm: float) -> str:
        return _theme().norm_verdict(norm, self.vanishing, self.exploding)

    def _dead_units(self, loss: Any) -> Dict[str, float]:
        # Scalar graphs: one relu node per unit and sample, grouped by the neuron that made
        # it. Tensor graphs: one relu node per batch, a unit per column.
        alive: Dict[str, Dict[Any, bool]] = {}
        counts: Dict[str, List[int]] = {}
        for node in topological_order(loss):
            if node._op != "relu":
                continue
            source = node._parents[0]._scope or node._scope
            label = self._owner.get(id(source)) or self._owner.get(id(node._scope))
            if label is None:
                continue
            if type(node) is Value:
                units = alive.setdefault(label, {})
                key = id(node._scope)
                units[key] = units.get(key, False) or node.data > 0.0
            else:
                data = np.asarray(node.raw_data)
                active = (data > 0).reshape(-1, data.shape[-1]).any(axis=0) if data.ndim \
                    else np.array([data > 0])
                dead, total = counts.get(label, [0, 0])
                counts[label] = [dead + int((~active).sum()), total + active.size]
        result = {label: sum(not a for a in units.values()) / len(units)
                  for label, units in alive.items()}
        result.update({label: dead / total for label, (dead, total) in counts.items()})
        return result

    def status(self) -> Dict[str, str]:
        """Each layer's verdict at the last measured step: "ok", "vanishing" or "exploding"."""
        return {label: self._verdict(norms[-1]) if norms else "ok"
                for label, norms in self.grad_norms.items()}

    @property
    def flagged(self) -> Dict[str, str]:
        """The layers whose verdict at the last step is not "ok"."""
        return {label: v for label, v in self.status().items() if v != "ok"}

    def report(self) -> str:
        """A table of the last step: gradient norm, weight norm, dead ReLUs, verdict."""
        lines = [f"{'layer':<16} {'grad norm':>11} {'weight norm':>11} {'dead ReLU':>9}  status"]
        status = self.status()
        for label in self.layers:
            g = self.grad_norms[label][-1] if self.grad_norms[label] else math.nan
            w = self.weight_norms[label][-1] if self.weight_norms[label] else math.nan
            dead = self.dead_fraction.get(label)
            dead_text = f"{dead[-1]:>8.0%}" if dead else f"{'-':>8}"
            lines.append(f"{label:<16} {g:>11.3g} {w:>11.3g} {dead_text:>9}  {status[label]}")
        return "\n".join(lines)


# ---------------------------------------------------------------- schedules, clipping, NaNs

class LRScheduler(Callback):
    """Step an `nn.optim.lr_scheduler` scheduler once per epoch (after the epoch's steps).

    Pass a scheduler built on the same optimizer as fit's, or a function
    `optimizer -> scheduler` (built when training starts).

    >>> from nn.optim import lr_scheduler
    >>> cb = LRScheduler(lambda opt: lr_scheduler.StepLR(opt, step_size=10, gamma=0.5))
    """

    def __init__(self, scheduler: Any) -> None:
        self._factory = None if hasattr(scheduler, "step") else scheduler
        if self._factory is not None and not callable(scheduler):
            raise TypeError(f"LRScheduler needs a scheduler or a function optimizer -> "
                            f"scheduler, got {type(scheduler).__name__}")
        self.scheduler = None if self._factory is not None else scheduler

    def on_train_begin(self, state: Any) -> None:
        if self._factory is not None:
            self.scheduler = self._factory(state.optimizer)
        elif getattr(self.scheduler, "optimizer", state.optimizer) is not state.optimizer:
            raise ValueError("LRScheduler: the scheduler drives a different optimizer than "
                             "the one given to fit")

    def on_epoch_end(self, state: Any) -> None:
        self.scheduler.step()


class GradientClipping(Callback):
    """Clip gradients before every optimizer step: by total norm (`max_norm`, rescales all
    grads together, keeping their direction) or by value (`max_value`, clamps each entry,
    which can turn the direction). `norms` records each step's norm before clipping."""

    def __init__(self, max_norm: Optional[float] = None, max_value: Optional[float] = None) -> None:
        if (max_norm is None) == (max_value is None):
            raise ValueError("GradientClipping: give exactly one of max_norm or max_value")
        self.max_norm = max_norm
        self.max_value = max_value
        self.norms: List[float] = []

    def on_backward_end(self, state: Any) -> None:
        params = state.model.parameters()
        if self.max_norm is not None:
            self.norms.append(float(clip_grad_norm_(params, self.max_norm)))
        else:
            self.norms.append(get_total_norm([p.raw_grad for p in params
                                              if p.raw_grad is not None]))
            clip_grad_value_(params, self.max_value)


def _first_bad(named: List[Tuple[str, Any]], attr: str) -> Optional[Tuple[str, Any]]:
    for name, p in named:
        value = getattr(p, attr)
        if value is None:
            continue
        if type(value) is float:
            if not math.isfinite(value):
                return name, value
        else:
            a = np.asarray(value)
            bad = ~np.isfinite(a)
            if bad.any():
                return name, a[bad].flat[0]
    return None


class NaNGuard(Callback):
    """Stop at the first non-finite loss, gradient or parameter, naming it.

    Checked after backward (the step with a bad gradient is not taken, so the weights stay
    finite) and after each optimizer step. An overflow error from the scalar engine also
    stops training, naming the largest parameter. The message is in `message` and
    `history.stop_reason`, and printed unless `verbose=False`.
    """

    def __init__(self, verbose: bool = True) -> None:
        self.verbose = verbose
        self.message: Optional[str] = None

    def on_train_begin(self, state: Any) -> None:
        self.message = None
        self._named = list(state.model.named_parameters())

    def _stop(self, state: Any, what: str) -> None:
        self.message = f"NaNGuard at epoch {state.epoch}, step {state.step}: {what}"
        state.stop(self.message)
        if self.verbose:
            state.log(self.message)

    def on_backward_end(self, state: Any) -> None:
        bad_param = _first_bad(self._named, "data")
        if bad_param is not None:
            self._stop(state, f"parameter {bad_param[0]} is {bad_param[1]}")
            return
        bad_grad = _first_bad(self._named, "grad")
        loss_ok = math.isfinite(state.loss_value)
        if bad_grad is None and loss_ok:
            return
        parts = [] if loss_ok else [f"loss is {state.loss_value}"]
        if bad_grad is not None:
            parts.append(f"gradient of {bad_grad[0]} is {bad_grad[1]}")
        self._stop(state, "; ".join(parts) + " (the optimizer step was not taken)")

    def on_error(self, state: Any, err: ArithmeticError) -> bool:
        # Scalar models overflow with an exception before any value turns inf: name the
        # largest weight, the usual culprit.
        name, p = max(self._named, key=lambda item: _norm([item[1].raw_data]))
        self._stop(state, f"the forward/backward pass failed ({err}); largest parameter "
                          f"{name} (norm {_norm([p.raw_data]):.3g})")
        return True

    def on_step_end(self, state: Any) -> None:
        bad = _first_bad(self._named, "data")
        if bad is not None:
            self._stop(state, f"parameter {bad[0]} became {bad[1]} after the optimizer step")
