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

import weakref
from collections import OrderedDict
from operator import is_
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

import numpy as np

import autograd
from autograd.collector import graph_work
from autograd.devices import check_device, is_device
from autograd.dtypes import to_numpy
from autograd.mode import THREAD, no_grad
from autograd.tensor_core import Tensor
from autograd.value import Value

_GRAPH_WORK = graph_work()


def is_parameter(x: Any) -> bool:
    """True for a scalar Value weight or a tensor `Parameter` (what `parameters()` collects)."""
    return type(x) is Value or getattr(x, "_is_parameter", False)


def _is_value_list(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(type(v) is Value for v in x)


def _is_module_list(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(m, Module) for m in x)


def _structural(x: Any) -> bool:
    """Whether assigning (or replacing) `x` can change what `parameters()` finds."""
    return is_parameter(x) or isinstance(x, (Module, list, tuple))


class _Structure:
    version = 0  # bumped by every change that can add, remove or replace a parameter


def structure_changed() -> None:
    """Tell cached `parameters()` lists to look again (module code that edits `__dict__`
    directly calls this)."""
    _Structure.version += 1


class _ParameterCache:
    """A module tree's parameters, with what is needed to notice they may have changed: the
    structure version when built, and a copy of every list a module holds (neuron weights,
    lists of layers), which can be edited in place without any assignment to a module."""

    __slots__ = ("version", "lists", "params")

    def __init__(self, root: "Module") -> None:
        self.version = _Structure.version  # read first: a change during the walk counts
        self.lists = [(v, list(v)) for m in root.modules() for v in vars(m).values()
                      if isinstance(v, list)]
        self.params = [p for _, p in root.named_parameters()]

    def still_valid(self) -> bool:
        # Identity, not ==: a list may hold Tensors, whose == is elementwise.
        return self.version == _Structure.version and all(
            len(now) == len(then) and all(map(is_, now, then)) for now, then in self.lists)


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
        state = THREAD.recording  # this thread's: a forward in another thread has its own
        saved = state.scope
        if saved is not None:
            state.scope = self
            try:
                return self.forward(*args, **kwargs)
            finally:
                state.scope = saved
        # The outermost call. Our graphs hold no reference cycles, so the cyclic garbage
        # collector has nothing to find in the nodes a forward pass makes; keep it off them.
        if not self.__dict__.get("_names_ready", False):
            self._assign_qualnames()
        with _GRAPH_WORK:
            state.scope = self
            try:
                return self.forward(*args, **kwargs)
            finally:
                state.scope = None

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__} must define forward()")

    def __getstate__(self) -> dict:
        # copy.deepcopy(model): the copy names its modules through its own root.
        state = dict(self.__dict__)
        for key in ("_root", "_qualname", "_names_ready", "_parameter_cache"):
            state.pop(key, None)
        return state

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Module) or _is_module_list(value):
            self.__dict__["_names_ready"] = False
        if _structural(value) or _structural(self.__dict__.get(name)):
            structure_changed()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        structure_changed()
        object.__delattr__(self, name)

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
        Kept between calls (a training step asks three times): assigning or deleting a
        module attribute, or changing a list a module holds, makes the next call look again.
        """
        if not recurse:
            return [p for _, p in self.named_parameters(recurse=False)]
        cache = self.__dict__.get("_parameter_cache")
        if cache is None or not cache.still_valid():
            cache = _ParameterCache(self)
            self.__dict__["_parameter_cache"] = cache
        return list(cache.params)

    def register_buffer(self, name: str, tensor: Optional[Tensor],
                        persistent: bool = True) -> None:
        """A non-parameter Tensor kept with the module (e.g. BatchNorm's running mean): moved
        by `to()`, and saved in the state_dict unless `persistent=False`."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (autograd Tensor or None required)")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"buffer name must be a non-empty string without '.', got {name!r}")
        buffers = self.__dict__.setdefault("_buffer_names", {})
        buffers[name] = persistent
        object.__setattr__(self, name, tensor)

    def named_buffers(self, prefix: str = "", recurse: bool = True
                      ) -> Iterator[Tuple[str, Tensor]]:
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, module in modules:
            for b in module.__dict__.get("_buffer_names", {}):
                value = getattr(module, b)
                if value is not None:
                    yield (f"{mname}.{b}" if mname else b), value

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        return (b for _, b in self.named_buffers(recurse=recurse))

    def register_parameter(self, name: str, param: Any) -> None:
        """Register `param` (a Parameter, or None) under `name`, like attribute assignment."""
        if param is not None and not getattr(param, "_is_parameter", False):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (nn.Parameter or None required)")
        setattr(self, name, param)

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        """Register `module` as a child named `name` (`register_module` in PyTorch too)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        setattr(self, name, module)

    register_module = add_module

    # ---- dtype and device ----
    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """`to(dtype)`, `to(device)`, `to(device, dtype)` or `to(tensor)`: cast every tensor
        parameter and floating buffer to a floating `dtype`, in place (the Parameter objects
        stay, so an optimizer made before still holds them). Only the CPU exists. Scalar
        `Value` parameters are Python floats and are left alone."""
        dtype = kwargs.pop("dtype", None)
        check_device(kwargs.pop("device", None))
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"Module.to() got unexpected keyword arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.raw_data.dtype
            elif is_device(arg):
                check_device(arg)
            else:
                dtype = arg
        if dtype is None:
            return self
        dtype = to_numpy(dtype)
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired "
                            f"dtype={autograd.dtypes.of(dtype)}")
        tensors = [p for p in self.parameters() if type(p) is not Value]
        tensors += [b for b in self.buffers() if b.raw_data.dtype.kind == "f"]
        for t in tensors:
            t.raw_data = t.raw_data.astype(dtype)
            t.raw_grad = None if t.raw_grad is None else t.raw_grad.astype(dtype)
        return self

    def type(self, dst_type: Any) -> "Module":
        return self.to(dst_type)

    def double(self) -> "Module":
        return self.to(np.float64)

    def float(self) -> "Module":
        return self.to(np.float32)

    def half(self) -> "Module":
        return self.to(np.float16)

    def cpu(self) -> "Module":
        return self

    def cuda(self, device: Any = None) -> "Module":
        check_device("cuda" if device is None else device)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Switch gradient tracking on or off for every tensor parameter (freezing)."""
        for p in self.parameters():
            if type(p) is not Value:
                p.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call `fn` on every submodule (children first) and then on this module, e.g. to
        initialise weights: `model.apply(init_weights)`."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

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
            for b, persistent in module.__dict__.get("_buffer_names", {}).items():
                if persistent and getattr(module, b) is not None:
                    entries[f"{mname}.{b}" if mname else b] = getattr(module, b)
        return entries

    def state_dict(self, *, keep_vars: bool = False) -> "OrderedDict[str, Tensor]":
        """name -> Tensor, with PyTorch's key names: detached tensors sharing the parameters'
        and buffers' memory (as PyTorch's; `copy.deepcopy` it to keep a snapshot), or the
        Parameters themselves with `keep_vars=True`. A scalar `Value` parameter (a float)
        appears as a float64 tensor holding a copy of its number(s)."""
        return OrderedDict((k, _read(v, keep_vars)) for k, v in self._state_entries().items())

    def load_state_dict(self, state_dict: Dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy the checkpoint's values (Tensors or arrays) into this module's parameters
        and buffers, in place. `strict`: the keys must match exactly (RuntimeError)."""
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
            have = np.shape(_numbers(target))
            if new.shape != have:
                raise RuntimeError(f"size mismatch for {key}: the checkpoint has shape "
                                   f"{new.shape}, the model has {have}")
            _write(target, new)
        return IncompatibleKeys(missing, unexpected)

    def to_torch(self) -> Any:
        """The PyTorch equivalent of this model (needs PyTorch): nn/torch_convert.py."""
        from .torch_convert import to_torch
        return to_torch(self)

    def save(self, path: str) -> None:
        """Write the state_dict to an .npz file (plain arrays, no pickle): `autograd.save`."""
        autograd.save(self.state_dict(), path)

    def load(self, path: str, strict: bool = True) -> IncompatibleKeys:
        """Load a file written by `save` (`autograd.load`, which never unpickles)."""
        return self.load_state_dict(autograd.load(path), strict=strict)

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


def _numbers(target: Any) -> Any:
    """A state entry's numbers: a float, a list of floats or an array."""
    if type(target) is Value:
        return target.data
    if isinstance(target, (list, tuple)):
        return [v.data for v in target]
    return target.raw_data


def _read(target: Any, keep_vars: bool) -> Tensor:
    if isinstance(target, Tensor):
        return target if keep_vars else target.detach()
    return autograd.tensor(np.array(_numbers(target), dtype=np.float64))


def _write(target: Any, new: np.ndarray) -> None:
    if type(target) is Value:
        target.data = float(new)
    elif isinstance(target, (list, tuple)):
        for v, x in zip(target, new.tolist()):
            v.data = float(x)
    else:
        with no_grad():
            target.copy_(new)
