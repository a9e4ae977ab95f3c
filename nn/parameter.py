"""`Parameter`: a Tensor that a Module registers as a learnable weight (PyTorch's).

Assigning a Parameter to a Module attribute puts it in `parameters()` and the state_dict;
`requires_grad` defaults to True. Ops on a Parameter give plain Tensors.

>>> import numpy as np
>>> from nn import Parameter
>>> w = Parameter(np.array([1.0, 2.0]))
>>> w.requires_grad, type(w * 2).__name__
(True, 'Tensor')
"""
from __future__ import annotations

from typing import Any

from autograd.tensor_core import Tensor


class Parameter(Tensor):
    """A learnable Tensor: `Parameter(data, requires_grad=True)`."""

    __slots__ = ()
    _is_parameter = True   # how nn.Module recognises tensor parameters

    def __init__(self, data: Any = None, requires_grad: bool = True, dtype: Any = None,
                 label: str = "") -> None:
        if data is None:   # PyTorch's Parameter() is an empty tensor
            data = []
        if isinstance(data, Tensor):
            # Share the array, as torch.nn.Parameter(t) shares t's storage.
            label = label or data.label
            dtype = dtype or data.dtype
            data = data.raw_data
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, label=label)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
