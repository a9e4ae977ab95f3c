"""The Tensor API: construction and dtypes, factories, metadata, repr, reductions with both
spellings, PyTorch's conventions at kinks and ties, indexing, comparisons, shape errors."""
from __future__ import annotations

import doctest

import numpy as np
import pytest

import autograd
import autograd.anomaly
import autograd.factories
import autograd.tensor_core
import autograd.tensor_rules
from autograd import Tensor

try:
    import torch
except ImportError:
    torch = None


@pytest.mark.parametrize("module", [autograd.tensor_core, autograd.factories, autograd.tensor_rules,
                                    autograd.anomaly])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# ---- construction and dtypes ----

def test_python_data_gets_pytorchs_dtypes():
    tensor = autograd.tensor                              # torch.tensor infers the dtype
    assert tensor([1.5, 2.0]).dtype == np.float32        # not NumPy's float64
    assert tensor(2.0).dtype == np.float32 and tensor(2.0).shape == ()
    assert tensor([1, 2]).dtype == np.int64
    assert tensor([1, 2.5]).dtype == np.float32
    assert tensor([True, False]).dtype == np.bool_
    assert tensor([1.0], dtype=np.float64).dtype == np.float64
    assert tensor([1, 2], dtype="float64").dtype == autograd.float64


def test_the_tensor_constructor_is_pytorchs_legacy_one():
    # torch.Tensor(data) always gives the default float dtype; ints alone are a shape.
    assert Tensor([1, 2]).dtype == autograd.float32 and Tensor([True]).dtype == np.float32
    assert Tensor(2.0).shape == () and Tensor().shape == (0,)
    assert Tensor(2, 3).shape == (2, 3) and Tensor(2, 3).sum().item() == 0.0
    assert Tensor(3).shape == (3,) and Tensor([1, 2], dtype=autograd.int64).dtype == np.int64
    assert Tensor(np.array([1, 2])).dtype == np.int64       # arrays keep their dtype
    with pytest.raises(TypeError, match="one piece of data or the sizes"):
        Tensor([1.0], [2.0])
    if torch is not None:
        for data in ([0, 1], [True, False], [[1, 2], [3, 4]], [0.5]):
            assert str(torch.Tensor(data).dtype)[6:] == str(Tensor(data).dtype)[9:]
        assert tuple(torch.Tensor(2, 3).shape) == Tensor(2, 3).shape


def test_an_ndarray_is_wrapped_not_copied_and_keeps_its_dtype():
    a = np.array([1.0, 2.0])
    t = Tensor(a)
    assert t.dtype == np.float64 and t.numpy() is a
    assert Tensor(np.zeros(2, np.float16)).dtype == np.float16
    c = autograd.tensor(a)          # the copying factory (torch.tensor)
    c.numpy()[0] = 9.0
    assert a[0] == 1.0


def test_unsupported_data_is_refused():
    with pytest.raises(TypeError, match="unsupported dtype"):
        Tensor(np.array(["a"]))
    with pytest.raises(TypeError, match="cannot make a tensor"):
        Tensor([[1.0], [1.0, 2.0]])


def test_metadata():
    t = Tensor(np.zeros((2, 3, 4)), label="t")
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3 and t.label == "t"
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24 and len(t) == 2 and t.device == autograd.device("cpu")
    assert t.is_leaf and t.parents == () and t.op == "" and t.grad is None
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.size(3)


def test_slots_and_identity_hash():
    t = Tensor([1.0, 2.0])
    with pytest.raises(AttributeError):
        t.anything = 1
    for name in ("_parents", "_op", "_arg", "_seq", "_scope", "__weakref__"):
        assert name in Tensor.__slots__
    s = {t, Tensor([1.0, 2.0])}
    assert len(s) == 2 and t in s
    assert hash(t) == object.__hash__(t)


def test_item_numpy_float_and_bool():
    t = Tensor([[2.5]])
    assert t.item() == 2.5 and float(t) == 2.5 and int(autograd.tensor(3)) == 3
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        Tensor([1.0, 2.0]).item()
    assert bool(Tensor([1.0])) and not bool(Tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\).numpy\(\)"):
        w.numpy()
    assert w.detach().numpy() is w.raw_data
    assert np.asarray(w).tolist() == [1.0] and w.tolist() == [1.0]


