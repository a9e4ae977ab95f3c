"""The PyTorch API that real programs call, against PyTorch itself: factories and typed
constructors, conversions, functional forms, `Size`, `norm`, dims of 0-d tensors, error
classes."""
from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Size

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def describe(t):
    return (tuple(t.shape), str(t.dtype).split(".")[-1], t.tolist())


# ---- factories ----

@needs_torch
@pytest.mark.parametrize("call", [
    "tensor([1, 2])", "tensor([1.5, 2])", "tensor([[True], [False]])", "tensor(3)",
    "tensor([1, 2], dtype=L.float64)", "zeros(2, 3)", "zeros((2,))", "ones([3])",
    "zeros(2, dtype=L.int32)", "full((2,), 7)", "full((2,), True)", "full((2, 1), 0.5)",
    "eye(2)", "eye(2, 3)", "arange(4)", "arange(1, 2.5, 0.5)", "arange(0, 5, 2)",
    "linspace(0, 1, 5)", "linspace(-1, 1, 4, dtype=L.float64)", "linspace(0, 10, 5, dtype=L.int64)",
    "logspace(0, 2, 3)", "logspace(-1, 1, 5, base=2)", "linspace(0, 1, 1)", "linspace(0, 1, 0)",
    "linspace(-3, 7, 11)", "linspace(0.1, 0.9, 7)", "empty(2, 3)", "zeros_like(L.ones(2, dtype=L.int64))",
    "ones_like(L.zeros(2), dtype=L.float64)", "full_like(L.zeros(2), 7)", "empty_like(L.ones(2))",
    "as_tensor([1, 2])", "FloatTensor([1, 2])", "LongTensor([1.7, 2.2])", "IntTensor([1])",
    "DoubleTensor([1])", "BoolTensor([1, 0])", "FloatTensor(2, 3)", "Tensor([0, 1])",
    "Tensor(2, 3)", "randint(5, 6, (4,))", "zeros([])",
])
def test_factories_match_torch(call):
    ours = eval(call, {"L": autograd}, vars(autograd))
    theirs = eval(call, {"L": torch}, vars(torch))
    if "empty" in call or call in ("FloatTensor(2, 3)", "Tensor(2, 3)"):
        # "uninitialised": PyTorch's values are whatever memory held, glassgrad's zeros
        assert describe(ours)[:2] == describe(theirs)[:2] and not ours.numpy().any()
    else:
        assert describe(ours) == describe(theirs)


def test_random_factories():
    g = autograd.Generator().manual_seed(0)
    assert autograd.randint(3, 7, (100,), generator=g).numpy().min() >= 3
    assert autograd.randint(3, (2, 2)).dtype == autograd.int64
    assert sorted(autograd.randperm(6).tolist()) == list(range(6))
    x = autograd.zeros(3, dtype=autograd.float64)
    assert autograd.randn_like(x).dtype == np.float64 and autograd.rand_like(x).shape == (3,)
    assert autograd.randn(2, 2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="'from' to be less than 'to'"):
        autograd.randint(3, 1, (2,))
    with pytest.raises(TypeError, match=r"\(high, size\) or \(low, high, size\)"):
        autograd.randint(3)
    with pytest.raises(NotImplementedError, match="floating point dtypes only"):
        autograd.randn_like(autograd.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="non-negative"):
        autograd.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="steps must be an int"):
        autograd.linspace(0, 1, 2.5)


def test_copy_and_share_semantics():
    a = np.arange(3.0)
    shared, copied = autograd.from_numpy(a), autograd.tensor(a)
    a[0] = 9.0
    assert shared.tolist()[0] == 9.0 and copied.tolist()[0] == 0.0
    assert autograd.as_tensor(a).numpy() is a and autograd.as_tensor(shared) is shared
    assert autograd.as_tensor(shared, dtype=autograd.float32).dtype == np.float32
    with pytest.warns(UserWarning, match="clone\\(\\).detach\\(\\)"):
        again = autograd.tensor(shared)
    again.numpy()[1] = 5.0
    assert shared.tolist()[1] == 1.0
    with pytest.raises(TypeError, match="expected np.ndarray"):
        autograd.from_numpy([1, 2])
    with pytest.raises(RuntimeError, match="not available"):
        autograd.zeros(2, device="cuda")


def test_typed_constructors_and_isinstance():
    assert isinstance(autograd.zeros(2), autograd.FloatTensor)
    assert not isinstance(autograd.zeros(2), autograd.LongTensor)
    assert repr(autograd.LongTensor) == "<class 'autograd.LongTensor'>"
    assert autograd.LongTensor(autograd.tensor([1.5])).tolist() == [1]


# ---- conversions and devices ----

@needs_torch
@pytest.mark.parametrize("method", ["float", "double", "long", "int", "bool", "half", "short",
                                    "byte"])
