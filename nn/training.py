"""`fit`: one training loop for scalar (`nn.MLP`) and Tensor models (`History` and the
callbacks' `TrainState` live in nn/history.py).

`train` and `val` are `(X, y)` pairs (or, for Tensor models, DataLoaders). A scalar model
sees one sample (a list of floats) per call and the loss gets the list of predictions; a
Tensor model sees the whole batch as one `Tensor` in its own dtype. `batch_size=None` is full-batch gradient descent, `batch_size=1` is stochastic
gradient descent, anything between is mini-batch.

>>> import nn
>>> from nn import datasets
>>> X, y = datasets.xor()
>>> model = nn.MLP(2, [8, 1], activation="tanh", seed=0)
>>> opt = nn.optim.Adam(model.parameters(), lr=0.05)
>>> hist = nn.fit(model, nn.mse_loss, opt, (X, y), epochs=200, progress=False, seed=0,
...               accuracy=True)      # MSE on 0/1 labels: ask for accuracy explicitly
>>> hist.loss[-1] < 0.01, hist.accuracy[-1]
(True, 1.0)

The train loss and accuracy of an epoch are the means over its batches, measured while the
weights move (Keras's convention); validation metrics are measured after the epoch, in
`eval()` mode and without recording a graph.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from autograd.mode import no_grad
from autograd.tensor_core import Tensor
from autograd.utils.data import DataLoader
from autograd.value import Value

from .history import History, TrainState
from .module import Module
from .scalar import MLP, Layer, Neuron

Data = Tuple[Any, Any]

__all__ = ["fit", "History", "TrainState", "predict", "evaluate", "classify"]

# Losses whose outputs are class scores. The value says how one output becomes a class:
# "argmax" over several outputs, or a threshold on a single one (0 for logits and SVM
# scores, 0.5 for probabilities).
_CLASSIFICATION = {
    "cross_entropy": "argmax", "CrossEntropyLoss": "argmax",
    "nll_loss": "argmax", "NLLLoss": "argmax",
    "binary_cross_entropy_with_logits": 0.0, "BCEWithLogitsLoss": 0.0,
    "hinge_loss": 0.0, "HingeLoss": 0.0,
    "binary_cross_entropy": 0.5, "BCELoss": 0.5,
}


def _loss_name(loss_fn: Any) -> str:
    fn = getattr(loss_fn, "func", loss_fn)        # functools.partial
    return getattr(fn, "__name__", type(fn).__name__)


def _decision_rule(loss_fn: Any) -> Any:
    return _CLASSIFICATION.get(_loss_name(loss_fn))


# ---------------------------------------------------------------- data and prediction

def _is_scalar_model(model: Module) -> bool:
    params = model.parameters()
    if not params:
        raise ValueError(f"fit: {type(model).__name__} has no parameters to train")
    return type(params[0]) is Value


def _arrays(name: str, data: Any) -> Tuple[np.ndarray, np.ndarray]:
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(f"fit: {name} must be an (X, y) pair, got {type(data).__name__}")
    X = np.asarray(data[0])
    y = np.asarray(data[1])
    if X.ndim == 1:
        X = X.reshape(-1, 1)       # one feature per sample
    if len(X) != len(y):
        raise ValueError(f"fit: {name} has {len(X)} inputs but {len(y)} targets")
    if len(X) == 0:
        raise ValueError(f"fit: {name} is empty")
    return X, y


_NUMPY_ACTIVATIONS: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda z: z,
    "relu": lambda z: np.where(z > 0.0, z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: np.exp(-np.logaddexp(0.0, -z)),
    "leaky_relu": lambda z: np.where(z > 0.0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0.0, z, np.expm1(np.minimum(z, 0.0))),
    "softplus": lambda z: np.where(z > 20.0, z, np.log1p(np.exp(np.minimum(z, 20.0)))),
}


def _mlp_layers(model: Any) -> Optional[list]:
    """(W, b, activation) per layer when `model` is a plain scalar `nn.MLP`, else None."""
    if type(model) is not MLP:
        return None
    layers = []
    for layer in model.layers:
        if type(layer) is not Layer or any(type(n) is not Neuron for n in layer.neurons):
            return None
        act = layer.neurons[0].activation
        if act not in _NUMPY_ACTIVATIONS or any(n.activation != act for n in layer.neurons):
            return None
        W = np.array([[w.data for w in n.w] for n in layer.neurons])
        b = np.array([n.b.data for n in layer.neurons])
        layers.append((W, b, act))
    return layers


def _scalar_outputs(model: Module, X: np.ndarray) -> np.ndarray:
    """A scalar model's outputs for every row of X, as an array (n,) or (n, outputs).

    A plain `nn.MLP` runs its arithmetic on whole arrays (the same numbers as the Value
    forward, to rounding; no graph is needed to read outputs). Other models run sample by
    sample without recording a graph.
    """
    layers = _mlp_layers(model)
    if layers is not None:
        h = X.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            for W, b, act in layers:
                h = _NUMPY_ACTIVATIONS[act](h @ W.T + b)
        return h[:, 0] if h.shape[1] == 1 else h
    with no_grad():
        outs = [model(row) for row in X.tolist()]
    return np.array([[v.data for v in o] if isinstance(o, (list, tuple)) else o.data
                     for o in outs], dtype=np.float64)


def predict(model: Module, X: Any) -> np.ndarray:
    """The model's raw outputs for every row of `X`, as a NumPy array (no graph recorded).

    Scalar models give shape (n,) for one output or (n, k); Tensor models give whatever
    their forward returns. The model runs in `eval()` mode and is put back afterwards.

    >>> import nn
    >>> m = nn.MLP(2, [4, 1], seed=0)
    >>> predict(m, [[1.0, 2.0], [0.0, 0.0]]).shape
    (2,)
    """
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    was_training = model.training
    model.eval()
    try:
        if _is_scalar_model(model):
            return _scalar_outputs(model, X)
        with no_grad():
            out = model(Tensor(X.astype(_model_dtype(model), copy=False)))
        return out.raw_data
    finally:
        model.train(was_training)


def classify(outputs: np.ndarray, labels: Sequence[Any], rule: Any = None) -> np.ndarray:
    """Turn raw outputs into class labels.

    Several outputs per sample: the argmax. One output: the larger of the two label values
    when the output is above `rule` (a threshold; by default halfway between the two labels,
    e.g. 0.5 for 0/1 targets and 0 for ±1 targets), else the smaller.
    """
    out = np.asarray(outputs, dtype=np.float64)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    out = out.reshape(len(out))
    classes = np.unique(np.asarray(labels))
    if len(classes) > 2:
        raise ValueError(f"classify: one output per sample but {len(classes)} classes; "
                         f"give the model one output per class")
    lo, hi = (classes[0], classes[-1]) if len(classes) == 2 else (0, classes[0])
    threshold = (lo + hi) / 2.0 if rule in (None, "midpoint", "argmax") else float(rule)
    return np.where(out > threshold, hi, lo)


def _accuracy(outputs: np.ndarray, y: np.ndarray, classes: np.ndarray, rule: Any) -> float:
    pred = classify(outputs, classes, rule)
    return float(np.mean(pred == np.asarray(y).reshape(len(pred))))


# ---------------------------------------------------------------- one batch, two engines

class _ScalarBatches:
    """Scalar models: Python lists, converted once (a Value from a NumPy float costs more)."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        self.rows = X.astype(np.float64).tolist()
        self.targets = y.tolist()
        self.y = y

    def epoch(self, batch_size: Optional[int], shuffle: bool,
              rng: np.random.Generator) -> List[np.ndarray]:
        return _batches(len(self.y), batch_size, shuffle, rng)

    def loss(self, model: Module, loss_fn: Callable, idx: Sequence[int]
             ) -> Tuple[Any, list, np.ndarray]:
        rows, targets = self.rows, self.targets
        preds = [model(rows[i]) for i in idx]
        loss = loss_fn(preds, [targets[i] for i in idx])
        if not isinstance(loss, Value):
            raise TypeError(f"fit: the loss function returned {type(loss).__name__}, "
                            f"not one Value; use reduction='mean' or 'sum'")
        # Plain numbers, so the batch's graph can be freed as soon as the step is done.
        return loss, [[v.data for v in p] if isinstance(p, (list, tuple)) else p.data
                      for p in preds], self.y[idx]

    @staticmethod
    def outputs(batches: List[list]) -> np.ndarray:
        """An epoch's predictions, one row per sample."""
        return np.array([row for batch in batches for row in batch])


