"""Devices, CUDA/accelerator queries and random Generators: PyTorch's spellings on a CPU-only
library (using any device but the CPU raises one clear error)."""
from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Generator, device
from autograd.devices import check_device, is_device

try:
    import torch
except ImportError:
    torch = None


def test_device_objects_like_torch():
    assert device("cpu") == device(device("cpu")) and hash(device("cpu")) == hash(device("cpu"))
    assert device("cpu") != "cpu" and device("cpu") != device("cpu", 0)
    assert (repr(device("cpu")), str(device("cuda:1")), repr(device("cuda", 1))) == \
        ("device(type='cpu')", "cuda:1", "device(type='cuda', index=1)")
    assert device("cuda:1").index == 1 and device("mps").type == "mps"
    assert is_device("cpu") and is_device(device("cuda")) and not is_device("float32")


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_reprs_and_equality_match_torch():
    for args in (("cpu",), ("cuda:1",), ("cuda", 0), ("mps",)):
        assert repr(device(*args)) == repr(torch.device(*args)).replace("torch.", "")
        assert str(device(*args)) == str(torch.device(*args))
    assert (device("cpu") == "cpu") == (torch.device("cpu") == "cpu")


@pytest.mark.parametrize("bad, message", [("foo", "Expected one of cpu"),
                                          ("cuda:x", "Invalid device string"),
                                          ("cuda:1", None), (5, "expected a device string")])
def test_bad_device_strings(bad, message):
    if message is None:
        with pytest.raises(RuntimeError, match="Invalid device string"):
            device(bad, 2)
    else:
        with pytest.raises(RuntimeError, match=message):
            device(bad)


@pytest.mark.parametrize("where", ["cuda", "cuda:0", device("mps")])
def test_using_another_device_raises_one_clear_error(where):
    with pytest.raises(RuntimeError, match=r"not available: glassgrad computes on the CPU"):
        check_device(where)
    assert check_device(None) == check_device("cpu") == check_device(device("cpu", 0)) == device("cpu")


def test_default_device():
    autograd.set_default_device("cpu")
    autograd.set_default_device(None)
    assert autograd.get_default_device() == device("cpu")
    with pytest.raises(RuntimeError, match="not available"):
        autograd.set_default_device("cuda")


def test_cuda_and_accelerator_queries():
    assert autograd.cuda.is_available() is False and autograd.cuda.device_count() == 0
    assert autograd.cuda.manual_seed(0) is None and autograd.cuda.manual_seed_all(0) is None
    acc = autograd.accelerator
    assert acc.is_available() is False and acc.current_accelerator() is None
    assert acc.device_count() == 0
    picked = acc.current_accelerator().type if acc.is_available() else "cpu"
    assert check_device(picked) == device("cpu")


def test_generator_seeding_chains_and_restores():
    g = Generator().manual_seed(42)
    assert isinstance(g, np.random.Generator) and g.initial_seed() == 42
    first = g.random(3)
    assert np.array_equal(Generator().manual_seed(42).random(3), first)
    state = g.get_state()
    a = g.random()
    assert g.set_state(state).random() == a
    s = g.seed()
    assert g.initial_seed() == s and isinstance(s, int)
    with pytest.raises(RuntimeError, match="not available"):
        Generator(device="cuda")


def test_global_stream_seeding():
    autograd.manual_seed(5)
    assert autograd.random.initial_seed() == 5
    a = autograd.randn(2)
    autograd.manual_seed(5)
    assert autograd.randn(2).tolist() == a.tolist()
    assert autograd.random.seed() == autograd.random.initial_seed()
