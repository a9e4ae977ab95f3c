"""dtype objects and PyTorch's type promotion, written once in autograd/dtypes.py and checked
as a table against torch.result_type over every dtype pair and every scalar kind."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd
import nn
from autograd import DtypeError, Tensor, dtypes

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = [True, 3, -2, 2.5]


def ours(name, dim):
    return np.ones((2,) if dim else (), dtype=name)


def theirs(name, dim):
    return torch.ones((2,) if dim else (), dtype=getattr(torch, name))


def same(our_dtype, their_dtype):
    return str(our_dtype).split(".")[-1] == str(their_dtype).split(".")[-1]


@pytest.fixture
def default_float32():
    yield
    autograd.set_default_dtype(autograd.float32)
    if torch is not None:
        torch.set_default_dtype(torch.float32)


@needs_torch
@pytest.mark.parametrize("dims", [(True, True), (True, False), (False, True), (False, False)],
                         ids=["dim-dim", "dim-0d", "0d-dim", "0d-0d"])
def test_promotion_table_matches_torch_for_tensor_pairs(dims):
    for a, b in itertools.product(DTYPES, DTYPES):
        got = dtypes.result_type(ours(a, dims[0]), ours(b, dims[1]))
        want = torch.result_type(theirs(a, dims[0]), theirs(b, dims[1]))
        assert same(got, want), (a, b, dims, got, want)


@needs_torch
@pytest.mark.parametrize("dim", [True, False], ids=["dim", "0d"])
@pytest.mark.parametrize("number", NUMBERS, ids=repr)
def test_promotion_table_matches_torch_for_tensor_and_number(dim, number, default_float32):
    for default in (torch.float32, torch.float64):
        torch.set_default_dtype(default)
        autograd.set_default_dtype(str(default).split(".")[-1])
        for a in DTYPES:
            got = dtypes.result_type(ours(a, dim), number)
            want = torch.result_type(theirs(a, dim), number)
            assert same(got, want), (a, number, dim, default, got, want)


@needs_torch
@pytest.mark.parametrize("op", ["+", "-", "*", "maximum", "where", "cat"])
def test_ops_give_the_promoted_dtype(op):
    def run(lib, make, a, b):
        x, y = make(a, True), make(b, False)
        if op == "maximum":
            return lib.maximum(x, y)
        if op == "where":
            return lib.where(lib.ones(2, dtype=lib.bool), x, y)
        if op == "cat":
            return lib.cat([x, y.reshape(1)])
        return {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y}[op]()

    for a, b in itertools.product(DTYPES, DTYPES):
        if op == "-" and "bool" in (a, b):
            continue                                  # torch refuses bool subtraction
        got = run(autograd, lambda n, d: Tensor(ours(n, d)), a, b).dtype
        want = run(torch, theirs, a, b).dtype
        assert same(got, want), (op, a, b, got, want)


def test_the_issue_cases():
    f32, f64 = Tensor(np.ones(3, np.float32)), Tensor(np.array(2.0))
    assert (f32 + f64).dtype == autograd.float32                  # a 0-d tensor: no promotion
    assert (Tensor(np.ones(2, np.uint8)) + 100).dtype == autograd.uint8
    ints = autograd.tensor([1, 4, 9])
    for result in (ints / 2, ints.exp(), ints.sqrt(), ints.sigmoid(), ints.tanh(), ints ** 0.5,
                   ints.log(), ints.sin(), ints.cos(), ints.logsumexp(0), ints / ints):
        assert result.dtype == autograd.float32
    assert (ints ** 2).dtype == autograd.int64 and ints.sqrt().tolist() == [1.0, 2.0, 3.0]
    assert ints.sum().dtype == autograd.int64
    assert Tensor(np.ones(3, np.int32)).sum().dtype == autograd.int64
    assert autograd.tensor([True, True]).sum().item() == 2
    assert ints.clamp(0, 2.5).dtype == autograd.float32 and ints.clamp(0, 2).dtype == np.int64


def test_uint8_wraps_like_torch():
    assert (Tensor(np.array([1, 2], np.uint8)) + 300).tolist() == [45, 46]


def test_default_dtype_drives_float_results(default_float32):
    autograd.set_default_dtype(autograd.float64)
    assert autograd.get_default_dtype() is autograd.float64
    assert (autograd.tensor([1, 2]) / 2).dtype == np.float64
    assert autograd.tensor([0.5]).dtype == np.float64 and autograd.zeros(2).dtype == np.float64
    assert Tensor([1, 2]).dtype == np.float64 and autograd.arange(0.0, 1.0, 0.5).dtype == np.float64
    assert repr(Tensor([1.0])) == "tensor([1.])"
    assert repr(Tensor(np.ones(1, np.float32))) == "tensor([1.], dtype=autograd.float32)"
    with pytest.raises(TypeError, match="only floating-point types"):
        autograd.set_default_dtype(autograd.int64)


@needs_torch
def test_integer_refusals_match_torch():
    ints, theirs_ = autograd.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    for name, call in [("mean", lambda t: t.mean()), ("var", lambda t: t.var()),
                       ("std", lambda t: t.std()), ("softmax", lambda t: t.softmax(0)),
                       ("log_softmax", lambda t: t.log_softmax(0)),
                       ("norm", lambda t: t.norm())]:
        with pytest.raises(Exception) as mine:
            call(ints)
        with pytest.raises(Exception) as reference:
            call(theirs_)
        assert isinstance(mine.value, type(reference.value)), name
    assert "mean(): could not infer output dtype" in str(_error(lambda: ints.mean()))
    assert "convert first with .float()" in str(_error(lambda: ints.softmax(0)))
    assert ints.mean(dtype=autograd.float32).item() == 2.0
    with pytest.raises(RuntimeError, match="negative integer powers"):
        ints ** -1


def _error(call):
    try:
        call()
    except Exception as err:  # noqa: BLE001 - the test inspects it
        return err
    raise AssertionError("no error")


def test_matmul_and_linear_refuse_mixed_dtypes():
    a, b = Tensor(np.ones((2, 2), np.float32)), Tensor(np.ones((2, 2)))
    with pytest.raises(DtypeError, match="same dtype, got autograd.float32 and autograd.float64"):
        a @ b
    with pytest.raises(RuntimeError):                          # PyTorch's class
        a @ b
    assert (autograd.tensor([[1, 2]]) @ autograd.tensor([[3], [4]])).tolist() == [[11]]
    layer = nn.Linear(2, 1)
    for x in (Tensor(np.ones((3, 2))), autograd.tensor([[1, 2]])):
        with pytest.raises(DtypeError, match="input's dtype .* does not match the weight's"):
            layer(x)
    with pytest.raises(DtypeError, match="bias's dtype"):
        autograd.linear(a, a, Tensor(np.zeros(2)))


def test_dtype_objects():
    f = autograd.float32
    assert f == np.float32 and f == np.dtype("float32") and f == "float32" and f != np.float64
    assert hash(f) == hash(np.dtype(np.float32)) and {f: 1}[autograd.float] == 1
    assert repr(f) == "autograd.float32" and f.is_floating_point and not autograd.long.is_floating_point
    assert np.zeros(2, dtype=autograd.float64).dtype == np.float64
    assert (autograd.float, autograd.double, autograd.long, autograd.int, autograd.half,
            autograd.short) == (autograd.float32, autograd.float64, autograd.int64,
                                autograd.int32, autograd.float16, autograd.int16)
    assert autograd.bool == np.bool_ and dtypes.to_numpy(float) == np.float64
    assert dtypes.to_numpy("torch.LongTensor") == np.int64 and f != object()
    import copy
    assert copy.deepcopy(f) is f
    for bad in (np.complex64, "float128x"):
        with pytest.raises(TypeError):
            dtypes.to_numpy(bad)
    with pytest.raises(TypeError, match="unsupported dtype"):
        Tensor(np.ones(2, np.complex64))
    with pytest.raises(TypeError, match="unsupported number type"):
        dtypes.result_type(np.ones(2), 1j)


@needs_torch
def test_dtype_reprs_match_torch_names():
    for name in DTYPES:
        assert repr(getattr(autograd, name)).split(".")[1] == repr(getattr(torch, name)).split(".")[1]
    for alias in ("float", "double", "long", "int", "half", "short"):
        assert same(getattr(autograd, alias), getattr(torch, alias))
