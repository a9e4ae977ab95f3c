import numpy as np
import pytest

import nn
from autograd import Tensor


def test_double_casts_parameters_and_buffers_and_float_casts_back():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    assert model.double() is model
    assert all(p.data.dtype == np.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float64
    out = model(Tensor(np.ones((5, 3))))
    assert out.dtype == np.float64
    model.float()
    assert all(p.data.dtype == np.float32 for p in model.parameters())


def test_to_keeps_values_and_refuses_integer_dtypes():
    model = nn.Linear(2, 2)
    before = model.weight.detach().numpy().copy()
    model.to(np.float64)
    np.testing.assert_array_equal(model.weight.data, before.astype(np.float64))
    with pytest.raises(TypeError, match="floating"):
        model.to(np.int64)


def test_to_leaves_scalar_value_parameters_alone():
    mlp = nn.MLP(2, [2, 1], seed=0)
    before = [p.data for p in mlp.parameters()]
    mlp.double()
    assert [p.data for p in mlp.parameters()] == before
