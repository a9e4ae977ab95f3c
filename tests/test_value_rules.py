"""Every scalar op, one by one: an exact value and gradient computed by hand, float64 central
differences (our own and `autograd.gradcheck`), PyTorch parity in float64, and PyTorch's
conventions at the kinks."""
import math

import pytest

import autograd
from autograd import Value, gradcheck, local_derivatives
from autograd.scalar_rules import ACCUMULATE, RULES
from autograd.value import _apply

SQRT3 = math.sqrt(3.0)
PHI1 = 0.5 * (1.0 + math.erf(1.0 / math.sqrt(2.0)))          # Φ(1)
PDF1 = math.exp(-0.5) / math.sqrt(2.0 * math.pi)              # φ(1)

# name, function of Values, inputs, value, gradient per input — all worked out by hand.
HAND = [
    ("add", lambda a, b: a + b, (2.0, -5.0), -3.0, (1.0, 1.0)),
    ("sub", lambda a, b: a - b, (2.0, -5.0), 7.0, (1.0, -1.0)),
    ("mul", lambda a, b: a * b, (2.0, -5.0), -10.0, (-5.0, 2.0)),
    ("div", lambda a, b: a / b, (3.0, 4.0), 0.75, (0.25, -3.0 / 16.0)),      # -a/b²
    ("neg", lambda a: -a, (2.5,), -2.5, (-1.0,)),
    ("pow_int", lambda a: a ** 3, (-2.0,), -8.0, (12.0,)),                    # 3a²
    ("pow_neg", lambda a: a ** -1, (2.0,), 0.5, (-0.25,)),                   # -1/a²
    ("pow_half", lambda a: a ** 0.5, (4.0,), 2.0, (0.25,)),                  # 1/(2√a)
    ("pow_zero", lambda a: a ** 0, (5.0,), 1.0, (0.0,)),
    ("pow_value", lambda a, b: a ** b, (2.0, 3.0), 8.0, (12.0, 8.0 * math.log(2.0))),
    ("rpow", lambda b: 3.0 ** b, (2.0,), 9.0, (9.0 * math.log(3.0),)),
    ("exp", lambda a: a.exp(), (0.0,), 1.0, (1.0,)),
    ("exp_1", lambda a: a.exp(), (1.0,), math.e, (math.e,)),
    ("log", lambda a: a.log(), (4.0,), 2.0 * math.log(2.0), (0.25,)),
    ("sqrt", lambda a: a.sqrt(), (4.0,), 2.0, (0.25,)),
    ("tanh_0", lambda a: a.tanh(), (0.0,), 0.0, (1.0,)),
    ("tanh", lambda a: a.tanh(), (math.log(2.0),), 0.6, (0.64,)),            # (4-1)/(4+1)
    ("sigmoid_0", lambda a: a.sigmoid(), (0.0,), 0.5, (0.25,)),
    ("sigmoid", lambda a: a.sigmoid(), (math.log(3.0),), 0.75, (0.1875,)),   # 3/4, 3/4 * 1/4
    ("relu_pos", lambda a: a.relu(), (3.0,), 3.0, (1.0,)),
    ("relu_neg", lambda a: a.relu(), (-2.0,), 0.0, (0.0,)),
    ("leaky_relu", lambda a: a.leaky_relu(0.1), (-2.0,), -0.2, (0.1,)),
    ("leaky_relu_pos", lambda a: a.leaky_relu(0.1), (2.0,), 2.0, (1.0,)),
    ("elu", lambda a: a.elu(2.0), (-math.log(2.0),), -1.0, (1.0,)),         # 2(1/2-1), 2·1/2
    ("elu_pos", lambda a: a.elu(2.0), (1.5,), 1.5, (1.0,)),
    ("gelu_0", lambda a: a.gelu(), (0.0,), 0.0, (0.5,)),                     # 0·Φ, Φ(0)
    ("gelu_1", lambda a: a.gelu(), (1.0,), PHI1, (PHI1 + PDF1,)),            # Φ + xφ
    ("normal_cdf", lambda a: a.normal_cdf(), (0.0,), 0.5, (1 / math.sqrt(2 * math.pi),)),
    ("softplus_0", lambda a: a.softplus(), (0.0,), math.log(2.0), (0.5,)),
    ("softplus_big", lambda a: a.softplus(), (25.0,), 25.0, (1.0,)),         # above threshold
    ("sin", lambda a: a.sin(), (math.pi / 6,), 0.5, (SQRT3 / 2,)),
    ("cos", lambda a: a.cos(), (math.pi / 3,), 0.5, (-SQRT3 / 2,)),
    ("abs_neg", lambda a: a.abs(), (-3.0,), 3.0, (-1.0,)),
    ("abs_pos", lambda a: abs(a), (3.0,), 3.0, (1.0,)),
    ("maximum", lambda a, b: a.maximum(b), (2.0, 3.0), 3.0, (0.0, 1.0)),
    ("minimum", lambda a, b: a.minimum(b), (2.0, 3.0), 2.0, (1.0, 0.0)),
    ("affine", lambda w0, w1, b, x0, x1: autograd.affine([w0, w1], [x0, x1], b),
     (0.5, -2.0, 0.25, 3.0, 1.5), 1.5 - 3.0 + 0.25, (3.0, 1.5, 1.0, 0.5, -2.0)),
]

