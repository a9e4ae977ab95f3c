"""`trace_torch`: record an ordinary PyTorch run, then draw it like a glassgrad graph.

    with viz.trace_torch() as tape:
        loss = F.cross_entropy(model(x), y)
    loss.backward()                 # inside or after the block
    tape.draw()                     # values, gradients, module boxes; viz.backward_steps(tape)

How it records, through PyTorch's public extension points only (nothing in torch is
patched):

* a `TorchFunctionMode` sees every torch function and tensor method the program calls
  (`F.linear`, `x @ w`, `h.relu_()`, `x[0]`): each call that makes or writes a tensor
  becomes a node holding a copy of the value, its inputs as parents (numbers in `x * 3`
  become constants, as in glassgrad), and what is needed to replay it;
* global module forward (pre-)hooks give each module call a cluster, named by its path
  (`encoder.0 (Linear)`; a module called again in a loop gets `cell#2`, `cell#3`, ...), and
  name parameters by their qualified path (`encoder.0.weight`);
* tensor hooks collect the gradient of every recorded tensor that requires grad when
  backward runs. A parameter's hook counts a backward pass only when it comes through the
  recorded graph (the ops that use it arm it), so later training steps leave it alone.

In-place ops are new nodes (`add_`, `setitem`), and a write through a view also updates the
view's base (`copy_slices`, what PyTorch's CopySlices node computes); ops whose result
needs no gradient (inside `torch.no_grad()`, or on tensors that need none) are constants;
an op run twice is two nodes. Writes through `.data` stay invisible, as they are to
PyTorch's autograd. The tape holds copies, never the program's tensors (only weak
references), and its gradient hooks hold the nodes weakly: dropping the tape frees
everything.

>>> import importlib.util
>>> if importlib.util.find_spec("torch"):           # PyTorch is an optional dependency
...     import torch
...     x = torch.tensor(2.0, requires_grad=True)
...     with trace_torch() as tape:
...         y = (x * 3).tanh()
...     y.backward()
...     ops = [n.op for n in tape.nodes]
... else:
...     ops = ['', '', '*', 'tanh']
>>> ops                                               # x, the constant 3, x * 3, tanh
['', '', '*', 'tanh']
"""
from __future__ import annotations

import functools
import threading
import weakref
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .torch_node import (PAUSE, Pause, Replay, Slot, TorchNode, TorchScope, flat_outputs,
                         scope_class)
from .torch_ops import function_name, glassgrad_op, split_name
from .torch_support import require_torch

# Ops that draw random numbers: a replay restores the random state they started from.
RANDOM = {"dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
          "feature_alpha_dropout", "native_dropout", "rrelu", "bernoulli", "normal",
          "multinomial", "rand_like", "randn_like", "randint_like", "uniform", "exponential",
          "geometric", "cauchy", "log_normal", "random", "poisson"}
# Tensor properties that are ops (`x.T`); reading any other (`.grad`, `.data`, `.shape`)
# records nothing.
VIEW_PROPERTIES = {"T", "mT", "H", "mH", "real", "imag"}
# Calls that read tensors without making one: skipped before any bookkeeping.
PASS_THROUGH = ("dim", "size", "numel", "item", "tolist", "stride", "storage_offset",
                "is_contiguous", "is_floating_point", "is_complex", "element_size",
                "data_ptr", "__len__", "__repr__", "__format__", "__bool__", "__index__",
                "__int__", "__float__", "backward", "register_hook", "retain_grad",
                "untyped_storage", "get_device", "nelement", "ndimension")


def _interior_hook(ref: "weakref.ref[TorchNode]", g: Any) -> None:
    """The gradient of an op's result arrived: keep it, and arm the parameters it feeds."""
    node = ref()
    if node is None or g is None or node._hidden:
        return
    with PAUSE:
        _send(node, g)
    for p in node._parents:
        if not p._parents and p.requires_grad:
            p._pending += 1


