"""viz.draw_torch: PyTorch's own autograd graph, drawn without tracing, against real torch:
structure from grad_fn, leaves and their gradients from AccumulateGrad, values from saved
tensors, and the note that tracing shows more."""
from __future__ import annotations

import re

import numpy as np
import pytest

import viz
from viz.torch_graph import NOTE

torch = pytest.importorskip("torch", reason="PyTorch not installed")
F = torch.nn.functional


def boxes(source: str) -> list:
    """(title, data) of every drawn node with a title."""
    return re.findall(r"<B>([^<]+)</B>.*?data</TD><TD ALIGN=\"RIGHT\">([^<]+)<", source)


def test_leaves_grads_and_saved_values_of_a_neuron():
    names = dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432)
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in names.items()}
    o = (t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"]).tanh()
    with pytest.warns(viz.NoBackwardWarning):
        before = viz.draw_torch(o, params=t)
    o.backward()
    after = viz.draw_torch(o, params=t)
    assert NOTE.split(":")[0] in after.source and "trace_torch" in after.source
    assert "not kept" in after.source           # sums PyTorch did not save
    assert after.info["nodes"] == 10            # 5 leaves, 4 ops, the output
    for name, leaf in t.items():
        shown = dict(boxes(after.source))[name]
        assert float(shown) == pytest.approx(names[name], abs=1e-4)
        grad = re.search(rf"<B>{name}</B>.*?grad</TD><TD ALIGN=\"RIGHT\">([^<]+)<",
                         after.source).group(1)
        assert float(grad) == pytest.approx(leaf.grad.item(), abs=1e-4)
    assert "grad</TD>" not in before.source
    # the output: its value (PyTorch's), and the seed once backward has run
    assert "0.7071" in after.source and "×" in after.source and "tanh" in after.source


def test_an_mlp_with_named_parameters_and_saved_activations():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    x = torch.randn(4, 2)
    loss = F.mse_loss(model(x), torch.randn(4, 1))
    loss.backward(retain_graph=True)
    d = viz.draw_torch(loss, params=model)
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f"<B>{name}</B>" in d.source
    assert d.source.count("addmm") == 2 and "mse_loss" in d.source and "tanh" in d.source
    # tanh saved its result: that node shows the hidden activations' statistics.
    h = torch.tanh(model[0](x))
    assert f"max {h.max().item():.4g}" in d.source
    # the batch x is saved by the first addmm: drawn as its constant input
    assert f"max {x.max().item():.4g}" in d.source


def test_saved_tensors_are_freed_by_backward():
    w = torch.tensor(0.5, requires_grad=True)
    y = (w * 3).tanh() * 2
    y.backward(retain_graph=True)
    kept = viz.draw_torch(y).source          # tanh's saved result: the value 0.9051
    y.backward()
    freed = viz.draw_torch(y).source
    assert "0.9051" in kept and "0.9051" not in freed
    assert kept.count("not kept") + 1 == freed.count("not kept")


def test_edge_labels_where_saved_values_are_numbers():
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(-3.0, requires_grad=True)
    y = a * b
    y.backward(retain_graph=True)
    labels = re.findall(r'label="∂ ([^"]+)"', viz.draw_torch(y).source)
    assert sorted(labels) == ["-3", "2"]         # ∂(ab)/∂a = b, ∂(ab)/∂b = a


def test_several_outputs_and_a_leaf_output():
    a = torch.ones(2, requires_grad=True)
    with pytest.warns(viz.NoBackwardWarning):
        d = viz.draw_torch([a * 2, a])
    assert d.info["nodes"] == 3                  # a, the constant 2, a * 2


def test_errors():
    with pytest.raises(TypeError, match="torch tensors"):
        viz.draw_torch(np.ones(2))
    with pytest.raises(TypeError, match="params"):
        viz.draw_torch(torch.ones(1, requires_grad=True) * 2, params=[1])
