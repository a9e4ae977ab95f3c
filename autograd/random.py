"""The global random stream: factories (`randn`, `rand`), `uniform_`/`normal_` and `nn.init`
draw from `default_generator` unless given `generator=`; `manual_seed` resets it.

>>> import autograd
>>> _ = manual_seed(0); a = autograd.randn(3)
>>> _ = manual_seed(0); bool((autograd.randn(3) == a).all())
True
"""
from __future__ import annotations

import numpy as np

# One object for the whole process: reseeding writes its state instead of rebinding the
# name, so every module that imported it keeps drawing from the reseeded stream.
default_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global stream (returns it, as PyTorch returns its generator)."""
    default_generator.bit_generator.state = np.random.default_rng(seed).bit_generator.state
    return default_generator
