"""PyTorch's namespace on `autograd`: `import autograd as torch` finds `torch.nn`, `torch.optim`,
`torch.autograd`, `torch.utils.data`, ... as THE SAME module objects as the top-level packages.

Two small mechanisms, both generic (a new submodule needs no change here):

* `ALIASES` maps a dotted prefix under `autograd` to the package it stands for. An import
  finder placed first on `sys.meta_path` answers any `autograd.nn[.x.y]` import with the
  module `nn[.x.y]` itself, so `import autograd.nn.functional as F` gives `nn.functional`,
  for submodules imported later too.
* `attribute` serves `autograd.<name>` lookups the package does not define (its module
  `__getattr__`): it imports `autograd.<name>`, an alias or a real submodule such as
  `autograd.utils` or a later `autograd.functional`. Nothing is imported until it is asked
  for, so `import autograd` never imports `nn` (which imports `autograd`): no cycle.

>>> import autograd, nn
>>> autograd.nn is nn and autograd.autograd is autograd
True
>>> import autograd.nn.functional as F
>>> F is nn.functional
True
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Optional, Sequence

PACKAGE = "autograd"
# `torch.<key>` -> the package that plays its part here.
ALIASES = {
    "nn": "nn",
    "optim": "nn.optim",
    "autograd": "autograd",     # torch.autograd.grad, torch.autograd.Function, ...
}


def target(fullname: str) -> Optional[str]:
    """The real module name behind an aliased one, or None ('autograd.nn.init' -> 'nn.init')."""
    parts = fullname.split(".")
    if len(parts) < 2 or parts[0] != PACKAGE or parts[1] not in ALIASES:
        return None
    return ".".join([ALIASES[parts[1]]] + parts[2:])


class AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an aliased name by importing the real module and handing back that object."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target_module: Optional[ModuleType] = None
                  ) -> Optional[importlib.machinery.ModuleSpec]:
        real = target(fullname)
        if real is None:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self)
        spec.loader_state = real
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        real = spec.loader_state
        module = importlib.import_module(real)
        root = spec.name.split(".")[1]
        mirror(f"{PACKAGE}.{root}", ALIASES[root])
        # The import system stamps the alias spec on the module; put the real one back
        # in exec_module (same object, so keep the real spec to restore it).
        spec.loader_state = (real, module.__spec__)
        return module

    def exec_module(self, module: ModuleType) -> None:
        alias_spec = module.__spec__
        module.__spec__ = alias_spec.loader_state[1]


def mirror(alias: str, real: str) -> None:
    """Register every loaded `real.x.y` as `alias.x.y` in sys.modules (done on each import
    through an alias, for the whole aliased package).

    An import that goes through the finder ends with the import system setting the new
    module as an attribute of its parent, which would replace a same-named attribute that
    is not the module (`nn.lr_finder` the function by `nn/lr_finder.py` the module). Names
    already in sys.modules are never loaded again, so their parents are left alone.
    """
    prefix = real + "."
    for name, module in list(sys.modules.items()):
        if name.startswith(prefix):
            sys.modules.setdefault(alias + name[len(real):], module)


FINDER = AliasFinder()


def install() -> None:
    """Put the finder first on sys.meta_path (before the path finder, which would otherwise
    load `autograd.nn.functional` from nn's folder as a second copy). Idempotent."""
    if not any(isinstance(f, AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, FINDER)


def attribute(name: str) -> ModuleType:
    """`autograd.<name>` for a name the package does not define: the aliased package or a
    submodule, imported on first use; AttributeError otherwise."""
    if not name.startswith("_"):
        try:
            return importlib.import_module(f"{PACKAGE}.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{PACKAGE}.{name}":
                raise                      # the module exists but one of ITS imports failed
    raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
