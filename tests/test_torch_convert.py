"""nn.from_torch and Module.to_torch against real PyTorch: same structure, weights,
buffers, flags and modes; identical outputs and gradients (float64, 1e-12) both ways;
one clear error for a layer that does not cross."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor

torch = pytest.importorskip("torch", reason="PyTorch not installed")
tnn = torch.nn


def every_layer():
    """A float64 PyTorch model with every layer that crosses, in containers."""
    torch.manual_seed(0)
    body = tnn.Sequential(OrderedDict(
        fc1=tnn.Linear(4, 6), bn=tnn.BatchNorm1d(6), act=tnn.GELU(approximate="tanh"),
        drop=tnn.Dropout(0.25), fc2=tnn.Linear(6, 6, bias=False), relu=tnn.ReLU(inplace=True),
        lrelu=tnn.LeakyReLU(0.1), elu=tnn.ELU(0.7), sp=tnn.Softplus(beta=2.0, threshold=10.0),
        tanh=tnn.Tanh(), sig=tnn.Sigmoid(), same=tnn.Identity()))
    heads = tnn.ModuleDict({"mean": tnn.Linear(6, 3), "logits": tnn.Sequential(
        tnn.Linear(6, 3), tnn.LogSoftmax(dim=1))})
    blocks = tnn.ModuleList([tnn.Linear(3, 3), tnn.Softmax(dim=-1), tnn.Flatten(0, -1)])
    return tnn.ModuleDict({"body": body, "heads": heads, "blocks": blocks}).double()


def run(model, x, lib):
    """The same forward for both libraries (a ModuleDict has no forward of its own)."""
    h = model["body"](x)
    out = model["heads"]["mean"](h) + model["heads"]["logits"](h)
    for layer in model["blocks"]:
        out = layer(out)
    return (out * out).sum()


def grads(model, lib):
    return {k: (p.grad.numpy() if lib is torch else p.raw_grad)
            for k, p in model.named_parameters()}


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_round_trip_identical_outputs_and_gradients(mode):
    theirs = every_layer()
    theirs.train(mode == "train")
    theirs["body"].drop.p = 0.0 if mode == "train" else 0.25   # random masks differ
    ours = nn.from_torch(theirs)
    back = ours.to_torch()
    assert type(ours["body"]).__module__.startswith("nn")
    assert type(back["body"]) is tnn.Sequential
    x = np.random.default_rng(1).normal(size=(5, 4))
    t_loss = run(theirs, torch.tensor(x), torch)
    t_loss.backward()
    o_loss = run(ours, Tensor(x), autograd)
    o_loss.backward()
    b_loss = run(back, torch.tensor(x), torch)
    b_loss.backward()
    assert abs(o_loss.item() - t_loss.item()) <= 1e-12 * abs(t_loss.item())
    assert b_loss.item() == t_loss.item()              # same weights, same library
    t_grads, o_grads, b_grads = grads(theirs, torch), grads(ours, autograd), grads(back, torch)
    assert list(t_grads) == list(o_grads) == list(b_grads)
    for k in t_grads:
        assert np.allclose(o_grads[k], t_grads[k], rtol=1e-12, atol=1e-12), k
        assert np.array_equal(b_grads[k], t_grads[k]), k
    # BatchNorm's running statistics moved the same way in training.
    for a, b in ((theirs, ours), (theirs, back)):
        sa, sb = a.state_dict(), b.state_dict()
        assert list(sa) == list(sb)
        for k in sa:
            assert np.allclose(np.asarray(sa[k]), np.asarray(sb[k]), rtol=1e-12), k


def test_structure_names_flags_modes_and_dtypes_cross():
    theirs = every_layer()
    theirs.eval()
    theirs["body"].bn.train()
    theirs["body"].fc1.weight.requires_grad_(False)
    ours = nn.from_torch(theirs)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert ours["body"].bn.training and not ours["body"].fc1.training
    assert not ours["body"].fc1.weight.requires_grad and ours["body"].fc1.bias.requires_grad
    assert ours["body"].fc2.bias is None
    assert ours["body"].lrelu.negative_slope == 0.1 and ours["body"].sp.beta == 2.0
    assert ours["body"].act.approximate == "tanh" and ours["blocks"][2].start_dim == 0
    assert ours["body"].fc1.weight.dtype == autograd.float64
    back = ours.to_torch()
    assert back["body"].bn.training and not back["body"].fc1.weight.requires_grad
    assert back["body"].fc1.weight.dtype == torch.float64
    # glassgrad keeps every intermediate value: in-place layers come back out of place.
    assert repr(back) == repr(theirs).replace("ReLU(inplace=True)", "ReLU()")
    float32 = nn.from_torch(tnn.Linear(2, 2))
    assert float32.weight.dtype == autograd.float32 and float32.to_torch().weight.dtype == torch.float32


@pytest.mark.parametrize("make", [
    lambda: tnn.MSELoss(reduction="sum"), lambda: tnn.L1Loss(), lambda: tnn.HuberLoss(delta=0.5),
    lambda: tnn.SmoothL1Loss(beta=0.3), lambda: tnn.BCELoss(weight=torch.tensor([1.0, 2.0])),
    lambda: tnn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0, 0.5])),
    lambda: tnn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0]), label_smoothing=0.1),
    lambda: tnn.NLLLoss(ignore_index=1),
])
def test_losses_cross(make):
    theirs = make()
    ours = nn.from_torch(theirs)
    back = ours.to_torch()
    assert type(ours).__name__ == type(theirs).__name__ == type(back).__name__
    assert repr(back) == repr(theirs)
    rng = np.random.default_rng(0)
    pred = rng.uniform(0.1, 0.9, size=(4, 2))
    target = (rng.uniform(size=(4, 2)) > 0.5).astype(float)
    if isinstance(theirs, (tnn.CrossEntropyLoss, tnn.NLLLoss)):
        target = np.array([0, 1, 1, 0])
    pred = pred.astype(np.float32)
    if target.dtype == float:
        target = target.astype(np.float32)
    t = theirs(torch.tensor(pred), torch.tensor(target)).item()
    assert ours(Tensor(pred), Tensor(target) if target.dtype != int else target).item() == \
        pytest.approx(t, rel=1e-6)
    assert back(torch.tensor(pred), torch.tensor(target)).item() == t


def test_an_unsupported_layer_is_named():
    model = tnn.Sequential(tnn.Linear(2, 2), tnn.Sequential(tnn.Conv1d(1, 1, 2)))
    with pytest.raises(nn.UnsupportedLayer, match=r"torch.nn.Conv1d at '1.0' has no glassgrad"):
        nn.from_torch(model)

    class Custom(tnn.Module):
        def __init__(self):
            super().__init__()
            self.layer = tnn.Linear(2, 2)

        def forward(self, x):
            return self.layer(x) * 2

    with pytest.raises(nn.UnsupportedLayer, match=r"Custom \(the model itself\).*custom module"):
        nn.from_torch(Custom())
    with pytest.raises(nn.UnsupportedLayer, match=r"nn.MLP .*no PyTorch equivalent"):
        nn.MLP(2, [2, 1]).to_torch()
    with pytest.raises(nn.UnsupportedLayer, match=r"nn.HingeLoss"):
        nn.HingeLoss().to_torch()
    with pytest.raises(TypeError, match="needs a PyTorch module"):
        nn.from_torch(nn.Linear(2, 2))
    assert issubclass(nn.UnsupportedLayer, TypeError)


def test_a_converted_model_draws_with_glassgrad_detail():
    import viz
    torch.manual_seed(0)
    ours = nn.from_torch(tnn.Sequential(tnn.Linear(2, 3), tnn.ReLU(), tnn.Linear(3, 1)))
    loss = ours(Tensor(np.ones((4, 2), np.float32))).sum()
    loss.backward()
    src = viz.draw(loss).source
    assert "<B>0 (Linear)</B>" in src and "<B>2 (Linear)</B>" in src
