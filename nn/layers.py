"""Tensor layers with PyTorch's names, defaults, init and printing.

`Linear`, the activation modules, `Softmax`/`LogSoftmax`, `Flatten`, `Identity`, `Dropout`
and `BatchNorm1d` (containers such as `Sequential` are in nn/containers.py). A model written
for `torch.nn` ports by changing the imports.

>>> import numpy as np
>>> from autograd import Tensor
>>> import nn
>>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
>>> model(Tensor(np.ones((5, 2), np.float32))).shape
autograd.Size([5, 1])
>>> list(model.state_dict())
['0.weight', '0.bias', '2.weight', '2.bias']
>>> model
Sequential(
  (0): Linear(in_features=2, out_features=16, bias=True)
  (1): ReLU()
  (2): Linear(in_features=16, out_features=1, bias=True)
)
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Optional

import numpy as np

from autograd import dtypes
from autograd.devices import check_device
from autograd.errors import ShapeError
from autograd.mode import no_grad
from autograd.tensor_core import Tensor

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter



def _param_dtype(dtype: Any, device: Any) -> np.dtype:
    """Parameters get `autograd.get_default_dtype()` (float32 unless changed) unless told;
    pass dtype=autograd.float64 for gradchecks and parity tests."""
    check_device(device)
    return dtypes.default_float() if dtype is None else dtypes.to_numpy(dtype)

__all__ = ["Linear", "Softmax", "LogSoftmax", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "ELU",
           "Softplus", "Identity", "Flatten", "Dropout", "BatchNorm1d"]


class Linear(Module):
    """y = x Wᵀ + b with W of shape (out_features, in_features).

    Weight and bias start from U(−1/√in, 1/√in), PyTorch's default (its
    `kaiming_uniform_(W, a=√5)` is that same distribution). Seed with `generator=`.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None,
                 generator: Optional[np.random.Generator] = None) -> None:
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or n < 0:
                raise ValueError(f"Linear: {name} must be a non-negative integer, got {n!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = _param_dtype(dtype, device)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Optional[np.random.Generator] = None) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, x: Tensor) -> Tensor:
        shape = np.shape(x.raw_data if isinstance(x, Tensor) else x)
        if shape[-1:] != (self.in_features,):
            raise ShapeError(f"Linear: expected input with last dimension {self.in_features}"
                             f", got shape {shape}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


# ---------------------------------------------------------------- activations

class ReLU(Module):
    """max(x, 0) elementwise (the gradient at 0 is 0, as in PyTorch)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class LeakyReLU(Module):
    """x if x > 0 else negative_slope·x."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """tanh(x) elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    """1 / (1 + e^-x) elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class GELU(Module):
    """x·Φ(x); `approximate='tanh'` gives PyTorch's tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class ELU(Module):
    """x if x > 0 else alpha·(e^x - 1)."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return x.elu(self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softplus(Module):
    """log(1 + e^(beta·x)) / beta; linear where beta·x > threshold (PyTorch's)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


def legacy_softmax_dim(name: str, ndim: int) -> int:
    """The dim PyTorch picks when softmax gets none (deprecated, with its warning): 0 for
    0-, 1- and 3-D inputs, else 1 (a batch of rows, or of images' channels)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", UserWarning, stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """exp(x) / Σ exp(x) along `dim` (the implicit legacy choice, with a warning, if None)."""

    def __init__(self, dim: Optional[int] = None) -> None:
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        dim = legacy_softmax_dim("softmax", x.ndim) if self.dim is None else self.dim
        return x.softmax(dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along `dim`, computed stably (feed it to NLLLoss)."""

    def forward(self, x: Tensor) -> Tensor:
        dim = legacy_softmax_dim("log_softmax", x.ndim) if self.dim is None else self.dim
        return x.log_softmax(dim)


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. a "linear" activation)."""

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge dims start_dim..end_dim into one (by default all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


# ---------------------------------------------------------------- train/eval layers

class Dropout(Module):
    """Inverted dropout in training (survivors × 1/(1−p)); the identity in eval mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False,
                 generator: Optional[np.random.Generator] = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        if inplace:
            raise ValueError("Dropout: inplace=True is not supported (the graph keeps every "
                             "intermediate value so it can be drawn and inspected)")
        self.p = p
        self.inplace = inplace
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class BatchNorm1d(Module):
    """Normalise each feature over the batch (and length) dims, then scale and shift.

    Training: batch mean and biased variance normalise; the running estimates get the
    unbiased variance, blended with `momentum` (or a cumulative average when it is None).
    Eval: the running estimates normalise (the batch statistics when they are not tracked).
    Input: (N, C) or (N, C, L).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = _param_dtype(dtype, device)
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        # PyTorch 2.13's keyword `bias=False` keeps the scale and drops the shift.
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (2, 3):
            raise ValueError(f"BatchNorm1d: expected 2D or 3D input (got {x.ndim}D input)")
        if x.shape[1] != self.num_features:
            raise ShapeError(f"BatchNorm1d: expected {self.num_features} features in dim 1, "
                             f"got input of shape {tuple(x.shape)}")
        dims = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        # Per-feature factors are folded together first, so only a few ops touch all N·C
        # numbers: y = (x − mean)·(w/√(var + eps)) + b.
        if self.training or not self.track_running_stats:
            count = x.numel() // self.num_features
            if self.training and count <= 1:
                raise ValueError(f"Expected more than 1 value per channel when training, "
                                 f"got input size {tuple(x.shape)}")
            mean = x.mean(dim=dims, keepdim=True)
            centred = x - mean
            var = (centred * centred).mean(dim=dims, keepdim=True)   # biased, as PyTorch's
            scale = (var + self.eps) ** -0.5
            if self.training and self.track_running_stats:
                self._update_running_stats(mean.raw_data.reshape(-1), var.raw_data.reshape(-1),
                                          count)
        else:
            centred = x - self.running_mean.reshape(shape)
            scale = ((self.running_var + self.eps) ** -0.5).reshape(shape)
        if self.weight is not None:
            scale = scale * self.weight.reshape(shape)
        y = centred * scale
        return y if self.bias is None else y + self.bias.reshape(shape)

    def _update_running_stats(self, mean: np.ndarray, var: np.ndarray, count: int) -> None:
        with no_grad():
            self.num_batches_tracked += 1
            m = (1.0 / float(self.num_batches_tracked) if self.momentum is None
                 else self.momentum)
            # In place: the state_dict and load_state_dict address these very tensors.
            self.running_mean.mul_(1.0 - m).add_(m * mean)
            self.running_var.mul_(1.0 - m).add_(m * var * (count / (count - 1)))  # unbiased

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")
