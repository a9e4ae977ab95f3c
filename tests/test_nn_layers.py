"""Tensor layers: Parameter, Linear, Sequential, activations, Flatten, Dropout, BatchNorm1d,
checked by hand, by float64 gradcheck and against PyTorch; and the scalar MLP against the
same network built from tensor layers."""
from __future__ import annotations

import random
from collections import OrderedDict

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, gradcheck

RTOL = 1e-6
F64 = np.float64      # layers default to float32 like PyTorch; parity checks use float64


def leaf(x, grad=True):
    return Tensor(np.array(x, dtype=np.float64), requires_grad=grad)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(saved)  # later modules compare with torch's own default


# ------------------------------------------------------------------ Parameter

def test_parameter_is_a_trainable_tensor():
    p = nn.Parameter(np.array([1.0, -2.0]))
    assert isinstance(p, Tensor) and p.requires_grad and p._is_parameter
    assert type(p * 2) is Tensor                    # ops give plain Tensors
    assert repr(p).startswith("Parameter containing:\n")
    frozen = nn.Parameter(np.zeros(2), requires_grad=False)
    assert not frozen.requires_grad
    t = Tensor(np.array([3.0]))
    assert nn.Parameter(t).raw_data is t.raw_data    # shares the array, like torch
    assert nn.Parameter().shape == (0,)


def test_module_registers_parameters_by_attribute():
    lin = nn.Linear(3, 2)
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    assert all(isinstance(p, nn.Parameter) for p in lin.parameters())


# ------------------------------------------------------------------ Linear

def test_linear_shapes_init_bounds_and_seed():
    lin = nn.Linear(400, 300, generator=np.random.default_rng(1))
    assert lin.weight.shape == (300, 400) and lin.bias.shape == (300,)
    bound = 1 / np.sqrt(400)
    for p in (lin.weight.data, lin.bias.data):
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.99 * bound       # fills the whole interval
    assert abs(lin.weight.data.std() - bound / np.sqrt(3)) < 0.02 * bound / np.sqrt(3)
    again = nn.Linear(400, 300, generator=np.random.default_rng(1))
    np.testing.assert_array_equal(lin.weight.data, again.weight.data)
    assert nn.Linear(2, 3, bias=False).bias is None
    assert [n for n, _ in nn.Linear(2, 3, bias=False).named_parameters()] == ["weight"]


def test_layers_default_to_float32_like_pytorch():
    lin, bn = nn.Linear(2, 3), nn.BatchNorm1d(3)
    for array in (lin.weight.data, lin.bias.data, bn.weight.data, bn.running_var):
        assert array.dtype == np.float32
    out = bn(lin(Tensor(np.ones((4, 2), dtype=np.float32))))
    assert out.dtype == np.float32
    assert nn.Linear(2, 3, dtype=np.float64).weight.dtype == np.float64


def test_deepcopy_keeps_parameters_separate():
    import copy
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    twin = copy.deepcopy(model)
    assert type(twin[0].weight) is nn.Parameter and twin[0].weight.requires_grad
    assert twin[0].weight.data is not model[0].weight.data
    np.testing.assert_array_equal(twin[0].weight.data, model[0].weight.data)
    assert list(twin.state_dict()) == list(model.state_dict())


def test_linear_errors():
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 2)
    with pytest.raises(ValueError, match="last dimension 3"):
        nn.Linear(3, 2)(leaf(np.ones((4, 2))))


def test_linear_gradcheck(rng):
    lin = nn.Linear(3, 2, dtype=F64)
    x = leaf(rng.normal(size=(4, 3)))
    assert gradcheck(lambda x, w, b: (lin(x) ** 2).sum(), [x, lin.weight, lin.bias])


def test_linear_matches_torch(torch, rng):
    ours = nn.Linear(5, 3, dtype=F64)
    theirs = torch.nn.Linear(5, 3)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    for shape in ((4, 5), (2, 4, 5), (5,)):
        x = rng.normal(size=shape)
        up = rng.normal(size=shape[:-1] + (3,))
        _parity_step(torch, ours, theirs, x, up)


# ------------------------------------------------------------------ Sequential

def test_sequential_container():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c
    assert list(seq[1:]) == [b, c] and isinstance(seq[1:], nn.Sequential)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    seq.append(nn.Tanh())
    assert len(seq) == 4 and [n for n, _ in seq.named_children()][-1] == "3"
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(lambda x: x)
    x = leaf(np.ones((5, 2))).float()
    np.testing.assert_allclose(seq(x).data, seq[3](c(b(a(x)))).data)


