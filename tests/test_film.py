"""viz.Film: what it records (per module gradient norms, the loss, every node of a small
scalar graph), from nn.fit and from a loop of one's own, vanishing gradients in a deep
sigmoid MLP and not in ReLU/He, the module graph, and the page it writes."""
from __future__ import annotations

import json
import math
import re
from typing import Any, Callable

import numpy as np
import pytest

import autograd
import nn
import viz
from autograd import Tensor, Value
from nn import datasets
from viz import theme
from viz.draw import GraphView
from viz_support import graphviz_pure


def deep_mlp(activation: type, he: bool = False, depth: int = 10, width: int = 16,
             lib: Any = nn, manual_seed: Callable = autograd.manual_seed) -> Any:
    """`depth` hidden layers of `width`; `lib`: glassgrad's nn, or torch.nn (with
    torch.manual_seed): the two share these names."""
    manual_seed(0)
    layers, nin = [], 2
    for _ in range(depth):
        linear = lib.Linear(nin, width)
        if he:
            lib.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            lib.init.zeros_(linear.bias)
        layers += [linear, activation()]
        nin = width
    return lib.Sequential(*layers, lib.Linear(nin, 1))


def train(model: nn.Module, film: viz.Film, epochs: int = 30) -> None:
    X, y = datasets.moons(200, seed=0)
    nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1),
           (X, y.astype(float)), epochs=epochs, callbacks=[film], progress=False)


def test_a_deep_sigmoid_mlp_fades_into_vanishing_and_relu_he_does_not():
    """The README's film: 10 hidden layers of 16, moons, SGD. Sigmoid: at the first step
    the norms shrink layer by layer from the output inwards, the first three below
    viz.VANISHING (drawn grey and dashed), and they stay there; a few steps later the
    whole network has stalled (every layer vanishing, the loss stuck at the targets'
    variance). ReLU with He init: every layer on the ordinary colour scale all along."""
    sigmoid, relu = viz.Film(every=3), viz.Film(every=3)
    train(deep_mlp(nn.Sigmoid), sigmoid)
    train(deep_mlp(nn.ReLU, he=True), relu)
    assert sigmoid.steps == relu.steps == list(range(1, 31, 3))
    assert sigmoid.modules == [str(2 * k) for k in range(11)]     # the Linear layers
    first = [sigmoid.norms[m][0] for m in sigmoid.modules]
    assert all(a < b for a, b in zip(first, first[1:])) and first[-1] > 1, first
    last = [sigmoid.norms[m][-1] for m in sigmoid.modules]
    assert max(last) < theme.VANISHING and sigmoid.losses[-1] == pytest.approx(0.25, abs=1e-3)
    for k in range(len(sigmoid.steps)):
        column = [sigmoid.norms[m][k] for m in sigmoid.modules]
        assert all(column[j] < theme.VANISHING for j in range(3)), column
        for m in relu.modules:
            assert theme.norm_verdict(relu.norms[m][k]) == "ok"
            assert 1e-3 < relu.norms[m][k] < 1e2, (m, relu.norms[m][k])
    kinds = {theme.grad_style(sigmoid.norms["0"][0], "positive").kind,
             theme.grad_style(relu.norms["0"][0], "positive").kind}
    assert kinds == {"vanishing", "positive"}


def test_norms_and_losses_are_the_gradients_of_the_step():
    """A loop of one's own: record(model, loss) every 2nd call; each norm is the 2-norm of
    the module's parameter gradients at that step, before the optimizer moves them."""
    autograd.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    film = viz.Film(every=2)
    X = Tensor(np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32))
    expected = []
    for step in range(1, 7):
        opt.zero_grad()
        loss = (model(X) ** 2).mean()
        loss.backward()
        kept = film.record(model, loss)
        assert kept == (step % 2 == 1)
        if kept:
            expected.append((float(loss.item()), [
                math.sqrt(sum(float((p.grad.raw_data.astype(np.float64) ** 2).sum())
                              for p in m.parameters()))
                for m in (model[0], model[2])]))
        opt.step()
    assert film.steps == [1, 3, 5] and film.modules == ["0", "2"] and len(film) == 3
    for k, (loss, norms) in enumerate(expected):
        assert film.losses[k] == pytest.approx(loss, rel=1e-12)
        assert [film.norms["0"][k], film.norms["2"][k]] == pytest.approx(norms, rel=1e-12)
    assert film._modules.arrows == {("input", "0"): "", ("0", "2"): "Tanh", ("2", "loss"): ""}


def test_a_small_scalar_net_keeps_every_nodes_gradient():
    X, y = datasets.xor()
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    film = viz.Film()
    seen = []

    class Snapshot:
        def on_backward_end(self, state):
            seen.append([n.grad for n in GraphView(state.loss).nodes])

    nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=4,
           callbacks=[film, Snapshot()], progress=False)
    assert film.steps == [1, 2, 3, 4] and film.node_grads == seen
    assert film.modules == ["layers.0", "layers.1"]
    assert film._modules.arrows == {("input", "layers.0"): "", ("layers.0", "layers.1"): "",
                                    ("layers.1", "loss"): ""}


