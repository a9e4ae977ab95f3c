"""`autograd.accelerator`: PyTorch 2.x's device-agnostic query, answered for the CPU.

The beginner tutorials pick a device with
`torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"`,
which gives "cpu" here.

>>> is_available(), current_accelerator(), device_count()
(False, None, 0)
"""
from __future__ import annotations

from typing import Optional

from .devices import device


def is_available() -> bool:
    """Always False: glassgrad has no accelerator backend."""
    return False


def current_accelerator() -> Optional[device]:
    return None


def device_count() -> int:
    return 0
