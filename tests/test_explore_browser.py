"""The explorer page in headless Chromium: hover, blame paths, what-if, descend, the
backward stepper, pan and zoom, two widgets on one page, no errors and no network."""
from __future__ import annotations

import io
import json
from typing import Any, Dict, List

import pytest

import viz
from autograd import Tensor, Value
from browser_support import opened
from viz import theme
from viz.draw import GraphView, _on_path
from viz.text import fmt, short
from viz_support import graphviz_pure, neuron

pytestmark = pytest.mark.usefixtures("browser")


@pytest.fixture
def page(browser, tmp_path):
    """Open an explorer of a root: page(root, **options) -> Opened."""
    graphviz_pure()
    made: List[Any] = []

    def open_(root: Any, **options: Any) -> Any:
        path = viz.explore(root, **options).save(tmp_path / f"e{len(made)}.html")
        made.append(opened(browser, path))
        return made[-1]

    yield open_
    for p in made:
        assert p.errors == [], p.errors          # no console errors on any page
        assert p.requests == [], p.requests      # and nothing fetched
        p.close()


def tip_of(p: Any, node_id: int) -> str:
    p.page.locator(f'.gg-node[data-node-id="{node_id}"]').first.hover()
    p.page.wait_for_selector(".gg-tip:not([hidden])")
    return p.page.inner_text(".gg-tip")


def pen_colors(p: Any) -> Dict[int, str]:
    return p.js("""() => Object.fromEntries([...document.querySelectorAll('.gg-node:not([data-copy])')]
        .map(g => [g.getAttribute('data-node-id'), g.querySelector('.gg-pen').getAttribute('stroke')]))""")


def edge_colors(p: Any) -> List[list]:
    return p.js("""() => [...document.querySelectorAll('.edge[data-to]')].map(g =>
        [+g.getAttribute('data-from'), +g.getAttribute('data-to'),
         g.querySelector('path').getAttribute('stroke')])""")


def close(a: float, b: float, rtol: float = 1e-12) -> bool:
    return a == b or abs(a - b) <= rtol * max(abs(a), abs(b))


# ---- inspect ---------------------------------------------------------------------------------

def test_the_page_shows_pythons_numbers_and_hover_explains_each_op(page):
    o = neuron()
    p = page(o)
    nodes = GraphView(o).nodes
    shown = p.js("window.glassgrad.nodes()")
    o.backward()
    assert [n["label"] for n in shown] == [n.label for n in nodes]
    for got, node in zip(shown, nodes):
        assert close(got["data"], node.data) and close(got["grad"], node.grad)
    tip = tip_of(p, len(nodes) - 1)
    assert tip.splitlines()[:3] == ["o = tanh(n)", "data 0.7071", "grad 1.0000"]
    assert "∂o/∂n = 1 − tanh²(n) = 1 − 0.7071² = 0.5" in tip
    w1 = next(i for i, n in enumerate(nodes) if n.label == "w1")
    assert tip_of(p, w1).splitlines() == ["w1", "leaf", "data -3.0000", "grad 1.0000"]
    product = next(i for i, n in enumerate(nodes) if n.op == "*" and nodes[w1] in n.parents)
    tip = tip_of(p, product)
    assert tip.splitlines()[0] == "#5 = x1 × w1"
    assert "∂#5/∂x1 = w1 = -3" in tip and "∂#5/∂w1 = x1 = 2" in tip


def test_a_tensor_node_shows_shape_statistics_and_a_histogram(page):
    W = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], requires_grad=True)
    W.label = "W"
    y = (W * 2.0).tanh().sum()
    y.label = "y"
    y.backward()
    p = page(y)
    tip = tip_of(p, 0)
    data = W.raw_data
    assert f"shape (2, 3) {data.dtype}" in tip
    assert f"min -1 mean {short(float(data.mean()))} max 2" in tip
    norm = float((W.grad.raw_data ** 2).sum() ** 0.5)
    assert f"grad norm {fmt(norm)}" in tip
    assert p.js("document.querySelectorAll('.gg-tip .gg-hist rect').length") == 12
    with pytest.raises(Exception, match="setLeaf: Only graphs of scalar Values are recomputed in the page; this one holds tensors"):
        p.js("window.glassgrad.setLeaf('W', 1)")
    p.errors.clear()


# ---- blame -----------------------------------------------------------------------------------

def test_a_click_highlights_exactly_the_paths_to_the_output(page):
    a = Value(1.5, label="a")
    b = Value(-2.0, label="b")
    c = a * a + a * b
    c.label = "c"
    d = (c + a).tanh()
    d.label = "d"
    p = page(d)
    view = GraphView(d)
    ia = view.nodes.index(a)
    p.page.locator(f'.gg-node[data-node-id="{ia}"]').first.click()
    on, _ = _on_path(view, a)
    pens = pen_colors(p)
    assert {int(i) for i, c in pens.items() if c == theme.HIGHLIGHT} == \
        {i for i, flag in enumerate(on) if flag}
    for frm, to, color in edge_colors(p):
        assert (color == theme.HIGHLIGHT) == (on[frm] and on[to]), (frm, to)
    blame = p.js("window.glassgrad.select('a')")
    d.backward()
    assert blame["paths"] == 4                  # a*a twice, a*b, + a
    assert close(blame["sum"], a.grad) and close(blame["grad"], a.grad)
    text = p.page.inner_text(".gg-blame")
    assert text.startswith("grad(a) = Σ over 4 paths of Π edge derivatives")
    assert f"Σ = {fmt(a.grad)} = grad(a) ✓" in text
    p.page.keyboard.press("Escape")
    assert theme.HIGHLIGHT not in pen_colors(p).values()


