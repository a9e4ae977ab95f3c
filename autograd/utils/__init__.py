"""`autograd.utils` (PyTorch's `torch.utils`): `data`, the dataset and batching tools.

>>> import autograd
>>> autograd.utils.data.TensorDataset(autograd.zeros(3, 2))[0][0].tolist()
[0.0, 0.0]
"""
from . import data

__all__ = ["data"]
