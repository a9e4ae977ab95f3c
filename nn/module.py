"""`Module`: the base of every network, scalar or tensor, with PyTorch's names.

Parameters and submodules register themselves by attribute assignment. A scalar parameter
is an `autograd.Value` (or a list of them, e.g. a neuron's weights); a tensor parameter is
anything with `_is_parameter = True` (`nn.Parameter`). Lists of modules are children named
`name.0`, `name.1`, ... as in micrograd's `layers` and `neurons`.

>>> from nn import MLP
>>> m = MLP(2, [3, 1], seed=0)
>>> [name for name, _ in m.named_parameters()][:3]
['layers.0.neurons.0.w.0', 'layers.0.neurons.0.w.1', 'layers.0.neurons.0.b']
>>> sorted(m.state_dict())[:2]
['layers.0.neurons.0.b', 'layers.0.neurons.0.w']
"""
from __future__ import annotations

import gc
import weakref
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, NamedTuple, Tuple

import numpy as np

from autograd.mode import STATE
from autograd.value import Value


def is_parameter(x: Any) -> bool:
    """True for a scalar Value weight or a tensor `Parameter` (what `parameters()` collects)."""
    return type(x) is Value or getattr(x, "_is_parameter", False)


def _is_value_list(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(type(v) is Value for v in x)


def _is_module_list(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(m, Module) for m in x)


class _BufferRef(NamedTuple):
    module: Any
    name: str


class IncompatibleKeys(NamedTuple):
    missing_keys: List[str]
    unexpected_keys: List[str]


class Module:
    """Base class: subclasses define `forward`; calling the module runs it.

    While `forward` runs, every node it creates is tagged with this module, so drawings can
    group a network's nodes into clusters named after its modules.
    """

    training: bool = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        saved = STATE.scope
        if saved is not None:
            STATE.scope = self
            try:
                return self.forward(*args, **kwargs)
            finally:
                STATE.scope = saved
        # The outermost call. Our graphs hold no reference cycles, so the cyclic garbage
        # collector has nothing to find in the nodes a forward pass makes; scanning them
        # anyway cost ~60% of a per-op MLP's run time. Pause it for the pass.
        if not self.__dict__.get("_names_ready", False):
            self._assign_qualnames()
        paused = gc.isenabled()
        gc.disable()
        STATE.scope = self
        try:
            return self.forward(*args, **kwargs)
        finally:
            STATE.scope = None
            if paused:
                gc.enable()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__} must define forward()")

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Module) or _is_module_list(value):
            self.__dict__["_names_ready"] = False
        object.__setattr__(self, name, value)

    def _assign_qualnames(self) -> None:
        for name, module in self.named_modules():
            module.__dict__["_qualname"] = name or type(module).__name__
            # Drawings name every box through the root; a weakref is neither a child module
            # nor a reference cycle.
            module.__dict__["_root"] = weakref.ref(self)
        self.__dict__["_names_ready"] = True

    # ---- structure ----
    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif _is_module_list(value):
                for i, m in enumerate(value):
                    yield f"{name}.{i}", m

    def children(self) -> Iterator["Module"]:
        return (m for _, m in self.named_children())

    def named_modules(self, prefix: str = "") -> Iterator[Tuple[str, "Module"]]:
        stack = [(prefix, self)]
        seen = set()
        while stack:  # iterative: deep module trees are fine
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator["Module"]:
        return (m for _, m in self.named_modules())

    def _own_parameters(self) -> Iterator[Tuple[str, Any]]:
        for name, value in vars(self).items():
            if is_parameter(value):
                yield name, value
            elif _is_value_list(value):
                for i, v in enumerate(value):
                    yield f"{name}.{i}", v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[Tuple[str, Any]]:
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, module in modules:
            for pname, p in module._own_parameters():
                if remove_duplicate and id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self, recurse: bool = True) -> List[Any]:
        """All parameters, in registration order (micrograd's order: per neuron w, then b).

        A list rather than PyTorch's iterator, so micrograd's `len(model.parameters())` works.
        """
        return [p for _, p in self.named_parameters(recurse=recurse)]

    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """A non-parameter array saved in the state_dict (e.g. BatchNorm's running mean)."""
        buffers = self.__dict__.setdefault("_buffer_names", [])
        if name not in buffers:
            buffers.append(name)
        object.__setattr__(self, name, value)

    def named_buffers(self, prefix: str = "") -> Iterator[Tuple[str, Any]]:
        for mname, module in self.named_modules(prefix):
            for b in module.__dict__.get("_buffer_names", []):
                yield (f"{mname}.{b}" if mname else b), getattr(module, b)

    # ---- dtype ----
    def to(self, dtype: Any) -> "Module":
        """Cast every tensor parameter and floating buffer to `dtype` (e.g. np.float64).

        Call it before making the optimizer, as in PyTorch: the arrays are replaced.
        Scalar `Value` parameters are Python floats (float64) and are left alone.
        """
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: only floating dtypes are supported, got {dtype}")
        for p in self.parameters():
            if type(p) is not Value:
                p.raw_data = p.raw_data.astype(dtype)
                p.raw_grad = None if p.raw_grad is None else p.raw_grad.astype(dtype)
        for module in self.modules():
            for b in module.__dict__.get("_buffer_names", []):
                value = getattr(module, b)
                if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                    object.__setattr__(module, b, value.astype(dtype))
        return self

    def double(self) -> "Module":
        return self.to(np.float64)

    def float(self) -> "Module":
        return self.to(np.float32)

    # ---- modes and gradients ----
    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear parameter gradients. Scalar Values always get 0.0 (they accumulate with +=)."""
        for p in self.parameters():
            if type(p) is Value:
                p.grad = 0.0
            elif set_to_none or p.raw_grad is None:
                p.raw_grad = None
            else:
                p.raw_grad[...] = 0

    # ---- saving ----
    def _state_entries(self) -> "OrderedDict[str, Any]":
        """name -> the live object(s) behind each state_dict entry."""
        entries: "OrderedDict[str, Any]" = OrderedDict()
        for mname, module in self.named_modules():
            for name, value in vars(module).items():
                full = f"{mname}.{name}" if mname else name
                if is_parameter(value) or _is_value_list(value):
                    entries[full] = value
            for b in module.__dict__.get("_buffer_names", []):
                entries[f"{mname}.{b}" if mname else b] = _BufferRef(module, b)
        return entries

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """name -> a copy of the numbers, as NumPy arrays (PyTorch key names)."""
        return OrderedDict((k, _read(v)) for k, v in self._state_entries().items())

    def load_state_dict(self, state_dict: Dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        entries = self._state_entries()
        missing = [k for k in entries if k not in state_dict]
        unexpected = [k for k in state_dict if k not in entries]
        if strict and (missing or unexpected):
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                               f"missing keys {missing}, unexpected keys {unexpected}")
        for key, target in entries.items():
            if key not in state_dict:
                continue
            new = np.asarray(state_dict[key])
            have = _read(target)
            if new.shape != have.shape:
                raise RuntimeError(f"size mismatch for {key}: the checkpoint has shape "
                                   f"{new.shape}, the model has {have.shape}")
            _write(target, new)
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: str) -> None:
        """Write the state_dict to an .npz file (plain arrays, no pickle)."""
        # Through a file object so the file is exactly `path`: np.savez(path) would append
        # ".npz" and `load(path)` would then not find it.
        with open(path, "wb") as f:
            np.savez(f, **self.state_dict())

    def load(self, path: str, strict: bool = True) -> IncompatibleKeys:
        """Load an .npz written by `save`. Files holding pickled objects are refused."""
        try:
            loaded = np.load(path, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):  # a bare .npy array
                raise ValueError("it holds one array, not named arrays")
            with loaded as data:
                state = {k: data[k] for k in data.files}
        except ValueError as err:
            raise ValueError(f"{path}: not a plain-array .npz state_dict ({err}); glassgrad "
                             f"never loads pickled objects") from None
        return self.load_state_dict(state, strict=strict)

    # ---- printing ----
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        kids = list(self.named_children())
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not kids:
            return head + ")"
        lines = [head]
        for name, m in kids:
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


def _read(target: Any) -> np.ndarray:
    if type(target) is Value:
        return np.array(target.data)
    if isinstance(target, _BufferRef):
        return np.array(getattr(*target), copy=True)
    if isinstance(target, (list, tuple)):
        return np.array([v.data for v in target])
    return np.array(target.raw_data, copy=True)


def _write(target: Any, new: np.ndarray) -> None:
    if type(target) is Value:
        target.data = float(new)
    elif isinstance(target, _BufferRef):
        getattr(*target)[...] = new
    elif isinstance(target, (list, tuple)):
        for v, x in zip(target, new.tolist()):
            v.data = float(x)
    else:
        target.raw_data[...] = new
