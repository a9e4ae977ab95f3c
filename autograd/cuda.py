"""`autograd.cuda`: what PyTorch code asks about CUDA, answered for a CPU-only library.

Seeding calls are accepted and do nothing, exactly what PyTorch does on a machine without
a GPU, so "seed everything" helpers run unchanged.

>>> is_available(), device_count()
(False, 0)
"""
from __future__ import annotations


def is_available() -> bool:
    """Always False: glassgrad computes on the CPU with NumPy."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """No GPU to seed: nothing to do (PyTorch does the same without CUDA)."""


def manual_seed_all(seed: int) -> None:
    """No GPU to seed: nothing to do (PyTorch does the same without CUDA)."""
