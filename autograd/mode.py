"""Recording state shared by every node type: is grad enabled, and which nn module is running.

`no_grad()` works as a context manager and as a decorator, like PyTorch's.

>>> from autograd import Value, no_grad
>>> with no_grad():
...     y = Value(2.0) * 3
>>> y.parents
()
"""
from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable, Iterator


class _Recording:
    # One mutable object read on every op: cheaper than a thread-local, and the engine is
    # single-threaded by design (documented difference from PyTorch's thread-local mode).
    __slots__ = ("grad_enabled", "scope", "anomaly")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.scope: Any = None     # the nn.Module whose forward is running, for drawings
        self.anomaly = False       # detect_anomaly(): raise at the first non-finite result


STATE = _Recording()


def is_grad_enabled() -> bool:
    """Whether new operations record a graph (False inside `no_grad`)."""
    return STATE.grad_enabled


class Switch(contextlib.ContextDecorator):
    """Set one `STATE` flag inside a `with` block (or a decorated function), then restore it.

    Re-entrant: each entry saves the value it replaces.
    """

    flag = ""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._saved: list[bool] = []

    def __enter__(self) -> "Switch":
        self._saved.append(getattr(STATE, self.flag))
        setattr(STATE, self.flag, self.mode)
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(STATE, self.flag, self._saved.pop())


class set_grad_enabled(Switch):
    """Turn graph recording on or off inside a `with` block (or a decorated function)."""

    flag = "grad_enabled"


class _BareDecorator:
    """Lets `@no_grad` decorate without parentheses (PyTorch 2): given a function, the class
    returns it wrapped by a default instance."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and callable(args[0]):
            return cls()(args[0])
        return super().__new__(cls)


class no_grad(_BareDecorator, set_grad_enabled):
    """Ops inside record no parents: results are constants (leaves)."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_BareDecorator, set_grad_enabled):
    """Re-enable recording inside a `no_grad` block."""

    def __init__(self) -> None:
        super().__init__(True)


class inference_mode(_BareDecorator, set_grad_enabled):
    """PyTorch's faster no_grad for inference; here the same as `no_grad`.
    `inference_mode(False)` leaves grad mode as it is."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__(False)
        self.inference = bool(mode)

    def __enter__(self) -> "Switch":
        if not self.inference:
            self.mode = STATE.grad_enabled       # keep whatever mode is in force
        return super().__enter__()


@contextlib.contextmanager
def module_scope(module: Any) -> Iterator[None]:
    """Nodes created inside are tagged with `module`, so drawings can cluster them."""
    saved = STATE.scope
    STATE.scope = module
    try:
        yield
    finally:
        STATE.scope = saved


def with_scope(method: Callable) -> Callable:
    """Decorator form of `module_scope` for a module's `__call__`."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        saved = STATE.scope
        STATE.scope = self
        try:
            return method(self, *args, **kwargs)
        finally:
            STATE.scope = saved

    return wrapper