def _model_dtype(model: Module) -> np.dtype:
    """The dtype of a Tensor model's parameters: inputs are converted to it."""
    return model.parameters()[0].raw_data.dtype


def _targets_for(out: Any, y: Any) -> Any:
    # A (N, 1) output against (N,) targets would broadcast to (N, N): match the shape.
    if y.ndim == 1 and out.ndim == 2 and out.shape[1] == 1:
        return y.reshape(-1, 1)
    return y


def _tensor_loss(model: Module, loss_fn: Callable, X: Any, y: Any) -> Tuple[Any, np.ndarray]:
    out = model(X)
    return loss_fn(out, _targets_for(out, y)), out.raw_data


class _TensorBatches:
    """Tensor models fed from arrays, converted to the model's dtype once."""

    def __init__(self, X: np.ndarray, y: np.ndarray, dtype: np.dtype) -> None:
        self.X = X.astype(dtype, copy=False)
        self.y = y

    def epoch(self, batch_size: Optional[int], shuffle: bool,
              rng: np.random.Generator) -> List[np.ndarray]:
        return _batches(len(self.y), batch_size, shuffle, rng)

    def loss(self, model: Module, loss_fn: Callable, idx: Sequence[int]
             ) -> Tuple[Any, np.ndarray, np.ndarray]:
        loss, out = _tensor_loss(model, loss_fn, Tensor(self.X[idx]), self.y[idx])
        return loss, out, self.y[idx]

    def whole(self) -> List[Sequence[int]]:
        return [slice(None)]

    @staticmethod
    def outputs(batches: List[np.ndarray]) -> np.ndarray:
        return np.concatenate(batches)


