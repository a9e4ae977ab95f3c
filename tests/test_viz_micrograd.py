"""viz.draw as a drop-in for micrograd's `draw_dot` (and viz.trace for its `trace`).

PROGRAM does what micrograd's `trace_graph.ipynb` does, cell by cell: trace and draw a small
expression and a 2-input neuron, display the drawing, `dot.render('gout')`. It runs twice:
once on micrograd with the notebook's own `trace`/`draw_dot` (a graphviz `Digraph`, which
needs the system `dot` to render), once on glassgrad with only the import lines changed.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import viz
from autograd import Value
from viz_support import graphviz_pure

ROOT = Path(__file__).resolve().parents[1]

# The notebook's own helpers, as its second cell defines them.
NOTEBOOK_HELPERS = '''
from graphviz import Digraph

def trace(root):
    # builds a set of all nodes and edges in a graph
    nodes, edges = set(), set()
    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges

def draw_dot(root, format='svg', rankdir='LR'):
    """
    format: png | svg | ...
    rankdir: TB (top to bottom graph) | LR (left to right)
    """
    assert rankdir in ['LR', 'TB']
    nodes, edges = trace(root)
    dot = Digraph(format=format, graph_attr={'rankdir': rankdir})
    for n in nodes:
        dot.node(name=str(id(n)), label="{ data %.4f | grad %.4f }" % (n.data, n.grad),
                 shape='record')
        if n._op:
            dot.node(name=str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot
'''

MICROGRAD_IMPORTS = """\
from micrograd.engine import Value
from micrograd import nn
from trace_graph_helpers import trace, draw_dot
"""

GLASSGRAD_IMPORTS = """\
from autograd import Value
import nn
from viz import trace, draw as draw_dot
"""

PROGRAM = """
import json, os, random
report = {}

def leaves(root):
    nodes, edges = trace(root)
    return sorted((n.data, n.grad) for n in nodes if not n._prev)

# a very simple example
x = Value(1.0)
y = (x * 2 + 1).relu()
y.backward()
dot = draw_dot(y)
nodes, edges = trace(y)
report["simple"] = [y.data, x.grad, len(nodes), len(edges), leaves(y)]
report["display"] = "image/svg+xml" in dot._repr_mimebundle_()
report["source"] = isinstance(dot.source, str) and dot.source.startswith(("digraph", "//"))

# a simple 2D neuron
random.seed(1337)
n = nn.Neuron(2)
x = [Value(1.0), Value(-2.0)]
y = n(x)
y.backward()
dot = draw_dot(y)
report["neuron"] = [y.data, leaves(y)]

dot.render('gout')
report["files"] = sorted(f for f in os.listdir('.') if f.startswith('gout'))
report["png"] = draw_dot(y, 'png', 'TB').pipe(format='png')[:4].hex()
report["format"] = [draw_dot(y).format, draw_dot(y, format='png').format]
print(json.dumps(report))
"""


def run_program(imports: str, folder: Path, env_extra: dict = None) -> dict:
    folder.mkdir()
    (folder / "trace_graph_helpers.py").write_text(NOTEBOOK_HELPERS, encoding="utf-8")
    (folder / "program.py").write_text(imports + PROGRAM, encoding="utf-8")
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
           "PYTHONPATH": f"{ROOT}:{folder}", **(env_extra or {})}
    done = subprocess.run([sys.executable, "program.py"], cwd=folder, capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_trace_graph_program_runs_on_glassgrad_with_only_its_imports_changed(tmp_path):
    graphviz_pure()
    assert PROGRAM.count("import") == 1          # the program body imports nothing of its own
    ours = run_program(GLASSGRAD_IMPORTS, tmp_path / "glassgrad")
    data, xgrad, n_nodes, n_edges, leaves = ours["simple"]
    assert (data, xgrad, n_nodes, n_edges) == (3.0, 2.0, 6, 5)
    assert leaves == [[1.0, 1.0], [1.0, 2.0], [2.0, 1.0]]   # the constant 1, x, the constant 2
    assert ours["display"] and ours["source"]
    assert ours["files"] == ["gout", "gout.svg"]              # graphviz's render convention
    assert ours["png"] == "89504e47"
    assert ours["format"] == ["svg", "png"]
    if shutil.which("dot") is None:
        pytest.skip("system graphviz `dot` is not installed: micrograd's own draw_dot "
                    "(a graphviz Digraph) cannot render, so there is no reference run")
    theirs = run_program(MICROGRAD_IMPORTS, tmp_path / "micrograd")
    assert ours["simple"][:2] == theirs["simple"][:2]
    assert ours["simple"][2:] == theirs["simple"][2:]         # same nodes and edges
    assert ours["neuron"] == theirs["neuron"]                 # micrograd's weights, its numbers
    assert ours["files"] == theirs["files"]


def test_draw_takes_draw_dots_arguments_in_draw_dots_places():
    x = Value(2.0, label="x")
    y = (x * 3).tanh()
    y.backward()
    assert viz.draw(y).format == "svg"
    d = viz.draw(y, "png", "TB")
    assert d.format == "png" and "rankdir=TB" in d.source
    assert viz.draw(y, format="pdf", rankdir="LR").format == "pdf"
    with pytest.raises(ValueError, match="unknown format 'bmp'"):
        viz.draw(y, "bmp")
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw(y, "svg", "RL")


def test_render_follows_graphviz(tmp_path):
    graphviz_pure()
    x = Value(2.0, label="x")
    y = x * 3
    y.backward()
    d = viz.draw(y, "png")
    path = d.render(tmp_path / "gout")
    assert path == str(tmp_path / "gout.png")
    assert (tmp_path / "gout").read_text(encoding="utf-8") == d.source
    assert (tmp_path / "gout.png").read_bytes()[:4] == b"\x89PNG"
    path = d.render("g", directory=tmp_path / "sub", format="svg", cleanup=True)
    assert path == str(tmp_path / "sub" / "g.svg")
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["g.svg"]
    path = d.render(outfile=tmp_path / "pic.pdf")
    assert path == str(tmp_path / "pic.pdf")
    assert (tmp_path / "pic.pdf").read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / "pic.gv").read_text(encoding="utf-8") == d.source
    assert d.pipe("dot") == d.source.encode("utf-8")
    assert d.pipe()[:4] == b"\x89PNG"                    # the drawing's own format
    with pytest.raises(ValueError, match="unknown format"):
        d.pipe("jpeg")


def test_trace_is_micrograds():
    a = Value(2.0)
    b = a * a + a
    nodes, edges = viz.trace(b)
    assert len(nodes) == 3                        # a, a*a, (a*a)+a
    assert (a, b) in edges and len(edges) == 3    # a -> a*a once (a set), a*a -> b, a -> b
    assert all(isinstance(n, Value) for n in nodes)


def test_render_view_opens_the_picture(tmp_path, monkeypatch):
    graphviz_pure()
    opened = []
    monkeypatch.setattr("viz.drawing.webbrowser.open", opened.append)
    x = Value(2.0, label="x")
    y = x * 3
    y.backward()
    path = viz.draw(y).render("g", directory=tmp_path, view=True)
    assert opened == [(tmp_path / "g.svg").resolve().as_uri()] and path.endswith("g.svg")
