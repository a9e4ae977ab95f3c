"""The README's PyTorch section: its picture comes from the code it shows, run as it is."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from viz_support import graphviz_pure

pytest.importorskip("torch", reason="PyTorch not installed")

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PICTURE = "docs/torch_mlp.png"
PICTURE_RENDERER = "0.2.2"      # the graphviz-pure that drew it, as a fresh machine has


def test_the_picture_comes_from_the_code_the_readme_shows(tmp_path, monkeypatch):
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", README, re.S)
                if "trace_torch" in b]
    assert README.index(PICTURE) < README.index(f"]({PICTURE})")
    exe = graphviz_pure()
    monkeypatch.setenv("GLASSGRAD_DOT", exe)
    out = tmp_path / "torch_mlp.png"
    exec(compile(block.replace(PICTURE, str(out)), "README.md", "exec"), {})
    done = subprocess.run([exe, "-V"], capture_output=True, text=True, timeout=60)
    if f"version {PICTURE_RENDERER} " not in done.stdout + done.stderr:
        pytest.skip(f"graphviz-pure here is not {PICTURE_RENDERER}, which drew the picture: "
                    f"regenerate it by running the README's code")
    assert out.read_bytes() == (ROOT / PICTURE).read_bytes()