class _LoaderBatches(_TensorBatches):
    """Tensor models fed by a DataLoader of (inputs, targets) batches; inputs are converted
    to the model's dtype batch by batch."""

    def __init__(self, loader: DataLoader, dtype: np.dtype) -> None:
        self.loader = loader
        self.dtype = dtype
        # All targets, in the loader's order: the class labels accuracy needs.
        self.y = np.concatenate([np.asarray(self._pair(b)[1]).reshape(-1) for b in loader])

    @staticmethod
    def _pair(batch: Any) -> Tuple[Any, Any]:
        if not (isinstance(batch, (list, tuple)) and len(batch) == 2):
            raise TypeError(f"fit: the DataLoader must yield (inputs, targets) batches, got "
                            f"{type(batch).__name__}")
        return batch[0], batch[1]

    def epoch(self, batch_size: Optional[int], shuffle: bool,
              rng: np.random.Generator) -> Any:
        return self.loader

    def loss(self, model: Module, loss_fn: Callable, batch: Any
             ) -> Tuple[Any, np.ndarray, np.ndarray]:
        xb, yb = self._pair(batch)
        xb = xb.to(self.dtype) if isinstance(xb, Tensor) else Tensor(np.asarray(xb, self.dtype))
        loss, out = _tensor_loss(model, loss_fn, xb, yb)
        return loss, out, np.asarray(yb)

    def whole(self) -> Any:
        return self.loader


def _source(name: str, data: Any, model: Module) -> Any:
    """The batches of `data`: an (X, y) pair of arrays, or a DataLoader (Tensor models)."""
    if isinstance(data, DataLoader):
        if _is_scalar_model(model):
            raise TypeError(f"fit: {name} is a DataLoader, which feeds Tensor models; give a "
                            f"scalar model an (X, y) pair")
        return _LoaderBatches(data, _model_dtype(model))
    X, y = _arrays(name, data)
    if _is_scalar_model(model):
        return _ScalarBatches(X, y)
    return _TensorBatches(X, y, _model_dtype(model))


