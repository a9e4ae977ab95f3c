"""The `glassgrad` command: render, differentiate and check small expressions at the shell.

    glassgrad render "tanh(x*w + b)" --at x=2,w=-3,b=6.88 -o neuron.svg
    glassgrad grad "x**2*y" --at x=3,y=2 --order 2 --json
    glassgrad check "relu(x) * sin(x)" --at x=0.5

Every error is one line on stderr (a syntax error adds the text and a caret under it;
`grad --json` writes it as JSON on stdout); usage errors exit 2, evaluation errors exit 1.
Expressions are parsed by `autograd.expression`, never eval'd. A reader that goes away
(`glassgrad ... | head -1`) only cuts the output short: files are still written and the
exit status is the command's own.
"""
from __future__ import annotations

import contextlib
import difflib
import itertools
import json
import math
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import click

import autograd
from autograd.expression import ExpressionError, Program, evaluate, gradient_errors, parse

FORMATS = ("svg", "png", "pdf", "dot", "gv")
# Same defaults as autograd.gradcheck.
EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3
NAME_LIMIT = 32        # longer names are cut in messages (head … tail)
LIST_LIMIT = 4         # longer lists of names are cut in messages


# ---------------------------------------------------------------- output that survives `| head`

def _out(message: str = "") -> None:
    """A line on stdout. When the reader has gone away (`| head -1`), the rest of the output
    goes nowhere and the command carries on: files still get written, and the exit status
    is the command's own, whenever the pipe closed."""
    try:
        click.echo(message)
    except BrokenPipeError:
        # Point stdout at devnull so later lines and the interpreter's final flush stay quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _short(name: str) -> str:
    """A name as shown in a message: at most NAME_LIMIT characters, its head and its tail
    (names that differ at the end, x_001 and x_002, stay apart)."""
    if len(name) <= NAME_LIMIT:
        return name
    tail = NAME_LIMIT * 2 // 5
    return name[:NAME_LIMIT - tail - 1] + "…" + name[-tail:]


def _listing(names: Sequence[str], template: str = "{}") -> str:
    """'a, b, c' with each name shortened, and '… and 12 more' past LIST_LIMIT names."""
    shown = [template.format(_short(n)) for n in names[:LIST_LIMIT]]
    if len(names) > LIST_LIMIT:
        shown.append(f"… and {len(names) - LIST_LIMIT} more")
    return ", ".join(shown)


def _clipped(message: str) -> str:
    """Any run of name characters longer than NAME_LIMIT in a message's first line is cut
    (a caret line below it keeps the text as it is, to stay aligned)."""
    first, sep, rest = message.partition("\n")
    first = re.sub(r"\w{%d,}" % (NAME_LIMIT + 1), lambda m: _short(m.group(0)), first)
    return first + sep + rest


# ---------------------------------------------------------------- one-line errors

class _Group(click.Group):
    """Shows every error as one line (no usage block), turns anything unexpected into a
    one-line 'internal error' instead of a traceback, and answers a bare `glassgrad` with
    its help (exit 0) under every click version."""

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        if not args:
            _out(ctx.get_help())
            ctx.exit(0)
        return super().parse_args(ctx, args)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as err:
            raise _one_line(err) from None

    def invoke(self, ctx: click.Context) -> Any:
        with _reported(_raise_one_line):
            return super().invoke(ctx)


@contextlib.contextmanager
def _reported(report: Callable[[Exception], None]) -> Iterator[None]:
    """Any error in the block but click's own exit and abort goes to `report` (which
    raises what the user sees)."""
    try:
        yield
    except (click.exceptions.Exit, click.Abort):
        raise
    except Exception as err:  # noqa: BLE001 - the catch-all the contract asks for
        report(err)


def _raise_one_line(err: Exception) -> None:
    raise _one_line(err) from None


class _JsonErrors(click.Command):
    """A command with a --json flag (`grad`): then its errors, usage errors included, are
    one JSON object on stdout, {"error": message, "exit_code": 1 or 2}, for scripts."""

    def make_context(self, info_name: Optional[str], args: List[str],
                     parent: Optional[click.Context] = None, **extra: Any) -> click.Context:
        # A copy: click's parser consumes `args` in place.
        as_json = "--json" in (args[:args.index("--")] if "--" in args else list(args))
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.ClickException as err:
            if as_json:
                _json_error(err)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        if not ctx.params.get("as_json"):
            return super().invoke(ctx)
        with _reported(_json_error):
            return super().invoke(ctx)


def _json_error(err: Exception) -> None:
    shown = _one_line(err)
    _out(json.dumps({"error": shown.format_message(), "exit_code": shown.exit_code}))
    raise click.exceptions.Exit(shown.exit_code)


