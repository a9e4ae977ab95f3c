"""viz.draw on scalar graphs: goldens, what nodes and edges show, options, escaping.

Goldens live in tests/fixtures/viz/*.dot. After an intended change of the drawing style,
regenerate them with `GLASSGRAD_UPDATE_GOLDENS=1 pytest tests/test_viz.py` and look at the
pictures before committing.
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest

import viz
from autograd import Value, local_derivatives, topological_order
from autograd.mode import module_scope

FIXTURES = Path(__file__).parent / "fixtures" / "viz"
# Many tests here draw a graph before backward() on purpose; the warning that brings has
# its own tests (test_warning_*).
pytestmark = pytest.mark.filterwarnings("ignore::viz.NoBackwardWarning")


# ---- the three teaching graphs ----------------------------------------------------------

def micrograd_relu() -> Value:
    """micrograd's trace_graph example: y = relu(x*2 + 1) at x = 1."""
    x = Value(1.0, label="x")
    y = (x * 2 + 1).relu()
    y.label = "y"
    return y


def neuron() -> Value:
    """Karpathy's lecture neuron: o = tanh(x1*w1 + x2*w2 + b)."""
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def relu_net() -> Value:
    """A 2-2-1 ReLU net, no biases: x = (1, -1); both hidden units have weights
    (w11, w21) = (0.5, -0.5); output weights w_out = 1; loss = ½(ŷ - 1)².
    By hand: h1 = h2 = relu(0.5 + 0.5) = 1, ŷ = 2, loss = 0.5, dloss/dŷ = 1,
    dloss/dw_out_k = h_k = 1, dloss/dh_k = 1, dloss/dw11 = x1 = 1, dloss/dw21 = x2 = -1."""
    x1, x2 = Value(1.0, label="x1"), Value(-1.0, label="x2")
    hidden = []
    for k in (1, 2):
        w1 = Value(0.5, label=f"w1{k}")
        w2 = Value(-0.5, label=f"w2{k}")
        h = (w1 * x1 + w2 * x2).relu()
        h.label = f"h{k}"
        hidden.append(h)
    out = [Value(1.0, label=f"wo{k}") for k in (1, 2)]
    y = out[0] * hidden[0] + out[1] * hidden[1]
    y.label = "ŷ"
    loss = 0.5 * (y - 1.0) ** 2
    loss.label = "loss"
    return loss


GRAPHS = {"micrograd_relu": micrograd_relu, "neuron": neuron, "relu_net": relu_net}


# ---- helpers that read a drawing back ------------------------------------------------------

_NODE = re.compile(r"^\s*(n\d+) \[label=<(.*)>\]$", re.M)
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$", re.M)


def node_rows(source: str) -> dict:
    """node id -> {'data': text, 'grad': text, 'title': text} read from the DOT."""
    out = {}
    for name, label in _NODE.findall(source):
        rows = dict(re.findall(r'<TD ALIGN="LEFT">(?:<FONT[^>]*>)?(data|grad)(?:</FONT>)?</TD>'
                               r'<TD ALIGN="RIGHT">(?:<FONT[^>]*>)?([^<]*)', label))
        title = re.search(r"<B>([^<]*)</B>", label)
        rows["title"] = title.group(1) if title else ""
        out[name] = rows
    return out


def edges(source: str) -> list:
    """(src, dst, edge label or None) for every edge."""
    out = []
    for src, dst, attrs in _EDGE.findall(source):
        m = re.search(r'label="∂ ([^"]*)"', attrs or "")
        out.append((src, dst, m.group(1) if m else None))
    return out


