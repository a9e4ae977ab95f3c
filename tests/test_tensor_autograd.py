"""Tensor backward semantics: seeds and errors, accumulation, kept graphs and interior
gradients (deliberate differences from PyTorch, pinned here), grad mode, detach,
higher order (HVP of a small MLP vs finite differences), detect_anomaly, gradcheck."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autograd
from autograd import (AnomalyError, GradcheckError, Tensor, Value, detect_anomaly, gradcheck,
                      no_grad)

try:
    import torch
except ImportError:
    torch = None


# ---- backward: seeds, shapes, errors ----

def test_backward_needs_a_gradient_for_non_scalar_outputs():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        (x * 2).backward()
    (x * 2)[:1].backward()             # one element: numel is the rule, not ndim
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 0.0])


def test_backward_with_gradient_is_a_vector_jacobian_product():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 2).backward(Tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output has a shape of "
                                           r"\(2,\) and output has a shape of \(3,\)"):
        (x * 2).backward(np.ones(2))


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_backward_on_a_leaf_seeds_itself():
    x = Tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad == 1.0 and x.grad.shape == ()


def test_backward_does_not_keep_a_reference_to_the_seed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    seed = np.ones(2)
    y = x * 1.0
    y.backward(seed)
    y.grad[0] = 5.0
    assert seed[0] == 1.0


# ---- accumulation and kept graphs ----

def test_leaves_accumulate_across_backward_calls():
    x = Tensor([1.0, -2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    loss.backward()                    # the graph is kept: no retain_graph needed
    np.testing.assert_array_equal(x.grad, 2 * 2 * x.data)


def test_retain_graph_is_accepted_and_ignored():
    x = Tensor([1.0], requires_grad=True)
    y = (x * 3).sum()
    y.backward(retain_graph=False)
    y.backward()
    np.testing.assert_array_equal(x.grad, [6.0])


def test_interior_nodes_keep_their_gradient_unlike_pytorch():
    """Deliberate difference: PyTorch leaves a non-leaf's .grad None (and warns); glassgrad
    keeps every node's gradient so drawings can show it. It is recomputed, not summed,
    on the next backward."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = y.sum()
    z.backward()
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    assert z.grad == 1.0
    z.backward()
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    if torch is not None:
        tx = torch.tensor([1.0, 2.0], requires_grad=True)
        ty = tx * 3
        ty.sum().backward()
        with pytest.warns(UserWarning):
            assert ty.grad is None


def test_retain_grad_is_a_no_op_but_checks_requires_grad():
    x = Tensor([1.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.sum().backward()
    np.testing.assert_array_equal(y.grad, [1.0])
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        Tensor([1.0]).retain_grad()


def test_fan_out_sums_contributions():
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = x * x + x * 3 + x          # dy/dx = 2x + 3 + 1
    y.backward(np.ones(1))
    np.testing.assert_array_equal(x.grad, [8.0])


def test_same_tensor_on_both_sides():
    x = Tensor([3.0], requires_grad=True)
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0])


def test_leaf_grad_owns_its_memory():
    """A leaf's gradient is never a view of another node's gradient or a read-only
    broadcast: in-place edits (clipping, zero_grad(set_to_none=False)) are safe."""
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    y = w + 0.0                       # + passes the gradient through unchanged
    z = (y.T * 2).sum() + b.expand(4, 3).sum()
    z.backward()
    assert w.raw_grad.flags.owndata and w.raw_grad.flags.writeable
    assert w.raw_grad is not y.raw_grad and b.raw_grad.flags.writeable
    w.grad *= 0.5
    np.testing.assert_array_equal(y.grad, np.full((2, 3), 2.0))


def test_backward_of_a_deep_chain_does_not_recurse():
    x = Tensor([0.5], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0])


def test_graph_is_freed_without_the_cycle_collector():
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * 2).exp().sum()
    y.backward()
    ref = weakref.ref(y)
    gc.disable()
    try:
        del y
        assert ref() is None        # no reference cycles: freed by reference counting
    finally:
        gc.enable()


# ---- grad mode, detach, requires_grad ----

def test_no_grad_records_nothing():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf and y.parents == () and y.op == ""

    @no_grad()
    def f(t):
        return t.exp()

    assert not f(x).requires_grad
    with no_grad():
        with autograd.enable_grad():
            assert (x * 2).requires_grad


def test_requires_grad_is_the_or_of_inputs():
    a = Tensor([1.0], requires_grad=True)
    b = Tensor([2.0])
    assert (a + b).requires_grad and (b + a).requires_grad
    assert not (b * b).requires_grad and (b * b).is_leaf
    c = a + b
    assert c.parents == (a, b) and c.op == "+" and not c.is_leaf


