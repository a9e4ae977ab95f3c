"""viz.explore on the Python side: the page it writes (offline, every node addressable, small),
the options and their errors, graphs of other engines through the node protocol, and the
`glassgrad explore` command. The page's behaviour is tested in Chromium
(test_explore_browser.py) and its engine under node (test_explore_engine.py)."""
from __future__ import annotations

import json
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import viz
from autograd import Tensor, Value, topological_order
from autograd.graph import Node, next_seq
from viz_support import graphviz_pure, neuron


def page_data(page: str) -> dict:
    return json.loads(page.split('class="gg-data">')[1].split("</script>")[0])


def test_the_page_is_one_offline_file_with_every_node_addressable(tmp_path):
    graphviz_pure()
    o = neuron()
    path = viz.explore(o, title="a neuron").save(tmp_path / "sub" / "graph.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>a neuron</title>" in page
    assert page.count("<svg") == 1
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)
    assert not re.search(r"url\(|@import|fetch\(|XMLHttpRequest", page)
    # the only URLs are XML namespace names, which are never fetched
    assert set(re.findall(r"https?://[^\s\"')]+", page)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    for i, node in enumerate(topological_order(o)):
        assert f'data-node-id="{i}" data-label="{node.label or f"#{i}"}"' in page
    assert "function explorer(root)" in page and "window.glassgrad=" in page
    data = page_data(page)
    assert data["live"]["rule"][-1] == "tanh" and data["stepper"] is True
    assert [n["name"] for n in data["nodes"]][5] == "#5"


def test_jupyter_display_is_isolated_per_widget():
    graphviz_pure()
    page = viz.explore(neuron())
    first, second = page._repr_html_(), page._repr_html_()
    ids = re.findall(r'id="(glassgrad-explorer-[0-9a-f]+)"', first + second)
    assert len(ids) == 2 and ids[0] != ids[1]
    assert first.startswith("<style>") and "(function(){" in first
    assert "window.glassgrad" not in first          # a notebook page has no global API


def test_live_graphs_and_frames():
    graphviz_pure()
    page = viz.explore(neuron())
    assert page.live and page.frames == 6 and "live scalar graph" in repr(page)
    W = Tensor([[1.0, 2.0]], requires_grad=True)
    y = (W * 3.0).sum()
    tensor_page = viz.explore(y)
    assert not tensor_page.live and tensor_page.frames == 3


def test_a_custom_op_turns_what_if_off_but_keeps_the_page():
    """A custom op's derivative is the user's Python code, which the page cannot run: the
    graph is drawn and stepped, but its leaves are not editable."""
    from autograd import Function

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    graphviz_pure()
    x = Value(2.0, label="x")
    y = (Cube.apply(x) + x).tanh()
    y.backward()
    page = viz.explore(y)
    assert not page.live and page.frames == 4
    assert viz.explore((x ** 3 + x).tanh()).live      # the same graph with a built-in op


def test_the_gradients_shown_are_one_backward_pass_whatever_grad_holds():
    graphviz_pure()
    x = Value(2.0, label="x")
    y = x * x
    y.backward()
    y.backward()                          # leaves accumulate: x.grad is now 8
    data = page_data(viz.explore(y).html())
    assert data["nodes"][0]["grad"] == 4.0 and x.grad == 8.0


def test_a_100_node_page_is_small_and_quick(tmp_path):
    graphviz_pure()
    nn = pytest.importorskip("nn")
    model = nn.MLP(3, [4, 4, 1], fused=False, seed=0)
    loss = (model([Value(0.5, label="x0"), Value(-1.0, label="x1"),
                   Value(2.0, label="x2")]) - 1.0) ** 2
    n = len(topological_order(loss))
    assert 100 <= n <= 130
    started = time.perf_counter()
    page = viz.explore(loss).save(tmp_path / "graph.html").read_bytes()
    assert len(page) <= 300_000 * n / 100, len(page)      # the budget: 300 KB per 100 nodes
    assert time.perf_counter() - started < 20              # (< 1 s quiet: bench_explore)
    data = page_data(page.decode("utf-8"))
    assert sum(node["param"] for node in data["nodes"]) == len(model.parameters())


def test_options_and_their_errors(tmp_path):
    graphviz_pure()
    o = neuron()
    with pytest.raises(TypeError, match="one output node"):
        viz.explore([o, o])
    with pytest.raises(TypeError, match="Value or Tensor"):
        viz.explore(3.0)
    with pytest.raises(ValueError, match="must be one number .* got shape \\(2,\\)"):
        viz.explore(Tensor([1.0, 2.0], requires_grad=True) * 2)
    with pytest.raises(ValueError, match="max_frames must be an integer"):
        viz.explore(o, max_frames=0)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        viz.explore(o, lr=-1)
    with pytest.raises(TypeError, match="highlight= is not available"):
        viz.explore(o, highlight="w1")
    with pytest.raises(ValueError, match="rankdir"):
        viz.explore(o, rankdir="XY")
    with pytest.raises(TypeError):
        viz.explore(o, colour=True)
    with pytest.raises(ValueError, match="no leaf labelled 'w9'; leaves: 'b', 'w1'"):
        viz.explore(o, params=["w9"])
    with pytest.raises(ValueError, match="n is computed by an op"):
        viz.explore(o, params=[o.parents[0]])
    with pytest.raises(ValueError, match="not part of this graph"):
        viz.explore(o, params=[Value(1.0)])
    with pytest.raises(ValueError, match="ending in .html"):
        viz.explore(o).save(tmp_path / "graph.svg")
    few = page_data(viz.explore(o, max_frames=3).html())
    assert few["stepper"] is False and "takes 6 frames, over max_frames=3" in few["note"]
    marked = page_data(viz.explore(o, params="w1", rankdir="TB").html())
    assert [n["label"] for n in marked["nodes"] if n["param"]] == ["w1"]


class ForeignNode(Node):
    """A node of another engine that speaks only the node protocol (data, grad, parents,
    op, label; numbers through raw_data/raw_grad): no rule table, no backward hooks."""

    __slots__ = ("data", "grad", "label", "_parents", "_op", "_arg", "_seq", "_mark", "_scope")

    def __init__(self, data, parents=(), op="", label="", grad=None):
        self.data, self.grad, self.label = np.asarray(data, dtype=float), grad, label
        self._parents, self._op, self._arg = tuple(parents), op, None
        self._seq, self._mark, self._scope = next_seq(), None, None


def test_a_graph_of_another_engine_plugs_in_through_the_node_protocol():
    graphviz_pure()
    a = ForeignNode([1.0, -2.0, 3.0], label="a", grad=np.array([0.5, 0.5, 0.5]))
    out = ForeignNode(2.0, [a], "sum", "out", grad=np.array(1.0))
    data = page_data(viz.explore(out).html())
    assert "live" not in data and data["stepper"] is False
    assert data["nodes"][0]["tensor"]["shape"] == [3]
    assert data["nodes"][0]["tensor"]["gradNorm"] == pytest.approx(np.sqrt(0.75))
    fresh = ForeignNode([1.0], label="a")
    with pytest.warns(viz.NoBackwardWarning, match="explore: backward\\(\\) has not been"):
        viz.explore(ForeignNode(1.0, [fresh], "sum", "out"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        viz.explore(neuron())                 # a Value graph: the page computes its grads


# ---- glassgrad explore ---------------------------------------------------------------------

def run_cli(*args: str, code: int = 0):
    from click.testing import CliRunner

    import cli
    result = CliRunner().invoke(cli.main, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result


def test_the_cli_writes_the_same_page(tmp_path: Path):
    graphviz_pure()
    out = tmp_path / "graph.html"
    result = run_cli("explore", "h = x*w + b; y = tanh(h)", "--at", "x=2,w=-3,b=6.88",
                     "--params", "w,b", "-o", str(out))
    assert f"wrote {out}" in result.output and "open it in a browser" in result.output
    data = page_data(out.read_text(encoding="utf-8"))
    assert [n["label"] for n in data["nodes"] if n["param"]] == ["w", "b"]
    assert data["nodes"][-1]["label"] == "y" and data["live"]["rule"][-1] == "tanh"
    run_cli("explore", "x*x*x*x", "--at", "x=1.5", "--max-frames", "2", "-o", str(out))
    assert "over --max-frames (now 2)" in page_data(out.read_text(encoding="utf-8"))["note"]


def test_cli_errors_are_one_line(tmp_path: Path):
    graphviz_pure()
    bad = run_cli("explore", "x*2", "--at", "x=1", "-o", str(tmp_path / "g.svg"), code=2)
    assert "an .html file" in bad.output
    unknown = run_cli("explore", "x*w", "--at", "x=1,w=2", "--params", "v",
                      "-o", str(tmp_path / "g.html"), code=2)
    assert "'--params': no variable 'v' in EXPR (its variables: x, w)" in unknown.output
    assert not (tmp_path / "g.html").exists()
