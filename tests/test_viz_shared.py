"""Shared nodes drawn again beside far uses (viz/shared.py): what the copies show, that the
drawing stays truthful, and that no edge of the laid-out drawing spans many ranks (the
cause of graphviz stalls; times are measured in benchmarks/bench_viz.py)."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

import viz
from autograd import Value, topological_order
from viz import render
from viz.shared import MAX_SPAN
from viz_support import graphviz_pure

_NODE = re.compile(r"^\s*(n\d+(?:_c\d+)?) \[label=<(.*)>\]$", re.M)
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$", re.M)


def _benchmark_shapes():
    """benchmarks/bench_viz.py: the adversarial shapes, built one way for both."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_viz.py"
    spec = importlib.util.spec_from_file_location("bench_viz", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shapes = _benchmark_shapes()


def after_backward(root):
    root.backward()
    return root


def product(n: int) -> Value:
    return after_backward(shapes.product_of_x(n))


def random_dag(n: int) -> Value:
    return after_backward(shapes.random_dag(n))


def rows(source: str) -> dict:
    """DOT node name -> (title, data, grad, dotted?) for every value node and copy."""
    out = {}
    for name, label in _NODE.findall(source):
        title = re.search(r"<B>([^<]*)</B>", label)
        cells = dict(re.findall(r'<TD ALIGN="LEFT">(?:<FONT[^>]*>)?(data|grad)(?:</FONT>)?</TD>'
                                r'<TD ALIGN="RIGHT">(?:<FONT[^>]*>)?([^<]*)', label))
        out[name] = (title.group(1) if title else "", cells.get("data"), cells.get("grad"),
                     "dotted" in label)
    return out


def test_a_variable_used_everywhere_is_drawn_beside_its_far_uses():
    y = product(12)
    d = viz.draw(y)
    shown = rows(d.source)
    copies = {name: row for name, row in shown.items() if "_c" in name}
    assert d.info["copies"] == len(copies) > 0
    x = shown["n0"]
    assert x[0] == "x" and not x[3]
    assert "used 11×</FONT>" in d.source              # on the original: 11 ops use x
    for name, (title, data, grad, dotted) in copies.items():
        assert (title, data, grad) == x[:3] and dotted      # one variable, its total grad
        assert name.startswith("n0_c")
    assert d.source.count("copy · used 11×") == len(copies)
    assert "it is one node, and every copy shows its total grad" in d.source


def test_every_use_keeps_exactly_one_edge_and_the_gradient_sum_still_reads():
    """grad(x) = Σ over its edges, original and copies, of edge label × grad of the node fed."""
    y = product(12)
    source = viz.draw(y).source
    shown = rows(source)
    fed = [(src, dst, label) for src, dst, label in _EDGE.findall(source)
           if src == "n0" or src.startswith("n0_c")]
    nodes = topological_order(y)
    uses = sum(n.parents.count(nodes[0]) for n in nodes)
    assert len(fed) == uses == 12
    total = 0.0
    for src, dst, attrs in fed:
        if src != "n0":
            assert dst == f"n{src.split('_c')[1]}_op"            # a copy feeds its own consumer
        d = float(re.search(r'label="∂ ([^"]*)"', attrs).group(1))
        total += d * float(shown[dst[:-3]][2])
    assert total == pytest.approx(nodes[0].grad, rel=2e-3)


def test_short_reuse_stays_one_node_with_several_edges():
    a = Value(3.0, label="a")
    b = a * a + a
    b.backward()
    d = viz.draw(b)
    assert d.info["copies"] == 0 and "copy" not in d.source
    assert sum(1 for src, _, _ in _EDGE.findall(d.source) if src == "n0") == 3


def test_an_unlabelled_shared_node_gets_its_number_as_name():
    h = Value(0.5).tanh()
    y = h
    for _ in range(10):
        y = y * h
    y.backward()
    shown = rows(viz.draw(y).source)
    assert shown["n1"][0] == "#1"
    assert all(row[0] == "#1" for name, row in shown.items() if name.startswith("n1_c"))


def test_cut_graphs_copy_their_placeholder_and_compact_boxes_are_dotted_too():
    y = random_dag(420)
    d = viz.draw(y)
    assert d.info["dropped"] > 0
    more = re.findall(r"^\s*(more\w*) \[shape=note style=\"([^\"]*)\"", d.source, re.M)
    assert more[0] == ("more", "filled") and len(more) > 1
    assert all(style == "filled,dotted" for _, style in more[1:])
    assert not re.search(r"^\s*\w+ -> more$", d.source, re.M)        # nothing pulls the box
    big = viz.draw(product(300))                 # 300 nodes + 293 copies > 400 boxes: text labels
    assert 'style="rounded,filled,dotted"' in big.source and "copy · used 299×" in big.source


SHAPES = {"x*x*...*x, 60": lambda: product(60),
          "Horner, 40": lambda: after_backward(shapes.horner(40)),
          "reused interior node": lambda: after_backward(shapes.shared_interior(60)),
          "random DAG, 300": lambda: random_dag(300),
          "tensor reuse": lambda: after_backward(shapes.tensor_reuse(40))}


@pytest.mark.parametrize("program", ["graphviz-pure", "dot"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_no_edge_of_the_laid_out_drawing_spans_many_ranks(shape, program):
    exe = graphviz_pure() if program == "graphviz-pure" else shutil.which("dot")
    if exe is None:
        pytest.skip("system graphviz `dot` is not installed")
    d = viz.draw(SHAPES[shape]())
    layout = json.loads(render.run(d.source, "json", exe))
    x = {o["_gvid"]: float(o["pos"].split(",")[0]) for o in layout["objects"] if "pos" in o}
    ranks = {v: k for k, v in enumerate(sorted(set(round(v) for v in x.values())))}
    spans = [ranks[round(x[e["head"]])] - ranks[round(x[e["tail"]])] for e in layout["edges"]]
    assert max(spans) <= 2 * MAX_SPAN, Counter(spans).most_common(5)
