"""The `glassgrad` command line: every command, every error path, one-line errors, exit codes."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import cli

NEURON = "tanh(x1*w1 + x2*w2 + b)"
NEURON_AT = "x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432"


def run(*args: str, code: int = 0):
    result = CliRunner().invoke(cli.main, prog_name="glassgrad", args=list(args))
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything
    assert "internal error" not in everything
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    if code == 0:
        assert result.exception is None
    else:
        assert isinstance(result.exception, SystemExit)
        assert result.stderr.startswith("Error: ")
    return result


def error_lines(result) -> list:
    return result.stderr.rstrip("\n").split("\n")


def one_line_error(*args: str, code: int, quiet: bool = True) -> str:
    result = run(*args, code=code)
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    if quiet:
        assert result.stdout == ""
    return lines[0]


def caret_error(*args: str, code: int, column: int) -> list:
    """message, the expression, a caret under `column` (1-based): three lines."""
    result = run(*args, code=code)
    lines = error_lines(result)
    assert len(lines) == 3, result.stderr
    assert lines[2].index("^") - 2 == column - 1     # both lines are indented by 2
    return lines


# ---------------------------------------------------------------- grad

def test_grad_of_the_neuron() -> None:
    out = run("grad", NEURON, "--at", NEURON_AT).stdout.splitlines()
    assert out[0].startswith("f = 0.7071067812  at x1=2, w1=-3, x2=0, w2=1, b=6.881373587")
    assert out[1:] == ["df/dx1 = -1.5", "df/dw1 = 1", "df/dx2 = 0.5", "df/dw2 = 0",
                       "df/db = 0.5"]


def test_grad_uses_the_output_name_and_repeated_at() -> None:
    out = run("grad", "h = x*w; y = h**2", "--at", "x=3", "--at", "w=2").stdout.splitlines()
    assert out == ["y = 36  at x=3, w=2", "dy/dx = 24", "dy/dw = 36"]


def test_hessian_of_x_squared_y() -> None:
    out = run("grad", "x**2*y", "--at", "x=3,y=2", "--order", "2").stdout.splitlines()
    assert out[:3] == ["f = 18  at x=3, y=2", "df/dx = 12", "df/dy = 9"]
    assert out[3].startswith("Hessian")
    assert [line.split() for line in out[4:]] == [["x", "y"], ["x", "4", "6"], ["y", "6", "0"]]


def test_grad_json_schema() -> None:
    doc = json.loads(run("grad", "x**2*y", "--at", "x=3,y=2", "--order", "2", "--json").stdout)
    assert doc == {"expression": "x**2*y", "output": "f", "value": 18.0,
                   "variables": ["x", "y"], "at": {"x": 3.0, "y": 2.0},
                   "gradient": {"x": 12.0, "y": 9.0},
                   "hessian": {"x": {"x": 4.0, "y": 6.0}, "y": {"x": 6.0, "y": 0.0}}}
    first = json.loads(run("grad", "y = sin(t)", "--at", "t=0", "--json").stdout)
    assert set(first) == {"expression", "output", "value", "variables", "at", "gradient"}
    assert first["output"] == "y" and first["gradient"] == {"t": 1.0}


def test_grad_json_writes_non_finite_numbers_as_strings() -> None:
    doc = json.loads(run("grad", "sqrt(x)", "--at", "x=0", "--json").stdout)
    assert doc["gradient"] == {"x": "inf"} and doc["value"] == 0.0


def test_hessian_of_mixed_functions_matches_central_differences() -> None:
    doc = json.loads(run("grad", "exp(x*y) + sin(x) * y**3", "--at", "x=0.3,y=-0.7",
                         "--order", "2", "--json").stdout)
    x, y = 0.3, -0.7
    e = math.exp(x * y)
    expected = {"x": {"x": y * y * e - math.sin(x) * y ** 3,
                      "y": e + x * y * e + 3 * math.cos(x) * y * y},
                "y": {"x": e + x * y * e + 3 * math.cos(x) * y * y,
                      "y": x * x * e + 6 * math.sin(x) * y}}
    for a in "xy":
        for b in "xy":
            assert doc["hessian"][a][b] == pytest.approx(expected[a][b], rel=1e-12)


def test_grad_of_a_constant_and_of_an_unused_statement() -> None:
    assert run("grad", "2 + 3").stdout == "f = 5\n"
    doc = json.loads(run("grad", "2 + 3", "--json", "--order", "2").stdout)
    assert doc["variables"] == [] and doc["gradient"] == {} and doc["hessian"] == {}
    out = run("grad", "h = x * 2; y = 3", "--at", "x=1", "--order", "2").stdout
    assert "dy/dx = 0" in out


def test_at_values_may_be_expressions_of_numbers() -> None:
    out = run("grad", "x + y", "--at", "x=1/4,y=max(1, -2) * 2", "--json").stdout
    assert json.loads(out)["at"] == {"x": 0.25, "y": 2.0}


# ---------------------------------------------------------------- check

def test_check_passes_on_the_neuron() -> None:
    out = run("check", NEURON, "--at", NEURON_AT).stdout
    assert "central diff" in out
    assert out.rstrip().splitlines()[-1].startswith(
        "OK: backprop matches central differences for 5 variable(s) (eps=1e-06")


def test_check_fails_at_a_kink_with_exit_1() -> None:
    result = run("check", "relu(x)", "--at", "x=0", code=1)
    assert "x         0         0.5" in result.stdout
    assert error_lines(result) == ["Error: gradient check FAILED (eps=1e-06, atol=1e-05, "
                                   "rtol=0.001): d/dx: backprop 0 vs central differences 0.5"]


def test_check_when_the_step_leaves_the_domain() -> None:
    result = run("check", "sqrt(x)", "--at", "x=0", code=1)
    assert "n/a" in result.stdout
    assert len(error_lines(result)) == 1
    assert "x+-eps leaves the domain (sqrt: operand must be >= 0" in result.stderr


def test_check_options() -> None:
    # x**3 at 2: the central difference is 12 + eps**2 = 12.00000001 for eps = 1e-4.
    run("check", "x**3", "--at", "x=2", "--eps", "1e-4")
    run("check", "x**3", "--at", "x=2", "--eps", "1e-4", "--rtol", "0", "--atol", "1e-9",
        code=1)
    run("check", "x**3", "--at", "x=2", "--eps", "1e-4", "--rtol", "1e-10", "--atol", "0",
        code=1)
    one_line_error("check", "x", "--at", "x=1", "--eps", "0", code=2)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("command", ["grad", "check", "render"])
def test_syntax_error_shows_a_caret(command: str) -> None:
    lines = caret_error(command, "tanh(x *", "--at", "x=1", code=2, column=9)
    assert lines[0] == ("Error: syntax error at column 9: expected a number, a name, a "
                        "function call or '(', got end of input")
    assert lines[1] == "  tanh(x *"


def test_unknown_function_suggests() -> None:
    lines = caret_error("grad", "tahn(x)", "--at", "x=1", code=2, column=1)
    assert "unknown function 'tahn': did you mean tanh?" in lines[0]


def test_wrong_arity() -> None:
    lines = caret_error("grad", "x + max(x)", "--at", "x=1", code=2, column=5)
    assert "max takes 2 arguments, got 1" in lines[0]


def test_unbound_variable_lists_what_at_must_give() -> None:
    line = one_line_error("grad", "x*w + b", "--at", "x=1", code=2)
    assert line == ("Error: Invalid value for '--at': no value for w, b: this expression "
                    "needs --at x=...,w=...,b=...")
    line = one_line_error("check", "x*w", code=2)
    assert "no value for x, w" in line
    line = one_line_error("grad", "x*w", "--at", "x=1,ww=2", code=2)
    assert line.endswith("(did you mean: ww -> w?)")


@pytest.mark.parametrize("at, fragment", [
    ("x", "expected NAME=VALUE, got 'x'"),
    ("x=1,,y=2", "expected NAME=VALUE, got ''"),
    ("x=", "x= needs a value"),
    ("=3", "'' is not a variable name"),
    ("2x=3", "'2x' is not a variable name"),
    ("exp=3", "'exp' is not a variable name"),
    ("x=abc", "x=abc: the value must be a number or an expression of numbers"),
    ("x=1+", "x=1+: syntax error at column 3"),
    ("x=log(-1)", "x=log(-1): domain error"),
    ("x=1e308*10", "x=1e308*10 is inf, not a finite number"),
    ("x=1,x=2", "x is given twice (x=1 and x=2)"),
])
def test_malformed_at(at: str, fragment: str) -> None:
    line = one_line_error("grad", "x", "--at", at, code=2)
    assert line.startswith("Error: Invalid value for '--at': ") and fragment in line, line


def test_domain_error_names_the_subexpression() -> None:
    lines = caret_error("grad", "y = 1 + log(x - 2)", "--at", "x=1", code=1, column=9)
    assert lines[0] == ("Error: domain error at column 9: log: operand must be > 0, got -1.0 "
                        "in log(x - 2)")
    assert lines[2] == "          ^^^^^^^^^^"


def test_gradient_overflow_is_inf_like_pytorch() -> None:
    # Backward follows IEEE arithmetic (issue 8): -1/x**2 at 1e-200 is -inf, not an error.
    assert run("grad", "1/x", "--at", "x=1e-200").stdout.splitlines()[1] == "df/dx = -inf"
    assert "inf" in run("grad", "1/x", "--at", "x=1e-200", "--order", "2").stdout


def test_unused_variable_and_non_finite_output_warn() -> None:
    result = run("grad", "h = x*2; h", "--at", "x=1,z=2,h=3")
    assert result.stderr.splitlines() == [
        "warning: --at z is ignored: the expression does not use it",
        "warning: --at h is ignored: it is computed by the expression"]
    result = run("grad", "x * 1e308 * 10", "--at", "x=1")
    assert result.stderr == "warning: the output is inf (a float overflowed on the way)\n"


def test_expression_starting_with_minus() -> None:
    line = one_line_error("grad", "-x**2", "--at", "x=3", code=2)
    assert "No such option '-x'" in line and "needs a space in front" in line
    assert run("grad", " -x**2", "--at", "x=3").stdout.splitlines()[1] == "df/dx = -6"
    assert run("grad", "--at", "x=3", "--", "-x**2").stdout.splitlines()[1] == "df/dx = -6"


def test_click_usage_errors_are_one_line_too() -> None:
    assert one_line_error("grad", code=2) == "Error: Missing argument 'EXPR'."
    assert "'--order': 3 is not in the range" in one_line_error("grad", "x", "--order", "3",
                                                                code=2)
    assert "No such command 'nope'" in one_line_error("nope", code=2)
    assert "No such option '--bogus'" in one_line_error("--bogus", code=2)
    assert "'--rankdir'" in one_line_error("render", "x", "--rankdir", "XY", code=2)


def test_limits_are_usage_errors() -> None:
    line = one_line_error("grad", "x+" * 6000 + "x", code=2)
    assert "expression too long: 12001 characters (the limit is 10000)" in line
    result = run("grad", "(" * 101 + "x" + ")" * 101, code=2)
    message, text, caret = error_lines(result)
    assert "nested too deeply" in message and "column 101" in message
    assert text.startswith("  ...(((") and text[caret.index("^")] == "("


def test_code_injection_is_rejected_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for text in (f"__import__('os').system('touch {marker}')",
                 "__import__(os).system(touch)"):
        result = run("grad", text, "--at", "os=1,touch=1", code=2)
        assert len(error_lines(result)) == 3
    assert not marker.exists()


def test_unexpected_exceptions_become_one_internal_error_line(monkeypatch) -> None:
    def broken(self):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli._Run, "gradient", broken)
    result = CliRunner().invoke(cli.main, prog_name="glassgrad", args=["grad", "x", "--at", "x=1"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: internal error: RuntimeError: boom second line "
                             "(please report this)\n")


# ---------------------------------------------------------------- render

def test_render_rejects_unknown_formats_before_any_work() -> None:
    line = one_line_error("render", "log(x)", "--at", "x=-1", "-o", "graph.jpg", code=2)
    assert line == ("Error: Invalid value for '-o': unknown format '.jpg' in 'graph.jpg': use "
                    "a name ending in .svg, .png, .pdf, .dot, .gv")
    assert "no extension" in one_line_error("render", "x", "-o", "graph", code=2)


@pytest.mark.parametrize("target, message", [
    (".png", "'.png' is only an extension: give the file a name, like graph.png"),
    ("out/.svg", "'out/.svg' is only an extension: give the file a name, like graph.svg"),
    ("png", "'png' has no extension: for PNG, give a name like graph.png"),
])
def test_render_says_what_is_wrong_with_the_output_name(target: str, message: str) -> None:
    assert one_line_error("render", "x", "--at", "x=1", "-o", target, code=2) == (
        f"Error: Invalid value for '-o': {message}")


def test_render_accepts_gv_like_dot(tmp_path: Path) -> None:
    run("render", "x*2", "--at", "x=1", "-o", str(tmp_path / "g.gv"))
    assert (tmp_path / "g.gv").read_text().startswith("digraph glassgrad {")


def test_render_steps_need_gradients() -> None:
    line = one_line_error("render", "x", "--at", "x=1", "--no-grad", "--steps", "s.html",
                          code=2)
    assert "--steps draws backprop" in line


def test_render_the_neuron(tmp_path: Path) -> None:
    target = tmp_path / "neuron.svg"
    out = run("render", NEURON, "--at", NEURON_AT, "-o", str(target)).stdout.splitlines()
    assert out[0] == "f = 0.7071067812"
    assert out[1].split() == ["variable", "value", "df/dvariable"]
    assert out[2].split() == ["x1", "2", "-1.5"]
    assert out[-1] == f"wrote {target}"
    assert target.read_text().lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.parametrize("fmt, magic", [("dot", b"digraph"), ("png", b"\x89PNG"),
                                        ("pdf", b"%PDF")])
def test_render_formats(tmp_path: Path, fmt: str, magic: bytes) -> None:
    target = tmp_path / f"g.{fmt.upper()}"
    run("render", "h = x*w + b; y = tanh(h)", "--at", "x=2,w=-3,b=1", "-o", str(target),
        "--rankdir", "TB", "--no-edges")
    assert magic in target.read_bytes()[:64]


def test_render_options_reach_the_drawing(tmp_path: Path) -> None:
    import viz
    expr, at = "y = exp(x) * w", "x=0.5,w=2"
    base = ["render", expr, "--at", at, "-o"]
    run(*base, str(tmp_path / "a.dot"))
    run(*base, str(tmp_path / "b.dot"), "--rankdir", "TB", "--no-edges", "--no-grad")
    a, b = (tmp_path / "a.dot").read_text(), (tmp_path / "b.dot").read_text()
    assert "rankdir=LR" in a.replace(" ", "").replace('"', "")
    assert "rankdir=TB" in b.replace(" ", "").replace('"', "")
    from autograd.expression import evaluate, parse
    out, _ = evaluate(parse(expr), {"x": 0.5, "w": 2.0})
    assert b.strip() == viz.draw(out, rankdir="TB", show_grad=False,
                                 edge_labels=False).source.strip()
    result = run(*base, str(tmp_path / "c.svg"), "--no-grad")
    assert result.stdout.splitlines()[1].split() == ["variable", "value"]


def test_render_steps(tmp_path: Path) -> None:
    page = tmp_path / "steps.html"
    result = run("render", "sigmoid(a*b)", "--at", "a=1,b=2", "-o", str(tmp_path / "g.svg"),
                 "--steps", str(page))
    assert result.stdout.splitlines()[-1] == f"wrote {page}"
    assert "<html" in page.read_text().lower()
    frames = tmp_path / "frames"
    run("render", "sigmoid(a*b)", "--at", "a=1,b=2", "-o", str(tmp_path / "g.svg"),
        "--steps", str(frames))
    assert any(frames.iterdir())


def test_render_to_an_unwritable_place(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    # The values are printed first; only the file fails.
    line = one_line_error("render", "x", "--at", "x=1", "-o", str(blocker / "g.svg"), code=1,
                          quiet=False)
    assert line.startswith(f"Error: cannot write the drawing {blocker / 'g.svg'}: ")
    line = one_line_error("render", "x", "--at", "x=1", "-o", str(tmp_path / "g.dot"),
                          "--steps", str(blocker / "steps"), code=1, quiet=False)
    assert line.startswith(f"Error: cannot write the steps {blocker / 'steps'}: ")


def test_render_steps_errors(tmp_path: Path) -> None:
    line = one_line_error("render", "x", "--at", "x=1", "--steps", str(tmp_path / "s.svg"),
                          code=2)
    assert "give a folder (numbered frames) or a .html file" in line
    big = "+".join(f"x*{i}" for i in range(110))      # 219 ops: more than 200 frames
    line = one_line_error("render", big, "--at", "x=1", "-o", str(tmp_path / "g.dot"),
                          "--steps", str(tmp_path / "s.html"), "--max-nodes", "400", code=1,
                          quiet=False)
    assert line == ("Error: cannot draw the steps: the backward pass takes 220 frames, over "
                    "--max-frames 200; raise --max-frames or draw a smaller expression")
    assert "max_frames" not in line                 # never a Python-only argument
    run("render", big, "--at", "x=1", "-o", str(tmp_path / "g.dot"), "--max-nodes", "400",
        "--steps", str(tmp_path / "s.html"), "--max-frames", "220")
    assert (tmp_path / "s.html").exists()


def test_render_without_a_graphviz_program(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GLASSGRAD_DOT", "no-such-graphviz-program")
    line = one_line_error("render", "x", "--at", "x=1", "-o", str(tmp_path / "g.svg"),
                          code=1, quiet=False)
    assert line.startswith(f"Error: cannot render the drawing {tmp_path / 'g.svg'}: ")
    run("render", "x", "--at", "x=1", "-o", str(tmp_path / "g.dot"))   # .dot needs none


def test_render_default_output_and_domain_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run("render", "x * 2", "--at", "x=1")
    assert (tmp_path / "graph.svg").exists()
    lines = caret_error("render", "sqrt(x)", "--at", "x=-1", "-o", "d.svg", code=1, column=1)
    assert "sqrt: operand must be >= 0, got x = -1.0 in sqrt(x)" in lines[0]
    assert not (tmp_path / "d.svg").exists()


# ---------------------------------------------------------------- demo, help, version

def test_demo_prints_and_draws(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = run("demo").stdout.splitlines()
    assert out[0] == "o = tanh(x1*w1 + x2*w2 + b)"
    assert out[1].split() == ["x1", "data=+2.0000", "grad=-1.5000"]
    explorer = Path("demo_out") / "explorer.html"
    assert out[-4:] == [f"wrote {Path('demo_out') / 'neuron.svg'}",
                        f"wrote {Path('demo_out') / 'steps.html'}", f"wrote {explorer}",
                        f"open {explorer} in a browser to explore the graph "
                        f"({(tmp_path / explorer).resolve().as_uri()})"]
    assert (tmp_path / "demo_out" / "neuron.svg").exists()
    assert (tmp_path / "demo_out" / "steps.html").exists()
    assert "window.glassgrad" in (tmp_path / explorer).read_text(encoding="utf-8")


def test_demo_unwritable_folder_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    message = one_line_error("demo", "-o", str(blocker / "sub"), code=1, quiet=False)
    assert message.startswith(f"Error: cannot create {blocker / 'sub'}: ")


@pytest.mark.parametrize("command", [[], ["render"], ["grad"], ["check"], ["demo"]])
def test_help_teaches_by_example(command: list) -> None:
    out = run(*command, "--help").stdout
    assert "Example" in out
    assert out.count("glassgrad ") >= 2


def test_version() -> None:
    assert run("--version").stdout.strip() == "glassgrad, version 0.1.0"


# ---------------------------------------------------------------- fuzz: no path reaches
# the catch-all, every failure is an 'Error:' line with exit 1 or 2

PIECES = ["x", "y", "2", "-", "+", "*", "/", "**", "(", ")", ",", ";", "=", "h", "exp(",
          "log(", "sqrt(", "max(", "leaky_relu(", "1e-3", ".5", "tanh(", " ", "1/x", "1e308",
          "sin(", "abs("]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join),
       st.lists(st.tuples(st.sampled_from(["x", "y", "z", "h", "2", ""]),
                          st.sampled_from(["1", "-2.5", "0", "1e-200", "1e308", "(", "log(0)",
                                           "", "1/3", "x"])), max_size=3),
       st.sampled_from([["grad"], ["grad", "--order", "2", "--json"], ["check"], ["render"]]))
def test_fuzz_command_line(tmp_path_factory, expr: str, at: list, command: list) -> None:
    if command == ["render"]:
        command = ["render", "-o", str(tmp_path_factory.getbasetemp() / "fuzz.dot")]
    args = [*command, " " + expr]
    if at:
        args += ["--at", ",".join(f"{n}={v}" for n, v in at)]
    result = CliRunner().invoke(cli.main, prog_name="glassgrad", args=args)
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything and "internal error" not in everything, everything
    assert result.exit_code in (0, 1, 2)
    if result.exit_code and "--json" in command:
        error = json.loads(result.stdout)                      # errors are JSON there too
        assert set(error) == {"error", "exit_code"} and error["exit_code"] == result.exit_code
    elif result.exit_code:
        assert isinstance(result.exception, SystemExit)
        lines = [line for line in result.stderr.splitlines() if not line.startswith("warning:")]
        assert lines[0].startswith("Error: ") and len(lines) in (1, 3), result.stderr
    else:
        assert result.stdout


@pytest.mark.parametrize("args", [["grad", "x**2*y", "--at", "x=3,y=2", "--order", "2"],
                                  ["demo", "-o", "OUT"],
                                  ["render", "x*y", "--at", "x=3,y=2", "-o", "OUT/g.svg",
                                   "--steps", "OUT/s.html"]])
def test_a_closed_pipe_loses_no_file_and_exits_0(tmp_path: Path, args: list) -> None:
    """`glassgrad ... | head -1` with the reader gone before anything is written: every
    file is still written, the exit status is the command's own (0), nothing on stderr."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("glassgrad")
    args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    for _ in range(3):                                          # the same every time
        proc = subprocess.Popen([str(exe), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait() == 0, err
        assert err == ""
    if args[0] == "demo":
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
            "explorer.html", "neuron.svg", "steps.html"]
    if args[0] == "render":
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["g.svg", "s.html"]


# ---------------------------------------------------------------- issue 10's papercuts

def test_bare_glassgrad_prints_the_usage_and_exits_0() -> None:
    result = run()
    assert result.stdout.startswith("Usage: glassgrad [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in result.stdout and result.stderr == ""


def test_bare_glassgrad_from_the_shell() -> None:
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("glassgrad")
    done = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("Usage: glassgrad")


def test_click_is_a_version_in_the_tested_range() -> None:
    """pyproject pins click>=8.2,<9: this suite passes on 8.2.1, 8.3.0 and 8.5.1 (the newest
    when pinned; CI installs the newest in range). Messages glassgrad shows are worded by
    glassgrad where click's wording changed between those versions."""
    import importlib.metadata
    import tomllib

    root = Path(__file__).resolve().parents[1]
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "click>=8.2,<9" in deps
    major, minor = map(int, importlib.metadata.version("click").split(".")[:2])
    assert (8, 2) <= (major, minor) < (9, 0)


def test_an_assignment_may_not_shadow_an_input_variable() -> None:
    lines = caret_error("grad", "x = x*2", "--at", "x=1", code=2, column=1)
    assert "'x' is an input variable of this expression and cannot also be assigned" in lines[0]
    lines = caret_error("grad", "h = x*2; x = h + 1", "--at", "x=1", code=2, column=10)
    assert "'x' is already used as an input variable" in lines[0]


@pytest.mark.parametrize("command", [["render", "x*2", "--at", "x=1", "-o", "OUT/g.svg"],
                                     ["render", "x*2", "--at", "x=1", "--output", "OUT/g.svg"],
                                     ["demo", "-o", "OUT"], ["demo", "--output", "OUT"]])
def test_one_spelling_of_the_output_option(tmp_path: Path, command: list) -> None:
    run(*[c.replace("OUT", str(tmp_path / "out")) for c in command])
    assert any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("command", [["render"], ["train"], ["demo"]])
def test_help_shows_the_same_output_option(command: list) -> None:
    assert re.search(r"^\s+-o, --output (FILE|DIR)\s", run(*command, "--help").stdout, re.M)


def test_rankdir_help_and_error_spell_it_the_same() -> None:
    help_text = run("render", "--help").stdout
    assert "--rankdir [LR|TB]" in help_text and "(LR) or top to bottom (TB)" in help_text
    line = one_line_error("render", "x", "--at", "x=1", "--rankdir", "xy", code=2)
    assert line == ("Error: Invalid value for '--rankdir': 'xy' is not LR (left to right) or "
                    "TB (top to bottom)")


def test_rankdir_in_any_case(tmp_path: Path) -> None:
    run("render", "x*2", "--at", "x=1", "--rankdir", "tb", "-o", str(tmp_path / "g.dot"))
    assert "rankdir=TB" in (tmp_path / "g.dot").read_text()


@pytest.mark.parametrize("args, code, fragment", [
    (["x*", "--at", "x=1"], 2, "syntax error at column 3"),
    (["x", "--at", "y=1"], 2, "no value for x"),
    (["x", "--at", "x=("], 2, "Invalid value for '--at'"),
    (["log(x)", "--at", "x=-1"], 1, "log: operand must be > 0"),
    (["x", "--at", "x=1", "--order", "9"], 2, "'--order': 9 is not in the range"),
    ([], 2, "Missing argument 'EXPR'"),
])
def test_grad_json_reports_errors_as_json(args: list, code: int, fragment: str) -> None:
    result = CliRunner().invoke(cli.main, prog_name="glassgrad", args=["grad", "--json", *args])
    assert result.exit_code == code
    error = json.loads(result.stdout)
    assert error["exit_code"] == code and fragment in error["error"]
    assert error["error"].startswith("Error: ") is False and result.stderr == ""


def test_long_names_and_lists_in_messages_are_shortened() -> None:
    names = [f"variable_with_a_rather_long_name_number_{k:03d}_of_many" for k in range(40)]
    line = one_line_error("grad", "+".join(names), "--at", "q=1", code=2)
    assert len(line) < 400, len(line)
    assert "… and 36 more" in line and names[0] not in line
    assert "variable_with_a_rat…_000_of_many" in line and "…_001_of_many" in line
    long = "y" * 300
    line = one_line_error("grad", f"{long} + 1", "--at", f"{long}=(", code=2)
    assert long not in line and len(line) < 300
    caret = run("grad", f"{long} +", "--at", "x=1", code=2).stderr.splitlines()
    assert len(caret[0]) < 200 and "^" in caret[2]


def test_max_nodes_reaches_the_drawing_and_its_note_names_the_cli_option(tmp_path: Path) -> None:
    expr = "*".join(["x"] * 50)
    result = run("render", expr, "--at", "x=1.01", "--max-nodes", "20",
                 "-o", str(tmp_path / "g.dot"))
    source = (tmp_path / "g.dot").read_text()
    assert "only the 19 nearest the output are drawn" in source
    assert "--max-nodes (now 20)" in source and "max_nodes=" not in source
    assert result.stderr.startswith("note: 50 nodes: only the 19 nearest")
    assert "--max-nodes" in result.stderr and "max_nodes=" not in result.stderr
    assert "'--max-nodes': 1 is not in the range" in one_line_error(
        "render", "x", "--at", "x=1", "--max-nodes", "1", code=2)


def test_the_title_option(tmp_path: Path) -> None:
    run("render", "x*2", "--at", "x=1", "--title", "my <graph>", "-o", str(tmp_path / "g.dot"))
    assert "<B>my &lt;graph&gt;</B>" in (tmp_path / "g.dot").read_text()


def test_a_render_past_its_budget_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    import sys
    script = tmp_path / "slow-graphviz"
    script.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    script.chmod(0o755)
    monkeypatch.setenv("GLASSGRAD_DOT", str(script))
    monkeypatch.setenv("GLASSGRAD_RENDER_BUDGET", "0.5")
    line = one_line_error("render", "x*2", "--at", "x=1", "-o", str(tmp_path / "g.svg"),
                          code=1, quiet=False)
    assert line == (f"Error: cannot render the drawing {tmp_path / 'g.svg'}: slow-graphviz took "
                    "more than 0.5 s and was stopped; draw less with --max-nodes (now 300) or "
                    "allow more time with GLASSGRAD_RENDER_BUDGET=<seconds>")


def test_a_slow_render_shows_a_spinner_on_a_terminal_only(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    script = tmp_path / "slow-graphviz"
    script.write_text(f"#!{sys.executable}\nimport sys, time\nsys.stdin.read()\ntime.sleep(1.6)\n"
                      "sys.stdout.write('<svg/>')\n")
    script.chmod(0o755)
    exe = Path(sys.executable).with_name("glassgrad")
    env = {**os.environ, "GLASSGRAD_DOT": str(script)}
    args = [str(exe), "render", "x*2", "--at", "x=1", "-o", str(tmp_path / "g.svg")]
    main, terminal = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=terminal, env=env)
    os.close(terminal)
    assert proc.wait(timeout=60) == 0
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert b"rendering " in shown and b"g.svg: 1 s (stopped after 10 s)" in shown
    assert shown.endswith(b"\r")                          # the line is wiped at the end
    piped = subprocess.run(args, capture_output=True, env=env, timeout=60)
    assert piped.returncode == 0 and piped.stderr == b""  # no spinner into a pipe or a log
