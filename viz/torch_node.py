"""Nodes of a PyTorch run, speaking glassgrad's node protocol, so viz draws them unchanged.

A `TorchNode` is one tensor value a PyTorch program made (or an autograd node of a graph
drawn without tracing): `raw_data` and `raw_grad` are floats for a one-element floating
tensor (drawn like a `Value`) and NumPy arrays otherwise; `_parents`, `_seq`, `_mark`,
`label`, `op`, `_op`/`_arg` and `_scope` are what `viz` reads of any node. Values are
copies taken when the op ran, so later in-place writes and optimizer steps never change
what is drawn.

When the op is a glassgrad op (viz/torch_ops.py) and every operand is a number, the
node's `_local_derivatives()` come from glassgrad's scalar rule table. `_vjp` (what
`backward_steps` needs) replays the op in PyTorch on copies of its recorded inputs and
asks `torch.autograd.grad` for the vector-Jacobian product: PyTorch's own derivative.

A `TorchScope` stands for one call of a `torch.nn.Module`, with the `_qualname` and
`_root` that viz's module clusters read; its class is named after the module's class
(`scope_class(torch.nn.Linear)` is a class named `Linear`) so boxes read `0 (Linear)`.

>>> three = TorchNode(3)              # the number in `x * 3`, drawn as a constant
>>> three.raw_data, three.raw_grad, three.op
(3.0, None, '')
>>> fill((Slot(1), [Slot(0), 2]), ["x", "w"])     # a call's arguments, for a replay
('w', ['x', 2])
"""
from __future__ import annotations

import weakref
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from autograd.graph import Node, next_seq
from autograd.scalar_rules import local_derivatives

from .torch_support import to_numpy

_UNSET = object()


class Slot:
    """Where a call's i-th tensor argument goes when the call is replayed."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def fill(template: Any, tensors: Sequence[Any]) -> Any:
    """`template` (a call's arguments) with every `Slot` replaced by its tensor."""
    if type(template) is Slot:
        return tensors[template.index]
    if type(template) in (list, tuple):
        return type(template)(fill(x, tensors) for x in template)
    return template


class Replay:
    """How to run a recorded op again: the function, its arguments with tensors as slots,
    the nodes that fill the slots, which result is the node's, and the random state the op
    started from (dropout must draw the same mask)."""

    __slots__ = ("func", "args", "kwargs", "inputs", "pick", "rng", "slot_of_parent")

    def __init__(self, func: Any, args: Any, kwargs: Any, inputs: tuple, pick: Tuple[str, int],
                 rng: Any, slot_of_parent: Tuple[int, ...]) -> None:
        self.func, self.args, self.kwargs = func, args, kwargs
        self.inputs = inputs                    # the node filling each slot
        self.pick = pick                        # ("out", k): k-th result; ("arg", j): slot j
        self.rng = rng
        self.slot_of_parent = slot_of_parent    # per parent: its slot, -1 for a number

    def contributions(self, node: "TorchNode", g: Any) -> list:
        """Per parent of `node`: the gradient it gets when `node`'s gradient is `g` (a
        tensor, or None where none flows), from PyTorch's autograd on a replay of the op."""
        import torch
        leaves: List[Any] = []
        tensors = []
        # Grad mode on: a backward hook (where it is off) may ask too.
        with PAUSE, torch.enable_grad(), \
                torch.random.fork_rng(devices=[], enabled=self.rng is not None):
            for source in self.inputs:
                value = source._value
                need = source.requires_grad and (value.is_floating_point()
                                                 or value.is_complex())
                leaf = value.detach().clone().requires_grad_(need)
                leaves.append(leaf if need else None)
                # A copy that is not a leaf, so an in-place op may write into it.
                tensors.append(leaf.clone() if need else leaf)
            if self.rng is not None:
                torch.set_rng_state(self.rng)
            out = self.func(*fill(self.args, tensors), **fill(self.kwargs, tensors))
            kind, k = self.pick
            target = flat_outputs(out)[k] if kind == "out" else tensors[k]
            grad_out = torch.as_tensor(g, dtype=target.dtype).reshape(target.shape)
            wanted = [leaf for leaf in leaves if leaf is not None]
            found = (torch.autograd.grad([target], wanted, [grad_out], allow_unused=True)
                     if wanted and target.requires_grad else [None] * len(wanted))
        it = iter(found)
        by_slot = [next(it) if leaf is not None else None for leaf in leaves]
        return [by_slot[slot] if slot >= 0 and parent.requires_grad else None
                for parent, slot in zip(node._parents, self.slot_of_parent)]


class Pause:
    """`with PAUSE:` while a hook or a replay of the tape runs: the recorder then lets
    torch calls through (a counter, so it nests)."""

    depth = 0

    def __enter__(self) -> None:
        Pause.depth += 1

    def __exit__(self, *exc: Any) -> None:
        Pause.depth -= 1


PAUSE = Pause()


def flat_outputs(out: Any) -> list:
    """The tensors a call returned: one tensor, or those in a returned tuple or list."""
    import torch
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for t in out if isinstance(t, torch.Tensor)]
    return []


def _numbers(t: Any) -> Any:
    """A float for a one-element floating tensor (drawn like a Value), else an array."""
    if t.numel() == 1 and t.is_floating_point():
        return float(t.reshape(()).item())
    return to_numpy(t)


