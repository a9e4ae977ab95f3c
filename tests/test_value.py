"""`Value` itself: the node protocol, operators with numbers on either side, function forms,
and the error paths (bad input types, domain errors that name the op and the operand)."""
import math

import numpy as np
import pytest

import autograd
from autograd import DivisionByZero, DomainError, Overflow, Value


# ---- the node protocol -------------------------------------------------------------------

def test_leaf_fields():
    a = Value(2, label="a")
    assert type(a.data) is float and a.data == 2.0
    assert type(a.grad) is float and a.grad == 0.0
    assert a.label == "a"
    assert a.op == "" and a.parents == () and a.is_leaf
    assert a.item() == 2.0 and float(a) == 2.0


def test_numpy_scalars_become_python_floats():
    for x in (np.float64(1.5), np.float32(1.5), np.int64(3), 7):
        assert type(Value(x).data) is float
    assert Value(np.float32(1.5)).data == 1.5


def test_parents_are_an_ordered_tuple_with_repeats():
    a, b = Value(1.0), Value(2.0)
    assert (a - b).parents == (a, b)
    assert (b - a).parents == (b, a)
    # micrograd keeps a set (so a*a has one child); we keep both operands, in order.
    sq = a * a
    assert type(sq.parents) is tuple and sq.parents == (a, a)
    assert (a.tanh()).parents == (a,)


def test_slots_no_instance_dict():
    a = Value(1.0)
    assert not hasattr(a, "__dict__")
    assert "data" in Value.__slots__ and "grad" in Value.__slots__
    with pytest.raises(AttributeError):
        a.something_else = 1


def test_repr_is_micrograds():
    a = Value(2.0)
    assert repr(a) == "Value(data=2.0, grad=0)"       # micrograd starts grads at int 0
    (a * 3.0).backward()
    assert repr(a) == "Value(data=2.0, grad=3.0)"
    assert repr(Value(1.0) * -0.0) == "Value(data=-0.0, grad=0)"
    mg = pytest.importorskip("micrograd.engine")
    m = mg.Value(2.0)
    assert repr(m) == "Value(data=2.0, grad=0)"
    (m * 3.0).backward()
    assert repr(m) == repr(a)


def test_op_names():
    x, y = Value(3.0), Value(2.0)
    assert (x + y).op == "+" and (x - y).op == "-" and (x * y).op == "*"
    assert (x / y).op == "/" and (-x).op == "neg"
    assert (x ** 2).op == "**2" and (x ** 0.5).op == "**0.5" and (x ** -1).op == "**-1"
    assert (x ** y).op == "pow" and (2 ** x).op == "pow"
    for name in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "elu", "gelu",
                 "softplus", "sin", "cos", "abs"):
        assert getattr(x, name)().op == name
    assert x.maximum(y).op == "maximum" and x.minimum(y).op == "minimum"


def test_values_hash_by_identity_and_compare_by_data():
    a, b = Value(1.0), Value(1.0)
    assert a != b and len({a, b}) == 2 and a == a
    assert a <= b and a >= b and not a < b
    assert Value(1.0) < Value(2.0) and Value(2.0) > 1 and Value(1.0) < 1.5
    assert max([Value(1.0), Value(3.0), Value(2.0)]).data == 3.0


def test_unary_plus_is_identity():
    a = Value(1.5)
    assert +a is a


# ---- operators with numbers on either side ---------------------------------------------

@pytest.mark.parametrize("expr, value, grad", [
    (lambda a: a + 2, 5.0, 1.0),
    (lambda a: 2 + a, 5.0, 1.0),
    (lambda a: a - 2, 1.0, 1.0),
    (lambda a: 2 - a, -1.0, -1.0),
    (lambda a: a * 2, 6.0, 2.0),
    (lambda a: 2 * a, 6.0, 2.0),
    (lambda a: a / 2, 1.5, 0.5),
    (lambda a: 6 / a, 2.0, -6.0 / 9.0),        # d/da 6/a = -6/a²
    (lambda a: a ** 2, 9.0, 6.0),
    (lambda a: a ** -1, 1.0 / 3.0, -1.0 / 9.0),
    (lambda a: 2 ** a, 8.0, 8.0 * math.log(2.0)),  # d/da 2^a = 2^a ln 2
    (lambda a: -a, -3.0, -1.0),
    (lambda a: abs(-a), 3.0, 1.0),
])
def test_operators_with_numbers(expr, value, grad):
    a = Value(3.0)
    out = expr(a)
    assert type(out) is Value
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-15, abs=0)
    assert a.grad == pytest.approx(grad, rel=1e-15, abs=0)


