"""`.data` and `.grad` are Tensors sharing memory (PyTorch's API); `.numpy()` is the way to an
array; generic code reads the raw numbers through the node protocol's `raw_data`/`raw_grad`."""
from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, Value, no_grad

try:
    import torch
except ImportError:
    torch = None


def trained_leaf():
    w = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True, label="w")
    (w * w).sum().backward()
    return w


def test_grad_and_data_are_tensors_sharing_memory():
    w = trained_leaf()
    assert type(w.grad) is Tensor and type(w.data) is Tensor
    assert w.grad.tolist() == [2.0, -4.0, 6.0]
    assert not w.data.requires_grad and w.data.is_leaf and w.data.label == "w"
    assert np.shares_memory(w.data.numpy(), w.raw_data)
    assert np.shares_memory(w.grad.numpy(), w.raw_grad)
    assert w.grad.data.tolist() == [2.0, -4.0, 6.0]          # p.grad.data works too


def test_in_place_through_grad_and_data_changes_the_real_arrays():
    w = trained_leaf()
    w.grad.zero_()
    assert w.raw_grad.tolist() == [0.0, 0.0, 0.0]
    w.data.add_(Tensor([1.0, 1.0, 1.0], dtype=np.float64))
    assert w.tolist() == [2.0, -1.0, 4.0]
    w.data.copy_(Tensor([0.0, 0.0, 0.0], dtype=np.float64))
    assert w.tolist() == [0.0, 0.0, 0.0]
    m = nn.Linear(3, 2)
    autograd.manual_seed(0)
    m.weight.data.normal_(0, 0.02)                           # the DCGAN init idiom
    assert 0 < float(np.abs(m.weight.detach().numpy()).max()) < 0.1


def test_zero_grad_keeps_tensor_grads_when_asked():
    m = nn.Linear(2, 1)
    m(Tensor(np.ones((3, 2), np.float32))).sum().backward()
    held = m.weight.raw_grad
    m.zero_grad(set_to_none=False)
    assert m.weight.raw_grad is held and m.weight.grad.tolist() == [[0.0, 0.0]]
    m.zero_grad()
    assert m.weight.grad is None


def test_data_setter_takes_a_tensor_and_shares_its_memory():
    w = Tensor(np.zeros(2), requires_grad=True)
    new = Tensor(np.array([1.0, 2.0, 3.0]))
    w.data = new                                             # shape may change, as in torch
    assert w.shape == (3,) and w.raw_data is new.raw_data and w.requires_grad
    with pytest.raises(TypeError, match="has to be a tensor, but got ndarray"):
        w.data = np.zeros(3)


def test_grad_setter_checks_kind_shape_and_dtype():
    w = Tensor(np.zeros(3), requires_grad=True)
    w.grad = Tensor(np.ones(3))
    assert w.grad.tolist() == [1.0, 1.0, 1.0]
    w.grad = None
    assert w.grad is None
    with pytest.raises(TypeError, match="expected to be a Tensor or None but got grad of "
                                        "type ndarray"):
        w.grad = np.ones(3)
    with pytest.raises(RuntimeError, match=r"gradient of size \[2\] to a tensor of size \[3\]"):
        w.grad = Tensor(np.ones(2))
    with pytest.raises(RuntimeError, match="dtype float32 to a tensor of dtype float64"):
        w.grad = Tensor(np.ones(3, np.float32))


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_setter_errors_are_pytorchs_classes():
    t = torch.zeros(3, dtype=torch.float32, requires_grad=True)
    for value, error in ((np.ones(3), TypeError), (torch.ones(2, dtype=torch.float32),
                                                   RuntimeError),
                         (torch.ones(3, dtype=torch.float64), RuntimeError)):
        with pytest.raises(error):
            t.grad = value
    with pytest.raises(TypeError):
        t.data = np.ones(3)


def test_raw_accessors_are_the_numbers_for_both_node_kinds():
    v = Value(2.0)
    (v * v).backward()
    assert v.raw_data == 2.0 and v.raw_grad == 4.0
    v.raw_data = 3.0
    assert v.data == 3.0
    w = trained_leaf()
    assert isinstance(w.raw_data, np.ndarray) and isinstance(w.raw_grad, np.ndarray)
    assert Tensor([1.0]).raw_grad is None


def test_format_spec_on_0d_tensors_only():
    loss = Tensor(np.float64(0.123456))
    assert f"{loss:.4f}" == "0.1235" and f"{autograd.tensor(3):d}" == "3" and f"{loss}" == "0.123456"
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{Tensor([1.0, 2.0]):.2f}"


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_format_matches_torch():
    for value in (0.123456, 2.5, -1e-7):
        theirs = torch.tensor(value, dtype=torch.float32)
        assert f"{Tensor(np.float32(value)):.4f}" == f"{theirs:.4f}"
        assert f"{Tensor(np.float32(value))}" == f"{theirs}"
    with pytest.raises(TypeError):
        f"{torch.tensor([1.0, 2.0]):.2f}"


def test_bitwise_operators_on_bool_and_integer_tensors():
    a, b = autograd.tensor([True, False, True]), autograd.tensor([True, True, False])
    assert (~a).tolist() == [False, True, False]
    assert (a & b).tolist() == [True, False, False] and (a | b).tolist() == [True] * 3
    assert (a ^ b).tolist() == [False, True, True]
    assert (np.array([True, True, True]) & a).tolist() == [True, False, True]
    assert (autograd.tensor([6]) & 3).tolist() == [2]
    for bad in (lambda: ~Tensor([1.0]), lambda: a & Tensor([1.0, 2.0, 3.0])):
        with pytest.raises(RuntimeError, match="bool and integer tensors only"):
            bad()


def test_numpy_functions_give_constant_tensors_and_operators_record():
    x = Tensor([-1.0, 2.0], requires_grad=True)
    y = np.abs(x)
    assert type(y) is Tensor and y.tolist() == [1.0, 2.0] and not y.requires_grad
    z = np.float64(2.0) * x + np.ones(2)                       # NumPy on the left: recorded
    assert z.requires_grad and z.op == "+"


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_torch_reads_a_glassgrad_tensor_through_dlpack():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert torch.tensor(t).tolist() == t.tolist()
    assert torch.from_dlpack(t).dtype == torch.float64


def test_no_grad_updates_through_data_need_no_context():
    w = trained_leaf()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1.0)
    w.data.add_(1.0)                                          # the escape hatch
    with no_grad():
        w.add_(1.0)
    assert w.tolist() == [3.0, 0.0, 5.0]


def test_a_second_backward_gives_the_leaf_a_new_gradient_array():
    # README "Differences from PyTorch": PyTorch adds into the same tensor in place.
    w = trained_leaf()
    before = w.grad
    (w * w).sum().backward()
    assert before.tolist() == [2.0, -4.0, 6.0] and w.grad.tolist() == [4.0, -8.0, 12.0]


def test_grad_fn_is_the_op_name_and_numpy_reads_any_tensor():
    w = trained_leaf()
    assert w.grad_fn is None and (w * 2).grad_fn == "*" and (w * 2).sum().grad_fn == "sum"
    assert np.asarray(w).tolist() == [1.0, -2.0, 3.0]         # PyTorch raises here
