"""Module clusters, folding (collapse=), the max_nodes cap and auto-collapse."""
from __future__ import annotations

import re
import time

import pytest

import viz
from autograd import Value, affine
from autograd.mode import module_scope
from viz.structure import _module_prefixes, find_clusters

pytestmark = pytest.mark.filterwarnings("ignore::viz.NoBackwardWarning")   # values-only drawings


class Stand:
    """A stand-in nn module: only what viz reads (a qualified name and a class name)."""

    def __init__(self, qualname: str) -> None:
        self._qualname = qualname


class Neuron(Stand):
    """Knows its parameters, as nn modules do (`named_parameters(recurse=False)`)."""

    w: list = []
    b = None

    def named_parameters(self, recurse: bool = True):
        return [(f"w.{k}", v) for k, v in enumerate(self.w)] + [("b", self.b)]


class Layer(Stand):
    pass


class Net(Stand):
    pass


def mlp_graph(nin: int, sizes: list, per_op: bool = True, scoped_params: bool = False,
              root_scope: bool = False):
    """An MLP-like scalar graph with module scopes set by stand-ins; returns (loss, n_nodes)."""
    net = Net("Net")                          # nn names the root module after its class
    xs = [Value(0.01 * (i + 1), label=f"x{i}") for i in range(nin)]
    if root_scope:
        with module_scope(net):
            xs = [x * 1.0 for x in xs]
    for li, nout in enumerate(sizes):
        layer = Layer(f"layers.{li}")
        outs = []
        for ni in range(nout):
            neuron = Neuron(f"layers.{li}.neurons.{ni}")
            if scoped_params:
                with module_scope(neuron):
                    w = [Value(0.1) for _ in xs]
                    b = Value(0.0)
            else:
                w = [Value(0.1) for _ in xs]
                b = Value(0.0)
            neuron.w, neuron.b = w, b
            with module_scope(neuron):
                if per_op:
                    act = sum((wi * xi for wi, xi in zip(w, xs)), b)
                else:
                    act = affine(w, xs, b)
                outs.append(act.tanh())
        with module_scope(layer):
            pass
        xs = outs
    loss = sum((o - 1.0) ** 2 for o in xs)
    loss.backward()
    from autograd import topological_order
    return loss, len(topological_order(loss))


def test_module_prefixes_count_modules_not_dots():
    assert _module_prefixes("layers.0.neurons.3") == [("layers.0", 1), ("layers.0.neurons.3", 2)]
    assert _module_prefixes("0") == [("0", 1)]
    assert _module_prefixes("encoder.attn") == [("encoder", 1), ("encoder.attn", 2)]
    assert _module_prefixes("encoder.layers.0.attn") == [
        ("encoder", 1), ("encoder.layers.0", 2), ("encoder.layers.0.attn", 3)]


def test_clusters_nest_and_are_named_after_modules():
    loss, _ = mlp_graph(2, [2, 1])
    source = viz.draw(loss).source
    assert "subgraph cluster_" in source
    assert "<B>layers.0.neurons.1 (Neuron)</B>" in source
    # layers.0 only exists as the prefix of its neurons: drawn, named by its qualname
    assert "<B>layers.0</B>" in source
    # nesting: the neuron cluster opens inside the layer cluster
    layer = source.index("<B>layers.0</B>")
    inner = source.index("<B>layers.0.neurons.0 (Neuron)</B>")
    assert layer < inner
    between = source[layer:inner]
    assert between.count("subgraph") == 1 and "}" not in between


def test_parameters_made_outside_forward_join_their_module():
    loss, _ = mlp_graph(2, [2, 1])
    nodes = __import__("autograd").topological_order(loss)
    parents = [tuple(nodes.index(p) for p in n.parents) for n in nodes]
    clusters, cluster_of, names = find_clusters(nodes, parents,
                                                {id(n): i for i, n in enumerate(nodes)})
    by_label = {c.label: k for k, c in enumerate(clusters)}
    w0 = next(i for i, n in enumerate(nodes) if not n.parents and n.data == 0.1)
    assert clusters[cluster_of[w0]].label == "layers.0.neurons.0 (Neuron)"
    assert names[w0] == "w.0"
    x0 = next(i for i, n in enumerate(nodes) if n.label == "x0")
    assert cluster_of[x0] == -1                  # an input, not a parameter: stays outside
    assert "layers.1.neurons.0 (Neuron)" in by_label


