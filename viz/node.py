"""How viz reads a node's numbers: the one place that knows which fields hold them.

Everything in viz that needs a node's forward value or gradient (a float for a `Value`, a
NumPy array for a `Tensor`, None for a gradient not computed) calls these two functions.
They read the node protocol's raw accessors (`raw_data`, `raw_grad`); a Tensor's `.data`
and `.grad` are Tensors, as in PyTorch. A node's local derivatives (edge labels, the
steps' captions) come through `local_derivatives_of`; `rule_of` names the rule-table entry
(and its parameter) an op node was made with, for pages that recompute a scalar graph.

>>> from autograd import Value
>>> x = Value(2.0); y = x * 3; y.backward()
>>> data_of(y), grad_of(x), local_derivatives_of(y), rule_of(x ** 3)
(6.0, 3.0, (3.0, 2.0), ('**', 3.0))
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

from autograd.scalar_rules import local_derivatives


def data_of(node: Any) -> Any:
    """The node's forward value: a float or a NumPy array."""
    return node.raw_data


def grad_of(node: Any) -> Any:
    """The node's gradient: a float, a NumPy array, or None."""
    return node.raw_grad


def rule_of(node: Any) -> Tuple[str, Any]:
    """(rule-table key, the op's parameter) of the op that made `node`: `('**', 3.0)` for
    x**3, `('leaky_relu', 0.01)`, `('tanh', None)`; `('', None)` for a leaf. The protocol's
    `op` is for reading (`'**3'`); nodes of other engines without these fields give their
    `op` and no parameter."""
    return getattr(node, "_op", node.op), getattr(node, "_arg", None)


def local_derivatives_of(node: Any) -> Optional[tuple]:
    """∂node/∂parent for each parent of a scalar node, as numbers; None when they are not
    numbers (the edges stay unlabelled). A node from outside glassgrad's engine (a traced
    PyTorch op) answers through its own `_local_derivatives()`; glassgrad's nodes through
    the scalar rule table."""
    own = getattr(node, "_local_derivatives", None)
    if own is not None:
        return own()
    try:
        return local_derivatives(node)
    except (KeyError, AttributeError, TypeError, ValueError, ArithmeticError):
        return None     # an op without a scalar rule
