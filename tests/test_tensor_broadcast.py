"""Property tests (hypothesis): shapes and broadcasting pairs for elementwise ops, matmul
and reductions. Gradients always come back with the operand's shape, summed over the
broadcast axes exactly as an explicit NumPy computation sums them."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from autograd.tensor_rules import unbroadcast

try:
    import torch
except ImportError:
    torch = None

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

dims = st.integers(1, 4)
shapes = st.lists(dims, min_size=0, max_size=3).map(tuple)


@st.composite
def broadcast_pair(draw):
    """(shape, other) where `other` broadcasts against `shape` (either may be bigger)."""
    shape = draw(shapes)
    keep = draw(st.integers(0, len(shape)))
    other = list(shape[len(shape) - keep:])
    for i in range(len(other)):
        if draw(st.booleans()):
            other[i] = 1
    # New leading dims only when `other` kept every dim of `shape` (else they would clash).
    extra = draw(st.lists(dims, max_size=1)) if keep == len(shape) else []
    other = tuple(extra) + tuple(other)
    return (shape, other) if draw(st.booleans()) else (other, shape)


def _arrays(shapes_, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 2.0, s) for s in shapes_]


BINARY = {
    "+": (lambda a, b: a + b, lambda a, b, g: (g, g)),
    "-": (lambda a, b: a - b, lambda a, b, g: (g, -g)),
    "*": (lambda a, b: a * b, lambda a, b, g: (g * b, g * a)),
    "/": (lambda a, b: a / b, lambda a, b, g: (g / b, -g * a / b ** 2)),
    "pow": (lambda a, b: a ** b, lambda a, b, g: (g * b * a ** (b - 1), g * a ** b * np.log(a))),
}


def _sum_to(grad, shape):
    """Reference unbroadcast written independently: sum, then reshape."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and grad.shape[i] != 1:
            grad = grad.sum(axis=i, keepdims=True)
    return grad


@SETTINGS
@given(pair=broadcast_pair(), op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 99))
def test_binary_ops_broadcast_values_and_gradients(pair, op, seed):
    forward, local = BINARY[op]
    a, b = _arrays(pair, seed)
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = forward(ta, tb)
    np.testing.assert_allclose(out.data, forward(a, b), rtol=1e-12)
    g = np.random.default_rng(seed + 1).standard_normal(out.shape)
    out.backward(g)
    ga, gb = local(np.broadcast_to(a, out.shape), np.broadcast_to(b, out.shape), g)
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape
    np.testing.assert_allclose(ta.grad, _sum_to(ga, a.shape), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb.grad, _sum_to(gb, b.shape), rtol=1e-10, atol=1e-12)


@SETTINGS
@given(pair=broadcast_pair(), seed=st.integers(0, 99))
def test_number_on_either_side(pair, seed):
    (a,) = _arrays(pair[:1], seed)
    t = Tensor(a, requires_grad=True)
    out = (2.0 - t) * 3 + t / 4 + 1 / t - 2 ** t
    out.backward(np.ones(a.shape))
    np.testing.assert_allclose(t.grad, -3 + 0.25 - 1 / a ** 2 - 2 ** a * np.log(2), rtol=1e-10)


@SETTINGS
@given(pair=broadcast_pair(), seed=st.integers(0, 99))
def test_unbroadcast_matches_reference(pair, seed):
    small, _ = pair
    big = np.broadcast_shapes(*pair)
    g = np.random.default_rng(seed).standard_normal(big)
    np.testing.assert_allclose(unbroadcast(g, small), _sum_to(g, small), rtol=1e-12)


def test_unbroadcast_refuses_an_impossible_shape():
    with pytest.raises(AssertionError, match=r"\(2, 3\).*\(4,\)"):
        unbroadcast(np.ones((2, 3)), (4,))


@st.composite
def matmul_shapes(draw):
    m, k, n = draw(dims), draw(dims), draw(dims)
    batch = draw(st.lists(dims, max_size=2))
    a = tuple(batch) + (m, k)
    b_batch = [1 if draw(st.booleans()) else d for d in batch][draw(st.integers(0, len(batch))):]
    b = tuple(b_batch) + (k, n)
    if draw(st.booleans()):
        a = (k,)
    elif draw(st.booleans()):
        b = (k,)
    return a, b


@SETTINGS
@given(shapes_=matmul_shapes(), seed=st.integers(0, 99))
def test_matmul_shapes(shapes_, seed):
    a, b = _arrays(shapes_, seed)
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = ta @ tb
    np.testing.assert_allclose(out.data, a @ b, rtol=1e-12)
    g = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(g)
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape
    if torch is not None:
        xa, xb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        (xa @ xb).backward(torch.tensor(g))
        np.testing.assert_allclose(ta.grad, xa.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(tb.grad, xb.grad.numpy(), rtol=1e-10, atol=1e-12)


@SETTINGS
@given(shape=st.lists(dims, min_size=1, max_size=4).map(tuple), data=st.data())
def test_reductions_over_any_dims(shape, data):
    ndim = len(shape)
    dim = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                              st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                       unique=True).map(tuple)))
    keep = data.draw(st.booleans())
    op = data.draw(st.sampled_from(["sum", "mean", "amax", "logsumexp"]))
    a = np.random.default_rng(0).standard_normal(shape)
    t = Tensor(a, requires_grad=True)
    if op == "logsumexp":
        if dim is None:
            dim = tuple(range(ndim))
        out = t.logsumexp(dim, keepdim=keep)
        m = a.max(axis=dim, keepdims=True)
        ref = np.log(np.exp(a - m).sum(axis=dim, keepdims=True)) + m
        ref = ref if keep else np.squeeze(ref, axis=dim)
    else:
        out = getattr(t, op)(dim=dim, keepdim=keep)
        ref = getattr(np, "max" if op == "amax" else op)(a, axis=dim, keepdims=keep)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12)
    out.backward(np.ones(out.shape))
    assert t.grad.shape == a.shape
    if op == "sum":
        np.testing.assert_array_equal(t.grad, np.ones(shape))
    elif op == "mean":
        np.testing.assert_allclose(t.grad.sum(), np.prod(out.shape) if out.shape else 1.0)


def test_broadcast_failure_names_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"\+: operands of shapes \(3, 4\) and \(5,\)"):
        Tensor(np.ones((3, 4))) + Tensor(np.ones(5))
    with pytest.raises(ValueError, match=r"maximum: .*\(2,\) and \(3,\)"):
        Tensor([1.0, 2.0]).maximum(Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"where: .*\(2,\), \(3,\)"):
        autograd.where(np.array([True, False]), Tensor([1.0, 2.0, 3.0]), 0.0)
