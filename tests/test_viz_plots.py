"""Plot fixes of issue 10: the gradient-flow labels never collide with the layer legend,
and the decision boundary's title says which points its accuracy is on."""
from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import nn  # noqa: E402
import viz  # noqa: E402


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("layers", [3, 12])
def test_gradient_flow_threshold_labels_stay_clear_of_the_legend(layers):
    rng = np.random.default_rng(0)
    norms = {f"{k}:Linear": list(10.0 ** rng.uniform(-4, 1, size=20)) for k in range(layers)}
    fig = viz.plot_gradient_flow(norms)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    lines_ax, bars_ax = fig.axes
    legend = lines_ax.get_legend().get_window_extent(renderer)
    for ax in (lines_ax, bars_ax):
        labels = [t for t in ax.texts if t.get_text().startswith(("vanishing", "exploding"))]
        assert [t.get_text() for t in labels] == ["vanishing < 1e-06", "exploding > 1000"]
        box = ax.get_window_extent(renderer)
        for text in labels:
            extent = text.get_window_extent(renderer)
            assert not _overlap(extent, legend), text.get_text()
            assert box.x0 <= extent.x0 and extent.x1 <= box.x1 + 1     # inside the axes
    # each label sits in its band: above the exploding line, below the vanishing one
    (vanish, explode) = [t for t in lines_ax.texts]
    assert vanish.get_position()[1] < viz.VANISHING < viz.EXPLODING < explode.get_position()[1]


@pytest.fixture(scope="module")
def model_and_data():
    X, y = nn.datasets.moons(80, noise=0.2, seed=0)
    model = nn.MLP(2, [8, 2], seed=0)
    nn.fit(model, nn.cross_entropy, nn.optim.Adam(model.parameters(), lr=0.05), (X, y),
           epochs=5, progress=False)
    return model, X, y


def test_decision_boundary_title_says_which_points(model_and_data):
    model, X, y = model_and_data
    accuracy = np.mean(nn.predict(model, X).argmax(axis=1) == y)
    title = viz.plot_decision_boundary(model, X, y, resolution=30).axes[0].get_title()
    assert title == f"Decision boundary (accuracy {accuracy:.0%} on these 80 points)"
    title = viz.plot_decision_boundary(model, X[:40], y[:40], resolution=30,
                                       split="validation").axes[0].get_title()
    val = np.mean(nn.predict(model, X[:40]).argmax(axis=1) == y[:40])
    assert title == f"Decision boundary (validation accuracy {val:.0%})"
    assert viz.plot_decision_boundary(model, X, y, resolution=30, title="mine",
                                      split="validation").axes[0].get_title() == "mine"