def test_conversion_methods_match_torch(method):
    data = [[1.5, -2.0], [0.0, 3.25]]
    assert describe(getattr(autograd.tensor(data), method)()) == \
        describe(getattr(torch.tensor(data), method)())


def test_to_and_type():
    x = autograd.tensor([1.5, 2.5], requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x and x.to(autograd.device("cpu")) is x
    assert x.to(autograd.float32) is x and x.to(x) is x
    y = x.to("cpu", autograd.float64)
    assert y.dtype == np.float64 and y.op == "cast"
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]                   # differentiable between floats
    assert x.to(dtype=autograd.int64).tolist() == [1, 2]
    assert x.to(autograd.tensor([1])).dtype == autograd.int64
    assert x.to(autograd.float32, copy=True) is not x
    assert x.type() == "autograd.FloatTensor" and x.type(autograd.LongTensor).tolist() == [1, 2]
    assert x.type("torch.DoubleTensor").dtype == np.float64 and x.type_as(y).dtype == np.float64
    assert x.is_floating_point() and not x.is_cuda and x.device == autograd.device("cpu")
    with pytest.raises(RuntimeError, match="not available"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="not available"):
        x.cuda()
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(autograd.float64, bogus=1)
    n = x.new_zeros(2, 3)
    assert n.shape == (2, 3) and n.dtype == autograd.float32 and not n.requires_grad
    assert x.new_ones((2,), dtype=autograd.int64).tolist() == [1, 1]
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_tensor([1, 2]).dtype == np.float32
    assert x.new_empty(1).tolist() == [0.0] and x.new_zeros(1, requires_grad=True).requires_grad


@needs_torch
def test_type_names_match_torch():
    for name in ["float32", "float64", "int64", "int32", "bool", "uint8", "float16"]:
        assert autograd.zeros(1, dtype=getattr(autograd, name)).type().split(".")[1] == \
            torch.zeros(1, dtype=getattr(torch, name)).type().split(".")[1]


# ---- methods and functional forms ----

@needs_torch
@pytest.mark.parametrize("expr", [
    "L.sum(x)", "L.sum(x, 1)", "L.sum(x, dim=0, keepdim=True)", "L.mean(x, 0)", "L.max(x)",
    "L.max(x, 1).values", "L.max(x, 1).indices", "L.min(x, 0)[0]", "L.argmax(x)",
    "L.argmax(x, dim=1)", "L.clamp(x, -1, 1)", "L.clip(x, min=0)", "L.softmax(x, 1)",
    "L.log_softmax(x, dim=0)", "L.logsumexp(x, 1)", "L.flatten(x)", "L.squeeze(x[:1])",
    "L.unsqueeze(x, 0)", "L.transpose(x, 0, 1)", "L.t(x)", "x.t()", "L.mm(x, x.t())",
    "L.bmm(x.unsqueeze(0), x.t().unsqueeze(0))", "x.mm(x.t())", "L.exp(x)", "L.sigmoid(x)",
    "L.tanh(x)", "L.relu(x)", "L.abs(x)", "L.sqrt(L.abs(x))", "L.sin(x)", "L.cos(x)",
    "L.log(L.abs(x) + 1)", "L.square(x)", "L.neg(x)", "L.add(x, x, alpha=2)", "L.sub(x, 1)",
    "L.mul(x, 2)", "L.div(x, 2)", "L.pow(x, 2)", "L.pow(2, x)", "L.norm(x)", "x.norm(1)",
    "x.norm(dim=1)", "x.norm(float('inf'))", "x.norm(p=3, dim=0, keepdim=True)",
    "L.eq(x, x)", "x.gt(0)", "x.ne(0).sum()", "x.le(0)", "x.view_as(x.t())",
    "x.reshape_as(x.t())", "x[:1].expand_as(x)", "x.contiguous()", "L.permute(x, (1, 0))",
    "L.reshape(x, (-1,))", "L.var(x)", "L.std(x, 0)", "L.amax(x, 1)", "L.amin(x)",
    "x.square()", "x.nelement()", "L.numel(x)", "L.all(x > -5)", "L.any(x > 2)",
    "(x > 0).sum()", "x.abs().max(dim=0, keepdim=True)[1]",
])
def test_functions_and_methods_match_torch(expr):
    data = [[0.5, -1.5, 2.0], [3.0, -0.25, 1.0]]
    ours = eval(expr, {"L": autograd, "x": autograd.tensor(data)})
    theirs = eval(expr, {"L": torch, "x": torch.tensor(data)})
    if isinstance(theirs, torch.Tensor):
        assert (tuple(ours.shape), same_dtype(ours, theirs)) == (tuple(theirs.shape), True)
        np.testing.assert_allclose(np.asarray(ours.tolist(), dtype=float),
                                   np.asarray(theirs.tolist(), dtype=float), rtol=1e-6)
    else:
        assert ours == theirs


