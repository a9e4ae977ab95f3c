"""A PyTorch model as `viz.Film` reads a model: the one adapter between the two.

A film reads `model.named_modules()`, each module's `named_parameters()` and each
parameter's `raw_grad` and `raw_data` (viz/film.py). `film_model(model, loss)` gives it a
`torch.nn.Module` through thin views of its modules and parameters (a parameter's `.grad`
is read when the film records, never copied before) and the loss as a number; any other
model passes unchanged. torch is imported only when a PyTorch model arrives.

>>> film_model("a glassgrad model", 1.5)         # not PyTorch's: unchanged
('a glassgrad model', 1.5)
"""
from __future__ import annotations

from typing import Any, Iterator, Tuple

from .node import data_of
from .torch_node import scope_class
from .torch_support import is_torch, require_torch, to_numpy


class TorchParameter:
    """A torch parameter as a film reads it: its numbers as NumPy arrays."""

    __slots__ = ("tensor",)

    def __init__(self, tensor: Any) -> None:
        self.tensor = tensor

    @property
    def raw_data(self) -> Any:
        return to_numpy(self.tensor)

    @property
    def raw_grad(self) -> Any:
        g = self.tensor.grad
        return None if g is None else to_numpy(g)


class TorchModuleView:
    """A torch module as a film reads it; its class takes the module's class name
    (`scope_class(type(m), TorchModuleView)`), as the film shows `0 (Linear)`."""

    __slots__ = ("module",)

    def __init__(self, module: Any) -> None:
        self.module = module

    def named_modules(self) -> Iterator[Tuple[str, "TorchModuleView"]]:
        for name, m in self.module.named_modules():
            yield name, scope_class(type(m), TorchModuleView)(m)

    def named_parameters(self) -> Iterator[Tuple[str, TorchParameter]]:
        for name, p in self.module.named_parameters():
            yield name, TorchParameter(p)


def _loss_number(loss: Any, torch: Any) -> Any:
    """A PyTorch loss (a one-element tensor, a traced node, a number) as a float."""
    if loss is None:
        return None
    if isinstance(loss, torch.Tensor):
        if loss.numel() != 1:
            raise ValueError(f"Film.record: the loss must be one number, got a tensor of "
                             f"shape {tuple(loss.shape)}")
        return float(loss.detach().reshape(()).item())
    return float(data_of(loss)) if hasattr(loss, "raw_data") else loss


def film_model(model: Any, loss: Any) -> Tuple[Any, Any]:
    """(model, loss) as a film reads them: a `torch.nn.Module` through its adapter (its
    modules drawn in registration order, as PyTorch's graph knows no modules), the
    loss as a number; anything else unchanged."""
    if not is_torch(model, "torch.nn.modules.module", "Module"):
        return model, loss
    torch = require_torch("viz.Film with a torch.nn.Module")
    return scope_class(type(model), TorchModuleView)(model), _loss_number(loss, torch)
