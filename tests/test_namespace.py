"""`import autograd as torch`: PyTorch's namespace resolves to the very same module objects as
the top-level packages (`nn`, `nn.optim`, ...), lazily, in any import order, with no cycle."""
from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import autograd
import autograd.namespace as namespace
import nn

ROOT = Path(__file__).resolve().parents[1]


def submodules(package: str) -> list:
    module = importlib.import_module(package)
    return [m.name for m in pkgutil.iter_modules(module.__path__)]


def test_torch_names_resolve():
    torch = autograd
    assert torch.nn is nn and torch.optim is nn.optim
    assert torch.nn.functional is nn.functional and torch.optim.lr_scheduler is nn.optim.lr_scheduler
    assert torch.autograd is autograd and torch.autograd.grad is autograd.grad
    assert torch.utils.data.DataLoader.__name__ == "DataLoader"
    assert torch.nn.utils.clip_grad_norm_ is nn.utils.clip_grad_norm_


@pytest.mark.parametrize("alias, real", [("nn", "nn"), ("optim", "nn.optim")])
def test_every_submodule_is_the_same_object(alias, real):
    names = submodules(real)
    assert names
    package = importlib.import_module(real)
    for name in names:
        attribute = getattr(package, name, None)
        via_alias = importlib.import_module(f"autograd.{alias}.{name}")
        assert via_alias is importlib.import_module(f"{real}.{name}"), name
        assert via_alias.__spec__.name == f"{real}.{name}"      # the real spec is kept
        # ... and the package's attribute is untouched (nn.lr_finder stays the function)
        assert getattr(package, name, None) is (attribute or via_alias)


def test_import_forms():
    import autograd.nn as nn2
    import autograd.nn.functional as F
    from autograd import nn as nn3, optim
    assert nn2 is nn3 is nn and F is nn.functional and optim is nn.optim
    assert nn.__spec__.name == "nn" and sys.modules["autograd.nn"] is nn
    import autograd.autograd.value
    import autograd.autograd.gradcheck
    assert autograd.autograd.value is autograd.value
    assert callable(autograd.gradcheck) and autograd.autograd.gradcheck is autograd.gradcheck


def test_unknown_names_fail_clearly():
    with pytest.raises(AttributeError, match="module 'autograd' has no attribute 'nope'"):
        autograd.nope
    with pytest.raises(AttributeError):
        autograd._private_thing
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("autograd.nn.nope")
    assert namespace.target("autograd.value") is None and namespace.target("nn") is None


def test_a_failing_import_inside_an_aliased_module_is_not_hidden(monkeypatch):
    monkeypatch.setitem(namespace.ALIASES, "broken", "glassgrad_no_such_module")
    with pytest.raises(ModuleNotFoundError, match="glassgrad_no_such_module"):
        autograd.broken


def test_install_is_idempotent():
    namespace.install()
    namespace.install()
    assert sum(isinstance(f, namespace.AliasFinder) for f in sys.meta_path) == 1


ORDERS = {
    "nn first": "import nn\nimport autograd as torch\n",
    "autograd first": "import autograd as torch\nimport nn\n",
    "viz first": "import viz\nimport autograd as torch\nimport nn\n",
    "alias submodule first": "import autograd.nn.functional as F\nimport autograd as torch\n"
                             "import nn\nassert F is nn.functional\n",
    "from-import first": "from autograd import nn as tnn, optim\nimport autograd as torch\n"
                         "import nn\nassert tnn is nn and optim is nn.optim\n",
    "optim submodule first": "import autograd.optim.lr_scheduler as S\nimport autograd as torch\n"
                             "import nn\nassert S is nn.optim.lr_scheduler\n",
    "utils first": "import autograd.utils.data as D\nimport autograd as torch\nimport nn\n"
                   "assert D is torch.utils.data\n",
}
CHECK = textwrap.dedent("""
    import sys
    assert torch.nn is nn and torch.optim is nn.optim and torch.autograd is torch
    assert torch.nn.functional is nn.functional and sys.modules["autograd.nn"] is nn
    assert torch.optim.lr_scheduler is nn.optim.lr_scheduler
    print("ok")
""")


@pytest.mark.parametrize("order", sorted(ORDERS))
def test_import_orders_in_fresh_interpreters(order):
    code = ORDERS[order] + CHECK
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


def test_submodules_load_on_first_use_only():
    code = ("import sys, autograd\n"
            "assert 'nn' not in sys.modules and 'autograd.accelerator' not in sys.modules\n"
            "assert autograd.accelerator.is_available() is False\n"
            "assert 'autograd.accelerator' in sys.modules\n"
            "print('ok')")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


def test_torch_autograd_function_resolves_once_it_exists():
    # autograd.Function comes from another change; whenever the package defines it,
    # torch.autograd.Function is that object (torch.autograd is the package itself).
    if hasattr(autograd, "Function"):
        assert autograd.autograd.Function is autograd.Function
    assert autograd.autograd.gradcheck is autograd.gradcheck
