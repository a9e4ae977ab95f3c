"""`detect_anomaly()`: stop at the first op whose result or gradient is not finite.

Works for both engines (`Value` and `Tensor` graphs). Off by default (NaN and inf flow
silently, as in PyTorch). Inside the block, the op that first *produces* a nan/inf raises
`AnomalyError`, naming the op and its inputs (labels, with shapes or values, and whether an
input already held a nan); in backward, the node (op and label) whose backward produced it. PyTorch's own `detect_anomaly` only
checks backward; checking forward too is a deliberate addition (it finds the culprit op
directly). Works as a context manager and as a decorator.

>>> import numpy as np
>>> from autograd import Tensor, detect_anomaly
>>> x = Tensor([1.0, -1.0], label="x")
>>> with detect_anomaly():
...     x.log()
Traceback (most recent call last):
...
autograd.anomaly.AnomalyError: detect_anomaly: log produced nan in forward; inputs: x (2,)
>>> from autograd import Value
>>> a = Value(float("inf"), label="a")
>>> with detect_anomaly():
...     a - a
Traceback (most recent call last):
...
autograd.anomaly.AnomalyError: detect_anomaly: - produced nan in forward; inputs: a = inf, a = inf
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .mode import STATE, Mode


class AnomalyError(RuntimeError):
    """A non-finite value appeared inside `detect_anomaly()`."""


class detect_anomaly(Mode):
    """Raise at the first op producing a non-finite value (forward) or gradient (backward).

    Process-wide while active, as PyTorch's anomaly mode.
    """

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(check_nan)

    def _read(self) -> bool:
        return STATE.anomaly

    def _write(self, value: bool) -> None:
        STATE.anomaly = value

    def _fresh(self) -> Mode:
        return detect_anomaly(self.mode)

    @property
    def check_nan(self) -> bool:
        return self.mode


def _bad(data: Any) -> str:
    """'' if every element is finite, else 'nan', 'inf' or 'nan and inf'."""
    if type(data) is float:   # a Value's number
        if data - data == 0.0:
            return ""
        return "nan" if data != data else "inf"
    array = np.asarray(data)
    if array.dtype.kind not in "fc" or np.isfinite(array).all():
        return ""
    has_nan = bool(np.isnan(array).any())
    has_inf = bool(np.isinf(array).any())
    return "nan and inf" if has_nan and has_inf else ("nan" if has_nan else "inf")


def _name(node: Any) -> str:
    return node.label or "unlabelled"


def _describe(nodes: Sequence[Any]) -> str:
    """Each input by label, with its shape (Tensor) or value (Value), and whether it already
    held a non-finite number (a nan input rather than an op that made one)."""
    parts = []
    for n in nodes:
        data = n.raw_data
        shown = f"= {data!r}" if type(data) is float else str(tuple(n.shape))
        bad = "" if type(data) is float else _bad(data)
        parts.append(f"{_name(n)} {shown}" + (f" (already holds {bad})" if bad else ""))
    return ", ".join(parts)


def check_forward(op: str, data: Any, inputs: Sequence[Any]) -> None:
    what = _bad(data)
    if what:
        raise AnomalyError(f"detect_anomaly: {op} produced {what} in forward; "
                           f"inputs: {_describe(inputs)}")


def _raise_backward(node: Any, position: int, what: str) -> None:
    parent = node._parents[position]
    raise AnomalyError(
        f"detect_anomaly: the backward of {node.op} (node {_name(node)}, "
        f"inputs: {_describe(node._parents)}) produced {what} in the gradient of input "
        f"{position} ({_name(parent)})")


def check_backward(node: Any, position: int, grad: Any) -> None:
    """A Tensor node's gradient contribution to one parent (an array, or a Tensor under
    create_graph)."""
    what = _bad(grad.raw_data if hasattr(grad, "_parents") else grad)
    if what:
        _raise_backward(node, position, what)


def check_value_backward(node: Any, contributions: Any = None) -> None:
    """A Value node's contributions to its parents: given (autograd.grad), or recomputed
    from its local derivatives after backward applied them (backward stays lean)."""
    if contributions is None:
        from .scalar_rules import MASKED, local_derivatives  # scalar_rules imports numpy only
        g = node.grad
        contributions = [None if d is MASKED else d * g for d in local_derivatives(node)]
    for position, c in enumerate(contributions):
        if c is None:
            continue
        what = _bad(c.data if hasattr(c, "_parents") else float(c))
        if what:
            _raise_backward(node, position, what)
