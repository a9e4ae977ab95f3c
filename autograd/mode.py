"""Recording state: grad mode and the running nn module (per thread), anomaly mode (process).

Grad mode is thread-local, as in PyTorch: `no_grad()` in one thread never stops another
thread from recording, and every new thread starts with grad enabled and no module scope.
`no_grad()`, `enable_grad()` and `set_grad_enabled(mode)` work as context managers and as
decorators (of plain and of generator functions); `set_grad_enabled(False)` called as a plain
function switches the calling thread's mode, as PyTorch's does.

>>> from autograd import Value, no_grad
>>> with no_grad():
...     y = Value(2.0) * 3
>>> y.parents
()
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from typing import Any, Callable, Dict, Iterator, List


class Recording:
    """What every op reads. Each thread has its own instance (grad mode and module scope are
    per thread); `anomaly` is a class attribute, so it is process-wide, as PyTorch's anomaly
    mode. Slots and a class attribute: the cheapest reads Python has."""

    __slots__ = ("grad_enabled", "scope")
    anomaly = False                # detect_anomaly(): raise at the first non-finite result

    def __init__(self) -> None:
        self.grad_enabled = True
        self.scope: Any = None     # the nn.Module whose forward is running, for drawings


class _PerThread(threading.local):
    # threading.local runs __init__ once in each thread that touches it.
    def __init__(self) -> None:
        self.recording = Recording()


# Hot paths read `THREAD.recording` once per op (one thread-local lookup, then slots).
THREAD = _PerThread()


# The process-wide flags (`STATE.anomaly`): the class attributes every thread's state reads.
STATE = Recording


def is_grad_enabled() -> bool:
    """Whether new operations record a graph in this thread (False inside `no_grad`)."""
    return THREAD.recording.grad_enabled


class Mode(contextlib.ContextDecorator):
    """Set one flag inside a `with` block or a decorated function, then restore it.

    Subclasses say where the flag lives (`_read`/`_write`). Re-entrant and safe to share
    between threads: each thread keeps its own stack of the values it replaced. A decorated
    generator function runs each step (each resume) inside the mode, as PyTorch's do.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._saved: Dict[int, List[bool]] = {}

    def _read(self) -> bool:
        raise NotImplementedError

    def _write(self, value: bool) -> None:
        raise NotImplementedError

    def _fresh(self) -> "Mode":
        """A new manager with the same mode, for one call of a decorated function."""
        raise NotImplementedError

    def __enter__(self) -> "Mode":
        self._saved.setdefault(threading.get_ident(), []).append(self._read())
        self._write(self.mode)
        return self

    def __exit__(self, *exc: object) -> None:
        stack = self._saved[threading.get_ident()]
        self._write(stack.pop())
        if not stack:
            del self._saved[threading.get_ident()]

    def __call__(self, func: Callable) -> Callable:
        if inspect.isgeneratorfunction(func):
            return _each_step(self._fresh, func)

        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return inner


def _each_step(make: Callable[[], Mode], func: Callable) -> Callable:
    """Wrap a generator function so that every resume of its generator runs inside `make()`
    and the caller's own mode is in force whenever the generator is suspended."""

    @functools.wraps(func)
    def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
        gen = func(*args, **kwargs)
        resume: Callable[[Any], Any] = gen.send
        value: Any = None
        while True:
            try:
                with make():
                    item = resume(value)
            except StopIteration as stop:
                return stop.value
            try:
                value = yield item
                resume = gen.send
            except GeneratorExit:
                with make():
                    gen.close()
                raise
            except BaseException as error:  # thrown in by the caller: pass it on
                resume, value = gen.throw, error

    return generator


class _GradMode(Mode):
    def _read(self) -> bool:
        return THREAD.recording.grad_enabled

    def _write(self, value: bool) -> None:
        THREAD.recording.grad_enabled = value

    def _fresh(self) -> Mode:
        return _GradMode(self.mode)


class _NoArgumentMode(_GradMode):
    """`@no_grad` works bare as well as `@no_grad()`, as in PyTorch 2."""

    _MODE = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and callable(args[0]):
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self) -> None:
        super().__init__(self._MODE)


class no_grad(_NoArgumentMode):
    """Ops inside record no parents (in this thread): results are constants (leaves)."""

    _MODE = False


class enable_grad(_NoArgumentMode):
    """Re-enable recording (in this thread) inside a `no_grad` block."""

    _MODE = True


class inference_mode(_NoArgumentMode):
    """PyTorch's faster no_grad for inference; here the same as `no_grad`.
    `inference_mode(False)` leaves grad mode as it is."""

    _MODE = False

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self.inference = bool(mode)

    def _fresh(self) -> Mode:
        return inference_mode(self.inference)

    def __enter__(self) -> Mode:
        if self.inference:
            return super().__enter__()
        self._saved.setdefault(threading.get_ident(), []).append(self._read())
        return self                      # grad mode stays; __exit__ writes it back


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off for this thread.

    Called as a plain function it switches the mode at once (PyTorch's semantics); as a
    `with` block or a decorator the previous mode comes back afterwards.

    >>> from autograd import is_grad_enabled
    >>> _ = set_grad_enabled(False); is_grad_enabled()
    False
    >>> _ = set_grad_enabled(True); is_grad_enabled()
    True
    """

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self._previous = self._read()
        self._write(self.mode)

    def __enter__(self) -> "Mode":
        # __init__ already switched; the block restores the mode from before the call.
        self._saved.setdefault(threading.get_ident(), []).append(self._previous)
        self._write(self.mode)
        return self

    def __call__(self, func: Callable) -> Callable:
        self._write(self._previous)   # as a decorator it must not switch at definition time
        return super().__call__(func)


@contextlib.contextmanager
def module_scope(module: Any) -> Iterator[None]:
    """Nodes created inside (in this thread) are tagged with `module`, so drawings can cluster
    them; the previous scope comes back even if the block raises."""
    state = THREAD.recording
    saved = state.scope
    state.scope = module
    try:
        yield
    finally:
        state.scope = saved


def with_scope(method: Callable) -> Callable:
    """Decorator form of `module_scope` for a module's `__call__`."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        state = THREAD.recording
        saved = state.scope
        state.scope = self
        try:
            return method(self, *args, **kwargs)
        finally:
            state.scope = saved

    return wrapper