class TorchNode(Node):
    """One value of a PyTorch run (see the module docstring).

    `tensor_value` and `tensor_grad` give the recorded numbers as torch tensors.
    """

    __slots__ = ("_value", "_gradt", "_cached", "_cached_grad", "label", "_parents", "_op",
                 "_arg", "_seq", "_scope", "_mark", "_name", "_mapped", "_version",
                 "requires_grad", "_is_parameter", "_replay", "_pending", "_hidden",
                 "__weakref__")

    def __init__(self, value: Any, *, parents: tuple = (), op: str = "", arg: Any = None,
                 name: str = "", mapped: bool = False, label: str = "", scope: Any = None,
                 requires_grad: bool = False, parameter: bool = False, version: int = -1,
                 replay: Optional[Replay] = None) -> None:
        self._value = value               # a torch tensor (a copy), a number, or None: unknown
        self._gradt: Any = None
        self._cached = _UNSET
        self._cached_grad = _UNSET
        self.label = label
        self._parents = parents
        # The glassgrad rule's key when `mapped`, else '': a PyTorch op that shares a
        # rule's name (`gelu` with approximate='tanh') must not be read as that rule.
        self._op = op
        self._arg = arg
        self._name = name                 # the PyTorch name, e.g. 'add_' for an in-place add
        self._mapped = mapped
        self._seq = next_seq()
        self._scope = scope
        self._mark = None
        self._version = version
        self.requires_grad = requires_grad
        self._is_parameter = parameter
        self._replay = replay
        self._pending = 0                 # uses in a traced backward not yet accumulated
        self._hidden = False              # no hook sees its gradient: its users send it

    # ---- numbers ----
    @property
    def raw_data(self) -> Any:
        """A float (one-element floating tensor), an ndarray, or None when not known."""
        if self._cached is _UNSET:
            v = self._value
            self._cached = (None if v is None else float(v) if not hasattr(v, "numel")
                            else _numbers(v))
        return self._cached

    @property
    def raw_grad(self) -> Any:
        """The gradient recorded in backward (summed over backward passes), or None."""
        if self._cached_grad is _UNSET:
            g = self._gradt
            self._cached_grad = None if g is None else _numbers(g)
        return self._cached_grad

    data = raw_data
    grad = raw_grad

    @property
    def tensor_value(self) -> Any:
        return self._value

    @property
    def tensor_grad(self) -> Any:
        return self._gradt

    def add_grad(self, g: Any) -> None:
        """Accumulate a gradient PyTorch computed for this value (a copy is kept)."""
        g = g.detach().clone()
        self._gradt = g if self._gradt is None else self._gradt + g
        self._cached_grad = _UNSET

    # ---- the node protocol ----
    @property
    def op(self) -> str:
        if not self._parents:
            return ""
        if self._mapped and not self._name.endswith("_"):      # in place: 'add_', not '+'
            return f"**{self._arg:g}" if self._op == "**" else self._op
        return self._name

    def _local_derivatives(self) -> Optional[tuple]:
        """∂self/∂parent from glassgrad's scalar rules, when the op is a glassgrad op and
        every operand is a number; else None (the edge stays unlabelled)."""
        if not self._mapped or not isinstance(self.raw_data, float):
            return None
        if not all(isinstance(p.raw_data, float) for p in self._parents):
            return None
        try:
            return local_derivatives(self)
        except (ArithmeticError, ValueError, TypeError):
            return None

    def _seed_gradient(self, seed: Any, create_graph: bool) -> Any:
        data = self.raw_data
        if isinstance(data, float):
            return 1.0
        if data is None or data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return np.ones(data.shape, dtype=data.dtype)

    def _vjp(self, g: Any, create_graph: bool) -> list:
        if create_graph:
            raise NotImplementedError("a recorded PyTorch op has no higher-order gradients "
                                      "here; use torch.autograd.grad(create_graph=True)")
        if self._replay is None:
            raise TypeError(f"the PyTorch op {self._name or self.op!r} of this graph was "
                            f"not traced, so it cannot be replayed: record the run with "
                            f"viz.trace_torch()")
        found = self._replay.contributions(self, np.asarray(g))
        return [None if c is None else
                float(c.reshape(()).item()) if isinstance(p.raw_data, float) else to_numpy(c)
                for p, c in zip(self._parents, found)]

    def __repr__(self) -> str:
        data = self.raw_data
        shown = ("?" if data is None else f"{data:.4g}" if isinstance(data, float)
                 else f"{tuple(data.shape)} {data.dtype}")
        what = self.label or self.op or "leaf"
        return f"<TorchNode {what}: {shown}>"


class TorchScope:
    """One call of a torch.nn.Module, as viz's module clusters read it (see module doc).

    A root call (no module running around it) has `_qualname` = its class name, which viz
    reads as the root; its `named_modules()` lists the calls made inside it and, by name
    only, the submodules that made no call.
    """

    __slots__ = ("_qualname", "_root", "_module", "_calls", "__weakref__")

    def __init__(self, qualname: str, root: Optional["TorchScope"] = None,
                 module: Any = None) -> None:
        self._qualname = qualname
        self._root = None if root is None else weakref.ref(root)
        self._module = module           # the torch module, kept by a root call only
        self._calls: List["TorchScope"] = []

    def named_modules(self) -> Iterator[Tuple[str, "TorchScope"]]:
        yield "", self
        called = set()
        for c in self._calls:
            called.add(c._qualname)
            yield c._qualname, c
        if self._module is not None:
            for name, m in self._module.named_modules():
                if name and name not in called:
                    yield name, scope_class(type(m))(name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} call {self._qualname!r}>"


_NAMED: "weakref.WeakKeyDictionary[type, Dict[type, type]]" = weakref.WeakKeyDictionary()


def scope_class(module_class: type, base: type = TorchScope) -> type:
    """The subclass of `base` (a `TorchScope` unless given) named after a torch module
    class, made once: viz reads a module's class name as `type(m).__name__`."""
    made = _NAMED.setdefault(module_class, {})
    cls = made.get(base)
    if cls is None:
        cls = made[base] = type(module_class.__name__, (base,),
                                {"__slots__": (), "__module__": base.__module__})
    return cls
