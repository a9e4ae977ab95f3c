"""Scalar losses: hand-computed values and gradients, PyTorch parity (float64) for values and
gradients, numerical stability at extreme inputs, reductions and bad input."""
import math

import pytest

from autograd import DomainError, Value
from nn import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                hinge_loss, huber_loss, l1_loss, mse_loss)


def _values(xs):
    return [Value(x) for x in xs]


# ---- by hand -------------------------------------------------------------------------------

def test_mse_by_hand():
    p = _values([1.0, 3.0])
    loss = mse_loss(p, [0.0, 1.0])          # ((1-0)² + (3-1)²) / 2 = 2.5
    loss.backward()
    assert loss.data == 2.5
    assert [v.grad for v in p] == [1.0, 2.0]  # 2 (p - t) / n
    assert mse_loss(_values([1.0, 3.0]), [0.0, 1.0], reduction="sum").data == 5.0
    assert [v.data for v in mse_loss(_values([1.0, 3.0]), [0.0, 1.0], reduction="none")] == \
        [1.0, 4.0]
    single = Value(2.0)
    assert mse_loss(single, 5.0).data == 9.0


def test_l1_by_hand_with_abs_kink():
    p = _values([1.0, -3.0, 2.0])
    loss = l1_loss(p, [0.0, 1.0, 2.0])       # (1 + 4 + 0) / 3
    loss.backward()
    assert loss.data == pytest.approx(5.0 / 3.0, rel=1e-15)
    assert [v.grad for v in p] == [1 / 3, -1 / 3, 0.0]   # sign(p - t) / n, sign(0) = 0


def test_huber_by_hand_on_both_sides_of_delta():
    p = _values([0.5, 3.0, -2.0])
    loss = huber_loss(p, [0.0, 0.0, 0.0], delta=1.5, reduction="sum")
    # |0.5| < 1.5: 0.5·0.25 = 0.125; |3| ≥ 1.5: 1.5(3 − 0.75) = 3.375; |−2|: 1.5(2 − 0.75)
    loss.backward()
    assert loss.data == 0.125 + 3.375 + 1.875
    assert [v.grad for v in p] == [0.5, 1.5, -1.5]          # d, delta·sign(d)


def test_hinge_by_hand():
    s = _values([2.0, 0.5, -0.25])
    loss = hinge_loss(s, [1, 1, -1])          # relu(1 − y s): 0, 0.5, 0.75 -> mean 5/12
    loss.backward()
    assert loss.data == pytest.approx(1.25 / 3, rel=1e-15)
    assert [v.grad for v in s] == [0.0, -1 / 3, 1 / 3]
    with pytest.raises(ValueError, match="labels must be \\+1 or -1, got 0"):
        hinge_loss(s, [1, 0, -1])


def test_bce_by_hand_and_its_clamp():
    p = Value(0.8)
    loss = binary_cross_entropy(p, 1.0)       # −log 0.8, d/dp = −1/p
    loss.backward()
    assert loss.data == pytest.approx(-math.log(0.8), rel=1e-15)
    assert p.grad == pytest.approx(-1.25, rel=1e-12)
    # PyTorch clamps log at −100: p = 0 with y = 1 costs exactly 100, with a finite gradient.
    zero = Value(0.0)
    loss = binary_cross_entropy(zero, 1.0)
    loss.backward()
    assert loss.data == 100.0
    # (p − y) / max(p(1−p), EPSILON) with PyTorch's EPSILON, float32(1e-12) = 9.99999996e-13
    eps = 9.999999960041972e-13
    assert math.isfinite(zero.grad) and zero.grad == -1.0 / eps
    one = Value(1.0)
    loss = binary_cross_entropy(one, 0.0)
    loss.backward()
    assert loss.data == 100.0 and one.grad == 1.0 / eps


def test_bce_rejects_probabilities_outside_0_1():
    with pytest.raises(DomainError, match="binary_cross_entropy: the probability must be in "
                                          r"\[0, 1\], got p = 1.5"):
        binary_cross_entropy(Value(1.5, label="p"), 1.0)
    with pytest.raises(ArithmeticError):
        binary_cross_entropy(Value(-0.1), 0.0)


