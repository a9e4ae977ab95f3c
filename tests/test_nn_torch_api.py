"""nn's PyTorch API: containers, Softmax/LogSoftmax (legacy implicit dim), Module methods
(apply, to, cpu, requires_grad_, buffers, ...), and state dicts as Tensors, checked against
PyTorch where it runs."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


class Block(nn.Module):
    def __init__(self):
        self.layers = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 2)])
        self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 1)})
        self.register_buffer("steps", autograd.tensor(0))
        self.register_buffer("scratch", autograd.zeros(2), persistent=False)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return self.heads["a"](x) + self.heads["b"](x)


def test_containers_register_their_children():
    m = Block()
    assert [n for n, _ in m.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]
    # A module's own parameters and buffers first, then its children's (PyTorch's order).
    assert list(m.state_dict()) == ["steps", "layers.0.weight", "layers.0.bias",
                                    "layers.1.weight", "layers.1.bias", "heads.a.weight",
                                    "heads.a.bias", "heads.b.weight", "heads.b.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "scratch"]
    assert len(list(m.buffers())) == 2 and len(m.parameters()) == 8
    assert m(autograd.ones(4, 2)).shape == (4, 1)
    assert [type(c).__name__ for c in m.children()] == ["ModuleList", "ModuleDict"]
    assert [n for n, _ in m.named_modules()][:3] == ["", "layers", "layers.0"]
    assert len(list(m.modules())) == 7


@needs_torch
def test_state_dict_keys_match_torch():
    class TorchBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList([torch.nn.Linear(2, 3), torch.nn.Linear(3, 2)])
            self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 1),
                                              "b": torch.nn.Linear(2, 1)})
            self.register_buffer("steps", torch.tensor(0))
            self.register_buffer("scratch", torch.zeros(2), persistent=False)

    theirs = TorchBlock()
    assert list(Block().state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in Block().named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in Block().named_modules()] == [n for n, _ in theirs.named_modules()]


def test_module_list_operations():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    ml = nn.ModuleList([a])
    ml.append(b).extend([c])
    assert list(ml) == [a, b, c] and ml[-1] is c and len(ml) == 3
    ml.insert(0, c)
    assert list(ml) == [c, a, b, c]
    del ml[0]
    ml[1] = c
    assert list(ml) == [a, c, c] and list(ml[1:]) == [c, c] and isinstance(ml[1:], nn.ModuleList)
    ml += [b]
    assert len(ml + [a]) == 5 and len(ml) == 4
    del ml[1:3]
    assert list(ml) == [a, b] and [n for n, _ in ml.named_children()] == ["0", "1"]
    with pytest.raises(IndexError, match="out of range"):
        ml[5]
    with pytest.raises(TypeError, match="is not a Module"):
        ml.append(lambda x: x)
    with pytest.raises(TypeError, match="must define forward"):
        ml(1)


def test_module_dict_operations():
    a, b = nn.ReLU(), nn.Tanh()
    md = nn.ModuleDict([("first", a)])
    md["second"] = b
    md.update({"third": a})
    assert list(md) == ["first", "second", "third"] and md["second"] is b and "first" in md
    assert md.values() == [a, b, a] and md.items()[1] == ("second", b) and len(md) == 3
    assert md.pop("first") is a and list(md.keys()) == ["second", "third"]
    with pytest.raises(KeyError):
        md["missing"]
    with pytest.raises(KeyError, match="identifiers"):
        md["not valid"] = a
    md.clear()
    assert len(md) == 0


@needs_torch
@pytest.mark.parametrize("module", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("ndim", [0, 1, 2, 3, 4])
def test_softmax_modules_pick_pytorchs_legacy_dim_with_a_warning(module, ndim):
    data = np.random.default_rng(ndim).normal(size=(2, 3, 2, 2)[:ndim])
    ours = getattr(nn, module)()
    theirs = getattr(torch.nn, module)()
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        got = ours(autograd.tensor(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = theirs(torch.tensor(data))
    np.testing.assert_allclose(got.tolist(), want.tolist(), rtol=1e-12)
    explicit = getattr(nn, module)(dim=-1)
    assert repr(explicit) == repr(getattr(torch.nn, module)(dim=-1))
    assert repr(ours) == repr(theirs)
    if ndim:
        np.testing.assert_allclose(explicit(autograd.tensor(data)).tolist(),
                                   getattr(torch.nn, module)(dim=-1)(torch.tensor(data)).tolist(),
                                   rtol=1e-12)


def test_apply_cpu_requires_grad_and_to():
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "ReLU", "Linear", "Sequential"]
    assert m.cpu() is m and m.to("cpu") is m and m.to(autograd.device("cpu")) is m
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    weight = m[0].weight
    assert m.to(autograd.float64) is m and m[0].weight is weight and weight.dtype == np.float64
    m.to("cpu", dtype=autograd.float32)
    assert weight.dtype == np.float32 and m.half()[0].weight.dtype == np.float16
    m.to(autograd.zeros(1, dtype=autograd.float64))
    assert weight.dtype == np.float64 and m.type(autograd.float32)[0].weight.dtype == np.float32
    with pytest.raises(TypeError, match="only accepts floating point dtypes"):
        m.to(autograd.int64)
    with pytest.raises(RuntimeError, match="not available"):
        m.to("cuda")
    with pytest.raises(RuntimeError, match="not available"):
        m.cuda()
    with pytest.raises(TypeError, match="unexpected keyword"):
        m.to(bogus=True)


def test_apply_initialises_weights_like_pytorch_code():
    def init_weights(mod):
        if isinstance(mod, nn.Linear):
            nn.init.constant_(mod.weight, 0.5)
            mod.bias.data.fill_(0.01)

    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).apply(init_weights)
    assert m[2].weight.tolist() == [[0.5, 0.5]] and m[0].bias.tolist() == pytest.approx([0.01] * 2)


def test_buffers_parameters_and_modules_registered_by_name():
    m = nn.Module()
    m.register_parameter("w", nn.Parameter(autograd.ones(2)))
    m.add_module("child", nn.Linear(2, 1))
    m.register_buffer("none", None)
    assert [n for n, _ in m.named_parameters()] == ["w", "child.weight", "child.bias"]
    assert list(m.named_buffers()) == [] and "none" not in m.state_dict()
    m.register_module("other", None)
    for bad, error in ((lambda: m.register_buffer("b", np.zeros(2)), TypeError),
                       (lambda: m.register_buffer("a.b", autograd.zeros(1)), KeyError),
                       (lambda: m.register_parameter("p", autograd.zeros(1)), TypeError),
                       (lambda: m.add_module("x", object()), TypeError)):
        with pytest.raises(error):
            bad()


def test_buffers_follow_to_and_batchnorm_keeps_tensor_buffers():
    bn = nn.BatchNorm1d(3)
    assert isinstance(bn.running_mean, Tensor) and bn.num_batches_tracked.dtype == np.int64
    bn(autograd.randn(8, 3))
    assert bn.num_batches_tracked.item() == 1 and bn.running_mean._version_number == 2
    bn.double()
    assert bn.running_var.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    bn.reset_running_stats()
    assert bn.running_var.tolist() == [1.0] * 3 and bn.num_batches_tracked.item() == 0


def test_deepcopy_of_a_module_and_of_tensors():
    m = nn.Sequential(nn.Linear(2, 2))
    m(autograd.ones(1, 2)).sum().backward()
    twin = copy.deepcopy(m)
    assert type(twin[0].weight) is nn.Parameter and twin[0].weight is not m[0].weight
    assert twin[0].weight.grad.tolist() == m[0].weight.grad.tolist()
    twin[0].weight.data.fill_(3.0)
    assert not (m[0].weight == 3.0).all()
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(m[0].weight * 2)


def test_state_dict_values_of_scalar_models_are_float64_tensors():
    m = nn.MLP(2, [2, 1], seed=0)
    state = m.state_dict()
    assert all(isinstance(v, Tensor) and v.dtype == np.float64 for v in state.values())
    other = nn.MLP(2, [2, 1], seed=1)
    other.load_state_dict(state)
    assert [p.data for p in other.parameters()] == [p.data for p in m.parameters()]