def test_len_and_iteration():
    t = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(t)
    assert len(rows) == 3 and rows[1].data.tolist() == [2.0, 3.0]
    sum(r.sum() for r in rows).backward()
    np.testing.assert_array_equal(t.grad, np.ones((3, 2)))
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_repr_is_pytorch_like():
    assert repr(Tensor([1.0, 2.0, 3.0])) == "tensor([1., 2., 3.])"
    assert repr(Tensor([0.5, 2.0], requires_grad=True)) == \
        "tensor([0.5000, 2.0000], requires_grad=True)"
    assert repr(Tensor([1.0], dtype=np.float64)) == "tensor([1.], dtype=autograd.float64)"
    assert repr(autograd.tensor([1, 2])) == "tensor([1, 2])"
    y = Tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], op='*')"          # PyTorch: grad_fn=<MulBackward0>
    assert (Tensor([1.0], requires_grad=True) ** 2).op == "**2"
    if torch is not None:
        assert repr(torch.tensor([1.0, 2.0, 3.0])) == repr(Tensor([1.0, 2.0, 3.0]))
        assert repr(torch.tensor([0.5, 2.0], requires_grad=True)) == \
            repr(Tensor([0.5, 2.0], requires_grad=True))


# ---- factories ----

def test_factories_shapes_dtypes_and_requires_grad():
    assert autograd.zeros(2, 3).shape == (2, 3) and autograd.zeros((2, 3)).dtype == np.float32
    assert autograd.ones([4]).data.tolist() == [1.0] * 4
    assert autograd.full((2,), 7).dtype == np.int64
    assert autograd.full((2,), 0.5).dtype == np.float32
    assert autograd.eye(3).numpy().trace() == 3.0 and autograd.eye(2, 3).shape == (2, 3)
    assert autograd.arange(4).dtype == np.int64 and autograd.arange(4).data.tolist() == [0, 1, 2, 3]
    assert autograd.arange(0, 1, 0.25).dtype == np.float32
    w = autograd.randn(3, 2, requires_grad=True, dtype=np.float64)
    assert w.requires_grad and w.dtype == np.float64 and w.is_leaf
    like = autograd.zeros_like(w)
    assert like.shape == (3, 2) and like.dtype == np.float64 and not like.requires_grad
    assert autograd.ones_like(w, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        autograd.arange(3, requires_grad=True)


def test_random_factories_are_seedable():
    autograd.manual_seed(0)
    a = autograd.randn(5)
    autograd.manual_seed(0)
    b = autograd.randn(5)
    np.testing.assert_array_equal(a.data, b.data)
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(autograd.rand(4, generator=g1).data,
                                  autograd.rand(4, generator=g2).data)
    u = autograd.rand(1000)
    assert u.dtype == np.float32 and 0.0 <= u.data.min() and u.data.max() < 1.0
    with autograd.no_grad():
        w = autograd.zeros(1000, requires_grad=True).uniform_(-2, 2)
    assert w.requires_grad and -2 <= w.data.min() and w.data.max() <= 2


# ---- reductions: both spellings ----

@pytest.mark.parametrize("op", ["sum", "mean", "var", "std", "amax", "amin"])
def test_reduction_spellings_agree(op):
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    t = Tensor(a)
    f = getattr(t, op)
    for d in (1, -1, (0, 2)):
        torch_style = f(dim=d, keepdim=True)
        numpy_style = f(axis=d, keepdims=True)
        positional = f(d, keepdim=True) if op not in ("var", "std") else f(d, None, True)
        np.testing.assert_array_equal(torch_style.data, numpy_style.data)
        np.testing.assert_array_equal(torch_style.data, positional.data)
        assert torch_style.ndim == 3 and f(dim=d).ndim == 3 - (2 if d == (0, 2) else 1)
    with pytest.raises(TypeError, match="both dim and axis"):
        f(dim=0, axis=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        f(dim=3)


def test_var_and_std_default_to_the_unbiased_estimate():
    a = np.array([1.0, 2.0, 4.0, 7.0])
    t = Tensor(a)
    assert t.var().item() == pytest.approx(a.var(ddof=1))
    assert t.std(unbiased=False).item() == pytest.approx(a.std())
    assert t.var(correction=0).item() == pytest.approx(a.var())
    with pytest.raises(TypeError, match="not both"):
        t.var(unbiased=True, correction=1)


def test_sum_to_zero_dims_returns_a_0d_array():
    s = Tensor([[1.0, 2.0]]).sum()
    assert s.shape == () and isinstance(s.numpy(), np.ndarray)


# ---- kinks and ties: PyTorch's conventions ----

def _grad(f, values):
    x = Tensor(np.array(values, dtype=np.float64), requires_grad=True)
    f(x).sum().backward()
    return x.grad.tolist()


def test_kinks_follow_pytorch():
    assert _grad(lambda x: x.relu(), [0.0, 1.0, -1.0]) == [0.0, 1.0, 0.0]
    assert _grad(lambda x: x.abs(), [0.0, 2.0, -2.0]) == [0.0, 1.0, -1.0]
    assert _grad(lambda x: x.leaky_relu(0.1), [0.0]) == [pytest.approx(0.1)]
    assert _grad(lambda x: x.clamp(0.0, 1.0), [0.0, 1.0, 1.5, -0.5]) == [1.0, 1.0, 0.0, 0.0]
    assert _grad(lambda x: x.sqrt(), [0.0]) == [np.inf]
    assert _grad(lambda x: x ** 0, [0.0, 2.0]) == [0.0, 0.0]


def _torch_f(name):
    F = torch.nn.functional
    zeros = torch.zeros(4, dtype=torch.float64)
    return {"relu": torch.relu, "leaky_relu": lambda t: F.leaky_relu(t, 0.1), "elu": F.elu,
            "clamp": lambda t: t.clamp(-1.0, 1.0), "abs": torch.abs, "softplus": F.softplus,
            "maximum": lambda t: torch.maximum(t, zeros),
            "minimum": lambda t: torch.minimum(t, zeros)}[name]


OURS = {"relu": lambda x: x.relu(), "leaky_relu": lambda x: x.leaky_relu(0.1),
        "elu": lambda x: x.elu(), "clamp": lambda x: x.clamp(-1.0, 1.0),
        "abs": lambda x: x.abs(), "softplus": lambda x: x.softplus(),
        "maximum": lambda x: x.maximum(Tensor(np.zeros(4))),
        "minimum": lambda x: x.minimum(Tensor(np.zeros(4)))}


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("name", sorted(OURS))
def test_nan_and_kink_gradients_match_pytorch(name):
    values = [float("nan"), 0.0, -1.0, 2.0]
    x = Tensor(np.array(values), requires_grad=True)
    OURS[name](x).sum().backward()
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    _torch_f(name)(t).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-15, atol=0)  # NaNs must match


def test_maximum_and_minimum_split_ties():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([1.0, 1.0, 5.0], requires_grad=True)
    (a.maximum(b) + a.minimum(b) * 10).sum().backward()
    np.testing.assert_array_equal(a.grad, [5.5, 1.0, 10.0])
    np.testing.assert_array_equal(b.grad, [5.5, 10.0, 1.0])


def test_full_max_splits_ties_evenly_and_max_dim_picks_the_index():
    x = Tensor([[1.0, 3.0, 3.0], [3.0, 0.0, 3.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.25, 0.25], [0.25, 0, 0.25]])
    x.grad = None
    values, indices = x.max(dim=1)
    assert indices.data.tolist() == [1, 0] and indices.dtype == np.int64
    values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])
    x.grad = None
    x.amax(dim=1).sum().backward()           # amax: ties share, per row
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [0.5, 0, 0.5]])
    x.grad = None
    x.min(dim=0).values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 0, 1], [0, 1, 0]])
    with pytest.raises(TypeError, match="amax"):
        x.max(dim=(0, 1))
    other = Tensor([[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(x.max(other).data, np.maximum(x.data, 2.0))
    if torch is not None:
        t = torch.tensor(x.data, requires_grad=True)
        t.max().backward()
        np.testing.assert_allclose(t.grad.numpy(), [[0, 0.25, 0.25], [0.25, 0, 0.25]])


def test_all_and_any():
    x = Tensor([[1.0, 0.0], [2.0, 3.0]])
    assert not x.all().item() and x.any().item()
    assert x.all(dim=1).tolist() == [False, True] and x.any(dim=0, keepdim=True).shape == (1, 2)


def test_argmax_and_argmin():
    x = Tensor([[1.0, 5.0], [7.0, 2.0]])
    assert x.argmax().item() == 2 and x.argmax(dim=1).data.tolist() == [1, 0]
    assert x.argmin(dim=0, keepdim=True).shape == (1, 2)


# ---- indexing ----

def test_getitem_repeated_indices_accumulate():
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])
    y = Tensor(np.ones((2, 3)), requires_grad=True)
    y[autograd.tensor([1, 1])][:, Tensor(np.array([True, False, True]))].sum().backward()
    np.testing.assert_array_equal(y.grad, [[0, 0, 0], [2, 0, 2]])


def test_getitem_errors():
    x = Tensor([1.0, 2.0])
    with pytest.raises(IndexError, match=r"getitem: .*out of bounds.*\(2,\)"):
        x[5]
    with pytest.raises(IndexError, match="must be long, int, byte or bool"):
        x[Tensor([0.0])]


def test_setitem_and_masked_fill():
    x = Tensor(np.zeros(3))
    x[1] = 5.0
    x[autograd.tensor([0, 2])] = Tensor([1.0, 2.0])
    assert x.data.tolist() == [1.0, 5.0, 2.0]
    w = Tensor([1.0, -1.0], requires_grad=True)
    y = w.masked_fill(w.data < 0, 0.0)
    y.sum().backward()
    assert y.data.tolist() == [1.0, 0.0] and w.grad.tolist() == [1.0, 0.0]


# ---- comparisons ----

def test_comparisons_are_elementwise_and_outside_the_graph():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    eq = a == Tensor([1.0, 0.0, 3.0])
    assert eq.dtype == np.bool_ and eq.data.tolist() == [True, False, True]
    assert not eq.requires_grad
    assert (a > 1.5).data.tolist() == [False, True, True]
    assert (a <= np.array([1.0, 1.0, 1.0])).data.tolist() == [True, False, False]
    assert (a != 2).data.tolist() == [True, False, True]
    assert (a == None) is False  # noqa: E711 - falls back to identity, like PyTorch


# ---- shape ops and their errors ----

def test_matmul_shape_error_names_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 6\) cannot be "
                                         r"multiplied \(4 != 5\)"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 6)))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        Tensor(1.0) @ Tensor([1.0])
    with pytest.raises(ValueError, match=r"matmul: operands of shapes \(2, 3, 4\) and "
                                         r"\(5, 4, 2\)"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2)))
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 3\) and weight of "
                                         r"shape \(4, 5\)"):
        autograd.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5))))


