"""Every Tensor op: values vs NumPy, float64 gradcheck, second order (create_graph), and
PyTorch parity (values and gradients, rtol 1e-6 in float64) when torch is importable.

The op table below is the test list: every rule in `tensor_rules.RULES` must appear in it
(`test_every_rule_is_tested`), so a new op cannot land without its checks.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple, Optional, Tuple

import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck
from autograd.tensor_rules import RULES

try:
    import torch
except ImportError:  # PyTorch-parity tests are skipped without it
    torch = None

_ERF = np.vectorize(math.erf)


class Case(NamedTuple):
    name: str
    ours: Callable                  # Tensors -> Tensor (often also works on torch tensors)
    ref: Callable                   # ndarrays -> ndarray (NumPy reference)
    shapes: Tuple[tuple, ...]
    low: float = -2.0               # inputs are uniform in [low, high] (domain of the op)
    high: float = 2.0
    torch_fn: Optional[Callable] = None   # when the torch spelling differs
    rules: Tuple[str, ...] = ()     # the table ops this case exercises (default: name)


def _lse(a, axis, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _softplus(a, beta=1.0, threshold=20.0):
    return np.where(a * beta > threshold, a, np.log1p(np.exp(a * beta)) / beta)


class _Cube(autograd.Function):
    """x³ as a custom op; backward in differentiable ops, so second order works too."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3.0 * x * x