def test_the_node_graph_stops_when_the_graph_changes_shape():
    model = nn.MLP(2, [2, 1], seed=0)
    film = viz.Film()
    for batch in ([[1.0, 2.0]], [[1.0, 2.0]], [[1.0, 2.0], [0.5, 0.5]]):
        loss = sum((model(x) ** 2 for x in batch), Value(0.0))
        loss.backward()
        film.record(model, loss)
    assert film.node_grads == [] and "changed shape at step 3" in film.note
    assert len(film.steps) == 3


def test_a_long_run_is_thinned_to_max_frames():
    model = nn.Sequential(nn.Linear(1, 1))
    film = viz.Film(max_frames=4)
    for step in range(1, 11):
        loss = model(Tensor([[1.0]])).sum()
        loss.backward()
        film.record(model, float(loss.item()))
    assert len(film.steps) <= 4 and film.every == 4
    assert film.steps[0] == 1 and all(b - a == 4 for a, b in zip(film.steps, film.steps[1:]))


class Adapted:
    """A model of another engine behind the film's interface: named_modules(),
    named_parameters(), parameters with raw_grad/raw_data."""

    class Param:
        def __init__(self, grad):
            self.raw_grad, self.raw_data = grad, np.zeros_like(grad)

    class Module:
        def __init__(self, params):
            self.params = params

        def named_parameters(self):
            return list(self.params.items())

        def named_modules(self):
            return [("", self)]

    def __init__(self):
        self.a = self.Module({"w": self.Param(np.array([3.0, 4.0]))})
        self.act = self.Module({})
        self.b = self.Module({"w": self.Param(np.array([1e-9]))})

    def named_modules(self):
        return [("", self), ("a", self.a), ("act", self.act), ("b", self.b)]

    def named_parameters(self):
        return [("a.w", self.a.params["w"]), ("b.w", self.b.params["w"])]


def test_a_model_of_another_engine_plugs_in_through_the_interface(tmp_path):
    graphviz_pure()
    film = viz.Film()
    film.record(Adapted(), 0.5)
    assert film.modules == ["a", "b"] and film.norms == {"a": [5.0], "b": [1e-9]}
    assert film._modules.arrows == {("input", "a"): "", ("a", "b"): "Module",
                                    ("b", "loss"): ""}
    page = film.save(tmp_path / "film.html").read_text(encoding="utf-8")
    assert 'data-node-id="0" data-label="a"' in page


def test_the_page_is_offline_and_addressable(tmp_path):
    graphviz_pure()
    film = viz.Film(every=5)
    train(deep_mlp(nn.Sigmoid, depth=3), film, epochs=12)
    page = film.save(tmp_path / "f" / "film.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "window.glassgrad=" in page
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)
    assert set(re.findall(r"https?://[^\s\"')]+", page)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    for k, name in enumerate(film.modules):
        assert f'data-node-id="{k}" data-label="{name}"' in page
    data = json.loads(page.split('class="gg-data">')[1].split("</script>")[0])
    assert data["steps"] == [1, 6, 11] and len(data["modules"]["frames"]) == 3
    assert data["graph"] is None                     # a tensor net: modules only
    html = film._repr_html_()
    assert 'id="glassgrad-film-' in html and film._repr_html_() != html


def test_errors_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        viz.Film(every=0)
    with pytest.raises(ValueError, match="0 < vanishing < exploding"):
        viz.Film(vanishing=1.0, exploding=0.5)
    with pytest.raises(ValueError, match="rankdir"):
        viz.Film(rankdir="XY")
    with pytest.raises(ValueError, match="nothing recorded yet"):
        viz.Film().save(tmp_path / "film.html")
    assert "nothing recorded yet" in viz.Film()._repr_html_()
    with pytest.raises(TypeError, match="has no named_modules"):
        viz.Film().record(object())
    with pytest.raises(ValueError, match="no module with parameters at level 1"):
        viz.Film().record(nn.Sequential(nn.ReLU()))
    film = viz.Film()
    model = nn.Sequential(nn.Linear(1, 1))
    model(Tensor([[1.0]])).sum().backward()
    film.record(model)
    assert math.isnan(film.losses[0])
    with pytest.raises(ValueError, match="ending in .html"):
        film.save(tmp_path / "film.png")


def test_a_list_is_not_a_level_but_a_sequential_inside_a_sequential_is():
    """`blocks` of `blocks.0` is a list (its items are shown); `0` of `0.0` is an item of
    the model that holds a list itself: it is shown, as the drawings' module boxes do."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 2)])

        def forward(self, x):
            return self.blocks[1](self.blocks[0](x).relu())

    nested = nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.Sigmoid()),
                           nn.Sequential(nn.Linear(3, 3), nn.Sigmoid()), nn.Linear(3, 2))
    for model, shown in ((Net(), ["blocks.0", "blocks.1"]), (nested, ["0", "1", "2"])):
        film = viz.Film()
        loss = model(Tensor(np.ones((4, 2), dtype=np.float32))).sum()
        loss.backward()
        film.record(model, loss)
        assert film.modules == shown