def test_nodes_record_seq_and_scope():
    from autograd.mode import module_scope
    a = Tensor([1.0], requires_grad=True)
    marker = object()
    with module_scope(marker):
        b = a * 2
    c = b + 1
    assert b._scope is marker and c._scope is None and a._seq < b._seq < c._seq
    # The numbers become constant leaves, in creation order, as Value's do.
    order = autograd.topological_order(c)
    assert [n.op for n in order if n.parents] == ["*", "+"]
    assert len(order) == 5 and order[0] is a


def test_detach_shares_storage_and_stops_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True, label="x")
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.label == "x"
    d[0] = 5.0                       # in place on a tensor that needs no grad: allowed
    assert x.data[0] == 5.0          # the same storage, as PyTorch's detach
    y = (x * d).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, d.data)


def test_only_float_tensors_can_require_grad():
    msg = "Only Tensors of floating point and complex dtype can require gradients"
    with pytest.raises(RuntimeError, match=msg):
        autograd.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match=msg):
        Tensor(np.array([True]), requires_grad=True)
    t = Tensor(np.arange(3))
    with pytest.raises(RuntimeError, match=msg):
        t.requires_grad_()


def test_requires_grad_flag_of_non_leaf_cannot_be_cleared():
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False
    w = Tensor([1.0]).requires_grad_()
    assert w.requires_grad


def test_in_place_on_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation"):
        w += 1
    with pytest.raises(RuntimeError, match="in-place"):
        w[0] = 3.0
    y = w * 2
    with pytest.raises(RuntimeError, match="inside a graph"):   # PyTorch would allow this
        y.mul_(2)
    with no_grad():
        w -= 0.5 * np.array([2.0, 2.0])
        w.add_(Tensor([1.0, 1.0]), alpha=2.0)
        w.zero_().add_(1.0)
    np.testing.assert_array_equal(w.data, [1.0, 1.0])


# ---- Value and Tensor don't mix ----

def test_tensor_and_value_refuse_to_mix():
    t, v = Tensor([1.0, 2.0]), Value(3.0)
    for op in (lambda: t + v, lambda: v + t, lambda: t * v, lambda: v * t, lambda: t @ v,
               lambda: t.maximum(v), lambda: Tensor(v), lambda: Tensor([v, v])):
        with pytest.raises(TypeError, match="don't mix"):
            op()


# ---- autograd.grad and higher order ----

def test_grad_does_not_touch_dot_grad_and_returns_tensors():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad((x ** 3).sum(), [x])
    assert isinstance(g, Tensor) and not g.requires_grad and x.grad is None
    np.testing.assert_array_equal(g.data, 3 * x.data ** 2)
    unused = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="not used"):
        autograd.grad((x * 2).sum(), [x, unused])
    assert autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)[1] is None


def test_third_derivative():
    x = Tensor([0.7], requires_grad=True)
    (d1,) = autograd.grad(x.sin().sum(), [x], create_graph=True)
    (d2,) = autograd.grad(d1.sum(), [x], create_graph=True)
    (d3,) = autograd.grad(d2.sum(), [x])
    np.testing.assert_allclose(d3.data, -np.cos(0.7))


def _mlp_loss(params, x, y):
    w1, b1, w2, b2 = params
    h = autograd.linear(x, w1, b1).tanh()
    logits = h @ w2.T + b2
    rows = np.arange(x.shape[0])
    return (logits.logsumexp(dim=1) - logits[rows, y]).mean() + (w1 ** 2).sum() * 1e-2


