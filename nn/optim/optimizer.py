"""`Optimizer`: the base class that owns parameter groups, per-parameter state and the step loop.

A parameter is a graph leaf whose numbers the optimizer reads and writes through the node
protocol's `raw_data` / `raw_grad` (autograd/graph.py):

* a scalar `autograd.Value`: Python floats (its grad is never None), or
* a tensor parameter: a NumPy array, and None or an array of the same shape for the grad.

Subclasses write the update for ONE parameter in `_update`, using only `+ - * /` and the
helpers below, so the same line works for both kinds: `p.raw_data -= step` rebinds a float
and updates an array in place (the model holds that very array object). From a group's
second step on, the same `_update` runs once over the whole group's flat buffers instead
(nn/optim/flat.py): the parameters' arrays are then views into one buffer.

>>> from autograd import Value
>>> from nn.optim import SGD
>>> w = Value(1.0)
>>> opt = SGD([w], lr=0.1)
>>> w.grad = 2.0                       # pretend backward() ran: d(w*w)/dw at w=1
>>> opt.step(); w.data
0.8
>>> opt.zero_grad(); w.grad            # Values keep a float grad: zeroed, never None
0.0
"""
from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections import defaultdict
from copy import deepcopy
from itertools import chain
from numbers import Real
from typing import Any, Callable, Iterable

import numpy as np

from autograd.mode import enable_grad

from .flat import FlatGroup


# ---- arithmetic that works on floats (Value) and arrays (Tensor) alike ----
# np.sqrt(float) would return np.float64 and leak NumPy scalars into Value.data, so floats
# go through math instead.

