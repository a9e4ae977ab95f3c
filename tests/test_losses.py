"""Losses: exact values, float64 gradcheck, PyTorch parity (values and gradients), the
scalar/Tensor dispatch of the functional forms, and error paths."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, Value, gradcheck

REDUCTIONS = ("mean", "sum", "none")
RTOL = 1e-6


def leaf(x, grad=True):
    return Tensor(np.array(x, dtype=np.float64), requires_grad=grad)


def run(loss_fn, x, *args, upstream=None, **kwargs):
    """Loss value and d(Σ upstream·loss)/dx: a random upstream checks 'none' gradients."""
    out = loss_fn(x, *args, **kwargs)
    total = out if out.shape == () else (out * Tensor(upstream)).sum()
    total.backward()
    return out.data, x.grad


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ------------------------------------------------------------------ exact values

def test_mse_l1_exact():
    x, y = leaf([1.0, 3.0]), np.array([0.0, 1.0])
    assert F.mse_loss(x, y).item() == 2.5
    assert F.mse_loss(x, y, reduction="sum").item() == 5.0
    assert F.l1_loss(x, y).item() == 1.5
    np.testing.assert_array_equal(F.l1_loss(x, y, reduction="none").data, [1.0, 2.0])


def test_l1_gradient_at_zero_is_zero():
    x = leaf([2.0, 1.0])
    F.l1_loss(x, np.array([2.0, 0.0]), reduction="sum").backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_huber_both_sides_and_tie():
    # d = 0.5 (inside δ = 1), 3 (outside), 1 (on the boundary: gradient δ·sign(d) = 1)
    x = leaf([0.5, 3.0, 1.0])
    loss = F.huber_loss(x, np.zeros(3), reduction="none")
    np.testing.assert_allclose(loss.data, [0.125, 2.5, 0.5])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [0.5, 1.0, 1.0])
    # delta ≠ 1: Huber = beta·SmoothL1
    x = leaf([0.1, 5.0])
    h = F.huber_loss(x, np.zeros(2), reduction="none", delta=2.0).data
    s = F.smooth_l1_loss(x, np.zeros(2), reduction="none", beta=2.0).data
    np.testing.assert_allclose(h, [0.005, 8.0])
    np.testing.assert_allclose(h, 2.0 * s)


def test_smooth_l1_beta_zero_is_l1():
    x = leaf([0.5, -3.0])
    assert F.smooth_l1_loss(x, np.zeros(2), beta=0.0).item() == 1.75


def test_bce_clamps_log_at_minus_100():
    x = leaf([0.0, 1.0, 0.0])
    loss = F.binary_cross_entropy(x, np.array([1.0, 0.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(x.grad).all()


def test_bce_with_logits_extreme_logits_are_finite():
    x = leaf([1e4, -1e4, 1e4, -1e4])
    loss = F.binary_cross_entropy_with_logits(x, np.array([1.0, 0.0, 0.0, 1.0]),
                                              reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1e4, 1e4])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 1.0, -1.0])


def test_cross_entropy_hand_weighted_mean():
    # Two samples, targets 0 and 1, class weights (1, 3): (1·l0 + 3·l1) / (1 + 3).
    z = np.array([[1.0, 2.0, 0.0], [0.5, 0.5, 0.5]])
    lse = np.log(np.exp(z).sum(1))
    l0, l1 = lse[0] - 1.0, lse[1] - 0.5
    loss = F.cross_entropy(leaf(z), np.array([0, 1]), weight=np.array([1.0, 3.0, 1.0]))
    assert math.isclose(loss.item(), (l0 + 3 * l1) / 4, rel_tol=1e-12)


def test_cross_entropy_huge_logits_and_ignored_rows():
    z = leaf([[1e4, -1e4], [-1e4, 1e4], [1000.0, 0.0]])
    loss = F.cross_entropy(z, np.array([1, 1, -100]), reduction="none")
    np.testing.assert_allclose(loss.data, [2e4, 0.0, 0.0])
    loss.sum().backward()
    np.testing.assert_array_equal(z.grad[2], [0.0, 0.0])   # ignored row: no gradient
    np.testing.assert_allclose(z.grad[0], [1.0, -1.0])
    assert F.cross_entropy(leaf([[1000.0, 0.0]]), np.array([1])).item() == 1000.0


def test_cross_entropy_all_ignored_mean_is_nan():
    assert math.isnan(F.cross_entropy(leaf([[1.0, 2.0]]), np.array([-100])).item())


def test_hinge_exact_and_labels():
    s = leaf([2.0, 0.5, -0.5])
    loss = F.hinge_loss(s, np.array([1, 1, 1]), reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.5, 1.5])
    loss.sum().backward()
    np.testing.assert_array_equal(s.grad, [0.0, -1.0, -1.0])
    with pytest.raises(ValueError, match=r"\+1 or -1"):
        F.hinge_loss(leaf([1.0]), np.array([0]))


# ------------------------------------------------------------------ gradcheck (float64)

GRADCHECKS = {
    "mse": lambda x: F.mse_loss(x, np.array([[0.3, -1.0, 2.0], [1.0, 0.0, -0.5]])),
    "l1": lambda x: F.l1_loss(x, np.array([[0.3, -1.0, 2.0], [1.0, 0.0, -0.5]])),
    "huber": lambda x: F.huber_loss(x, np.zeros((2, 3)), delta=0.7),
    "smooth_l1": lambda x: F.smooth_l1_loss(x, np.zeros((2, 3)), beta=0.4),
    "bce": lambda x: F.binary_cross_entropy(x.sigmoid(), np.array([[1.0, 0, 1], [0, 0.3, 1]]),
                                            weight=np.array([1.0, 2.0, 0.5])),
    "bce_logits": lambda x: F.binary_cross_entropy_with_logits(
        x, np.array([[1.0, 0, 1], [0, 0.3, 1]]), pos_weight=np.array([2.0, 1.0, 0.5]),
        weight=np.array([1.0, 2.0, 0.5])),
    "ce": lambda x: F.cross_entropy(x, np.array([2, 0]), weight=np.array([1.0, 2.0, 0.5]),
                                    label_smoothing=0.2),
    "ce_probs": lambda x: F.cross_entropy(x, np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]),
                                          label_smoothing=0.1),
    "nll": lambda x: F.nll_loss(x.log_softmax(1), np.array([1, -100])),
    "hinge": lambda x: F.hinge_loss(x, np.array([[1, -1, 1], [-1, 1, 1]]), margin=4.0),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck(name):
    x = leaf(np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]]))
    assert gradcheck(GRADCHECKS[name], [x])


# ------------------------------------------------------------------ PyTorch parity

@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    return torch


def compare(torch, ours, theirs, x, *args, reduction="mean", upstream=None, **kwargs):
    value, grad = run(ours, leaf(x), *args, reduction=reduction, upstream=upstream, **kwargs)
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    targs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    tout = theirs(tx, *targs, reduction=reduction, **tkw)
    tt = tout if tout.dim() == 0 else (tout * torch.tensor(upstream)).sum()
    tt.backward()
    np.testing.assert_allclose(value, tout.detach().numpy(), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_torch(torch, rng, reduction):
    tf = torch.nn.functional
    x, y = rng.normal(size=(5, 4)) * 2, rng.normal(size=(5, 4))
    up = rng.normal(size=(5, 4))
    compare(torch, F.mse_loss, tf.mse_loss, x, y, reduction=reduction, upstream=up)
    compare(torch, F.l1_loss, tf.l1_loss, x, y, reduction=reduction, upstream=up)
    for delta in (1.0, 0.5, 2.5):
        compare(torch, F.huber_loss, tf.huber_loss, x, y, reduction=reduction, upstream=up,
                delta=delta)
    for beta in (1.0, 0.3, 0.0):
        compare(torch, F.smooth_l1_loss, tf.smooth_l1_loss, x, y, reduction=reduction,
                upstream=up, beta=beta)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_torch(torch, rng, reduction):
    tf = torch.nn.functional
    p = rng.uniform(0.01, 0.99, size=(6, 3))
    p[0] = [0.0, 1.0, 1e-14]        # the clamped logs and capped gradients
    y = rng.uniform(size=(6, 3))
    y[0] = [1.0, 0.0, 1.0]
    up = rng.normal(size=(6, 3))
    compare(torch, F.binary_cross_entropy, tf.binary_cross_entropy, p, y,
            reduction=reduction, upstream=up)
    compare(torch, F.binary_cross_entropy, tf.binary_cross_entropy, p, y,
            reduction=reduction, upstream=up, weight=np.array([0.5, 2.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(torch, rng, reduction):
    tf = torch.nn.functional
    x = rng.normal(size=(6, 3)) * 3
    x[0] = [1e4, -1e4, 30.0]
    y = (rng.uniform(size=(6, 3)) > 0.5).astype(float)
    y[1] = [0.25, 0.5, 0.75]        # soft labels are allowed
    up = rng.normal(size=(6, 3))
    fn, tfn = F.binary_cross_entropy_with_logits, tf.binary_cross_entropy_with_logits
    compare(torch, fn, tfn, x, y, reduction=reduction, upstream=up)
    compare(torch, fn, tfn, x, y, reduction=reduction, upstream=up,
            weight=np.array([0.5, 2.0, 1.0]), pos_weight=np.array([3.0, 0.5, 1.0]))


CE_CASES = {
    "plain": dict(),
    "weight": dict(weight=np.array([0.2, 1.0, 3.0, 0.7])),
    "ignore": dict(ignore_index=2),
    "weight+ignore": dict(weight=np.array([0.2, 1.0, 3.0, 0.7]), ignore_index=2),
    "smoothing": dict(label_smoothing=0.15),
    "all": dict(weight=np.array([0.2, 1.0, 3.0, 0.7]), ignore_index=2, label_smoothing=0.3),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", sorted(CE_CASES))
def test_cross_entropy_index_targets_match_torch(torch, rng, case, reduction):
    tf = torch.nn.functional
    x = rng.normal(size=(7, 4)) * 2
    x[0] = [1e4, -1e4, 0.0, 5e3]
    kwargs = CE_CASES[case]
    t = np.array([0, 1, 2, 3, 2, 1, kwargs.get("ignore_index", -100)])
    compare(torch, F.cross_entropy, tf.cross_entropy, x, t, reduction=reduction,
            upstream=rng.normal(size=7), **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", ["plain", "weight", "smoothing", "all"])
def test_cross_entropy_probability_targets_match_torch(torch, rng, case, reduction):
    tf = torch.nn.functional
    x = rng.normal(size=(5, 4)) * 2
    x[0] = [1e4, -1e4, 0.0, 5e3]
    t = rng.dirichlet(np.ones(4), size=5)
    kwargs = {k: v for k, v in CE_CASES[case].items() if k != "ignore_index"}
    compare(torch, F.cross_entropy, tf.cross_entropy, x, t, reduction=reduction,
            upstream=rng.normal(size=5), **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_other_shapes_match_torch(torch, rng, reduction):
    tf = torch.nn.functional
    # (N, C, d): the class dim is 1, as in PyTorch
    x = rng.normal(size=(3, 4, 5))
    t = rng.integers(0, 4, size=(3, 5))
    t[0, 0] = -100
    compare(torch, F.cross_entropy, tf.cross_entropy, x, t, reduction=reduction,
            upstream=rng.normal(size=(3, 5)), weight=np.array([1.0, 2.0, 0.5, 1.5]),
            label_smoothing=0.1)
    # one unbatched sample: input (C,), target a 0-d index
    compare(torch, F.cross_entropy, tf.cross_entropy, rng.normal(size=4), np.array(2),
            reduction=reduction, upstream=np.array(1.7))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(torch, rng, reduction):
    tf = torch.nn.functional
    x = rng.normal(size=(6, 3))
    t = np.array([0, 2, 1, 1, 0, 2])
    for kwargs in ({}, {"weight": np.array([0.5, 2.0, 1.0]), "ignore_index": 1}):
        compare(torch, F.nll_loss, tf.nll_loss, x, t, reduction=reduction,
                upstream=rng.normal(size=6), **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_matches_its_torch_formula(torch, rng, reduction):
    s = rng.normal(size=8)
    y = np.where(rng.uniform(size=8) > 0.5, 1.0, -1.0)

    def theirs(x, y, reduction, margin):
        loss = torch.relu(margin - y * x)
        return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]

    compare(torch, F.hinge_loss, theirs, s, y, reduction=reduction,
            upstream=rng.normal(size=8), margin=0.5)


def test_loss_modules_match_functional_and_torch_reprs(torch, rng):
    x, y = leaf(rng.normal(size=(4, 3))), rng.normal(size=(4, 3))
    t = np.array([0, 2, 1, 2])
    w = np.array([1.0, 0.5, 2.0])
    pairs = [
        (nn.MSELoss(reduction="sum"), F.mse_loss(x, y, reduction="sum"), y),
        (nn.L1Loss(), F.l1_loss(x, y), y),
        (nn.HuberLoss(delta=0.5), F.huber_loss(x, y, delta=0.5), y),
        (nn.SmoothL1Loss(beta=0.5), F.smooth_l1_loss(x, y, beta=0.5), y),
        (nn.BCELoss(weight=w), F.binary_cross_entropy(x.sigmoid(), y > 0, weight=w), y > 0),
        (nn.BCEWithLogitsLoss(pos_weight=w),
         F.binary_cross_entropy_with_logits(x, (y > 0) * 1.0, pos_weight=w), (y > 0) * 1.0),
        (nn.CrossEntropyLoss(weight=w, ignore_index=1, label_smoothing=0.1),
         F.cross_entropy(x, t, weight=w, ignore_index=1, label_smoothing=0.1), t),
        (nn.NLLLoss(weight=w), F.nll_loss(x, t, weight=w), t),
        (nn.HingeLoss(margin=2.0), F.hinge_loss(x, np.sign(y), margin=2.0), np.sign(y)),
    ]
    for module, expected, target in pairs:
        inp = x.sigmoid() if isinstance(module, nn.BCELoss) else x
        assert module(inp, target).item() == expected.item()
        name = type(module).__name__
        if hasattr(torch.nn, name):
            assert repr(module) == repr(getattr(torch.nn, name)())
    assert list(nn.CrossEntropyLoss(weight=w).state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


# ------------------------------------------------------------------ scalar dispatch

def test_functional_losses_dispatch_to_scalar_versions():
    xs, ts = [0.3, -1.2, 2.0], [1.0, 0.0, -1.0]
    vals = [Value(v) for v in xs]
    tensor = leaf(xs)
    for fn, kwargs in ((F.mse_loss, {}), (F.l1_loss, {}), (F.huber_loss, {"delta": 0.5}),
                       (F.smooth_l1_loss, {"beta": 0.5})):
        scalar = fn(vals, ts, **kwargs)
        assert isinstance(scalar, Value)
        assert math.isclose(scalar.data, fn(tensor, np.array(ts), **kwargs).item(),
                            rel_tol=1e-12)
    probs, labels = [0.2, 0.9, 0.5], [0.0, 1.0, 1.0]
    assert math.isclose(F.binary_cross_entropy([Value(p) for p in probs], labels).data,
                        F.binary_cross_entropy(leaf(probs), np.array(labels)).item(),
                        rel_tol=1e-12)
    assert math.isclose(
        F.binary_cross_entropy_with_logits(vals, labels, pos_weight=2.0).data,
        F.binary_cross_entropy_with_logits(tensor, np.array(labels),
                                           pos_weight=np.array(2.0)).item(), rel_tol=1e-12)
    signs = [1, -1, 1]
    assert math.isclose(F.hinge_loss(vals, signs, reduction="sum").data,
                        F.hinge_loss(tensor, np.array(signs), reduction="sum").item())
    rows = [[Value(1.0), Value(2.0), Value(0.5)], [Value(-1.0), Value(0.0), Value(3.0)]]
    logits = leaf([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    assert math.isclose(F.cross_entropy(rows, [0, 2]).data,
                        F.cross_entropy(logits, np.array([0, 2])).item(), rel_tol=1e-12)
    assert math.isclose(F.nll_loss(rows, [0, 2], reduction="sum").data,
                        F.nll_loss(logits, np.array([0, 2]), reduction="sum").item())
    assert isinstance(nn.MSELoss()(vals, ts), Value)    # the modules dispatch too


def test_scalar_dispatch_rejects_tensor_only_options():
    with pytest.raises(ValueError, match="Tensor inputs only"):
        F.cross_entropy([Value(1.0), Value(2.0)], 0, label_smoothing=0.1)
    with pytest.raises(ValueError, match="Tensor inputs only"):
        F.binary_cross_entropy([Value(0.5)], [1.0], weight=[2.0])


# ------------------------------------------------------------------ error paths

def test_errors_name_the_problem():
    x = leaf([[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(x, np.zeros((2, 2)), reduction="avg")
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="batchmean")
    with pytest.raises(IndexError, match="Target 2 is out of bounds"):
        F.cross_entropy(x, np.array([0, 2]))
    with pytest.raises(ValueError, match="one entry per class"):
        F.cross_entropy(x, np.array([0, 1]), weight=np.ones(3))
    with pytest.raises(ValueError, match="expected target of shape"):
        F.cross_entropy(x, np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="probability targets"):
        F.cross_entropy(x, np.ones((2, 3)) / 3)
    with pytest.raises(TypeError, match="class indices"):
        F.nll_loss(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        F.binary_cross_entropy(leaf([1.5]), np.array([1.0]))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="delta must be positive"):
        nn.HuberLoss(delta=0.0)
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(leaf(np.zeros((3, 1))), np.zeros(3))
