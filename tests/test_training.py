"""nn.fit, History, predict/classify/evaluate, lr_finder: scalar and Tensor models."""
import warnings

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, Value
from nn import datasets
from nn.containers import Sequential
from nn.layers import Linear, ReLU, Tanh
from nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from nn.training import classify



@pytest.fixture(autouse=True)
def _seeded():
    """Tensor layers draw their initial weights from the global stream: fix it per test."""
    autograd.manual_seed(0)

def _xor_model(seed=0):
    return nn.MLP(2, [8, 1], activation="tanh", seed=seed)


# ---------------------------------------------------------------- fit, scalar models

def test_fit_solves_xor_full_batch():
    X, y = datasets.xor()
    model = _xor_model()
    hist = nn.fit(model, nn.mse_loss, nn.optim.Adam(model.parameters(), lr=0.05), (X, y),
                  epochs=150, progress=False, accuracy=True)
    assert hist.loss[-1] < 0.01 and hist.accuracy[-1] == 1.0
    assert hist.epochs == list(range(1, 151))
    assert (np.where(nn.predict(model, X) > 0.5, 1, 0) == y).all()


def test_full_batch_fit_equals_a_hand_written_loop():
    X, y = datasets.moons(12, seed=0)
    a, b = nn.MLP(2, [4, 1], seed=1), nn.MLP(2, [4, 1], seed=1)
    hist = nn.fit(a, nn.mse_loss, nn.optim.SGD(a.parameters(), lr=0.1), (X, y), epochs=3,
                  shuffle=False, progress=False)
    opt = nn.optim.SGD(b.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = nn.mse_loss([b(x) for x in X.tolist()], y.tolist())
        loss.backward()
        losses.append(loss.data)
        opt.step()
    assert hist.loss == losses                          # exactly the same arithmetic
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(v, b.state_dict()[k])


@pytest.mark.parametrize("batch_size, steps_per_epoch", [(None, 1), (3, 4), (4, 3), (1, 12), (50, 1)])
def test_batch_modes_take_the_right_number_of_steps(batch_size, steps_per_epoch):
    X, y = datasets.moons(12, seed=0)
    model = nn.MLP(2, [3, 1], seed=0)
    hist = nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.01), (X, y),
                  epochs=2, batch_size=batch_size, progress=False, seed=0)
    assert len(hist.steps["loss"]) == 2 * steps_per_epoch
    assert hist.steps["lr"] == [0.01] * (2 * steps_per_epoch)
    # The epoch's train loss is the sample-weighted mean of its batch losses.
    size = min(batch_size or 12, 12)
    sizes = [min(size, 12 - i) for i in range(0, 12, size)]
    first = hist.steps["loss"][:steps_per_epoch]
    assert hist.loss[0] == pytest.approx(np.dot(first, sizes) / 12)


def test_seed_makes_shuffled_training_reproducible():
    X, y = datasets.moons(20, seed=0)

    def run(seed):
        model = nn.MLP(2, [4, 1], seed=0)
        return nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.05), (X, y),
                      epochs=3, batch_size=5, progress=False, seed=seed).steps["loss"]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_validation_metrics_and_accuracy_auto():
    X, y = datasets.blobs(60, centers=3, seed=0)
    train, val = datasets.train_val_split(X, y, seed=0)
    model = nn.MLP(2, [8, 3], seed=0)
    hist = nn.fit(model, nn.cross_entropy, nn.optim.Adam(model.parameters(), lr=0.05), train,
                  val, epochs=5, progress=False)
    assert sorted(hist.metrics) == ["accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert all(0.0 <= a <= 1.0 for a in hist.val_accuracy)
    ev = nn.evaluate(model, nn.cross_entropy, val)
    assert ev["loss"] == pytest.approx(hist.val_loss[-1])
    assert ev["accuracy"] == hist.val_accuracy[-1]


def test_regression_has_no_accuracy_and_refuses_it_on_real_targets():
    X, y = datasets.returns(30, seed=0)
    model = nn.MLP(3, [1], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.01)
    hist = nn.fit(model, nn.huber_loss, opt, (X, y), epochs=2, progress=False)
    assert "accuracy" not in hist and sorted(hist.metrics) == ["loss", "lr"]
    with pytest.raises(ValueError, match="not whole numbers"):
        nn.fit(model, nn.mse_loss, opt, (X, y), epochs=1, progress=False, accuracy=True)


def test_hinge_loss_accuracy_uses_the_sign_for_plus_minus_one_labels():
    X, y = datasets.moons(40, seed=0)
    y = 2 * y - 1
    model = nn.MLP(2, [8, 8, 1], seed=0)
    hist = nn.fit(model, nn.hinge_loss, nn.optim.SGD(model.parameters(), lr=0.05), (X, y),
                  epochs=20, progress=False)
    out = nn.predict(model, X)
    assert hist.accuracy[-1] <= 1.0
    assert nn.evaluate(model, nn.hinge_loss, (X, y))["accuracy"] == np.mean(np.sign(out) == y)


def test_history_reading():
    X, y = datasets.xor()
    model = _xor_model()
    hist = nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y),
                  val=(X, y), epochs=4, progress=False)
    assert hist["loss"] is hist.loss and "val_loss" in hist and "accuracy" not in hist
    assert len(hist) == 4
    assert hist.best_epoch == hist.epochs[int(np.argmin(hist.val_loss))]
    with pytest.raises(KeyError, match="has no 'accuracy'"):
        hist["accuracy"]
    with pytest.raises(AttributeError, match="has no 'val_accuracy'"):
        hist.val_accuracy
    table = hist.table(every=2).splitlines()
    assert table[0].split() == ["epoch", "loss", "val_loss", "lr"]
    assert [row.split()[0] for row in table[1:]] == ["1", "3", "4"]
    assert "4 epochs" in repr(hist) and "best epoch" in repr(hist)
    assert hist.as_dict()["epoch"] == [1, 2, 3, 4]
    assert repr(nn.History()) == "History(no epochs)"


