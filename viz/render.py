"""Run graphviz: the system `dot` when installed, else the `graphviz-pure` binary from the wheel.

`graphviz-pure` (a dependency, so `pip install glassgrad` is enough) installs into the
environment's `bin/` directory, which is not always on PATH (a venv that is not activated,
a Jupyter kernel), so we also look next to `sys.executable`. Set `GLASSGRAD_DOT` to a
program name or path to choose one explicitly.

Every render has a time budget (`budget()`: `GLASSGRAD_RENDER_BUDGET` seconds, default
`BUDGET`): past it graphviz is stopped and `RenderTimeout` says what to do, instead of a
silent hang. `progress(callback)` lets a caller (the CLI's spinner) watch a slow render.

>>> isinstance(find_renderer(), str)
True
"""
from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
import sys
import time
from contextvars import ContextVar
from pathlib import Path
from typing import Callable, Iterator, Optional

FORMATS = ("svg", "png", "pdf", "dot", "gv")
# Seconds. A drawing glassgrad makes within max_nodes lays out in well under 2 s with either
# renderer (benchmarks/bench_viz.py); only a drawing made much bigger by hand gets near this.
BUDGET = 10.0
_TICK = 0.1                 # how often a waiting render reports its progress
_watcher: ContextVar[Optional[Callable[[float], None]]] = ContextVar("watcher", default=None)


class RendererNotFound(RuntimeError):
    """Neither graphviz `dot` nor `graphviz-pure` can be found."""


class RenderError(RuntimeError):
    """graphviz failed; the message carries its stderr."""


class RenderTimeout(RenderError):
    """graphviz ran past its time budget and was stopped. `program` (its name) and
    `seconds` (the budget) let a caller word its own advice (the CLI names its options)."""

    def __init__(self, program: str, seconds: float) -> None:
        self.program, self.seconds = program, seconds
        super().__init__(f"{program} took more than {seconds:g} s to lay out this drawing "
                         f"and was stopped: draw less (max_nodes= for fewer nodes, collapse= "
                         f"to fold modules), or allow more time with "
                         f"GLASSGRAD_RENDER_BUDGET=<seconds>")


def budget() -> float:
    """Seconds a render may take: `GLASSGRAD_RENDER_BUDGET` if set, else `BUDGET`."""
    text = os.environ.get("GLASSGRAD_RENDER_BUDGET", "").strip()
    if not text:
        return BUDGET
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not seconds > 0:
        raise ValueError(f"GLASSGRAD_RENDER_BUDGET={text!r}: give a number of seconds > 0")
    return seconds


@contextlib.contextmanager
def progress(callback: Callable[[float], None]) -> Iterator[None]:
    """While inside, a waiting render calls `callback(elapsed_seconds)` every 0.1 s."""
    token = _watcher.set(callback)
    try:
        yield
    finally:
        _watcher.reset(token)


def _beside_python(name: str) -> Optional[str]:
    folder = Path(sys.executable).parent
    for candidate in (folder / name, folder / f"{name}.exe", folder / "Scripts" / f"{name}.exe"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def find_renderer() -> str:
    """Path of the graphviz program to run (see the module docstring for the order)."""
    chosen = os.environ.get("GLASSGRAD_DOT")
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            raise RendererNotFound(f"GLASSGRAD_DOT={chosen!r} is not an executable program")
        return found
    found = shutil.which("dot") or shutil.which("graphviz-pure") or _beside_python("graphviz-pure")
    if found is None:
        raise RendererNotFound(
            "cannot render: neither Graphviz's `dot` nor `graphviz-pure` was found. "
            "Install one of them: `pip install graphviz-pure` (no system packages needed) "
            "or Graphviz from https://graphviz.org/download/ (puts `dot` on PATH). "
            "Saving as .dot/.gv works without either.")
    return found


def is_graphviz_pure(program: str) -> bool:
    return Path(program).name.lower().startswith("graphviz-pure")


def run(source: str, fmt: str, program: Optional[str] = None, dpi: Optional[int] = None,
        timeout: Optional[float] = None) -> bytes:
    """`source` rendered by graphviz to `fmt` ('svg', 'png', 'pdf', 'json', ...), as bytes.

    Stopped with `RenderTimeout` after `timeout` seconds (default: `budget()`).
    """
    program = program or find_renderer()
    limit = budget() if timeout is None else timeout
    args = [program, f"-T{fmt}"]
    if dpi:
        args.append(f"-Gdpi={dpi}")
    try:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except (FileNotFoundError, PermissionError) as err:
        raise RendererNotFound(f"cannot run {program!r}: {err}") from None
    watcher = _watcher.get()
    data: Optional[bytes] = source.encode("utf-8")
    start = time.monotonic()
    while True:
        elapsed = time.monotonic() - start
        try:
            out, err = proc.communicate(data, timeout=max(0.0, min(_TICK, limit - elapsed)))
            break
        except subprocess.TimeoutExpired:
            data = None         # sent already; communicate() goes on where it stopped
            elapsed = time.monotonic() - start
            if elapsed >= limit:
                proc.kill()
                proc.communicate()
                raise RenderTimeout(Path(program).name, limit) from None
            if watcher is not None:
                watcher(elapsed)
    if proc.returncode != 0 or not out:
        stderr = err.decode("utf-8", "replace").strip()
        raise RenderError(f"{Path(program).name} -T{fmt} failed (exit {proc.returncode}):\n"
                          f"{stderr or '(no message)'}")
    return out
