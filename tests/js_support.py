"""Run the pages' JavaScript (viz/web/*.js) under node, without a browser.

`run_js(files, body, data)` loads the files into one function scope (as a page does),
passes `data` as `input` (NaN and inf included), runs `body` (which sets `output`) and returns `output` decoded
from JSON. Skips the test when node is not installed (a fresh machine has only Python).
"""
from __future__ import annotations

import json
import math
import shutil
import subprocess
from typing import Any, Sequence

import pytest

from viz.page import asset


def node_program() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed: these tests run the page's JavaScript under node")
    return found


def _plain(data: Any) -> Any:
    """JSON has no NaN or inf: they travel as {"float": "inf"} and are revived in node."""
    if isinstance(data, float) and not math.isfinite(data):
        return {"float": str(data)}
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    return data


_REVIVE = ("(k, v) => v && typeof v === 'object' && typeof v.float === 'string' ? "
           "{nan: NaN, inf: Infinity, '-inf': -Infinity}[v.float] : v")


def run_js(files: Sequence[str], body: str, data: Any = None, timeout: float = 120) -> Any:
    program = "\n".join(
        [f"const input = JSON.parse(require('fs').readFileSync(0, 'utf8'), {_REVIVE});",
         "let output;",
         "(function () {"] + [asset(f) for f in files] +
        [body, "})();", "process.stdout.write(JSON.stringify(output));"])
    done = subprocess.run([node_program(), "-e", program], input=json.dumps(_plain(data)),
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)
