"""viz.Film of a torch.nn.Module in a PyTorch training loop of one's own: the norms are
PyTorch's gradients at each kept step, modules are named and classed as PyTorch names
them, a deep sigmoid net fades into vanishing and a ReLU/He one does not; without torch
(or with a bad loss) one clear error."""
from __future__ import annotations

import math
import sys

import pytest

import viz
from viz import theme
from viz.torch_support import is_torch

import test_film as film_tests

torch = pytest.importorskip("torch", reason="PyTorch not installed")
F = torch.nn.functional
tnn = torch.nn


def deep_mlp(activation: type, he: bool = False):
    return film_tests.deep_mlp(activation, he, lib=tnn, manual_seed=torch.manual_seed)


def train(model, film: viz.Film, steps: int = 30, check=None) -> None:
    """A loop of one's own: record after backward, before the optimizer's step."""
    torch.manual_seed(1)
    x = torch.randn(64, 2)
    y = (x[:, :1] * x[:, 1:] > 0).float()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        kept = film.record(model, loss)
        if check is not None:
            check(kept, loss)
        opt.step()


def test_norms_and_losses_are_pytorchs_at_each_kept_step():
    model = tnn.Sequential(tnn.Linear(2, 3), tnn.Tanh(), tnn.Linear(3, 1))
    film = viz.Film(every=2)
    expected = []

    def check(kept, loss):
        if kept:
            expected.append((loss.item(), [
                math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in m.parameters()))
                for m in (model[0], model[2])]))

    train(model, film, steps=5, check=check)
    assert film.steps == [1, 3, 5] and film.modules == ["0", "2"]
    assert film._modules.classes == ["Linear", "Linear"]
    assert film._modules.arrows == {("input", "0"): "", ("0", "2"): "Tanh", ("2", "loss"): ""}
    for k, (loss, norms) in enumerate(expected):
        assert film.losses[k] == loss
        assert [film.norms["0"][k], film.norms["2"][k]] == pytest.approx(norms, rel=1e-12)
    assert film.node_grads == []                  # PyTorch's graph is not a glassgrad graph
    assert is_torch(model, "torch.nn.modules.module", "Module") and not is_torch(
        viz.Film(), "torch.nn.modules.module", "Module")
    assert is_torch(model[0].weight, "torch", "Tensor") and not is_torch(model, "torch", "Tensor")


def test_a_deep_sigmoid_net_fades_into_vanishing_and_relu_he_does_not(tmp_path):
    """The README's PyTorch film: the first layers of the sigmoid net below viz.VANISHING
    at every kept step, every layer of the ReLU/He net on the ordinary scale."""
    sigmoid, relu = viz.Film(every=3), viz.Film(every=3)
    train(deep_mlp(tnn.Sigmoid), sigmoid)
    train(deep_mlp(tnn.ReLU, he=True), relu)
    assert sigmoid.steps == relu.steps == list(range(1, 31, 3))
    assert sigmoid.modules == [str(2 * k) for k in range(11)]
    first = [sigmoid.norms[m][0] for m in sigmoid.modules]
    assert all(a < b for a, b in zip(first, first[1:])), first
    for k in range(len(sigmoid.steps)):
        column = [sigmoid.norms[m][k] for m in sigmoid.modules]
        assert all(column[j] < theme.VANISHING for j in range(3)), column
        for m in relu.modules:
            assert theme.norm_verdict(relu.norms[m][k]) == "ok", (m, relu.norms[m][k])
    page = sigmoid.save(tmp_path / "film.html").read_text(encoding="utf-8")
    assert "0 (Linear)" in page and "Vanishing gradients in 0, 2, 4" in page


def test_a_module_list_shows_its_items():
    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = tnn.ModuleList([tnn.Linear(2, 2), tnn.Linear(2, 1)])

        def forward(self, x):
            return self.blocks[1](self.blocks[0](x).relu())

    net = Net()
    film = viz.Film()
    loss = net(torch.ones(1, 2)).sum()
    loss.backward()
    film.record(net, loss)
    # A list of modules is not a level (as in the drawings): its items are shown.
    assert film.modules == ["blocks.0", "blocks.1"]
    assert film.norms["blocks.0"][0] == pytest.approx(
        math.sqrt(sum(float(p.grad.pow(2).sum()) for p in net.blocks[0].parameters())))


def test_no_gradient_yet_a_traced_loss_and_a_number_loss():
    model = tnn.Sequential(tnn.Linear(2, 1))
    film = viz.Film()
    film.record(model, 0.5)                       # before any backward: no gradient
    assert film.norms["0"] == [None] and film.losses == [0.5]
    x = torch.ones(1, 2)
    with viz.trace_torch() as tape:
        loss = model(x).sum()
    loss.backward()
    film.record(model, tape.output)               # a traced node reads as its number
    assert film.losses[-1] == pytest.approx(loss.item())


def test_bad_losses_and_no_torch_are_one_clear_error(monkeypatch):
    model = tnn.Linear(2, 3)
    with pytest.raises(ValueError, match=r"the loss must be one number, got a tensor of "
                                         r"shape \(4, 3\)"):
        viz.Film().record(model, model(torch.ones(4, 2)))
    monkeypatch.setitem(sys.modules, "torch", None)      # `import torch` now fails
    with pytest.raises(ImportError, match=r"viz.Film with a torch.nn.Module needs PyTorch, "
                                          r"which is not installed: pip install "):
        viz.Film().record(model, 1.0)
