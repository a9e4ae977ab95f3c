"""`RMSprop`: divide the gradient by a running root-mean-square of recent gradients.

PyTorch's algorithm (g gradient, θ parameter, s the mean square, a the mean, b the buffer):

    g ← -g                                  if maximize
    g ← g + weight_decay·θ                  if weight_decay ≠ 0
    s ← α·s + (1 − α)·g²
    a ← α·a + (1 − α)·g;  d ← √(s − a²) + ε if centered (variance instead of mean square)
    d ← √s + ε                              otherwise
    b ← momentum·b + g/d;  θ ← θ − lr·b     if momentum > 0
    θ ← θ − lr·g/d                          otherwise

There is no bias correction: the first steps are large (√s starts at √(1−α)·|g|).

>>> from autograd import Value
>>> w = Value(1.0); w.grad = 2.0
>>> RMSprop([w], lr=0.01).step()            # 1 − 0.01·2/(√0.01·2 + 1e-8)
>>> round(w.data, 6)
0.9
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, _check_range, _scratch, _sqrt, _zeros_like


class RMSprop(Optimizer):
    """RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, *, maximize=False).

    State per parameter: `step`, `square_avg`, plus `momentum_buffer` (momentum > 0) and
    `grad_avg` (centered).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        _check_range("lr", lr, lr >= 0, ">= 0")
        _check_range("eps", eps, eps >= 0, ">= 0")
        _check_range("momentum", momentum, momentum >= 0, ">= 0")
        _check_range("weight_decay", weight_decay, weight_decay >= 0, ">= 0")
        _check_range("alpha", alpha, alpha >= 0, ">= 0")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      maximize=maximize))

    def _update(self, p: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = _zeros_like(p.raw_data)
            if momentum > 0:
                state["momentum_buffer"] = _zeros_like(p.raw_data)
            if group["centered"]:
                state["grad_avg"] = _zeros_like(p.raw_data)
        state["step"] += 1
        if isinstance(p.raw_data, np.ndarray):
            self._update_array(p, grad, state, group)
            return
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.raw_data
        s = state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * grad * grad
        if group["centered"]:
            a = state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * grad
            denom = _sqrt(s - a * a) + group["eps"]
        else:
            denom = _sqrt(s) + group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"] = momentum * state["momentum_buffer"] + grad / denom
            p.raw_data -= group["lr"] * buf
        else:
            p.raw_data -= group["lr"] * grad / denom

    def _update_array(self, p: Any, grad: np.ndarray, state: dict[str, Any],
                      group: dict[str, Any]) -> None:
        # The float path's arithmetic in place (out= ufuncs, one scratch array). The last
        # step scales after dividing, lr·(g/d), which is PyTorch's order (addcdiv).
        alpha, momentum, data = group["alpha"], group["momentum"], p.raw_data
        work = _scratch(self._work, p)
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * data   # only with weight decay
        s = state["square_avg"]
        s *= alpha
        np.multiply(grad, 1 - alpha, out=work)
        work *= grad
        s += work
        if group["centered"]:
            a = state["grad_avg"]
            a *= alpha
            np.multiply(grad, 1 - alpha, out=work)
            a += work
            np.multiply(a, a, out=work)
            np.subtract(s, work, out=work)
            np.sqrt(work, out=work)
        else:
            np.sqrt(s, out=work)
        work += group["eps"]
        np.divide(grad, work, out=work)
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += work
            np.multiply(buf, group["lr"], out=work)
        else:
            work *= group["lr"]
        data -= work