def _loss_float(loss: Any) -> float:
    return float(loss.raw_data)


def evaluate(model: Module, loss_fn: Callable, data: Any, accuracy: Any = "auto") -> Dict[str, float]:
    """`{"loss": ..., "accuracy": ...}` of `model` on `data = (X, y)` (or a DataLoader), in
    eval mode, no graph.

    `accuracy="auto"` reports accuracy for classification losses (cross-entropy, BCE,
    hinge); `True` forces it (one output thresholded halfway between the labels), `False`
    skips it.
    """
    source = _source("data", data, model)
    y = source.y
    return _evaluate(model, loss_fn, source, _accuracy_rule(loss_fn, accuracy, y), np.unique(y))


def _accuracy_rule(loss_fn: Any, accuracy: Any, y: np.ndarray) -> Any:
    """None when accuracy is not reported, else the decision rule for `classify`."""
    if accuracy is False:
        return None
    rule = _decision_rule(loss_fn)
    if accuracy == "auto":
        return rule
    if accuracy is True:
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError("fit: accuracy=True needs class labels, but the targets are "
                             "not whole numbers")
        return "midpoint" if rule is None else rule
    raise ValueError(f"fit: accuracy must be 'auto', True or False, got {accuracy!r}")


def _evaluate(model: Module, loss_fn: Callable, source: Any, rule: Any,
              classes: np.ndarray) -> Dict[str, float]:
    y = source.y
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            if isinstance(source, _ScalarBatches):
                outs = _scalar_outputs(model, np.asarray(source.rows))
                preds = [[Value(v) for v in row] for row in outs.tolist()] if outs.ndim == 2 \
                    else [Value(v) for v in outs.tolist()]
                loss = _loss_float(loss_fn(preds, y.tolist()))
            else:
                # The mean over samples: batch losses weighted by batch size.
                total, parts = 0.0, []
                for batch in source.whole():
                    batch_loss, out, targets = source.loss(model, loss_fn, batch)
                    total += _loss_float(batch_loss) * len(targets)
                    parts.append(out)
                loss, outs = total / len(y), np.concatenate(parts)
    finally:
        model.train(was_training)
    result = {"loss": loss}
    if rule is not None:
        result["accuracy"] = _accuracy(outs, y, classes, rule)
    return result


# ---------------------------------------------------------------- fit

def _progress_bar(progress: bool, epochs: int) -> Any:
    if not progress:
        return None
    try:
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm    # a widget in Jupyter, a text bar in a terminal
    except ImportError:
        # Without ipywidgets tqdm.auto warns in Jupyter and falls back to text anyway.
        from tqdm import tqdm
    return tqdm(total=epochs, unit="epoch", desc="training", leave=True)


def _call(callbacks: Sequence[Any], hook: str, trainer: TrainState) -> None:
    for cb in callbacks:
        method = getattr(cb, hook, None)
        if method is not None:
            method(trainer)


def _handle(callbacks: Sequence[Any], state: TrainState, err: ArithmeticError) -> None:
    """Give callbacks (NaNGuard) a chance to turn an overflow into a clean stop."""
    for cb in callbacks:
        method = getattr(cb, "on_error", None)
        if method is not None and method(state, err):
            return
    raise err


def _batches(n: int, batch_size: Optional[int], shuffle: bool,
             rng: np.random.Generator) -> List[np.ndarray]:
    order = rng.permutation(n) if shuffle else np.arange(n)
    size = n if batch_size is None else min(batch_size, n)
    return [order[i:i + size] for i in range(0, n, size)]