def _sqrt(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return np.sqrt(x)
    return math.sqrt(x) if x >= 0 else math.nan   # NaN like torch, not math's ValueError


def _maximum(a: Any, b: Any) -> Any:
    return np.maximum(a, b) if isinstance(a, np.ndarray) else max(a, b)


def _zeros_like(x: Any) -> Any:
    return np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0


def _scratch(work: dict[Any, np.ndarray], p: Any) -> np.ndarray:
    """A work array shaped like `p.data`, kept between steps so an update allocates nothing.

    Kept in the optimizer's `_work` (not in `state`, whose keys must match PyTorch's and
    which `state_dict` saves): it holds no information, only memory to write into.
    """
    buf = work.get(p)
    data = p.raw_data
    if buf is None or buf.shape != data.shape or buf.dtype != data.dtype:
        buf = work[p] = np.empty_like(data)
    return buf


def _clone(x: Any) -> Any:
    # State must never alias a grad array: zero_grad(set_to_none=False) zeroes grads in place.
    return x.copy() if isinstance(x, np.ndarray) else float(x)


def _check_range(name: str, value: Any, ok: bool, rule: str) -> None:
    """Raise the ValueError every optimizer uses for a bad hyperparameter."""
    if not ok:
        raise ValueError(f"Invalid {name} value: {value!r} (must be {rule})")


def _check_param(p: Any) -> None:
    if not (hasattr(p, "data") and hasattr(p, "grad")):
        raise TypeError(f"optimizer can only optimize objects with .data and .grad "
                        f"(Value or Tensor parameters), but one of the params is "
                        f"{type(p).__name__}")
    if getattr(p, "parents", ()):
        raise ValueError(f"can't optimize a non-leaf {type(p).__name__} (it was computed by "
                         f"op {getattr(p, 'op', '?')!r}); optimize the leaves it came from")
    try:
        hash(p)
    except TypeError:
        raise TypeError(f"optimizer state is keyed by parameter identity, but "
                        f"{type(p).__name__} is unhashable (define __hash__ = object.__hash__)"
                        ) from None


_SET_ERROR = ("optimizer parameters need to be organized in ordered collections, but the "
              "ordering of parameters in sets changes between runs. Please use a list instead.")


def _is_param(x: Any) -> bool:
    return hasattr(x, "data") and hasattr(x, "grad")


class Optimizer(ABC):
    """Base class: `param_groups`, `state`, `zero_grad`, `step`, `add_param_group`, state dicts.

    `params` is an iterable of parameters, of `(name, parameter)` pairs (as from
    `named_parameters()`), or of dicts (parameter groups) whose keys override `defaults`,
    e.g. `[{"params": body}, {"params": head, "lr": 1e-2}]`. A set is refused (its order,
    which `state_dict` relies on, changes between runs); PyTorch refuses it only inside a
    group dict.

    A custom optimizer only writes the rule for one parameter:

    >>> from autograd import Value
    >>> class PlainSGD(Optimizer):
    ...     def __init__(self, params, lr=0.01):
    ...         super().__init__(params, {"lr": lr})
    ...     def _update(self, p, grad, state, group):
    ...         p.data -= group["lr"] * grad
    >>> w = Value(1.0); w.grad = 4.0
    >>> PlainSGD([w], lr=0.125).step(); w.data
    0.5
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if _is_param(params):
            raise TypeError(f"params argument given to the optimizer should be an iterable of "
                            f"parameters or dicts, but got {type(params).__name__}; "
                            f"wrap it in a list: [p]")
        if isinstance(params, (set, frozenset)):
            # PyTorch only rejects sets inside a group dict; the reason (state_dict indexes
            # parameters by position) is the same here, so reject them here too.
            raise TypeError(_SET_ERROR)
        self.defaults = defaults
        self._work: dict[Any, np.ndarray] = {}   # per-parameter scratch arrays (_scratch)
        self._flat: dict[int, FlatGroup] = {}    # id(group) -> its flat buffers
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @abstractmethod
    def _update(self, p: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update one parameter in place; `grad` is already negated when maximizing."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter whose grad is not None; return `closure()` if given.

        A parameter with grad None is skipped entirely (no weight decay, no momentum), as in
        PyTorch. Values always have a float grad, so they are always stepped.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            maximize = group.get("maximize", False)
            if self._flat_step(group, maximize):
                continue
            for p in group["params"]:
                grad = p.raw_grad
                if grad is None:
                    continue
                # Maximizing f is minimizing -f: flip the grad once here for every optimizer.
                self._update(p, -grad if maximize else grad, self.state[p], group)
                p._bump_version()           # an in-place write: backward checks versions
        return loss

    def _flat_step(self, group: dict[str, Any], maximize: bool) -> bool:
        """Update the whole group at once over its flat buffers (nn/optim/flat.py) when it
        is packed or can be; False sends it down the per-parameter path."""
        key = id(group)
        flat = self._flat.get(key)
        if flat is None or not flat.still_packed(group, self.state):
            flat = FlatGroup.pack(group, self.state)
            if flat is None:
                self._flat.pop(key, None)
                return False
            self._flat[key] = flat
            for p in flat.params:           # their scratch arrays: the group has one now
                self._work.pop(p, None)
        grad = flat.gather_grads()
        self._update(flat, -grad if maximize else grad, flat.state, group)
        flat.spread_counts(self.state)
        for p in flat.params:
            p._bump_version()
        return True

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: arrays become None (or are zeroed in place); Value grads become 0.0.

        Difference from PyTorch: a Value's grad is a float by design (micrograd's contract),
        so `set_to_none` cannot apply to it; it is set to 0.0 and the next `step()` still
        updates it (with a zero gradient, so only momentum / weight decay move it).
        """
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.raw_grad
                if grad is None:
                    continue
                if isinstance(grad, Real):
                    p.raw_grad = 0.0
                elif set_to_none:
                    p.raw_grad = None
                else:
                    grad[...] = 0

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own options) to optimize from now on.

        Missing options are filled from `defaults`. A parameter may belong to one group only.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if _is_param(params):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_ERROR)
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. "
                                 "Some param names are missing")
            param_group["param_names"] = names
            params = [p[1] for p in params]
        for p in params:
            _check_param(p)
        param_group["params"] = params
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)

        ids = [id(p) for p in params]     # ids, not ==: a Tensor's == is elementwise
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "they will be updated more than once per step", stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def state_dict(self) -> dict[str, Any]:
        """Return `{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`.

        Parameters are replaced by their position (counting through all groups), so the dict
        holds only numbers, tuples, lists and arrays. Difference from PyTorch: the arrays are
        copies, so a saved dict does not change when training continues.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = deepcopy({k: v for k, v in group.items() if k != "params"})
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: deepcopy(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a dict made by `state_dict()`; its groups must have the same sizes as ours."""
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        by_index = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                            chain.from_iterable(g["params"] for g in self.param_groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key not in by_index:
                raise ValueError(f"loaded state dict has state for parameter {key!r}, which is "
                                 f"in none of its parameter groups")
            p = by_index[key]
            state[p] = {k: _cast_like(p.raw_data, v) for k, v in values.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])


def _cast_like(data: Any, value: Any) -> Any:
    """A private copy of one loaded state entry, shaped for the parameter it belongs to."""
    if not isinstance(value, np.ndarray):
        return deepcopy(value)
    if isinstance(data, np.ndarray):
        return np.array(value, dtype=data.dtype)            # copies, in the param's dtype
    return float(value)                                     # a Value's state is a float
