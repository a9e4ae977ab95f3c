"""nn.clip (exported as nn.utils): clip_grad_norm_ and clip_grad_value_ on Values and arrays."""
import math
import warnings

import numpy as np
import pytest

import nn.utils
from autograd import Value
from autograd.graph import Node
from nn.clip import clip_grad_norm_, clip_grad_value_, get_total_norm

EXPECTED_COEF = 1.0 / (5.0 + 1e-6)


class P(Node):
    """A tensor-parameter stand-in (`.data` ndarray, `.grad` None or ndarray, read through
    Node's raw_data / raw_grad)."""

    def __init__(self, grad, dtype=np.float64):
        self.data = np.zeros(np.shape(grad), dtype=dtype)
        self.grad = None if grad is None else np.array(grad, dtype=dtype)


def test_three_four_with_one_array():
    p = P([3.0, 4.0])
    grad = p.grad
    total = clip_grad_norm_([p], max_norm=1.0)
    assert total == 5.0 and type(total) is float
    assert p.grad is grad                                      # scaled in place
    np.testing.assert_allclose(p.grad, np.array([0.6, 0.8]) * 5 / (5 + 1e-6), rtol=1e-15)


def test_three_four_with_values_and_split_arrays():
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = 3.0, 4.0
    assert clip_grad_norm_([a, b], 1.0) == 5.0
    assert (a.grad, b.grad) == pytest.approx((3 * EXPECTED_COEF, 4 * EXPECTED_COEF), rel=1e-15)
    assert type(a.grad) is float

    ps = [P([3.0]), P([[4.0]]), P(None)]                       # global norm across params
    assert clip_grad_norm_(ps, 1.0) == 5.0
    assert ps[0].grad[0] == pytest.approx(3 * EXPECTED_COEF) and ps[2].grad is None


def test_small_norm_is_left_alone_and_single_parameter_accepted():
    p = P([0.3, 0.4])
    assert clip_grad_norm_(p, max_norm=1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(p.grad, [0.3, 0.4])          # coefficient clamped to 1


def test_inf_and_one_norms():
    p, w = P([[-3.0, 2.0]]), Value(0.0)
    w.grad = 1.0
    assert clip_grad_norm_([p, w], max_norm=1.5, norm_type="inf") == 3.0
    coef = 1.5 / (3.0 + 1e-6)
    np.testing.assert_allclose(p.grad, [[-3.0 * coef, 2.0 * coef]], rtol=1e-15)
    assert w.grad == pytest.approx(coef, rel=1e-15)
    assert clip_grad_norm_([P([1.0, -2.0]), P([3.0])], 100.0, norm_type=1) == 6.0
    assert clip_grad_norm_(P([2.0]), 1.0, norm_type=math.inf) == 2.0


def test_none_grads_are_skipped_and_no_grads_give_zero():
    p = P(None)
    assert clip_grad_norm_([p], 1.0) == 0.0 and p.grad is None
    assert clip_grad_norm_([], 1.0) == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        clip_grad_norm_((q for q in []), 1.0)


def test_nonfinite_norm():
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([P([1.0, math.inf])], 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([P([math.nan])], 1.0, error_if_nonfinite=True)
    p = P([1.0, math.inf])                  # without the flag: scaled by 1/inf = 0, like torch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert clip_grad_norm_([p], 1.0) == math.inf
    assert p.grad[0] == 0.0 and math.isnan(p.grad[1])


def test_float32_grads_stay_float32():
    p = P([3.0, 4.0], dtype=np.float32)
    clip_grad_norm_([p], 1.0)
    assert p.grad.dtype == np.float32
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-6)


def test_get_total_norm_mixes_floats_and_arrays():
    assert get_total_norm([3.0, np.array([[4.0]])]) == 5.0
    assert get_total_norm([]) == 0.0


def test_clip_grad_value():
    p, w, none = P([-5.0, 0.5, 9.0]), Value(0.0), P(None)
    w.grad = -7.0
    grad = p.grad
    assert clip_grad_value_([p, w, none], 2.0) is None
    assert p.grad is grad
    np.testing.assert_array_equal(p.grad, [-2.0, 0.5, 2.0])
    assert w.grad == -2.0 and none.grad is None
    clip_grad_value_(w, 1)
    assert w.grad == -1.0


def test_nn_utils_reexports():
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_
    assert nn.utils.clip_grad_value_ is clip_grad_value_


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_matches_pytorch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=(5,)), rng.normal(size=())]
    ours = [P(g) for g in grads]
    theirs = [torch.zeros(np.shape(g), dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total == pytest.approx(want.item(), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_value_matches_pytorch():
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(4).normal(size=(4, 4)) * 3
    p, t = P(g), torch.zeros(4, 4, dtype=torch.float64, requires_grad=True)
    t.grad = torch.tensor(g)
    clip_grad_value_([p], 1.25)
    torch.nn.utils.clip_grad_value_([t], 1.25)
    np.testing.assert_array_equal(p.grad, t.grad.numpy())


def test_tensor_parameters_get_a_tensor_norm_like_torch():
    torch = pytest.importorskip("torch")
    import nn as glass_nn
    from autograd import Tensor as GTensor
    ours = glass_nn.Linear(3, 2)
    theirs = torch.nn.Linear(3, 2)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.tolist()))
        theirs.bias.copy_(torch.tensor(ours.bias.tolist()))
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    ours(GTensor(x)).pow(2).sum().backward()
    theirs(torch.tensor(x)).pow(2).sum().backward()
    total = clip_grad_norm_(ours.parameters(), 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
    assert isinstance(total, GTensor) and total.dtype == np.float32 and total.shape == ()
    assert total.item() == pytest.approx(expected.item(), rel=1e-5)
    np.testing.assert_allclose(ours.weight.grad.tolist(), theirs.weight.grad.tolist(), rtol=1e-5)
    grads = [p.grad for p in ours.parameters()]
    assert get_total_norm(grads).item() == pytest.approx(
        torch.nn.utils.get_total_norm([p.grad for p in theirs.parameters()]).item(), rel=1e-5)
    assert f"{total:.3f}" == f"{expected:.3f}"