# ---- goldens -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_golden_dot(name):
    root = GRAPHS[name]()
    root.backward()
    source = viz.draw(root, title=name).source
    path = FIXTURES / f"{name}.dot"
    if os.environ.get("GLASSGRAD_UPDATE_GOLDENS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    assert source == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_same_graph_gives_byte_identical_dot(name):
    a, b = GRAPHS[name](), GRAPHS[name]()
    a.backward()
    b.backward()
    assert viz.draw(a).source == viz.draw(b).source
    assert "0x" not in viz.draw(a).source        # no id()-like addresses anywhere


# ---- what the nodes show ------------------------------------------------------------------

def test_before_backward_values_only_then_gradients():
    o = neuron()
    before = viz.draw(o)
    assert before.info["show_grad"] is False
    assert ">grad<" not in before.source
    rows = node_rows(before.source)
    assert {r["title"]: r["data"] for r in rows.values()}["o"] == "0.7071"
    o.backward()
    after = node_rows(viz.draw(o).source)
    grads = {r["title"]: r["grad"] for r in after.values()}
    assert grads == {"x1": "-1.5000", "w1": "1.0000", "x2": "0.5000", "w2": "0.0000",
                     "x1*w1": "0.5000", "x2*w2": "0.5000", "x1*w1 + x2*w2": "0.5000",
                     "b": "0.5000", "n": "0.5000", "o": "1.0000"}


def test_relu_net_gradients_match_the_hand_computation():
    loss = relu_net()
    loss.backward()
    grads = {r["title"]: r["grad"] for r in node_rows(viz.draw(loss).source).values()
             if r["title"]}
    assert grads["loss"] == "1.0000" and grads["ŷ"] == "1.0000"
    assert grads["wo1"] == grads["wo2"] == "1.0000"
    assert grads["w11"] == grads["w12"] == "1.0000"
    assert grads["w21"] == grads["w22"] == "-1.0000"
    assert grads["h1"] == grads["h2"] == "1.0000"


def test_drawing_does_not_change_the_graph():
    o = neuron()
    o.backward()
    nodes = topological_order(o)
    before = [(n.data, n.grad) for n in nodes]
    viz.draw(o, highlight="w1", collapse=0, max_nodes=3)
    assert [(n.data, n.grad) for n in topological_order(o)] == before


def test_op_nodes_use_the_rule_table_symbols():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    y = ((a * b - a) / b).sigmoid() ** 2
    source = viz.draw(y).source
    for symbol in ('label="×"', 'label="−"', 'label="÷"', 'label="σ"', 'label="**2"'):
        assert symbol in source


def test_merge_ops_puts_the_op_in_the_result_node():
    o = neuron()
    o.backward()
    merged = viz.draw(o, merge_ops=True).source
    assert "_op" not in merged
    assert '<FONT COLOR="#6b6b6b">tanh</FONT> <B>o</B>' in merged
    separate = viz.draw(o, merge_ops=False).source
    assert len(re.findall(r"^  n\d+_op \[", separate, re.M)) == 5


# ---- edge labels: the local derivatives ----------------------------------------------------

def test_edge_labels_are_local_derivatives_and_sum_to_the_gradient():
    """grad(node) = Σ over its out-edges (edge label × grad of the node fed)."""
    for build in GRAPHS.values():
        root = build()
        root.backward()
        source = viz.draw(root, merge_ops=False).source
        rows = node_rows(source)
        nodes = topological_order(root)
        fed = {}
        for src, dst, label in edges(source):
            if dst.endswith("_op"):
                assert label is not None, (src, dst)
                fed.setdefault(src, []).append((float(label), dst[:-3]))
        for k, node in enumerate(nodes):
            if node is root:
                continue
            total = sum(d * float(rows[child]["grad"]) for d, child in fed[f"n{k}"])
            assert total == pytest.approx(node.grad, abs=2e-4), node.label


def test_edge_label_values_come_from_local_derivatives():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = (x * w).tanh()
    source = viz.draw(y).source
    (dx, dw) = local_derivatives(y.parents[0])
    assert f'n0 -> n2_op [label="∂ {dx:.4g}"]' in source     # ∂(x*w)/∂x = w = -3
    assert f'n1 -> n2_op [label="∂ {dw:.4g}"]' in source
    (dt,) = local_derivatives(y)
    assert f'n2 -> n3_op [label="∂ {dt:.4g}"]' in source


def test_a_reused_operand_gets_one_labelled_edge_per_use():
    a = Value(3.0, label="a")
    y = a * a
    assert [e for e in edges(viz.draw(y).source) if e[0] == "n0"] == [
        ("n0", "n1_op", "3"), ("n0", "n1_op", "3")]


def test_edge_labels_default_on_for_small_graphs_off_for_big():
    assert viz.draw(neuron()).info["edge_labels"] is True
    x = Value(0.5, label="x")
    y = x
    for _ in range(40):
        y = y * 1.01 + 0.1
    d = viz.draw(y)
    assert d.info["edge_labels"] is False and d.info["merge_ops"] is True
    assert "∂ " not in d.source.split("node [")[1]
    assert viz.draw(y, edge_labels=True).info["edge_labels"] is True


# ---- colours ------------------------------------------------------------------------------

def _node_label(source: str, title: str) -> str:
    for name, label in _NODE.findall(source):
        if f"<B>{title}</B>" in label:
            return label
    raise AssertionError(f"no node titled {title}")


@pytest.mark.parametrize("grad,kind", [(0.5, "positive"), (-0.5, "negative"),
                                        (1e-7, "vanishing"), (-1e-300, "vanishing"),
                                        (0.0, "zero"), (-0.0, "zero"),
                                        (5e3, "exploding"), (math.nan, "nonfinite"),
                                        (-math.inf, "nonfinite")])
def test_gradient_colour_kinds(grad, kind):
    x = Value(1.0, label="x")
    y = x * 2.0
    y.backward()
    x.grad = grad
    label = _node_label(viz.draw(y).source, "x")
    style = viz.theme.grad_style(grad)
    assert style.kind == kind
    assert f'BGCOLOR="{style.fill}"' in label
    if kind == "vanishing":
        assert 'STYLE="rounded,dashed"' in label
    if kind == "zero":                     # exactly 0 is not vanishing: white, solid frame
        assert 'STYLE="rounded"' in label and style.fill == "#ffffff"
        assert style.fill != viz.theme.grad_style(1e-7).fill
    if kind == "exploding":
        assert ">exploding<" in label and 'BORDER="3"' in label
    if kind == "nonfinite":
        assert (">NaN<" if grad != grad else ">inf<") in label


def test_colour_steps_follow_a_log_scale_and_sign():
    t = viz.theme
    assert (t.VANISHING, t.EXPLODING) == (viz.VANISHING, viz.EXPLODING) == (1e-6, 1e3)
    fills = [t.grad_style(10.0 ** k).fill for k in range(-6, 3)]
    assert len(set(fills)) == 9                              # one colour per decade
    assert t.grad_style(2e-3).fill == t.grad_style(9e-3).fill   # same decade, same colour
    assert t.grad_style(0.5).fill != t.grad_style(-0.5).fill    # sign shows
    assert t.grad_style(1e3).kind == "positive" and t.grad_style(1.0001e3).kind == "exploding"


def test_thresholds_are_configurable():
    x = Value(1.0, label="x")
    y = x * 2.0
    y.backward()
    x.grad = 1e-3
    assert "dashed" not in _node_label(viz.draw(y).source, "x")
    assert "dashed" in _node_label(viz.draw(y, vanishing=1e-2).source, "x")
    assert "vanishing 0 &lt; |grad| &lt; 0.01" in viz.draw(y, vanishing=1e-2).source
    x.grad = 50.0
    assert ">exploding<" in _node_label(viz.draw(y, exploding=10.0).source, "x")
    assert "exploding |grad| &gt; 10" in viz.draw(y, exploding=10.0).source


def test_legend_shows_only_the_colours_the_drawing_uses():
    x = Value(2.0, label="x")
    y = x * 3.0
    y.backward()
    source = viz.draw(y).source
    assert "grad &gt; 0" in source and "grad &lt; 0" not in source
    for absent in ("vanishing", "exploding", "NaN / inf", "grad = 0 exactly", "parameter"):
        assert absent not in source, absent
    x.grad = 0.0                          # as when an input is 0: exactly zero, not vanishing
    source = viz.draw(y).source
    assert "grad = 0 exactly" in source and "vanishing" not in source
    x.grad = -1e-9
    source = viz.draw(y).source
    assert "vanishing 0 &lt; |grad| &lt; 1e-6" in source and "grad = 0 exactly" not in source
    assert "grad &lt; 0" not in source     # the only negative gradient is vanishing


def test_zero_from_a_zero_input_is_exact_zero_not_vanishing():
    o = neuron()                           # x2 = 0, so grad(w2) = x2 · 0.5 = 0 exactly
    o.backward()
    label = _node_label(viz.draw(o).source, "w2")
    assert 'BGCOLOR="#ffffff"' in label and "dashed" not in label


def test_legend_only_when_colouring_gradients():
    o = neuron()
    with pytest.warns(viz.NoBackwardWarning):
        assert "log scale" not in viz.draw(o).source         # before backward
    o.backward()
    assert "log scale" in viz.draw(o).source
    plain = viz.draw(o, color=False).source
    assert "log scale" not in plain and 'BGCOLOR="#eaf2fb"' in plain   # inputs light blue


# ---- highlight ------------------------------------------------------------------------------

def test_highlight_marks_every_path_to_the_output():
    o = neuron()
    o.backward()
    source = viz.draw(o, highlight="w1").source
    hot = 'color="#f08c00" penwidth=2.5'
    hot_edges = {(a, b) for a, b, attrs in _EDGE.findall(source) if hot in (attrs or "")}
    # w1 (n2) -> × -> x1*w1 -> + -> s -> + -> n -> tanh -> o
    assert ("n2", "n5_op") in hot_edges and ("n5_op", "n5") in hot_edges
    assert ("n8", "n9_op") in hot_edges and ("n9_op", "n9") in hot_edges
    assert ("n0", "n5_op") not in hot_edges                   # x1 is not downstream of w1
    assert "every path from w1 to the output" in source
    by_node = viz.draw(o, highlight=o.parents[0]).source
    assert "every path from n to the output" in by_node


def test_highlight_errors_name_the_problem():
    o = neuron()
    with pytest.raises(ValueError, match="no node labelled 'nope'.*'w1'"):
        viz.draw(o, highlight="nope")
    with pytest.raises(ValueError, match="not part of the graph"):
        viz.draw(o, highlight=Value(1.0))


# ---- options and errors ---------------------------------------------------------------------

def test_rankdir():
    o = neuron()
    assert "rankdir=TB" in viz.draw(o, rankdir="TB").source
    assert "rankdir=LR" in viz.draw(o).source
    assert "rankdir=TB" in viz.draw(o, rankdir="tb").source    # any case
    with pytest.raises(ValueError, match="rankdir must be 'LR'.*or 'TB'"):
        viz.draw(o, rankdir="RLX")


@pytest.mark.parametrize("kwargs,error,match", [
    ({"show_grad": "yes"}, TypeError, "show_grad"),
    ({"edge_labels": 1}, TypeError, "edge_labels"),
    ({"color": None}, TypeError, "color"),
    ({"max_nodes": 1}, ValueError, "max_nodes"),
    ({"max_nodes": 2.5}, ValueError, "max_nodes"),
    ({"collapse": -1}, ValueError, "collapse"),
    ({"vanishing": 0.0}, ValueError, "vanishing"),
    ({"exploding": math.inf}, ValueError, "exploding"),
    ({"vanishing": 1.0, "exploding": 0.5}, ValueError, "larger than vanishing"),
    ({"title": 3}, TypeError, "title"),
])
def test_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        viz.draw(neuron(), **kwargs)


def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError):
        viz.draw(neuron(), colour=True)


