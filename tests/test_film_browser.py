"""The film page and the backward-steps page in headless Chromium: the scrubber repaints
the modules (and every node of a small scalar net) with the recorded numbers, moves the
loss marker; no errors, no network."""
from __future__ import annotations

import numpy as np
import pytest

import nn
import viz
from browser_support import opened
from nn import datasets
from viz import theme
from viz.text import fmt
from viz_support import graphviz_pure, neuron

pytestmark = pytest.mark.usefixtures("browser")


def open_page(browser, path):
    graphviz_pure()
    return opened(browser, path)


def module_boxes(p):
    return p.js("""() => [...document.querySelectorAll('.gg-modules .gg-node')].map(g =>
        [g.getAttribute('data-label'), g.querySelector('.gg-box').getAttribute('fill'),
         (g.querySelector('.gg-grad') || {}).textContent || null,
         g.querySelector('.gg-pen').getAttribute('stroke-dasharray')])""")


def test_the_scrubber_repaints_the_modules_with_the_recorded_norms(browser, tmp_path):
    """Gradients set by hand: vanishing, ordinary, exploding: the box of each frame has the
    drawings' colour for its norm, and the loss marker follows the curve."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    film = viz.Film()
    for k, scale in enumerate([1e-9, 0.5, 1e5]):
        for p in model.parameters():
            p.raw_grad = np.full(p.raw_data.shape, scale, dtype=p.raw_data.dtype)
        film.record(model, 1.0 / (k + 1))
    p = open_page(browser, film.save(tmp_path / "film.html"))
    assert p.js("window.glassgrad.frames()") == 3
    seen = []
    for k in range(3):
        assert p.js(f"window.glassgrad.frame({k})") == k
        boxes = module_boxes(p)
        seen.append(boxes)
        for (label, fill, text, dashes), name in zip(boxes, film.modules):
            norm = film.norms[name][k]
            assert label == name and text == f"norm {fmt(norm)}"
            assert fill == theme.grad_style(norm, "positive").fill
            assert (dashes == "5,2") == (norm < theme.VANISHING)
        assert [n["grad"] for n in p.js("window.glassgrad.nodes()")] == pytest.approx(
            [film.norms[m][k] for m in film.modules])
        marker = p.js("[+document.querySelector('.gg-marker').getAttribute('cx'),"
                      " +document.querySelector('.gg-marker').getAttribute('cy')]")
        assert marker == pytest.approx(film._curve()[1][k])
        caption = p.page.inner_text(".gg-film .gg-caption")
        assert caption.startswith(f"Step {k + 1} (frame {k + 1} of 3): loss {fmt(1 / (k + 1))}")
    assert seen[0] != seen[1] != seen[2]
    for k, verdict in ((0, "vanishing"), (2, "exploding")):
        p.js(f"window.glassgrad.frame({k})")
        lines = p.page.inner_text(".gg-film .gg-caption").splitlines()
        assert lines[1] == f"{verdict.capitalize()} gradients in 0, 2"
    p.page.focus(".gg-film")
    p.page.keyboard.press("ArrowLeft")
    assert p.js("window.glassgrad.frame()") == 1
    assert p.js("window.glassgrad.losses()") == [1.0, 0.5, 1 / 3]
    assert p.errors == [] and p.requests == []
    p.close()


def test_every_node_of_a_small_scalar_net_follows_the_scrubber(browser, tmp_path):
    X, y = datasets.xor()
    model = nn.MLP(2, [2, 1], activation="tanh", seed=0)
    film = viz.Film()
    nn.fit(model, nn.mse_loss, nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=3,
           callbacks=[film], progress=False)
    p = open_page(browser, film.save(tmp_path / "film.html"))
    for k in (0, 2):
        p.js(f"window.glassgrad.frame({k})")
        texts = p.js("""() => Object.fromEntries([...document.querySelectorAll(
            '.gg-nodes .gg-node:not([data-copy])')].map(g => [g.getAttribute('data-node-id'),
            g.querySelector('.gg-grad').textContent]))""")
        for i, text in texts.items():
            assert text == fmt(film.node_grads[k][int(i)]), (k, i)
    assert p.errors == [] and p.requests == []
    p.close()


def test_the_backward_steps_page_steps_in_the_browser(browser, tmp_path):
    steps = viz.backward_steps(neuron())
    p = open_page(browser, steps.save(tmp_path / "steps.html"))
    first = p.js("[...document.querySelectorAll('.gg-box')].map(b => b.getAttribute('fill'))")
    p.page.focus(".gg-steps")
    for _ in range(len(steps)):
        p.page.keyboard.press("ArrowRight")
    assert p.js("window.glassgrad.frame()") == len(steps) - 1
    last = p.js("[...document.querySelectorAll('.gg-box')].map(b => b.getAttribute('fill'))")
    assert first != last and theme.UNKNOWN_STYLE[0] in first
    assert p.page.inner_text(".gg-caption").splitlines() == steps.captions[-1]
    assert p.errors == [] and p.requests == []
    p.close()
