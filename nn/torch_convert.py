"""Models that cross both ways: `nn.from_torch(torch_model)` and `model.to_torch()`.

A PyTorch model made of the layers glassgrad has becomes the glassgrad model with the same
structure, weights, buffers, `requires_grad` flags and train/eval modes (and back), so
its graph can be drawn with glassgrad's full detail. Both libraries use the same class
and constructor-argument names, so one table says what crosses; containers
(`Sequential`, `ModuleList`, `ModuleDict`) cross with their children's names.
A model containing anything else (a convolution, or a custom module whose `forward` is
Python code) raises one `UnsupportedLayer` naming the layer and where it sits.

>>> import importlib.util
>>> import nn
>>> model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
>>> if importlib.util.find_spec("torch"):           # PyTorch is an optional dependency
...     back = from_torch(model.to_torch())
...     same = [type(m).__name__ for m in back] == ["Linear", "Tanh", "Linear"]
... else:
...     same = True
>>> same
True
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

# Layer name -> the constructor arguments read from the module (same names on both sides).
LAYERS: Dict[str, Tuple[str, ...]] = {
    "Linear": ("in_features", "out_features", "bias"),
    "ReLU": (), "Tanh": (), "Sigmoid": (), "Identity": (),
    "LeakyReLU": ("negative_slope",), "GELU": ("approximate",), "ELU": ("alpha",),
    "Softplus": ("beta", "threshold"), "Softmax": ("dim",), "LogSoftmax": ("dim",),
    "Flatten": ("start_dim", "end_dim"), "Dropout": ("p",),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats",
                    "bias"),
    "MSELoss": ("reduction",), "L1Loss": ("reduction",),
    "HuberLoss": ("reduction", "delta"), "SmoothL1Loss": ("reduction", "beta"),
    "BCELoss": ("weight", "reduction"),
    "BCEWithLogitsLoss": ("weight", "reduction", "pos_weight"),
    "CrossEntropyLoss": ("weight", "ignore_index", "reduction", "label_smoothing"),
    "NLLLoss": ("weight", "ignore_index", "reduction"),
}
CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
_HAS_DTYPE = ("Linear", "BatchNorm1d")        # parameters made in the source's dtype
_FLAGS = ("bias",)                            # a Parameter or None on the module, a bool here
_BUFFERS = ("weight", "pos_weight")           # loss weights: tensors or None


class UnsupportedLayer(TypeError):
    """A model holds a layer the other library has no equivalent for."""


def _supported(target: str) -> str:
    return (f"{target} has {', '.join(sorted(LAYERS))} and the containers "
            f"{', '.join(CONTAINERS)}")


class _Side:
    """One library as the conversion sees it: its layer classes and its tensors."""

    def __init__(self, name: str, classes: Any, is_module: Callable, to_array: Callable,
                 from_array: Callable, dtype: Callable, default_float: Any) -> None:
        self.name = name
        self.classes = classes            # the namespace holding the layer classes
        self.is_module = is_module
        self.to_array = to_array          # a tensor of this side -> ndarray
        self.from_array = from_array      # an ndarray -> a tensor of this side
        self.dtype = dtype                # a NumPy dtype -> this side's dtype
        self.default_float = default_float  # NumPy dtype of this side's loss weights

    def kind(self, module: Any) -> str:
        """The layer name of `module`, if it is exactly one of the table's classes."""
        name = type(module).__name__
        if (name in LAYERS or name in CONTAINERS) and \
                type(module) is getattr(self.classes, name, None):
            return name
        return ""


def _glassgrad_side() -> _Side:
    import nn
    from autograd.tensor_core import Tensor
    return _Side("glassgrad", nn, lambda m: isinstance(m, nn.Module),
                 lambda t: np.array(t.raw_data), Tensor, lambda d: d, np.float64)


def _torch_side() -> _Side:
    from viz.torch_support import require_torch, to_numpy
    torch = require_torch("glassgrad's PyTorch conversion")
    return _Side("PyTorch", torch.nn, lambda m: isinstance(m, torch.nn.Module),
                 lambda t: np.array(to_numpy(t)), torch.from_numpy,
                 lambda d: torch.from_numpy(np.empty(0, d)).dtype,
                 torch.empty(0).numpy().dtype)


def _arguments(name: str, module: Any, source: _Side, target: _Side) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {}
    for arg in LAYERS[name]:
        value = getattr(module, arg)
        if arg in _FLAGS and not isinstance(value, bool):
            value = value is not None
        elif arg in _BUFFERS and value is not None:
            # glassgrad keeps loss weights in float64; PyTorch gets its default dtype.
            value = target.from_array(source.to_array(value).astype(target.default_float))
        kwargs[arg] = value
    if name in _HAS_DTYPE:
        tensor = module.weight if module.weight is not None else module.running_var
        if tensor is not None:
            kwargs["dtype"] = target.dtype(source.to_array(tensor).dtype)
    return kwargs


def _convert(root: Any, source: _Side, target: _Side, caller: str) -> Any:
    if not source.is_module(root):
        raise TypeError(f"{caller} needs a {source.name} module, got {type(root).__name__}")
    modules: List[Tuple[str, Any]] = list(root.named_modules())
    for path, m in modules:
        if not source.kind(m):
            cls = type(m)
            where = f"at {path!r}" if path else "(the model itself)"
            if getattr(source.classes, cls.__name__, None) is cls:     # the library's own
                named, custom = f"{source.classes.__name__}.{cls.__name__}", ""
            else:
                named = f"{cls.__module__}.{cls.__qualname__}"
                custom = (" (a custom module: its forward() is Python code that cannot be "
                          "converted; convert the layers it holds one by one)")
            raise UnsupportedLayer(f"{caller}: {named} {where} has no {target.name} "
                                   f"equivalent{custom}. {_supported(target.name)}.")
    made: Dict[int, Any] = {}
    # Children before their containers (named_modules lists parents first).
    for _, m in reversed(modules):
        name = source.kind(m)
        cls = getattr(target.classes, name)
        children = [(n, made[id(c)]) for n, c in m.named_children()]
        if name == "Sequential":
            made[id(m)] = cls(OrderedDict(children))
        elif name == "ModuleList":
            made[id(m)] = cls([c for _, c in children])
        elif name == "ModuleDict":
            made[id(m)] = cls(OrderedDict(children))
        else:
            made[id(m)] = cls(**_arguments(name, m, source, target))
    result = made[id(root)]
    state = {k: target.from_array(source.to_array(v)) for k, v in root.state_dict().items()}
    result.load_state_dict(state)
    flags = dict(root.named_parameters())
    for name, p in result.named_parameters():
        p.requires_grad_(flags[name].requires_grad)
    for path, m in modules:              # parents first: a child's own mode wins
        made[id(m)].train(m.training)
    return result


def from_torch(module: Any) -> Any:
    """The glassgrad equivalent of a PyTorch model (same structure, weights, buffers,
    `requires_grad` and train/eval modes). Raises `UnsupportedLayer` naming a layer
    glassgrad does not have."""
    return _convert(module, _torch_side(), _glassgrad_side(), "nn.from_torch")


def to_torch(module: Any) -> Any:
    """The PyTorch equivalent of a glassgrad model: `model.to_torch()`."""
    return _convert(module, _glassgrad_side(), _torch_side(), "to_torch")
