"""`grad`: gradients of outputs w.r.t. chosen inputs, without touching `.grad`.

With `create_graph=True` the gradients are graphs themselves (built from the same rule
table, evaluated on nodes instead of floats), so they can be differentiated again.

>>> from autograd import Value, grad
>>> x = Value(3.0)
>>> (dx,) = grad(x ** 3, [x], create_graph=True)
>>> dx.data
27.0
>>> (d2x,) = grad(dx, [x])
>>> d2x
18.0
"""
from __future__ import annotations

from typing import Any, List, Optional

from .graph import topological_order
from .mode import set_grad_enabled


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """d(outputs)/d(inputs) as a tuple, one entry per input (PyTorch's `autograd.grad`).

    Without `grad_outputs` every output is seeded with 1 (so a non-scalar Tensor output
    needs `grad_outputs`, like PyTorch). An input the outputs do not depend on raises,
    unless `allow_unused=True`, which gives None for it.
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    seeds = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(seeds) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(seeds)} grad_outputs")
    grads: dict = {}
    with set_grad_enabled(create_graph):
        for out, seed in zip(outs, seeds):
            g = out._seed_gradient(seed, create_graph)
            key = id(out)
            grads[key] = grads[key] + g if key in grads else g
        for node in reversed(topological_order(outs)):
            g = grads.get(id(node))
            if g is None or not node._parents:
                continue
            for parent, contribution in zip(node._parents, node._vjp(g, create_graph)):
                if contribution is None:
                    continue
                key = id(parent)
                grads[key] = grads[key] + contribution if key in grads else contribution
    result: List[Optional[Any]] = []
    for i, x in enumerate(ins):
        g = grads.get(id(x))
        if g is None and not allow_unused:
            raise ValueError(f"grad: input {i} ({x.label or type(x).__name__}) was not used "
                             f"to compute the outputs; pass allow_unused=True to get None")
        result.append(None if g is None else x._wrap_gradient(g, create_graph))
    return tuple(result)
