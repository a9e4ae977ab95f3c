"""The explorer's JavaScript engine (viz/web/rules.js, engine.js) against Python, under node.

The page recomputes a scalar graph with its own copy of the rule table, so both tables must
give the same numbers: random graphs that use every op of autograd/scalar_rules.py are
evaluated and differentiated on both sides (values and gradients to 1e-12 relative), also
after changing the leaves (a change that leaves an op's domain must fail on both sides).
The table of ops is read from Python: a new Python op without a JavaScript rule fails here.
"""
from __future__ import annotations

import math
import random
import sys
from typing import Any, Dict, List, Optional, Tuple

import pytest

from autograd import Value
from autograd.errors import DomainError
from autograd.scalar_rules import NARY, RULES, local_derivatives
from autograd.value import _apply, affine
from js_support import node_program, run_js
from viz import theme
from viz.draw import GraphView
from viz.explore import _COMPENSATED, PAGE_RULES, live_spec, probes
from viz.page import WEB
from viz.text import fmt, short

ENGINE = ["rules.js", "engine.js"]
RTOL = 1e-12
ATOL = 1e-300      # only exact zeros on one side are compared absolutely
CANCELLING = 1000  # a sum this much smaller than its terms amplifies 1-ulp differences

# What the random graphs need to know about an op beyond the table: its parameter values
# and the operands it accepts (kept away from domain edges and kinks, where 1 ulp matters).
ARGS = {"**": [2.0, 3.0, -1.0, 0.5, 1.5, -0.5], "leaky_relu": [0.01, 0.2], "elu": [1.0, 0.3]}


def arity(op: str) -> Optional[int]:
    """Operands of a table op (None: any number, a neuron's `affine`)."""
    if op in NARY:
        return None
    return RULES[op].local.__code__.co_argcount - 2      # local(out, *operands, arg)


def fits(op: str, xs: List[float], arg: Any) -> bool:
    a = xs[0]
    b = xs[1] if len(xs) > 1 else 0.0
    if op in ("log", "sqrt"):
        return a > 0.05
    if op == "pow":
        return 0.05 < a < 5 and abs(b) < 3
    if op == "**":
        return 0.05 < abs(a) < 5 and (a > 0 or float(arg).is_integer())
    if op == "/":
        return abs(b) > 0.1
    if op in ("normal_cdf", "gelu"):
        return abs(a) < 3
    if op == "exp":
        return a < 4
    if op == "binary_cross_entropy":
        return 0.02 < a < 0.98 and 0.0 <= b <= 1.0
    if op in ("relu", "leaky_relu", "elu", "abs"):
        return abs(a) > 1e-3
    if op in ("maximum", "minimum"):
        return abs(a - b) > 1e-3
    return True


def make(op: str, operands: List[Value], arg: Any) -> Value:
    if op in NARY:
        k = (len(operands) - 1) // 2
        return affine(operands[:k], operands[k + 1:], operands[k])
    return _apply(op, tuple(operands), arg)


Recipe = List[Tuple[str, Any, Any]]     # ("leaf", value, None) or (op, operand indices, arg)


def random_recipe(rng: random.Random, extra: int = 12) -> Recipe:
    """A graph using every op of the Python table (in random order) plus `extra` more."""
    recipe: Recipe = []
    values: List[float] = []

    def leaf(v: float) -> int:
        recipe.append(("leaf", v, None))
        values.append(v)
        return len(values) - 1

    for _ in range(4):
        leaf(round(rng.uniform(-2, 2), 3) or 0.5)
    leaf(round(rng.uniform(0.1, 0.9), 3))                   # a target for BCE
    page_ops = [op for op in RULES if op in PAGE_RULES]
    ops = page_ops + [rng.choice(page_ops) for _ in range(extra)]
    rng.shuffle(ops)
    for op in ops:
        n = arity(op)
        for _ in range(300):
            arg = rng.choice(ARGS[op]) if op in ARGS else None
            count = n if n is not None else 2 * rng.randint(1, 3) + 1
            picks = [rng.randrange(len(values)) for _ in range(count)]
            xs = [values[p] for p in picks]
            if not fits(op, xs, arg):
                continue
            with_values = make(op, [Value(x) for x in xs], arg if op not in NARY else None)
            if math.isfinite(with_values.data) and abs(with_values.data) < 1e4:
                recipe.append((op, picks, arg))
                values.append(with_values.data)
                break
        else:
            raise AssertionError(f"no operands found for {op!r}: add its domain to fits()")
    return recipe


