"""Keeping Python's cyclic garbage collector off the graphs glassgrad builds.

Our graphs hold no reference cycles (no closures, parents point one way), so the collector
can never free a node; yet a freshly built graph sits in its young generations and every
young collection rescans all of it (a fifth of a per-op training step). `graph_work()`
wraps the outermost forward and every `backward`:

- on entry it gives the user's own young objects the young collection they were due (so
  their cycles are found exactly as without glassgrad), then pauses the collector;
- on exit it moves everything made meanwhile (the graph) to the oldest generation in O(1)
  (`gc.freeze()` then `gc.unfreeze()`, two list splices) and resumes the collector.

Nested and concurrent uses share one process-wide depth count: only the last one out
promotes and resumes. When the collector was off, or someone else holds frozen objects
(`gc.freeze()` by the application), it is left exactly as it was.

>>> import gc
>>> with graph_work():
...     gc.isenabled()
False
>>> gc.isenabled()
True
"""
from __future__ import annotations

import gc
import threading
from typing import Any


class _GraphWork:
    """The context manager behind `graph_work()` (one shared instance, no per-call object)."""

    __slots__ = ()
    _lock = threading.RLock()  # re-entrant: a finalizer run by the collect may do graph work
    _depth = 0
    _resume = False            # the collector was on when the first user came in

    def __enter__(self) -> None:
        cls = _GraphWork
        with cls._lock:
            cls._depth += 1
            if cls._depth > 1:
                return
            cls._resume = gc.isenabled()
            if cls._resume:
                gc.disable()
                # The young generations hold only the user's objects made since the last
                # graph was promoted: collect them now, as the collector would have.
                gc.collect(1)

    def __exit__(self, *exc: Any) -> None:
        cls = _GraphWork
        with cls._lock:
            cls._depth -= 1
            if cls._depth or not cls._resume:
                return
            if not gc.get_freeze_count():  # unfreeze would thaw the application's objects
                gc.freeze()
                gc.unfreeze()
            gc.enable()


_GRAPH_WORK = _GraphWork()


def graph_work() -> _GraphWork:
    """The context that pauses the collector while a graph is built or swept (see above)."""
    return _GRAPH_WORK
