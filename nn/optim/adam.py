"""`Adam` and `AdamW`: adaptive moments, with coupled (L2) or decoupled weight decay.

PyTorch's algorithm at step t (g gradient, θ parameter, m and v the moment estimates):

    g ← -g                                      if maximize
    θ ← θ·(1 − lr·weight_decay)                 AdamW (decoupled decay, applied first)
    g ← g + weight_decay·θ                      Adam  (coupled L2, enters the moments)
    m ← β₁·m + (1 − β₁)·g
    v ← β₂·v + (1 − β₂)·g²
    v ← max(v_max, v) and remember it as v_max  if amsgrad
    θ ← θ − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)

ε is added after the square root of the bias-corrected v, as in PyTorch.

>>> from autograd import Value
>>> w = Value(1.0)
>>> opt = Adam([w], lr=0.1)
>>> for _ in range(3):
...     w.grad = 3.0                # constant gradient: bias correction makes m̂ = g, v̂ = g²,
...     opt.step()                  # so every step moves by lr·g/(|g| + ε) ≈ lr
>>> round(w.data, 6)
0.7
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, _check_range, _maximum, _scratch, _sqrt, _zeros_like


class Adam(Optimizer):
    """Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    maximize=False, decoupled_weight_decay=False).

    State per parameter: `step`, `exp_avg` (m), `exp_avg_sq` (v) and, with amsgrad,
    `max_exp_avg_sq`.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        _check_range("lr", lr, lr >= 0, ">= 0")
        _check_range("eps", eps, eps >= 0, ">= 0")
        beta1, beta2 = betas
        _check_range("betas[0]", beta1, 0 <= beta1 < 1, "in [0, 1)")
        _check_range("betas[1]", beta2, 0 <= beta2 < 1, "in [0, 1)")
        _check_range("weight_decay", weight_decay, weight_decay >= 0, ">= 0")
        super().__init__(params, dict(lr=lr, betas=(beta1, beta2), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = _zeros_like(p.raw_data)
            state["exp_avg_sq"] = _zeros_like(p.raw_data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _zeros_like(p.raw_data)
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        state["step"] += 1
        t = state["step"]
        if isinstance(p.raw_data, np.ndarray):
            self._update_array(p, grad, state, group, t)
            return
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.raw_data *= 1 - lr * wd
            else:
                grad = grad + wd * p.raw_data
        m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * grad
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = _maximum(state["max_exp_avg_sq"], v)
        denom = _sqrt(v) / math.sqrt(1 - beta2 ** t) + group["eps"]
        p.raw_data -= lr / (1 - beta1 ** t) * m / denom

    def _update_array(self, p: Any, grad: np.ndarray, state: dict[str, Any],
                      group: dict[str, Any], t: int) -> None:
        # The same update as the float path, written into the state arrays and one scratch
        # array with out= ufuncs: no array is allocated per step (the step is memory-bound,
        # so temporaries cost as much as the arithmetic). The last line divides before
        # scaling, m / denom * step_size, which is PyTorch's order (addcdiv).
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        data, m, v = p.raw_data, state["exp_avg"], state["exp_avg_sq"]
        work = _scratch(self._work, p)
        if wd != 0:
            if group["decoupled_weight_decay"]:
                data *= 1 - lr * wd
            else:
                decayed = data * wd   # the one allocation, only with coupled weight decay
                decayed += grad
                grad = decayed
        m *= beta1
        np.multiply(grad, 1 - beta1, out=work)
        m += work
        v *= beta2
        np.multiply(grad, 1 - beta2, out=work)
        work *= grad
        v += work
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        np.sqrt(v, out=work)
        work /= math.sqrt(1 - beta2 ** t)
        work += group["eps"]
        np.divide(m, work, out=work)
        work *= lr / (1 - beta1 ** t)
        data -= work


class AdamW(Adam):
    """AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
    *, maximize=False): Adam whose weight decay shrinks θ directly instead of joining g.

    >>> from autograd import Value
    >>> w = Value(1.0); w.grad = 0.0            # no gradient: only the decay acts
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step(); round(w.data, 12)
    0.95
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
