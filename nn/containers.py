"""Containers: `Sequential`, `ModuleList` and `ModuleDict`, PyTorch's ways to hold submodules.

Each child is an attribute of the container ('0', '1', ... or the dict's keys), so it shows
in `named_modules()`, `parameters()`, the state_dict (`'0.weight'`) and drawings.

>>> import nn
>>> blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
>>> heads = nn.ModuleDict({"mean": nn.Linear(2, 1), "log_std": nn.Linear(2, 1)})
>>> len(blocks), list(heads), list(nn.Sequential(blocks, heads).state_dict())[:2]
(3, ['mean', 'log_std'], ['0.0.weight', '0.0.bias'])
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Mapping, Optional, Tuple, Union

from .module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _check(owner: str, module: Any) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: {type(module).__name__} is not a Module")
    return module


class _Indexed(Module):
    """Children named '0', '1', ... in order (Sequential and ModuleList)."""

    def _items(self) -> list:
        return [m for _, m in self.named_children()]

    def _reset(self, modules: Iterable[Module]) -> None:
        for name, _ in list(self.named_children()):
            delattr(self, name)
        for i, m in enumerate(modules):
            setattr(self, str(i), _check(type(self).__name__, m))

    def _index(self, index: int) -> int:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__}: index {index} is out of range for {n} "
                             f"modules")
        return index % n

    def append(self, module: Module) -> "_Indexed":
        setattr(self, str(len(self)), _check(type(self).__name__, module))
        return self

    def extend(self, modules: Iterable[Module]) -> "_Indexed":
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = self._items()
        items.insert(index, module)
        self._reset(items)

    def __len__(self) -> int:
        return len(self._items())

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items())

    def __getitem__(self, index: Union[int, slice]) -> Any:
        items = list(self.named_children())
        if isinstance(index, slice):
            return type(self)(OrderedDict(items[index])) if isinstance(self, Sequential) \
                else type(self)(m for _, m in items[index])
        return items[self._index(index)][1]

    def __setitem__(self, index: int, module: Module) -> None:
        items = self._items()
        items[self._index(index)] = module
        self._reset(items)

    def __delitem__(self, index: Union[int, slice]) -> None:
        items = self._items()
        del items[index if isinstance(index, slice) else self._index(index)]
        self._reset(items)

    def __iadd__(self, modules: Iterable[Module]) -> "_Indexed":
        return self.extend(modules)


class Sequential(_Indexed):
    """Modules applied in order; children are named '0', '1', ... (or by an OrderedDict).

    >>> from nn import Identity, ReLU
    >>> seq = Sequential(Identity(), ReLU())
    >>> len(seq), type(seq[-1]).__name__, [type(m).__name__ for m in seq]
    (2, 'ReLU', ['Identity', 'ReLU'])
    """

    def __init__(self, *modules: Any) -> None:
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, module in items:
            setattr(self, name, _check("Sequential", module))

    def forward(self, x: Any) -> Any:
        for module in self._items():
            x = module(x)
        return x


class ModuleList(_Indexed):
    """A list of modules, registered as children (a plain list would hide them from
    `parameters()` and the optimizer in PyTorch; here both work, but ModuleList is the
    PyTorch spelling). It has no forward: iterate over it in yours."""

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        if modules is not None:
            self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> "ModuleList":
        return ModuleList(list(self) + list(other))


class ModuleDict(Module):
    """A dict of modules (insertion-ordered), registered as children under their keys."""

    def __init__(self, modules: Optional[Union[Mapping[str, Module],
                                               Iterable[Tuple[str, Module]]]] = None) -> None:
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self.keys():
            raise KeyError(key)
        return self.__dict__[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key.isidentifier() and not key.isdigit():
            raise KeyError(f"ModuleDict: keys must be identifiers (they become attribute "
                           f"names), got {key!r}")
        setattr(self, key, _check("ModuleDict", module))

    def __delitem__(self, key: str) -> None:
        self[key]
        delattr(self, key)
        self.__dict__["_names_ready"] = False

    def __len__(self) -> int:
        return len(self.keys())

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def keys(self) -> list:
        return [name for name, _ in self.named_children()]

    def values(self) -> list:
        return [m for _, m in self.named_children()]

    def items(self) -> list:
        return list(self.named_children())

    def update(self, modules: Union[Mapping[str, Module], Iterable[Tuple[str, Module]]]) -> None:
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in self.keys():
            del self[key]
