"""Callbacks: EarlyStopping, GradientMonitor, NaNGuard, LRScheduler, GradientClipping."""
import math
import re

import numpy as np
import pytest

import autograd
import nn
import viz
from nn import datasets
from nn.callbacks import Callback, layer_groups
from nn.containers import Sequential
from nn.layers import Linear, ReLU
from nn.losses import MSELoss



@pytest.fixture(autouse=True)
def _seeded():
    """Tensor layers draw their initial weights from the global stream: fix it per test."""
    autograd.manual_seed(0)

class Snapshots(Callback):
    """Keeps the weights at the end of every epoch."""

    def __init__(self):
        self.states = {}

    def on_epoch_end(self, state):
        self.states[state.epoch] = state.model.state_dict()


def _overfitting_run(restore_best=True, patience=5):
    X, y = datasets.moons(40, noise=0.35, seed=2)
    train, val = datasets.train_val_split(X, y, val_fraction=0.5, seed=0)
    model = nn.MLP(2, [24, 24, 1], seed=0)
    snaps = Snapshots()
    stop = nn.EarlyStopping(patience=patience, restore_best=restore_best, verbose=False)
    hist = nn.fit(model, nn.mse_loss, nn.optim.Adam(model.parameters(), lr=0.05), train, val,
                  epochs=300, callbacks=[snaps, stop], progress=False, seed=0)
    return model, hist, stop, snaps


def test_early_stopping_stops_and_restores_the_best_weights():
    model, hist, stop, snaps = _overfitting_run()
    assert stop.stopped_epoch is not None and len(hist) == stop.stopped_epoch < 300
    best = stop.best_epoch
    assert stop.stopped_epoch == best + stop.patience
    assert hist.best_epoch == best and stop.best == min(hist.val_loss)
    assert hist.val_loss[best - 1] == stop.best
    final = model.state_dict()
    for k, v in snaps.states[best].items():
        np.testing.assert_array_equal(final[k], v)
    assert not all(np.array_equal(final[k], v) for k, v in snaps.states[len(hist)].items())
    assert "early stopping at epoch" in hist.stop_reason


def test_early_stopping_without_restore_keeps_the_last_weights():
    model, hist, stop, snaps = _overfitting_run(restore_best=False)
    final = model.state_dict()
    for k, v in snaps.states[len(hist)].items():
        np.testing.assert_array_equal(final[k], v)


def test_early_stopping_reports_when_verbose(capsys):
    X, y = datasets.xor()
    model = nn.MLP(2, [4, 1], seed=0)
    stop = nn.EarlyStopping(monitor="loss", patience=1, min_delta=10.0)   # nothing is enough
    nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=5,
           callbacks=[stop], progress=False)
    assert stop.best_epoch == 1 and stop.stopped_epoch == 2
    assert "EarlyStopping: stopped at epoch 2; best loss" in capsys.readouterr().out


def test_early_stopping_maximises_accuracy_and_checks_its_setup():
    assert nn.EarlyStopping(monitor="val_accuracy").maximize
    assert not nn.EarlyStopping(monitor="val_loss").maximize
    X, y = datasets.xor()
    model = nn.MLP(2, [4, 1], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="got no val data"):
        nn.fit(model, nn.mse_loss, opt, (X, y), epochs=1, progress=False,
               callbacks=[nn.EarlyStopping()])
    with pytest.raises(KeyError, match="no 'accuracy'"):
        nn.fit(model, nn.mse_loss, opt, (X, y), epochs=1, progress=False,
               callbacks=[nn.EarlyStopping(monitor="accuracy")])
    for kwargs, match in [({"patience": 0}, "patience"), ({"min_delta": -1}, "min_delta"),
                          ({"mode": "up"}, "mode")]:
        with pytest.raises(ValueError, match=match):
            nn.EarlyStopping(**kwargs)


# ---------------------------------------------------------------- GradientMonitor

