"""Graph-level behaviour of the scalar engine: traversal order, `backward()` semantics
(seed, fan-out, repeated calls, very long chains), grad mode, detach, memory (no reference
cycles) and random expression DAGs with reuse checked against central differences."""
import gc
import math
import weakref

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, enable_grad, no_grad, set_grad_enabled, topological_order
from autograd.graph import leaves


# ---- traversal -----------------------------------------------------------------------------

def _build():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    e = d.tanh() * c
    e.label = "e"
    return a, b, c, d, e


def test_topological_order_is_parents_first_and_complete():
    a, b, c, d, e = _build()
    order = topological_order(e)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(order) == len(position) == 6        # a, b, c, d, tanh(d), e: each once
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
    assert order[-1] is e


def test_topological_order_is_deterministic_creation_order():
    labels = [[n.label or n.op for n in topological_order(_build()[-1])] for _ in range(3)]
    assert labels[0] == ["a", "b", "c", "d", "tanh", "e"]
    assert labels[0] == labels[1] == labels[2]


def test_topological_order_of_several_roots_and_leaves():
    a, b, c, d, e = _build()
    other = b.exp()
    order = topological_order([e, other])
    assert [n.label or n.op for n in order] == ["a", "b", "c", "d", "tanh", "e", "exp"]
    assert topological_order((other,)) == [b, other]
    assert list(leaves(e)) == [a, b]


# ---- backward --------------------------------------------------------------------------------

def test_backward_seeds_one():
    x = Value(5.0)
    x.backward()                 # d x / d x
    assert x.grad == 1.0
    y = Value(3.0)
    z = y * 1.0
    z.backward()
    assert z.grad == 1.0 and y.grad == 1.0


def test_every_node_keeps_its_grad():
    # e = tanh(d) * c, d = c + a, c = a * b; a = 2, b = -3 -> c = -6, d = -4
    a, b, c, d, e = _build()
    t = e.parents[0]
    e.backward()
    tanh4 = math.tanh(-4.0)
    assert e.grad == 1.0
    assert t.grad == c.data == -6.0                          # de/dt = c
    assert d.grad == pytest.approx(-6.0 * (1 - tanh4 ** 2), rel=1e-15)  # de/dd = c (1 - t²)
    assert c.grad == pytest.approx(tanh4 + d.grad, rel=1e-15)           # via e and via d
    assert a.grad == pytest.approx(c.grad * -3.0 + d.grad, rel=1e-15)  # via c and via d
    assert b.grad == pytest.approx(c.grad * 2.0, rel=1e-15)


def test_fan_out_reuse():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0
    # A subexpression used twice: y = s * s + s with s = a * b.
    a, b = Value(2.0), Value(5.0)
    s = a * b
    y = s * s + s
    y.backward()
    assert s.grad == 2 * 10.0 + 1                # dy/ds = 2s + 1 = 21
    assert a.grad == 21.0 * 5.0 and b.grad == 21.0 * 2.0


def test_micrograd_issue_2_repeated_operand():
    # karpathy/micrograd#2: with `grad = ...` instead of `grad += ...`, reuse was lost.
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert c.data == 4.0 and b.grad == 2.0 and a.grad == 4.0


def test_backward_twice_doubles_leaf_grads_exactly_and_recomputes_interior():
    a, b, c, d, e = _build()
    e.backward()
    leaf_grads = (a.grad, b.grad)
    interior_grads = (c.grad, d.grad, e.grad)
    e.backward()
    assert (a.grad, b.grad) == (2 * leaf_grads[0], 2 * leaf_grads[1])
    assert (c.grad, d.grad, e.grad) == interior_grads


def test_backward_twice_is_exactly_twice_with_many_contributions_per_leaf():
    # A leaf that receives several contributions in one pass: PyTorch sums them before
    # adding to .grad, so a second pass gives exactly 2x. Summing into the old .grad one
    # contribution at a time does not (rounding), which this seeded sweep catches.
    import random
    rng = random.Random(0)
    for _ in range(200):
        a, b, c = (Value(rng.uniform(-2, 2)) for _ in range(3))
        y = a * b + a * c + (a * a).tanh() * b + a / (c + 3.0)
        y.backward()
        first = (a.grad, b.grad, c.grad)
        y.backward()
        assert (a.grad, b.grad, c.grad) == tuple(2 * g for g in first)


def test_leaf_grads_accumulate_across_graphs_until_zeroed():
    w = Value(2.0)
    (w * 3.0).backward()
    (w * 4.0).backward()
    assert w.grad == 7.0
    w.grad = 0.0
    (w * 5.0).backward()
    assert w.grad == 5.0


