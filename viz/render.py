"""Run graphviz: the system `dot` when installed, else the `graphviz-pure` binary from the wheel.

`graphviz-pure` (a dependency, so `pip install glassgrad` is enough) installs into the
environment's `bin/` directory, which is not always on PATH (a venv that is not activated,
a Jupyter kernel), so we also look next to `sys.executable`. Set `GLASSGRAD_DOT` to a
program name or path to choose one explicitly.

>>> isinstance(find_renderer(), str)
True
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

FORMATS = ("svg", "png", "pdf", "dot", "gv")
TIMEOUT = 300   # seconds; drawings are capped at max_nodes, so this is only a safety net


class RendererNotFound(RuntimeError):
    """Neither graphviz `dot` nor `graphviz-pure` can be found."""


class RenderError(RuntimeError):
    """graphviz failed; the message carries its stderr."""


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


def run(source: str, fmt: str, program: Optional[str] = None, dpi: Optional[int] = None) -> bytes:
    """`source` rendered by graphviz to `fmt` ('svg', 'png', 'pdf', 'json', ...), as bytes."""
    program = program or find_renderer()
    args = [program, f"-T{fmt}"]
    if dpi:
        args.append(f"-Gdpi={dpi}")
    try:
        done = subprocess.run(args, input=source.encode("utf-8"), capture_output=True,
                              timeout=TIMEOUT, check=False)
    except FileNotFoundError as err:
        raise RendererNotFound(f"cannot run {program!r}: {err}") from None
    except subprocess.TimeoutExpired:
        raise RenderError(f"{Path(program).name} took more than {TIMEOUT} s; draw fewer "
                          f"nodes (max_nodes=, collapse=)") from None
    if done.returncode != 0 or not done.stdout:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"{Path(program).name} -T{fmt} failed (exit {done.returncode}):\n"
                          f"{stderr or '(no message)'}")
    return done.stdout