def test_root_module_contains_the_layers():
    loss, _ = mlp_graph(2, [2, 1], root_scope=True)
    source = viz.draw(loss).source
    net = source.index("<B>Net</B>")             # root: shown by its class name
    assert net < source.index("<B>layers.0</B>")
    d = viz.draw(loss, collapse=0)
    assert d.source.count("nodes folded") == 2 and "<B>Net</B>" in d.source


def test_module_without_qualname_falls_back_to_class_name():
    class Custom:
        pass
    with module_scope(Custom()):
        y = Value(2.0, label="a") * 3
    assert "<B>Custom</B>" in viz.draw(y).source


def test_collapse_levels():
    loss, n = mlp_graph(3, [4, 2])
    full = viz.draw(loss)
    assert full.info["collapse"] is None and full.info["drawn"] == n
    neurons = viz.draw(loss, collapse=1)
    assert neurons.source.count("nodes folded") == 6          # one box per neuron
    assert "<B>layers.0</B>" in neurons.source                  # layers still boxes
    layers = viz.draw(loss, collapse=0)
    assert layers.source.count("nodes folded") == 2
    assert re.search(r"<B>layers.0</B></TD></TR><TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">"
                     r"<FONT COLOR=\"#1f1f1f\">\d+ nodes folded", layers.source)
    assert viz.draw_modules(loss).source == layers.source
    assert viz.draw_modules(loss, level=2).source == neurons.source
    with pytest.raises(ValueError, match="level"):
        viz.draw_modules(loss, level=0)


def test_folded_module_shows_its_output_and_colour():
    loss, _ = mlp_graph(2, [1])
    source = viz.draw(loss, collapse=0).source
    label = re.search(r"m\d+ \[label=<(.*)>\]", source).group(1)
    assert "1 outputs" not in label and ">data<" in label and ">grad<" in label
    assert 'BGCOLOR="#ffffff"' not in label                     # coloured by its grad


def test_edges_between_folded_modules_are_deduplicated():
    loss, _ = mlp_graph(3, [4, 4])
    source = viz.draw(loss, collapse=0).source
    pairs = re.findall(r"^\s*(m\d+) -> (m\d+)$", source, re.M)
    assert len(pairs) == len(set(pairs)) == 1


def test_layers_read_all_of_the_previous_layer_through_one_junction():
    """A folded layer's boxes all read every box of the one before: |S| + |D| edges through
    a junction dot instead of |S| × |D| (which made graphviz crawl), same meaning."""
    loss, _ = mlp_graph(3, [6, 6, 1])
    source = viz.draw(loss, collapse=1).source
    junctions = re.findall(r"^\s*(j\d+) \[shape=point", source, re.M)
    assert junctions == ["j0", "j1"]       # inputs -> layer 0, layer 0 -> layer 1
    into = re.findall(r"^\s*(m\d+) -> j1 \[arrowhead=none\]$", source, re.M)
    out = re.findall(r"^\s*j1 -> (m\d+)$", source, re.M)
    assert len(into) == len(set(into)) == 6 and len(out) == len(set(out)) == 6
    assert not set(into) & set(out)
    assert len(re.findall(r"^\s*x?n\d+ -> j0 \[arrowhead=none\]$", source, re.M)) == 3
    direct = re.findall(r"^\s*(m\d+) -> (m\d+)$", source, re.M)
    assert not [e for e in direct if e[0] in into and e[1] in out]   # all through j1
    assert len(direct) == 6                # layer 1 -> the one output neuron: plain edges


