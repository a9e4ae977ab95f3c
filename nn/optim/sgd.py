"""`SGD`: stochastic gradient descent with optional momentum, Nesterov and weight decay.

PyTorch's algorithm, step by step (g is the gradient, θ the parameter, b the momentum buffer):

    g ← -g                          if maximize
    g ← g + weight_decay·θ          if weight_decay ≠ 0   (coupled L2)
    b ← g  (first step)   or   b ← momentum·b + (1 − dampening)·g      if momentum ≠ 0
    g ← g + momentum·b  if nesterov   else   g ← b                       if momentum ≠ 0
    θ ← θ − lr·g

Note that this "subtly differs" (PyTorch's words) from Sutskever et al., where lr multiplies
the gradient before it enters the buffer; both agree while lr is constant.

>>> from autograd import Value
>>> w = Value(1.0)
>>> opt = SGD([w], lr=0.1, momentum=0.9)
>>> for _ in range(3):
...     w.grad = 2 * w.data                # gradient of w**2
...     opt.step()
>>> round(w.data, 12)                      # 1 → 0.8 → 0.46 → 0.062
0.062
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, _check_range, _clone, _scratch


class SGD(Optimizer):
    """SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False). State per parameter: `momentum_buffer` (only when momentum ≠ 0)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        _check_range("lr", lr, lr >= 0, ">= 0")
        _check_range("momentum", momentum, momentum >= 0, ">= 0")
        _check_range("weight_decay", weight_decay, weight_decay >= 0, ">= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={momentum!r}, dampening={dampening!r})")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, p: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        if isinstance(p.raw_data, np.ndarray):
            self._update_array(p, grad, state, group)
            return
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.raw_data
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = _clone(grad)       # the first step takes the gradient as is
            else:
                buf = momentum * buf + (1 - group["dampening"]) * grad
            state["momentum_buffer"] = buf
            grad = grad + momentum * buf if group["nesterov"] else buf
        p.raw_data -= group["lr"] * grad

    def _update_array(self, p: Any, grad: np.ndarray, state: dict[str, Any],
                      group: dict[str, Any]) -> None:
        # The float path's arithmetic, written into the momentum buffer and one scratch
        # array (out= ufuncs) instead of allocating new arrays every step.
        data = p.raw_data
        work = _scratch(self._work, p)
        wd, momentum = group["weight_decay"], group["momentum"]
        if wd != 0:
            np.multiply(data, wd, out=work)
            work += grad
            grad = work
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad)  # a copy: never aliases grad
            else:
                buf *= momentum
                keep = 1 - group["dampening"]
                if keep == 1:
                    buf += grad
                else:                      # no Nesterov with dampening: grad is not reused
                    np.multiply(grad, keep, out=work)
                    buf += work
            if group["nesterov"]:
                if grad is work:
                    work += momentum * buf
                else:
                    np.multiply(buf, momentum, out=work)
                    work += grad
                grad = work
            else:
                grad = buf
        np.multiply(grad, group["lr"], out=work)
        data -= work