def test_hessian_vector_product_of_an_mlp_matches_finite_differences():
    rng = np.random.default_rng(0)
    x, y = Tensor(rng.standard_normal((6, 3))), rng.integers(0, 4, 6)
    arrays = [rng.standard_normal(s) for s in [(5, 3), (5,), (4, 5), (4,)]]
    vs = [rng.standard_normal(a.shape) for a in arrays]
    params = [Tensor(a, requires_grad=True) for a in arrays]
    grads = autograd.grad(_mlp_loss(params, x, y), params, create_graph=True)
    hv = autograd.grad(sum((g * v).sum() for g, v in zip(grads, vs)), params)

    def gradient(sign, eps=1e-6):
        ps = [Tensor(a + sign * eps * v, requires_grad=True) for a, v in zip(arrays, vs)]
        return [g.data for g in autograd.grad(_mlp_loss(ps, x, y), ps)]

    for h, p, m in zip(hv, gradient(1.0), gradient(-1.0)):
        np.testing.assert_allclose(h.data, (p - m) / 2e-6, rtol=1e-5, atol=1e-7)


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_hessian_vector_product_matches_pytorch():
    rng = np.random.default_rng(1)
    xa, y = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    arrays = [rng.standard_normal(s) for s in [(5, 3), (5,), (4, 5), (4,)]]
    vs = [rng.standard_normal(a.shape) for a in arrays]
    params = [Tensor(a, requires_grad=True) for a in arrays]
    grads = autograd.grad(_mlp_loss(params, Tensor(xa), y), params, create_graph=True)
    ours = autograd.grad(sum((g * v).sum() for g, v in zip(grads, vs)), params)
    tp = [torch.tensor(a, requires_grad=True) for a in arrays]
    w1, b1, w2, b2 = tp
    logits = torch.tanh(torch.tensor(xa) @ w1.T + b1) @ w2.T + b2
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y)) + (w1 ** 2).sum() * 1e-2
    tg = torch.autograd.grad(loss, tp, create_graph=True)
    theirs = torch.autograd.grad(sum((g * torch.tensor(v)).sum() for g, v in zip(tg, vs)), tp)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.data, t.numpy(), rtol=1e-6, atol=1e-10)


def test_grad_outputs_may_require_grad():
    # The double-backward trick: the gradient depends on the seed, so it can be
    # differentiated with respect to the seed.
    x = Tensor([1.0, 2.0], requires_grad=True)
    v = Tensor([3.0, 4.0], requires_grad=True)
    (g,) = autograd.grad(x ** 2, [x], grad_outputs=[v], create_graph=True)
    (dv,) = autograd.grad(g.sum(), [v])
    np.testing.assert_array_equal(dv.data, 2 * x.data)


# ---- detect_anomaly ----

def test_nan_and_inf_flow_silently_by_default():
    x = Tensor([-1.0, 0.0], requires_grad=True)
    y = x.log()
    assert np.isnan(y.data[0]) and np.isneginf(y.data[1])
    y.sum().backward()
    assert np.isinf(x.grad[1])


def test_detect_anomaly_forward_names_op_shapes_and_labels():
    x = Tensor([1.0, -1.0], requires_grad=True, label="x")
    with detect_anomaly():
        y = x * 2                      # finite: fine
        with pytest.raises(AnomalyError, match=r"sqrt produced nan in forward; inputs: "
                                               r"unlabelled \(2,\)"):
            y.sqrt()
        with pytest.raises(AnomalyError, match=r"/ produced inf .*x \(2,\)"):
            x / Tensor([0.0, 1.0])
    x.log()                          # outside the block: no error


def test_detect_anomaly_backward_names_the_node():
    x = Tensor([0.0, 1.0], requires_grad=True, label="x")
    y = x.sqrt()
    y.label = "root"
    loss = y.sum()
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"backward of sqrt \(node root, inputs: "
                                               r"x \(2,\)\) produced inf in the gradient of "
                                               r"input 0 \(x\)"):
            loss.backward()

    @detect_anomaly()
    def run():
        return autograd.grad(y.sum(), [x])

    with pytest.raises(AnomalyError, match="backward of sqrt"):
        run()


def test_relu_masks_an_infinite_gradient_like_pytorch():
    # log(relu(0)) = -inf; d log = inf; relu'(0) = 0 must give 0, not 0 * inf = nan.
    x = Tensor([0.0, 2.0], requires_grad=True)
    x.relu().log().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5])


# ---- gradcheck with tensors ----

def test_gradcheck_detects_a_wrong_gradient_and_names_the_element():
    from autograd.tensor_rules import RULES, Rule
    saved = RULES["sin"]
    RULES["sin"] = Rule(saved.symbol, saved.arity, saved.forward,
                        lambda B, g, out, a, arg: g * B.cos(a) * 1.01)
    try:
        x = Tensor(np.array([[0.3, 0.4]]), requires_grad=True, label="x")
        with pytest.raises(GradcheckError, match=r"d\(Σ w·output\)/d\(x\[0, 0\]\)"):
            gradcheck(lambda t: t.sin(), [x])
    finally:
        RULES["sin"] = saved


def test_gradcheck_skips_constant_tensors_and_warns_on_float32():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    idx = Tensor(np.array([1, 1, 0]))
    assert gradcheck(lambda t, i: t[i].exp(), [x, idx])
    with pytest.warns(UserWarning, match="float32"):
        gradcheck(lambda t: t * 2.0, [Tensor([1.0], requires_grad=True)],
                  raise_exception=False)
