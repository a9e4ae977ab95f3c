"""viz.trace_torch against real PyTorch: every recorded value and gradient is PyTorch's,
module calls become clusters, in-place ops and views draw truthfully, no_grad regions
are constants, loops make separate nodes, and the tape frees everything when dropped."""
from __future__ import annotations

import gc
import re
import threading
import warnings
import weakref

import numpy as np
import pytest

import viz
from autograd import Value
from viz.torch_node import TorchNode

torch = pytest.importorskip("torch", reason="PyTorch not installed")
F = torch.nn.functional
tnn = torch.nn


def edge_labels(source: str) -> list:
    return [float(x) for x in re.findall(r'label="∂ ([-0-9.e+inf]+)"', source)]


def close(node: TorchNode, tensor) -> bool:
    return np.allclose(np.asarray(node.raw_data), tensor.detach().numpy(), rtol=1e-6,
                       atol=1e-7)


def neuron():
    names = dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432)
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in names.items()}
    return leaves


# ---- the micrograd neuron: the same picture as glassgrad's ----

def test_scalar_neuron_draws_like_glassgrad():
    t = neuron()
    with viz.trace_torch(names=t) as tape:
        o = (t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"]).tanh()
    o.backward()
    ours = {k: Value(v.item(), label=k) for k, v in t.items()}
    g = (ours["x1"] * ours["w1"] + ours["x2"] * ours["w2"] + ours["b"]).tanh()
    g.backward()
    theirs = tape.draw().source
    mine = viz.draw(g).source
    # Same ops, same values, same gradients, same local derivatives on the same edges.
    assert edge_labels(theirs) == edge_labels(mine)
    assert sorted(edge_labels(mine)) == [-3, 0, 0.5, 1, 1, 1, 1, 1, 2]
    assert [n.op for n in tape.nodes if n.op] == ["*", "*", "+", "+", "tanh"]
    for name, leaf in t.items():
        node = tape.node(leaf)
        assert node.label == name and node.raw_grad == leaf.grad.item()
        assert node.raw_grad == pytest.approx(ours[name].grad, abs=1e-14)
    assert tape.output.raw_data == pytest.approx(g.data, abs=1e-15)
    assert tape.output.raw_grad == 1.0


@pytest.mark.parametrize("expr", [
    "x * 3", "3 * x", "x * y", "x + 1", "1 + x", "1 - x", "x - y", "x / y", "2 / x", "x ** 3",
    "2 ** x", "x ** y", "-x", "x.exp()", "x.log()", "x.sqrt()", "x.tanh()", "x.sigmoid()",
    "x.relu()", "F.relu(x)", "F.leaky_relu(x, 0.2)", "F.elu(x, alpha=0.5)", "F.gelu(x)",
    "F.softplus(x)", "x.sin()", "x.cos()", "x.abs()", "torch.maximum(x, y)", "x.square()",
    "torch.pow(x, 2.5)",
])
@pytest.mark.parametrize("at", [0.7, -0.4])
def test_local_derivatives_on_edges_are_pytorchs(expr, at):
    """Each mapped op's edge label into x comes from glassgrad's scalar rule table and
    equals PyTorch's derivative of the same call (float64)."""
    if at < 0 and expr in ("x.log()", "x.sqrt()", "x ** y", "torch.pow(x, 2.5)"):
        pytest.skip("outside the op's domain")
    x = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(1.3, dtype=torch.float64, requires_grad=True)
    with viz.trace_torch() as tape:
        out = eval(expr)
    op = tape.node(out)
    derivs = op._local_derivatives()
    assert derivs is not None, f"{expr}: no local derivative"
    (want,) = torch.autograd.grad(out, [x])
    assert derivs[op.parents.index(tape.node(x))] == pytest.approx(want.item(), rel=1e-12,
                                                                    abs=1e-15)
    assert op.raw_data == out.item()


def test_bce_edge_into_its_probability():
    p = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(1.0, dtype=torch.float64)
    with viz.trace_torch() as tape:
        loss = F.binary_cross_entropy(p, y)
    (want,) = torch.autograd.grad(loss, [p])
    derivs = tape.node(loss)._local_derivatives()
    assert derivs[0] == pytest.approx(want.item(), rel=1e-12)


def test_ops_without_a_scalar_rule_keep_their_name_and_no_edge_label():
    x = torch.tensor(0.5, requires_grad=True)
    with viz.trace_torch() as tape:
        y = torch.add(x, x, alpha=2)        # not glassgrad's '+'
        z = F.mse_loss(y, torch.tensor(1.0))
    z.backward()
    assert tape.node(y).op == "add" and tape.node(y)._local_derivatives() is None
    assert tape.node(z).op == "mse_loss"
    assert edge_labels(tape.draw().source) == []


# ---- models: values, gradients, clusters, names ----

class Encoder(tnn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = tnn.Sequential(tnn.Linear(4, 8), tnn.ReLU(), tnn.Linear(8, 6))
        self.head = tnn.Linear(6, 3)

    def forward(self, x):
        return self.head(F.relu(self.encoder(x)))


def test_custom_module_with_functional_calls_clusters_and_gradients():
    torch.manual_seed(0)
    model = Encoder()
    x, y = torch.randn(5, 4), torch.tensor([0, 2, 1, 1, 0])
    with viz.trace_torch(names={"x": x}) as tape:
        loss = F.cross_entropy(model(x), y)
    loss.backward()
    names = {n.label for n in tape.nodes if n.label}
    assert {"encoder.0.weight", "encoder.2.bias", "head.weight", "x"} <= names
    for name, p in model.named_parameters():
        node = next(n for n in tape.nodes if n.label == name)
        assert node._is_parameter and close(node, p)
        assert np.allclose(node.raw_grad, p.grad.numpy(), rtol=1e-6)
    assert tape.output is tape.node(loss) and tape.output.op == "cross_entropy"
    src = tape.draw().source
    for box in ("Encoder", "encoder.0 (Linear)", "encoder.1 (ReLU)",
                "head (Linear)"):
        assert f"<B>{box}</B>" in src, box
    # The functional relu between the modules belongs to the model's own call.
    relu = [n for n in tape.nodes if n.op == "relu"]
    assert [type(n._scope).__name__ for n in relu] == ["ReLU", "Encoder"]
    # Interior values and gradients are PyTorch's.
    h = model.encoder(x)
    (gh,) = torch.autograd.grad(F.cross_entropy(model.head(F.relu(h)), y), [h])
    node = next(n for n in tape.nodes if n.op == "linear" and n._scope._qualname == "encoder.2")
    assert close(node, h) and np.allclose(node.raw_grad, gh.numpy(), rtol=1e-6)


def test_module_view_folds_like_glassgrad_models():
    torch.manual_seed(0)
    model = tnn.Sequential(*[tnn.Sequential(tnn.Linear(8, 8), tnn.Tanh()) for _ in range(6)])
    with viz.trace_torch() as tape:
        loss = model(torch.randn(3, 8)).pow(2).mean()
    loss.backward()
    folded = viz.draw_modules(tape, level=1)
    assert folded.info["collapse"] == 0 and folded.source.count("nodes folded") == 6
    small = tape.draw(max_nodes=12)
    assert small.info["drawn"] <= 12 and small.info["note"]


def test_loop_reuse_makes_separate_nodes_and_calls():
    torch.manual_seed(0)

    class RNN(tnn.Module):
        def __init__(self):
            super().__init__()
            self.cell = tnn.Linear(3, 3)

        def forward(self, xs):
            h = torch.zeros(3)
            for x in xs:
                h = torch.tanh(self.cell(x) + h)
            return h.sum()

    model = RNN()
    xs = torch.randn(4, 3)
    with viz.trace_torch() as tape:
        out = model(xs)
    out.backward()
    linears = [n for n in tape.nodes if n.op == "linear"]
    assert len(linears) == 4 and len({id(n) for n in linears}) == 4
    assert [n._scope._qualname for n in linears] == ["cell", "cell#2", "cell#3", "cell#4"]
    weight = next(n for n in tape.nodes if n.label == "cell.weight")
    assert all(weight in n.parents for n in linears)        # one shared parameter node
    assert np.allclose(weight.raw_grad, model.cell.weight.grad.numpy(), rtol=1e-6)
    src = tape.draw().source
    assert "<B>cell#3 (Linear)</B>" in src


def test_no_grad_regions_are_constants():
    w = torch.randn(3, requires_grad=True)
    with viz.trace_torch() as tape:
        with torch.no_grad():
            scale = w.abs().max() * 2
        out = (w / scale).sum()
    out.backward()
    node = tape.node(scale)
    assert node.parents == () and not node.requires_grad and node.op == ""
    assert close(node, scale)
    assert node.raw_grad is None


def test_in_place_ops_and_writes_through_views_draw_truthfully():
    torch.manual_seed(0)
    a = torch.randn(3, requires_grad=True)
    with viz.trace_torch(names={"a": a}) as tape:
        h = a * 2
        first = tape.node(h)
        h.add_(1)
        v = h[1:]
        y = v * 2
        v.mul_(3)
        s = (h * h).sum() + y.sum() + (v * v).sum()
    s.backward()
    ops = [n.op for n in tape.nodes if n.op]
    assert ops[:4] == ["*", "add_", "getitem", "*"] and "mul_" in ops and "copy_slices" in ops
    # The value before the in-place op is kept as it was.
    assert np.allclose(first.raw_data, (a * 2).detach().numpy())
    assert close(tape.node(h), h)
    assert tape.node(v).op == "as_strided"          # v is read again from its base
    assert np.allclose(tape.node(a).raw_grad, a.grad.numpy())
    # Every gradient, hooks and the gradients users send, agrees with the replayed film.
    steps = viz.backward_steps(tape)
    for node, g in zip(steps.view.nodes, steps.steps[-1].grads):
        if node.raw_grad is not None:
            assert np.allclose(g, node.raw_grad, rtol=1e-5), node


def test_setitem_relu_inplace_and_multiple_outputs():
    x = torch.randn(4, requires_grad=True)
    with viz.trace_torch() as tape:
        buf = torch.zeros(4)
        buf[1:3] = x[:2] * 5
        hidden = tnn.ReLU(inplace=True)(x * 1.0)
        top, where = torch.max(buf + hidden, 0)
        halves = torch.split(hidden, 2)
        out = top + halves[1].sum()
    out.backward()
    ops = [n.op for n in tape.nodes if n.op]
    assert "setitem" in ops and "relu_" in ops and "max" in ops and ops.count("split") == 2
    assert tape.node(where).raw_grad is None and not tape.node(where).requires_grad
    assert np.allclose(tape.node(x).raw_grad, x.grad.numpy())
    steps = viz.backward_steps(tape)
    last = dict(zip(map(id, steps.view.nodes), steps.steps[-1].grads))
    assert np.allclose(last[id(tape.node(x))], x.grad.numpy())


def test_dropout_replays_its_own_mask():
    torch.manual_seed(3)
    x = torch.randn(50, requires_grad=True)
    with viz.trace_torch() as tape:
        out = (F.dropout(x, 0.5, training=True) * x).sum()
    out.backward()
    steps = viz.backward_steps(tape)
    last = dict(zip(map(id, steps.view.nodes), steps.steps[-1].grads))
    assert np.allclose(last[id(tape.node(x))], x.grad.numpy())


# ---- gradients: when backward runs, and only through the recorded graph ----

def test_backward_inside_the_block_and_later_training_steps_leave_the_tape_alone():
    torch.manual_seed(0)
    model = tnn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(8, 2)
    at_trace = model.weight.detach().clone()
    with viz.trace_torch() as tape:
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.step()
    recorded = model.weight.grad.clone()
    weight = next(n for n in tape.nodes if n.label == "weight")
    for _ in range(3):                  # training goes on with the tape alive
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    assert np.allclose(weight.raw_grad, recorded.numpy())
    assert tape.output is tape.node(loss)
    # The drawn weight is its value when the op ran, not after any step.
    assert np.array_equal(weight.raw_data, at_trace.numpy())
    assert not np.allclose(weight.raw_data, model.weight.detach().numpy())


def test_two_backward_passes_through_the_graph_accumulate_like_pytorch():
    w = torch.tensor(1.5, requires_grad=True)
    with viz.trace_torch() as tape:
        y = w * w
    y.backward(retain_graph=True)
    y.backward()
    assert tape.node(w).raw_grad == w.grad.item() == 6.0


def test_the_tape_frees_everything_when_dropped():
    torch.manual_seed(0)
    model = tnn.Sequential(tnn.Linear(3, 4), tnn.Tanh(), tnn.Linear(4, 1))
    x = torch.randn(2, 3)
    with viz.trace_torch() as tape:
        loss = model(x).sum()
    loss.backward(retain_graph=True)         # the graph stays alive, the tape does not
    refs = [weakref.ref(n) for n in tape.nodes] + [weakref.ref(tape)]
    hooks = len(model[0].weight._backward_hooks)
    del tape
    assert all(r() is None for r in refs)   # reference counting alone: no cycles
    gc.collect()
    assert len(model[0].weight._backward_hooks) == hooks - 1
    loss.backward()                          # the graph's hooks find nothing to do


def test_only_the_tracing_thread_is_recorded():
    a = torch.ones(2, requires_grad=True)
    with viz.trace_torch() as tape:
        worker = threading.Thread(target=lambda: tnn.Linear(2, 2)(a).sum())
        worker.start()
        worker.join()
        (a * 2).sum()
    assert [n.op for n in tape.nodes if n.op] == ["*", "sum"]


# ---- the viz functions take a tape ----

def test_backward_steps_of_a_tape():
    t = neuron()
    with viz.trace_torch(names=t) as tape:
        o = (t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"]).tanh()
    o.backward()
    steps = viz.backward_steps(tape)
    assert len(steps) == 6
    assert "grad(x1) += ∂#2/∂x1 × grad(#2) = -3 × 0.5 = -1.5" in steps.captions[-1][1]
    final = steps.steps[-1].grads
    for node, g in zip(steps.view.nodes, final):
        if node.label:
            assert g == pytest.approx(t[node.label].grad.item())


def test_draw_warns_before_backward_and_names_roots():
    x = torch.ones(3, requires_grad=True)
    with viz.trace_torch() as tape:
        h = x * 2
        y = h.sum()
    with pytest.warns(viz.NoBackwardWarning):
        tape.draw()
    y.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = tape.draw([y, h])
    assert both.info["nodes"] == 4
    assert viz.draw(tape).source == tape.draw().source


def test_errors_are_clear():
    with pytest.raises(TypeError, match="viz.draw_torch"):
        viz.draw(torch.ones(2))
    tape = viz.trace_torch()
    with pytest.raises(ValueError, match="recorded no tensor op"):
        tape.output
    with tape:
        pass
    with pytest.raises(RuntimeError, match="one with block"):
        with tape:
            pass
    with pytest.raises(KeyError, match="not recorded"):
        tape.node(torch.ones(1))
    with pytest.raises(TypeError, match="names"):
        viz.trace_torch(names={"x": 1.0})
    with viz.trace_torch() as tape:
        y = torch.ones(2, requires_grad=True) * 2
    with pytest.raises(NotImplementedError, match="higher-order"):
        tape.node(y)._vjp(np.ones(2), True)


def test_a_module_that_raises_leaves_no_stale_cluster():
    class Boom(tnn.Module):
        def forward(self, x):
            raise ValueError("boom")

    x = torch.ones(2, requires_grad=True)
    with viz.trace_torch() as tape:
        with pytest.raises(ValueError):
            Boom()(x)
        y = (x * 3).sum()
    assert tape.node(y)._scope is None
