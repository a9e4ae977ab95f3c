"""viz.backward_steps: frames (the seed, then one per op), gradients from local derivatives,
the frame rules, and the page that lays the graph out once."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

import viz
from autograd import Value, topological_order
from viz import theme
from viz_support import graphviz_pure, neuron

_NODE = re.compile(r"^\s*(n\d+) \[label=<(.*)>\]$", re.M)


def grads_in(source: str, row: str = "grad") -> dict:
    """node id -> the text of its grad row (with 'so far' when there), or of another row
    (`row="ẋ"`: a forward-mode drawing's tangent)."""
    out = {}
    for name, label in _NODE.findall(source):
        m = re.search(rf'(?:<FONT[^>]*>)?{row}(?:</FONT>)?</TD><TD ALIGN="RIGHT">'
                      r"(?:<FONT[^>]*>)?([^<]*)", label)
        out[name] = m.group(1) if m else None
    return out


def looks_in(source: str, row: str = "grad") -> dict:
    """node id -> (fill, frame colour, frame width, grad text) as the DOT draws it (the
    text of another row with `row=`: "ẋ" in a forward-mode drawing)."""
    out = {}
    for name, label in _NODE.findall(source):
        table = re.search(r'<TABLE BORDER="(\d+)"[^>]*BGCOLOR="([^"]*)" COLOR="([^"]*)"', label)
        out[name] = (table.group(2), table.group(3), int(table.group(1)),
                     grads_in(f"  {name} [label=<{label}>]", row)[name])
    return out


def focus_of(steps, k: int) -> int:
    return steps.steps[k].focus


# ---- the frames ---------------------------------------------------------------------------

def test_the_seed_then_one_frame_per_op_in_reverse_topological_order():
    o = neuron()
    steps = viz.backward_steps(o)
    nodes = topological_order(o)
    ops = [i for i in reversed(range(len(nodes))) if nodes[i].parents]
    assert len(steps) == len(steps.frames) == 1 + len(ops) == 6    # no frame for a leaf
    assert [focus_of(steps, k) for k in range(len(steps))] == [-1] + ops
    assert steps.captions[0][0].startswith("Start: grad(o) = 1.0000, the seed")
    assert steps.captions[1][0] == "Step 1: node o (frame 2 of 6)"
    assert steps.captions[2][0] == "Step 2: node n (frame 3 of 6)"


def test_not_reached_is_neutral_and_a_gradient_is_final_once_its_uses_are_done():
    o = neuron()
    steps = viz.backward_steps(o)
    seed = looks_in(steps.frames[0].source)
    assert seed["n9"][3] == "1.0000"
    unknown = {name: look for name, look in seed.items() if name != "n9"}
    assert all(look[3] == "?" for look in unknown.values())
    # grey, never the light blue of an input (which would read as a small positive grad)
    assert {look[0] for look in unknown.values()} == {theme.UNKNOWN_STYLE[0]}
    assert theme.INPUT_FILL not in steps.frames[0].source
    after_o = grads_in(steps.frames[1].source)
    assert after_o["n8"] == "0.5000"             # n's only use (tanh) is done: final at once
    after_times = grads_in(steps.frames[5].source)
    assert after_times["n0"] == "-1.5000" and after_times["n2"] == "1.0000"   # x1, w1: final
    assert not any("so far" in g for g in after_times.values())
    focused = [name for name, look in looks_in(steps.frames[5].source).items()
               if look[1] == theme.FOCUS]
    assert focused == ["n5"]                                  # the node in focus: green frame
    assert not [name for name, look in seed.items() if look[1] == theme.FOCUS]   # the seed


def test_so_far_until_every_use_is_processed():
    a = Value(3.0, label="a")
    b = a * a + a
    b.label = "b"
    steps = viz.backward_steps(b)
    assert len(steps) == 3                       # the seed, +, ×
    assert grads_in(steps.frames[1].source)["n0"] == "1.0000 so far"     # + done, × not yet
    assert grads_in(steps.frames[1].source)["n1"] == "1.0000"
    assert grads_in(steps.frames[2].source)["n0"] == "7.0000"            # 2a + 1, final
    assert not any("so far" in g for g in grads_in(steps.frames[2].source).values())


def test_final_frame_equals_the_full_drawing_and_user_grads_untouched():
    o = neuron()
    nodes = topological_order(o)
    for k, node in enumerate(nodes):
        node.grad = 100.0 + k                                    # sentinels
    steps = viz.backward_steps(o)
    assert [n.grad for n in nodes] == [100.0 + k for k in range(len(nodes))]
    fresh = neuron()
    fresh.backward()
    full = grads_in(viz.draw(fresh).source)
    assert grads_in(steps.frames[-1].source) == full
    assert all(g != "?" and "so far" not in g for g in grads_in(steps.frames[-1].source).values())


def test_captions_show_the_chain_rule_arithmetic():
    o = neuron()
    steps = viz.backward_steps(o)
    assert steps.captions[1][1] == "o = tanh(n): grad(n) += ∂o/∂n × grad(o) = 0.5 × 1 = 0.5"
    times = next(c for c in steps.captions if c[0].endswith("(×) (frame 6 of 6)"))
    assert "grad(x1) += ∂#5/∂x1 × grad(#5) = -3 × 0.5 = -1.5" in times[1]
    assert steps.captions[-1][-1] == "Done: every gradient is final, the same numbers as backward()."
    assert "Step 1: node o" in steps.frames[1].source


def test_a_node_no_gradient_reaches_ends_at_zero_like_backward():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    z = (x * y).relu() * 0.0 + x
    z.label = "z"
    steps = viz.backward_steps(z)
    z.backward()
    assert grads_in(steps.frames[-1].source) == grads_in(viz.draw(z).source)


def test_title_and_draw_options_pass_through():
    steps = viz.backward_steps(neuron(), title="lecture", rankdir="TB", merge_ops=True)
    assert "<B>lecture</B>" not in steps.frames[0].source     # a caption line, not bold
    assert "lecture" in steps.frames[0].source
    assert "rankdir=TB" in steps.frames[0].source and "_op" not in steps.frames[0].source
    with pytest.raises(TypeError, match="collapse"):
        viz.backward_steps(neuron(), collapse=1)


def test_limits_and_errors():
    x = Value(1.0)
    y = x
    for _ in range(30):
        y = y + 1
    with pytest.raises(viz.TooManyFrames, match="31 frames, over max_frames=20") as err:
        viz.backward_steps(y, max_frames=20)
    assert (err.value.frames, err.value.limit) == (31, 20)
    assert isinstance(err.value, ValueError)
    assert len(viz.backward_steps(y, max_frames=31)) == 31
    with pytest.raises(ValueError, match="max_frames must be an integer"):
        viz.backward_steps(y, max_frames=0)
    with pytest.raises(TypeError, match="one output"):
        viz.backward_steps([y, x])
    with pytest.raises(IndexError):
        viz.backward_steps(y, max_frames=31).frames[31]


# ---- the page: one layout, a small table of looks per frame ---------------------------------

def mlp_loss(sizes: list):
    nn = pytest.importorskip("nn")
    model = nn.MLP(3, sizes, fused=False, seed=0)
    return (model([Value(0.5, label="x0"), Value(-1.0, label="x1"),
                   Value(2.0, label="x2")]) - 1.0) ** 2


def test_page_is_one_self_contained_svg(tmp_path):
    graphviz_pure()
    steps = viz.backward_steps(neuron())
    path = steps.save(tmp_path / "out" / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 1                         # laid out once, not once a frame
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert 'type="range"' in page and "gg-prev" in page and "gg-next" in page
    assert "ArrowRight" in page and "window.glassgrad" in page
    # nothing fetched from the network: no external scripts, styles or images
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert "http" not in re.sub(r'xmlns(:xlink)?="http[^"]*"', "", page)
    assert not re.search(r'\sid="(node|edge|graph|clust)\d+"', page)   # no repeated ids
    nodes = topological_order(neuron())
    for i, node in enumerate(nodes):
        assert f'data-node-id="{i}" data-label="{node.label or f"#{i}"}"' in page
    data = json.loads(page.split('class="gg-data">')[1].split("</script>")[0])
    assert len(data["frames"]) == 6 and data["frames"][0]["set"] == []
    assert [n["label"] for n in data["nodes"]] == [n.label for n in nodes]
    assert data["nodes"][-1]["grad"] == 1.0 and data["nodes"][0]["grad"] == pytest.approx(-1.5)
    html = steps._repr_html_()
    assert html.count("<svg") == 1 and 'id="glassgrad-steps-' in html
    assert steps._repr_html_() != html                     # each display its own id


def test_a_100_node_page_is_small(tmp_path):
    graphviz_pure()
    loss = mlp_loss([4, 4, 1])
    n = len(topological_order(loss))
    assert 100 <= n <= 130
    steps = viz.backward_steps(loss)
    started = time.perf_counter()
    page = steps.save(tmp_path / "steps.html").read_bytes()
    assert len(page) <= 200_000 * n / 100, len(page)       # the target: 200 KB per 100 nodes
    assert time.perf_counter() - started < 20              # (1 s on a quiet machine: bench_viz)


def test_numbered_frames_in_a_folder(tmp_path):
    graphviz_pure()
    steps = viz.backward_steps(neuron())
    folder = steps.save(tmp_path / "frames")
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"step_{k:03d}.svg" for k in range(1, 7)]
    steps.save(tmp_path / "png", format="png")
    assert (tmp_path / "png" / "step_001.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="folder"):
        steps.save(tmp_path / "one.svg")


# ---- the page's script, run under node on the page's own SVG -------------------------------

_FAKE_DOM = r"""
class El {
  constructor(j) { this.tag = j.tag; this.attrs = j.attrs || {}; this.text = j.text || "";
    this.children = (j.children || []).map(c => new El(c)); this.onclick = null; }
  get tagName() { return this.tag.toUpperCase(); }
  getAttribute(n) { return n in this.attrs ? this.attrs[n] : null; }
  setAttribute(n, v) { this.attrs[n] = String(v); }
  hasAttribute(n) { return n in this.attrs; }
  removeAttribute(n) { delete this.attrs[n]; }
  get textContent() { return this.text + this.children.map(c => c.textContent).join(""); }
  set textContent(v) { this.text = String(v); this.children = []; }
  appendChild(c) { this.children.push(c); }
  matches(sel) {
    return sel.split(",").some(s => {
      const m = s.trim().match(/^(\w+)?((?:\.[\w-]+)*)(?:\[([\w-]+)\])?$/);
      const classes = (this.attrs["class"] || "").split(/\s+/);
      return (!m[1] || m[1] === this.tag) && (!m[3] || m[3] in this.attrs) &&
        m[2].split(".").filter(Boolean).every(c => classes.includes(c));
    });
  }
  querySelectorAll(sel) { const out = [];
    const walk = e => e.children.forEach(c => { if (c.matches(sel)) out.push(c); walk(c); });
    walk(this); return out; }
  querySelector(sel) { return this.querySelectorAll(sel)[0] || null; }
}
const root = new El(TREE);
global.document = {getElementById: () => root, createElement: t => new El({tag: t})};
SCRIPT
const api = root.glassgrad, out = [];
for (let k = 0; k < api.frames(); k++) {
  api.backwardStep(k);
  const shown = {};
  root.querySelectorAll(".gg-node").forEach(g => {
    if (g.hasAttribute("data-copy")) return;
    const box = g.querySelector(".gg-box"), pen = g.querySelector(".gg-pen");
    const t = g.querySelector(".gg-grad");
    shown["n" + g.getAttribute("data-node-id")] = [box.getAttribute("fill"),
      pen.getAttribute("stroke"), +pen.getAttribute("stroke-width"), t ? t.textContent : null];
  });
  out.push({frame: api.frame(), shown, caption: root.querySelector(".gg-caption").textContent});
}
api.backwardStep(999); out.push(api.frame());
console.log(JSON.stringify(out));
"""


def _tree(element: ET.Element) -> dict:
    tag = element.tag.split("}")[-1]
    return {"tag": tag, "attrs": dict(element.attrib), "text": (element.text or "").strip(),
            "children": [_tree(c) for c in element]}


def _widget_tree(widget: str) -> dict:
    """The widget as the fake DOM's JSON: controls, caption, the SVG, the data."""
    svg = widget[widget.index("<svg"):widget.index("</svg>") + 6]
    data = widget.split('class="gg-data">')[1].split("</script>")[0]
    control = [{"tag": "input", "attrs": {"type": "range", "class": "gg-slider"}},
               {"tag": "span", "attrs": {"class": "gg-pos"}},
               {"tag": "button", "attrs": {"class": "gg-prev"}},
               {"tag": "button", "attrs": {"class": "gg-next"}},
               {"tag": "div", "attrs": {"class": "gg-caption"}}]
    return {"tag": "div", "attrs": {"class": "gg-steps"}, "children": control + [
        {"tag": "div", "attrs": {"class": "gg-graph"}, "children": [_tree(ET.fromstring(svg))]},
        {"tag": "script", "attrs": {"class": "gg-data"}, "text": data}]}


@pytest.mark.parametrize("mode", ["backward", "forward"])
@pytest.mark.parametrize("graph", ["neuron", "reuse", "mlp"])
def test_page_script_shows_every_frame_as_its_drawing(tmp_path, graph, mode):
    """Each frame the page's script shows (fills, frames, grad texts) is the frame's own
    drawing (`steps.frames[k]`); run under node on a small DOM built from the page. The
    forward-mode film (viz.forward_steps, issue 14) runs on the same page script."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    graphviz_pure()
    if graph == "neuron":
        root = neuron()
    elif graph == "reuse":
        x = Value(1.01, label="x")
        root = x
        for _ in range(11):
            root = root * x                   # x drawn again beside its far uses
    else:
        root = mlp_loss([3, 1])
    if mode == "backward":
        steps = viz.backward_steps(root)
    else:
        steps = viz.forward_steps(root, topological_order(root)[0], 1.0)
    widget = steps.widget("w")
    script = widget.split("<script>")[1].split("</script>")[0]
    program = _FAKE_DOM.replace("TREE", json.dumps(_widget_tree(widget))).replace(
        "SCRIPT", script)
    (tmp_path / "t.js").write_text(program, encoding="utf-8")
    done = subprocess.run([node, str(tmp_path / "t.js")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown[-1] == len(steps) - 1                     # steps past the end stop there
    for k, frame in enumerate(shown[:-1]):
        assert frame["frame"] == k
        expected = looks_in(steps.frames[k].source, "grad" if mode == "backward" else "ẋ")
        assert frame["shown"] == {name: list(look) for name, look in expected.items()}, k
        assert frame["caption"] == "".join(steps.captions[k])
    if graph == "reuse":
        assert 'data-copy="1"' in widget


def test_draw_options_are_checked_when_the_steps_are_made():
    with pytest.raises(TypeError):
        viz.backward_steps(neuron(), colour=True)
    with pytest.raises(ValueError, match="rankdir"):
        viz.backward_steps(neuron(), rankdir="XY")