def test_value_exponent_differentiates_both_sides():
    a, b = Value(2.0), Value(3.0)
    out = a ** b
    out.backward()
    assert out.data == 8.0
    assert a.grad == 12.0                       # b a^(b-1) = 3 * 4
    assert b.grad == pytest.approx(8.0 * math.log(2.0), rel=1e-15)  # a^b ln a


def test_division_by_value_both_grads():
    a, b = Value(3.0), Value(4.0)
    out = a / b
    out.backward()
    assert out.data == 0.75 and a.grad == 0.25 and b.grad == -3.0 / 16.0


FUNCTIONS = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "elu", "gelu",
             "softplus", "sin", "cos", "abs"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_form_equals_method(name):
    x1, x2 = Value(0.7), Value(0.7)
    via_method = getattr(x1, name)()
    via_function = getattr(autograd, name)(x2)
    assert via_function.data == via_method.data and via_function.op == via_method.op
    via_method.backward()
    via_function.backward()
    assert x1.grad == x2.grad
    # A bare number becomes a constant Value.
    assert getattr(autograd, name)(0.7).data == via_method.data


def test_function_forms_pass_parameters_and_handle_two_operands():
    x = Value(-2.0)
    assert autograd.leaky_relu(x, 0.2).data == pytest.approx(-0.4, rel=1e-15)
    assert autograd.leaky_relu(x, alpha=0.2).data == x.leaky_relu(0.2).data
    assert autograd.elu(x, 2.0).data == 2.0 * math.expm1(-2.0)
    assert autograd.maximum(x, 1.0).data == 1.0 and autograd.minimum(x, 1.0).data == -2.0
    assert autograd.maximum(3.0, x).data == 3.0 and autograd.minimum(3.0, x).data == -2.0
    assert autograd.abs(x).data == 2.0


def test_default_alphas_are_pytorchs():
    x = Value(-1.0)
    assert x.leaky_relu().data == -0.01          # torch.nn.LeakyReLU(negative_slope=0.01)
    assert x.elu().data == math.expm1(-1.0)      # torch.nn.ELU(alpha=1.0)


# ---- bad input: TypeError naming the type --------------------------------------------------

