"""The one graph traversal. `backward`, `autograd.grad`, `viz` and diagnostics all use it.

Every node (scalar `Value` or `Tensor`) carries `_parents` (an ordered tuple) and `_seq`, a
number drawn from one global counter when the node is made. A parent always exists before
its child, so creation order is already a topological order: we only have to find the
nodes reachable from the roots (an iterative walk, no recursion, so a 1,000,000-node chain
is fine) and sort them by `_seq` (done in C by `list.sort`, on a nearly sorted list).

>>> from autograd import Value
>>> a = Value(2.0, label="a"); b = a * a + a
>>> [n.label or n.op for n in topological_order(b)]
['a', '*', '+']
"""
from __future__ import annotations

import itertools
from operator import attrgetter
from typing import Any, Iterable, List

# Shared by Value and Tensor so mixed drawings still order correctly.
next_seq = itertools.count().__next__
_by_seq = attrgetter("_seq")


class Node:
    """The node protocol shared by `Value` and `Tensor`; all that `viz` and the traversal read.

    Subclasses hold their numbers, `label`, `_parents` (an ordered tuple), `_op`, `_arg`
    (the op's parameter, e.g. an exponent), `_seq`, `_scope` and `_mark` (the traversal's
    visit mark) in their own `__slots__`.

    Code that works on either kind of node (viz, gradcheck, anomaly checks, optimizers)
    reads the numbers through ONE accessor pair, `raw_data` and `raw_grad`: a float for a
    `Value`, an ndarray (or None for a missing gradient) for a `Tensor`. Users read `.data`
    and `.grad`, which for a Tensor are Tensors, as in PyTorch.

    >>> from autograd import Tensor, Value
    >>> Value(2.0).raw_data, type(Tensor([1.0, 2.0]).raw_data).__name__
    (2.0, 'ndarray')
    """

    __slots__ = ()

    # Value keeps its float in `data`/`grad` (micrograd's API); Tensor overrides both
    # accessors with its raw-array slots.
    @property
    def raw_data(self) -> Any:
        """The node's value: a float (Value) or an ndarray (Tensor); assignable."""
        return self.data

    @raw_data.setter
    def raw_data(self, value: Any) -> None:
        self.data = value

    @property
    def raw_grad(self) -> Any:
        """The node's gradient: a float (Value) or None/an ndarray (Tensor); assignable."""
        return self.grad

    @raw_grad.setter
    def raw_grad(self, value: Any) -> None:
        self.grad = value

    def _bump_version(self) -> None:
        """Record that this node's numbers were written in place (an optimizer step).

        Tensor overrides it (its version counter, autograd/versions.py); a Value has none.
        """

    @property
    def parents(self) -> tuple:
        return self._parents

    @property
    def op(self) -> str:
        """The op that made this node ('' for a leaf); `'**'` shows its exponent, a custom
        op (`autograd.Function`, micrograd's `_backward`) its own name."""
        op = self._op
        if op == "**":
            return f"**{self._arg:g}"
        return self._arg.op_name if op == "function" else op

    @property
    def is_leaf(self) -> bool:
        return not self._parents


def topological_order(roots: Any) -> List[Any]:
    """All nodes reachable from `roots` (a node or an iterable of nodes), parents first."""
    stamp = object()  # this walk's visit mark: cheaper than hashing every node into a set
    stack = []
    for root in (roots if isinstance(roots, (list, tuple)) else [roots]):
        if root._mark is not stamp:
            root._mark = stamp
            stack.append(root)
    found = []
    append, push, pop = found.append, stack.append, stack.pop
    # Depth-first with an explicit stack (no recursion). It meets the nodes in about reverse
    # creation order, which is also their order in memory: three times faster than a
    # breadth-first walk on big graphs, whose jumps miss the cache, and flat per node.
    while stack:
        node = pop()
        append(node)
        for parent in node._parents:
            if parent._mark is not stamp:
                parent._mark = stamp
                push(parent)
    # Reversed, `found` is nearly in creation order: timsort finishes it in a few passes.
    found.reverse()
    found.sort(key=_by_seq)
    return found


def leaves(roots: Any) -> Iterable[Any]:
    """The nodes without parents (inputs, parameters, constants) reachable from `roots`."""
    return [n for n in topological_order(roots) if not n._parents]
