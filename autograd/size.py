"""`Size`: a tensor's shape, a tuple of ints (PyTorch's `torch.Size`).

>>> from autograd import zeros
>>> s = zeros(2, 3).shape
>>> s, s == (2, 3), s[1:], s.numel()
(autograd.Size([2, 3]), True, autograd.Size([3]), 6)
"""
from __future__ import annotations

import math
from typing import Any


class Size(tuple):
    """A tuple of dimension lengths; slices are Sizes, `numel()` is their product."""

    __slots__ = ()

    def numel(self) -> int:
        return math.prod(self)

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> "Size":
        return Size(tuple.__add__(self, tuple(other)))

    def __repr__(self) -> str:
        return f"autograd.Size({list(self)})"