def _send(node: TorchNode, g: Any) -> None:
    """Give `node` gradient `g`, and pass its share on to parents no hook can see.

    A view written in place drops out of PyTorch's graph (CopySlices computes through it),
    so no tensor hook sees the gradient of the view or of what was written into it; their
    users send it, by the chain rule on a replay of each user (linear in `g`, so partial
    gradients may arrive in any order)."""
    stack = [(node, g)]
    while stack:
        n, d = stack.pop()
        n.add_grad(d)
        if any(p._hidden for p in n._parents):
            for p, c in zip(n._parents, n._replay.contributions(n, d)):
                if p._hidden and c is not None:
                    stack.append((p, c))


def _leaf_hook(ref: "weakref.ref[TorchNode]", g: Any) -> None:
    """A leaf's gradient arrived: keep it only if a recorded op asked for it."""
    node = ref()
    if node is None or g is None or not node._pending:
        return
    node._pending = 0
    with PAUSE:
        node.add_grad(g)


def _remove(handles: List[Any]) -> None:
    for h in handles:
        h.remove()
    handles.clear()


def _version(t: Any) -> int:
    try:
        return t._version
    except RuntimeError:           # inference-mode tensors have no version counter
        return -1


def _template(obj: Any, found: list, torch: Any) -> Any:
    """A call's argument with each tensor replaced by a `Slot` (tensors appended to found)."""
    if isinstance(obj, torch.Tensor):
        found.append(obj)
        return Slot(len(found) - 1)
    if type(obj) in (list, tuple):
        return type(obj)(_template(x, found, torch) for x in obj)
    return obj


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class TorchTape:
    """A recorded PyTorch run (see the module docstring). Use it as `with` block.

    `nodes` lists every recorded value in order; `output` is what `draw()` starts from by
    default (the last recorded op result that requires grad: usually the loss);
    `node(t)` is the node of tensor `t`'s current value.
    """

    def __init__(self, names: Optional[Mapping[str, Any]] = None) -> None:
        self._torch = require_torch("viz.trace_torch")
        self.nodes: List[TorchNode] = []
        self._latest: Dict[int, Tuple[Any, TorchNode]] = {}
        self._stack: List[Tuple[TorchScope, str, str, Any]] = []
        self._roots: List[TorchScope] = []
        self._counts: Dict[Tuple[int, str], int] = {}
        self._module_names: Dict[int, Tuple[Any, Dict[int, str]]] = {}
        self._param_names: Dict[int, str] = {}
        self._labels: Dict[int, Tuple[Any, str]] = {}
        for label, t in (names or {}).items():
            if not isinstance(t, self._torch.Tensor):
                raise TypeError(f"trace_torch: names[{label!r}] must be a torch tensor, got "
                                f"{type(t).__name__}")
            self._labels[id(t)] = (t, label)
        self._handles: List[Any] = []
        weakref.finalize(self, _remove, self._handles)
        self._state = "new"
        self._thread = 0
        self._mode: Any = None
        self._module_hooks: List[Any] = []
        self._pass = _pass_through(self._torch)

    # ---- the with block ----
    def __enter__(self) -> "TorchTape":
        if self._state != "new":
            raise RuntimeError("trace_torch: a tape records one with block; make a new one "
                               "with viz.trace_torch()")
        self._state = "recording"
        self._thread = threading.get_ident()
        hooks = self._torch.nn.modules.module
        self._module_hooks = [hooks.register_module_forward_pre_hook(self._enter_module),
                              hooks.register_module_forward_hook(self._exit_module,
                                                                 always_call=True)]
        self._mode = _recorder_class()(self)
        self._mode.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._mode.__exit__(*exc)
        self._mode = None
        _remove(self._module_hooks)
        self._stack.clear()
        self._state = "done"

    # ---- what users read ----
    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        ops = sum(1 for n in self.nodes if n._parents)
        return f"<TorchTape: {len(self.nodes)} values, {ops} op results, {self._state}>"

    @property
    def output(self) -> TorchNode:
        """The default root: the last recorded op result that requires grad."""
        if not self.nodes:
            raise ValueError("trace_torch: the tape recorded no tensor op (was the PyTorch "
                             "code inside the with block?)")
        for wanted in (lambda n: n._parents and n.requires_grad, lambda n: n._parents):
            for n in reversed(self.nodes):
                if wanted(n):
                    return n
        return self.nodes[-1]

    @property
    def nbytes(self) -> int:
        """Bytes of the tensor copies the tape holds (values and gradients)."""
        total = 0
        for n in self.nodes:
            for t in (n._value, n._gradt):
                if isinstance(t, self._torch.Tensor):
                    total += t.element_size() * t.numel()
        return total

    def node(self, tensor: Any) -> TorchNode:
        """The node holding `tensor`'s latest recorded value."""
        entry = self._latest.get(id(tensor))
        if entry is None or entry[0]() is not tensor:
            raise KeyError("this tensor was not recorded by the tape (it was made outside "
                           "the with block and not used inside it)")
        return entry[1]

    def graph_roots(self) -> List[TorchNode]:
        """What viz functions given the tape draw: `[tape.output]`."""
        return [self.output]

    def _roots_for(self, root: Any) -> List[TorchNode]:
        if root is None:
            return self.graph_roots()
        items = list(root) if isinstance(root, (list, tuple)) else [root]
        return [self.node(r) if isinstance(r, self._torch.Tensor) else r for r in items]

    def draw(self, root: Any = None, format: str = "svg", rankdir: str = "LR",
             **options: Any) -> Any:
        """`viz.draw` of the recorded graph from `root` (a torch tensor, a node, a list;
        default `output`), with all of draw's options (`collapse`, `max_nodes`, ...)."""
        from .draw import _draw
        return _draw(self._roots_for(root), format=format, rankdir=rankdir, **options)

    # ---- modules ----
    def _names_under(self, module: Any) -> Dict[int, str]:
        """id(submodule) -> its path under `module` (computed once per root module)."""
        entry = self._module_names.get(id(module))
        if entry is None or entry[0] is not module:
            paths = {id(m): name for name, m in module.named_modules()}
            for name, p in module.named_parameters():
                self._param_names.setdefault(id(p), name)
            entry = self._module_names[id(module)] = (module, paths)
        return entry[1]

    def _enter_module(self, module: Any, args: Any) -> None:
        if threading.get_ident() != self._thread or Pause.depth:
            return
        cls = scope_class(type(module))
        if not self._stack:
            scope = cls(type(module).__name__, module=module)
            self._roots.append(scope)
            self._names_under(module)
            self._stack.append((scope, "", "", module))
            return
        parent, parent_path, parent_call, _ = self._stack[-1]
        root_scope, _, _, root_module = self._stack[0]
        path = self._names_under(root_module).get(id(module))
        if path is None:                 # not a submodule of the running model
            path = (parent_path + "." if parent_path else "") + type(module).__name__
        if parent_path == "" or path.startswith(parent_path + "."):
            rest = path[len(parent_path) + 1:] if parent_path else path
            call = f"{parent_call}.{rest}" if parent_call else rest
        else:
            call = path
        key = (id(root_scope), call)
        count = self._counts[key] = self._counts.get(key, 0) + 1
        if count > 1:
            call = f"{call}#{count}"
        scope = cls(call, root=root_scope)
        root_scope._calls.append(scope)
        self._stack.append((scope, path, call, module))

    def _exit_module(self, module: Any, args: Any, output: Any) -> None:
        if threading.get_ident() != self._thread or Pause.depth:
            return
        stack = self._stack
        while stack:
            if stack.pop()[3] is module:
                break

    def _scope(self) -> Optional[TorchScope]:
        return self._stack[-1][0] if self._stack else None

    # ---- nodes ----
    def _label(self, t: Any, parameter: bool) -> str:
        entry = self._labels.get(id(t))
        if entry is not None and entry[0] is t:
            return entry[1]
        return self._param_names.get(id(t), "") if parameter else ""

    def _register(self, t: Any, node: TorchNode) -> TorchNode:
        self.nodes.append(node)
        self._latest[id(t)] = (weakref.ref(t), node)
        if t.requires_grad:
            ref = weakref.ref(node)
            if t.grad_fn is not None:
                t.register_hook(functools.partial(_interior_hook, ref))
            else:
                self._handles.append(t.register_hook(functools.partial(_leaf_hook, ref)))
        return node

    def _value_node(self, t: Any, **fields: Any) -> TorchNode:
        """A node for `t`'s current value (a copy): a leaf unless `fields` give parents."""
        # (issubclass: Parameter's isinstance check runs Python code, and this is hot)
        parameter = issubclass(type(t), self._torch.nn.Parameter)
        node = TorchNode(t.detach().clone(), label=self._label(t, parameter),
                         version=_version(t), requires_grad=t.requires_grad,
                         parameter=parameter, **fields)
        return self._register(t, node)

    def _node_of(self, t: Any) -> TorchNode:
        """The node of `t`'s current value: the latest recorded, or one made now."""
        entry = self._latest.get(id(t))
        if entry is not None and entry[0]() is t:
            node = entry[1]
            if (node._version == _version(t) and node.requires_grad == t.requires_grad
                    and not node._hidden):
                return node
            # Changed since (through another view of its memory), or a view written in
            # place: PyTorch now reads it from its base, and so do we.
            reread = self._reread_view(t)
            if reread is not None:
                return reread
        return self._value_node(t)

    def _current(self, t: Any, version: int) -> Optional[TorchNode]:
        entry = self._latest.get(id(t))
        if entry is not None and entry[0]() is t and entry[1]._version == version:
            return entry[1]
        return None

    def _strided(self, view: Any) -> Optional[Tuple[Any, tuple]]:
        """(base, (size, stride, offset)) placing `view` inside its base, if the base is a
        plain contiguous tensor (its recorded copy then has the same layout)."""
        base = view._base
        if base is None or not base.is_contiguous():
            return None
        return base, (tuple(view.size()), tuple(view.stride()),
                      view.storage_offset() - base.storage_offset())

    def _reread_view(self, t: Any) -> Optional[TorchNode]:
        """`t` is a view whose base was written since `t` was recorded: its value now is a
        window on the base's latest node."""
        placed = self._strided(t)
        if placed is None:
            return None
        base, (size, stride, offset) = placed
        source = self._current(base, _version(t))
        if source is None:
            return None
        torch = self._torch
        return self._made(t, torch.as_strided, (Slot(0), size, stride, offset), {}, (source,),
                          "as_strided", None, ("out", 0), None)

    def _constant(self, number: Any) -> TorchNode:
        node = TorchNode(number, scope=self._scope())
        self.nodes.append(node)
        return node

    def _made(self, t: Any, func: Any, args: Any, kwargs: Any, inputs: tuple, name: str,
              mapped: Any, pick: Tuple[str, int], rng: Any) -> TorchNode:
        """The node of `t`, just made (or written) by `func`."""
        scope = self._scope()
        if t.grad_fn is None:               # no gradient flows through it: a constant
            return self._value_node(t, scope=scope)
        parents, slots = inputs, tuple(range(len(inputs)))
        op, arg = "", None
        if mapped is not None:
            gg_op, positions, arg = mapped
            parents, slots = self._operands(positions, args, inputs)
            op = gg_op
        replay = Replay(func, args, kwargs, inputs, pick, rng, slots)
        return self._value_node(t, parents=parents, op=op, arg=arg, name=name,
                                mapped=mapped is not None, scope=scope, replay=replay)

    def _operands(self, positions: Sequence[int], args: Any, inputs: tuple
                  ) -> Tuple[tuple, tuple]:
        """The parents of a glassgrad op in its rule's order: recorded tensors, and numbers
        as constants."""
        parents, slots = [], []
        for p in positions:
            a = args[p]
            if type(a) is Slot:
                parents.append(inputs[a.index])
                slots.append(a.index)
            else:
                parents.append(self._constant(a))
                slots.append(-1)
        return tuple(parents), tuple(slots)

    # ---- one call ----
    def _call(self, func: Any, args: tuple, kwargs: Dict[str, Any]) -> Any:
        if Pause.depth or func in self._pass:
            return func(*args, **kwargs)
        name = function_name(func)
        if getattr(func, "__name__", "") in ("__get__", "__set__") and (
                name not in VIEW_PROPERTIES or func.__name__ == "__set__"):
            return func(*args, **kwargs)
        torch = self._torch
        found: List[Any] = []
        targs = _template(args, found, torch)
        tkwargs = {k: _template(v, found, torch) for k, v in kwargs.items()}
        if not found:                       # a factory: recorded where it is first used
            return func(*args, **kwargs)
        inputs = tuple(self._node_of(t) for t in found)
        before = [n._version for n in inputs]
        base, _ = split_name(name)
        rng = torch.get_rng_state() if base in RANDOM else None
        out = func(*args, **kwargs)
        outs = flat_outputs(out)
        mutated: List[int] = []
        for j, t in enumerate(found):
            if _version(t) != before[j] and not any(found[i] is t for i in mutated):
                mutated.append(j)
        if not outs and not mutated:
            return out
        shown = f"{base}_" if mutated and base != "setitem" else base
        mapped = glassgrad_op(base, args, kwargs)
        if mapped is not None and not all(
                p < len(args) and (type(targs[p]) is Slot or _is_number(args[p]))
                for p in mapped[1]):
            mapped = None
        made: Dict[int, TorchNode] = {}
        for k, o in enumerate(outs):
            same = next((j for j, t in enumerate(found) if t is o), None)
            if id(o) in made or (same is not None and same not in mutated):
                continue                    # an input returned as it is (x.float() of floats)
            made[id(o)] = self._made(o, func, targs, tkwargs, inputs, shown, mapped,
                                     ("out", k), rng)
        for j in mutated:
            t = found[j]
            if id(t) not in made:
                made[id(t)] = self._made(t, func, targs, tkwargs, inputs, shown, mapped,
                                         ("arg", j), rng)
            if self._write_base(t, made[id(t)], before[j]):
                inputs[j]._hidden = made[id(t)]._hidden = True
        return out

    def _write_base(self, view: Any, written: TorchNode, version: int) -> bool:
        """An in-place op wrote into `view`: its base changed too. True if the base's new
        value was recorded (`copy_slices`, as PyTorch's CopySlices node computes it)."""
        placed = self._strided(view)
        if placed is None:
            return False
        base, (size, stride, offset) = placed
        source = self._current(base, version)
        if source is None:
            return False
        self._made(base, copy_slices, (Slot(0), Slot(1), size, stride, offset), {},
                   (source, written), "copy_slices", None, ("out", 0), None)
        return True


