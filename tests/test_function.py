"""Custom ops (issue 9): `autograd.Function` on Tensors and Values, and micrograd's lecture
idiom `out._backward = fn`, both through the rule tables and the one traversal."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Function, GradcheckError, Tensor, Value, grad, gradcheck
from autograd.scalar_rules import RULES as SCALAR_RULES
from autograd.tensor_rules import RULES as TENSOR_RULES

try:
    import torch
except ImportError:
    torch = None


class Exp(Function):
    """e^x, saving its output (PyTorch's documentation example)."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class ScaledMul(Function):
    """a * b * k with a plain-number argument k (gets None as its gradient)."""

    @staticmethod
    def forward(ctx, a, b, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return a * b * k

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b * ctx.k, grad * a * ctx.k, None


class Square(Function):
    """PyTorch's other spelling: forward without ctx, then setup_context."""

    @staticmethod
    def forward(x):
        return x * x

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2.0 * x * grad


class WrongExp(Exp):
    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * 1.1


def test_value_function_value_and_gradient():
    x = Value(0.5, label="x")
    y = Exp.apply(x)
    y.backward()
    assert y.data == math.exp(0.5) and x.grad == math.exp(0.5)
    assert y.op == "Exp" and y.parents == (x,) and y._op == "function"


def test_tensor_function_value_gradient_and_broadcast_argument():
    a = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    b = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    out = ScaledMul.apply(a, b, 3.0)
    out.sum().backward()
    np.testing.assert_allclose(np.asarray(out), np.asarray(a) * [0.5, -1.0] * 3.0)
    np.testing.assert_allclose(np.asarray(a.grad), np.broadcast_to([1.5, -3.0], (2, 2)))
    np.testing.assert_allclose(np.asarray(b.grad), [12.0, 18.0])   # summed over rows
    assert out.op == "ScaledMul"


def test_needs_input_grad_and_no_grad():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen.append(ctx.needs_input_grad)
            assert not autograd.is_grad_enabled()       # forward records nothing
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad, grad, None

    a = Tensor([1.0], requires_grad=True)
    b = Tensor([2.0])
    out = Probe.apply(a, b, 1)
    assert seen[-1] == (True, False, False) and out.requires_grad
    with autograd.no_grad():
        out = Probe.apply(a, b, 1)
    assert seen[-1] == (False, False, False) and not out.requires_grad and not out.parents
    Probe.apply(Value(1.0), Value(2.0), 1)
    assert seen[-1] == (True, True, False)


def test_setup_context_style():
    x = Value(3.0)
    Square.apply(x).backward()
    assert x.grad == 6.0
    t = Tensor([1.0, -2.0], requires_grad=True)
    Square.apply(t).sum().backward()
    np.testing.assert_array_equal(np.asarray(t.grad), [2.0, -4.0])


@pytest.mark.parametrize("make", [lambda: Value(0.7), lambda: Tensor([0.7, -0.3],
                                                                       requires_grad=True)])
def test_higher_order_through_a_saved_output(make):
    # d²/dx² e^x = e^x: backward uses the saved *output*, which must be the node itself.
    x = make()
    y = Exp.apply(x)
    (d1,) = grad(y if isinstance(x, Value) else y.sum(), [x], create_graph=True)
    (d2,) = grad(d1 if isinstance(x, Value) else d1.sum(), [x])
    expected = np.exp(np.asarray(x.raw_data))
    np.testing.assert_allclose(np.asarray(d2), expected, rtol=1e-15)


def test_gradcheck_passes_and_catches_a_wrong_backward_naming_the_function():
    assert gradcheck(lambda v: Exp.apply(v) * v, [Value(0.3)])
    assert gradcheck(lambda t: ScaledMul.apply(t, t.sin(), 2.0),
                     [Tensor(np.array([0.3, -0.4]), requires_grad=True)])
    for x in (Value(0.3, label="x"), Tensor(np.array([0.3]), requires_grad=True, label="x")):
        with pytest.raises(GradcheckError, match="the graph uses the custom backward of "
                                                 "WrongExp: check it first"):
            gradcheck(lambda v: WrongExp.apply(v), [x])


def test_one_generic_table_entry_serves_every_function():
    assert "function" in SCALAR_RULES and "function" in TENSOR_RULES
    before = (set(SCALAR_RULES), set(TENSOR_RULES))
    Exp.apply(Value(1.0))
    Exp.apply(Tensor([1.0], requires_grad=True))
    assert (set(SCALAR_RULES), set(TENSOR_RULES)) == before   # no per-class entries


def test_a_node_holds_no_reference_cycle():
    import gc
    import weakref
    x = Value(0.5)
    y = Exp.apply(x)
    ref = weakref.ref(y)
    gc.disable()
    try:
        del y
        assert ref() is None       # freed by reference counting alone
    finally:
        gc.enable()


def test_drawn_like_a_built_in_op():
    import viz
    x = Value(0.5, label="x")
    y = Exp.apply(x)
    y.label = "y"
    y.backward()
    source = viz.draw(y).source
    assert "Exp" in source
    assert f"∂ {math.exp(0.5):.4g}"[:6] in source   # the local derivative on the edge
    assert autograd.local_derivatives(y) == (math.exp(0.5),)


def test_bad_functions_get_clear_errors():
    class NoGrads(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad

    class TwoOutputs(Function):
        @staticmethod
        def forward(ctx, a):
            return a, a

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2.0

        @staticmethod
        def backward(ctx, grad):
            return Tensor(np.ones(5))

    with pytest.raises(TypeError, match="NoGrads.backward returned an incorrect number of "
                                        r"gradients \(expected 2"):
        NoGrads.apply(Value(1.0), Value(2.0)).backward()
    with pytest.raises(TypeError, match="TwoOutputs.forward returned 2 outputs"):
        TwoOutputs.apply(Value(1.0))
    with pytest.raises(ValueError, match=r"WrongShape.backward returned a gradient of shape "
                                         r"\(5,\) for argument 0, whose shape is \(2,\)"):
        WrongShape.apply(Tensor([1.0, 2.0], requires_grad=True)).sum().backward()
    with pytest.raises(TypeError, match="needs at least one Tensor or Value"):
        Exp.apply(1.0)
    with pytest.raises(TypeError, match="Tensor and Value arguments don't mix"):
        ScaledMul.apply(Value(1.0), Tensor([1.0]), 1.0)
    with pytest.raises(NotImplementedError, match="must define forward"):
        Function.apply(Value(1.0))


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_matches_torch_autograd_function():
    class TorchExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    data = np.array([0.3, -1.2, 2.0])
    t = torch.tensor(data, requires_grad=True)
    (TorchExp.apply(t) * t).sum().backward()
    x = Tensor(data, requires_grad=True)
    (Exp.apply(x) * x).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), t.grad.numpy(), rtol=1e-15)


# ---- micrograd's lecture idiom -----------------------------------------------------------

def _lecture_tanh(self):
    # micrograd lecture (building micrograd), verbatim apart from the name.
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t ** 2) * out.grad
    out._backward = _backward
    return out