def test_layer_groups_for_scalar_and_tensor_models():
    scalar = nn.MLP(2, [3, 1], seed=0)
    groups = layer_groups(scalar)
    assert [g[0] for g in groups] == ["layers.0", "layers.1"]
    assert [len(g[2]) for g in groups] == [9, 4]
    tensor = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    assert [(g[0], len(g[2])) for g in layer_groups(tensor)] == [("0:Linear", 2), ("2:Linear", 2)]


def test_gradient_monitor_records_norms_every_step():
    X, y = datasets.moons(16, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    monitor = nn.GradientMonitor()
    nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
           batch_size=4, callbacks=[monitor], progress=False)
    assert monitor.steps == list(range(1, 9))
    assert all(len(monitor.grad_norms[k]) == 8 for k in monitor.layers)
    # The last recorded norms are the model's current weights and the last step's grads.
    w_last = math.sqrt(sum(p.data ** 2 for p in model.layers[1].parameters()))
    assert monitor.weight_norms["layers.1"][-1] != pytest.approx(w_last)   # recorded pre-step
    g_last = math.sqrt(sum(p.grad ** 2 for p in model.layers[1].parameters()))
    assert monitor.grad_norms["layers.1"][-1] == pytest.approx(g_last)
    sparse = nn.GradientMonitor(every=3)
    nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
           batch_size=4, callbacks=[sparse], progress=False)
    assert sparse.steps == [1, 4, 7]


def test_gradient_monitor_flags_a_sigmoid_stack_as_vanishing():
    X, y = datasets.moons(32, seed=0)
    model = nn.MLP(2, [8] * 15 + [1], activation="sigmoid", seed=0)
    monitor = nn.GradientMonitor()
    nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
           callbacks=[monitor], progress=False)
    assert monitor.vanishing == viz.VANISHING
    assert monitor.status()["layers.0"] == "vanishing"
    assert monitor.status()["layers.15"] == "ok"
    assert monitor.first_flagged["layers.0"] == ("vanishing", 1)
    # Every layer's gradient is smaller than the one after it: the 0.25^L trend.
    firsts = [monitor.grad_norms[k][0] for k in monitor.layers]
    assert all(a < b for a, b in zip(firsts, firsts[1:]))
    assert "vanishing" in monitor.report()


def test_gradient_monitor_flags_a_scaled_up_net_as_exploding(capsys):
    X, y = datasets.moons(32, seed=0)
    model = Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(), Linear(16, 1))
    for p in model.parameters():
        p.data *= 30
    monitor = nn.GradientMonitor(verbose=True)
    nn.fit(model, MSELoss(), nn.optim.SGD(model.parameters(), lr=1e-9), (X, y), epochs=1,
           callbacks=[monitor], progress=False)
    assert monitor.exploding == viz.EXPLODING
    assert monitor.flagged == {"0:Linear": "exploding", "2:Linear": "exploding",
                               "4:Linear": "exploding"}
    assert "0:Linear gradient norm" in capsys.readouterr().out


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_gradient_monitor_counts_dead_relus(engine):
    X, y = datasets.moons(20, seed=0)
    if engine == "scalar":
        model = nn.MLP(2, [4, 1], seed=0)
        model.layers[0].neurons[2].b.data = -100.0        # never fires on this data
        layer, loss = "layers.0", nn.mse_loss
    else:
        model = Sequential(Linear(2, 4), ReLU(), Linear(4, 1))
        model[0].bias.data[...] = [5.0, 5.0, -100.0, 5.0]
        layer, loss = "0:Linear", MSELoss()
    monitor = nn.GradientMonitor()
    nn.fit(model, loss, nn.optim.SGD(model.parameters(), lr=1e-6), (X, y), epochs=1,
           callbacks=[monitor], progress=False)
    assert monitor.dead_fraction == {layer: [0.25]}
    assert "25%" in monitor.report()
    off = nn.GradientMonitor(dead_relu=False)
    nn.fit(model, loss, nn.optim.SGD(model.parameters(), lr=1e-6), (X, y), epochs=1,
           callbacks=[off], progress=False)
    assert off.dead_fraction == {}


# ---------------------------------------------------------------- NaNGuard

