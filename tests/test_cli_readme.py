"""The README's promises about the command line and drawings: its picture comes from the
command it shows, its examples print what it says they print, its commands run."""
from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from viz_support import graphviz_pure

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PICTURE = ROOT / "docs" / "viz_neuron.png"
# docs/viz_neuron.png was drawn by this graphviz-pure, the renderer a fresh machine has.
PICTURE_RENDERER = "0.2.2"


def blocks(language: str) -> list:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def shell_commands() -> list:
    """Every `glassgrad ...` command in the README's bash blocks (continuations joined,
    comments dropped), as argument lists."""
    commands = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("glassgrad "):
                commands.append(shlex.split(line, comments=True)[1:])
    return commands


def test_the_picture_comes_from_the_command_the_readme_shows(tmp_path, monkeypatch):
    exe = graphviz_pure()
    done = subprocess.run([exe, "-V"], capture_output=True, text=True, timeout=60)
    version = done.stdout + done.stderr                           # graphviz prints it on stderr
    (args,) = [c for c in shell_commands() if str(PICTURE.relative_to(ROOT)) in c]
    assert README.index("-o docs/viz_neuron.png") < README.index("](docs/viz_neuron.png)")
    assert "--title" in args and "=" in args[1].split(";")[0]     # a title, named steps
    out = tmp_path / "neuron.png"
    args[args.index("-o") + 1] = str(out)
    monkeypatch.setenv("GLASSGRAD_DOT", exe)
    result = CliRunner().invoke(cli.main, args, prog_name="glassgrad")
    assert result.exit_code == 0, result.output
    if f"version {PICTURE_RENDERER} " not in version:
        pytest.skip(f"graphviz-pure here is not {PICTURE_RENDERER}, which drew the picture "
                    f"({version.strip()}): regenerate it with the README's command")
    assert out.read_bytes() == PICTURE.read_bytes()


def test_python_examples_print_what_their_comments_say():
    """Every `print(...)  # expected` in the README's Python blocks prints `expected`."""
    checked = 0
    for block in blocks("python"):
        if not re.search(r"^print\(.*\)\s+# ", block, re.M):
            continue
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            exec(compile(block, "README.md", "exec"), {})       # the README's own code
        printed = stdout.getvalue().splitlines()
        expected = re.findall(r"^print\(.*\)\s+# (.*)$", block, re.M)
        assert printed == expected
        checked += 1
    assert checked >= 1


def test_console_examples_show_what_the_command_prints():
    checked = 0
    for block in blocks("console"):
        lines = block.rstrip("\n").splitlines()
        assert lines[0].startswith("$ glassgrad ")
        result = CliRunner().invoke(cli.main, shlex.split(lines[0][2:])[1:],
                                    prog_name="glassgrad")
        assert result.exit_code == 0
        assert result.stdout.splitlines() == lines[1:]
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize("args", shell_commands(), ids=lambda a: " ".join(a[:2])[:40])
def test_every_readme_command_runs(args, tmp_path, monkeypatch):
    graphviz_pure()
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    if "-o" in args and args[args.index("-o") + 1].startswith("docs/"):
        args = list(args)
        args[args.index("-o") + 1] = "picture.png"             # not over the committed one
    result = CliRunner().invoke(cli.main, args, prog_name="glassgrad")
    assert result.exit_code == 0, (result.stdout, result.stderr)
