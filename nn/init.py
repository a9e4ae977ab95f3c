"""Weight initialisers with PyTorch's names, formulas and errors (`torch.nn.init`).

Each one fills a Tensor (or Parameter) IN PLACE without recording a graph, and returns it.
Randomness comes from `generator=` (a `numpy.random.Generator`) when given, else from the
global stream that `autograd.manual_seed` resets (see `default_generator`).

>>> import numpy as np
>>> from nn import Parameter, init
>>> w = Parameter(np.zeros((256, 128)))
>>> _ = init.kaiming_uniform_(w, generator=np.random.default_rng(0))
>>> bool(abs(w.data).max() <= np.sqrt(6 / 128))       # bound = gain·√(3/fan_in), gain = √2
True
>>> init.calculate_gain("tanh")
1.6666666666666667
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Optional, Tuple

import numpy as np

from autograd import random as _random
from autograd.mode import no_grad

_LINEAR_GAINS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                 "conv_transpose2d", "conv_transpose3d", "sigmoid")


def default_generator() -> np.random.Generator:
    """The global random stream shared with `randn`/`rand` (seed it with
    `autograd.manual_seed`)."""
    return _random.default_generator   # looked up each time: one shared Generator object


def _rng(generator: Optional[np.random.Generator]) -> np.random.Generator:
    return default_generator() if generator is None else generator


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The gain that keeps activations' variance stable through `nonlinearity`.

    >>> calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / (1 + 0.2 ** 2))
    True
    """
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Any) -> Tuple[int, int]:
    """(fan_in, fan_out): size(1)·receptive field and size(0)·receptive field."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer "
                         "than 2 dimensions")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Any, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Any, values: Any) -> Any:
    # Write into the existing array: the model and any optimizer state hold this object.
    with no_grad():
        tensor.copy_(values)
    return tensor


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0,
             generator: Optional[np.random.Generator] = None) -> Any:
    """Fill with draws from U(a, b)."""
    return _fill(tensor, _rng(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0,
            generator: Optional[np.random.Generator] = None) -> Any:
    """Fill with draws from N(mean, std²)."""
    return _fill(tensor, _rng(generator).normal(mean, std, size=tensor.shape))


def constant_(tensor: Any, val: float) -> Any:
    """Fill with `val`."""
    return _fill(tensor, val)


def zeros_(tensor: Any) -> Any:
    """Fill with 0."""
    return _fill(tensor, 0.0)


def ones_(tensor: Any) -> Any:
    """Fill with 1."""
    return _fill(tensor, 1.0)


def xavier_uniform_(tensor: Any, gain: float = 1.0,
                    generator: Optional[np.random.Generator] = None) -> Any:
    """U(−a, a) with a = gain·√(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Any, gain: float = 1.0,
                   generator: Optional[np.random.Generator] = None) -> Any:
    """N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Any, a: float, mode: str, nonlinearity: str) -> Optional[float]:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor: Any, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Optional[np.random.Generator] = None) -> Any:
    """U(−bound, bound) with bound = gain·√(3 / fan_mode) (He et al., 2015).

    `a` is the negative slope of the leaky ReLU that follows (0 means ReLU).
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Any, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Optional[np.random.Generator] = None) -> Any:
    """N(0, std²) with std = gain / √fan_mode (He et al., 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)
