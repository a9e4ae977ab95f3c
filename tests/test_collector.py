"""The garbage-collector guard around forward and backward (autograd/collector.py): graphs
leave the young generations in O(1), the collector's state and the user's objects are left as
they were, and nested and concurrent uses are safe."""
import gc
import threading
import weakref

import pytest

import nn
from autograd import Tensor, Value
from autograd.collector import graph_work


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


class Cycle:
    """A user's object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self):
        self.me = self


def _young() -> int:
    return sum(len(gc.get_objects(generation=g)) for g in (0, 1))


def test_forward_graph_leaves_the_young_generations():
    model = nn.MLP(2, [16, 16, 1], fused=False, seed=0)
    gc.collect()
    out = model([1.0, -1.0])
    assert gc.isenabled()
    young = gc.get_objects(generation=0) + gc.get_objects(generation=1)
    assert not any(o is out for o in young)          # promoted to the oldest generation
    assert any(o is out for o in gc.get_objects(generation=2))
    assert _young() < 50                             # the ~600-node graph is not there


def test_backward_promotes_what_was_built_outside_a_module():
    gc.collect()
    x = Value(1.0)
    y = x
    for _ in range(2000):
        y = y * 1.0
    y.backward()
    assert _young() < 50
    assert x.grad == 1.0


def test_users_young_cycles_are_still_collected_by_a_young_collection():
    model = nn.MLP(2, [4, 1], seed=0)
    gc.collect()
    made = Cycle()
    alive = weakref.ref(made)
    del made
    assert alive() is not None                       # only a collection can free it
    model([1.0, 2.0])                                # the guard's entry collects gen 0-1
    assert alive() is None


def test_user_cycle_made_inside_a_forward_is_collected_by_a_full_collection():
    made = []

    class Leaky(nn.Module):
        def forward(self, x):
            made.append(weakref.ref(Cycle()))
            return Value(x) * 2

    Leaky()(3.0)
    assert made[0]() is not None                     # promoted, not lost
    gc.collect()
    assert made[0]() is None


def test_collector_left_off_when_the_user_turned_it_off():
    gc.disable()
    nn.MLP(2, [3, 1], seed=0)([1.0, 2.0])
    (Value(2.0) * 3).backward()
    Tensor([1.0, 2.0], requires_grad=True).sum().backward()
    assert not gc.isenabled()


def test_users_frozen_objects_stay_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        nn.MLP(2, [3, 1], seed=0)([1.0, 2.0])
        (Value(2.0) * 3).backward()
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_nested_uses_resume_once_at_the_outermost_exit():
    with graph_work():
        with graph_work():
            assert not gc.isenabled()
        assert not gc.isenabled()                    # still inside the outer one
    assert gc.isenabled()


def test_backward_inside_a_forward_keeps_the_collector_paused():
    seen = []

    class Penalty(nn.Module):
        def forward(self, x):
            v = Value(x)
            (v * v).backward()                       # a gradient inside a forward
            seen.append(gc.isenabled())
            return v * v.grad

    assert Penalty()(3.0).data == 18.0
    assert seen == [False]
    assert gc.isenabled()


def test_exception_inside_restores_the_collector():
    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        Broken()(1.0)
    assert gc.isenabled()


def test_threads_overlapping_leave_the_collector_on():
    model = nn.MLP(2, [8, 8, 1], fused=False, seed=0)
    barrier = threading.Barrier(4)
    errors = []

    def work():
        try:
            barrier.wait()
            for _ in range(20):
                loss = model([0.5, -0.5])
                loss.backward()
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert gc.isenabled()