def test_ndarray_on_the_left_defers_to_the_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x + np.ones((2, 2), np.float32) @ x
    assert isinstance(y, Tensor) and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0 + 2.0, 4.0 + 2.0])


def test_int_and_float_promote_like_pytorch():
    f = Tensor([1.5, 2.5])                           # float32
    i = Tensor([1, 2])                               # int64
    assert (f * i).dtype == np.float32               # NumPy alone would give float64
    assert (f + Tensor(np.ones(2))).dtype == np.float64
    assert (f * 2).dtype == np.float32 and (2.5 * i).dtype == np.float32   # as torch


def test_shape_op_errors():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reshape: .*\(input shape \(2, 3\)\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="not a permutation"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match=r"expand: .*\(2, 3\) cannot be expanded"):
        x.expand(2, 4)
    with pytest.raises(IndexError, match="unsqueeze"):
        x.unsqueeze(4)
    with pytest.raises(ValueError, match=r"cat: .*input shapes \(2, 3\), \(3, 2\)"):
        autograd.cat([x, Tensor(np.ones((3, 2)))], dim=1)
    with pytest.raises(ValueError, match="stack"):
        autograd.stack([x, Tensor(np.ones((3, 2)))])
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        x.clamp()


def test_squeeze_keeps_dims_that_are_not_one_like_pytorch():
    x = Tensor(np.ones((2, 1, 3)))
    assert x.squeeze(0).shape == (2, 1, 3) and x.squeeze(1).shape == (2, 3)
    assert x.squeeze((0, 1)).shape == (2, 3) and x.unsqueeze(0).shape == (1, 2, 1, 3)
    assert x.flatten().shape == (6,) and x.flatten(0, 1).shape == (2, 3)
    assert x.T.shape == (3, 1, 2) and Tensor([1.0, 2.0]).T.shape == (2,)
    assert x.expand(4, -1, 5, -1).shape == (4, 2, 5, 3)


