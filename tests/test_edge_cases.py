"""Issue 8, items 1-4: the edges where glassgrad disagreed with PyTorch (each failed before).

Every case states PyTorch 2.13's answer (float64) as literal numbers, so the test runs
without torch; when torch is installed the same case is also run through it, so the literals
cannot drift from PyTorch's behaviour.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import Tensor, Value

try:
    import torch
except ImportError:  # the literal expectations still run
    torch = None

INF, NAN = math.inf, math.nan


def _ours(fn, x):
    t = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    y = fn(t)
    y.sum().backward()
    grad = np.zeros(t.shape) if t.grad is None else np.asarray(t.grad)
    return np.asarray(y), grad


def _torch(fn, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = fn(t)
    y.sum().backward()
    grad = torch.zeros_like(t) if t.grad is None else t.grad
    return y.detach().numpy(), grad.numpy()


def _same(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=1e-7, atol=1e-7, equal_nan=True)
    # signs of infinities and zeros-vs-nan must agree too
    assert np.array_equal(np.isinf(a), np.isinf(b)) and np.array_equal(np.isnan(a), np.isnan(b))


# name, ours (Tensor -> Tensor), torch's, input, PyTorch's value, PyTorch's gradient
TORCH_F = "torch.nn.functional"
CASES = [
    # 1. 0-d tensors
    ("0-d sigmoid", lambda t: t.sigmoid(), lambda t: t.sigmoid(), 0.5,
     0.6224593312018546, 0.2350037122015945),
    ("0-d nn.Sigmoid", lambda t: nn.Sigmoid()(t), lambda t: torch.nn.Sigmoid()(t), 0.5,
     0.6224593312018546, 0.2350037122015945),
    ("0-d softplus", lambda t: t.softplus(), lambda t: torch.nn.functional.softplus(t), 0.5,
     0.9740769841801067, 0.6224593312018546),
    ("0-d softplus above threshold", lambda t: t.softplus(),
     lambda t: torch.nn.functional.softplus(t), 30.0, 30.0, 1.0),
    ("0-d BCEWithLogits", lambda t: F.binary_cross_entropy_with_logits(t, Tensor(np.array(1.0))),
     lambda t: torch.nn.functional.binary_cross_entropy_with_logits(
         t, torch.tensor(1.0, dtype=torch.float64)), 0.5, 0.47407698418010663,
     -0.3775406687981454),
    ("0-d relu, inf incoming", lambda t: t.relu() * INF,
     lambda t: t.relu() * INF, -1.0, NAN, 0.0),
    ("0-d elu, inf incoming", lambda t: t.elu() * INF,
     lambda t: torch.nn.functional.elu(t) * INF, -1.0, -INF, INF),
    ("0-d leaky_relu, inf incoming", lambda t: t.leaky_relu() * INF,
     lambda t: torch.nn.functional.leaky_relu(t) * INF, -1.0, -INF, INF),
    ("0-d clamp, inf incoming", lambda t: t.clamp(0.0, 1.0) * INF,
     lambda t: t.clamp(0.0, 1.0) * INF, -1.0, NAN, 0.0),
    ("0-d where, inf incoming", lambda t: autograd.where(np.array(False), t, 0.0) * INF,
     lambda t: torch.where(torch.tensor(False), t, 0.0) * INF, -1.0, NAN, 0.0),
    ("0-d pow by 0, inf incoming", lambda t: t ** Tensor(np.array(0.0)) * INF,
     lambda t: t ** torch.tensor(0.0, dtype=torch.float64) * INF, 2.0, INF, 0.0),
    ("0-d ** 0, inf incoming", lambda t: t ** 0 * INF, lambda t: t ** 0 * INF, 2.0, INF, 0.0),
    # 2. zero-size dimensions
    ("logsumexp over an empty axis", lambda t: t.logsumexp(0), lambda t: t.logsumexp(0),
     np.zeros(0), -INF, np.zeros(0)),
    ("logsumexp (2, 0) over dim 1", lambda t: t.logsumexp(1), lambda t: t.logsumexp(1),
     np.zeros((2, 0)), [-INF, -INF], np.zeros((2, 0))),
    ("softmax on (2, 0)", lambda t: t.softmax(1), lambda t: t.softmax(1),
     np.zeros((2, 0)), np.zeros((2, 0)), np.zeros((2, 0))),
    ("log_softmax on (2, 0)", lambda t: t.log_softmax(1), lambda t: t.log_softmax(1),
     np.zeros((2, 0)), np.zeros((2, 0)), np.zeros((2, 0))),
    ("x[[]]", lambda t: t[[]], lambda t: t[[]], [1.0, 2.0], np.zeros(0), [0.0, 0.0]),
    ("linear with 0 outputs", lambda t: autograd.linear(t, Tensor(np.zeros((0, 2)))).sum() + t.sum(),
     lambda t: torch.nn.functional.linear(t, torch.zeros((0, 2), dtype=torch.float64)).sum()
     + t.sum(), [[1.0, 2.0]], 3.0, [[1.0, 1.0]]),
    # 3. NaN / inf conventions
    ("std of a constant", lambda t: t.std(), lambda t: t.std(), [2.0, 2.0, 2.0], 0.0,
     [0.0, 0.0, 0.0]),
    ("std(dim) of a constant row", lambda t: t.std(1), lambda t: t.std(1),
     [[2.0, 2.0], [1.0, 3.0]], [0.0, math.sqrt(2.0)],
     [[0.0, 0.0], [-1.0 / math.sqrt(2.0), 1.0 / math.sqrt(2.0)]]),
    ("max() routes to the NaNs", lambda t: t.max(), lambda t: t.max(),
     [1.0, NAN, 2.0, NAN], NAN, [0.0, 0.5, 0.0, 0.5]),
    ("min() routes to the NaNs", lambda t: t.min(), lambda t: t.min(),
     [1.0, NAN, 2.0, NAN], NAN, [0.0, 0.5, 0.0, 0.5]),
    ("amax() with a NaN", lambda t: t.amax(), lambda t: t.amax(),
     [1.0, NAN, 2.0], NAN, [NAN, NAN, NAN]),
    ("max(dim) with a NaN", lambda t: t.max(1)[0], lambda t: t.max(1)[0],
     [[1.0, NAN], [2.0, 3.0]], [NAN, 3.0], [[0.0, 1.0], [0.0, 1.0]]),
    ("cross-entropy, every target ignored", lambda t: F.cross_entropy(t, np.array([-100, -100])),
     lambda t: torch.nn.functional.cross_entropy(t, torch.tensor([-100, -100])),
     [[1.0, 2.0], [3.0, 4.0]], NAN, [[0.0, 0.0], [0.0, 0.0]]),
    ("cross-entropy, weighted, every target ignored",
     lambda t: F.cross_entropy(t, np.array([-100]), weight=np.ones(2)),
     lambda t: torch.nn.functional.cross_entropy(t, torch.tensor([-100]),
                                                 weight=torch.ones(2, dtype=torch.float64)),
     [[1.0, 2.0]], NAN, [[0.0, 0.0]]),
    ("x ** 0.5 at -0.0", lambda t: t ** 0.5, lambda t: t ** 0.5, -0.0, -0.0, -INF),
    ("x ** -0.5 at -0.0", lambda t: t ** -0.5, lambda t: t ** -0.5, -0.0, -INF, -INF),
    ("x ** 0.5 at -inf", lambda t: t ** 0.5, lambda t: t ** 0.5, -INF, NAN, NAN),
    # a tie keeps the first operand's signed zero (found by the long parity run)
    ("maximum of ±0 ties, then sqrt", lambda t: t.maximum(Tensor([-0.0, 0.0])).sqrt(),
     lambda t: torch.maximum(t, torch.tensor([-0.0, 0.0], dtype=torch.float64)).sqrt(),
     [0.0, -0.0], [0.0, -0.0], [INF, -INF]),
    ("minimum of ±0 ties, then sqrt", lambda t: t.minimum(Tensor([-0.0, 0.0])).sqrt(),
     lambda t: torch.minimum(t, torch.tensor([-0.0, 0.0], dtype=torch.float64)).sqrt(),
     [0.0, -0.0], [0.0, -0.0], [INF, -INF]),
]


def _agree(ours, theirs, value, grad):
    """ours() and, with torch installed, theirs() both give PyTorch's (value, gradient)."""
    for run in (ours, theirs) if torch is not None else (ours,):
        y, g = run()
        _same(y, value)
        _same(g, grad)