def test_draw_needs_a_node():
    class Model:
        def __call__(self, x):
            return x
    with pytest.raises(TypeError, match="call it first"):
        viz.draw(Model())
    with pytest.raises(TypeError, match="got float"):
        viz.draw(1.0)
    with pytest.raises(ValueError, match="nothing to draw"):
        viz.draw([])


def test_several_outputs_in_one_drawing():
    a = Value(2.0, label="a")
    b, c = a * 3, a + 1
    b.label, c.label = "b", "c"
    rows = node_rows(viz.draw([b, c]).source)
    assert sorted(r["title"] for r in rows.values() if r["title"]) == ["a", "b", "c"]
    assert len(rows) == 5                     # and the constants 3 and 1


def test_show_grad_forced():
    o = neuron()
    with pytest.warns(viz.NoBackwardWarning):
        assert "grad</TD>" in viz.draw(o, show_grad=True).source  # zeros, before backward
    o.backward()
    assert "grad</TD>" not in viz.draw(o, show_grad=False).source


def test_title():
    assert "<B>My graph</B>" in viz.draw(neuron(), title="My graph").source


# ---- escaping -----------------------------------------------------------------------------

NASTY = 'a | {b} <c> & "d" \\N ]; x -> y é∂ω'


def test_labels_are_escaped():
    x = Value(1.0, label=NASTY)
    source = viz.draw(x * 2, title=NASTY).source
    assert "&lt;c&gt; &amp; &quot;d&quot;" in source
    assert NASTY not in source
    assert "é∂ω" in source


