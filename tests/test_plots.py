"""viz plots: each returns a Figure with the right artists, accepts ax=, saves (Agg backend)."""
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

import nn  # noqa: E402
import viz  # noqa: E402
from nn import datasets  # noqa: E402


@pytest.fixture(scope="module")
def trained():
    X, y = datasets.moons(60, noise=0.2, seed=0)
    train, val = datasets.train_val_split(X, y, seed=0)
    model = nn.MLP(2, [8, 8, 2], seed=0)
    monitor = nn.GradientMonitor()
    hist = nn.fit(model, nn.cross_entropy, nn.optim.Adam(model.parameters(), lr=0.05), train,
                  val, epochs=12, batch_size=16, callbacks=[monitor], progress=False)
    return model, hist, monitor, X, y


def _lines(ax):
    return [line for line in ax.get_lines() if line.get_label() and not line.get_label().startswith("_")]


def test_learning_curves_mark_the_best_epoch(trained, tmp_path):
    _, hist, _, _, _ = trained
    fig = viz.plot_learning_curves(hist)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    labels = [line.get_label() for line in _lines(ax)]
    assert labels == ["train loss", "validation loss", f"best epoch {hist.best_epoch}"]
    star = _lines(ax)[2]
    assert star.get_xdata()[0] == hist.best_epoch
    assert star.get_ydata()[0] == min(hist.val_loss)
    np.testing.assert_array_equal(_lines(ax)[0].get_xdata(), hist.epochs)
    fig.savefig(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_learning_curves_panels_and_ax(trained):
    _, hist, _, _, _ = trained
    fig = viz.plot_learning_curves(hist, ["loss", "accuracy"])
    assert [a.get_ylabel() for a in fig.axes] == ["loss", "accuracy"]
    mine = Figure()
    ax = mine.subplots()
    assert viz.plot_learning_curves(hist, "accuracy", ax=ax, log=True) is mine
    assert ax.get_yscale() == "log"
    with pytest.raises(KeyError, match="no 'val_f1'"):
        viz.plot_learning_curves(hist, "val_f1")
    with pytest.raises(ValueError, match="list of 2 Axes"):
        viz.plot_learning_curves(hist, ["loss", "accuracy"], ax=ax)


def test_gradient_flow_lines_and_bars(trained):
    _, _, monitor, _, _ = trained
    fig = viz.plot_gradient_flow(monitor)
    lines_ax, bars_ax = fig.axes
    assert [line.get_label() for line in _lines(lines_ax)] == monitor.layers
    assert lines_ax.get_yscale() == "log" and bars_ax.get_yscale() == "log"
    (bars,) = bars_ax.containers
    assert len(bars) == len(monitor.layers) and all(b.get_height() > 0 for b in bars)
    assert [t.get_text() for t in bars_ax.get_xticklabels()] == monitor.layers
    # Threshold lines sit at the thresholds the graph drawings use.
    ys = {line.get_ydata()[0] for line in lines_ax.get_lines() if line.get_linestyle() == "--"}
    assert ys == {viz.VANISHING, viz.EXPLODING}
    texts = " ".join(t.get_text() for t in bars_ax.texts)
    assert "dead" in texts                                   # dead-ReLU share annotated


def test_gradient_flow_colours_vanishing_and_exploding_bars():
    norms = {"first": [1e-9, 2e-9], "middle": [0.5, 0.2], "last": [1e5, float("inf")]}
    fig = viz.plot_gradient_flow(norms, kind="bars")
    colors = [matplotlib.colors.to_hex(b.get_facecolor()) for b in fig.axes[0].containers[0]]
    assert colors == ["#a6a6a6", "#3f86d3", "#c2188f"]
    fig = viz.plot_gradient_flow(norms, kind="lines")
    assert len(_lines(fig.axes[0])) == 3
    with pytest.raises(ValueError, match="kind must be"):
        viz.plot_gradient_flow(norms, kind="pie")
    with pytest.raises(TypeError, match="GradientMonitor or a dict"):
        viz.plot_gradient_flow([1.0, 2.0])
    with pytest.raises(ValueError, match="no gradient norms"):
        viz.plot_gradient_flow({"a": []})


def test_ax_count_must_match_the_panels():
    norms = {"a": [1e-8, 1e-8], "b": [0.1, 0.2]}
    fig = Figure()
    one = fig.add_subplot()
    with pytest.raises(ValueError, match=r"draws 2 panel\(s\): pass ax= as a list of 2 Axes"):
        viz.plot_gradient_flow(norms, ax=one)
    with pytest.raises(ValueError, match=r"draws 1 panel\(s\): pass ax= as one Axes"):
        viz.plot_gradient_flow(norms, kind="bars", ax=[one, one])
    assert viz.plot_gradient_flow(norms, kind="bars", ax=one) is fig


def test_decision_boundary_regions_points_and_mistakes(trained):
    model, _, _, X, y = trained
    fig = viz.plot_decision_boundary(model, X, y, resolution=60)
    ax = fig.axes[0]
    from matplotlib.collections import PathCollection
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    predicted = nn.predict(model, X).argmax(axis=1)
    wrong = int((predicted != y).sum())
    assert sum(len(s.get_offsets()) for s in scatters[:2]) == len(X)
    if wrong:
        assert len(scatters[2].get_offsets()) == wrong
    assert f"accuracy {np.mean(predicted == y):.0%}" in ax.get_title()
    assert len(ax.collections) > len(scatters)               # filled regions + boundary line


def test_decision_boundary_threshold_for_single_output():
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    y = np.array([0, 1])
    model = nn.MLP(2, [1], seed=0)
    model.layers[0].neurons[0].w[0].data, model.layers[0].neurons[0].w[1].data = 1.0, 0.0
    fig = viz.plot_decision_boundary(model, X, y, threshold=0.0, resolution=20)
    assert "accuracy 100%" in fig.axes[0].get_title()
    fig = viz.plot_decision_boundary(model, X, y, threshold=5.0, resolution=20)
    assert "accuracy 50%" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="2-D inputs"):
        viz.plot_decision_boundary(model, np.ones((3, 3)), np.ones(3))


