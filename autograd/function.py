"""`Function`: a custom op written as forward + backward (PyTorch's `torch.autograd.Function`).

Subclass it with two static methods and call `.apply(...)`; it works on Tensors and on scalar
`Value`s alike. `forward(ctx, *args)` computes the result (recording is off inside it) and
may `ctx.save_for_backward(...)` what backward needs; `backward(ctx, grad)` returns one
gradient per argument of forward (None for arguments that are not Tensors/Values or need
none). The node it makes goes through the same rule tables and the same single traversal as
built-in ops (one generic table entry, `"function"`, hands the work to the ctx), is drawn by
`viz` under the class name, passes `gradcheck`, and supports higher-order gradients when
backward is written with differentiable ops.

>>> from autograd import Value
>>> class Cube(Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return grad * 3 * x ** 2
>>> x = Value(2.0, label="x")
>>> y = Cube.apply(x); y.backward()
>>> y.data, y.op, x.grad
(8.0, 'Cube', 12.0)

micrograd's way of adding an op (`out._backward = fn`) works too (see `Value._backward`);
`Function` is the recommended form: it also gives higher-order gradients.
"""
from __future__ import annotations

import weakref
from typing import Any, List, Optional, Sequence

import numpy as np

from .anomaly import check_forward
from .mode import STATE, THREAD, no_grad
from .scalar_rules import MASKED
from .tensor_core import Tensor, _make
from .value import Value, _as_float, _node


class FunctionCtx:
    """What forward leaves for backward: `save_for_backward(...)` / `saved_tensors`,
    `needs_input_grad` (one bool per forward argument), and any attribute you set on it."""

    def __init__(self, function: type, n_args: int, positions: Sequence[int],
                 needs_input_grad: tuple) -> None:
        self.needs_input_grad = needs_input_grad
        self._function = function
        self._n_args = n_args
        self._positions = tuple(positions)   # the arguments that are graph nodes (parents)
        self._saved: tuple = ()
        self._result: Any = None              # what forward returned ...
        self._output: Any = None              # ... and a weak reference to the node made of it

    @property
    def op_name(self) -> str:
        """The node's op as drawings and messages show it: the Function's class name."""
        return self._function.__name__

    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        """What was saved; a saved forward result is the output node itself, so a backward
        written with differentiable ops also differentiates through it (higher order)."""
        node = self._output() if self._output is not None else None
        if node is None:
            return self._saved
        return tuple(node if t is self._result else t for t in self._saved)

    def _bind(self, node: Any, result: Any, args: tuple) -> None:
        if not any(result is a for a in args):
            self._result = result
            self._output = weakref.ref(node)  # weak: the node holds this ctx (no cycle)

    # ---- backward, for the engines ----
    def _gradients(self, grad: Any) -> List[Any]:
        """backward(ctx, grad), checked: one entry per parent (None where there is none)."""
        name = self.op_name
        grads = self._function.backward(self, grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != self._n_args:
            raise TypeError(f"{name}.backward returned an incorrect number of gradients "
                            f"(expected {self._n_args}, one per argument of forward, got "
                            f"{len(grads)})")
        nodes = set(self._positions)
        for i, g in enumerate(grads):
            if g is not None and i not in nodes:
                raise TypeError(f"{name}.backward returned a gradient different than None at "
                                f"position {i}, but the corresponding forward input was not "
                                f"a Tensor or Value")
        return [grads[i] for i in self._positions]

    def accumulate(self, node: Any, g: float) -> None:
        """First-order scalar backward: add backward's gradients into the parents' grads."""
        with no_grad():
            grads = self._gradients(g)
        for parent, d in zip(node._parents, grads):
            if d is not None:
                parent.grad += float(d)

    def local_derivatives(self, differentiable: bool) -> tuple:
        """∂out/∂parent for a scalar node: backward at grad = 1 (a backward is linear in its
        grad), as numbers, or as Values (graphs) for higher order. None is a masked 0."""
        if differentiable:
            grads = self._gradients(Value(1.0))
            return tuple(MASKED if d is None else d for d in grads)
        with no_grad():
            grads = self._gradients(1.0)
        return tuple(MASKED if d is None else float(d) for d in grads)

    def vector_jacobian(self, g: Any, parents: Sequence[Any], differentiable: bool) -> list:
        """Tensor backward: g and the parents are arrays (Tensors when the gradient is itself
        recorded, for higher order).

        Gradients come back as arrays (Tensors when differentiable); a gradient may have a
        broadcast shape (the engine sums it back, as PyTorch's does)."""
        if differentiable:
            grads = self._gradients(g)
        else:
            with no_grad():
                grads = self._gradients(Tensor(g))
        out: List[Optional[Any]] = []
        for i, (x, d) in zip(self._positions, zip(parents, grads)):
            if d is None:
                out.append(None)
                continue
            if not differentiable:
                d = d.raw_data if isinstance(d, Tensor) else np.asarray(d)
            elif not isinstance(d, Tensor):
                d = Tensor(np.asarray(d))
            shape = tuple(d.shape)
            try:
                fits = np.broadcast_shapes(shape, x.shape) == shape
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"{self.op_name}.backward returned a gradient of shape {shape} "
                                 f"for argument {i}, whose shape is {tuple(x.shape)}")
            out.append(d)
        return out


class Function:
    """Base class of custom ops: define `forward(ctx, *args)` and `backward(ctx, grad)` as
    static methods, then call `YourFunction.apply(*args)`.

    PyTorch's other spelling works too: `forward(*args)` without ctx plus
    `setup_context(ctx, inputs, output)`. One output per Function (a node has one value).
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple, output: Any) -> None:
        """Override to use PyTorch's forward-without-ctx style."""

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run forward on `args` and record one graph node whose backward is `backward`."""
        name = cls.__name__
        positions = [i for i, a in enumerate(args) if isinstance(a, (Value, Tensor))]
        if not positions:
            raise TypeError(f"{name}.apply needs at least one Tensor or Value argument")
        scalar = isinstance(args[positions[0]], Value)
        if any(isinstance(args[i], Value) != scalar for i in positions):
            raise TypeError(f"{name}.apply: Tensor and Value arguments don't mix")
        recording = THREAD.recording.grad_enabled
        needs = tuple(recording and i in positions
                      and (scalar or args[i].requires_grad) for i in range(len(args)))
        ctx = FunctionCtx(cls, len(args), positions, needs)
        with no_grad():
            if cls.setup_context is Function.setup_context:
                result = cls.forward(ctx, *args)
            else:
                result = cls.forward(*args)
                cls.setup_context(ctx, args, result)
        if isinstance(result, (tuple, list)):
            raise TypeError(f"{name}.forward returned {len(result)} outputs; a glassgrad "
                            f"Function has one output (a node holds one value)")
        parents = tuple(args[i] for i in positions)
        if scalar:
            data = result.data if isinstance(result, Value) else _as_float(result)
        else:
            data = result.raw_data if isinstance(result, Tensor) else np.asarray(result)
        if STATE.anomaly:
            check_forward(name, data, parents)
        out = (_node if scalar else _make)(data, parents, "function", ctx)
        ctx._bind(out, result, args)
        return out