def _one_line(err: Exception) -> click.ClickException:
    """The error as glassgrad shows it: no usage block, long names cut, a hint for an EXPR
    that starts with '-' (click reads it as an option); anything that is not a click
    error is an internal error (one line, never a traceback)."""
    if not isinstance(err, click.ClickException):
        detail = " ".join(str(err).split())[:200]
        return click.ClickException(f"internal error: {type(err).__name__}: {detail} "
                                    f"(please report this)")
    if isinstance(err, click.NoSuchOption):
        # Worded here, not by click: its wording changed between versions.
        text = f"No such option {err.option_name!r}."
        if err.possibilities:
            text += f" Did you mean {' or '.join(map(repr, sorted(err.possibilities)))}?"
        if err.option_name.startswith("-") and not err.option_name.startswith("--"):
            text += (" (an EXPR that starts with '-' needs a space in front, like "
                     "' -x**2', or '--' before it)")
        err = _UsageError(text)
    elif isinstance(err, click.UsageError) and not isinstance(err, _UsageError):
        # click's own message on one line (some versions list choices one per line)
        err.message = " ".join(err.format_message().split())
        err = _UsageError(err.message)
    if isinstance(err, click.UsageError):
        err.ctx = None              # show() then prints just "Error: ..."
    err.message = _clipped(err.message)
    return err


class _UsageError(click.UsageError):
    pass


def _explain(err: ExpressionError) -> str:
    caret = err.caret()
    if not caret:
        return str(err)
    return str(err) + "\n" + "\n".join("  " + line for line in caret.splitlines())


def _usage(err: ExpressionError) -> click.UsageError:
    return _UsageError(_explain(err))


@contextlib.contextmanager
def _failing() -> Iterator[None]:
    """An ExpressionError raised inside is an evaluation error: exit 1, one line."""
    try:
        yield
    except ExpressionError as err:
        raise click.ClickException(_explain(err)) from None


# ---------------------------------------------------------------- --at

def _split_top_level(text: str) -> List[str]:
    # Commas inside parentheses belong to function calls: --at "x=max(1,2),y=3".
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _constant(text: str) -> float:
    """A number, or an expression of numbers like 1/3 or -exp(1)."""
    program = parse(text)
    if program.variables or len(program.statements) > 1 or program.names:
        raise ExpressionError("syntax", "the value must be a number or an expression of "
                              "numbers (like 1/3)", text, None)
    with autograd.no_grad():
        out, _ = evaluate(program, {})
    return out.data


class Assignments(click.ParamType):
    """`x=2,w=-3` -> [('x', 2.0), ('w', -3.0)]; values may be expressions of numbers."""

    name = "NAME=VALUE[,...]"

    def convert(self, value: Any, param: Optional[click.Parameter],
                ctx: Optional[click.Context]) -> List[Tuple[str, float]]:
        if isinstance(value, list):
            return value
        pairs = []
        for item in _split_top_level(str(value)):
            name, eq, text = item.partition("=")
            name = name.strip()
            if not eq:
                self.fail(f"expected NAME=VALUE, got {_short(item.strip())!r} (example: "
                          f"--at x=2,y=-0.5)", param, ctx)
            if not _is_variable_name(name):
                self.fail(f"{_short(name)!r} is not a variable name (in "
                          f"{_short(item.strip())!r})", param, ctx)
            if not text.strip():
                self.fail(f"{_short(name)}= needs a value (example: {_short(name)}=1.5)",
                          param, ctx)
            try:
                number = _constant(text)
            except ExpressionError as err:
                self.fail(f"{_short(name)}={_short(text.strip())}: {err}", param, ctx)
            if not math.isfinite(number):
                self.fail(f"{_short(name)}={_short(text.strip())} is {number}, not a finite "
                          f"number", param, ctx)
            pairs.append((name, number))
        return pairs


def _is_variable_name(name: str) -> bool:
    try:
        tokens = parse(name).nodes
    except ExpressionError:
        return False
    return len(tokens) == 1 and tokens[0].kind == "var"


def _environment(at: Sequence[List[Tuple[str, float]]]) -> Dict[str, float]:
    env: Dict[str, float] = {}
    for pairs in at:
        for name, number in pairs:
            if name in env:
                n = _short(name)
                raise click.BadParameter(f"{n} is given twice ({n}={env[name]:g} and "
                                         f"{n}={number:g})", param_hint="'--at'")
            env[name] = number
    return env


# ---------------------------------------------------------------- shared pipeline

