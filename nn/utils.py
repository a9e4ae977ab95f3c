"""`nn.utils`: PyTorch's home for the gradient-clipping helpers (they live in `nn/clip.py`).

>>> from autograd import Value
>>> w = Value(0.0); w.grad = -7.0
>>> clip_grad_value_([w], 2.0); w.grad
-2.0
"""
from .clip import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]