def build(recipe: Recipe, leaves: Optional[Dict[int, float]] = None) -> Value:
    """The graph of `recipe` (leaf j takes `leaves[j]` when given), ending in the sum of
    every node nothing else uses, so every op is on a path to the output."""
    made: List[Value] = []
    used = set()
    leaf_number = 0
    for kind, payload, arg in recipe:
        if kind == "leaf":
            value = (leaves or {}).get(leaf_number, payload)
            made.append(Value(value, label=f"x{leaf_number}"))
            leaf_number += 1
            continue
        used.update(payload)
        made.append(make(kind, [made[p] for p in payload], arg))
    sinks = [v for j, v in enumerate(made) if j not in used]
    out = sinks[0]
    for v in sinks[1:]:
        out = out + v
    return out


def relative_gap(js: Any, py: float) -> float:
    if js is None:                         # JSON has no NaN/inf: they arrive as null
        return 0.0 if not math.isfinite(py) else math.inf
    if js == py:
        return 0.0
    return abs(js - py) / max(abs(js), abs(py), ATOL)


_RECOMPUTE = """
output = input.cases.map(function (c) {
  var g = scalarGraph(c.spec, c.compensated);
  return c.changes.map(function (ch) {
    try {
      var r = g.recompute(ch, c.spec.data);
      var locals = c.spec.parents.map(function (ps, i) { return ps.length ? g.locals(i, r.values) : []; });
      return {values: r.values, grads: r.grads, locals: locals};
    } catch (err) { return {error: err.op, node: err.node}; }
  });
});
"""


# Local derivatives that are sums whose terms can cancel: compared relative to the terms'
# size, since the page's erf and C's differ in the last bits (GELU's Φ(a) + a·φ(a) nearly
# cancels near a = -0.75).
LOCAL_TERMS = {"gelu": lambda a: abs(0.5 * math.erfc(-a / math.sqrt(2)))
               + abs(a * math.exp(-0.5 * a * a) / math.sqrt(2 * math.pi))}


def python_rule(op: str, operands: List[float], out: Optional[float], arg: Any) -> Any:
    """Python's rule at the given numbers: the value (out None) or the local derivatives."""
    rule = RULES[op]
    if op in NARY:
        k = arg
        if out is None:
            return rule.forward(operands[:k], operands[k], operands[k + 1:])
        return list(rule.local(out, operands, k))
    if out is None:
        return rule.forward(*operands) if arg is None else rule.forward(*operands, arg)
    got = rule.local(out, *operands, arg)
    return list(got) if isinstance(got, tuple) else [got]


def check_rules_at_the_pages_numbers(spec: Dict[str, Any], js: Dict[str, Any]) -> None:
    """Every number the page computed, against Python's rules applied to the page's own
    inputs: each op's value and local derivatives (1e-12 relative), and each gradient as
    the sum of Python's local derivative × the page's gradient of each use (1e-12 relative
    to the size of the terms summed)."""
    values, grads, n = js["values"], js["grads"], len(spec["parents"])
    expected = [0.0] * n
    expected[spec["root"]] = 1.0
    size = [0.0] * n
    size[spec["root"]] = 1.0
    for i in reversed(range(n)):
        ps = spec["parents"][i]
        if not ps:
            continue
        op, arg = spec["rule"][i], spec["arg"][i]
        operands = [float(values[p]) for p in ps]     # JSON writes 1.0 as 1
        assert relative_gap(values[i], python_rule(op, operands, None, arg)) <= RTOL, (op, operands)
        local = python_rule(op, operands, float(values[i]), arg)
        assert len(js["locals"][i]) == len(local)
        for a, b in zip(js["locals"][i], local):
            scale = max(abs(b), LOCAL_TERMS[op](*operands)) if op in LOCAL_TERMS else abs(b)
            assert abs(a - b) <= RTOL * scale or relative_gap(a, b) <= RTOL, \
                (op, operands, js["locals"][i], local)
        for p, d in zip(ps, local):
            expected[p] += d * grads[i]
            size[p] += abs(d * grads[i])
    for i in range(n):
        assert abs(grads[i] - expected[i]) <= RTOL * size[i], (i, grads[i], expected[i])


