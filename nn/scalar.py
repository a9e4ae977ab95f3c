"""micrograd-compatible scalar networks: `Neuron`, `Layer`, `MLP` built from `Value`s.

`MLP(2, [16, 16, 1])` is micrograd's: ReLU hidden layers, a linear last layer, weights from
`random.uniform(-1, 1)` (the global `random` module, so `random.seed(1337)` gives micrograd's
exact weights), biases 0, and `parameters()` in micrograd's order (per neuron: w, then b).

By default a neuron's pre-activation w·x + b is ONE node (`autograd.affine`): same numbers,
far fewer nodes, much faster. `fused=False` builds micrograd's per-op graph (one × and one +
per input) — what you want when drawing how a neuron computes.

>>> import random; random.seed(1337)
>>> model = MLP(2, [16, 16, 1])
>>> len(model.parameters())
337
>>> per_op = MLP(2, [16, 16, 1], fused=False); _ = per_op.load_state_dict(model.state_dict())
>>> model([2.0, -1.0]).data == per_op([2.0, -1.0]).data
True
"""
from __future__ import annotations

import math
import random
from typing import Any, List, Optional, Sequence, Union

from autograd.value import Value, _affine, as_inputs

from .module import Module

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "softplus")
# How `print(model)` names a neuron, in micrograd's format (ReLUNeuron(2), LinearNeuron(16)).
_PRINTED = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear",
            "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "softplus": "Softplus"}
INITS = ("uniform", "he", "xavier")
_ACTIVATE = {name: getattr(Value, name) for name in ACTIVATIONS if name != "linear"}


def _init_weight(init: str, nin: int, nout: int, rng: Any) -> float:
    if init == "uniform":      # micrograd's
        return rng.uniform(-1.0, 1.0)
    if init == "he":           # Kaiming normal, fan_in, for ReLU
        return rng.gauss(0.0, math.sqrt(2.0 / nin))
    bound = math.sqrt(6.0 / (nin + nout))  # Xavier (Glorot) uniform
    return rng.uniform(-bound, bound)


def _rng(seed: Optional[int], rng: Any) -> Any:
    if rng is not None:
        return rng
    return random.Random(seed) if seed is not None else random  # global: micrograd's stream


class Neuron(Module):
    """activation(w·x + b) for one output.

    >>> n = Neuron(2, activation="tanh", seed=0)
    >>> type(n([1.0, 2.0])).__name__
    'Value'
    """

    def __init__(self, nin: int, activation: str = "relu", nonlin: Optional[bool] = None,
                 init: str = "uniform", fused: bool = True, seed: Optional[int] = None,
                 rng: Any = None, nout: int = 1) -> None:
        if nonlin is not None:  # micrograd's spelling: Neuron(nin, nonlin=False)
            activation = "relu" if nonlin else "linear"
        if activation not in ACTIVATIONS:
            raise ValueError(f"Neuron: unknown activation {activation!r}; choose from {ACTIVATIONS}")
        if init not in INITS:
            raise ValueError(f"Neuron: unknown init {init!r}; choose from {INITS}")
        if not isinstance(nin, int) or nin < 1:
            raise ValueError(f"Neuron: nin must be a positive integer, got {nin!r}")
        r = _rng(seed, rng)
        self.w = [Value(_init_weight(init, nin, nout, r)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation
        self.fused = fused

    @property
    def nonlin(self) -> bool:
        return self.activation != "linear"

    def forward(self, x: Union[Sequence[Any], Value]) -> Value:
        x = as_inputs(x)
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        if self.fused:
            act = _affine(self.w, self.b, x)
        else:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act if self.activation == "linear" else _ACTIVATE[self.activation](act)

    def extra_repr(self) -> str:
        return f"{len(self.w)}, activation={self.activation!r}"

    def __str__(self) -> str:
        """micrograd's print format: `ReLUNeuron(2)` (repr() keeps the module form)."""
        return f"{_PRINTED[self.activation]}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons reading the same inputs. Returns a list, or a bare Value when nout == 1
    (micrograd's behaviour); it also accepts a bare Value as input, so a 1-neuron hidden layer
    works (`MLP(2, [1, 1])`, which breaks in micrograd)."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        if not isinstance(nout, int) or nout < 1:
            raise ValueError(f"Layer: nout must be a positive integer, got {nout!r}")
        r = _rng(kwargs.pop("seed", None), kwargs.pop("rng", None))
        self.neurons = [Neuron(nin, rng=r, nout=nout, **kwargs) for _ in range(nout)]

    def forward(self, x: Union[Sequence[Any], Value]) -> Union[Value, List[Value]]:
        x = as_inputs(x)  # once per layer, not once per neuron
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def extra_repr(self) -> str:
        n = self.neurons[0]
        return f"{len(n.w)}, {len(self.neurons)}, activation={n.activation!r}"

    def __repr__(self) -> str:  # a hundred neurons are one line, not a hundred
        return f"Layer({self.extra_repr()})"

    def __str__(self) -> str:
        """micrograd's print format: `Layer of [ReLUNeuron(2), ReLUNeuron(2)]`."""
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: `MLP(nin, [h1, h2, ..., nout])`.

    Hidden layers use `activation` (ReLU by default), the last layer `output_activation`
    (linear by default), as in micrograd. Reproducible with `seed=` or `rng=`.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 output_activation: str = "linear", init: str = "uniform", fused: bool = True,
                 seed: Optional[int] = None, rng: Any = None) -> None:
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer size")
        r = _rng(seed, rng)
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1],
                             activation=output_activation if i == last else activation,
                             init=init, fused=fused, rng=r)
                       for i in range(len(nouts))]

    def forward(self, x: Union[Sequence[Any], Value]) -> Union[Value, List[Value]]:
        for layer in self.layers:
            x = layer(x)
        return x

    def __str__(self) -> str:
        """micrograd's print format, so `print(model)` shows what micrograd's does:

        >>> print(MLP(2, [2, 1], seed=0))
        MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]

        `repr(model)` keeps the module tree (`MLP(\\n  (layers.0): Layer(2, 2, ...)`).
        """
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