def test_progress_bar_shows_loss_and_val_loss(capsys):
    X, y = datasets.xor()
    model = _xor_model()
    nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y), val=(X, y),
           epochs=3, progress=True)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "3/3" in text and "loss=" in text and "val_loss=" in text
    nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3,
           progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_fit_puts_the_model_in_train_mode_and_validation_in_eval_mode():
    seen = []

    class Spy(nn.Module):
        def __init__(self):
            self.inner = nn.MLP(2, [1], seed=0)

        def forward(self, x):
            seen.append(self.training)
            return self.inner(x)

    X, y = datasets.xor()
    model = Spy().eval()
    nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y), val=(X, y),
           epochs=1, progress=False)
    assert seen == [True] * 4 + [False] * 4 and model.training


@pytest.mark.parametrize("kwargs, error, match", [
    ({"train": [1, 2, 3]}, TypeError, "must be an \\(X, y\\) pair"),
    ({"train": (np.ones((3, 2)), np.ones(4))}, ValueError, "3 inputs but 4 targets"),
    ({"train": (np.ones((0, 2)), np.ones(0))}, ValueError, "is empty"),
    ({"epochs": -1}, ValueError, "epochs must be"),
    ({"batch_size": 0}, ValueError, "batch_size must be"),
    ({"batch_size": 2.5}, ValueError, "batch_size must be"),
    ({"accuracy": "yes"}, ValueError, "accuracy must be"),
])
def test_fit_rejects_bad_arguments(kwargs, error, match):
    X, y = datasets.xor()
    model = _xor_model()
    args = {"train": (X, y), "epochs": 1, **kwargs}
    with pytest.raises(error, match=match):
        nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), progress=False, **args)


def test_fit_needs_a_model_with_parameters_and_a_reduced_loss():
    X, y = datasets.xor()

    class Empty(nn.Module):
        def forward(self, x):
            return Value(0.0)

    with pytest.raises(ValueError, match="has no parameters"):
        nn.fit(Empty(), nn.mse_loss, None, (X, y), progress=False)
    model = _xor_model()
    with pytest.raises(TypeError, match="reduction='mean'"):
        nn.fit(model, lambda p, t: nn.mse_loss(p, t, reduction="none"),
               nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1, progress=False)


def test_an_overflow_without_nanguard_is_raised():
    X, y = datasets.xor()
    model = nn.MLP(2, [4, 1], seed=0)
    for p in model.parameters():
        p.data *= 1e120
    with pytest.raises(OverflowError):
        nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1,
               progress=False)


# ---------------------------------------------------------------- fit, Tensor models

def test_fit_trains_a_tensor_classifier():
    X, y = datasets.moons(120, noise=0.1, seed=0)
    train, val = datasets.train_val_split(X, y, seed=0)
    model = Sequential(Linear(2, 16), ReLU(), Linear(16, 2))
    hist = nn.fit(model, CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=0.05), train,
                  val, epochs=60, batch_size=16, progress=False, seed=0)
    assert hist.loss[-1] < hist.loss[0] / 3
    assert hist.val_accuracy[-1] >= 0.9
    assert nn.predict(model, X).shape == (120, 2)