class _Run:
    """An expression parsed, checked against --at, and evaluated."""

    def __init__(self, expr: str, at: Sequence[List[Tuple[str, float]]]) -> None:
        try:
            self.program: Program = parse(expr)
        except ExpressionError as err:
            raise _usage(err) from None
        self.env = _environment(at)
        program = self.program
        unused = [n for n in self.env if n not in program.variables]
        missing = [v for v in program.variables if v not in self.env]
        if missing:
            needs = _listing(program.variables, "{}=...").replace(", ", ",")
            close = [f"{_short(u)} -> {_short(m)}?" for u in unused for m in missing
                     if _close(u, m)][:LIST_LIMIT]
            hint = f" (did you mean: {', '.join(close)})" if close else ""
            raise click.BadParameter(f"no value for {_listing(missing)}: this expression "
                                     f"needs --at {needs}{hint}", param_hint="'--at'")
        for name in unused:
            why = "it is computed by the expression" if name in program.names else \
                "the expression does not use it"
            click.echo(f"warning: --at {_short(name)} is ignored: {why}", err=True)
        try:
            self.output, self.leaves = evaluate(program, self.env)
        except ExpressionError as err:
            raise click.ClickException(_explain(err)) from None
        self.name = program.output.name or "f"
        if not math.isfinite(self.output.data):
            click.echo(f"warning: the output is {self.output.data} (a float overflowed on "
                       f"the way)", err=True)

    @property
    def variables(self) -> Tuple[str, ...]:
        return self.program.variables

    def gradient(self) -> Dict[str, float]:
        """d(output)/d(variable) for every variable (0 if the output ignores it)."""
        inputs = [self.leaves[v] for v in self.variables]
        with _failing(), gradient_errors(self.program.text):
            grads = autograd.grad(self.output, inputs, allow_unused=True)
        return {v: 0.0 if g is None else float(g) for v, g in zip(self.variables, grads)}

    def hessian(self) -> Tuple[Dict[str, float], Dict[str, Dict[str, float]]]:
        """The gradient and the matrix of second derivatives (via create_graph=True)."""
        inputs = [self.leaves[v] for v in self.variables]
        with _failing(), gradient_errors(self.program.text):
            first = autograd.grad(self.output, inputs, create_graph=True, allow_unused=True)
            rows: Dict[str, Dict[str, float]] = {}
            for v, g in zip(self.variables, first):
                if g is None:      # the output does not depend on v at all
                    rows[v] = {w: 0.0 for w in self.variables}
                    continue
                second = autograd.grad(g, inputs, allow_unused=True)
                rows[v] = {w: 0.0 if s is None else float(s)
                           for w, s in zip(self.variables, second)}
        gradient = {v: 0.0 if g is None else g.data for v, g in zip(self.variables, first)}
        return gradient, rows

    def at_text(self) -> str:
        return ", ".join(f"{v}={_num(self.env[v])}" for v in self.variables)


def _close(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.6


def _num(x: float) -> str:
    return f"{x:.10g}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
                     for r in [header, *rows])


def _json_number(x: float) -> Any:
    # Strict JSON has no inf/nan: they are written as the strings "inf", "-inf", "nan".
    return x if math.isfinite(x) else str(x)


# ---------------------------------------------------------------- the commands

AT_OPTION = click.option(
    "--at", "at", multiple=True, type=Assignments(), metavar="NAME=VALUE[,...]",
    help="Values of the variables, e.g. --at x=2,w=-3 (repeatable; a value may be an "
         "expression of numbers like 1/3).")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(autograd.__version__, prog_name="glassgrad")
def main() -> None:
    """glassgrad: see backpropagation, node by node.

    \b
    Expressions: numbers (2, .5, 1e-3), variables, + - * / ** and parentheses,
    exp log sqrt tanh sigmoid relu leaky_relu elu gelu softplus sin cos abs max min,
    and named steps separated by ';' (the last one is the output):
      "h = x*w + b; y = tanh(h)"

    \b
    Examples:
      glassgrad render "tanh(x*w + b)" --at x=2,w=-3,b=6.88 -o neuron.svg
      glassgrad grad "x**2*y" --at x=3,y=2 --order 2
      glassgrad check "softplus(x) / x" --at x=0.7
      glassgrad explore "tanh(x*w + b)" --at x=2,w=-3,b=6.88 -o graph.html
      glassgrad demo
    """


def _outfile(path: str) -> Tuple[Path, str]:
    """(path, format) for -o; the format comes from the extension (.gv is DOT too)."""
    p = Path(path)
    name = p.name
    if name.startswith(".") and name[1:].lower() in FORMATS:
        raise click.BadParameter(f"{_short(path)!r} is only an extension: give the file a "
                                 f"name, like graph{name.lower()}", param_hint="'-o'")
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        if not p.suffix and name.lower() in FORMATS:
            raise click.BadParameter(f"{_short(path)!r} has no extension: for {name.upper()}, "
                                     f"give a name like graph.{name.lower()}", param_hint="'-o'")
        shown = f"'{_short(p.suffix)}'" if p.suffix else "no extension"
        raise click.BadParameter(f"unknown format {shown} in {_short(path)!r}: use a name "
                                 f"ending in {', '.join('.' + f for f in FORMATS)}",
                                 param_hint="'-o'")
    return p, "dot" if fmt == "gv" else fmt