@pytest.mark.parametrize("bad, type_name", [
    ("a", "str"), (None, "NoneType"), ([1.0], "list"), (1j, "complex"),
    (np.array([1.0, 2.0]), "ndarray"),
])
def test_value_rejects_non_numbers(bad, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(bad)


def test_operators_reject_non_numbers():
    a = Value(1.0)
    with pytest.raises(TypeError, match="str"):
        a + "x"
    with pytest.raises(TypeError, match="str"):
        "x" * a
    with pytest.raises(TypeError, match="NoneType"):
        a ** None
    with pytest.raises(TypeError, match="list"):
        a.maximum([1.0])


# ---- domain errors: ArithmeticError subclasses naming op, operand and label ---------------

@pytest.mark.parametrize("make, cls, op, operand", [
    (lambda: Value(0.0).log(), DomainError, "log", "0.0"),
    (lambda: Value(-1.5).log(), DomainError, "log", "-1.5"),
    (lambda: Value(-2.0).sqrt(), DomainError, "sqrt", "-2.0"),
    (lambda: Value(1.0) / 0, DivisionByZero, "/", "0.0"),
    (lambda: 1.0 / Value(0.0), DivisionByZero, "/", "0.0"),
    (lambda: Value(0.0) ** -1, DivisionByZero, "**", "0.0"),
    (lambda: Value(0.0) ** -0.5, DivisionByZero, "**", "0.0"),
    (lambda: Value(0.0) ** Value(-2.0), DivisionByZero, "**", "0.0"),
    (lambda: Value(1000.0).exp(), Overflow, "exp", "1000.0"),
    (lambda: Value(10.0) ** 400, Overflow, "**", "10.0"),
    (lambda: 2.0 ** Value(2000.0), Overflow, "**", "2.0"),
    (lambda: Value(-8.0) ** (1 / 3), DomainError, "**", "-8.0"),
    (lambda: Value(-8.0) ** Value(2.0), DomainError, "pow", "-8.0"),
])
def test_domain_errors(make, cls, op, operand):
    with pytest.raises(cls) as info:
        make()
    err = info.value
    assert isinstance(err, ArithmeticError)
    message = str(err)
    assert message.startswith(f"{op}: ")
    assert message.endswith(f"got {operand}")
    assert err.op == op and repr(err.operand) == operand


def test_error_classes_are_also_the_builtin_ones():
    # Code written against plain Python (except ZeroDivisionError/OverflowError) still works.
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0.0
    with pytest.raises(OverflowError):
        Value(800.0).exp()


@pytest.mark.parametrize("make, expected", [
    (lambda: Value(-1.0, label="x").log(), "log: operand must be > 0, got x = -1.0"),
    (lambda: Value(-4.0, label="var").sqrt(), "sqrt: operand must be >= 0, got var = -4.0"),
    (lambda: Value(709.9, label="t").exp(), "got t = 709.9"),
    (lambda: Value(1.0) / Value(0.0, label="den"), "got den = 0.0"),
    (lambda: Value(0.0, label="base") ** -2, "got base = 0.0"),
])
def test_domain_errors_name_the_label(make, expected):
    with pytest.raises(ArithmeticError) as info:
        make()
    assert expected in str(info.value)


def test_division_error_names_the_divisor_not_an_equal_numerator():
    # x = 0 divided by 0: the culprit is the divisor, even though the numerator has the
    # same value and a label.
    x = Value(0.0, label="x")
    with pytest.raises(DivisionByZero) as info:
        x / 0
    assert "x =" not in str(info.value)
    with pytest.raises(DivisionByZero) as info:
        x / Value(0.0, label="d")
    assert str(info.value).endswith("got d = 0.0")


def test_a_failed_op_leaves_no_node_and_no_nan():
    # The error is raised in the forward pass: nothing half-built can feed NaN into backward.
    x = Value(-1.0)
    y = x * 2
    with pytest.raises(DomainError):
        y.log()
    y.backward()
    assert x.grad == 2.0


def test_exp_is_finite_just_below_the_overflow_limit():
    assert math.isfinite(Value(709.0).exp().data)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_non_finite_operands_give_a_value_or_a_named_error(name):
    # inf and nan are legal floats: every op either returns a Value or raises an
    # ArithmeticError that names it — never a bare "math domain error" from the math module.
    for x in (math.inf, -math.inf, math.nan):
        try:
            out = getattr(Value(x, label="t"), name)()
        except ArithmeticError as err:
            assert str(err).startswith(f"{name}: ") and str(err).endswith(f"got t = {x!r}")
        else:
            assert type(out) is Value and type(out.data) is float


def test_sin_and_cos_of_infinity_are_domain_errors():
    with pytest.raises(DomainError, match=r"^sin: operand must be finite, got inf$"):
        Value(math.inf).sin()
    with pytest.raises(DomainError, match=r"^cos: operand must be finite, got x = -inf$"):
        Value(-math.inf, label="x").cos()


def test_relu_of_nan_is_nan_like_pytorch():
    import math
    assert math.isnan(Value(float("nan")).relu().data)


def test_micrograd_prev_alias_lists_the_parents_in_order():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    assert c._prev == (a, b) and c._op == "*"


def test_maximum_with_a_number_first_follows_the_other_operand():
    import numpy as np
    from autograd import Tensor
    t = Tensor(np.array([1.0, 3.0]), requires_grad=True)
    out = autograd.maximum(2.0, t)
    assert isinstance(out, Tensor) and out.data.tolist() == [2.0, 3.0]
    out.sum().backward()
    assert t.grad.tolist() == [0.0, 1.0]
    v = autograd.minimum(2.0, Value(5.0))
    assert v.data == 2.0
