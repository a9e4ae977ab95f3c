"""Flat buffers: one optimizer update for a whole parameter group (PyTorch's foreach idea).

After a group's first step, its tensor parameters and their state arrays (Adam's moments,
a momentum buffer, ...) are moved into one contiguous buffer each, and every parameter and
state entry becomes a view into it. A step then copies the gradients into one buffer and
runs the optimizer's own array update ONCE over the buffers: a handful of NumPy calls
instead of a dozen per parameter. Elementwise arithmetic is the same per element whatever
the array's length, so the numbers are bit-for-bit those of the per-parameter update.

Groups of big parameters (over PACKED_MEAN_SIZE elements on average) are not packed: there
the gradients' copy would cost more than the calls it saves. Whenever the preconditions fail
(a Value parameter, a grad that is None or of another dtype,
a parameter whose array was replaced, e.g. by `model.to(float64)`, differing step counts,
a state that was loaded), the group takes the per-parameter path and is packed afresh later.

>>> import numpy as np
>>> from nn import Parameter
>>> from nn.optim import Adam
>>> a, b = Parameter(np.ones(2)), Parameter(np.ones((2, 2)))
>>> opt = Adam([a, b], lr=0.1)
>>> for _ in range(2):
...     opt.zero_grad()
...     (a.sum() + b.sum()).backward()
...     opt.step()
>>> a.raw_data.base is b.raw_data.base is not None       # views into one buffer
True
>>> a.raw_data.round(4).tolist()
[0.8, 0.8]
"""
from __future__ import annotations

from operator import is_
from typing import Any, Dict, List, Optional

import numpy as np


# Packing pays while NumPy's ~1 µs per call (a dozen calls per parameter) outweighs the
# copy of the gradients into the flat buffer (~1 ns per element): groups whose parameters
# hold more than this many elements on average keep the per-parameter update.
PACKED_MEAN_SIZE = 16384


def _views(flat: np.ndarray, like: List[np.ndarray]) -> List[np.ndarray]:
    out, start = [], 0
    for a in like:
        out.append(flat[start:start + a.size].reshape(a.shape))
        start += a.size
    return out


class FlatGroup:
    """One parameter group packed into flat buffers. `raw_data` (the flat parameters) is the
    name the optimizers' array updates read, so this object stands in for one parameter."""

    __slots__ = ("group", "params", "views", "raw_data", "grad", "state", "state_views")

    @classmethod
    def pack(cls, group: Dict[str, Any], state: Dict[Any, Dict[str, Any]]
             ) -> Optional["FlatGroup"]:
        """Pack `group` if every parameter is a tensor with a gradient and a state like the
        others' (same keys, same step count); else None."""
        params = list(group["params"])
        if len(params) < 2 or len({id(p) for p in params}) != len(params):
            return None
        datas = [p.raw_data for p in params]
        if not all(isinstance(d, np.ndarray) for d in datas):
            return None
        if sum(d.size for d in datas) > PACKED_MEAN_SIZE * len(params):
            return None
        dtype = datas[0].dtype
        if any(d.dtype != dtype for d in datas) or not _grads_fit(params, datas):
            return None
        states = [state[p] if p in state else None for p in params]
        if any(s is None for s in states):
            return None
        keys = list(states[0])
        arrays = [k for k in keys if isinstance(states[0][k], np.ndarray)]
        for s, d in zip(states, datas):
            if list(s) != keys or any(type(s[k]) is not np.ndarray or s[k].shape != d.shape
                                      or s[k].dtype != dtype for k in arrays):
                return None
            if any(s[k] != states[0][k] for k in keys if k not in arrays):
                return None
        self = cls()
        self.group = group
        self.params = params
        self.raw_data = np.concatenate([d.ravel() for d in datas])
        self.views = _views(self.raw_data, datas)
        for p, v in zip(params, self.views):
            p.raw_data = v
        self.grad = np.empty_like(self.raw_data)
        self.state = dict(states[0])
        self.state_views = {}
        for k in arrays:
            self.state[k] = np.concatenate([s[k].ravel() for s in states])
            self.state_views[k] = _views(self.state[k], datas)
            for s, v in zip(states, self.state_views[k]):
                s[k] = v
        return self

    def still_packed(self, group: Dict[str, Any], state: Dict[Any, Dict[str, Any]]) -> bool:
        """Whether parameters and state still live in the buffers and every grad fits."""
        params = group["params"]
        if group is not self.group or len(params) != len(self.params):
            return False
        if not all(map(is_, params, self.params)) or not all(
                p.raw_data is v for p, v in zip(params, self.views)):
            return False
        for k, views in self.state_views.items():
            if not all(state[p].get(k) is v for p, v in zip(params, views)):
                return False
        return _grads_fit(params, self.views)

    def gather_grads(self) -> np.ndarray:
        """The parameters' gradients, copied into the flat gradient buffer."""
        return np.concatenate([p.raw_grad.ravel() for p in self.params], out=self.grad)

    def spread_counts(self, state: Dict[Any, Dict[str, Any]]) -> None:
        """Copy the step count (and any other number) the update changed to every parameter."""
        numbers = {k: v for k, v in self.state.items() if k not in self.state_views}
        for p in self.params:
            state[p].update(numbers)


def _grads_fit(params: List[Any], datas: List[np.ndarray]) -> bool:
    for p, d in zip(params, datas):
        g = p.raw_grad
        if g is None or g.shape != d.shape or g.dtype != d.dtype:
            return False
    return True