def well_conditioned(root: Value) -> bool:
    """No sum in the graph (values, or gradients summed over uses) cancels its terms by
    more than 1000×: then a 1-ulp difference between two math libraries (V8's and the C
    library's exp, tanh, ...) stays below 1e-12 relative at the end."""
    nodes = GraphView(root).nodes
    uses: Dict[int, float] = {}
    for node in nodes:
        if node.op in ("+", "-", "affine"):
            terms = [abs(p.data) for p in node.parents]
            if node.op == "affine":
                k = (len(node.parents) - 1) // 2
                terms = [abs(w.data * x.data) for w, x in zip(node.parents[:k], node.parents[k + 1:])]
                terms.append(abs(node.parents[k].data))
            if max(terms) > CANCELLING * abs(node.data):
                return False
        if node.parents:
            for p, d in zip(node.parents, local_derivatives(node)):
                uses[id(p)] = uses.get(id(p), 0.0) + abs(d * node.grad)
    return all(uses.get(id(node), 0.0) <= CANCELLING * abs(node.grad) + 1e-300 for node in nodes
               if node.parents or id(node) in uses)


def test_random_graphs_agree_with_python_values_and_gradients():
    """Random graphs that each use every op of the Python table, at their built values and
    after moving the leaves: every value and gradient the page computes follows Python's
    rules at the page's own numbers (1e-12 relative), and in well-conditioned graphs the
    page's numbers equal a Python graph's (Value.backward) to 1e-12 relative. A move that
    leaves an op's domain raises on both sides, at the same op."""
    rng = random.Random(12)
    cases, expected = [], []
    for _ in range(30):
        recipe = random_recipe(rng)
        root = build(recipe)
        view = GraphView(root)
        spec = live_spec(view)
        assert spec is not None
        assert {r for r in spec["rule"] if r} == PAGE_RULES     # every page op, each graph
        index = {view.nodes[i].label: i for i, ps in enumerate(spec["parents"]) if not ps}
        leaves = [v for kind, v, _ in recipe if kind == "leaf"]
        moves: List[Dict[int, float]] = [{}]
        for _ in range(4):
            moves.append({j: x + rng.uniform(-0.3, 0.3) for j, x in enumerate(leaves)
                          if rng.random() < 0.6})
        changes = [{str(index[f"x{j}"]): v for j, v in move.items()} for move in moves]
        cases.append({"spec": spec, "changes": changes, "compensated": _COMPENSATED})
        expected.append((recipe, moves, spec))
    results = run_js(ENGINE, _RECOMPUTE, {"cases": cases})
    compared = checked = errors = 0
    for (recipe, moves, spec), got in zip(expected, results):
        for move, js in zip(moves, got):
            try:
                root = build(recipe, move)
            except DomainError as err:
                assert "error" in js, f"Python raised {err} but the page computed values"
                assert js["error"] == err.op
                errors += 1
                continue
            assert "error" not in js, f"the page raised {js} where Python computed {root.data}"
            check_rules_at_the_pages_numbers(spec, js)
            checked += 1
            root.backward()
            if not well_conditioned(root):
                continue
            for i, node in enumerate(GraphView(root).nodes):
                assert relative_gap(js["values"][i], node.data) <= RTOL, (i, node.op)
                assert relative_gap(js["grads"][i], node.grad) <= RTOL, (i, node.op)
            compared += 1
    assert checked >= 120 and compared >= 100 and errors >= 5, (checked, compared, errors)


def test_a_neuron_sums_like_the_python_that_wrote_the_page():
    """`affine` sums w·x + b with Python's sum(); 3.12+ compensates (Neumaier): the page
    does what the writing Python does."""
    rng = random.Random(3)
    rows = [[rng.choice([1e16, -1e16, 1.0, 0.1, 3.3, -2.7]) for _ in range(7)] for _ in range(50)]

    def neumaier(start: float, items: List[float]) -> float:
        s, c = start, 0.0
        for x in items:
            t = s + x
            c += (s - t) + x if abs(s) >= abs(x) else (x - t) + s
            s = t
        return s + c if c and math.isfinite(c) else s

    body = """output = input.rows.map(function (r) {
      var ops = r.slice(0, 3).concat([r[6]], r.slice(3, 6));
      return [RULES.affine.forward(ops, 3, false), RULES.affine.forward(ops, 3, true)];
    });"""
    got = run_js(ENGINE, body, {"rows": rows})
    for r, (plain, compensated) in zip(rows, got):
        products = [w * x for w, x in zip(r[:3], r[3:6])]
        naive = r[6]
        for p in products:
            naive += p
        assert float(plain) == naive                        # JSON writes 1e16 as an int
        assert float(compensated) == neumaier(r[6], products)
        if sys.version_info >= (3, 12):
            assert sum(products, r[6]) == compensated