def test_control_characters_and_long_labels():
    x = Value(1.0, label="line1\nline2\tz" + "y" * 100)
    source = viz.draw(x * 2).source
    assert "line1 line2 z" in source and "\t" not in source.split("node [")[1]
    assert "y" * 100 not in source and "…" in source


def test_cluster_labels_are_escaped():
    class Weird:
        _qualname = 'blocks.0.<b>"x"'
    with module_scope(Weird()):
        y = Value(1.0) * 2
    source = viz.draw(y).source
    assert 'blocks.0.&lt;b&gt;&quot;x&quot; (Weird)' in source


# ---- drawing before backward() ---------------------------------------------------------------

def test_warning_before_backward_names_the_output_and_the_fix():
    o = neuron()
    with pytest.warns(viz.NoBackwardWarning) as caught:
        viz.draw(o)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message == ("draw: backward() has not been called on o; no gradients to show yet: "
                       "call o.backward() first")
    assert "\n" not in message
    assert caught[0].filename == __file__            # reported at the caller's line


def test_warning_for_stale_gradients_from_an_earlier_backward():
    x = Value(2.0, label="x")
    first = x * 3
    first.backward()                       # x.grad = 3, from this graph
    second = x * x
    second.label = "y"
    with pytest.warns(viz.NoBackwardWarning, match="stale.*call y.backward"):
        d = viz.draw(second)
    assert d.info["show_grad"] is True     # it shows x's old gradient: hence the warning


def test_no_warning_after_backward_or_when_asking_for_values_only(recwarn):
    o = neuron()
    viz.draw(o, show_grad=False)
    o.backward()
    viz.draw(o)
    viz.draw_modules(o)
    assert not [w for w in recwarn if issubclass(w.category, viz.NoBackwardWarning)]


def test_draw_modules_warns_at_the_callers_line_too():
    with pytest.warns(viz.NoBackwardWarning) as caught:
        viz.draw_modules(neuron())
    assert caught[0].filename == __file__
    with pytest.raises(TypeError, match="level="):
        viz.draw_modules(neuron(), collapse=1)


def test_bad_options_fail_before_any_warning(recwarn):
    with pytest.raises(ValueError):
        viz.draw(neuron(), rankdir="XY")
    assert not recwarn.list
