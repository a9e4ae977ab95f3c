"""nn.init: PyTorch's gain table, fan computation, bounds/std of each initialiser on big
seeded tensors (within 2%), in-place filling without a graph, seeding, and error paths."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import init


def param(*shape):
    return nn.Parameter(np.zeros(shape))


def gen(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name,param_,expected", [
    ("linear", None, 1.0), ("conv1d", None, 1.0), ("conv2d", None, 1.0),
    ("conv3d", None, 1.0), ("conv_transpose1d", None, 1.0), ("conv_transpose2d", None, 1.0),
    ("conv_transpose3d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", 0, math.sqrt(2)),
    ("selu", None, 0.75),
])
def test_gain_table(name, param_, expected):
    assert init.calculate_gain(name, param_) == pytest.approx(expected, rel=1e-15)


def test_gain_table_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu", "conv2d"):
        assert init.calculate_gain(name) == torch.nn.init.calculate_gain(name)
    assert init.calculate_gain("leaky_relu", 0.3) == torch.nn.init.calculate_gain("leaky_relu", 0.3)


def test_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity softmax"):
        init.calculate_gain("softmax")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "0.1")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fans():
    assert init._calculate_fan_in_and_fan_out(param(30, 20)) == (20, 30)
    assert init._calculate_fan_in_and_fan_out(param(8, 4, 3, 3)) == (36, 72)
    for shape in ((5,), ()):
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            init.xavier_uniform_(param(*shape))
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            init.kaiming_normal_(param(*shape))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(param(3, 3), mode="fan_avg")


def _check_uniform(data, bound):
    assert np.abs(data).max() <= bound
    assert np.abs(data).max() > 0.99 * bound
    assert data.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert abs(data.mean()) < 0.02 * bound


def _check_normal(data, std):
    assert data.std() == pytest.approx(std, rel=0.02)
    assert abs(data.mean()) < 0.02 * std


def test_uniform_normal_constant():
    w = param(400, 300)
    assert init.uniform_(w, -2.0, 3.0, generator=gen()) is w
    assert w.data.min() >= -2.0 and w.data.max() < 3.0
    assert w.data.mean() == pytest.approx(0.5, abs=0.02)
    init.normal_(w, 1.0, 0.5, generator=gen())
    assert w.data.mean() == pytest.approx(1.0, abs=0.01)
    _check_normal(w.data - 1.0, 0.5)
    assert init.constant_(w, 0.25) is w and (w.data == 0.25).all()
    assert (init.zeros_(w).data == 0).all() and (init.ones_(w).data == 1).all()
    b = param(5)
    init.uniform_(b)                                     # 1-D is fine for these
    assert ((0 <= b.data) & (b.data < 1)).all()


def test_xavier():
    w = param(300, 500)
    init.xavier_uniform_(w, generator=gen())
    _check_uniform(w.data, math.sqrt(6 / 800))
    init.xavier_uniform_(w, gain=init.calculate_gain("tanh"), generator=gen())
    _check_uniform(w.data, 5 / 3 * math.sqrt(6 / 800))
    init.xavier_normal_(w, gain=2.0, generator=gen())
    _check_normal(w.data, 2.0 * math.sqrt(2 / 800))


@pytest.mark.parametrize("mode,fan", [("fan_in", 500), ("fan_out", 300), ("FAN_IN", 500)])
def test_kaiming(mode, fan):
    w = param(300, 500)
    assert init.kaiming_uniform_(w, mode=mode, generator=gen()) is w
    _check_uniform(w.data, math.sqrt(2) * math.sqrt(3 / fan))      # a=0 → gain √2
    init.kaiming_normal_(w, mode=mode, generator=gen())
    _check_normal(w.data, math.sqrt(2 / fan))
    init.kaiming_normal_(w, a=0.5, mode=mode, nonlinearity="leaky_relu", generator=gen())
    _check_normal(w.data, math.sqrt(2 / 1.25) / math.sqrt(fan))
    init.kaiming_uniform_(w, mode=mode, nonlinearity="tanh", generator=gen())
    _check_uniform(w.data, 5 / 3 * math.sqrt(3 / fan))


def test_kaiming_conv_shaped_tensor_uses_receptive_field():
    w = param(64, 16, 3, 3)
    init.kaiming_normal_(w, nonlinearity="relu", generator=gen())
    _check_normal(w.data, math.sqrt(2 / (16 * 9)))


def test_zero_element_tensor_warns_and_is_untouched():
    w = param(0, 3)
    with pytest.warns(UserWarning, match="zero-element"):
        assert init.kaiming_uniform_(w) is w


def test_in_place_without_a_graph_and_same_array():
    w = param(4, 3)
    array = w.raw_data
    init.kaiming_uniform_(w, generator=gen())
    assert w.raw_data is array                 # optimizers holding the array see the new values
    assert w.requires_grad and w.is_leaf and w.parents == ()
    assert w.grad is None


def test_seeding_with_a_generator_and_the_global_stream():
    a, b = param(10, 10), param(10, 10)
    init.normal_(a, generator=gen(7))
    init.normal_(b, generator=gen(7))
    np.testing.assert_array_equal(a.data, b.data)
    import autograd
    autograd.manual_seed(11)
    init.xavier_uniform_(a)
    first = nn.Linear(3, 4).weight.detach().numpy().copy()
    autograd.manual_seed(11)
    init.xavier_uniform_(b)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(nn.Linear(3, 4).weight.data, first)


def test_init_works_on_plain_tensors_too():
    t = Tensor(np.zeros((20, 10)))
    init.xavier_normal_(t, generator=gen())
    assert t.data.std() > 0