def _lecture_exp(self):
    x = self.data
    out = Value(math.exp(x), (self,), "exp2")   # an op name the engine does not know

    def _backward():
        self.grad += out.data * out.grad
    out._backward = _backward
    return out


def test_micrograd_backward_closures_run_in_the_one_traversal():
    x = Value(0.8, label="x")
    y = _lecture_exp(_lecture_tanh(x)) * 2.0 + x
    y.backward()
    t = math.tanh(0.8)
    assert x.grad == pytest.approx(2.0 * math.exp(t) * (1 - t * t) + 1.0, rel=1e-14)
    node = y.parents[0].parents[0]
    assert node.op == "exp2" and node.parents[0].op == "tanh"
    # drawings read its local derivative like a built-in's
    assert autograd.local_derivatives(node) == pytest.approx((math.exp(t),))
    # first-order autograd.grad uses the closure too; the grads it probes are put back
    assert grad(y, [x])[0] == pytest.approx(x.grad, rel=1e-14)
    assert node.grad == 2.0


def test_micrograd_manual_backward_loop_works():
    # The lecture's hand-written backward: topological order, then node._backward().
    a, b = Value(2.0), Value(-3.0)
    d = _lecture_tanh(a * b + a)
    topo, seen = [], set()

    def build(v):
        if v not in seen:
            seen.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)
    build(d)
    d.grad = 1.0
    for node in reversed(topo):
        node._backward()
    manual = (a.grad, b.grad)
    for v in (a, b):
        v.grad = 0.0
    d.backward()
    assert manual == pytest.approx((a.grad, b.grad), rel=1e-15)


def test_micrograd_backward_cannot_be_differentiated_twice():
    x = Value(0.3)
    with pytest.raises(TypeError, match="micrograd-style _backward, which cannot be "
                                        "differentiated again"):
        grad(_lecture_tanh(x), [x], create_graph=True)


def test_unknown_op_without_a_backward_says_what_to_do():
    x = Value(0.3)
    with pytest.raises(KeyError, match="made by op 'mystery' has no derivative rule; give it a "
                                       "_backward"):
        (Value(1.0, (x,), "mystery") * 2.0).backward()
    with pytest.raises(TypeError, match="_backward must be a function"):
        Value(1.0, (x,), "mystery")._backward = 3
