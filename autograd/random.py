"""Random streams: `Generator` (PyTorch's name, a NumPy generator underneath) and the global
`default_generator` that factories (`randn`, `rand`, ...), `uniform_`/`normal_`, `nn.init`
and `DataLoader(shuffle=True)` draw from unless given `generator=`.

>>> import autograd
>>> _ = manual_seed(0); a = autograd.randn(3)
>>> _ = manual_seed(0); bool((autograd.randn(3) == a).all())
True
>>> g = autograd.Generator().manual_seed(42)      # torch.Generator().manual_seed(42)
>>> g.initial_seed()
42

The numbers differ from PyTorch's for the same seed (a different algorithm: NumPy's PCG64,
not PyTorch's Mersenne Twister); seeding makes runs repeatable, not equal to PyTorch's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .devices import check_device


class Generator(np.random.Generator):
    """A seedable random stream, usable wherever glassgrad takes `generator=` (it IS a
    `numpy.random.Generator`). Starts from fresh OS entropy, like PyTorch's."""

    def __init__(self, device: Any = "cpu") -> None:
        check_device(device)
        seed = int(np.random.SeedSequence().entropy % 2 ** 63)
        super().__init__(np.random.PCG64(seed))
        self._initial_seed = seed

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream from `seed`; returns the generator (so it chains)."""
        seed = int(seed)
        self.bit_generator.state = np.random.PCG64(seed).state
        self._initial_seed = seed
        return self

    def seed(self) -> int:
        """Reseed from fresh OS entropy and return the new seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2 ** 63)).initial_seed()

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> dict:
        return self.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        self.bit_generator.state = state
        return self


# One object for the whole process: reseeding writes its state instead of rebinding the
# name, so every module that imported it keeps drawing from the reseeded stream.
default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Reseed the global stream (returns it, as PyTorch returns its generator)."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    """The seed the global stream started from."""
    return default_generator.initial_seed()


def seed() -> int:
    """Reseed the global stream from OS entropy; returns the seed."""
    return default_generator.seed()