# PyTorch's conventions at the kinks (autograd mechanics, derivatives.yaml).
KINKS = [
    ("relu'(0) = 0", lambda a: a.relu(), (0.0,), 0.0, (0.0,)),
    ("abs'(0) = 0", lambda a: a.abs(), (0.0,), 0.0, (0.0,)),
    ("leaky_relu'(0) = alpha", lambda a: a.leaky_relu(0.2), (0.0,), 0.0, (0.2,)),
    ("elu'(0) = alpha", lambda a: a.elu(0.7), (0.0,), 0.0, (0.7,)),
    ("maximum tie 0.5/0.5", lambda a, b: a.maximum(b), (1.5, 1.5), 1.5, (0.5, 0.5)),
    ("minimum tie 0.5/0.5", lambda a, b: a.minimum(b), (1.5, 1.5), 1.5, (0.5, 0.5)),
    ("sqrt'(0) = inf", lambda a: a.sqrt(), (0.0,), 0.0, (math.inf,)),
    ("(x**0.5)'(0) = inf", lambda a: a ** 0.5, (0.0,), 0.0, (math.inf,)),
    ("(x**0)'(0) = 0", lambda a: a ** 0, (0.0,), 1.0, (0.0,)),
    ("(x**1)'(0) = 1", lambda a: a ** 1, (0.0,), 0.0, (1.0,)),
    ("(x**2)'(0) = 0", lambda a: a ** 2, (0.0,), 0.0, (0.0,)),
    ("0**b: d/db = 0", lambda a, b: a ** b, (0.0, 2.0), 0.0, (0.0, 0.0)),
    ("softplus at threshold 20", lambda a: a.softplus(), (20.0,), math.log1p(math.exp(20.0)),
     (1.0 / (1.0 + math.exp(-20.0)),)),
]


