"""Devices: glassgrad computes on the CPU (NumPy). `device('cpu')` and `device='cpu'` are
accepted wherever PyTorch takes a device; asking to *use* any other device raises one clear
error (constructing `device('cuda')` is fine, as in PyTorch, so device-picking lines run).

>>> device("cpu"), str(device("cuda", 1))
(device(type='cpu'), 'cuda:1')
>>> check_device("cuda")
Traceback (most recent call last):
...
RuntimeError: device 'cuda' is not available: glassgrad computes on the CPU with NumPy (autograd.cuda.is_available() is False); use device='cpu'
"""
from __future__ import annotations

from typing import Any, Optional

# Device types PyTorch code names; only "cpu" can be used here.
KNOWN = ("cpu", "cuda", "mps", "xpu", "hip", "meta", "xla", "privateuseone")


class device:
    """PyTorch's device type: `device('cpu')`, `device('cuda:1')`, `device('cuda', 0)`."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: Optional[int] = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise RuntimeError(f"device: expected a device string such as 'cpu', got "
                               f"{type!r}")
        name, sep, number = type.partition(":")
        if name not in KNOWN:
            raise RuntimeError(f"Expected one of {', '.join(KNOWN)} device type at start of "
                               f"device string: {type}")
        if sep:
            if not number.isdigit() or index is not None:
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(number)
        self.type = name
        self.index = None if index is None else int(index)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def check_device(where: Any) -> device:
    """`device('cpu')` for None or anything naming the CPU; the one error for other devices."""
    if where is None:
        return CPU
    d = where if isinstance(where, device) else device(where)
    if d.type != "cpu":
        raise RuntimeError(f"device {str(d)!r} is not available: glassgrad computes on the CPU "
                           f"with NumPy (autograd.cuda.is_available() is False); use "
                           f"device='cpu'")
    return CPU


def is_device(x: Any) -> bool:
    """True for a device object or a string naming a device type ('cpu', 'cuda:0', ...)."""
    return isinstance(x, device) or (isinstance(x, str) and x.partition(":")[0] in KNOWN)


def set_default_device(where: Any) -> None:
    """PyTorch's default-device switch: the CPU (or None) is accepted, as it is the only one."""
    check_device(where)


def get_default_device() -> device:
    return CPU