def test_bce_with_logits_is_stable_at_plus_minus_1000():
    for x, y, value, grad in ((1000.0, 1.0, 0.0, 0.0), (-1000.0, 0.0, 0.0, 0.0),
                              (1000.0, 0.0, 1000.0, 1.0), (-1000.0, 1.0, 1000.0, -1.0)):
        v = Value(x)
        loss = binary_cross_entropy_with_logits(v, y)
        loss.backward()
        assert loss.data == value and v.grad == grad       # σ(x) − y, exactly


def test_cross_entropy_by_hand_and_stable_at_1e4():
    z = _values([0.0, math.log(3.0)])         # softmax = (1/4, 3/4)
    loss = cross_entropy(z, 1)
    loss.backward()
    assert loss.data == pytest.approx(-math.log(0.75), rel=1e-15)
    assert [v.grad for v in z] == pytest.approx([0.25, -0.25], rel=1e-15)   # softmax − onehot
    big = _values([1e4, 0.0, -1e4])
    loss = cross_entropy(big, 2)
    loss.backward()
    assert loss.data == 2e4
    assert [v.grad for v in big] == [1.0, 0.0, -1.0]
    big = _values([1e4, 1e4])
    loss = cross_entropy(big, 0)
    loss.backward()
    assert loss.data == pytest.approx(math.log(2.0), rel=1e-15)
    assert [v.grad for v in big] == [-0.5, 0.5]


def test_cross_entropy_batch_and_errors():
    rows = [_values([1.0, 2.0, 0.5]), _values([0.0, 0.0, 3.0])]
    mean = cross_entropy(rows, [1, 2])
    total = cross_entropy([[v for v in r] for r in rows], [1, 2], reduction="sum")
    assert mean.data == pytest.approx(total.data / 2, rel=1e-15)
    each = cross_entropy(rows, [1, 2], reduction="none")
    assert len(each) == 2 and sum(e.data for e in each) == pytest.approx(total.data, rel=1e-15)
    with pytest.raises(ValueError, match="target 3 is not a class index in \\[0, 3\\)"):
        cross_entropy(_values([1.0, 2.0, 3.0]), 3)
    with pytest.raises(ValueError, match="target 1.0 is not a class index"):
        cross_entropy(_values([1.0, 2.0]), 1.0)
    with pytest.raises(ValueError, match="2 samples but 1 targets"):
        cross_entropy(rows, [1])


def test_reduction_and_length_errors():
    with pytest.raises(ValueError, match="reduction must be one of"):
        mse_loss(_values([1.0]), [1.0], reduction="avg")
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        mse_loss(_values([1.0, 2.0]), [1.0, 2.0, 3.0])


# ---- PyTorch parity -----------------------------------------------------------------------

def _torch():
    torch = pytest.importorskip("torch")
    return torch, torch.nn.functional


def _compare(ours_fn, theirs_fn, preds, targets, torch):
    vs = _values(preds)
    loss = ours_fn(vs, targets)
    loss.backward()
    t = torch.tensor(preds, dtype=torch.float64, requires_grad=True)
    tl = theirs_fn(t, torch.tensor(targets, dtype=torch.float64))
    tl.backward()
    assert loss.data == pytest.approx(tl.item(), rel=1e-9, abs=1e-12)
    assert [v.grad for v in vs] == pytest.approx(t.grad.tolist(), rel=1e-9, abs=1e-12)


PREDS = [0.3, -1.2, 2.5, 0.0, 1.0]
TARGETS = [0.0, -1.2, 1.0, 0.5, -0.7]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_regression_losses_match_torch(reduction):
    torch, F = _torch()
    _compare(lambda p, t: mse_loss(p, t, reduction=reduction),
             lambda p, t: F.mse_loss(p, t, reduction=reduction), PREDS, TARGETS, torch)
    _compare(lambda p, t: l1_loss(p, t, reduction=reduction),
             lambda p, t: F.l1_loss(p, t, reduction=reduction), PREDS, TARGETS, torch)
    for delta in (1.0, 0.5, 2.0, 1.5):   # 1.5 hits |d| == delta exactly (2.5 − 1)
        _compare(lambda p, t: huber_loss(p, t, delta=delta, reduction=reduction),
                 lambda p, t: F.huber_loss(p, t, delta=delta, reduction=reduction),
                 PREDS, TARGETS, torch)