def _backprop(fn, xs):
    vs = [Value(x) for x in xs]
    out = fn(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


@pytest.mark.parametrize("name, fn, xs, value, grads", HAND + KINKS,
                         ids=[c[0] for c in HAND + KINKS])
def test_hand_computed_value_and_gradient(name, fn, xs, value, grads):
    data, got = _backprop(fn, xs)
    assert data == pytest.approx(value, rel=1e-15, abs=1e-300)
    assert got == pytest.approx(list(grads), rel=1e-15, abs=1e-300)


def test_local_derivatives_of_a_node():
    a, b = Value(2.0), Value(-5.0)
    assert local_derivatives(a * b) == (-5.0, 2.0)
    assert local_derivatives(a / b) == pytest.approx((1 / -5.0, -2.0 / 25.0), rel=1e-15)
    assert local_derivatives(a.tanh()) == pytest.approx((1 - math.tanh(2.0) ** 2,), rel=1e-15)
    assert local_derivatives(a) == ()


# ---- float64 central differences at points away from kinks ---------------------------------

SMOOTH = [
    ("add", lambda a, b: a + b, [(0.3, -1.7), (2.0, 5.0)]),
    ("sub", lambda a, b: a - b, [(0.3, -1.7), (-2.0, 5.0)]),
    ("mul", lambda a, b: a * b, [(0.3, -1.7), (2.5, 4.0)]),
    ("div", lambda a, b: a / b, [(0.3, -1.7), (2.5, 0.4)]),
    ("rdiv", lambda b: 2.0 / b, [(0.3,), (-1.7,)]),
    ("neg", lambda a: -a, [(0.3,)]),
    ("pow_int", lambda a: a ** 3, [(-1.3,), (0.7,)]),
    ("pow_neg", lambda a: a ** -2, [(-1.3,), (0.7,)]),
    ("pow_frac", lambda a: a ** 1.5, [(0.2,), (2.7,)]),
    ("pow_value", lambda a, b: a ** b, [(0.7, -1.3), (2.5, 0.4)]),
    ("rpow", lambda b: 2.0 ** b, [(-1.3,), (3.1,)]),
    ("exp", lambda a: a.exp(), [(-1.3,), (2.0,)]),
    ("log", lambda a: a.log(), [(0.05,), (3.0,)]),
    ("sqrt", lambda a: a.sqrt(), [(0.05,), (3.0,)]),
    ("tanh", lambda a: a.tanh(), [(-1.3,), (0.4,)]),
    ("sigmoid", lambda a: a.sigmoid(), [(-3.0,), (0.4,)]),
    ("relu", lambda a: a.relu(), [(-1.3,), (0.4,)]),
    ("leaky_relu", lambda a: a.leaky_relu(0.05), [(-1.3,), (0.4,)]),
    ("elu", lambda a: a.elu(1.3), [(-1.3,), (0.4,)]),
    ("gelu", lambda a: a.gelu(), [(-1.3,), (0.4,), (3.0,)]),
    ("normal_cdf", lambda a: a.normal_cdf(), [(-1.3,), (0.4,)]),
    ("softplus", lambda a: a.softplus(), [(-1.3,), (0.4,), (19.0,), (30.0,)]),
    ("sin", lambda a: a.sin(), [(-1.3,), (0.4,)]),
    ("cos", lambda a: a.cos(), [(-1.3,), (0.4,)]),
    ("abs", lambda a: a.abs(), [(-1.3,), (0.4,)]),
    ("maximum", lambda a, b: a.maximum(b), [(0.3, -1.7), (-2.0, 5.0)]),
    ("minimum", lambda a, b: a.minimum(b), [(0.3, -1.7), (-2.0, 5.0)]),
    ("affine", lambda w0, w1, b, x0, x1: autograd.affine([w0, w1], [x0, x1], b),
     [(0.5, -2.0, 0.25, 3.0, 1.5)]),
]


@pytest.mark.parametrize("name, fn, points", SMOOTH, ids=[c[0] for c in SMOOTH])
def test_backprop_matches_central_differences(name, fn, points):
    eps = 1e-6
    for xs in points:
        _, grads = _backprop(fn, xs)
        for k in range(len(xs)):
            hi, lo = list(xs), list(xs)
            hi[k] += eps
            lo[k] -= eps
            numeric = (fn(*map(Value, hi)).data - fn(*map(Value, lo)).data) / (2 * eps)
            assert grads[k] == pytest.approx(numeric, rel=1e-6, abs=1e-8), (name, xs, k)
        assert gradcheck(fn, [Value(x) for x in xs])


def test_in_place_backward_agrees_with_the_rule_table():
    # `+`, `*` and `affine` skip the local-derivative tuple in backward (speed); the result
    # must be exactly the table's local derivative times the incoming gradient.
    assert {"+", "*", "affine"} <= set(ACCUMULATE)
    for make in (lambda a, b: a + b, lambda a, b: a * b,
                 lambda a, b: autograd.affine([a], [b], Value(0.75))):
        a, b = Value(1.3), Value(-0.7)
        out = make(a, b) * 2.5          # incoming gradient 2.5
        out.backward()
        node = out.parents[0]
        table = local_derivatives(node)
        assert [p.grad for p in node.parents] == [d * 2.5 for d in table]


class _Scale(autograd.Function):
    """a * b * 1.5 as a custom op."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b * 1.5

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b * 1.5, grad * a * 1.5


@pytest.mark.parametrize("op", sorted(RULES))
def test_local_rules_give_the_same_numbers_on_floats_and_on_values(op):
    # The table's `local` serves backward (floats) and higher order (Values): same numbers.
    a, b = Value(0.8), Value(1.7)
    node = {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "pow": a ** b, "**": a ** 3,
            "maximum": a.maximum(b), "minimum": a.minimum(b), "neg": -a,
            "leaky_relu": a.leaky_relu(0.3), "elu": a.elu(0.3),
            "affine": autograd.affine([a], [b], Value(0.1)),
            "binary_cross_entropy": _apply("binary_cross_entropy", (a, Value(0.4))),
            "function": _Scale.apply(a, b)}.get(op)
    if node is None:
        node = getattr(a, op)()
    as_floats = local_derivatives(node)
    as_values = local_derivatives(node, differentiable=True)
    assert [d.data if type(d) is Value else d for d in as_values] == \
        pytest.approx(list(as_floats), rel=1e-15)


# ---- PyTorch parity (float64) ---------------------------------------------------------------

def _torch_cases():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    return torch, [
        # name, ours, torch's, points (kinks included)
        ("add", lambda a, b: a + b, lambda a, b: a + b, [(0.3, -1.7)]),
        ("radd", lambda a: 2.0 + a, lambda a: 2.0 + a, [(0.3,)]),
        ("sub", lambda a, b: a - b, lambda a, b: a - b, [(0.3, -1.7)]),
        ("rsub", lambda a: 2.0 - a, lambda a: 2.0 - a, [(0.3,)]),
        ("mul", lambda a, b: a * b, lambda a, b: a * b, [(0.3, -1.7)]),
        ("div", lambda a, b: a / b, lambda a, b: a / b, [(0.3, -1.7), (0.0, 2.0)]),
        ("rdiv", lambda a: 2.0 / a, lambda a: 2.0 / a, [(0.3,), (-4.0,)]),
        ("neg", lambda a: -a, lambda a: -a, [(0.3,)]),
        ("pow_int", lambda a: a ** 3, lambda a: a ** 3, [(-1.3,), (0.0,)]),
        ("pow_neg", lambda a: a ** -2, lambda a: a ** -2, [(-1.3,), (0.7,)]),
        ("pow_half", lambda a: a ** 0.5, lambda a: a ** 0.5, [(2.7,), (0.0,)]),
        ("pow_zero", lambda a: a ** 0, lambda a: a ** 0, [(2.7,), (0.0,)]),
        ("pow_one", lambda a: a ** 1, lambda a: a ** 1, [(0.0,), (-2.0,)]),
        ("pow_value", lambda a, b: a ** b, lambda a, b: a ** b,
         [(0.7, -1.3), (2.5, 0.4), (0.0, 2.0), (0.0, 0.0), (3.0, 0.0)]),
        ("rpow", lambda b: 2.0 ** b, lambda b: 2.0 ** b, [(-1.3,), (0.0,)]),
        ("exp", lambda a: a.exp(), torch.exp, [(-1.3,), (2.0,), (700.0,)]),
        ("log", lambda a: a.log(), torch.log, [(0.05,), (3.0,), (1e-300,)]),
        ("sqrt", lambda a: a.sqrt(), torch.sqrt, [(0.05,), (3.0,), (0.0,)]),
        ("tanh", lambda a: a.tanh(), torch.tanh, [(-1.3,), (0.0,), (30.0,)]),
        ("sigmoid", lambda a: a.sigmoid(), torch.sigmoid,
         [(-3.0,), (0.0,), (-800.0,), (800.0,)]),
        ("relu", lambda a: a.relu(), torch.relu, [(-1.3,), (0.4,), (0.0,)]),
        ("leaky_relu", lambda a: a.leaky_relu(0.05), lambda a: F.leaky_relu(a, 0.05),
         [(-1.3,), (0.4,), (0.0,)]),
        ("leaky_relu_default", lambda a: a.leaky_relu(), F.leaky_relu, [(-1.3,), (0.0,)]),
        ("elu", lambda a: a.elu(1.3), lambda a: F.elu(a, 1.3), [(-1.3,), (0.4,), (0.0,)]),
        ("elu_default", lambda a: a.elu(), F.elu, [(-1.3,), (0.0,)]),
        ("gelu", lambda a: a.gelu(), F.gelu, [(-1.3,), (0.0,), (3.0,), (-9.0,)]),
        ("normal_cdf", lambda a: a.normal_cdf(), torch.special.ndtr, [(-1.3,), (0.0,), (2.5,)]),
        ("softplus", lambda a: a.softplus(), F.softplus,
         [(-1.3,), (0.4,), (20.0,), (20.5,), (-40.0,)]),
        ("sin", lambda a: a.sin(), torch.sin, [(-1.3,), (0.0,)]),
        ("cos", lambda a: a.cos(), torch.cos, [(-1.3,), (0.0,)]),
        ("abs", lambda a: a.abs(), torch.abs, [(-1.3,), (0.4,), (0.0,)]),
        ("maximum", lambda a, b: a.maximum(b), torch.maximum,
         [(0.3, -1.7), (-2.0, 5.0), (1.5, 1.5)]),
        ("minimum", lambda a, b: a.minimum(b), torch.minimum,
         [(0.3, -1.7), (-2.0, 5.0), (1.5, 1.5)]),
        ("affine", lambda w0, w1, b, x0, x1: autograd.affine([w0, w1], [x0, x1], b),
         lambda w0, w1, b, x0, x1: b + w0 * x0 + w1 * x1, [(0.5, -2.0, 0.25, 3.0, 1.5)]),
    ]


def _same(ours, theirs):
    if math.isinf(theirs) or math.isnan(theirs):
        return ours == theirs or (math.isnan(ours) and math.isnan(theirs))
    return ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


def test_torch_parity_values_and_gradients():
    torch, cases = _torch_cases()
    checked = 0
    for name, ours, theirs, points in cases:
        for xs in points:
            data, grads = _backprop(ours, xs)
            ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
            out = theirs(*ts)
            out.backward()
            assert _same(data, out.item()), (name, xs, data, out.item())
            for k, t in enumerate(ts):
                expected = 0.0 if t.grad is None else t.grad.item()
                assert _same(grads[k], expected), (name, xs, k, grads[k], expected)
            checked += 1
    assert checked >= 60