@pytest.mark.parametrize("name, ours, theirs, x, value, grad", CASES, ids=[c[0] for c in CASES])
def test_tensor_edge_matches_pytorch(name, ours, theirs, x, value, grad):
    _agree(lambda: _ours(ours, x), lambda: _torch(theirs, x), value, grad)


def _hessian_diagonal(loss, x, lib):
    if lib is None:
        t = Tensor(np.array(x), requires_grad=True)
        (g,) = autograd.grad(loss(t), [t], create_graph=True)
        (h,) = autograd.grad(g.sum(), [t])
        return np.asarray(h)
    t = lib.tensor(x, dtype=lib.float64, requires_grad=True)
    (g,) = lib.autograd.grad(loss(t), [t], create_graph=True)
    (h,) = lib.autograd.grad(g.sum(), [t])
    return h.numpy()


def test_huber_curvature_is_one_at_zero_residual():
    x = [0.0, 0.5, 1.0, 2.0]          # inside, inside, the boundary, outside (delta 1)
    expected = [1.0, 1.0, 0.0, 0.0]
    ours = _hessian_diagonal(lambda t: F.huber_loss(t, np.zeros(4), reduction="sum"), x, None)
    _same(ours, expected)
    smooth = _hessian_diagonal(lambda t: F.smooth_l1_loss(t, np.zeros(4), reduction="sum",
                                                          beta=0.5), [0.0, 0.25, 0.5, 2.0],
                               None)
    _same(smooth, [2.0, 2.0, 0.0, 0.0])
    if torch is not None:
        tf = torch.nn.functional
        _same(_hessian_diagonal(lambda t: tf.huber_loss(t, torch.zeros(4, dtype=torch.float64),
                                                        reduction="sum"), x, torch), expected)