def _steps_target(steps: Optional[str]) -> Optional[str]:
    if steps is not None and Path(steps).suffix.lower() in tuple("." + f for f in FORMATS):
        raise click.BadParameter(f"{_short(steps)!r}: give a folder (numbered frames) or a "
                                 f".html file (one page)", param_hint="'--steps'")
    return steps


@contextlib.contextmanager
def _spinner(what: str) -> Iterator[None]:
    """A progress line on stderr while a render takes longer than a second, when stderr
    is a terminal (never in a pipe or a log)."""
    viz = _viz()
    stream = sys.stderr
    if not stream.isatty():
        yield
        return
    turns = itertools.cycle("|/-\\")
    shown = [0]
    limit = viz.render.budget()

    def tick(elapsed: float) -> None:
        if elapsed >= 1.0:
            line = f"\r{next(turns)} {what}: {elapsed:.0f} s (stopped after {limit:g} s)"
            stream.write(line)
            stream.flush()
            shown[0] = len(line)

    try:
        with viz.render.progress(tick):
            yield
    finally:
        if shown[0]:
            stream.write("\r" + " " * shown[0] + "\r")
            stream.flush()


def _write(what: str, path: Any, save: Any, fewer: str = "") -> None:
    """Run `save()`, then say so. Errors are one line; a render past its time budget says
    what to do (`fewer`: the option that draws less)."""
    viz = _viz()
    try:
        with _spinner(f"rendering {path}"):
            save()
    except OSError as err:
        reason = err.strerror or str(err)
        raise click.ClickException(f"cannot write {what} {path}: {reason}") from None
    except viz.RenderTimeout as err:
        advice = f"draw less with {fewer} or " if fewer else ""
        raise click.ClickException(
            f"cannot render {what} {path}: {err.program} took more than {err.seconds:g} s and "
            f"was stopped; {advice}allow more time with GLASSGRAD_RENDER_BUDGET=<seconds>"
        ) from None
    except (viz.RenderError, viz.RendererNotFound) as err:
        # graphviz's own message may span lines: keep the error on one line.
        reason = " ".join(str(err).split())
        raise click.ClickException(f"cannot render {what} {path}: {reason}") from None
    _out(f"wrote {path}")


class RankDir(click.ParamType):
    """LR or TB, in any case; help and errors spell them the same way."""

    name = "[LR|TB]"

    def convert(self, value: Any, param: Optional[click.Parameter],
                ctx: Optional[click.Context]) -> str:
        text = str(value).upper()
        if text not in ("LR", "TB"):
            self.fail(f"{_short(str(value))!r} is not LR (left to right) or TB (top to "
                      f"bottom)", param, ctx)
        return text


RANKDIR_OPTION = click.option("--rankdir", type=RankDir(), default="LR", show_default=True,
                              help="Draw left to right (LR) or top to bottom (TB); any case.")
MAX_NODES_OPTION = click.option("--max-nodes", type=click.IntRange(min=2), default=300,
                                show_default=True,
                                help="Bigger graphs show only the nodes nearest the output.")


@main.command(cls=click.Command)
@click.argument("expr", metavar="EXPR")
@AT_OPTION
@click.option("-o", "--output", "output", default="graph.svg", show_default=True,
              metavar="FILE",
              help="The drawing; the extension picks the format: .svg .png .pdf .dot .gv")
@RANKDIR_OPTION
@click.option("--no-grad", is_flag=True, help="Forward only: no backprop, no gradients.")
@click.option("--edges/--no-edges", default=True, show_default=True,
              help="Label each edge with its local derivative.")
@click.option("--title", default=None, metavar="TEXT", help="A heading above the drawing.")
@MAX_NODES_OPTION
@click.option("--steps", metavar="DIR|PAGE.html", default=None,
              help="Also draw backprop step by step: numbered frames in DIR, or one .html page.")
@click.option("--max-frames", type=click.IntRange(min=1), default=200, show_default=True,
              help="The most frames --steps draws (one per op, and the seed).")
