"""`detect_anomaly()` on scalar Value graphs (issue 8, item 5): the op and the node that first
made a nan/inf, in forward and in backward (Tensor graphs: tests/test_tensor_autograd.py)."""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest

import autograd
from autograd import AnomalyError, Function, Tensor, Value, detect_anomaly


def test_off_by_default_nan_flows_silently():
    a = Value(math.inf)
    assert math.isnan((a - a).data)


def test_forward_inf_minus_inf_names_the_op_and_its_inputs():
    a, b = Value(math.inf, label="a"), Value(math.inf, label="b")
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"detect_anomaly: - produced nan "
                                                             r"in forward; inputs: a = inf, "
                                                             r"b = inf"):
        a - b


def test_forward_nan_input_is_reported_at_the_first_op_using_it():
    x = Value(math.nan, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"\* produced nan in forward; "
                                                             r"inputs: x = nan, unlabelled = 2.0"):
        x * 2.0


def test_forward_overflow_to_inf():
    x = Value(1e200, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"\* produced inf in forward"):
        x * x


def test_backward_names_the_node_whose_backward_made_the_nan():
    x = Value(0.0, label="x")
    s = x.sqrt()                            # sqrt'(0) = inf
    s.label = "s"
    y = s * 0.0                             # forward is finite (0) ...
    y.label = "y"
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"the backward of √|the backward of sqrt"):
            y.backward()                    # ... backward: 0 * inf = nan at sqrt


def test_backward_message_names_op_node_and_input():
    x = Value(1e-200, label="x")
    y = 1.0 / x                              # forward finite: 1e200
    y.label = "y"
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        y.backward()                          # -1/x² overflows to -inf
    assert str(info.value) == ("detect_anomaly: the backward of / (node y, inputs: unlabelled "
                               "= 1.0, x = 1e-200) produced inf in the gradient of input 1 (x)")


def test_autograd_grad_is_checked_too():
    x = Value(1e-200, label="x")
    y = 1.0 / x
    with detect_anomaly(), pytest.raises(AnomalyError, match="produced inf in the gradient"):
        autograd.grad(y, [x])
    assert autograd.grad(y, [x]) == (-math.inf,)  # outside the block: IEEE, no error


def test_a_custom_function_is_named_by_its_class():
    class Blowup(Function):
        @staticmethod
        def forward(ctx, x):        # plain numbers: no recorded op of its own to blame
            return x.raw_data * 1e308 * 10.0

        @staticmethod
        def backward(ctx, grad):
            return grad * math.inf

    with detect_anomaly():
        with pytest.raises(AnomalyError, match="Blowup produced inf in forward"):
            Blowup.apply(Value(1.0))
        with pytest.raises(AnomalyError, match="Blowup produced inf in forward"):
            Blowup.apply(Tensor([1.0], requires_grad=True))
    y = Blowup.apply(Value(1e-310))
    with detect_anomaly(), pytest.raises(AnomalyError, match="the backward of Blowup"):
        y.backward()


def test_decorator_form_and_process_wide_like_pytorch():
    @detect_anomaly()
    def checked():
        a = Value(math.inf)
        return a - a

    with pytest.raises(AnomalyError):
        checked()
    assert not autograd.anomaly.STATE.anomaly
    seen = []
    with detect_anomaly():
        t = threading.Thread(target=lambda: seen.append(autograd.anomaly.STATE.anomaly))
        t.start()
        t.join()
    assert seen == [True]       # PyTorch's anomaly mode is process-wide, not per thread


def test_tensor_message_marks_an_input_that_already_held_nan():
    x = Tensor(np.array([1.0, np.nan]), label="x")
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"inputs: x \(2,\) \(already holds "
                                                             r"nan\)"):
        x * 2.0