# ---- what-if and descend ---------------------------------------------------------------------

def test_set_leaf_recomputes_what_python_computes(page):
    p = page(neuron())
    out = p.js("window.glassgrad.setLeaf('x2', 1.25)")
    # the graph again, from the new leaf (a Value graph does not recompute itself)
    x1, x2, w1, w2, b = (Value(v, label=k) for k, v in
                         [("x1", 2.0), ("x2", 1.25), ("w1", -3.0), ("w2", 1.0),
                          ("b", 6.8813735870195432)])
    n_ = x1 * w1 + x2 * w2 + b
    o = n_.tanh()
    o.backward()
    assert close(out, o.data)
    shown = p.js("window.glassgrad.nodes()")
    for got, node in zip(shown, GraphView(o).nodes):
        assert close(got["data"], node.data) and close(got["grad"], node.grad), node.label
    value_text = p.js("""() => document.querySelector('.gg-node[data-label="x2"] .gg-value').textContent""")
    assert value_text == "1.2500"
    assert tip_of(p, len(shown) - 1).splitlines()[1] == f"data {fmt(o.data)}"
    # the side panel's input does the same, as the number is typed
    field = p.page.get_by_label("value of x2")
    field.fill("0")
    assert close(p.js("window.glassgrad.nodes()")[-1]["data"], neuron().data)
    field.fill("-")                             # not a number yet: nothing changes
    assert close(p.js("window.glassgrad.nodes()")[-1]["data"], neuron().data)
    field.blur()
    assert field.input_value() == "0"
    with pytest.raises(Exception, match="setLeaf: n is computed by \\+; change a leaf"):
        p.js("window.glassgrad.setLeaf('n', 1)")
    with pytest.raises(Exception, match="no node labelled"):
        p.js("window.glassgrad.setLeaf('nope', 1)")
    p.errors.clear()


def test_a_domain_error_is_reported_and_changes_nothing(page):
    x = Value(2.0, label="x")
    y = (x.log() * 3).exp()
    y.label = "y"
    p = page(y)
    before = p.js("window.glassgrad.nodes()")
    with pytest.raises(Exception, match="log: operand must be > 0, got x = -1"):
        p.js("window.glassgrad.setLeaf('x', -1)")
    assert p.js("window.glassgrad.nodes()") == before
    assert p.page.inner_text(".gg-error").startswith("log: operand must be > 0")
    p.errors.clear()