def test_folded_outputs_of_one_sign_show_a_signed_range_mixed_show_magnitudes():
    loss, _ = mlp_graph(2, [3, 1])
    loss.backward()
    d = viz.draw(loss, collapse=0)
    labels = dict(re.findall(r"^\s*(m\d+) \[label=<(.*)>\]$", d.source, re.M))
    layer = next(label for label in labels.values() if "3 outputs" in label)
    assert re.search(r"grad -?\d\.\d{4} … -?\d\.\d{4}|\|grad\| ", layer)
    x = Value(1.0, label="x")
    a, b = x * 2.0, x * -3.0
    with module_scope(Layer("layers.0")):
        p, q = a * 1.0, b * 1.0
    out = p + q
    out.backward()
    source = viz.draw(out, collapse=0).source
    box = re.search(r"m0 \[label=<(.*)>\]", source).group(1)
    assert "|grad| 1.0000 … 1.0000" in box or "2 outputs" in box
    negative = p * -1.0 + q * -1.0
    negative.backward()
    source = viz.draw(negative, collapse=0).source
    box = re.search(r"m0 \[label=<(.*)>\]", source).group(1)
    assert "grad -1.0000 … -1.0000" in box
    assert viz.theme.grad_style(-1.0).fill in box              # red: the numbers are negative


def test_auto_collapse_of_a_10000_node_mlp():
    loss, n = mlp_graph(16, [50, 50, 1])
    assert n > 10_000
    t = time.perf_counter()
    d = viz.draw(loss)
    svg = d.pipe("svg")
    elapsed = time.perf_counter() - t
    assert d.info["collapse"] is not None and d.info["drawn"] <= 300
    assert d.info["dropped"] == 0
    assert "modules folded" in d.info["note"] and "under 300 nodes" in d.info["note"]
    assert "pass collapse= or max_nodes= to see more" in d.info["note"]
    assert "modules folded" in d.source                         # the note is visible
    assert b"nodes folded" in svg
    assert elapsed < 20, elapsed


def test_auto_collapse_keeps_the_deepest_level_that_fits():
    loss, n = mlp_graph(3, [4, 4, 1])
    d = viz.draw(loss, max_nodes=n - 1)
    assert d.info["collapse"] == 1                              # neurons, not layers
    d = viz.draw(loss, max_nodes=12)
    assert d.info["collapse"] == 0


def test_unscoped_big_graph_is_cut_with_a_visible_note():
    x = Value(0.5, label="x")
    y = x
    for _ in range(5000):
        y = y * 0.999 + 0.001
    y.backward()
    d = viz.draw(y, max_nodes=100)
    assert d.info["drawn"] == 100 and d.info["dropped"] > 14_000
    assert "more nodes" in d.source and "(not drawn)" in d.source
    assert "only the 99 nearest the output are drawn" in d.info["note"]
    drawn = re.findall(r"^\s*n(\d+) \[label", d.source, re.M)
    assert len(drawn) == 99
    last = max(map(int, drawn))
    assert last == 20000                                         # the output is kept
    assert "more -> " in d.source


def test_cut_applies_after_explicit_collapse_too():
    loss, _ = mlp_graph(3, [4, 4])
    d = viz.draw(loss, collapse=1, max_nodes=5)
    assert d.info["drawn"] == 5 and "more nodes" in d.source


def test_plan_is_deterministic():
    loss, _ = mlp_graph(4, [6, 6, 1])
    a = viz.draw(loss, max_nodes=40).source
    b = viz.draw(loss, max_nodes=40).source
    assert a == b


def test_real_nn_mlp_clusters_and_parameter_names():
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [3, 1], seed=0, fused=False)
    out = model([1.0, -2.0])
    loss = (out - 1.0) ** 2
    loss.backward()
    source = viz.draw(loss).source
    assert "<B>layers.0.neurons.2 (Neuron)</B>" in source
    assert "<B>w.1</B> <I>param</I>" in source and "<B>b</B> <I>param</I>" in source
    d = viz.draw(loss, collapse=0)
    assert d.source.count("nodes folded") == 2
    assert "4 parameters" in d.source or "9 parameters" in d.source


def test_real_nn_big_mlp_auto_collapses():
    nn = pytest.importorskip("nn")
    model = nn.MLP(8, [40, 40, 1], seed=0, fused=False)
    out = model([0.1 * i for i in range(8)])
    loss = (out - 1.0) ** 2
    loss.backward()
    d = viz.draw(loss)
    assert d.info["nodes"] > 5000 and d.info["drawn"] <= 300
    assert "folded" in d.info["note"]