def test_nanguard_names_the_first_non_finite_gradient_and_skips_the_step(capsys):
    X, y = datasets.moons(8, seed=0)
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    y = y.astype(float)
    y[3] = np.inf                                         # a corrupt target
    before = model.state_dict()
    guard = nn.NaNGuard()
    hist = nn.fit(model, MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1), (X, y),
                  epochs=5, callbacks=[guard], progress=False)
    assert re.fullmatch(r"NaNGuard at epoch 1, step 1: loss is inf; gradient of 0\.weight is "
                        r"-?inf \(the optimizer step was not taken\)", guard.message)
    assert hist.stop_reason == guard.message
    assert hist.loss == [math.inf]                        # the blow-up is on the record
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])       # the bad step was not taken
    assert guard.message in capsys.readouterr().out


def test_nanguard_names_a_non_finite_parameter():
    X, y = datasets.moons(8, seed=0)
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    model[2].weight.data[0, 1] = np.nan
    guard = nn.NaNGuard(verbose=False)
    nn.fit(model, MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
           callbacks=[guard], progress=False)
    assert guard.message == "NaNGuard at epoch 1, step 1: parameter 2.weight is nan"


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_nanguard_catches_a_parameter_that_becomes_inf_after_the_step():
    X, y = datasets.moons(8, seed=0)
    model = Sequential(Linear(2, 1))
    guard = nn.NaNGuard(verbose=False)
    nn.fit(model, MSELoss(), nn.optim.SGD(model.parameters(), lr=1e308), (X, y), epochs=3,
           callbacks=[guard], progress=False)
    assert "became" in guard.message and "after the optimizer step" in guard.message


def test_nanguard_turns_a_scalar_overflow_into_a_stop():
    X, y = datasets.xor()
    model = nn.MLP(2, [4, 1], seed=0)
    model.layers[0].neurons[1].w[0].data = 1e200
    guard = nn.NaNGuard(verbose=False)
    hist = nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y),
                  epochs=3, callbacks=[guard], progress=False)
    assert "overflows" in guard.message
    assert "largest parameter layers.0.neurons.1.w.0" in guard.message
    assert hist.stop_reason == guard.message


# ---------------------------------------------------------------- LRScheduler, clipping

def test_lr_scheduler_steps_once_per_epoch():
    from nn.optim import lr_scheduler
    X, y = datasets.xor()
    model = nn.MLP(2, [4, 1], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    cb = nn.LRScheduler(lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5))
    hist = nn.fit(model, nn.mse_loss, opt, (X, y), epochs=5, batch_size=2, callbacks=[cb],
                  progress=False)
    assert hist.lr == [0.1, 0.1, 0.05, 0.05, 0.025]
    assert hist.steps["lr"][:6] == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05]
    other = nn.optim.SGD(nn.MLP(2, [1], seed=0).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="different optimizer"):
        nn.fit(model, nn.mse_loss, opt, (X, y), epochs=1, progress=False,
               callbacks=[nn.LRScheduler(lr_scheduler.StepLR(other, step_size=1))])
    with pytest.raises(TypeError, match="needs a scheduler"):
        nn.LRScheduler(3)


class GradNorm(Callback):
    def __init__(self):
        self.norms = []

    def on_backward_end(self, state):
        self.norms.append(math.sqrt(sum(p.grad ** 2 for p in state.model.parameters())))


def test_gradient_clipping_by_norm_and_by_value():
    X, y = datasets.moons(16, seed=0)
    y = 10.0 * y                                          # big errors, big gradients
    for clip, check in [(nn.GradientClipping(max_norm=0.5), lambda n, g: n <= 0.5 + 1e-9),
                        (nn.GradientClipping(max_value=0.01), lambda n, g: n <= 0.01 * math.sqrt(g))]:
        model = nn.MLP(2, [4, 1], seed=0)
        after = GradNorm()
        nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.01), (X, y), epochs=3,
               callbacks=[clip, after], progress=False)
        assert all(n > 0.5 for n in clip.norms)           # clipping really had work to do
        count = len(model.parameters())
        assert all(check(n, count) for n in after.norms)
    with pytest.raises(ValueError, match="exactly one"):
        nn.GradientClipping()
