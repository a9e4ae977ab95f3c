"""`no_grad`, `enable_grad` and `inference_mode` as PyTorch 2 allows them: context managers,
decorators with parentheses, and bare decorators."""
from __future__ import annotations

import autograd
from autograd import Tensor, enable_grad, inference_mode, no_grad


def leaf():
    return Tensor([1.0, 2.0], requires_grad=True)


def test_bare_and_called_decorators():
    @no_grad
    def bare(x):
        return x * 2

    @no_grad()
    def called(x):
        return x * 2

    @inference_mode
    def infer(x):
        return x * 2

    @inference_mode(mode=False)
    def recorded(x):
        return x * 2

    x = leaf()
    assert not bare(x).requires_grad and not called(x).requires_grad
    assert not infer(x).requires_grad and recorded(x).requires_grad
    assert bare.__name__ == "bare" and autograd.is_grad_enabled()

    @enable_grad
    def again(x):
        return x * 2

    with no_grad():
        assert again(x).requires_grad and not (x * 2).requires_grad


def test_context_managers():
    x = leaf()
    with inference_mode():
        assert not (x * 2).requires_grad and not autograd.is_grad_enabled()
    with inference_mode(False):
        assert (x * 2).requires_grad
    with no_grad(), inference_mode(False):             # leaves grad mode alone
        assert not (x * 2).requires_grad
    assert autograd.is_grad_enabled()
    with no_grad(), enable_grad():
        assert (x * 2).requires_grad
