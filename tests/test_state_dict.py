"""state_dict of tensor models: PyTorch's key names, Tensors sharing the model's memory (as
PyTorch's; deepcopy for a snapshot), `.npz` round trips,
refusing pickled files, strict/non-strict loading errors, and loading PyTorch weights."""
from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor


def model(seed=0):
    g = np.random.default_rng(seed)
    f64 = np.float64
    return nn.Sequential(nn.Linear(3, 8, generator=g, dtype=f64), nn.BatchNorm1d(8, dtype=f64),
                         nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 2, generator=g, dtype=f64))


KEYS = ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked", "4.weight", "4.bias"]


def test_keys_follow_pytorch():
    assert list(model().state_dict()) == KEYS


def test_keys_match_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    theirs = tnn.Sequential(tnn.Linear(3, 8), tnn.BatchNorm1d(8), tnn.ReLU(), tnn.Dropout(0.1),
                            tnn.Linear(8, 2))
    assert list(theirs.state_dict()) == KEYS


def test_state_dict_holds_detached_tensors_sharing_memory_like_torch():
    import copy
    m = model()
    state = m.state_dict()
    assert all(isinstance(v, Tensor) and not v.requires_grad for v in state.values())
    snapshot = copy.deepcopy(state)
    state["0.weight"][...] = 7.0
    assert (m[0].weight.data == 7.0).all()                # shared, as in PyTorch
    assert not (snapshot["0.weight"] == 7.0).any()
    assert m.state_dict(keep_vars=True)["0.weight"] is m[0].weight


def _train_a_bit(m):
    x = Tensor(np.random.default_rng(1).normal(size=(16, 3)))
    m(x).sum().backward()      # updates the BatchNorm running statistics too


def test_npz_round_trip(tmp_path):
    a, b = model(0), model(1)
    _train_a_bit(a)
    path = tmp_path / "weights.npz"
    a.save(str(path))
    result = b.load(str(path))
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        np.testing.assert_array_equal(va, vb)
        assert va.dtype == vb.dtype
    a.eval()
    b.eval()
    x = Tensor(np.random.default_rng(2).normal(size=(5, 3)))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_writes_in_place():
    m = model()
    weight = m[0].weight.raw_data        # what an optimizer holds
    running = m[1].running_mean
    m.load_state_dict(model(3).state_dict())
    assert m[0].weight.raw_data is weight and m[1].running_mean is running
    np.testing.assert_array_equal(weight, model(3)[0].weight.data)


def test_pickled_file_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    state = dict(model().state_dict())
    state["0.weight"] = np.array([{"not": "an array"}], dtype=object)   # needs pickle
    np.savez(path, **state)
    with pytest.raises(ValueError, match="never loads pickled objects"):
        model().load(str(path))


def test_strict_errors():
    m = model()
    state = m.state_dict()
    missing = {k: v for k, v in state.items() if k != "4.bias"}
    with pytest.raises(RuntimeError, match=r"missing keys \['4.bias'\]"):
        m.load_state_dict(missing)
    extra = dict(state, **{"5.weight": np.zeros(2)})
    with pytest.raises(RuntimeError, match=r"unexpected keys \['5.weight'\]"):
        m.load_state_dict(extra)
    result = m.load_state_dict(extra, strict=False)
    assert result.unexpected_keys == ["5.weight"] and result.missing_keys == []
    result = m.load_state_dict(missing, strict=False)
    assert result.missing_keys == ["4.bias"]
    bad = dict(state, **{"0.weight": np.zeros((3, 8))})
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight"):
        m.load_state_dict(bad)


def test_loads_pytorch_weights_and_gives_pytorch_outputs():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    torch.manual_seed(0)
    theirs = tnn.Sequential(tnn.Linear(3, 8), tnn.BatchNorm1d(8), tnn.ReLU(), tnn.Dropout(0.1),
                            tnn.Linear(8, 2)).double()
    x = np.random.default_rng(5).normal(size=(16, 3))
    theirs(torch.tensor(x))                              # move the running statistics
    ours = model()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    theirs.eval()
    ours.eval()
    np.testing.assert_allclose(ours(Tensor(x)).data,
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