def test_numbers_are_written_as_python_writes_them():
    rng = random.Random(5)
    numbers = [0.0, -0.0, 1.0, -1.5, 0.5, 0.03125, 1.03125, 0.09375, 2.5, 1234.5, 123425.0,
               12345.0, 99999.99996, 1e5, 1e-3, 9.99949e-4, 1e-5, -2.5e-7, 1.0000500, 0.70710678,
               6.8813735870195432, 1e300, -1e-300, 5e-324, 123456789.0, 0.00012345]
    numbers += [rng.uniform(-10, 10) * 10 ** rng.randint(-8, 8) for _ in range(400)]
    numbers += [k / 32 for k in range(-100, 100)] + [k * 0.125 for k in range(-50, 50)]
    got = run_js(ENGINE, "output = input.map(function (x) { return [fmt(x), short(x)]; });",
                 numbers)
    for x, (f, s) in zip(numbers, got):
        assert (f, s) == (fmt(x), short(x)), x
    specials = run_js(ENGINE, "output = [NaN, Infinity, -Infinity].map(function (x) {"
                      " return [fmt(x), short(x)]; });", None)
    assert specials == [[fmt(x), short(x)] for x in (math.nan, math.inf, -math.inf)]


def test_colour_classes_match_the_drawings():
    """styleIndex(g) picks the look Python's theme.grad_style gives g."""
    rng = random.Random(9)
    for vanishing, exploding in [(theme.VANISHING, theme.EXPLODING), (1e-4, 5e2)]:
        styles = [theme.grad_style(g, None, vanishing, exploding)
                  for g in probes(vanishing, exploding)]
        assert len(set(styles)) == len(styles)       # one probe per colour class
        grads = [0.0, vanishing, vanishing * 0.999, exploding, exploding * 1.001, -exploding,
                 1e-5, -1e-5, 10.0, 100.0, 0.1, 1.0, -1.0]
        grads += [rng.choice([-1, 1]) * 10 ** rng.uniform(-9, 5) for _ in range(500)]
        got = run_js(ENGINE, "output = input.g.map(function (g) { return styleIndex(g, input.s); });",
                     {"g": grads, "s": {"vanishing": vanishing, "exploding": exploding,
                                        "steps": theme.decades(vanishing, exploding)}})
        for g, k in zip(grads, got):
            assert styles[k] == theme.grad_style(g, None, vanishing, exploding), g
    nonfinite = run_js(ENGINE, "output = [styleIndex(NaN, input), styleIndex(-Infinity, input)];",
                       {"vanishing": 1e-6, "exploding": 1e3, "steps": 9})
    assert nonfinite == [3, 4]


def test_erf_matches_python():
    xs = [k / 50 for k in range(-400, 401)] + [1e-9, -1e-9, 2.9999, 3.0, 3.0001, 5.99, 6.01, 30.0]
    got = run_js(ENGINE, "output = input.map(erf);", xs)
    for x, e in zip(xs, got):
        assert relative_gap(e, math.erf(x)) <= 1e-14, x


def test_domain_errors_name_the_same_op():
    """Each guarded forward raises on the page where Python raises."""
    cases = [("log", [-1.0], None), ("log", [0.0], None), ("sqrt", [-0.5], None),
             ("/", [1.0, 0.0], None), ("**", [0.0], -1.0), ("**", [-2.0], 0.5),
             ("pow", [-2.0, 2.0], None), ("exp", [800.0], None), ("**", [1e200], 2.0),
             ("sin", [math.inf], None), ("binary_cross_entropy", [1.5, 1.0], None)]
    body = """output = input.map(function (c) {
      var R = RULES[c[0]];
      try { R.forward(c[1][0], c[1][1], c[2]); return null; } catch (err) { return err.op; }
    });"""
    got = run_js(ENGINE, body, cases)
    for (op, xs, arg), js_op in zip(cases, got):
        with pytest.raises(DomainError) as err:
            _apply(op, tuple(Value(x) for x in xs), arg)
        assert js_op == err.value.op, op


def test_every_page_script_parses():
    import subprocess
    node = node_program()
    for path in sorted(WEB.glob("*.js")):
        done = subprocess.run([node, "--check", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, (path.name, done.stderr)