def test_tensor_single_output_matches_target_shape_without_broadcast_warning():
    X, y = datasets.circles(40, seed=0)
    model = Sequential(Linear(2, 8), Tanh(), Linear(8, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # a (N,1)-vs-(N,) broadcast would warn
        hist = nn.fit(model, BCEWithLogitsLoss(), nn.optim.Adam(model.parameters(), lr=0.05),
                      (X, y), val=(X, y), epochs=3, progress=False)
        nn.fit(model, MSELoss(), nn.optim.SGD(model.parameters(), lr=0.01), (X, y), epochs=1,
               progress=False)
    assert "val_accuracy" in hist
    logits = nn.predict(model, X).ravel()
    assert nn.evaluate(model, BCEWithLogitsLoss(), (X, y))["accuracy"] == np.mean((logits > 0) == y)


def test_full_batch_tensor_fit_equals_a_hand_written_loop():
    from autograd import Tensor
    X, y = datasets.blobs(10, centers=2, seed=0)
    a = Sequential(Linear(2, 3), ReLU(), Linear(3, 2))
    b = Sequential(Linear(2, 3), ReLU(), Linear(3, 2))
    b.load_state_dict(a.state_dict())
    nn.fit(a, CrossEntropyLoss(), nn.optim.SGD(a.parameters(), lr=0.1), (X, y), epochs=2,
           shuffle=False, progress=False)
    opt = nn.optim.SGD(b.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        CrossEntropyLoss()(b(Tensor(X).float()), y).backward()   # fit converts to float32
        opt.step()
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(v, b.state_dict()[k])


# ---------------------------------------------------------------- predict, classify

@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "elu",
                                        "softplus", "gelu", "linear"])
def test_predict_matches_the_value_forward(activation):
    model = nn.MLP(3, [5, 4, 2], activation=activation, seed=0)
    X = np.random.default_rng(0).normal(0, 3, (7, 3))
    expected = np.array([[v.data for v in model(x)] for x in X.tolist()])
    np.testing.assert_allclose(nn.predict(model, X), expected, rtol=1e-12, atol=1e-12)


def test_predict_shapes_and_custom_scalar_modules():
    single = nn.MLP(2, [3, 1], seed=0)
    assert nn.predict(single, [[0.0, 1.0]]).shape == (1,)
    neuron = nn.Neuron(1, activation="tanh", seed=0)       # not an MLP: sample by sample
    out = nn.predict(neuron, [0.5, -0.5])                     # 1-D X: one feature per row
    assert out.tolist() == [neuron([0.5]).data, neuron([-0.5]).data]


def test_classify_rules():
    assert classify(np.array([[0.1, 0.9], [2.0, -1.0]]), [0, 1]).tolist() == [1, 0]
    assert classify(np.array([0.4, 0.6]), [0, 1]).tolist() == [0, 1]          # halfway 0.5
    assert classify(np.array([0.4, 0.6]), [0, 1], 0.0).tolist() == [1, 1]     # logits
    assert classify(np.array([-0.2, 0.3]), [-1, 1]).tolist() == [-1, 1]       # sign
    with pytest.raises(ValueError, match="3 classes"):
        classify(np.array([0.1]), [0, 1, 2])


# ---------------------------------------------------------------- lr_finder

def test_lr_finder_sweeps_geometrically_and_restores_weights():
    X, y = datasets.moons(64, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    before = model.state_dict()
    result = nn.lr_finder(model, nn.mse_loss, nn.optim.SGD, (X, y), start=1e-4, end=10.0,
                          steps=30, momentum=0.5)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert all(p.grad == 0.0 for p in model.parameters())
    lrs = result.lrs
    assert lrs[0] == pytest.approx(1e-4)
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, (1e5) ** (1 / 29))
    assert len(result.losses) == len(lrs) == len(result.smoothed)
    assert lrs[0] <= result.suggested_lr <= result.min_loss_lr <= lrs[-1]
    assert "suggested_lr" in repr(result)


def test_lr_finder_stops_when_the_loss_blows_up():
    X, y = datasets.moons(32, seed=0)
    model = Sequential(Linear(2, 8), ReLU(), Linear(8, 1))
    result = nn.lr_finder(model, MSELoss(), nn.optim.SGD, (X, y), start=1e-3, end=1e6, steps=60)
    assert len(result.lrs) < 60
    assert 1e-3 <= result.suggested_lr < 1e3


def test_lr_finder_suggests_where_the_loss_falls_fastest():
    # A linear model on a clean regression: the loss drops when lr approaches 1/curvature.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 1))
    y = 2.0 * X[:, 0]
    model = Sequential(Linear(1, 1))
    result = nn.lr_finder(model, MSELoss(), nn.optim.SGD, (X, y), start=1e-5, end=10.0, steps=60)
    assert 1e-3 < result.suggested_lr < 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"start": 1.0, "end": 0.1}, "0 < start < end"),
    ({"steps": 1}, "steps must be"),
    ({"beta": 1.0}, "beta must be"),
])
def test_lr_finder_rejects_bad_arguments(kwargs, match):
    X, y = datasets.xor()
    with pytest.raises(ValueError, match=match):
        nn.lr_finder(_xor_model(), nn.mse_loss, nn.optim.SGD, (X, y), **kwargs)