def same_dtype(ours, theirs):
    return str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]


@needs_torch
def test_allclose_equal_is_tensor():
    a, b = autograd.tensor([1.0, 2.0]), autograd.tensor([1.0, 2.0 + 1e-5])
    assert autograd.allclose(a, b) and not autograd.equal(a, b) and autograd.equal(a, a)
    assert a.allclose(b) == torch.allclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]))
    assert autograd.is_tensor(a) and not autograd.is_tensor([1.0])
    assert autograd.is_floating_point(a)
    with pytest.raises(TypeError, match="argument 'input' must be Tensor, not list"):
        autograd.sum([1, 2])


@needs_torch
def test_norm_gradients_match_torch_including_zero():
    for data, p in (([3.0, -4.0], 2), ([0.0, 0.0], 2), ([0.0, 0.0], 3), ([1.0, -2.0], 1),
                    ([1.0, -2.0], float("inf")), ([0.5, 2.0], 3)):
        x = autograd.tensor(data, dtype=autograd.float64, requires_grad=True)
        tx = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        x.norm(p).backward()
        tx.norm(p).backward()
        np.testing.assert_allclose(x.grad.tolist(), tx.grad.tolist(), rtol=1e-12)
    assert autograd.tensor([0.0, 2.0, -1.0]).norm(0).item() == 2.0
    with pytest.raises(ValueError, match="p must be"):
        autograd.tensor([1.0]).norm("nuc")
    with pytest.raises(RuntimeError, match="floating point"):
        autograd.tensor([1]).norm()


def test_mm_bmm_t_errors():
    with pytest.raises(autograd.ShapeError, match="mm: expected 2-D tensors, got 1-D"):
        autograd.tensor([1.0]).mm(autograd.tensor([[1.0]]))
    with pytest.raises(autograd.ShapeError, match="same batch size"):
        autograd.zeros(2, 1, 1).bmm(autograd.zeros(3, 1, 1))
    with pytest.raises(autograd.ShapeError, match="<= 2 dimensions"):
        autograd.zeros(1, 1, 1).t()
    assert autograd.tensor([1.0, 2.0]).t().shape == (2,)


# ---- Size ----

@needs_torch
def test_size_like_torch():
    s, ts = autograd.zeros(2, 3, 4).shape, torch.zeros(2, 3, 4).shape
    assert isinstance(s, Size) and isinstance(s, tuple) and s == ts == (2, 3, 4)
    assert repr(s) == repr(ts).replace("torch", "autograd")
    assert s[1:] == ts[1:] and isinstance(s[1:], Size) and s[0] == 2 and s.numel() == 24
    assert isinstance(s + (5,), Size) and autograd.zeros(2, 3).size() == Size([2, 3])
    assert autograd.zeros(2, 3).size(1) == 3


# ---- dims of 0-d tensors, error classes ----

@needs_torch
@pytest.mark.parametrize("call", ["x.sum(1)", "x.sum(-2)", "x.mean(1)", "x.squeeze(10)",
                                  "x.max(1)", "x.softmax(1)", "x.unsqueeze(2)", "x.argmax(1)",
                                  "x.logsumexp(1)", "x.var(1)", "x.amax(2)", "x.norm(dim=1)"])
def test_out_of_range_dims_on_0d_tensors_raise_index_error(call):
    with pytest.raises(IndexError, match="Dimension out of range"):
        eval(call, {"x": autograd.tensor(1.5)})
    with pytest.raises(IndexError):
        eval(call, {"x": torch.tensor(1.5)})


def test_in_range_dims_on_0d_tensors_work_like_torch():
    x = autograd.tensor(1.5)
    assert x.sum(0).item() == 1.5 and x.sum(-1).shape == () and x.squeeze(0).shape == ()
    assert x.unsqueeze(0).shape == (1,) and x.max(0).values.item() == 1.5


@pytest.mark.parametrize("call", [
    lambda: autograd.zeros(2, 3) @ autograd.zeros(2, 3),
    lambda: autograd.zeros(6).reshape(4, 2),
    lambda: autograd.zeros(2, 3).permute(0, 0),
    lambda: autograd.zeros(2) + autograd.zeros(3),
    lambda: autograd.cat([autograd.zeros(2, 1), autograd.zeros(3, 2)], 1),
    lambda: autograd.zeros(3).expand(2, 2),
    lambda: autograd.linear(autograd.zeros(2, 3), autograd.zeros(4, 5)),
    lambda: autograd.zeros(2, 3).sum((0, 0)),
    lambda: autograd.cat([]),
])
def test_shape_errors_are_runtime_and_value_errors(call):
    for cls in (RuntimeError, ValueError, autograd.ShapeError):
        with pytest.raises(cls):
            call()
