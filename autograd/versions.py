"""Version counters: backward refuses to use a tensor that was changed in place after an op
recorded it (it would compute a silently wrong gradient), as PyTorch does.

Every in-place write (`add_`, `x[i] = v`, `-=`, an optimizer step, ...) bumps the written
tensor's counter, which its views share (a `reshape`/`transpose`/`x[i]`/`detach()` of the
same memory). The counter also keeps the graph clock (`graph.next_seq`) reading of its
recent writes. A recorded node is stale when one of its inputs, or the node itself, was
written after the node was made: its counter's last write is later than the node's `_seq`.

Cost: nothing per op. Counters are created by the first in-place write (or the first
view); backward compares one number per node, and only looks closer when some in-place
write happened after the oldest node of the graph was recorded.

>>> import numpy as np
>>> from autograd import Tensor, no_grad
>>> x = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="x")
>>> y = (x * x).sum()
>>> with no_grad():
...     x -= 1
>>> y.backward()
Traceback (most recent call last):
...
RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation: [float64 tensor x of shape (2,)], input 0 of op '*', is at version 1; expected version 0 instead. Hint: the tensor was changed in place (e.g. by -=, add_, x[i] = ..., or an optimizer step) after '*' used it; compute the gradient first, or change a copy (x.clone())
"""
from __future__ import annotations

import bisect
from typing import Any, List

from .graph import next_seq

KEPT = 64   # writes remembered per counter, to say which version a node expected


class VersionCounter:
    """How many times a tensor's memory was written in place (shared by its views)."""

    __slots__ = ("version", "writes")

    def __init__(self) -> None:
        self.version = 0
        self.writes: List[int] = []    # graph-clock readings of the last KEPT writes

    def bump(self) -> None:
        stamp = next_seq()
        self.version += 1
        writes = self.writes
        writes.append(stamp)
        if len(writes) > KEPT:
            del writes[0]
        CLOCK.last = stamp

    def written_after(self, seq: int) -> bool:
        return bool(self.writes) and self.writes[-1] > seq

    def version_at(self, seq: int) -> str:
        """The version the counter had when the graph clock read `seq`."""
        later = len(self.writes) - bisect.bisect_right(self.writes, seq)
        earlier = self.version - later
        return str(earlier) if later < len(self.writes) or earlier == 0 else \
            f"{earlier} or earlier"


class _Clock:
    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = -1     # graph-clock reading of the latest in-place write anywhere


CLOCK = _Clock()


def describe(t: Any) -> str:
    name = f"tensor {t.label} " if t.label else "tensor "
    made = f", the output of op {t.op!r}" if t._parents else ""
    return f"[{t.raw_data.dtype} {name}of shape {tuple(t.raw_data.shape)}{made}]"


def check(node: Any) -> None:
    """Raise PyTorch's error if an input of `node`, or `node` itself, changed in place
    after `node` was recorded."""
    seq = node._seq
    for position, t in enumerate(node._parents + (node,)):
        counter = t._version
        if counter is None or not counter.written_after(seq):
            continue
        op = node.op
        role = ("the node's own value" if t is node else
                f"an input of op {op!r}" if len(node._parents) == 1 else
                f"input {position} of op {op!r}")
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {describe(t)}, {role}, is at version {counter.version}; "
            f"expected version {counter.version_at(seq)} instead. Hint: the tensor was "
            f"changed in place (e.g. by -=, add_, x[i] = ..., or an optimizer step) after "
            f"{op!r} used it; compute the gradient first, or change a copy (x.clone())")
