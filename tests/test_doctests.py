"""The runnable examples in the engine's and the scalar nn's docstrings must stay true."""
import doctest
import importlib
import random

import pytest

MODULES = [
    "autograd", "autograd.value", "autograd.graph", "autograd.scalar_rules",
    "autograd.differentiate", "autograd.gradcheck", "autograd.functions", "autograd.errors",
    "autograd.mode", "nn", "nn.module", "nn.scalar", "nn.scalar_losses",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    state = random.getstate()           # nn.scalar's example reseeds the global stream
    try:
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    finally:
        random.setstate(state)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
