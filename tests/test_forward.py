"""Forward mode (issue 14): `autograd.forward.jvp` on Values and Tensors, checked against
central differences, reverse mode (the same rule table read the other way) and PyTorch's
`torch.func.jvp`; its error messages."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import DomainError, Tensor, Value
from autograd.forward import jvp, push_tangents
from test_function import Exp
from test_parity_torch import _build, _condition, _output, programs, same

torch = pytest.importorskip("torch")


def central(f, xs, ts, h=1e-6):
    """(f(x + h t) - f(x - h t)) / 2h for a function of float64 arrays."""
    plus = f(*[x + h * t for x, t in zip(xs, ts)])
    minus = f(*[x - h * t for x, t in zip(xs, ts)])
    return (np.asarray(plus) - np.asarray(minus)) / (2 * h)


# ---- scalars: the local derivatives of scalar_rules, pushed forward ----

def test_a_scalar_tangent_is_the_directional_derivative():
    f = lambda x, y: (x * y).tanh() + x.exp() / y
    out, t = jvp(f, (Value(0.3), Value(-1.2)), (2.0, 0.5))
    fd = central(lambda x, y: math.tanh(x * y) + math.exp(x) / y, [0.3, -1.2], [2.0, 0.5])
    assert out.data == pytest.approx(f(Value(0.3), Value(-1.2)).data)
    assert t == pytest.approx(float(fd), rel=1e-8)
    assert isinstance(t, float) and out.is_leaf         # no graph kept


def test_numbers_are_primals_too_and_a_masked_derivative_selects():
    out, t = jvp(lambda x: x.relu() * 3.0, (-2.0,), (math.inf,))
    assert (out.data, t) == (-0.0, 0.0)    # relu'(x<0) selects: 0, not 0·inf = nan
    _, tt = torch.func.jvp(torch.relu, (torch.tensor(-2.0),), (torch.tensor(math.inf),))
    assert tt.item() == 0.0


@settings(max_examples=60, deadline=None, derandomize=True)
@given(program=programs())
def test_value_dag_tangents_match_pytorch_and_reverse_mode(program):
    # finite, moderate inputs; programs that leave their domain are not this test's subject
    program = dict(program, inputs=[float(np.clip(x, -3, 3)) if math.isfinite(x) else 0.5
                                    for x in program["inputs"]])
    nodes, failure = _build(program, lambda x: Value(x), True)
    assume(failure is None)
    n_in = len(program["inputs"])
    extra = min(program["extra"], len(nodes) - 1)
    out = _output(nodes, extra)
    assume(math.isfinite(out.data))
    v = program["v"]

    def run(*xs):
        built = list(xs)
        for op, refs, k in program["steps"]:
            built.append(op.ours(*[built[r] for r in refs], k))
        return _output(built, extra)

    prim, tangent = jvp(run, tuple(program["inputs"]), tuple(v))
    assert prim.data == out.data
    # reverse mode through the same local derivatives: grad · v
    grads = autograd.grad(out, nodes[:n_in], allow_unused=True)
    atol = 1e-7 + 1e-12 * sum(c * abs(vi) for c, vi in zip(_condition(out, nodes[:n_in]), v))
    reverse = sum(g * vi for g, vi in zip(grads, v) if g is not None)
    assume(math.isfinite(reverse))
    assert tangent == pytest.approx(reverse, abs=atol, rel=1e-9)

    def theirs(*xs):
        built = list(xs)
        for op, refs, k in program["steps"]:
            built.append(op.theirs(*[built[r] for r in refs], k))
        return _output(built, extra)

    _, ttan = torch.func.jvp(theirs, tuple(torch.tensor(x, dtype=torch.float64)
                                           for x in program["inputs"]),
                             tuple(torch.tensor(x, dtype=torch.float64) for x in v))
    same(tangent, ttan, "tangent", atol)


def test_push_tangents_is_the_forward_twin_of_grad():
    x, y = Value(1.5), Value(-0.5)
    z = x * y + y.sin()
    (dz,) = push_tangents(z, [x, y], [1.0, 0.0])
    assert dz == autograd.grad(z, [x])[0]
    assert push_tangents([z, x * 2.0], [y], [0.0]) == (0.0, None)   # x*2 ignores y


# ---- tensors: the JVPs of tensor_rules ----

def _mlp_like(x, w, b):
    h = (x @ w.T + b).tanh()                       # batched, broadcast bias
    return (h * h).sum(dim=1).log_softmax(0), h.mean()


def test_tensor_tangents_match_central_differences_multiple_inputs_and_outputs():
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4,))]
    ts = [rng.normal(size=x.shape) for x in xs]
    outs, tans = jvp(_mlp_like, tuple(Tensor(x) for x in xs), tuple(Tensor(t) for t in ts))
    assert isinstance(outs, tuple) and len(tans) == 2
    for k in range(2):
        fd = central(lambda *a: _mlp_like(*[Tensor(v) for v in a])[k].numpy(), xs, ts)
        np.testing.assert_allclose(tans[k].numpy(), fd, rtol=1e-6, atol=1e-8)
    tout, ttan = torch.func.jvp(_mlp_like, tuple(torch.tensor(x) for x in xs),
                                tuple(torch.tensor(t) for t in ts))
    for ours, theirs in zip(tans, ttan):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.integers(0, 3).flatmap(lambda nd: st.tuples(
    st.lists(st.integers(1, 3), min_size=nd, max_size=nd), st.integers(0, 2 ** 32 - 1))))
def test_tensor_tangents_on_random_shapes_including_0d(case):
    shape, seed = tuple(case[0]), case[1]
    rng = np.random.default_rng(seed)
    x, y, tx, ty = (rng.normal(size=shape) for _ in range(4))
    f = lambda a, b: ((a * b).sigmoid() + a.exp() / (1.0 + b * b)).sum() * a.std() \
        if a.numel() > 1 else (a * b).sigmoid() + a.exp() / (1.0 + b * b)
    out, t = jvp(f, (Tensor(x), Tensor(y)), (Tensor(tx), Tensor(ty)))
    _, tt = torch.func.jvp(f, (torch.tensor(x), torch.tensor(y)),
                           (torch.tensor(tx), torch.tensor(ty)))
    assert tuple(t.shape) == tuple(tt.shape) == tuple(out.shape)
    np.testing.assert_allclose(t.numpy(), tt.numpy(), rtol=1e-10, atol=1e-12)


def test_an_output_that_ignores_the_inputs_gets_a_zero_tangent():
    out, t = jvp(lambda x: (x * 2.0, Tensor([1.0, 2.0])), (Tensor([3.0]),), (Tensor([1.0]),))
    assert t[0].tolist() == [2.0] and t[1].tolist() == [0.0, 0.0]


def test_create_graph_gives_a_differentiable_tangent():
    x = Tensor([0.5, -1.0], requires_grad=True)
    _, t = jvp(lambda a: (a ** 3).sum(), (x,), (Tensor([1.0, 1.0]),), create_graph=True)
    (g,) = autograd.grad(t, [x])                    # d/dx Σ 3x² = 6x
    np.testing.assert_allclose(g.numpy(), [3.0, -6.0])
    v = Value(2.0)
    _, tv = jvp(lambda a: a ** 3, (v,), (1.0,), create_graph=True)
    assert autograd.grad(tv, [v])[0] == 12.0


# ---- error paths ----

def test_bad_arguments_get_clear_errors():
    with pytest.raises(TypeError, match="primals must be a tuple"):
        jvp(lambda x: x, Tensor([1.0]), (Tensor([1.0]),))
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        jvp(lambda x, y: x, (Tensor([1.0]), Tensor([1.0])), (Tensor([1.0]),))
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(3,\) but its primal has "
                                         r"shape \(2,\)"):
        jvp(lambda x: x, (Tensor([1.0, 2.0]),), (Tensor([1.0, 2.0, 3.0]),))
    with pytest.raises(TypeError, match="primal 0 has dtype autograd.int64; only "
                                        "floating-point tensors are differentiable"):
        jvp(lambda x: x, (autograd.tensor([1, 2]),), (Tensor([1.0, 2.0]),))
    with pytest.raises(TypeError, match="tangent 0 must be a number"):
        jvp(lambda x: x, (Value(1.0),), (Tensor([1.0]),))
    with pytest.raises(TypeError, match="returned a float"):
        jvp(lambda x: x.item(), (Tensor([1.0]),), (Tensor([1.0]),))
    with pytest.raises(TypeError, match="primal 0 must be a Value, a number or a Tensor"):
        jvp(lambda x: x, ("a",), (1.0,))
    with pytest.raises(DomainError, match="log"):
        jvp(lambda x: x.log(), (Value(-1.0),), (1.0,))


def test_a_custom_function_on_tensors_names_itself():
    with pytest.raises(NotImplementedError, match="'Exp'.*backward only"):
        jvp(Exp.apply, (Tensor([1.0]),), (Tensor([1.0]),))
    # on scalars the custom op's local derivative serves forward mode as well
    assert jvp(Exp.apply, (Value(0.0),), (2.0,))[1] == 2.0


def test_every_tensor_rule_has_its_jvp_beside_its_vjp():
    from autograd.tensor_rules import LINEAR, REDUCTION, RULES, SYMMETRIC
    for op, rule in RULES.items():
        assert rule.jvp in (SYMMETRIC, LINEAR, REDUCTION) or callable(rule.jvp), op


def test_a_value_changed_in_place_after_use_is_refused_as_in_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = (y * y).sum()
    with autograd.no_grad():
        y.mul_(3.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        push_tangents(z, x, np.array([1.0, 0.0]))
