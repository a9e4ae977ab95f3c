"""`autograd.grad` (first and higher order) and `autograd.gradcheck`, including a
deliberately wrong rule that gradcheck must catch and describe."""
import math
import re

import numpy as np
import pytest

import autograd
from autograd import GradcheckError, Value, grad, gradcheck, no_grad
from autograd.scalar_rules import RULES


# ---- first order ---------------------------------------------------------------------------

def test_grad_returns_floats_and_never_touches_dot_grad():
    x, y = Value(3.0), Value(-2.0)
    mid = x * y
    out = mid.tanh() + x
    gx, gy = grad(out, [x, y])
    assert type(gx) is float and type(gy) is float
    t = math.tanh(-6.0)
    assert gx == pytest.approx((1 - t * t) * -2.0 + 1.0, rel=1e-15)
    assert gy == pytest.approx((1 - t * t) * 3.0, rel=1e-15)
    assert x.grad == y.grad == mid.grad == out.grad == 0.0


def test_grad_matches_backward_exactly():
    x, y = Value(0.7), Value(-1.1)
    out = (x * y + x.exp()) / (y * y + 1.0) + (x - y).sin()
    gx, gy = grad(out, [x, y])
    out.backward()
    assert (gx, gy) == pytest.approx((x.grad, y.grad), rel=1e-14)


def test_grad_of_a_single_input_and_output_not_in_lists():
    x = Value(2.0)
    assert grad(x * x, x) == (4.0,)


def test_grad_outputs_seed_and_sum_over_outputs():
    x = Value(2.0)
    a, b = x * 3.0, x * x
    assert grad([a, b], [x]) == (3.0 + 4.0,)
    assert grad([a, b], [x], grad_outputs=[2.0, -1.0]) == (2.0 * 3.0 - 4.0,)
    with pytest.raises(ValueError, match="2 outputs but 1 grad_outputs"):
        grad([a, b], [x], grad_outputs=[1.0])


def test_unused_input_raises_unless_allow_unused():
    x, unused = Value(1.0), Value(2.0, label="u")
    out = x * 2
    with pytest.raises(ValueError, match=r"input 1 \(u\) was not used.*allow_unused=True"):
        grad(out, [x, unused])
    assert grad(out, [x, unused], allow_unused=True) == (2.0, None)


def test_grad_of_an_input_with_respect_to_itself():
    x = Value(5.0)
    assert grad(x, [x]) == (1.0,)


# ---- higher order --------------------------------------------------------------------------

def test_create_graph_gives_a_differentiable_value():
    # PyTorch's doc example: y = x³ at 3 -> dy/dx = 27, then d²y/dx² = 18 via backward.
    x = Value(3.0)
    (dx,) = grad(x ** 3, [x], create_graph=True)
    assert type(dx) is Value and dx.data == 27.0 and dx.parents
    assert x.grad == 0.0
    dx.backward()
    assert x.grad == 18.0