def test_reprs_match_torch(torch):
    ours = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.LeakyReLU(), nn.Tanh(), nn.Sigmoid(),
                         nn.GELU(), nn.GELU("tanh"), nn.ELU(alpha=0.5), nn.Softplus(),
                         nn.Identity(), nn.Flatten(), nn.Dropout(0.25), nn.BatchNorm1d(16),
                         nn.Linear(16, 1, bias=False))
    tnn = torch.nn
    theirs = tnn.Sequential(tnn.Linear(2, 16), tnn.ReLU(), tnn.LeakyReLU(), tnn.Tanh(),
                            tnn.Sigmoid(), tnn.GELU(), tnn.GELU("tanh"), tnn.ELU(alpha=0.5),
                            tnn.Softplus(), tnn.Identity(), tnn.Flatten(), tnn.Dropout(0.25),
                            tnn.BatchNorm1d(16), tnn.Linear(16, 1, bias=False))
    assert repr(ours) == repr(theirs)
    for kwargs in ({"momentum": None, "affine": False}, {"bias": False}):
        assert repr(nn.BatchNorm1d(3, **kwargs)) == repr(tnn.BatchNorm1d(3, **kwargs))
        assert list(nn.BatchNorm1d(3, **kwargs).state_dict()) == \
            list(tnn.BatchNorm1d(3, **kwargs).state_dict())


# ------------------------------------------------------------------ activations

ACTIVATIONS = [
    ("ReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}), ("Tanh", {}), ("Sigmoid", {}),
    ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("ELU", {"alpha": 0.7}),
    ("Softplus", {}), ("Softplus", {"beta": 2.0, "threshold": 3.0}), ("Identity", {}),
]


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS)
def test_activations_match_torch(torch, rng, name, kwargs):
    x = rng.normal(size=(4, 6)) * 3
    x[0, :3] = [0.0, 1.6, -40.0]
    up = rng.normal(size=(4, 6))
    xo, xt = leaf(x), torch.tensor(x, requires_grad=True)
    yo = getattr(nn, name)(**kwargs)(xo)
    yt = getattr(torch.nn, name)(**kwargs)(xt)
    (yo * Tensor(up)).sum().backward()
    (yt * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS[:-1])
def test_activations_gradcheck(rng, name, kwargs):
    x = leaf(rng.normal(size=(3, 3)) + 0.05)          # away from the kinks
    assert gradcheck(getattr(nn, name)(**kwargs), [x])


def test_functional_activations_work_on_values_too():
    from autograd import Value
    assert F.relu(Value(-2.0)).data == 0.0
    assert F.leaky_relu(Value(-2.0), 0.1).data == -0.2
    assert abs(F.gelu(Value(1.0), approximate="tanh").data - 0.8411919906) < 1e-9
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")


def test_flatten(torch, rng):
    x = rng.normal(size=(2, 3, 4, 5))
    for start, end in ((1, -1), (0, 1), (2, 3), (0, -1)):
        ours = nn.Flatten(start, end)(leaf(x))
        np.testing.assert_array_equal(ours.data,
                                      torch.nn.Flatten(start, end)(torch.tensor(x)).numpy())


def test_linear_functional_is_one_fused_node(rng):
    lin = nn.Linear(3, 2)
    out = lin(leaf(rng.normal(size=(4, 3))).float())
    assert out.op == "linear"


# ------------------------------------------------------------------ Dropout

def test_dropout_training_statistics_and_scaling():
    x = leaf(np.ones(200_000))
    drop = nn.Dropout(0.3, generator=np.random.default_rng(5))
    y = drop(x)
    zero = y.detach().numpy() == 0
    assert abs(zero.mean() - 0.3) < 0.005
    np.testing.assert_allclose(y.detach().numpy()[~zero], 1 / 0.7)           # survivors are x/(1-p)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.where(zero, 0.0, 1 / 0.7))
    assert abs(y.data.mean() - 1.0) < 0.01                        # expectation preserved
    assert not np.array_equal(drop(x).data, y.data)               # a fresh mask per call


def test_dropout_eval_identity_and_edge_cases():
    x = leaf(np.arange(6.0))
    drop = nn.Dropout(0.5).eval()
    np.testing.assert_array_equal(drop(x).data, x.data)
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).data, x.data)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)
    zeros = nn.Dropout(1.0)(x)
    np.testing.assert_array_equal(zeros.data, np.zeros(6))
    zeros.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(6))
    assert (F.dropout(leaf(np.ones(1000)), 0.5).data == 0).any()   # functional: training=True
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, p)
    with pytest.raises(ValueError, match="inplace"):
        nn.Dropout(0.5, inplace=True)


def test_dropout_is_seedable():
    x = leaf(np.ones(50))
    a = F.dropout(x, 0.5, generator=np.random.default_rng(3)).data
    b = F.dropout(x, 0.5, generator=np.random.default_rng(3)).data
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ BatchNorm1d