def test_softmax_family_is_stable_for_huge_logits():
    x = Tensor(np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]], dtype=np.float32),
               requires_grad=True)
    np.testing.assert_allclose(x.logsumexp(dim=1).data, [1e4, -1e4 + np.log(3)], rtol=1e-6)
    np.testing.assert_allclose(x.softmax(dim=1).data[0], [1, 0, 0])
    np.testing.assert_allclose(x.log_softmax(dim=1).data[1], [-np.log(3)] * 3, rtol=1e-6)
    x.log_softmax(dim=1)[:, 0].sum().backward()
    assert np.isfinite(x.grad).all()
    all_masked = Tensor([-np.inf, -np.inf]).logsumexp(dim=0)
    assert np.isneginf(all_masked.item())


def test_functions_dispatch_to_tensor_methods():
    x = Tensor([0.5, -0.5], requires_grad=True)
    for name in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "elu", "gelu",
                 "softplus", "sin", "cos", "abs"):
        out = getattr(autograd, name)(x.abs() if name in ("log", "sqrt") else x)
        assert isinstance(out, Tensor) and out.op == name
    assert autograd.maximum(x, Tensor([0.0, 0.0])).data.tolist() == [0.5, 0.0]
    assert autograd.matmul(x, x).item() == pytest.approx(0.5)