def fit(model: Module, loss_fn: Callable, optimizer: Any, train: Any, val: Any = None,
        epochs: int = 10, batch_size: Optional[int] = None, shuffle: Optional[bool] = None,
        callbacks: Iterable[Any] = (), progress: bool = True, seed: Optional[int] = None,
        accuracy: Any = "auto") -> History:
    """Train `model` for `epochs` passes over `train`; return the `History`.

    `train` and `val` are `(X, y)` pairs of arrays or, for Tensor models, DataLoaders of
    `(inputs, targets)` batches. A Tensor model's inputs are converted to its parameters'
    dtype (the float64 arrays of `nn.datasets` feed a float32 model as float32).

    Each step: zero the grads, forward a batch, compute `loss_fn(predictions, targets)`,
    backward, call the callbacks' `on_backward_end` (grads are ready), `optimizer.step()`,
    then `on_step_end`. For arrays, `batch_size=None` uses the whole training set per step
    and `shuffle` (default True) reorders samples every epoch (seeded by `seed`); a
    DataLoader makes its own batches (give it batch_size and shuffle). `progress` shows a
    tqdm bar with the epoch, loss and val loss; `progress=False` prints nothing.
    `accuracy` is "auto" (reported for classification losses), True or False.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer))
                                   or isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"fit: batch_size must be None (full batch) or an integer >= 1, "
                         f"got {batch_size!r}")
    data = _source("train", train, model)
    if isinstance(data, _LoaderBatches) and (batch_size is not None or shuffle is not None):
        raise ValueError("fit: train is a DataLoader, which decides the batches; give "
                         "batch_size and shuffle to the DataLoader, not to fit")
    shuffle = True if shuffle is None else shuffle
    y = data.y
    validation = None if val is None else _source("val", val, model)
    classes = np.unique(y) if y.dtype.kind in "iub" or np.all(y == np.round(y)) else y[:0]
    rule = _accuracy_rule(loss_fn, accuracy, y)
    callbacks = list(callbacks)
    rng = np.random.default_rng(seed)

    bar = _progress_bar(progress, epochs)
    state = TrainState(model, loss_fn, optimizer, epochs, bar)
    state.has_val = val is not None
    history = state.history
    model.train()
    try:
        _call(callbacks, "on_train_begin", state)
        for epoch in range(1, epochs + 1):
            if state.stop_training:
                break
            state.epoch = epoch
            _call(callbacks, "on_epoch_begin", state)
            lr = float(optimizer.param_groups[0]["lr"])
            total = 0.0
            seen = 0
            outputs: list = []                 # this epoch's predictions, for its accuracy
            targets: list = []
            for batch in data.epoch(batch_size, shuffle, rng):
                state.step += 1
                optimizer.zero_grad()
                try:
                    loss, preds, batch_targets = data.loss(model, loss_fn, batch)
                    loss.backward()
                except ArithmeticError as err:   # the scalar engine raises on overflow
                    _handle(callbacks, state, err)
                    break
                state.loss = loss
                state.loss_value = value = _loss_float(loss)
                history.steps["loss"].append(value)
                history.steps["lr"].append(float(optimizer.param_groups[0]["lr"]))
                total += value * len(batch_targets)
                if rule is not None:
                    outputs.append(preds)
                    targets.append(batch_targets)
                seen += len(batch_targets)
                _call(callbacks, "on_backward_end", state)
                if state.stop_training:
                    break
                optimizer.step()
                _call(callbacks, "on_step_end", state)
                if state.stop_training:
                    break
            state.loss = None      # let the last graph go
            logs = {"loss": total / max(seen, 1)}
            if rule is not None and outputs:
                logs["accuracy"] = _accuracy(data.outputs(outputs), np.concatenate(targets),
                                             classes, rule)
            if state.stop_training and seen == 0:
                break                              # not one step finished this epoch
            if validation is not None:
                try:
                    v = _evaluate(model, loss_fn, validation, rule, classes)
                except ArithmeticError as err:
                    _handle(callbacks, state, err)
                    v = {"loss": math.nan}
                logs["val_loss"] = v["loss"]
                if "accuracy" in v:
                    logs["val_accuracy"] = v["accuracy"]
            logs["lr"] = lr
            state.logs = logs
            history._record(epoch, logs)
            _call(callbacks, "on_epoch_end", state)
            if bar is not None:
                post = f"loss={logs['loss']:.4g}"
                if "val_loss" in logs:
                    post += f" val_loss={logs['val_loss']:.4g}"
                bar.set_postfix_str(post, refresh=False)
                bar.update(1)
        _call(callbacks, "on_train_end", state)
    finally:
        if bar is not None:
            bar.close()
    return history