def test_third_derivative_of_cube():
    x = Value(-1.5)
    (d1,) = grad(x ** 3, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    assert (d1.data, d2.data, d3) == pytest.approx((3 * 2.25, 6 * -1.5, 6.0), rel=1e-15)


def _tanh2(x):
    t = math.tanh(x)
    return -2 * t * (1 - t * t)


def _sigmoid2(x):
    s = 1 / (1 + math.exp(-x))
    return s * (1 - s) * (1 - 2 * s)


def _sigmoid1(x):
    s = 1 / (1 + math.exp(-x))
    return s * (1 - s)


def _gelu2(x):
    pdf = math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    return pdf * (2 - x * x)        # d/dx (Φ + xφ) = φ + φ + x·(−xφ)


SECOND = [
    # name, f, x, closed-form f''(x)
    ("tanh", lambda v: v.tanh(), 0.6, _tanh2(0.6)),
    ("tanh_neg", lambda v: v.tanh(), -1.3, _tanh2(-1.3)),
    ("cube", lambda v: v ** 3, 1.7, 6 * 1.7),
    ("sigmoid", lambda v: v.sigmoid(), 0.9, _sigmoid2(0.9)),
    ("sigmoid_neg", lambda v: v.sigmoid(), -2.2, _sigmoid2(-2.2)),
    ("exp", lambda v: v.exp(), 0.5, math.exp(0.5)),
    ("log", lambda v: v.log(), 2.0, -0.25),
    ("sqrt", lambda v: v.sqrt(), 4.0, -0.25 * 4.0 ** -1.5),
    ("sin", lambda v: v.sin(), 0.4, -math.sin(0.4)),
    ("cos", lambda v: v.cos(), 0.4, -math.cos(0.4)),
    ("recip", lambda v: 1.0 / v, 2.0, 2.0 / 8.0),
    ("rpow", lambda v: 3.0 ** v, 0.5, 3.0 ** 0.5 * math.log(3.0) ** 2),
    ("self_pow", lambda v: v ** v, 1.5, 1.5 ** 1.5 * ((math.log(1.5) + 1) ** 2 + 1 / 1.5)),
    ("gelu", lambda v: v.gelu(), 0.8, _gelu2(0.8)),
    ("softplus", lambda v: v.softplus(), 0.3, _sigmoid1(0.3)),    # softplus'' = σ(1 − σ)
    ("elu_neg", lambda v: v.elu(1.5), -0.4, 1.5 * math.exp(-0.4)),
    ("relu", lambda v: v.relu() * v, 2.0, 2.0),     # x·relu(x) = x² for x > 0
    ("abs", lambda v: v.abs() * v, -2.0, -2.0),     # x·|x| = -x² for x < 0
]


@pytest.mark.parametrize("name, f, x0, expected", SECOND, ids=[c[0] for c in SECOND])
def test_second_derivatives_match_closed_forms(name, f, x0, expected):
    x = Value(x0)
    (d1,) = grad(f(x), [x], create_graph=True)
    (d2,) = grad(d1, [x])
    assert d2 == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_mixed_partials_and_symmetry():
    # f = x y² + sin(x y): f_xy = 2y + cos(xy) - xy sin(xy) = f_yx
    x, y = Value(0.5), Value(-1.2)
    f = x * y ** 2 + (x * y).sin()
    gx, gy = grad(f, [x, y], create_graph=True)
    (fxy,) = grad(gx, [y])
    (fyx,) = grad(gy, [x])
    xy = 0.5 * -1.2
    expected = 2 * -1.2 + math.cos(xy) - xy * math.sin(xy)
    assert fxy == pytest.approx(expected, rel=1e-13)
    assert fyx == pytest.approx(expected, rel=1e-13)


def test_second_derivative_of_a_term_with_zero_second_derivative():
    # d/dx (3x) = 3 is a constant: with create_graph it is a leaf Value; its grad is unused.
    x = Value(2.0)
    (d1,) = grad(x * 3.0, [x], create_graph=True)
    assert type(d1) is Value and d1.data == 3.0
    assert grad(d1, [x], allow_unused=True) in ((None,), (0.0,))


def test_create_graph_works_inside_no_grad_and_restores_the_mode():
    x = Value(1.0)
    y = x.tanh()
    with no_grad():
        (d1,) = grad(y, [x], create_graph=True)
        assert not autograd.is_grad_enabled()
    assert d1.parents           # recorded although the caller was in no_grad
    (d2,) = grad(d1, [x])
    assert d2 == pytest.approx(_tanh2(1.0), rel=1e-13)
    square = x * x
    with no_grad():
        assert grad(square, [x]) == (2.0,)
    assert autograd.is_grad_enabled()


def test_create_graph_false_builds_no_graph():
    x = Value(1.0)
    (g,) = grad(x.exp() * x, [x])
    assert type(g) is float


def test_second_derivatives_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    cases = [
        (lambda v: v.tanh(), torch.tanh),
        (lambda v: v.sigmoid(), torch.sigmoid),
        (lambda v: v ** 3, lambda t: t ** 3),
        (lambda v: v.gelu(), F.gelu),
        (lambda v: v.softplus(), F.softplus),
        (lambda v: v.elu(0.7), lambda t: F.elu(t, 0.7)),
        (lambda v: (v * v + 1.0).log() / v, lambda t: torch.log(t * t + 1.0) / t),
        (lambda v: v.sqrt() * v.cos(), lambda t: torch.sqrt(t) * torch.cos(t)),
        (lambda v: 2.0 ** v * v.sin(), lambda t: 2.0 ** t * torch.sin(t)),
    ]
    for x0 in (0.35, 1.8):
        for ours, theirs in cases:
            x = Value(x0)
            (d1,) = grad(ours(x), [x], create_graph=True)
            # elu' is the constant 1 for x > 0: our d1 is then a constant leaf (torch keeps
            # a graph through x), so ask with allow_unused and read None as 0.
            (d2,) = grad(d1, [x], allow_unused=True)
            d2 = 0.0 if d2 is None else d2
            t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
            (t1,) = torch.autograd.grad(theirs(t), [t], create_graph=True)
            (t2,) = torch.autograd.grad(t1, [t])
            assert d1.data == pytest.approx(t1.item(), rel=1e-9)
            assert d2 == pytest.approx(t2.item(), rel=1e-9, abs=1e-12)


def test_hessian_matches_torch():
    torch = pytest.importorskip("torch")

    def f(a, b, c):
        return (a * b).tanh() * c + (a - c) ** 2 * b.sigmoid() + (b / (1.0 + c * c)).exp()

    point = (0.3, -0.8, 1.1)
    xs = [Value(p) for p in point]
    first = grad(f(*xs), xs, create_graph=True)
    ours = [[grad(g, xs, allow_unused=True)[j] or 0.0 for j in range(3)] for g in first]
    theirs = torch.autograd.functional.hessian(
        lambda a, b, c: f(a, b, c), tuple(torch.tensor(p, dtype=torch.float64) for p in point))
    for i in range(3):
        for j in range(3):
            assert ours[i][j] == pytest.approx(theirs[i][j].item(), rel=1e-9, abs=1e-12)


# ---- gradcheck ----------------------------------------------------------------------------

def test_gradcheck_passes_on_correct_functions():
    assert gradcheck(lambda a, b: (a * b).tanh() + a / b, [Value(0.3), Value(-1.2)])
    assert gradcheck(lambda a: a.gelu() * a.softplus(), [Value(0.4)])
    assert gradcheck(lambda a, b, c: a ** b * c.exp(), [Value(1.3), Value(0.7), Value(-0.2)])
    assert gradcheck(lambda a, b: a.maximum(b) + a.minimum(b), [Value(1.0), Value(2.0)])


def test_gradcheck_counts_an_unused_input_as_zero():
    assert gradcheck(lambda a, b: a * 2.0, [Value(1.0), Value(5.0)])


def test_gradcheck_restores_the_inputs():
    a = Value(0.3)
    gradcheck(lambda v: v.tanh(), [a])
    assert a.data == 0.3 and a.grad == 0.0


def test_gradcheck_catches_a_wrong_rule_and_describes_it(monkeypatch):
    # tanh' = 1 - tanh² ; break it into 1 - tanh (a classic slip).
    wrong = RULES["tanh"]._replace(local=lambda out, a, arg: 1.0 - out)
    monkeypatch.setitem(RULES, "tanh", wrong)
    x = Value(0.5, label="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda v: v.tanh(), [x])
    message = str(info.value)
    t = math.tanh(0.5)
    m = re.fullmatch(r"gradcheck: d\(output\)/d\(x\) by backprop = (\S+), "
                     r"by central differences = (\S+), difference = (\S+) "
                     r"\(atol=1e-05, rtol=0.001\)", message)
    assert m, message
    backprop, numeric, difference = map(float, m.groups())
    assert backprop == pytest.approx(1 - t, rel=1e-15)
    assert numeric == pytest.approx(1 - t * t, rel=1e-8)
    assert difference == pytest.approx(backprop - numeric, rel=1e-12)
    assert gradcheck(lambda v: v.tanh(), [x], raise_exception=False) is False


def test_gradcheck_names_an_unlabelled_input_by_position(monkeypatch):
    # d(a/b)/db = -a/b²; flip its sign.
    wrong = RULES["/"]._replace(local=lambda out, a, b, arg: (1.0 / b, a / (b * b)))
    monkeypatch.setitem(RULES, "/", wrong)
    with pytest.raises(GradcheckError, match=r"d\(input 1\) by backprop = 0\.75, by central "
                                             r"differences = -0\.74"):
        gradcheck(lambda a, b: a / b, [Value(3.0), Value(2.0)])
    # The first input's rule is right, so a check of it alone passes.
    assert gradcheck(lambda a: a / 2.0, [Value(3.0)])


def test_gradcheck_perturbs_a_copy_so_read_only_inputs_work():
    from autograd import Tensor
    data = np.array([0.3, -0.7])
    data.setflags(write=False)             # e.g. a slice of a memory-mapped data set
    x = Tensor(data, requires_grad=True)
    assert gradcheck(lambda t: (t * t).sin(), [x])
    assert x.raw_data is data               # the input is put back as it was


def test_gradcheck_checks_every_output_of_a_list_or_tuple():
    from autograd import Tensor
    x = Tensor(np.array([0.3, -0.7, 1.1]), requires_grad=True)
    assert gradcheck(lambda t: [t.softmax(0), t.exp().sum()], [x])
    assert gradcheck(lambda a, b: (a * b, a - b, b.exp()), [Value(0.3), Value(2.0)])
    # A softmax backward that swaps two elements: a plain sum (constant 1) could not see
    # it, the weighted sum does.
    from autograd.tensor_rules import RULES
    rule = RULES["softmax"]
    swapped = rule._replace(vjp=lambda B, g, out, a, axis: rule.vjp(B, g, out, a, axis)[::-1])
    RULES["softmax"] = swapped
    try:
        with pytest.raises(GradcheckError, match=r"d\(Σ w·output\)/d\(input 0\[0\]\)"):
            gradcheck(lambda t: (t.softmax(0),), [x])
    finally:
        RULES["softmax"] = rule


def test_gradcheck_says_float32_needs_looser_tolerances():
    from autograd import Tensor
    x = Tensor(np.array([0.3, 0.7], np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float32, not float64"):
        with pytest.raises(GradcheckError, match=r"input\(s\) 0 are not float64: eps=1e-6 and "
                                                 r"these tolerances are meant for float64"):
            gradcheck(lambda t: (t * t).sum(), [x])
    with pytest.warns(UserWarning):     # the same correct function passes when loosened
        assert gradcheck(lambda t: (t * t).sum(), [x], eps=1e-2, atol=1e-3, rtol=1e-2)
    assert gradcheck(lambda t: (t * t).sum(), [x.double().detach().requires_grad_()])


def test_gradcheck_tolerances_are_pytorchs_defaults():
    import inspect
    params = inspect.signature(gradcheck).parameters
    assert (params["eps"].default, params["atol"].default, params["rtol"].default) == \
        (1e-6, 1e-5, 1e-3)
    assert params["raise_exception"].default is True


def test_higher_order_through_an_mlp_fused_and_per_op_match_torch():
    import nn
    results = []
    for fused in (True, False):
        m = nn.MLP(2, [4, 1], activation="tanh", seed=0, fused=fused)
        x = [Value(0.3), Value(-0.7)]
        gx = grad(m(x), x, create_graph=True)
        hessian = [list(grad(g, x)) for g in gx]
        dgx0_dw = list(grad(gx[0], m.parameters(), allow_unused=True))  # not b_out
        results.append(([g.data for g in gx], hessian, dgx0_dw))
    assert results[0] == results[1]     # the fused affine node differentiates like the per-op graph
    torch = pytest.importorskip("torch")
    sd = nn.MLP(2, [4, 1], activation="tanh", seed=0).state_dict()
    W1 = torch.tensor(np.array([sd[f"layers.0.neurons.{i}.w"] for i in range(4)]),
                      dtype=torch.float64)
    b1 = torch.tensor([float(sd[f"layers.0.neurons.{i}.b"]) for i in range(4)],
                      dtype=torch.float64)
    W2 = torch.tensor(sd["layers.1.neurons.0.w"], dtype=torch.float64)
    f = lambda x: W2 @ torch.tanh(W1 @ x + b1) + float(sd["layers.1.neurons.0.b"])
    point = torch.tensor([0.3, -0.7], dtype=torch.float64)
    H = torch.autograd.functional.hessian(f, point)
    grads, hessian, _ = results[0]
    assert grads == pytest.approx(torch.autograd.functional.jacobian(f, point).tolist(),
                                  rel=1e-9)
    assert [v for row in hessian for v in row] == pytest.approx(H.flatten().tolist(), rel=1e-9)