CASES = [
    # a custom autograd.Function goes through the same checks as a built-in op
    Case("function", lambda a: _Cube.apply(a), lambda a: a ** 3, ((3, 4),),
         torch_fn=lambda a: a ** 3),
    # binary elementwise, broadcasting built into the shapes
    Case("+", lambda a, b: a + b, lambda a, b: a + b, ((3, 1), (4,))),
    Case("-", lambda a, b: a - b, lambda a, b: a - b, ((2, 3, 4), (3, 1))),
    Case("*", lambda a, b: a * b, lambda a, b: a * b, ((3, 4), (4,))),
    Case("/", lambda a, b: a / b, lambda a, b: a / b, ((3, 4), (3, 1)), 0.5, 2.0),
    Case("pow", lambda a, b: a ** b, lambda a, b: a ** b, ((3, 4), (4,)), 0.5, 2.0),
    Case("rpow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, ((3, 4),), rules=("pow",)),
    Case("maximum", lambda a, b: a.maximum(b), np.maximum, ((3, 4), (4,)),
         torch_fn=lambda a, b: torch.maximum(a, b)),
    Case("minimum", lambda a, b: a.minimum(b), np.minimum, ((3, 4), (3, 1)),
         torch_fn=lambda a, b: torch.minimum(a, b)),
    Case("where", lambda a, b: autograd.where(a.data > 0, a, b),
         lambda a, b: np.where(a > 0, a, b), ((3, 4), (4,)),
         torch_fn=lambda a, b: torch.where(a > 0, a, b)),
    # products
    Case("matmul", lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4, 5))),
    Case("matmul 1-D @ 2-D", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (4, 5)),
         rules=("matmul",)),
    Case("matmul 2-D @ 1-D", lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4,)),
         rules=("matmul",)),
    Case("matmul dot", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (4,)), rules=("matmul",)),
    Case("matmul batched", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 1, 3, 4), (5, 4, 2)),
         rules=("matmul",)),
    Case("matmul 1-D @ batched", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (2, 4, 3)),
         rules=("matmul",)),
    Case("linear", lambda x, w, b: autograd.linear(x, w, b), lambda x, w, b: x @ w.T + b,
         ((5, 4), (3, 4), (3,)),
         torch_fn=lambda x, w, b: torch.nn.functional.linear(x, w, b)),
    Case("linear batched", lambda x, w, b: autograd.linear(x, w, b),
         lambda x, w, b: x @ w.T + b, ((2, 5, 4), (3, 4), (3,)),
         torch_fn=lambda x, w, b: torch.nn.functional.linear(x, w, b), rules=("linear",)),
    Case("linear 1-D no bias", lambda x, w: autograd.linear(x, w), lambda x, w: x @ w.T,
         ((4,), (3, 4)), torch_fn=lambda x, w: torch.nn.functional.linear(x, w),
         rules=("linear",)),
    # unary elementwise
    Case("neg", lambda a: -a, lambda a: -a, ((3, 4),)),
    Case("**", lambda a: a ** 3, lambda a: a ** 3, ((3, 4),)),
    Case("** 0.5", lambda a: a ** 0.5, np.sqrt, ((3, 4),), 0.5, 2.0, rules=("**",)),
    Case("** -1.5", lambda a: a ** -1.5, lambda a: a ** -1.5, ((3, 4),), 0.5, 2.0,
         rules=("**",)),
    Case("exp", lambda a: a.exp(), np.exp, ((3, 4),)),
    Case("log", lambda a: a.log(), np.log, ((3, 4),), 0.2, 3.0),
    Case("sqrt", lambda a: a.sqrt(), np.sqrt, ((3, 4),), 0.2, 3.0),
    Case("tanh", lambda a: a.tanh(), np.tanh, ((3, 4),)),
    Case("sigmoid", lambda a: a.sigmoid(), _sigmoid, ((3, 4),)),
    Case("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), ((3, 4),)),
    Case("leaky_relu", lambda a: a.leaky_relu(0.1), lambda a: np.where(a > 0, a, 0.1 * a),
         ((3, 4),), torch_fn=lambda a: torch.nn.functional.leaky_relu(a, 0.1)),
    Case("leaky_relu slope 2", lambda a: a.leaky_relu(2.0),
         lambda a: np.where(a > 0, a, 2.0 * a), ((3, 4),),
         torch_fn=lambda a: torch.nn.functional.leaky_relu(a, 2.0), rules=("leaky_relu",)),
    Case("elu", lambda a: a.elu(0.7), lambda a: np.where(a > 0, a, 0.7 * np.expm1(a)),
         ((3, 4),), torch_fn=lambda a: torch.nn.functional.elu(a, 0.7)),
    Case("gelu", lambda a: a.gelu(), lambda a: a * 0.5 * (1 + _ERF(a / math.sqrt(2))),
         ((3, 4),), -4.0, 4.0, torch_fn=lambda a: torch.nn.functional.gelu(a)),
    Case("normal_cdf", lambda a: a.normal_cdf(), lambda a: 0.5 * (1 + _ERF(a / math.sqrt(2))),
         ((3, 4),), -4.0, 4.0, torch_fn=lambda a: torch.special.ndtr(a)),
    Case("softplus", lambda a: a.softplus(), _softplus, ((3, 4),), -30.0, 30.0,
         torch_fn=lambda a: torch.nn.functional.softplus(a)),
    Case("softplus beta", lambda a: a.softplus(beta=0.5, threshold=3.0),
         lambda a: _softplus(a, 0.5, 3.0), ((3, 4),), -10.0, 10.0,
         torch_fn=lambda a: torch.nn.functional.softplus(a, beta=0.5, threshold=3.0),
         rules=("softplus",)),
    Case("abs", lambda a: a.abs(), np.abs, ((3, 4),)),
    Case("sin", lambda a: a.sin(), np.sin, ((3, 4),)),
    Case("cos", lambda a: a.cos(), np.cos, ((3, 4),)),
    Case("clamp", lambda a: a.clamp(-0.5, 1.0), lambda a: np.clip(a, -0.5, 1.0), ((3, 4),)),
    Case("clamp min only", lambda a: a.clamp(min=0.3), lambda a: np.maximum(a, 0.3), ((3, 4),),
         rules=("clamp",)),
    Case("clone", lambda a: a.clone() * a, lambda a: a * a, ((3, 4),)),
    # shapes
    Case("reshape", lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), ((3, 4, 2),)),
    Case("view", lambda a: a.view(-1), lambda a: a.reshape(-1), ((3, 4),), rules=("reshape",)),
    Case("squeeze", lambda a: a.squeeze(), np.squeeze, ((3, 1, 2, 1),)),
    Case("squeeze dim", lambda a: a.squeeze(1), lambda a: np.squeeze(a, 1), ((3, 1, 2),),
         rules=("squeeze",)),
    Case("unsqueeze", lambda a: a.unsqueeze(-1), lambda a: a[..., None], ((3, 4),)),
    Case("flatten", lambda a: a.flatten(1), lambda a: a.reshape(3, -1), ((3, 4, 2),)),
    Case("transpose", lambda a: a.transpose(0, 2), lambda a: a.swapaxes(0, 2), ((3, 4, 2),)),
    Case("permute", lambda a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1),
         ((3, 4, 2),)),
    Case("T", lambda a: a.T, lambda a: a.T, ((3, 4),), rules=("permute",)),
    Case("mT", lambda a: a.mT, lambda a: a.swapaxes(-1, -2), ((2, 3, 4),),
         rules=("transpose",)),
    Case("expand", lambda a: a.expand(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4)),
         ((3, 1),)),
    Case("expand -1", lambda a: a.expand(-1, 4), lambda a: np.broadcast_to(a, (3, 4)),
         ((3, 1),), rules=("expand",)),
    Case("getitem slices", lambda a: a[1:, ::2], lambda a: a[1:, ::2], ((3, 4, 2),),
         rules=("getitem",)),
    Case("getitem int", lambda a: a[1, -1], lambda a: a[1, -1], ((3, 4),), rules=("getitem",)),
    Case("getitem repeated", lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], ((3, 4),),
         torch_fn=lambda a: a[torch.tensor([0, 2, 0, 0])], rules=("getitem",)),
    Case("getitem pairs", lambda a: a[np.array([0, 1, 1]), np.array([2, 2, 2])],
         lambda a: a[[0, 1, 1], [2, 2, 2]], ((3, 4),),
         torch_fn=lambda a: a[torch.tensor([0, 1, 1]), torch.tensor([2, 2, 2])],
         rules=("getitem",)),
    Case("getitem bool", lambda a: a[a.data > 0], lambda a: a[a > 0], ((3, 4),),
         torch_fn=lambda a: a[a > 0], rules=("getitem",)),
    Case("cat", lambda a, b: autograd.cat([a, b], dim=1), lambda a, b: np.concatenate([a, b], 1),
         ((3, 4), (3, 2)), torch_fn=lambda a, b: torch.cat([a, b], dim=1)),
    Case("stack", lambda a, b: autograd.stack([a, b], dim=-1), lambda a, b: np.stack([a, b], -1),
         ((3, 4), (3, 4)), torch_fn=lambda a, b: torch.stack([a, b], dim=-1)),
    # reductions
    Case("sum", lambda a: a.sum(), np.sum, ((3, 4),)),
    Case("sum dim", lambda a: a.sum(dim=(0, 2), keepdim=True),
         lambda a: a.sum(axis=(0, 2), keepdims=True), ((3, 4, 2),), rules=("sum",)),
    Case("mean", lambda a: a.mean(dim=-1), lambda a: a.mean(-1), ((3, 4),)),
    Case("var", lambda a: a.var(dim=1), lambda a: a.var(1, ddof=1), ((3, 4),)),
    Case("var correction 0", lambda a: a.var(correction=0), np.var, ((3, 4),),
         rules=("var",)),
    Case("std", lambda a: a.std(dim=0, keepdim=True),
         lambda a: a.std(0, ddof=1, keepdims=True), ((3, 4),)),
    Case("max", lambda a: a.max(), np.max, ((3, 4),)),
    Case("max dim", lambda a: a.max(dim=1)[0], lambda a: a.max(1), ((3, 4),), rules=("max",)),
    Case("min", lambda a: a.min(dim=0, keepdim=True).values, lambda a: a.min(0, keepdims=True),
         ((3, 4),)),
    Case("amax", lambda a: a.amax(dim=(0, 2)), lambda a: a.max((0, 2)), ((3, 4, 2),),
         rules=("max",)),
    Case("amin", lambda a: a.amin(dim=1), lambda a: a.min(1), ((3, 4),), rules=("min",)),
    Case("logsumexp", lambda a: a.logsumexp(dim=1), lambda a: _lse(a, 1), ((3, 4),)),
    Case("logsumexp dims", lambda a: a.logsumexp(dim=(0, 2), keepdim=True),
         lambda a: _lse(a, (0, 2), True), ((3, 4, 2),), rules=("logsumexp",)),
    Case("softmax", lambda a: a.softmax(dim=1),
         lambda a: np.exp(a - _lse(a, 1, True)), ((3, 4),)),
    Case("log_softmax", lambda a: a.log_softmax(dim=0), lambda a: a - _lse(a, 0, True),
         ((3, 4),)),
]


