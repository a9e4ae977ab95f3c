"""PyTorch is optional: without it every torch feature raises one ImportError that says
what to install (run here by hiding torch, whether or not it is installed)."""
from __future__ import annotations

import sys

import pytest

import nn
import viz


@pytest.fixture
def no_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)     # `import torch` now fails


@pytest.mark.parametrize("call, feature", [
    (lambda: viz.trace_torch(), "viz.trace_torch"),
    (lambda: viz.draw_torch(None), "viz.draw_torch"),
    (lambda: nn.from_torch(None), "PyTorch conversion"),
    (lambda: nn.Sequential(nn.Linear(2, 1)).to_torch(), "PyTorch conversion"),
])
def test_without_torch_one_clear_error(no_torch, call, feature):
    with pytest.raises(ImportError) as info:
        call()
    message = str(info.value)
    assert feature in message and "pip install 'glassgrad[torch]'" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_the_extra_is_declared():
    from pathlib import Path
    tomllib = pytest.importorskip("tomllib")           # Python 3.11+
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert any(req.startswith("torch") for req in
               project["project"]["optional-dependencies"]["torch"])
