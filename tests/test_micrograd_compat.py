"""micrograd 0.1.0 compatibility: `random.seed(1337); MLP(2, [16, 16, 1])` gives its exact
weights and outputs, and its demo's SGD training (SVM loss + 1e-4 L2) follows the same loss
trajectory. (Its README / test_engine expressions: tests/test_micrograd_programs.py.)"""
import gc
import random

import numpy as np
import pytest

from autograd import Value
from nn import MLP, Layer, Neuron, hinge_loss

micrograd_engine = pytest.importorskip("micrograd.engine")
micrograd_nn = pytest.importorskip("micrograd.nn")


def test_mlp_1337_has_micrograds_exact_weights_and_outputs():
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    assert len(ours.parameters()) == len(theirs.parameters()) == 337
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    per_op = MLP(2, [16, 16, 1], fused=False)
    per_op.load_state_dict(ours.state_dict())
    for x in ([2.0, -1.0], [0.5, 0.25], [-1.5, 3.0]):
        expected = theirs([micrograd_engine.Value(v) for v in x]).data
        assert ours(x).data == expected
        assert per_op(x).data == expected


def test_micrograd_spellings():
    layer = Layer(3, 2, nonlin=False)
    assert [n.activation for n in layer.neurons] == ["linear", "linear"]
    n = Neuron(2, nonlin=False)
    assert not n.nonlin and len(n.parameters()) == 3
    random.seed(0)
    m = MLP(2, [3, 1])
    m.zero_grad()
    assert all(p.grad == 0 for p in m.parameters())


def _moons(n=100, noise=0.1, seed=0):
    """The shape of sklearn's make_moons, generated with NumPy (two interleaved arcs)."""
    rng = np.random.default_rng(seed)
    n_out, n_in = n // 2, n - n // 2
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    X = np.vstack([np.stack([np.cos(outer), np.sin(outer)], 1),
                   np.stack([1 - np.cos(inner), 1 - np.sin(inner) - 0.5], 1)])
    X += rng.normal(scale=noise, size=X.shape)
    y = np.array([-1.0] * n_out + [1.0] * n_in)            # micrograd's y*2 - 1
    return X.tolist(), y.tolist()


def _demo_loss(model, V, X, y):
    # micrograd's demo.ipynb `loss()`, full batch, verbatim apart from V.
    inputs = [list(map(V, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p * p for p in model.parameters()))
    return data_loss + reg_loss


def _train(model, loss_fn, steps):
    trajectory = []
    for k in range(steps):
        total_loss = loss_fn(model)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        trajectory.append(total_loss.data)
    return trajectory, [p.data for p in model.parameters()]


def test_demo_training_follows_micrograds_trajectory():
    X, y = _moons()
    steps = 4
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    # micrograd's nodes are reference cycles (each holds a closure over itself), so the
    # cyclic GC rescans them all the time: pause it for the reference run (10x faster).
    gc.disable()
    try:
        ref_losses, ref_params = _train(
            theirs, lambda m: _demo_loss(m, micrograd_engine.Value, X, y), steps)
    finally:
        gc.enable()
        gc.collect()
    losses, params = _train(ours, lambda m: _demo_loss(m, Value, X, y), steps)
    assert losses == pytest.approx(ref_losses, rel=1e-9)
    assert params == pytest.approx(ref_params, rel=1e-9, abs=1e-12)
    assert ref_losses[-1] < ref_losses[0]          # it is actually training

    # The same run with glassgrad's own loss function.
    random.seed(1337)
    idiomatic = MLP(2, [16, 16, 1])

    def loss_fn(m):
        data = hinge_loss([m(x) for x in X], [int(v) for v in y])
        return data + 1e-4 * sum(p * p for p in m.parameters())

    losses2, params2 = _train(idiomatic, loss_fn, steps)
    assert losses2 == pytest.approx(ref_losses, rel=1e-9)
    assert params2 == pytest.approx(ref_params, rel=1e-9, abs=1e-12)