def _inputs(case: Case, seed: int = 0, dtype=np.float64) -> list:
    rng = np.random.default_rng(seed)
    return [rng.uniform(case.low, case.high, s).astype(dtype) for s in case.shapes]


def _weights(shape: tuple, seed: int = 1) -> np.ndarray:
    # A random upstream gradient: summing alone would hide errors (softmax sums to 1).
    return np.random.default_rng(seed).uniform(0.5, 1.5, shape)


_IDS = [c.name for c in CASES]


def test_every_rule_is_tested():
    covered = {r for c in CASES for r in (c.rules or (c.name,))}
    # scatter_add is getitem's transpose: exercised by the second-order getitem cases.
    # binary_cross_entropy(_with_logits) belong to nn.functional (tests/test_losses.py).
    # cast has its own tests (a float32 round trip defeats float64 central differences).
    missing = set(RULES) - covered - {"scatter_add", "binary_cross_entropy",
                                      "binary_cross_entropy_with_logits", "cast"}
    assert not missing, f"ops without a test case: {sorted(missing)}"


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_values_match_numpy(case):
    arrays = _inputs(case)
    out = case.ours(*[Tensor(a) for a in arrays])
    expected = case.ref(*arrays)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_float32_stays_float32(case):
    arrays = _inputs(case, dtype=np.float32)
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = case.ours(*xs)
    assert out.dtype == np.float32
    (out * 2.0).sum().backward()
    for x in xs:
        assert x.grad.dtype == np.float32 and x.grad.shape == x.shape


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_gradcheck_float64(case):
    xs = [Tensor(a, requires_grad=True, label=f"x{i}") for i, a in enumerate(_inputs(case))]
    w = _weights(case.ours(*xs).shape)
    assert gradcheck(lambda *t: (case.ours(*t) * w).sum(), xs)


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_second_order_matches_finite_differences(case):
    """Hessian-vector product through create_graph=True vs central differences of the
    gradient: every VJP must itself be differentiable (its Tensor-backend form)."""
    arrays = _inputs(case, seed=2)
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    w = _weights(case.ours(*xs).shape)

    def f(*t):
        return (case.ours(*t) ** 2 * w).sum()

    grads = autograd.grad(f(*xs), xs, create_graph=True)
    vs = [np.random.default_rng(3 + i).standard_normal(a.shape) for i, a in enumerate(arrays)]
    dot = sum((g * v).sum() for g, v in zip(grads, vs))
    hv = autograd.grad(dot, xs, allow_unused=True) if dot.requires_grad else [None] * len(xs)

    eps = 1e-6

    def gradient_at(sign):
        shifted = [Tensor(a + sign * eps * v, requires_grad=True) for a, v in zip(arrays, vs)]
        return [g.data for g in autograd.grad(f(*shifted), shifted)]

    plus, minus = gradient_at(1.0), gradient_at(-1.0)
    for h, p, m in zip(hv, plus, minus):
        numeric = (p - m) / (2 * eps)
        got = np.zeros_like(numeric) if h is None else h.data
        np.testing.assert_allclose(got, numeric, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_pytorch_parity_float64(case):
    arrays = _inputs(case, seed=4)
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = case.ours(*ours)
    ref = (case.torch_fn or case.ours)(*theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-6, atol=1e-12)
    w = _weights(out.shape)
    # A non-trivial upstream gradient (tinygrad's parity harness uses the same idea).
    ((out + 1.0) ** 2 * w).mean().backward()
    ((ref + 1.0) ** 2 * torch.tensor(w)).mean().backward()
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_cast_between_float_dtypes_is_differentiable():
    x = Tensor(np.array([1.5, -2.0, 3.25], dtype=np.float32), requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.op == "cast"
    (y * np.array([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])
    # second order through the cast: d/dx sum((2 x)²) = 8 x
    x64 = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    (g,) = autograd.grad(((x64.float() * 2.0) ** 2).sum(), [x64], create_graph=True)
    assert g.dtype == np.float64
    (h,) = autograd.grad(g.sum(), [x64])
    np.testing.assert_allclose(h.data, [8.0, 8.0])


def test_cast_to_integer_leaves_the_graph():
    x = Tensor([1.7, 2.2], requires_grad=True)
    i = x.to(np.int64)
    assert i.dtype == np.int64 and not i.requires_grad and i.is_leaf
    assert x.to(np.float32) is x and x.to("cpu") is x
