"""`detect_anomaly()`: stop at the first Tensor op whose result or gradient is not finite.

Off by default (NaN and inf flow silently, as in PyTorch). Inside the block, the op that
first *produces* a nan/inf raises `AnomalyError`, naming the op, its inputs' shapes and
labels; in backward, the node whose VJP produced it. PyTorch's own `detect_anomaly` only
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
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .mode import Switch


class AnomalyError(RuntimeError):
    """A non-finite value appeared inside `detect_anomaly()`."""


class detect_anomaly(Switch):
    """Raise at the first op producing a non-finite value (forward) or gradient (backward)."""

    flag = "anomaly"

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(check_nan)

    @property
    def check_nan(self) -> bool:
        return self.mode


def _bad(array: np.ndarray) -> str:
    """'' if every element is finite, else 'nan', 'inf' or 'nan and inf'."""
    if array.dtype.kind not in "fc" or np.isfinite(array).all():
        return ""
    has_nan = bool(np.isnan(array).any())
    has_inf = bool(np.isinf(array).any())
    return "nan and inf" if has_nan and has_inf else ("nan" if has_nan else "inf")


def _describe(nodes: Sequence[Any]) -> str:
    return ", ".join(f"{n.label or 'unlabelled'} {tuple(n.shape)}" for n in nodes)


def check_forward(op: str, data: np.ndarray, inputs: Sequence[Any]) -> None:
    what = _bad(data)
    if what:
        raise AnomalyError(f"detect_anomaly: {op} produced {what} in forward; "
                           f"inputs: {_describe(inputs)}")


def check_backward(node: Any, position: int, grad: Any) -> None:
    # grad is an ndarray (or NumPy scalar) in backward, a Tensor under create_graph.
    what = _bad(grad.raw_data if hasattr(grad, "_parents") else np.asarray(grad))
    if what:
        parent = node._parents[position]
        raise AnomalyError(
            f"detect_anomaly: the backward of {node.op} (node {node.label or 'unlabelled'}, "
            f"inputs: {_describe(node._parents)}) produced {what} in the gradient of input "
            f"{position} ({parent.label or 'unlabelled'})")
