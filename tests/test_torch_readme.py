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
    (block,) = blocks_with("trace_torch")
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


def blocks_with(text: str) -> list:
    return [b for b in re.findall(r"```python\n(.*?)```", README, re.S) if text in b]


def printed(block: str, namespace: dict, capsys) -> list:
    """Run a README block in `namespace`; the lines it prints."""
    capsys.readouterr()
    exec(compile(block, "README.md", "exec"), namespace)
    return capsys.readouterr().out.splitlines()


def test_the_explore_example_prints_what_it_says(tmp_path, monkeypatch, capsys):
    graphviz_pure()
    monkeypatch.chdir(tmp_path)
    (trace,) = blocks_with("trace_torch")
    (explore,) = blocks_with("viz.explore(tape)")
    namespace: dict = {}
    printed(trace.replace(PICTURE, "torch_mlp.png"), namespace, capsys)
    printed(explore, namespace, capsys)
    promised = re.search(r"^page.live, page.frames\s+# (\(\w+, \d+\))", explore, re.M).group(1)
    page = namespace["page"]
    assert promised == str((page.live, page.frames)) == "(False, 5)"
    assert [n.op for n in namespace["tape"].nodes if n.op] == ["linear", "tanh", "linear",
                                                                 "mse_loss"]
    html = (tmp_path / "torch_mlp.html").read_text(encoding="utf-8")
    assert "this one holds tensors" in html and 'data-label="0.weight"' in html


def test_the_pytorch_film_example_prints_what_it_says(tmp_path, monkeypatch, capsys):
    graphviz_pure()
    monkeypatch.chdir(tmp_path)
    (block,) = blocks_with("film.record(model, loss)")
    out = printed(block, {}, capsys)
    promised = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    assert out == promised and [line.split()[0] for line in out] == ["sigmoid", "relu"]
    sigmoid = [float(x) for x in out[0].split()[1:]]
    assert max(sigmoid[:3]) < 1e-6 < min(float(x) for x in out[1].split()[1:])
    assert (tmp_path / "film_sigmoid.html").exists() and (tmp_path / "film_relu.html").exists()