# ---------------------------------------------------------------- dtypes and DataLoaders

def test_fit_converts_inputs_to_the_models_dtype():
    X, y = datasets.blobs(20, centers=2, seed=0)            # float64 arrays
    model = Sequential(Linear(2, 2))                          # float32 weights
    nn.fit(model, CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1), (X, y),
           epochs=2, progress=False)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert nn.predict(model, X).dtype == np.float32
    double = Sequential(Linear(2, 2)).double()
    nn.fit(double, CrossEntropyLoss(), nn.optim.SGD(double.parameters(), lr=0.1),
           (X.astype(np.float32), y), epochs=1, progress=False)
    assert nn.predict(double, X).dtype == np.float64


def test_fit_and_evaluate_accept_a_dataloader():
    from autograd.utils.data import DataLoader, TensorDataset
    X, y = datasets.blobs(24, centers=2, seed=1)
    a = Sequential(Linear(2, 3), ReLU(), Linear(3, 2))
    b = Sequential(Linear(2, 3), ReLU(), Linear(3, 2))
    b.load_state_dict(a.state_dict())
    loader = DataLoader(TensorDataset(Tensor(X), Tensor(y)), batch_size=8)
    hist_a = nn.fit(a, CrossEntropyLoss(), nn.optim.SGD(a.parameters(), lr=0.1), (X, y),
                    val=(X, y), epochs=3, batch_size=8, shuffle=False, progress=False)
    hist_b = nn.fit(b, CrossEntropyLoss(), nn.optim.SGD(b.parameters(), lr=0.1), loader,
                    val=loader, epochs=3, progress=False)
    np.testing.assert_allclose(hist_a.loss, hist_b.loss, rtol=1e-6)
    np.testing.assert_allclose(hist_a.val_loss, hist_b.val_loss, rtol=1e-6)
    assert hist_a.accuracy == hist_b.accuracy
    ev = nn.evaluate(b, CrossEntropyLoss(), loader)
    assert ev["loss"] == pytest.approx(hist_b.val_loss[-1]) and 0 <= ev["accuracy"] <= 1
    found = nn.lr_finder(b, CrossEntropyLoss(), nn.optim.SGD, loader, steps=5)
    assert len(found.lrs) == 5


def test_fit_with_a_dataloader_refuses_conflicting_options():
    from autograd.utils.data import DataLoader, TensorDataset
    X, y = datasets.blobs(8, centers=2, seed=0)
    loader = DataLoader(TensorDataset(Tensor(X), Tensor(y)), batch_size=4)
    model = Sequential(Linear(2, 2))
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    for options in (dict(batch_size=4), dict(shuffle=False)):
        with pytest.raises(ValueError, match="give batch_size and shuffle to the DataLoader"):
            nn.fit(model, CrossEntropyLoss(), opt, loader, progress=False, **options)
    with pytest.raises(TypeError, match="feeds Tensor models"):
        scalar = nn.MLP(2, [2], seed=0)
        nn.fit(scalar, nn.cross_entropy, nn.optim.SGD(scalar.parameters(), lr=0.1), loader,
               progress=False)
    with pytest.raises(TypeError, match=r"\(inputs, targets\) batches"):
        nn.fit(model, CrossEntropyLoss(), opt, DataLoader(Tensor(X), batch_size=4),
               progress=False)


def test_lr_finder_and_early_stopping_restore_tensor_weights():
    X, y = datasets.blobs(30, centers=2, seed=2)
    model = Sequential(Linear(2, 4), ReLU(), Linear(4, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    nn.lr_finder(model, CrossEntropyLoss(), nn.optim.SGD, (X, y), steps=10)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    stopper = nn.EarlyStopping(patience=1, restore_best=True)
    hist = nn.fit(model, CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=5.0), (X, y),
                  val=(X, y), epochs=30, callbacks=[stopper], progress=False, seed=0)
    best = nn.evaluate(model, CrossEntropyLoss(), (X, y))["loss"]
    assert best == pytest.approx(min(hist.val_loss), rel=1e-5)