@pytest.mark.parametrize("p", [NAN, 1.5, -0.25])
def test_bce_refuses_nan_and_out_of_range_probabilities(p):
    with pytest.raises(ValueError, match=r"input must be probabilities in \[0, 1\], got "
                                         + ("nan" if p != p else repr(p))):
        F.binary_cross_entropy(Tensor(np.array([0.5, p])), np.array([1.0, 1.0]))
    with pytest.raises(ArithmeticError, match="the probability must be in"):
        F.binary_cross_entropy(Value(p), 1.0)
    if torch is not None:
        with pytest.raises(RuntimeError, match="between 0 and 1"):
            torch.nn.functional.binary_cross_entropy(torch.tensor([0.5, p], dtype=torch.float64),
                                                     torch.ones(2, dtype=torch.float64))


# ---- 4. scalar Value backward -----------------------------------------------------------

def _value_grads(fn, xs):
    vs = [Value(x) for x in xs]
    out = fn(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def _value_torch(fn, xs):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = fn(*ts)
    out.backward()
    return out.item(), [0.0 if t.grad is None else t.grad.item() for t in ts]


VALUE_CASES = [
    # an inactive branch must not leak NaN: a zero local derivative selects (PyTorch's masks)
    ("relu then sqrt", lambda x: x.relu().sqrt(), lambda x: x.relu().sqrt(), (-1.0,),
     0.0, [0.0]),
    ("minimum's loser then sqrt", lambda x, y: x.minimum(y).sqrt() * 0 + y.maximum(x).sqrt(),
     lambda x, y: torch.minimum(x, y).sqrt() * 0 + torch.maximum(y, x).sqrt(), (1.0, 0.0),
     1.0, [0.5, NAN]),   # x loses min (masked: no nan), y wins it (sqrt'(0) * 0 = nan)
    ("maximum's loser, inf incoming", lambda x, y: x.maximum(y) * INF,
     lambda x, y: torch.maximum(x, y) * INF, (1.0, 2.0), INF, [0.0, INF]),
    ("x ** 0, inf incoming", lambda x: x ** 0 * INF, lambda x: x ** 0 * INF, (3.0,), INF, [0.0]),
    # ... but PyTorch multiplies the exponent's masked 0 by the gradient (inf * 0 = nan)
    ("pow exponent at base 0", lambda x, y: (x ** y) * INF, lambda x, y: (x ** y) * INF,
     (0.0, 2.0), NAN, [NAN, NAN]),
    ("pow base at exponent 0", lambda x, y: (x ** y) * INF, lambda x, y: (x ** y) * INF,
     (3.0, 0.0), INF, [0.0, INF]),
    ("abs multiplies (sgn(0) * inf = nan)", lambda x: x.abs().sqrt(), lambda x: x.abs().sqrt(),
     (0.0,), 0.0, [NAN]),
    ("relu passes NaN", lambda x: x.relu() * 2.0, lambda x: x.relu() * 2.0, (NAN,), NAN, [2.0]),
    ("maximum with NaN", lambda x, y: x.maximum(y), lambda x, y: torch.maximum(x, y),
     (1.0, NAN), NAN, [1.0, 1.0]),
    # backward follows IEEE arithmetic: no ZeroDivisionError / OverflowError after a
    # forward pass that succeeded
    ("x / x at 1e-200", lambda x: x / x, lambda x: x / x, (1e-200,), 1.0, [0.0]),
    ("x ** -1 at 1e-170", lambda x: x ** -1, lambda x: x ** -1, (1e-170,), 1e170, [-INF]),
    ("1 / x at 1e-200", lambda x: 1.0 / x, lambda x: 1.0 / x, (1e-200,), 1e200, [-INF]),
    ("sqrt at -0.0", lambda x: x.sqrt(), lambda x: x.sqrt(), (-0.0,), -0.0, [-INF]),
    ("x ** 0.5 at -0.0", lambda x: x ** 0.5, lambda x: x ** 0.5, (-0.0,), -0.0, [-INF]),
    ("maximum of 0 and -0 keeps 0 (sqrt' = +inf)", lambda x, y: x.maximum(y).sqrt(),
     lambda x, y: torch.maximum(x, y).sqrt(), (0.0, -0.0), 0.0, [INF, INF]),
    ("minimum of -0 and 0 keeps -0 (sqrt' = -inf)", lambda x, y: x.minimum(y).sqrt(),
     lambda x, y: torch.minimum(x, y).sqrt(), (-0.0, 0.0), -0.0, [-INF, -INF]),
    ("elu far below 0", lambda x: x.elu(), lambda x: torch.nn.functional.elu(x), (-40.0,),
     math.expm1(-40.0), [math.exp(-40.0)]),
]


@pytest.mark.parametrize("name, ours, theirs, xs, value, grads", VALUE_CASES,
                         ids=[c[0] for c in VALUE_CASES])
def test_value_backward_edge_matches_pytorch(name, ours, theirs, xs, value, grads):
    _agree(lambda: _value_grads(ours, xs), lambda: _value_torch(theirs, xs), value, grads)


def test_numpy_may_warn_where_pytorch_is_silent():
    # README difference: NumPy's RuntimeWarning for inf * 0 in a forward pass; same number.
    with pytest.warns(RuntimeWarning):
        y = Tensor(np.array([INF])) * Tensor(np.array([0.0]))
    assert np.isnan(np.asarray(y)).all()


SECOND_ORDER = [
    ("x / x at 1e-200", lambda x: x / x, (1e-200,)),
    ("x ** -1 at 1e-170", lambda x: x ** -1, (1e-170,)),
    ("x ** -2 at 1e-100", lambda x: x ** -2, (1e-100,)),
    ("sqrt at 0", lambda x: x.sqrt(), (0.0,)),
    ("relu then sqrt", lambda x: x.relu().sqrt(), (-1.0,)),
    ("x ** 0.5 at -0.0", lambda x: x ** 0.5, (-0.0,)),
]


@pytest.mark.parametrize("name, fn, xs", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_value_second_order_never_raises(name, fn, xs):
    x = Value(xs[0])
    (d1,) = autograd.grad(fn(x), [x], create_graph=True)
    (d2,) = autograd.grad(d1, [x], allow_unused=True)
    d2 = 0.0 if d2 is None else d2
    if torch is not None:
        t = torch.tensor(xs[0], dtype=torch.float64, requires_grad=True)
        (t1,) = torch.autograd.grad(fn(t), [t], create_graph=True)
        t2 = torch.autograd.grad(t1, [t], allow_unused=True)[0] if t1.requires_grad else None
        _same(d1.data, t1.item())
        _same(d2, 0.0 if t2 is None else t2.item())


def test_value_domain_errors_stay_in_forward():
    # The deliberate difference from PyTorch (README): a scalar op outside its domain raises
    # in the forward pass (PyTorch returns nan/inf); backward itself never raises.
    for make in (lambda: Value(-1.0).log(), lambda: Value(-1.0).sqrt(),
                 lambda: Value(1.0) / 0.0, lambda: Value(0.0) ** -1, lambda: Value(1000.0).exp()):
        with pytest.raises(autograd.DomainError):
            make()


def test_second_order_through_a_tiny_divisor_is_a_listed_difference():
    # README (`tiny-divisor-second-order`): d/db of the local derivative 1/b is -(1/b)/b,
    # which overflows at |b| < 1e-154 before the (zero) upstream gradient multiplies it.
    def hvp(lib, make):
        a, b = make(0.0), make(1.1125369292536007e-308)
        out = (a / b).abs()
        ga, gb = lib_grad(lib, out, [a, b], create_graph=True)
        (h,) = lib_grad(lib, ga * 0.0 + gb * 0.0, [b])
        return float(h.data if isinstance(h, Value) else h)

    def lib_grad(lib, out, inputs, create_graph=False):
        if lib is None:
            return autograd.grad(out, inputs, create_graph=create_graph)
        return lib.autograd.grad(out, inputs, create_graph=create_graph)

    assert math.isnan(hvp(None, Value))
    if torch is not None:
        assert hvp(torch, lambda x: torch.tensor(x, dtype=torch.float64,
                                                 requires_grad=True)) == 0.0
