"""viz.draw_forward and viz.forward_steps (issue 14): the tangent ẋ on every node where
reverse mode shows grad, the forward pass filmed one op at a time on the same layout as
backward_steps, and the two side by side."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

import viz
from autograd import Tensor, Value, topological_order
from autograd.forward import push_tangents
from viz.forward import dotted
from viz.labels import TANGENT
from test_viz_steps import grads_in
from viz_support import graphviz_pure, neuron

def leaf(o, label):
    return next(n for n in topological_order(o) if n.label == label)


def test_every_node_shows_its_tangent_where_reverse_mode_shows_grad():
    o = neuron()
    x1, w1 = leaf(o, "x1"), leaf(o, "w1")
    source = viz.draw_forward(o, [x1, w1], [1.0, 0.0]).source
    shown = grads_in(source, TANGENT)
    nodes = topological_order(o)
    tangents = push_tangents(nodes, [x1, w1], [1.0, 0.0])
    for i, t in enumerate(tangents):
        assert shown[f"n{i}"] == f"{(t or 0.0):.4f}"               # every node, constants 0
    assert grads_in(source, "grad") == {k: None for k in shown}     # no grad row at all
    assert f"{TANGENT} = Σ (edge label × {TANGENT} of the input it comes from)" in source
    assert f"node colour = |{TANGENT}|" in source
    # the edges carry the same local derivatives as the reverse-mode drawing
    edges = lambda s: sorted(re.findall(r'-> n\d+_op \[label="([^"]*)"', s))
    o.backward()
    assert edges(source) == edges(viz.draw(o).source)


def test_tensor_graphs_draw_their_tangents_too():
    x = Tensor([[1.0, -2.0]], requires_grad=True, label="x")
    w = Tensor([[0.5], [0.25]], requires_grad=True, label="w")
    y = (x @ w).tanh().sum()
    y.label = "y"
    source = viz.draw_forward(y, w, np.ones((2, 1))).source
    assert f"{TANGENT}</TD>" in source or f"{TANGENT} " in source
    (t,) = push_tangents(y, [w], [np.ones((2, 1))])
    steps = viz.forward_steps(y, w, np.ones((2, 1)))
    assert float(steps.steps[-1].grads[-1]) == pytest.approx(float(t))
    assert "Jacobian-vector product of tanh" in steps.captions[2][1]


def test_forward_steps_film_the_pass_in_evaluation_order():
    o = neuron()
    x1 = leaf(o, "x1")
    steps = viz.forward_steps(o, x1, 1.0)
    nodes = topological_order(o)
    found = push_tangents(nodes, [x1], [1.0])
    reached = [i for i, n in enumerate(nodes) if n.parents and found[i] is not None]
    assert len(steps) == 1 + len(reached)
    assert [s.focus for s in steps.steps] == [-1] + reached        # topological order
    assert steps.captions[0][0].startswith(f"Start: the seed {dotted('x1')} = 1.0000")
    for k, s in enumerate(steps.steps):                            # a node is '?' until its step
        assert all((s.state[i] == "final") == (i not in reached[k:]) for i in range(len(nodes)))
    assert steps.steps[-1].grads[-1] == pytest.approx(found[-1])
    assert steps.captions[-1][-1].startswith("Done: every tangent is final")
    assert "forward step" in steps.widget() and repr(steps).startswith("<ForwardSteps: ")


def test_captions_show_the_forward_chain_rule():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c.tanh()
    d.label = "d"
    steps = viz.forward_steps(d, [a, b], [1.0, 2.0])
    assert steps.captions[1][1] == "ċ = ∂c/∂a × ȧ + ∂c/∂b × ḃ = -3 × 1 + 2 × 2 = 1"
    assert steps.captions[2][1].startswith("ḋ = ∂d/∂c × ċ = ")


def test_the_page_lays_out_once_and_marks_tangents_for_the_script(tmp_path):
    graphviz_pure()
    o = neuron()
    steps = viz.forward_steps(o, leaf(o, "x1"), 1.0)
    page = steps.save(tmp_path / "forward.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and "Forward pass, step by step" in page
    n = len(topological_order(o))
    assert page.count('class="gg-grad"') == n        # every node's ẋ is repainted per frame
    data = json.loads(page.split('class="gg-data">')[1].split("</script>")[0])
    assert len(data["frames"]) == len(steps)


def test_side_by_side_shows_both_passes_of_one_graph():
    o = neuron()
    html = viz.side_by_side(o, leaf(o, "x1"), 1.0, title="two passes")
    assert html.count("<svg") == 2 and "<h3>two passes</h3>" in html
    assert html.index("Forward mode") < html.index("Reverse mode")
    assert "glassgrad-forward-steps-" in html and "glassgrad-steps-" in html


def test_errors_are_clear():
    o = neuron()
    with pytest.raises(ValueError, match=r"input 0 \(stranger\) is not in the graph"):
        viz.draw_forward(o, Value(1.0, label="stranger"), 1.0)
    with pytest.raises(ValueError, match="1 inputs but 2 tangents"):
        viz.forward_steps(o, leaf(o, "x1"), [1.0, 2.0])
    with pytest.raises(TypeError, match="tangent 0 must be a number"):
        viz.draw_forward(o, leaf(o, "x1"), np.ones(2))
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(3,\) but input 0 has shape"):
        viz.draw_forward((x * x).sum(), x, np.ones(3))
    with pytest.raises(TypeError, match="forward_steps: option show_grad= is not available"):
        viz.forward_steps(o, leaf(o, "x1"), 1.0, show_grad=False)
    with pytest.raises(viz.TooManyFrames, match="forward_steps: the forward pass takes"):
        viz.forward_steps(o, leaf(o, "x1"), 1.0, max_frames=2)