def _bn_pair(torch, features, **kwargs):
    ours = nn.BatchNorm1d(features, dtype=F64, **kwargs)
    theirs = torch.nn.BatchNorm1d(features, **kwargs)
    rng = np.random.default_rng(9)
    for name in ("weight", "bias"):
        if getattr(ours, name) is not None:
            value = rng.normal(size=features)
            getattr(ours, name).data[...] = value
            with torch.no_grad():
                getattr(theirs, name).copy_(torch.tensor(value))
    return ours, theirs


def _parity_step(torch, ours, theirs, x, up, atol=0.0):
    """One forward/backward of a layer pair on the same input; outputs and gradients agree."""
    ours.zero_grad()
    theirs.zero_grad()
    xo, xt = leaf(x), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    (yo * Tensor(up)).sum().backward()
    (yt * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=RTOL, atol=atol)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=RTOL, atol=atol)
    for name in ("weight", "bias"):
        if getattr(ours, name) is not None:
            np.testing.assert_allclose(getattr(ours, name).grad,
                                       getattr(theirs, name).grad.numpy(), rtol=RTOL)


def _bn_step(torch, ours, theirs, x, up):
    _parity_step(torch, ours, theirs, x, up, atol=1e-10)
    if ours.track_running_stats:
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=RTOL)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=RTOL)
        assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked)


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"affine": False}, {"bias": False},
                                    {"track_running_stats": False}, {"momentum": 0.5,
                                                                     "eps": 1e-3}])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_batchnorm_matches_torch_over_train_and_eval(torch, rng, kwargs, shape):
    ours, theirs = _bn_pair(torch, 3, **kwargs)
    for step in range(4):
        x = rng.normal(size=shape) * (step + 1) + step
        _bn_step(torch, ours, theirs, x, rng.normal(size=shape))
    ours.eval()
    theirs.eval()
    for _ in range(2):   # eval: running statistics (batch ones if untracked), no updates
        x = rng.normal(size=shape) * 2 - 1
        _bn_step(torch, ours, theirs, x, rng.normal(size=shape))
    ours.train()
    theirs.train()
    _bn_step(torch, ours, theirs, rng.normal(size=shape), rng.normal(size=shape))


def test_batchnorm_buffers_and_errors():
    bn = nn.BatchNorm1d(2)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == np.int64
    with pytest.raises(ValueError, match="2D or 3D input"):
        bn(leaf(np.ones(2)))
    with pytest.raises(ValueError, match="expected 2 features"):
        bn(leaf(np.ones((4, 3))))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(leaf(np.ones((1, 2))))
    bn.eval()
    assert bn(leaf(np.ones((1, 2)))).shape == (1, 2)      # fine in eval mode
    bn.train()
    bn(leaf(np.arange(8.0).reshape(4, 2)))
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean, [0.0, 0.0])
    assert int(bn.num_batches_tracked) == 0


def test_batchnorm_gradcheck(rng):
    bn = nn.BatchNorm1d(3, dtype=F64)
    bn.weight.data[...] = [0.5, 2.0, -1.0]
    x = leaf(rng.normal(size=(5, 3)))
    up = Tensor(rng.normal(size=(5, 3)))
    assert gradcheck(lambda x, w, b: (bn(x) * up).sum(), [x, bn.weight, bn.bias])


# ------------------------------------------------------------------ scalar MLP == tensor MLP

def test_scalar_and_tensor_mlps_agree():
    random.seed(1337)
    scalar = nn.MLP(2, [16, 16, 1])
    tensor = nn.Sequential(nn.Linear(2, 16, dtype=F64), nn.ReLU(),
                           nn.Linear(16, 16, dtype=F64), nn.ReLU(), nn.Linear(16, 1, dtype=F64))
    linears = [m for m in tensor if isinstance(m, nn.Linear)]
    for layer, lin in zip(scalar.layers, linears):
        lin.weight.data[...] = [[w.data for w in n.w] for n in layer.neurons]
        lin.bias.data[...] = [n.b.data for n in layer.neurons]
    rng = np.random.default_rng(4)
    xs = rng.normal(size=(10, 2))
    ys = np.where(rng.uniform(size=10) > 0.5, 1.0, -1.0)

    scores = [scalar(list(x)) for x in xs]
    loss_s = F.hinge_loss(scores, list(ys))          # scalar dispatch
    loss_s.backward()
    out = tensor(Tensor(xs))
    loss_t = F.hinge_loss(out.reshape(-1), ys)        # tensor dispatch, same name
    loss_t.backward()

    assert abs(loss_s.data - loss_t.item()) < 1e-12
    for layer, lin in zip(scalar.layers, linears):
        gw = np.array([[w.grad for w in n.w] for n in layer.neurons])
        gb = np.array([n.b.grad for n in layer.neurons])
        np.testing.assert_allclose(lin.weight.grad, gw, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(lin.bias.grad, gb, rtol=1e-10, atol=1e-12)
