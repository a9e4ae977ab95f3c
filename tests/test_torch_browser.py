"""Pages of PyTorch runs in headless Chromium: the explorer of a traced module run and of a
scalar run, the backward-steps page of a tape, and the film of a PyTorch training loop.
No console errors and no network on any of them."""
from __future__ import annotations

import pytest

import viz
from browser_support import opened
from viz import theme
from viz.explore import fixed_because
from viz.text import fmt
from viz_support import graphviz_pure

torch = pytest.importorskip("torch", reason="PyTorch not installed")

from test_torch_explore import scalar_neuron, traced_mlp, untraced_mlp  # noqa: E402
from test_torch_film import deep_mlp, train  # noqa: E402

pytestmark = pytest.mark.usefixtures("browser")
tnn = torch.nn


@pytest.fixture
def page(browser, tmp_path):
    """Open a saved page: page(thing with .save) -> Opened; every page must stay clean."""
    graphviz_pure()
    made = []

    def open_(thing):
        made.append(opened(browser, thing.save(tmp_path / f"p{len(made)}.html")))
        return made[-1]

    yield open_
    for p in made:
        assert p.errors == [], p.errors
        assert p.requests == [], p.requests
        p.close()


def fills(p):
    return p.js("""() => [...document.querySelectorAll('.gg-node:not([data-copy]) .gg-box')]
        .map(b => b.getAttribute('fill'))""")


def test_a_traced_module_run_explores_with_pytorchs_numbers(page):
    tape, model, loss = traced_mlp()
    explorer = viz.explore(tape)
    p = page(explorer)
    view = explorer.view
    shown = p.js("window.glassgrad.nodes()")
    assert [n["label"] for n in shown] == [n.label for n in view.nodes]
    assert shown[-1]["data"] == pytest.approx(loss.item(), rel=1e-6)
    # Hover: a parameter's shape, dtype and gradient norm, as PyTorch has them.
    w = next(i for i, n in enumerate(view.nodes) if n.label == "0.weight")
    p.page.locator(f'.gg-node[data-node-id="{w}"]').first.hover()
    p.page.wait_for_selector(".gg-tip:not([hidden])")
    tip = p.page.inner_text(".gg-tip")
    assert "parameter" in tip and "shape (4, 3) float32" in tip
    assert f"grad norm {fmt(float(model[0].weight.grad.norm()))}" in tip
    # Blame: one path from the first layer's weight to the loss.
    blame = p.js("window.glassgrad.select('0.weight')")
    assert blame["paths"] == 1 and blame["sum"] is None
    assert p.page.inner_text(".gg-blame").startswith(
        "grad(0.weight) = Σ over 1 path of vector-Jacobian products")
    # The what-if is off, and the page says why.
    assert p.page.inner_text(".gg-fixed") == fixed_because(view)
    with pytest.raises(Exception, match="setLeaf: Only graphs of scalar Values"):
        p.js("window.glassgrad.setLeaf('x', 1)")
    p.errors.clear()
    # The backward steps: PyTorch's replayed VJPs, frame by frame.
    steps = viz.backward_steps(tape)
    assert p.js("window.glassgrad.frames()") == len(steps)
    seen = []
    for k in range(len(steps)):
        assert p.js(f"window.glassgrad.backwardStep({k})") == k
        assert p.page.inner_text(".gg-stepper .gg-caption").splitlines() == steps.captions[k]
        seen.append(fills(p))
    assert seen[0] != seen[-1] and theme.UNKNOWN_STYLE[0] in seen[0]


