"""Grad mode is thread-local, as in PyTorch (issue 8, item 7): tested with real threads; the
decorators wrap generator functions; set_grad_enabled works as a plain function; the module
scope is per thread and restored on exceptions."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autograd.mode import THREAD, module_scope


def _in_thread(fn):
    box = {}

    def run():
        try:
            box["result"] = fn()
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller
            box["error"] = err
    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def test_no_grad_in_one_thread_does_not_stop_another_from_recording():
    inside, release = threading.Event(), threading.Event()

    def evaluator():
        with no_grad():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=evaluator)
    t.start()
    try:
        assert inside.wait(10)
        assert is_grad_enabled()                       # this thread is unaffected
        w = Tensor([2.0], requires_grad=True)
        (w * w).sum().backward()
        assert np.asarray(w.grad).tolist() == [4.0]
        v = Value(3.0)
        (v * v).backward()
        assert v.grad == 6.0
    finally:
        release.set()
        t.join()


def test_interleaved_threads_never_leave_grad_mode_off():
    # Two threads enter and leave no_grad / enable_grad in lockstep, interleaving their
    # enters and exits; with a process-wide flag one thread's exit restored the other's mode.
    steps = [threading.Barrier(2) for _ in range(4)]
    seen = {}

    def worker(name, manager):
        steps[0].wait(10)
        with manager:
            steps[1].wait(10)
            seen[name, "inside"] = is_grad_enabled()
            steps[2].wait(10)
        steps[3].wait(10)
        seen[name, "after"] = is_grad_enabled()

    with no_grad():
        threads = [threading.Thread(target=worker, args=("a", no_grad())),
                   threading.Thread(target=worker, args=("b", enable_grad()))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not is_grad_enabled()                  # the main thread's own mode
    assert is_grad_enabled()
    assert seen == {("a", "inside"): False, ("b", "inside"): True,
                    ("a", "after"): True, ("b", "after"): True}


def test_a_new_thread_starts_with_grad_enabled_and_no_scope():
    with no_grad(), module_scope("model"):
        state = _in_thread(lambda: (is_grad_enabled(), THREAD.recording.scope))
    assert state == (True, None)


def test_one_context_manager_shared_by_two_threads_restores_each_threads_mode():
    # Thread a (recording) and thread b (inside its own no_grad) enter the SAME manager, then
    # a leaves first: each must get its own previous mode back, not the other's.
    shared = no_grad()
    entered, a_left = threading.Barrier(2), threading.Event()
    after = {}

    def a():
        with shared:
            entered.wait(10)
        after["a"] = is_grad_enabled()
        a_left.set()

    def b():
        with no_grad():
            with shared:
                entered.wait(10)
                a_left.wait(10)
            after["b"] = is_grad_enabled()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert after == {"a": True, "b": False}


def test_no_grad_decorator_on_a_generator_runs_each_step_without_grad():
    @no_grad()
    def batches():
        for i in range(3):
            yield is_grad_enabled(), Value(float(i)) * 2
    seen = []
    for enabled, v in batches():
        seen.append(enabled)
        assert not v.parents                          # recorded nothing
        assert is_grad_enabled()                      # the caller's mode between steps
    assert seen == [False, False, False]


def test_generator_wrapper_passes_send_throw_close_and_return_value():
    @no_grad
    def echo():
        got = yield "start"
        try:
            while True:
                got = yield (got, is_grad_enabled())
        except KeyError:
            yield "caught"
        return "done"

    gen = echo()
    assert next(gen) == "start"
    assert gen.send(5) == (5, False)
    assert gen.throw(KeyError("k")) == "caught"
    with pytest.raises(StopIteration) as info:
        next(gen)
    assert info.value.value == "done"
    gen2 = echo()
    next(gen2)
    gen2.close()
    assert is_grad_enabled()


def test_set_grad_enabled_as_a_plain_function_and_as_a_context_and_decorator():
    try:
        set_grad_enabled(False)
        assert not is_grad_enabled() and not (Value(1.0) * 2).parents
        set_grad_enabled(True)
        assert is_grad_enabled()
        with set_grad_enabled(False):
            assert not is_grad_enabled()
        assert is_grad_enabled()

        @set_grad_enabled(False)
        def f():
            return is_grad_enabled()
        assert is_grad_enabled()                       # decorating switched nothing
        assert f() is False and is_grad_enabled()
    finally:
        set_grad_enabled(True)


def test_bare_decorators_like_pytorch():
    @no_grad
    def f():
        return is_grad_enabled()

    @enable_grad
    def g():
        return is_grad_enabled()
    assert f() is False
    with no_grad():
        assert g() is True


def test_module_scope_is_per_thread_and_restored_on_exceptions():
    model = nn.MLP(2, [3, 1], seed=0)
    inside, release = threading.Event(), threading.Event()

    class Slow(nn.Module):
        def forward(self, x):
            inside.set()
            release.wait(10)
            return x

    t = threading.Thread(target=lambda: Slow()(Value(1.0)))
    t.start()
    try:
        assert inside.wait(10)
        out = model([1.0, 2.0])                         # another thread's forward is running
        assert out._scope is model.layers[1].neurons[0]
        assert THREAD.recording.scope is None
    finally:
        release.set()
        t.join()

    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        Broken()(1.0)
    assert THREAD.recording.scope is None
    with pytest.raises(RuntimeError), module_scope(model):
        raise RuntimeError("boom")
    assert THREAD.recording.scope is None
