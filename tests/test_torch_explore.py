"""viz.explore and viz.backward_steps of a viz.trace_torch() tape, against real PyTorch:
the page holds PyTorch's numbers, a scalar run of glassgrad's ops recomputes in the page,
anything else is shown as computed and the page says why."""
from __future__ import annotations

import numpy as np
import pytest

import viz
from viz.explore import UNTRACED_STEPS, UNTRACED_WHAT_IF, fixed_because, live_spec

torch = pytest.importorskip("torch", reason="PyTorch not installed")
F = torch.nn.functional
tnn = torch.nn


def scalar_neuron():
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in
              dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432).items()}
    with viz.trace_torch(names=leaves) as tape:
        o = (leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]).tanh()
    o.backward()
    return tape, leaves


def traced_mlp():
    torch.manual_seed(0)
    model = tnn.Sequential(tnn.Linear(3, 4), tnn.ReLU(), tnn.Linear(4, 1))
    x, y = torch.randn(5, 3), torch.randn(5, 1)
    with viz.trace_torch(names={"x": x, "y": y}) as tape:
        loss = F.mse_loss(model(x), y)
    loss.backward()
    return tape, model, loss


def test_a_scalar_run_of_glassgrads_ops_is_live_with_pytorchs_numbers():
    tape, leaves = scalar_neuron()
    page = viz.explore(tape, params=["w1", "w2", "b"])
    assert page.live and page.frames == 6 and page.view.nodes[-1] is tape.output
    assert fixed_because(page.view) == ""
    for node, g in zip(page.view.nodes, page.grads):
        if node.label:
            assert g == leaves[node.label].grad.item()
    data = page._data()[1]
    assert data["fixed"] == "" and data["live"]["rule"][-1] == "tanh"
    params = {n["label"] for n in data["nodes"] if n["param"]}
    assert params == {"w1", "w2", "b"}
    assert "live scalar graph" in repr(page)


def test_a_module_run_explores_with_tensors_parameters_and_steps():
    tape, model, loss = traced_mlp()
    page = viz.explore(tape)
    assert not page.live and page.frames == len(viz.backward_steps(tape).frames)
    nodes = page._data()[1]["nodes"]
    assert page._data()[1]["fixed"] == ("Only graphs of scalar Values are recomputed in the "
                                        "page; this one holds tensors.")
    by_label = {n["label"]: n for n in nodes}
    weight = by_label["0.weight"]
    assert weight["param"] and weight["tensor"]["shape"] == [4, 3]
    assert weight["tensor"]["gradNorm"] == pytest.approx(model[0].weight.grad.norm().item())
    assert nodes[-1]["data"] == pytest.approx(loss.item())
    # The page's gradients are the backward steps' replay of PyTorch's ops: PyTorch's.
    grads = dict(zip(map(id, page.view.nodes), page.grads))
    assert np.allclose(grads[id(tape.node(model[2].bias))], model[2].bias.grad.numpy())


def test_an_op_outside_the_rule_table_turns_the_what_if_off_and_says_which():
    x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    with viz.trace_torch(names={"x": x}) as tape:
        y = torch.atan(x * 2) + F.gelu(x, approximate="tanh")
    y.backward()
    page = viz.explore(tape)
    assert not page.live and page.frames > 0
    # gelu(approximate='tanh') shares the name of glassgrad's exact gelu rule, not its maths.
    assert [n.op for n in page.view.nodes if n.op] == ["*", "atan", "gelu", "+"]
    assert live_spec(page.view) is None
    assert fixed_because(page.view) == (
        "The what-if is off: atan, gelu have no scalar rule in the page (its rules are "
        "glassgrad's scalar rule table); the numbers are shown as computed.")
    grads = dict(zip(map(id, page.view.nodes), page.grads))
    assert grads[id(tape.node(x))] == pytest.approx(x.grad.item(), rel=1e-12)


def test_a_tape_explored_before_backward_shows_the_replayed_gradients():
    w = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
    with viz.trace_torch(names={"w": w}) as tape:
        (w * 2).tanh()
    page = viz.explore(tape)                      # the steps compute them: no warning
    assert page.live and page.grads[0] == pytest.approx(2 * (1 - np.tanh(-6.0) ** 2), rel=1e-12)
    assert w.grad is None


def untraced_mlp():
    torch.manual_seed(0)
    model = tnn.Sequential(tnn.Linear(3, 4), tnn.ReLU(), tnn.Linear(4, 1))
    loss = F.mse_loss(model(torch.randn(5, 3)), torch.randn(5, 1))
    loss.backward()
    return model, loss


def test_an_untraced_tensor_explores_its_autograd_graph_without_what_if_or_steps():
    model, loss = untraced_mlp()
    page = viz.explore(loss, params=model)
    assert not page.live and page.frames == 0
    assert page.fixed == UNTRACED_WHAT_IF and page.note == UNTRACED_STEPS
    assert "trace_torch" in page.fixed and "trace_torch" in page.note
    # The same graph as draw_torch draws: leaves named by the model, PyTorch's gradients.
    drawn = viz.draw_torch(loss, params=model).source
    labels = [n.label for n in page.view.nodes if n.label]
    assert sorted(labels) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert all(f"<B>{name}</B>" in drawn for name in labels)
    grads = {n.label: g for n, g in zip(page.view.nodes, page.grads) if n.label}
    assert np.array_equal(grads["0.weight"], model[0].weight.grad.numpy())
    data = page._data()[1]
    assert data["fixed"] == UNTRACED_WHAT_IF and not data["stepper"]
    assert "record the run with viz.trace_torch()" in page._data()[0]   # the drawing's note
    with pytest.raises(TypeError, match="explore: params must be a dict of name -> tensor"):
        viz.explore(loss, params=["0.weight"])


def test_errors_name_the_fix():
    tape, _, loss = traced_mlp()
    with pytest.raises(ValueError, match="no leaf labelled 'nope'; leaves: '0.bias'"):
        viz.explore(tape, params=["nope"])
    empty = viz.trace_torch()
    with empty:
        pass
    with pytest.raises(ValueError, match="recorded no tensor op"):
        viz.explore(empty)
    x = torch.ones(3, requires_grad=True)
    with viz.trace_torch() as wide:
        x * 2
    with pytest.raises(ValueError, match=r"the output must be one number.*shape \(3,\)"):
        viz.explore(wide)


def test_backward_steps_of_a_module_run_end_at_pytorchs_gradients(tmp_path):
    tape, model, loss = traced_mlp()
    steps = viz.backward_steps(tape)
    ops = [n for n in steps.view.nodes if n.op]
    assert len(steps.frames) == len(ops) + 1            # the seed, then every op
    last = dict(zip(map(id, steps.view.nodes), steps.steps[-1].grads))
    for p in model.parameters():
        assert np.allclose(last[id(tape.node(p))], p.grad.numpy(), rtol=1e-6, atol=1e-7)
    assert steps.captions[0][0].startswith("Start: grad(#9) = 1.0000, the seed")
    assert steps.captions[1][1] == (f"#9 = mse_loss(…): grad(#7) += vector-Jacobian product "
                                    f"(now norm {np.linalg.norm(last[id(ops[-2])]):.4f});  "
                                    f"y needs no gradient")
    assert steps.captions[-1][-1].startswith("Done: every gradient is final")
    page = steps.save(tmp_path / "steps.html").read_text(encoding="utf-8")
    assert 'data-label="0.weight"' in page and "http" not in page.split("<svg", 1)[0]