def test_descend_lowers_a_regression_loss_by_p_minus_lr_grad(page):
    w, b = Value(0.3, label="w"), Value(-0.2, label="b")
    xs, ys = [0.0, 1.0, 2.0, 3.0], [1.0, 3.1, 4.9, 7.2]
    loss = sum(((w * x + b - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
    loss.label = "loss"
    p = page(loss, params=[w, b], lr=0.02)
    loss.backward()
    first = p.js("window.glassgrad.descend()")
    w2, b2 = w.data - 0.02 * w.grad, b.data - 0.02 * b.grad
    assert close(first, sum((w2 * x + b2 - y) ** 2 for x, y in zip(xs, ys)))
    losses = [first] + [p.js("window.glassgrad.descend(0.02)") for _ in range(5)]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert losses[-1] < 0.2 * loss.data
    history = p.page.inner_text(".gg-history").splitlines()
    assert len(history) == 7 and history[0] == f"step 0: loss {fmt(loss.data)}"
    p.page.click(".gg-reset")
    assert close(p.js("window.glassgrad.nodes()")[-1]["data"], loss.data)
    # the step button and the lr field do the same
    p.page.fill(".gg-descend input", "0.01")
    p.page.click(".gg-step")
    assert p.js("window.glassgrad.nodes()")[-1]["data"] < loss.data


def test_descend_without_parameters_says_what_to_do(page):
    p = page(neuron())
    with pytest.raises(Exception, match="no leaf is marked as a parameter"):
        p.js("window.glassgrad.descend(0.1)")
    assert p.js("window.glassgrad.params(['w1', 'w2'])") == [2, 3]
    p.js("window.glassgrad.descend(0.1)")
    p.errors.clear()


# ---- the backward stepper --------------------------------------------------------------------

def test_the_stepper_changes_colours_frame_by_frame_with_its_arithmetic(page):
    o = neuron()
    p = page(o)
    steps = viz.backward_steps(o)
    assert p.js("window.glassgrad.frames()") == len(steps)
    fills = []
    for k in range(len(steps)):
        assert p.js(f"window.glassgrad.backwardStep({k})") == k
        fills.append(p.js("""() => [...document.querySelectorAll('.gg-node:not([data-copy]) .gg-box')]
            .map(b => b.getAttribute('fill'))"""))
        assert p.page.inner_text(".gg-stepper .gg-caption").splitlines() == steps.captions[k]
    assert fills[0] != fills[-1]
    assert theme.UNKNOWN_STYLE[0] in fills[0] and theme.UNKNOWN_STYLE[0] not in fills[-1]
    p.page.focus(".gg-explorer")
    p.page.keyboard.press("ArrowLeft")
    assert p.js("window.glassgrad.frame()") == len(steps) - 2
    assert p.js("window.glassgrad.mode()") == "steps"
    assert p.js("window.glassgrad.live()") == "live"


# ---- pan and zoom, clean pages, two widgets --------------------------------------------------

def test_pan_and_zoom_move_the_view_and_a_drag_is_not_a_click(page):
    p = page(neuron())
    box = p.page.locator(".gg-view").bounding_box()
    start = p.js("window.glassgrad.view()")
    p.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    p.page.mouse.wheel(0, -400)
    zoomed = p.js("window.glassgrad.view()")
    assert zoomed[2] < start[2] and zoomed[3] < start[3]
    p.page.mouse.down()
    p.page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2 + 30)
    p.page.mouse.up()
    moved = p.js("window.glassgrad.view()")
    assert moved[0] < zoomed[0] and moved[2] == zoomed[2]
    assert theme.HIGHLIGHT not in pen_colors(p).values()      # the drag selected nothing
    p.page.click(".gg-fit")
    assert p.js("window.glassgrad.view()") == start


def test_two_explorers_on_one_page_do_not_interfere(browser, tmp_path):
    graphviz_pure()
    first, second = viz.explore(neuron()), viz.explore(neuron())
    body = first._repr_html_() + second._repr_html_()
    assert body.count('id="glassgrad-explorer-') == 2
    path = tmp_path / "two.html"
    path.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>" + body +
                    "<script>window.glassgrad = {ready: true};</script></body></html>",
                    encoding="utf-8")
    p = opened(browser, path)
    widgets = "[...document.querySelectorAll('.gg-explorer')]"
    p.js(f"{widgets}[0].glassgrad.setLeaf('x2', 3)")
    values = p.js(f"{widgets}.map(w => w.glassgrad.nodes()[1].data)")
    assert values == [3, 0]
    p.page.locator(".gg-explorer").nth(1).locator('.gg-node[data-label="o"]').hover()
    assert p.js("document.querySelectorAll('.gg-tip:not([hidden])').length") == 1
    assert p.errors == [] and p.requests == []
    p.close()


def test_a_widget_whose_script_runs_before_its_element_exists_still_starts(browser, tmp_path):
    """Some notebook front ends run an output's script before attaching the output."""
    graphviz_pure()
    widget = viz.explore(neuron())._repr_html_()
    code = widget[widget.rindex("<script>"):widget.rindex("</script>") + 9]
    late = widget.replace(code, "")
    path = tmp_path / "late.html"
    path.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>" + code +
                    "<div id='later'></div><script>setTimeout(function () {"
                    "document.getElementById('later').innerHTML = " +
                    json.dumps(late).replace("</", "<\\/") +
                    "; window.glassgrad = {ready: true};}, 100);</script></body></html>",
                    encoding="utf-8")
    p = opened(browser, path)
    p.page.wait_for_function("document.querySelector('.gg-explorer').glassgrad !== undefined")
    assert p.js("document.querySelector('.gg-explorer').glassgrad.setLeaf('x2', 2)") > 0.9
    assert p.errors == [] and p.requests == []
    p.close()


def long_chain(x: Value) -> Value:
    """About 2,500 nodes, one input used everywhere."""
    s = x
    for k in range(700):
        s = (s * 0.999 + x).tanh() if k % 2 else s + x * 0.001
    return s


def test_a_big_graph_folds_and_still_recomputes_in_the_page(page):
    s = long_chain(Value(0.5, label="x"))
    s.label = "out"
    p = page(s)
    assert p.js("window.glassgrad.frames()") == 0            # too many frames: no stepper
    assert "max_frames=200" in p.page.inner_text(".gg-stepper")
    life = p.js("window.glassgrad.view()")          # too big to read whole: life size
    p.page.click(".gg-fit")
    assert p.js("window.glassgrad.view()")[2] > 2 * life[2]
    out = p.js("window.glassgrad.setLeaf('x', 0.25)")
    assert close(out, long_chain(Value(0.25, label="x")).data)


def test_a_screenshot_is_not_blank(page, tmp_path):
    image = pytest.importorskip("PIL.Image")
    p = page(neuron())
    p.page.locator('.gg-node[data-label="w1"]').first.click()
    shot = p.page.screenshot()
    picture = image.open(io.BytesIO(shot)).convert("RGB")
    colours = picture.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50
    white = max(colours)[0] / (picture.width * picture.height)
    assert white < 0.9
