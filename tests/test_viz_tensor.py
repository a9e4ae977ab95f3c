"""Tensor graphs (and any node type speaking the protocol) in viz."""
from __future__ import annotations

import re

import numpy as np
import pytest

import viz
from autograd import Tensor, topological_order
from autograd.graph import next_seq
from autograd.mode import module_scope

nn = pytest.importorskip("nn")


def small_net():
    W = nn.Parameter(np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]), label="W")
    x = Tensor(np.arange(6.0).reshape(3, 2), label="x")
    h = (x @ W).tanh()
    h.label = "h"
    loss = h.sum()
    loss.label = "loss"
    return loss, W, x, h


def label_of(source: str, title: str) -> str:
    for label in re.findall(r"^\s*n\d+ \[label=<(.*)>\]$", source, re.M):
        if f"<B>{title}</B>" in label:
            return label
    raise AssertionError(title)


def test_tensor_nodes_show_shape_dtype_values_and_grad_norm():
    loss, W, x, h = small_net()
    with pytest.warns(viz.NoBackwardWarning, match="backward.. has not been called on loss"):
        before = viz.draw(loss).source
    assert "(3, 2) float64" in label_of(before, "x")
    assert "[[0, 1], [2, 3], [4, 5]]" in label_of(before, "x")          # <= 6 values: all
    assert "min -0.9993  mean 0.258  max 1" in label_of(before, "h")    # 9 values: summary
    assert ">grad<" not in before
    loss.backward()
    after = viz.draw(loss).source
    norm = np.linalg.norm(W.grad)
    assert f"norm {norm:.4f}" in label_of(after, "W")
    assert ">None<" in label_of(after, "x")                              # needs no grad
    assert "() float64" in label_of(after, "loss")


def test_no_warning_for_a_tensor_that_needs_no_gradient(recwarn):
    x = Tensor(np.arange(3.0), label="x")
    viz.draw((x * 2).sum())                       # nothing requires grad: backward() cannot run
    assert not [w for w in recwarn if issubclass(w.category, viz.NoBackwardWarning)]


def test_parameters_are_visibly_distinct():
    loss, *_ = small_net()
    loss.backward()
    source = viz.draw(loss).source
    w = label_of(source, "W")
    assert "<I>param</I>" in w and 'BGCOLOR="#f6d77a"' in w
    assert "<I>param</I>" not in label_of(source, "x")


def test_tensor_edges_have_no_scalar_labels_and_ops_use_tensor_symbols():
    loss, *_ = small_net()
    loss.backward()
    source = viz.draw(loss, edge_labels=True).source
    assert "∂ " not in source.split("node [")[1]
    assert 'label="@"' in source and 'label="Σ"' in source and 'label="tanh"' in source


def test_mixed_sign_tensor_gradient_gets_its_own_colour():
    a = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True, label="a")
    b = Tensor(np.array([1.0, 1.0, -1.0]), label="b")
    loss = (a * b).sum()
    loss.backward()
    source = viz.draw(loss).source
    style = viz.theme.grad_style(1.0, "mixed")
    assert f'BGCOLOR="{style.fill}"' in label_of(source, "a")
    assert "mixed signs" in source                                       # legend row


def test_nonfinite_tensor_gradient_alarms():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="a")
    loss = (a * 2.0).sum()
    loss.backward()
    a.grad = Tensor([np.nan, 1.0], dtype=np.float64)
    assert ">NaN<" in label_of(viz.draw(loss).source, "a")


def test_tensor_backward_steps_final_frame_matches_backward():
    loss, W, x, h = small_net()
    steps = viz.backward_steps(loss)
    assert W.grad is None                                     # user's grads untouched
    loss.backward()
    full = viz.draw(loss).source
    last = steps.frames[-1].source
    shown = re.compile(r"norm [0-9.]+|grad</TD><TD ALIGN=\"RIGHT\">[^<]+")
    for title in ("W", "h", "loss"):
        g_full = shown.search(label_of(full, title))
        g_last = shown.search(label_of(last, title))
        assert g_full.group(0) == g_last.group(0), title
    assert len(topological_order(loss)) == 5 and len(steps) == 4   # the seed and 3 ops
    assert ">None<" in label_of(last, "x")                    # x needs no gradient