def test_a_scalar_pytorch_run_recomputes_in_the_page_like_pytorch(page):
    tape, leaves = scalar_neuron()
    p = page(viz.explore(tape, params=["w1", "w2", "b"]))
    assert p.page.query_selector(".gg-fixed") is None
    out = p.js("window.glassgrad.setLeaf('x2', 1.25)")
    again = {k: torch.tensor(1.25 if k == "x2" else v.item(), dtype=torch.float64,
                             requires_grad=True) for k, v in leaves.items()}
    o = (again["x1"] * again["w1"] + again["x2"] * again["w2"] + again["b"]).tanh()
    o.backward()
    assert out == pytest.approx(o.item(), rel=1e-12)
    shown = {n["label"]: n for n in p.js("window.glassgrad.nodes()") if n["label"]}
    for name, t in again.items():
        assert shown[name]["grad"] == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-15)
    # One step of descent from the recorded values: p <- p - lr * PyTorch's gradient.
    p.js("window.glassgrad.reset()")
    stepped = {k: torch.tensor(v.item() - (0.1 * v.grad.item() if k in ("w1", "w2", "b")
                                           else 0.0), dtype=torch.float64)
               for k, v in leaves.items()}
    expected = (stepped["x1"] * stepped["w1"] + stepped["x2"] * stepped["w2"]
                + stepped["b"]).tanh().item()
    assert p.js("window.glassgrad.descend(0.1)") == pytest.approx(expected, rel=1e-12)
    assert expected < tape.output.raw_data


def test_an_untraced_tensor_is_inspected_and_blamed_and_says_what_tracing_adds(page):
    model, loss = untraced_mlp()
    explorer = viz.explore(loss, params=model)
    p = page(explorer)
    assert p.page.inner_text(".gg-fixed") == explorer.fixed
    assert p.page.inner_text(".gg-stepper .gg-muted") == explorer.note
    assert p.js("window.glassgrad.frames()") == 0
    blame = p.js("window.glassgrad.select('0.weight')")
    assert blame["paths"] == 1
    unknown = next(i for i, n in enumerate(explorer.view.nodes) if n.raw_data is None)
    p.page.locator(f'.gg-node[data-node-id="{unknown}"]').first.hover()
    p.page.wait_for_selector(".gg-tip:not([hidden])")
    assert "data ? (not recorded)" in p.page.inner_text(".gg-tip")
    for call in ("setLeaf('0.bias', 1)", "backwardStep(1)"):
        with pytest.raises(Exception, match="viz.trace_torch"):
            p.js(f"window.glassgrad.{call}")
    p.errors.clear()


def test_the_steps_page_of_a_tape(page):
    tape, _, _ = traced_mlp()
    steps = viz.backward_steps(tape)
    p = page(steps)
    first = fills(p)
    p.page.focus(".gg-steps")
    for _ in range(len(steps)):
        p.page.keyboard.press("ArrowRight")
    assert p.js("window.glassgrad.frame()") == len(steps) - 1
    assert fills(p) != first
    assert p.page.inner_text(".gg-caption").splitlines() == steps.captions[-1]


def test_the_film_of_a_pytorch_loop_scrubs_from_vanishing_to_stalled(page):
    film = viz.Film(every=3)
    train(deep_mlp(tnn.Sigmoid), film, steps=9)
    p = page(film)
    assert p.js("window.glassgrad.frames()") == 3
    assert [n["label"] for n in p.js("window.glassgrad.nodes()")] == film.modules
    for k in range(3):
        assert p.js(f"window.glassgrad.frame({k})") == k
        boxes = p.js("""() => [...document.querySelectorAll('.gg-modules .gg-node')].map(g =>
            [g.getAttribute('data-label'), g.querySelector('.gg-box').getAttribute('fill'),
             g.querySelector('.gg-pen').getAttribute('stroke-dasharray')])""")
        for (label, fill, dashes), name in zip(boxes, film.modules):
            norm = film.norms[name][k]
            assert label == name and fill == theme.grad_style(norm, "positive").fill
            assert (dashes == "5,2") == (norm < theme.VANISHING)
        caption = p.page.inner_text(".gg-film .gg-caption").splitlines()
        assert caption[0] == f"Step {film.steps[k]} (frame {k + 1} of 3): loss {fmt(film.losses[k])}"
        assert caption[1].startswith("Vanishing gradients in 0, 2, 4")
    assert p.js("window.glassgrad.losses()") == pytest.approx(film.losses)