def test_hinge_matches_its_torch_formula():
    torch, F = _torch()
    scores, labels = [2.0, 0.5, -0.25, 1.0, -3.0], [1, 1, -1, 1, -1]
    _compare(lambda s, y: hinge_loss(s, [int(v) for v in y]),
             lambda s, y: torch.relu(1.0 - y * s).mean(), scores, labels, torch)


def test_bce_matches_torch_including_the_clamp():
    torch, F = _torch()
    probs = [0.8, 0.1, 0.5, 0.0, 1.0, 1e-300, 0.999999]
    targets = [1.0, 0.0, 0.3, 1.0, 0.0, 1.0, 0.0]
    for reduction in ("mean", "sum"):
        _compare(lambda p, t: binary_cross_entropy(p, t, reduction=reduction),
                 lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction),
                 probs, targets, torch)


def test_bce_gradient_with_respect_to_a_soft_target_matches_torch():
    torch, F = _torch()
    p, y = Value(0.3), Value(0.6)
    binary_cross_entropy(p, y).backward()
    tp = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    F.binary_cross_entropy(tp, ty).backward()
    assert (p.grad, y.grad) == pytest.approx((tp.grad.item(), ty.grad.item()), rel=1e-9)


def test_bce_with_logits_matches_torch():
    torch, F = _torch()
    logits = [-1000.0, -30.0, -1.0, 0.0, 2.0, 25.0, 1000.0]
    for targets in ([1.0] * 7, [0.0] * 7, [0.3, 1.0, 0.0, 0.5, 0.9, 0.1, 0.6]):
        _compare(binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits,
                 logits, targets, torch)
        _compare(lambda x, y: binary_cross_entropy_with_logits(x, y, pos_weight=3.0),
                 lambda x, y: F.binary_cross_entropy_with_logits(
                     x, y, pos_weight=torch.tensor(3.0, dtype=torch.float64)),
                 logits, targets, torch)


def test_bce_with_logits_equals_bce_of_sigmoid_in_the_moderate_range():
    for x, y in ((0.7, 1.0), (-1.3, 0.0), (2.0, 0.25)):
        a = binary_cross_entropy_with_logits(Value(x), y).data
        b = binary_cross_entropy(Value(x).sigmoid(), y).data
        assert a == pytest.approx(b, rel=1e-12)


def test_cross_entropy_matches_torch():
    torch, F = _torch()
    cases = [
        ([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0], [-1.0, 4.0, 4.0]], [1, 2, 0]),
        ([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4]], [2, 1]),
    ]
    for rows, targets in cases:
        for reduction in ("mean", "sum"):
            vs = [_values(r) for r in rows]
            loss = cross_entropy(vs, targets, reduction=reduction)
            loss.backward()
            t = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
            tl = F.cross_entropy(t, torch.tensor(targets), reduction=reduction)
            tl.backward()
            assert loss.data == pytest.approx(tl.item(), rel=1e-9)
            assert [v.grad for r in vs for v in r] == \
                pytest.approx(t.grad.flatten().tolist(), rel=1e-9, abs=1e-12)


def test_bce_second_derivatives_match_torch():
    # d/dy BCE = log(1−p) − log(p) depends on p: a mixed second derivative must see it.
    torch, F = _torch()
    from autograd import grad
    p, y = Value(0.3), Value(0.6)
    (gy,) = grad(binary_cross_entropy(p, y), [y], create_graph=True)
    (gp,) = grad(binary_cross_entropy(p, y), [p], create_graph=True)
    ours = [grad(gy, [p])[0], *grad(gp, [p, y])]
    tp = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    (tgy,) = torch.autograd.grad(F.binary_cross_entropy(tp, ty), [ty], create_graph=True)
    (tgp,) = torch.autograd.grad(F.binary_cross_entropy(tp, ty), [tp], create_graph=True)
    theirs = [torch.autograd.grad(tgy, [tp])[0].item(),
              *[t.item() for t in torch.autograd.grad(tgp, [tp, ty])]]
    assert gy.data == pytest.approx(tgy.item(), rel=1e-12)
    assert ours == pytest.approx(theirs, rel=1e-9)
    assert ours[0] == pytest.approx(-1 / (0.3 * 0.7), rel=1e-12)    # −1/(p(1−p)), by hand
