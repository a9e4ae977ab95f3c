"""In-place writes and the version counter: backward refuses stale saved values, naming the
tensor, as PyTorch does; `.data` is the escape hatch; views share their base's counter."""
from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, no_grad
from autograd import versions

MESSAGE = "one of the variables needed for gradient computation has been modified by an " \
          "inplace operation"


def leaf(values=(1.0, 2.0, 3.0), label="x"):
    return Tensor(np.array(values), requires_grad=True, label=label)


def test_the_issue_case_raises_naming_the_tensor():
    x = leaf()
    y = (x * x).sum()
    with no_grad():
        x -= 1
    with pytest.raises(RuntimeError, match=MESSAGE) as err:
        y.backward()
    text = str(err.value)
    assert "[float64 tensor x of shape (3,)]" in text and "op '*'" in text
    assert "is at version 1; expected version 0 instead" in text


@pytest.mark.parametrize("write", [
    lambda t: t.add_(1.0), lambda t: t.sub_(1.0), lambda t: t.mul_(2.0), lambda t: t.div_(2.0),
    lambda t: t.zero_(), lambda t: t.fill_(3.0), lambda t: t.copy_(np.zeros(3)),
    lambda t: t.clamp_(0.0, 1.0), lambda t: t.normal_(), lambda t: t.uniform_(),
    lambda t: t.__setitem__(0, 9.0), lambda t: t.masked_fill_(t > 1, 0.0),
    lambda t: t.__iadd__(1.0), lambda t: t.__imul__(2.0), lambda t: t.__itruediv__(2.0),
    lambda t: t.__isub__(1.0)])
def test_every_in_place_write_bumps_the_version(write):
    x = leaf()
    y = (x * 2).sum()
    with no_grad():
        assert x._version_number == 0
        write(x)
        assert x._version_number == 1
    with pytest.raises(RuntimeError, match=MESSAGE):
        y.backward()


def test_writing_a_non_leaf_output_under_no_grad_is_caught():
    x = leaf()
    h = x.exp()
    loss = h.sum()
    with no_grad():
        h.add_(1.0)
    # glassgrad checks every input of a node (PyTorch only the ones saved for backward), so
    # it is `sum` that finds the changed `exp` output first.
    with pytest.raises(RuntimeError, match=r"shape \(3,\), the output of op 'exp'\], an "
                                           r"input of op 'sum'"):
        loss.backward()
    y = x * 2
    with no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"the node's own value"):
        autograd.grad(y, [x], grad_outputs=Tensor(np.ones(3)))


def test_an_input_that_needs_no_grad_is_checked_too():
    w = leaf(label="w")
    x = Tensor(np.array([1.0, 1.0, 1.0]), label="data")
    loss = (w * x).sum()
    x.add_(1.0)                          # allowed (x needs no grad) but it was saved by '*'
    with pytest.raises(RuntimeError, match=r"tensor data of shape \(3,\)\], input 1 of op"):
        loss.backward()


def test_views_share_the_counter():
    base = Tensor(np.arange(6.0), requires_grad=True)
    with no_grad():
        b = base.detach()
    loss = (base * base).sum()
    for view in (b.reshape(2, 3), b[1:3], b.reshape(3, 2).transpose(0, 1), b.unsqueeze(0),
                 b.expand(2, 6)[0]):
        assert view._version is b._version is base._version
    b.reshape(2, 3)[0, 0] = 5.0
    assert base._version_number == 1
    with pytest.raises(RuntimeError, match=MESSAGE):
        loss.backward()


def test_copies_and_the_data_alias_have_their_own_counter():
    x = leaf()
    loss = (x * x).sum()
    x.data.add_(1.0)                    # PyTorch's escape hatch: no error, values change
    copy = x.detach()[[0, 2]]           # advanced indexing copies
    copy.add_(1.0)
    assert x._version_number == 0
    loss.backward()
    # No error, but the saved values did change: d(x·x)/dx = 2x with the new x, exactly
    # what PyTorch gives after a write through .data (why it is an escape hatch).
    assert x.grad.tolist() == [4.0, 6.0, 8.0]


