"""Helpers shared by the viz test files: the graphviz-pure program and the lecture neuron."""
from __future__ import annotations

import shutil

import pytest

from autograd import Value
from viz import render
from cli import lecture_neuron


def graphviz_pure() -> str:
    """Path of graphviz-pure (PATH or beside the venv's python); skips the test without it."""
    found = shutil.which("graphviz-pure") or render._beside_python("graphviz-pure")
    if found is None:
        pytest.skip("graphviz-pure is not installed")
    return found


def neuron(backward: bool = False) -> Value:
    """Karpathy's lecture neuron, as `glassgrad demo` builds it."""
    return lecture_neuron(backward)
