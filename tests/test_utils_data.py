"""autograd.utils.data (torch.utils.data): datasets, random_split, DataLoader and collation,
checked against PyTorch's behaviour where the RNG does not matter."""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import autograd
from autograd import Generator, Tensor
from autograd.utils.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset,
                                 default_collate, random_split)

try:
    import torch
    import torch.utils.data as tdata
except ImportError:
    torch = tdata = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def xy(n=10):
    return autograd.arange(float(n) * 2).reshape(n, 2), autograd.arange(n)


def test_tensor_dataset_items_and_size_check():
    X, y = xy()
    ds = TensorDataset(X, y)
    assert len(ds) == 10 and [t.tolist() for t in ds[3]] == [[6.0, 7.0], 3]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(X, autograd.arange(3))
    with pytest.raises(TypeError, match="expected Tensors"):
        TensorDataset(np.zeros(3))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_dataset_base_class_and_concatenation():
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        Dataset()[0]
    X, y = xy(3)
    both = TensorDataset(X, y) + TensorDataset(X, y)
    assert isinstance(both, ConcatDataset) and len(both) == 6
    assert both[4][1].item() == 1 and both[-1][1].item() == 2
    with pytest.raises(ValueError, match="should not exceed"):
        both[-7]
    with pytest.raises(AssertionError, match="empty"):
        ConcatDataset([])


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (3, False), (3, True), (10, False),
                                                    (4, True), (20, False), (20, True)])
@needs_torch
def test_batches_match_torch_without_shuffle(batch_size, drop_last):
    X, y = xy()
    ours = DataLoader(TensorDataset(X, y), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(tdata.TensorDataset(torch.tensor(X), torch.tensor(y)),
                              batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    got = [[t.tolist() for t in batch] for batch in ours]
    want = [[t.tolist() for t in batch] for batch in theirs]
    assert got == want and all(isinstance(b, list) for b in ours)


@needs_torch
def test_default_collate_matches_torch():
    Pair = namedtuple("Pair", "a b")
    cases = [
        [(1.0, 2), (3.0, 4)],
        [{"a": 1.0, "b": [1, 2]}, {"a": 2.0, "b": [3, 4]}],
        [np.ones(2, np.float32), np.zeros(2, np.float32)],
        [np.float32(1.5), np.float32(2.5)],
        [True, False],
        ["a", "b"],
        [Pair(1, 2.0), Pair(3, 4.0)],
    ]
    for batch in cases:
        ours, theirs = default_collate(batch), tdata.default_collate(batch)
        assert describe(ours) == describe(theirs), batch


def describe(x):
    """A structure's shape, dtypes and values in library-neutral terms."""
    if hasattr(x, "tolist") and hasattr(x, "dtype"):
        return ("tensor", str(x.dtype).split(".")[-1], x.tolist())
    if isinstance(x, dict):
        return {k: describe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [describe(v) for v in x])
    return x


def test_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="dtype <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_generic_datasets_lists_and_ranges():
    assert [b.tolist() for b in DataLoader(range(5), batch_size=2)] == [[0, 1], [2, 3], [4]]
    batches = list(DataLoader([(np.ones(2), 1.0)] * 3, batch_size=2,
                              collate_fn=lambda items: len(items)))
    assert batches == [2, 1]
    unbatched = list(DataLoader([(np.zeros(2), 1)], batch_size=None))
    assert isinstance(unbatched[0], list) and isinstance(unbatched[0][0], Tensor)


def test_shuffle_is_a_permutation_and_repeatable_with_a_generator():
    X, y = xy(20)
    loader = DataLoader(TensorDataset(X, y), batch_size=6, shuffle=True,
                        generator=Generator().manual_seed(0))
    first = [i for _, yb in loader for i in yb.tolist()]
    second = [i for _, yb in loader for i in yb.tolist()]
    assert sorted(first) == list(range(20)) and first != second      # a new order per pass
    again = DataLoader(TensorDataset(X, y), batch_size=6, shuffle=True,
                       generator=Generator().manual_seed(0))
    assert [i for _, yb in again for i in yb.tolist()] == first
    autograd.manual_seed(3)
    a = [yb.tolist() for _, yb in DataLoader(TensorDataset(X, y), batch_size=20, shuffle=True)]
    autograd.manual_seed(3)
    b = [yb.tolist() for _, yb in DataLoader(TensorDataset(X, y), batch_size=20, shuffle=True)]
    assert a == b


def test_sampler_and_batch_sampler():
    X, y = xy()
    loader = DataLoader(TensorDataset(X, y), batch_size=2, sampler=[9, 0, 5])
    assert [yb.tolist() for _, yb in loader] == [[9, 0], [5]] and len(loader) == 2
    loader = DataLoader(TensorDataset(X, y), batch_sampler=[[1, 2], [7]])
    assert [yb.tolist() for _, yb in loader] == [[1, 2], [7]] and len(loader) == 2


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(batch_size=0), ValueError, "positive integer"),
    (dict(batch_size=2.5), ValueError, "positive integer"),
    (dict(shuffle=True, sampler=[0]), ValueError, "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=4), ValueError, "batch_sampler option"),
    (dict(num_workers=-1), ValueError, "non-negative"),
    (dict(generator=42), TypeError, "autograd.Generator"),
    (dict(sampler_typo=1), TypeError, "unexpected keyword"),
])
def test_loader_argument_errors(kwargs, error, message):
    X, y = xy()
    with pytest.raises(error, match=message):
        DataLoader(TensorDataset(X, y), **kwargs)


def test_workers_and_pinned_memory_are_accepted():
    X, y = xy()
    loader = DataLoader(TensorDataset(X, y), batch_size=5, num_workers=2, pin_memory=True,
                        persistent_workers=False)
    assert [yb.tolist() for _, yb in loader] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


@needs_torch
@pytest.mark.parametrize("lengths", [[3, 7], [0.25, 0.75], [0.33, 0.33, 0.34], [1.0], [10],
                                     [0.5, 0.5]])
def test_random_split_sizes_match_torch(lengths):
    ours = random_split(range(10), lengths, generator=Generator().manual_seed(1))
    theirs = tdata.random_split(range(10), lengths, generator=torch.Generator().manual_seed(1))
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    assert sorted(i for p in ours for i in p.indices) == list(range(10))
    assert all(isinstance(p, Subset) for p in ours)


@pytest.mark.parametrize("lengths, message", [([3, 3], "Sum of input lengths"),
                                              ([0.5, 0.6], "Sum of input lengths"),
                                              ([1.5, -0.5], "not between 0 and 1"),
                                              ([2.5, 7.5], "Sum of input lengths")])
def test_random_split_errors(lengths, message):
    with pytest.raises(ValueError, match=message):
        random_split(range(10), lengths)


def test_subset_indexing():
    X, y = xy()
    sub = Subset(TensorDataset(X, y), [4, 2, 8])
    assert len(sub) == 3 and sub[1][1].item() == 2 and sub[[0, 2]][1].tolist() == [4, 8]
