"""Helpers shared by the viz test files: the graphviz-pure program and the lecture neuron."""
from __future__ import annotations

import shutil

import pytest

from autograd import Value
from viz import render


def graphviz_pure() -> str:
    """Path of graphviz-pure (PATH or beside the venv's python); skips the test without it."""
    found = shutil.which("graphviz-pure") or render._beside_python("graphviz-pure")
    if found is None:
        pytest.skip("graphviz-pure is not installed")
    return found


def neuron(backward: bool = False) -> Value:
    """Karpathy's lecture neuron o = tanh(x1*w1 + x2*w2 + b), optionally after backward()."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    if backward:
        o.backward()
    return o