def test_descent_path_and_loss_surface():
    f = lambda a, b: 0.1 * a ** 2 + b ** 2   # noqa: E731 - works on Values and arrays
    sgd = viz.descent_path(f, (2.0, 1.0), nn.optim.SGD, steps=10, lr=0.5)
    assert sgd.shape == (11, 2)
    np.testing.assert_allclose(sgd[1], [2.0 - 0.5 * 0.4, 1.0 - 0.5 * 2.0])
    adam = viz.descent_path(f, (2.0, 1.0), nn.optim.Adam, steps=10, lr=0.1)
    fig = viz.plot_loss_surface(f, {"SGD": sgd, "Adam": adam}, minimum=(0, 0), resolution=50)
    ax = fig.axes[0]
    labels = [line.get_label() for line in _lines(ax)]
    assert labels == ["SGD (10 steps)", "Adam (10 steps)", "start", "minimum"]
    np.testing.assert_array_equal(_lines(ax)[0].get_xdata(), sgd[:, 0])
    assert len(ax.collections) >= 2                           # filled contours + lines


def test_descent_path_ends_when_it_diverges():
    f = lambda a, b: a ** 2 + b ** 2   # noqa: E731
    path = viz.descent_path(f, (1.0, 1.0), nn.optim.SGD, steps=2000, lr=1.5)
    assert 2 < len(path) < 2001
    assert np.isfinite(path).all()


def test_loss_surface_falls_back_to_pointwise_evaluation():
    import math

    def f(a, b):          # math.* needs floats: no vectorised evaluation
        return math.log(1 + float(a) ** 2) + float(b) ** 2

    fig = viz.plot_loss_surface(f, resolution=15, log=False)
    assert len(fig.axes[0].collections) >= 2


def test_lr_finder_plot_marks_the_suggestion():
    X, y = datasets.moons(40, seed=0)
    result = nn.lr_finder(nn.MLP(2, [8, 1], seed=0), nn.mse_loss, nn.optim.SGD, (X, y), steps=30)
    fig = viz.plot_lr_finder(result)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    vline = [line for line in _lines(ax) if line.get_label().startswith("suggested lr")]
    assert vline and vline[0].get_xdata()[0] == result.suggested_lr


def test_missing_matplotlib_gives_a_clear_message(monkeypatch, trained):
    _, hist, _, _, _ = trained
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"glassgrad\[plots\]"):
        viz.plot_learning_curves(hist)