def render(expr: str, at: Sequence, output: str, rankdir: str, no_grad: bool, edges: bool,
           title: Optional[str], max_nodes: int, steps: Optional[str], max_frames: int) -> None:
    """Draw the graph of EXPR with every value and gradient.

    \b
    Examples:
      glassgrad render "tanh(x1*w1 + x2*w2 + b)" \\
          --at x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432
      glassgrad render "h = x*w + b; y = tanh(h)" --at x=2 --at w=-3,b=1 -o n.png
      glassgrad render "exp(-x**2/2)" --at x=0.5 --rankdir TB --no-edges -o g.pdf
      glassgrad render "sigmoid(a*b)" --at a=1,b=2 --steps steps.html
      glassgrad render "n = x*w + b; o = tanh(n)" --at x=2,w=-3,b=1 --title "a neuron"

    \b
    The drawing goes to graph.svg unless -o says otherwise. Name steps
    ("n = ...;") to label the nodes they make. An EXPR starting with '-'
    needs a space in front: " -x**2".
    """
    path, fmt = _outfile(output)
    steps = _steps_target(steps)
    if steps and no_grad:
        raise _UsageError("--steps draws backprop, so it cannot go with --no-grad")
    run = _Run(expr, at)
    if not no_grad:
        with _failing(), gradient_errors(run.program.text):
            run.output.backward()
    _print_values(run, with_grad=not no_grad)
    viz = _viz()
    with viz.structure.option_spelling(max_nodes=f"--max-nodes (now {max_nodes})"):
        drawing = viz.draw(run.output, rankdir=rankdir, show_grad=not no_grad,
                           edge_labels=edges, title=title, max_nodes=max_nodes)
    if drawing.info["note"]:
        click.echo(f"note: {drawing.info['note']}", err=True)
    _write("the drawing", path, lambda: drawing.save(str(path), format=fmt),
           fewer=f"--max-nodes (now {max_nodes})")
    if steps:
        try:
            frames = viz.backward_steps(run.output, max_frames=max_frames, rankdir=rankdir,
                                        edge_labels=edges, title=title)
        except viz.TooManyFrames as err:
            raise click.ClickException(
                f"cannot draw the steps: the backward pass takes {err.frames} frames, over "
                f"--max-frames {err.limit}; raise --max-frames or draw a smaller "
                f"expression") from None
        _write("the steps", steps, lambda: frames.save(steps))