def test_tensor_layers_cluster_by_module():
    torch_like = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    out = torch_like(Tensor(np.ones((2, 3), np.float32), label="x"))
    loss = out.sum()
    loss.backward()
    source = viz.draw(loss).source
    assert "(Linear)</B>" in source and "<I>param</I>" in source
    folded = viz.draw(loss, collapse=0).source
    assert folded.count("nodes folded") >= 2


# ---- a stand-in node type: viz must only need the protocol ------------------------------

class Node:
    """The node protocol and nothing else (no rule tables, no backward)."""

    __slots__ = ("raw_data", "raw_grad", "label", "_parents", "_op", "_seq", "_scope", "_mark")

    def __init__(self, data, parents=(), op="", label="", grad=None):
        self.raw_data, self.raw_grad, self.label = data, grad, label
        self._parents, self._op, self._seq = tuple(parents), op, next_seq()
        self._mark = None
        from autograd.mode import THREAD
        self._scope = THREAD.recording.scope

    @property
    def parents(self):
        return self._parents

    @property
    def op(self):
        return self._op


def test_stand_in_nodes_with_array_and_scalar_data():
    class Block:
        _qualname = "blocks.0"

    a = Node(np.ones((2, 2)), label="a", grad=np.full((2, 2), 1e-9))
    with module_scope(Block()):
        b = Node(np.zeros(8), (a,), op="frobnicate", label="b", grad=np.ones(8))
    c = Node(3.5, (b,), op="mystery", label="c", grad=1.0)
    source = viz.draw(c).source
    assert 'label="frobnicate"' in source and 'label="mystery"' in source
    assert "<B>blocks.0 (Block)</B>" in source
    assert 'STYLE="rounded,dashed"' in label_of(source, "a")            # vanishing
    assert "min 0  mean 0  max 0" in label_of(source, "b")
    assert "∂ " not in source.split("node [")[1]                        # no rule: no labels
    assert viz.draw(c).source == source


def test_a_loss_module_does_not_adopt_the_model_clusters():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    x = Tensor(np.ones((4, 3), np.float32), label="x")
    loss = nn.MSELoss()(model(x), Tensor(np.zeros((4, 1)), label="y"))
    loss.backward()
    source = viz.draw(loss).source
    mse = source.index("<B>MSELoss</B>")
    linear = source.index("<B>0 (Linear)</B>")
    # the layers sit in the model's box (four-space indent), not inside MSELoss's
    assert re.search(r"^  subgraph cluster_\d+ \{\n    graph \[label=<<B>Sequential</B>",
                     source, re.M)
    assert re.search(r"^    subgraph cluster_\d+ \{\n      graph \[label=<<B>0 \(Linear\)</B>",
                     source, re.M)
    assert re.search(r"^  subgraph cluster_\d+ \{\n    graph \[label=<<B>MSELoss</B>",
                     source, re.M)
    assert mse != linear
    # x is an input: it is not pulled into the first layer's box
    first_layer = source[linear:source.index("  }", linear)]
    assert "<B>x</B>" not in first_layer and "<B>weight</B>" in first_layer


class Blocking(Node):
    """A stand-in op whose backward passes no gradient to its input (a custom Function may
    return None for an input): backward_steps must not wait for it."""

    __slots__ = ()

    def _seed_gradient(self, gradient, create_graph):
        return np.ones_like(self.raw_data)

    def _vjp(self, g, create_graph):
        return [None] * len(self._parents)


def test_steps_past_a_node_no_gradient_reaches():
    leaf = Node(np.ones(2), label="leaf")
    middle = Blocking(np.ones(2), (leaf,), op="block", label="middle")
    out = Blocking(np.ones(2), (middle,), op="block", label="out")
    steps = viz.backward_steps(out)
    assert len(steps) == 2                        # the seed, out; middle passes nothing on
    last = steps.frames[-1].source
    for title in ("middle", "leaf"):
        assert ">None<" in label_of(last, title)
    assert ">?<" not in last