def test_writes_before_recording_are_fine_and_grad_sees_it_too():
    x = leaf()
    with no_grad():
        x.mul_(2.0)
    y = (x * x).sum()
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0, 12.0]
    z = (x * x).sum()
    with no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match=MESSAGE):
        autograd.grad(z, [x])


def test_an_optimizer_step_between_forward_and_backward_is_caught():
    model = nn.Linear(2, 1)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    x = Tensor(np.ones((4, 2), np.float32))
    loss = model(x).sum()
    loss.backward()
    opt.step()                           # fine: after backward
    loss2 = model(x).sum()
    opt.step()                           # changes the weights loss2 was computed from
    with pytest.raises(RuntimeError, match=r"tensor of shape \(1, 2\)\], input 1 of op "
                                           r"'linear'"):
        loss2.backward()


def test_expected_version_when_many_writes_happened():
    counter = versions.VersionCounter()
    for _ in range(3):
        counter.bump()
    seq = autograd.graph.next_seq()
    for _ in range(versions.KEPT + 5):
        counter.bump()
    assert counter.version_at(seq) == f"{counter.version - versions.KEPT} or earlier"
    young = versions.VersionCounter()
    young.bump()
    assert young.version_at(0) == "0" and young.version_at(10 ** 12) == "1"


def test_in_place_rules():
    x = leaf()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.add_(1.0)
    h = x * 2
    with pytest.raises(RuntimeError, match="inside a graph are not supported"):
        h.mul_(2.0)
    ints = autograd.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type autograd.float32 can't be cast to "
                                           "the desired output type autograd.int64"):
        ints += 0.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        ints /= 2
    with pytest.raises(RuntimeError, match="can't be cast"):
        autograd.tensor([True]).add_(1)
    with pytest.raises(RuntimeError, match="can't be cast"):
        ints.clamp_(0, 1.5)
    ints += 3
    assert ints.tolist() == [4, 5] and ints.dtype == autograd.int64
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        Tensor([1.0, 2.0]).fill_(Tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="boolean masks"):
        Tensor([1.0]).masked_fill_(autograd.tensor([1]), 0.0)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        Tensor([1.0]).clamp_()
    with pytest.raises(NotImplementedError, match="floating point only"):
        ints.normal_()
    with pytest.raises(autograd.ShapeError, match="cannot be broadcast"):
        Tensor([1.0, 2.0]).add_(Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(autograd.ShapeError, match="cannot be written"):
        Tensor([1.0, 2.0]).copy_(np.ones(3))


def test_in_place_results():
    t = Tensor([1.0, -2.0, 3.0])
    assert t.add_(Tensor([1.0, 1.0, 1.0]), alpha=2).tolist() == [3.0, 0.0, 5.0]
    assert t.sub_(1.0, alpha=3).tolist() == [0.0, -3.0, 2.0]
    assert t.clamp_(min=-1.0).tolist() == [0.0, -1.0, 2.0] and t.clip_(max=1.0).tolist() == \
        [0.0, -1.0, 1.0]
    assert t.masked_fill_(t < 0, 7.0).tolist() == [0.0, 7.0, 1.0]
    assert t.copy_(Tensor([4.0])).tolist() == [4.0, 4.0, 4.0]      # broadcast
    assert t.fill_(Tensor(2.0)).tolist() == [2.0] * 3 and t.zero_().tolist() == [0.0] * 3
    g = autograd.Generator().manual_seed(1)
    draws = t.uniform_(-1, 1, generator=g).tolist()
    assert all(-1 <= v < 1 for v in draws) and t.normal_(5, 0.1).mean().item() > 4


def test_the_check_costs_nothing_without_writes():
    x = leaf()
    y = (x * x).sum()
    before = versions.CLOCK.last
    y.backward()
    assert versions.CLOCK.last == before and x._version is None


def test_the_check_is_per_op_where_pytorch_checks_saved_tensors():
    # README "Differences from PyTorch": `+` saves nothing in PyTorch, so it does not raise.
    x = leaf()
    y = x + 1
    with no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match=MESSAGE):
        y.sum().backward()
    torch = pytest.importorskip("torch")
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ty = tx + 1
    with torch.no_grad():
        tx.add_(1)
    ty.sum().backward()                     # no error in PyTorch