def _folder(path: str) -> Path:
    """The output folder, created if missing; a one-line error if it cannot be."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise click.ClickException(f"cannot create {folder}: {err.strerror or err}") from None
    return folder


def _viz() -> Any:
    import viz
    return viz


def _print_values(run: _Run, with_grad: bool) -> None:
    _out(f"{run.name} = {_num(run.output.data)}")
    if not run.variables:
        return
    header = ["variable", "value"] + ([f"d{run.name}/dvariable"] if with_grad else [])
    rows = [[v, _num(run.leaves[v].data)] + ([_num(run.leaves[v].grad)] if with_grad else [])
            for v in run.variables]
    _out(_table(header, rows))


@main.command(cls=_JsonErrors)
@click.argument("expr", metavar="EXPR")
@AT_OPTION
@click.option("--order", type=click.IntRange(1, 2), default=1, show_default=True,
              help="1: the gradient; 2: also the Hessian (second derivatives).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout, for scripts.")
def grad(expr: str, at: Sequence, order: int, as_json: bool) -> None:
    """Print d(EXPR)/d(variable) for every variable (and the Hessian with --order 2).

    \b
    Examples:
      glassgrad grad "x**2*y" --at x=3,y=2
      glassgrad grad "x**2*y" --at x=3,y=2 --order 2
      glassgrad grad "h = x*w; y = tanh(h)" --at x=1,w=0.5 --json

    \b
    --json prints {"expression", "output", "value", "variables", "at",
    "gradient": {var: number}, and with --order 2 "hessian": {var: {var: number}}};
    inf and nan are written as the strings "inf", "-inf", "nan". An error is
    {"error": message, "exit_code": 1 or 2}, on stdout too.
    """
    run = _Run(expr, at)
    if order == 2:
        gradient, hessian = run.hessian()
    else:
        gradient, hessian = run.gradient(), None
    if as_json:
        doc: Dict[str, Any] = {
            "expression": expr, "output": run.name, "value": _json_number(run.output.data),
            "variables": list(run.variables),
            "at": {v: run.env[v] for v in run.variables},
            "gradient": {v: _json_number(g) for v, g in gradient.items()},
        }
        if hessian is not None:
            doc["hessian"] = {v: {w: _json_number(h) for w, h in row.items()}
                              for v, row in hessian.items()}
        _out(json.dumps(doc, allow_nan=False))
        return
    f = run.name
    _out(f"{f} = {_num(run.output.data)}" + (f"  at {run.at_text()}" if run.variables else ""))
    for v, g in gradient.items():
        _out(f"d{f}/d{v} = {_num(g)}")
    if hessian is not None and run.variables:
        _out(f"Hessian (row a, column b: d2{f}/da db):")
        _out(_table([""] + list(run.variables),
                          [[v] + [_num(hessian[v][w]) for w in run.variables]
                           for v in run.variables]))


@main.command()
@click.argument("expr", metavar="EXPR")
@AT_OPTION
@click.option("--eps", type=click.FloatRange(min=0, min_open=True), default=EPS,
              show_default=True, help="Step of the central differences.")
@click.option("--atol", type=click.FloatRange(min=0), default=ATOL, show_default=True)
@click.option("--rtol", type=click.FloatRange(min=0), default=RTOL, show_default=True)
def check(expr: str, at: Sequence, eps: float, atol: float, rtol: float) -> None:
    """Compare backprop with central differences (f(x+eps) - f(x-eps)) / 2eps.

    \b
    Exit status 0 when every gradient agrees within atol + rtol*|numeric|
    (autograd.gradcheck's test), 1 otherwise.

    \b
    Examples:
      glassgrad check "tanh(x*w + b)" --at x=2,w=-3,b=6.88
      glassgrad check "relu(x)" --at x=0          # a kink: they disagree, exit 1
      glassgrad check "x**3" --at x=2 --eps 1e-4 --rtol 1e-6
    """
    run = _Run(expr, at)
    gradient = run.gradient()
    rows, failures = [], []
    for v in run.variables:
        backprop = gradient[v]
        try:
            numeric = _central_difference(run, v, eps)
        except ExpressionError as err:
            rows.append([v, _num(backprop), "n/a", "", "NO"])
            failures.append(f"d/d{v}: {v}+-eps leaves the domain ({err.message})")
            continue
        diff = abs(backprop - numeric)
        ok = diff <= atol + rtol * abs(numeric)   # False for nan/inf too
        rows.append([v, _num(backprop), _num(numeric), f"{diff:.3g}", "yes" if ok else "NO"])
        if not ok:
            failures.append(f"d/d{v}: backprop {_num(backprop)} vs central differences "
                            f"{_num(numeric)}")
    _out(f"{run.name} = {_num(run.output.data)}" +
               (f"  at {run.at_text()}" if run.variables else ""))
    if run.variables:
        _out(_table(["variable", "backprop", "central diff", "|difference|", "ok"], rows))
    settings = f"eps={eps:g}, atol={atol:g}, rtol={rtol:g}"
    if failures:
        raise click.ClickException(f"gradient check FAILED ({settings}): " + "; ".join(failures))
    _out(f"OK: backprop matches central differences for {len(run.variables)} "
               f"variable(s) ({settings})")


def _central_difference(run: _Run, name: str, eps: float) -> float:
    env = dict(run.env)
    x = env[name]
    with autograd.no_grad():
        env[name] = x + eps
        plus = evaluate(run.program, env)[0].data
        env[name] = x - eps
        minus = evaluate(run.program, env)[0].data
    return (plus - minus) / (2 * eps)


def _explore_page(path: str) -> Path:
    p = Path(path)
    if p.suffix.lower() not in (".html", ".htm"):
        raise click.BadParameter(f"{_short(path)!r}: the explorer is one page: give an .html "
                                 f"file, like graph.html", param_hint="'-o'")
    return p


def _names(text: Optional[str]) -> List[str]:
    return [] if text is None else [n.strip() for n in text.split(",") if n.strip()]


@main.command()
@click.argument("expr", metavar="EXPR")
@AT_OPTION
@click.option("-o", "--output", "output", default="graph.html", show_default=True,
              metavar="PAGE.html", help="The page: one offline .html file.")
@click.option("--params", default=None, metavar="NAME,...",
              help="Variables the page's 'step' button updates (gradient descent by hand).")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=0.1,
              show_default=True, help="The step's learning rate (editable in the page).")
@RANKDIR_OPTION
@click.option("--title", default=None, metavar="TEXT", help="The page's heading.")
@MAX_NODES_OPTION
@click.option("--max-frames", type=click.IntRange(min=1), default=200, show_default=True,
              help="The backward steps are left out of the page past this many frames.")
def explore(expr: str, at: Sequence, output: str, params: Optional[str], lr: float,
            rankdir: str, title: Optional[str], max_nodes: int, max_frames: int) -> None:
    """Write an interactive page of EXPR's graph: hover a node for its numbers and
    local derivatives, click one for the paths its gradient travels, change a variable
    and watch every value and gradient follow, step gradient descent by hand, and play
    the backward pass frame by frame. One offline file: open it in any browser.

    \b
    Examples:
      glassgrad explore "tanh(x1*w1 + x2*w2 + b)" \\
          --at x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432 -o neuron.html
      glassgrad explore "loss = (w*x + b - y)**2" --at x=2,y=1,w=0.5,b=0 --params w,b
    """
    page_path = _explore_page(output)
    run = _Run(expr, at)
    chosen = _names(params)
    for name in chosen:
        if name not in run.variables:
            raise click.BadParameter(f"no variable {_short(name)!r} in EXPR (its variables: "
                                     f"{_listing(run.variables) or 'none'})",
                                     param_hint="'--params'")
    viz = _viz()
    with viz.structure.option_spelling(max_nodes=f"--max-nodes (now {max_nodes})",
                                       max_frames=f"--max-frames (now {max_frames})"):
        with _failing(), gradient_errors(run.program.text):
            page = viz.explore(run.output, params=[run.leaves[n] for n in chosen] or None,
                               lr=lr, rankdir=rankdir, title=title, max_nodes=max_nodes,
                               max_frames=max_frames)
        _write("the explorer", page_path, lambda: page.save(page_path),
               fewer=f"--max-nodes (now {max_nodes})")
    _out(f"open it in a browser: {page_path.resolve().as_uri()}")


def lecture_neuron(backward: bool = False) -> "autograd.Value":
    """Karpathy's lecture neuron o = tanh(x1*w1 + x2*w2 + b), optionally after backward().

    >>> round(lecture_neuron(backward=True).data, 4)
    0.7071
    """
    Value = autograd.Value
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    if backward:
        o.backward()
    return o


@main.command()
@click.option("-o", "--output", "out_dir", default="demo_out", show_default=True,
              metavar="DIR", help="Where the drawings go.")
def demo(out_dir: str) -> None:
    """A one-neuron tour: forward values, then every gradient, then the drawings and
    an interactive page.

    \b
    Example:
      glassgrad demo     # writes demo_out/neuron.svg, steps.html and explorer.html
    """
    o = lecture_neuron(backward=True)
    _out("o = tanh(x1*w1 + x2*w2 + b)")
    for v in autograd.topological_order(o):
        if not v.label:
            continue
        _out(f"  {v.label:>3}  data={v.data:+.4f}  grad={v.grad:+.4f}")
    viz = _viz()
    folder = _folder(out_dir)
    drawing = viz.draw(o)
    _write("the drawing", folder / "neuron.svg",
           lambda: drawing.save(str(folder / "neuron.svg"), format="svg"))
    frames = viz.backward_steps(o)
    _write("the steps", folder / "steps.html", lambda: frames.save(str(folder / "steps.html")))
    page = viz.explore(o, params=["w1", "w2", "b"], title="o = tanh(x1*w1 + x2*w2 + b): "
                       "hover, click, change a value, step")
    explorer = folder / "explorer.html"
    _write("the explorer", explorer, lambda: page.save(explorer))
    _out(f"open {explorer} in a browser to explore the graph ({explorer.resolve().as_uri()})")


# ---------------------------------------------------------------- train (nn.fit on a toy dataset)

_TRAIN_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 0.01}


def _train_hidden(ctx: Any, param: Any, value: str) -> List[int]:
    try:
        sizes = [int(part) for part in value.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(s < 1 for s in sizes):
        raise click.BadParameter(f"{_short(value)!r}: give layer widths as positive integers "
                                 f"separated by commas, e.g. 16,16")
    return sizes


def _train_model(engine: str, nin: int, hidden: List[int], nout: int, activation: str,
                 seed: int) -> Any:
    import nn
    if engine == "scalar":
        return nn.MLP(nin, hidden + [nout], activation=activation, seed=seed)
    autograd.manual_seed(seed)     # Linear's initial weights come from the global stream
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity,
           "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "gelu": nn.GELU, "softplus": nn.Softplus}
    layers: List[Any] = []
    for a, b in zip([nin] + hidden, hidden):
        layers += [nn.Linear(a, b), act[activation]()]
    return nn.Sequential(*layers, nn.Linear(([nin] + hidden)[-1], nout))


@main.command()
@click.argument("dataset", metavar="DATASET", type=click.Choice(["xor", "moons", "circles", "spirals", "blobs",
                                              "vh_lines", "returns"]))
@click.option("--hidden", default="16,16", show_default=True, callback=_train_hidden,
              metavar="W1,W2,...", help="Hidden layer widths.")
@click.option("--activation", default="relu", show_default=True,
              type=click.Choice(["relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu",
                                 "softplus", "linear"]))
@click.option("--epochs", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Learning rate [default: 0.1 sgd, 0.05 momentum, 0.01 adam].")
@click.option("--optimizer", "optimizer_name", default="adam", show_default=True,
              type=click.Choice(["sgd", "momentum", "adam"]))
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Samples per step [default: the whole training set].")
@click.option("--samples", type=click.IntRange(min=8), default=200, show_default=True,
              help="Dataset size (20% is held out for validation).")
@click.option("--engine", type=click.Choice(["tensor", "scalar"]), default="tensor",
              show_default=True, help="Tensor layers (fast) or the scalar Value MLP.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-o", "--output", "out_dir", default="train_out", show_default=True, metavar="DIR",
              help="Folder for curves.png, gradient_flow.png, decision_boundary.png, model.npz.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def train(dataset: str, hidden: List[int], activation: str, epochs: int, lr: Optional[float],
          optimizer_name: str, batch_size: Optional[int], samples: int, engine: str, seed: int,
          out_dir: str, no_progress: bool) -> None:
    """Train an MLP on a toy dataset and write its learning curves, gradient flow and
    decision boundary.

    \b
    Examples:
      glassgrad train moons --hidden 16,16 --epochs 200 -o moons_run
      glassgrad train spirals --hidden 32,32 --activation tanh --optimizer momentum
      glassgrad train vh_lines --engine scalar --batch-size 10
    """
    import numpy as np

    import nn
    from nn import datasets
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise click.ClickException("train draws its plots with matplotlib: "
                                   "pip install 'glassgrad[plots]'") from None
    viz = _viz()
    make = getattr(datasets, dataset)
    X, y = make(samples, seed=seed) if dataset != "xor" else make(samples, noise=0.1, seed=seed)
    regression = dataset == "returns"
    nout = 1 if regression else int(y.max()) + 1
    train_data, val_data = datasets.train_val_split(X, y, val_fraction=0.2, seed=seed,
                                                    stratify=not regression)
    model = _train_model(engine, X.shape[1], hidden, nout, activation, seed)
    if regression:
        loss_fn = nn.huber_loss if engine == "scalar" else nn.HuberLoss()
    else:
        loss_fn = nn.cross_entropy if engine == "scalar" else nn.CrossEntropyLoss()
    lr = _TRAIN_LR[optimizer_name] if lr is None else lr
    params = model.parameters()
    optimizer = (nn.optim.Adam(params, lr=lr) if optimizer_name == "adam" else
                 nn.optim.SGD(params, lr=lr, momentum=0.9 if optimizer_name == "momentum" else 0))
    monitor = nn.GradientMonitor()
    folder = _folder(out_dir)
    _out(f"training a {engine} MLP {X.shape[1]} -> {' -> '.join(map(str, hidden))} -> "
               f"{nout} ({activation}) on {dataset}: {len(train_data[1])} train / "
               f"{len(val_data[1])} validation samples, {optimizer_name} lr={lr:g}")
    with np.errstate(all="ignore"):          # a blow-up is reported once, by NaNGuard
        history = nn.fit(model, loss_fn, optimizer, train_data, val_data, epochs=epochs,
                         batch_size=batch_size, callbacks=[monitor, nn.NaNGuard(verbose=False)],
                         progress=not no_progress, seed=seed)
    metrics = ["loss"] if regression else ["loss", "accuracy"]
    with np.errstate(all="ignore"):
        figures = []
        if len(history):
            figures.append(("curves.png", viz.plot_learning_curves(history, metrics)))
            figures.append(("gradient_flow.png", viz.plot_gradient_flow(monitor)))
        if X.shape[1] == 2 and not regression:
            figures.append(("decision_boundary.png", viz.plot_decision_boundary(
                model, X, y, split="train + validation")))
        for name, fig in figures:
            _write(name, folder / name, lambda: fig.savefig(folder / name, dpi=110))
    _write("the weights", folder / "model.npz", lambda: model.save(str(folder / "model.npz")))
    if not len(history):
        raise click.ClickException(f"training failed: {history.stop_reason}")
    last = {k: v[-1] for k, v in history.metrics.items()}
    line = f"epoch {history.epochs[-1]}: loss {last['loss']:.4g}"
    if "accuracy" in last:
        line += f", accuracy {last['accuracy']:.1%}"
    line += f" | val loss {last['val_loss']:.4g}"
    if "val_accuracy" in last:
        line += f", val accuracy {last['val_accuracy']:.1%}"
    if history.best_epoch is not None:
        line += f" | best epoch {history.best_epoch}"
    _out(line)
    for layer, verdict in monitor.flagged.items():
        _out(f"warning: {layer} gradients are {verdict} (see gradient_flow.png)")
    if history.stop_reason:
        raise click.ClickException(f"training diverged: {history.stop_reason}")


if __name__ == "__main__":
    main()
