"""The runnable examples in every product module's docstrings must stay true."""
import doctest
import importlib
import pkgutil
import random

import numpy as np
import pytest

import autograd.random as autograd_random

PACKAGES = ("autograd", "autograd.utils", "nn", "nn.optim", "viz")
MODULES = sorted(
    list(PACKAGES)
    + [f"{pkg}.{m.name}" for pkg in PACKAGES
       for m in pkgutil.iter_modules(importlib.import_module(pkg).__path__) if not m.ispkg])
# Internal plumbing with no public function to show; every other module must have examples.
NO_EXAMPLES = {"viz.dot"}


def test_discovery_finds_the_modules():
    assert {"autograd.value", "nn.training", "nn.optim.adam", "viz.theme"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    # Examples reseed the random streams (nn.scalar, autograd.manual_seed): put them back
    # so later tests see what they would have seen without this one.
    state = random.getstate()
    np_state = np.random.get_state()
    tensor_state = autograd_random.default_generator.bit_generator.state
    try:
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    finally:
        random.setstate(state)
        np.random.set_state(np_state)
        autograd_random.default_generator.bit_generator.state = tensor_state
    if name not in NO_EXAMPLES:
        assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
