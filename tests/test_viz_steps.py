"""viz.backward_steps: one frame per node, gradients from local derivatives, HTML page."""
from __future__ import annotations

import re
import shutil

import pytest

import viz
from autograd import Value, topological_order
from viz_support import graphviz_pure, neuron


_NODE = re.compile(r"^\s*(n\d+) \[label=<(.*)>\]$", re.M)


def grads_in(source: str) -> dict:
    """node id -> the grad text shown (without 'so far')."""
    out = {}
    for name, label in _NODE.findall(source):
        m = re.search(r'(?:<FONT[^>]*>)?grad(?:</FONT>)?</TD><TD ALIGN="RIGHT">(?:<FONT[^>]*>)?'
                      r"([^<]*)", label)
        out[name] = m.group(1) if m else None
    return out


def test_one_frame_per_node_in_reverse_topological_order():
    o = neuron()
    steps = viz.backward_steps(o)
    nodes = topological_order(o)
    assert len(steps) == len(steps.frames) == len(nodes) == 10
    processed = [re.search(r"Backward step \d+ of 10: node (.*)", c[0]).group(1)
                 for c in steps.captions]
    expected = [n.label or "" for n in reversed(nodes)]
    assert [p.split(" ")[0] for p in processed] == [e or p.split(" ")[0]
                                                    for e, p in zip(expected, processed)]
    assert processed[0].startswith("o (the output")


def test_gradients_known_so_far():
    o = neuron()
    steps = viz.backward_steps(o)
    first = grads_in(steps.frames[0].source)
    # After processing o (n9): o is final, n (n8) got 1 - o² so far, the rest unknown.
    assert first["n9"] == "1.0000"
    assert first["n8"] == "0.5000 so far"
    assert all(first[f"n{k}"] == "?" for k in range(8))
    assert 'COLOR="#16a34a"' in steps.frames[0].source          # the node in focus


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


def test_final_frame_for_a_graph_with_reuse():
    a = Value(3.0, label="a")
    b = a * a + a
    b.label = "b"
    steps = viz.backward_steps(b)
    b.backward()
    assert grads_in(steps.frames[-1].source) == grads_in(viz.draw(b).source)
    assert grads_in(steps.frames[-1].source)["n0"] == "7.0000"   # 2a + 1


def test_captions_show_the_chain_rule_arithmetic():
    o = neuron()
    steps = viz.backward_steps(o)
    assert steps.captions[0][1] == "o = tanh(n): grad(n) += ∂o/∂n × grad(o) = 0.5 × 1 = 0.5"
    times = next(c for c in steps.captions if c[0].endswith("(×)") and "x1" in c[1])
    assert "grad(x1) += ∂#5/∂x1 × grad(#5) = -3 × 0.5 = -1.5" in times[1]
    leaf = steps.captions[-1]
    assert "is a leaf: its gradient is complete" in leaf[1]
    assert "Backward step 1 of 10" in steps.frames[0].source


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
    with pytest.raises(ValueError, match="max_frames=20"):
        viz.backward_steps(y, max_frames=20)
    with pytest.raises(TypeError, match="one output"):
        viz.backward_steps([y, x])


def test_html_page_is_self_contained(tmp_path):
    graphviz_pure()
    steps = viz.backward_steps(neuron())
    path = steps.save(tmp_path / "out" / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 10 and page.count('class="gg-frame"') == 10
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert 'type="range"' in page and "gg-prev" in page and "gg-next" in page
    assert "ArrowRight" in page
    # nothing fetched from the network: no external scripts, styles or images
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert "http" not in re.sub(r'xmlns(:xlink)?="http[^"]*"', "", page)
    assert "Backward step 10 of 10" in page
    assert steps._repr_html_().count("<svg") == 10


def test_numbered_frames_in_a_folder(tmp_path):
    graphviz_pure()
    steps = viz.backward_steps(neuron())
    folder = steps.save(tmp_path / "frames")
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"step_{k:03d}.svg" for k in range(1, 11)]
    steps.save(tmp_path / "png", format="png")
    assert (tmp_path / "png" / "step_001.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="folder"):
        steps.save(tmp_path / "one.svg")


_FAKE_DOM = """
const frames = Array.from({length: __N__}, () => ({style: {display: "?"}}));
const el = (name) => ({name, onclick: null});
const prev = el("prev"), next = el("next");
const slider = {value: 0, oninput: null}, pos = {textContent: ""};
const root = {querySelectorAll: () => frames,
  querySelector: (s) => ({input: slider, ".gg-pos": pos, ".gg-prev": prev, ".gg-next": next})[s]};
global.document = {getElementById: () => root};
SCRIPT
const shown = () => frames.findIndex(f => f.style.display === "block");
const log = [shown(), pos.textContent];
next.onclick(); next.onclick(); log.push(shown());
prev.onclick(); log.push(shown());
slider.value = String(__N__ - 1); slider.oninput(); log.push(shown(), pos.textContent);
next.onclick(); log.push(shown());
root.onkeydown({key: "ArrowLeft"}); log.push(shown());
console.log(JSON.stringify(log));
"""


def test_page_script_steps_through_the_frames(tmp_path):
    """Run the page's script under node with a tiny fake DOM (skipped without node)."""
    import json
    import subprocess
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    graphviz_pure()
    page = viz.backward_steps(neuron()).html()
    script = page[page.index("<script>") + 8:page.index("</script>")]
    program = _FAKE_DOM.replace("__N__", "10").replace("SCRIPT", script)
    (tmp_path / "t.js").write_text(program, encoding="utf-8")
    done = subprocess.run([node, str(tmp_path / "t.js")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [0, "1 / 10", 2, 1, 9, "10 / 10", 9, 8]
