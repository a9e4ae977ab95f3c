"""PyTorch is optional: the one place that imports it for viz and nn, and says what to install.

`require_torch("viz.trace_torch")` returns the `torch` module, or raises one ImportError
naming the feature and the install command when PyTorch is missing. `is_torch(obj,
"torch", "Tensor")` recognises PyTorch's objects without importing it.

>>> try:
...     torch = require_torch("viz.trace_torch")
... except ImportError as err:
...     assert "pip install 'glassgrad[torch]'" in str(err)
"""
from __future__ import annotations

from typing import Any

INSTALL = "pip install 'glassgrad[torch]'"


def require_torch(feature: str) -> Any:
    """The `torch` module; without PyTorch, an ImportError saying `feature` needs it."""
    try:
        import torch
    except ImportError:
        raise ImportError(f"{feature} needs PyTorch, which is not installed: {INSTALL}") \
            from None
    return torch


def is_torch(obj: Any, module: str, name: str) -> bool:
    """True when `obj` is an instance of PyTorch's class `module.name` (read from its
    class's ancestry, so torch is not imported): ('torch', 'Tensor'),
    ('torch.nn.modules.module', 'Module')."""
    return any(c.__name__ == name and c.__module__ == module for c in type(obj).__mro__)


def to_numpy(t: Any) -> Any:
    """A torch tensor's numbers as a NumPy array (bfloat16, which NumPy lacks, as float32)."""
    import torch
    t = t.detach()
    if t.dtype == torch.bfloat16:
        t = t.float()
    return t.numpy(force=True)