def copy_slices(base: Any, src: Any, size: tuple, stride: tuple, offset: int) -> Any:
    """`base` with the window (size, stride, offset) replaced by `src`: the new value of a
    tensor one of whose views was written in place (PyTorch's CopySlices)."""
    out = base.clone()
    out.as_strided(size, stride, offset).copy_(src)
    return out


@functools.lru_cache(maxsize=None)
def _pass_through(torch: Any) -> frozenset:
    """The functions in PASS_THROUGH, and backward itself."""
    found = {getattr(torch.Tensor, n) for n in PASS_THROUGH if hasattr(torch.Tensor, n)}
    return frozenset(found | {torch.autograd.backward, torch.autograd.grad})


@functools.lru_cache(maxsize=None)
def _recorder_class() -> type:
    from torch.overrides import TorchFunctionMode

    class Recorder(TorchFunctionMode):
        """Hands every torch call made inside the with block to the tape."""

        def __init__(self, tape: TorchTape) -> None:
            super().__init__()
            self.tape = tape

        def __torch_function__(self, func: Any, types: Any, args: tuple = (),
                               kwargs: Optional[dict] = None) -> Any:
            return self.tape._call(func, args, kwargs or {})

    return Recorder


def trace_torch(names: Optional[Mapping[str, Any]] = None) -> TorchTape:
    """A tape that records the PyTorch code run in its `with` block (module docstring).

    `names` labels tensors in the drawings: `trace_torch(names={"x": x, "y": y})`.
    Parameters are named by their path in the model (`0.weight`) without asking.
    """
    return TorchTape(names)