def test_backward_on_a_leaf_root_accumulates():
    x = Value(1.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_million_node_chain_backprops_iteratively():
    # Recursion would blow the stack long before this; the walk is iterative.
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert y.data == 0.5 and x.grad == 1.0
    del y  # CPython frees the chain without recursion either (trashcan)


def test_backward_restores_the_cyclic_gc_state():
    x = Value(1.0)
    assert gc.isenabled()
    (x * 2).backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (x * 2).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


# ---- grad mode and detach -------------------------------------------------------------------

def test_no_grad_context_records_nothing():
    x = Value(2.0)
    with no_grad():
        assert not autograd.is_grad_enabled()
        y = x * 3 + 1
    assert autograd.is_grad_enabled()
    assert y.data == 7.0 and y.parents == () and y.op == "" and y.is_leaf
    z = y * x
    z.backward()
    assert x.grad == 7.0 and y.grad == 2.0   # y is a constant leaf: nothing flows past it


def test_no_grad_decorator_and_nested_enable_grad():
    @no_grad()
    def f(v):
        inner = v * 2
        with enable_grad():
            recorded = v * 3
        return inner, recorded

    x = Value(1.0)
    inner, recorded = f(x)
    assert inner.parents == () and recorded.parents == (x, recorded.parents[1])
    assert autograd.is_grad_enabled()


def test_set_grad_enabled_and_restore_on_exception():
    x = Value(1.0)
    with set_grad_enabled(False):
        assert (x + 1).parents == ()
        with set_grad_enabled(True):
            assert (x + 1).parents[0] is x
        assert not autograd.is_grad_enabled()
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            x / 0
    assert autograd.is_grad_enabled()


def test_detach_stops_gradients():
    x = Value(3.0, label="x")
    y = x * x
    d = y.detach()
    assert d is not y and d.is_leaf and d.data == 9.0 and d.parents == ()
    z = d * x
    z.backward()
    assert x.grad == 9.0          # only the direct path; none through y = x²
    assert d.grad == 3.0


# ---- memory: no reference cycles ------------------------------------------------------------

def test_dropping_a_graph_frees_it_by_refcount_alone():
    gc.collect()
    gc.disable()
    try:
        a = Value(2.0)
        b = Value(-1.0)
        y = ((a * b).tanh() + a ** 2).exp() * a
        y.backward()
        mid = y.parents[0]
        refs = [weakref.ref(n) for n in (y, mid, mid.parents[0])]
        del y, mid
        assert [r() for r in refs] == [None, None, None]
        # Higher-order graphs too.
        x = Value(0.3)
        out = x.tanh() * x
        (g,) = autograd.grad(out, [x], create_graph=True)
        refs = [weakref.ref(out), weakref.ref(g)]
        del out, g
        assert [r() for r in refs] == [None, None]
        assert a.grad != 0.0   # the leaves themselves are still alive and hold their grads
    finally:
        gc.enable()


# ---- random expression DAGs with reuse ------------------------------------------------------

# Each op keeps values in a safe range (no domain errors, no overflow) and is smooth, so
# central differences are meaningful. `ns` is `autograd` or `torch.nn.functional`, so the
# very same program runs on Values and on torch tensors.
SAFE_OPS = [
    ("add", lambda a, b, ns: a + b),
    ("sub", lambda a, b, ns: a - b),
    ("mul_tanh", lambda a, b, ns: a * b.tanh()),
    ("div", lambda a, b, ns: a / (1.0 + b * b)),
    ("tanh", lambda a, b, ns: a.tanh()),
    ("sigmoid", lambda a, b, ns: a.sigmoid()),
    ("sin", lambda a, b, ns: a.sin()),
    ("cos", lambda a, b, ns: a.cos() * b),
    ("exp_tanh", lambda a, b, ns: a.tanh().exp()),
    ("log1p_sq", lambda a, b, ns: (1.0 + a * a).log()),
    ("hypot1", lambda a, b, ns: (a * a + 1.0).sqrt()),
    ("pow3", lambda a, b, ns: a.tanh() ** 3),
    ("rpow", lambda a, b, ns: 2.0 ** a.tanh()),
    ("vpow", lambda a, b, ns: (1.0 + b.sigmoid()) ** a.tanh()),
    ("softplus", lambda a, b, ns: ns.softplus(a)),
    ("gelu", lambda a, b, ns: ns.gelu(a)),
    ("sq", lambda a, b, ns: a.tanh() * a.tanh()),
]

programs = st.tuples(
    st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, len(SAFE_OPS) - 1), st.integers(0, 10 ** 6),
                       st.integers(0, 10 ** 6)), min_size=1, max_size=12),
)


def _run(program, inputs, ns):
    nodes = list(inputs)
    for op, i, j in program:
        # Operands refer to earlier nodes: reuse (fan-out) happens all the time.
        nodes.append(SAFE_OPS[op][1](nodes[i % len(nodes)], nodes[j % len(nodes)], ns))
    out = nodes[len(inputs)]
    for n in nodes[len(inputs) + 1:]:
        out = out + n
    return out


def _float_run(program, xs):
    with no_grad():
        return _run(program, [Value(x) for x in xs], autograd).data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_random_dags_backprop_matches_central_differences(case):
    xs, program = case
    inputs = [Value(x) for x in xs]
    out = _run(program, inputs, autograd)
    out.backward()
    eps = 1e-6
    for k, x in enumerate(xs):
        plus, minus = list(xs), list(xs)
        plus[k] += eps
        minus[k] -= eps
        numeric = (_float_run(program, plus) - _float_run(program, minus)) / (2 * eps)
        assert inputs[k].grad == pytest.approx(numeric, rel=1e-5, abs=1e-6 * (1 + abs(out.data)))
    # autograd.grad walks the same graph with the same rules: same numbers, .grad untouched.
    before = [v.grad for v in inputs]
    via_grad = autograd.grad(out, inputs, allow_unused=True)
    for v, g, b in zip(inputs, via_grad, before):
        assert (g or 0.0) == pytest.approx(v.grad, rel=1e-12, abs=1e-300)
        assert v.grad == b


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_random_dags_match_torch(case):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F
    xs, program = case
    inputs = [Value(x) for x in xs]
    out = _run(program, inputs, autograd)
    out.backward()
    tins = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    tout = _run(program, tins, F)
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-9, abs=1e-12)
    for v, t in zip(inputs, tins):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert v.grad == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_traversals_do_not_interfere_and_roots_may_repeat():
    # Each walk uses its own visit mark: a second walk (or a repeated root) sees every node.
    a = Value(1.0)
    b = a * 2.0
    c = b + a
    first = topological_order(c)
    second = topological_order([c, c, b])
    assert first == second and len(first) == 4 and first[-1] is c
