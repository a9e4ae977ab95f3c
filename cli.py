"""The `glassgrad` command: render, differentiate and check small expressions at the shell.

    glassgrad render "tanh(x*w + b)" --at x=2,w=-3,b=6.88 -o neuron.svg
    glassgrad grad "x**2*y" --at x=3,y=2 --order 2 --json
    glassgrad check "relu(x) * sin(x)" --at x=0.5

Every error is one line on stderr (a syntax error adds the text and a caret under it);
usage errors exit 2, evaluation errors exit 1. Expressions are parsed by
`autograd.expression`, never eval'd.
"""
from __future__ import annotations

import contextlib
import difflib
import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import click

import autograd
from autograd.expression import ExpressionError, Program, evaluate, gradient_errors, parse

FORMATS = ("svg", "png", "pdf", "dot")
# Same defaults as autograd.gradcheck.
EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3


# ---------------------------------------------------------------- one-line errors

class _Group(click.Group):
    """Shows every error as one line (no usage block) and turns anything unexpected into a
    one-line 'internal error' instead of a traceback."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as err:
            err.ctx = None
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as err:
            hint = ""
            if err.option_name.startswith("-") and not err.option_name.startswith("--"):
                hint = (" (an EXPR that starts with '-' needs a space in front, like "
                        "' -x**2', or '--' before it)")
            raise _UsageError(err.format_message() + hint) from None
        except click.UsageError as err:
            err.ctx = None          # show() then prints just "Error: ..."
            raise
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`glassgrad grad ... | head -1`): not an error of ours.
            # Point stdout at devnull so the interpreter's final flush stays quiet too.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(1) from None
        except Exception as err:  # noqa: BLE001 - the catch-all the contract asks for
            detail = " ".join(str(err).split())[:200]
            raise click.ClickException(f"internal error: {type(err).__name__}: {detail} "
                                       f"(please report this)") from None


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
                self.fail(f"expected NAME=VALUE, got {item.strip()!r} (example: --at x=2,y=-0.5)",
                          param, ctx)
            if not _is_variable_name(name):
                self.fail(f"{name!r} is not a variable name (in {item.strip()!r})", param, ctx)
            if not text.strip():
                self.fail(f"{name}= needs a value (example: {name}=1.5)", param, ctx)
            try:
                number = _constant(text)
            except ExpressionError as err:
                self.fail(f"{name}={text.strip()}: {err}", param, ctx)
            if not math.isfinite(number):
                self.fail(f"{name}={text.strip()} is {number}, not a finite number", param, ctx)
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
                raise click.BadParameter(f"{name} is given twice ({name}={env[name]:g} and "
                                         f"{name}={number:g})", param_hint="'--at'")
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
            needs = ",".join(f"{v}=..." for v in program.variables)
            close = [f"{u} -> {m}?" for u in unused for m in missing if _close(u, m)]
            hint = f" (did you mean: {', '.join(close)})" if close else ""
            raise click.BadParameter(f"no value for {', '.join(missing)}: this expression "
                                     f"needs --at {needs}{hint}", param_hint="'--at'")
        for name in unused:
            why = "it is computed by the expression" if name in program.names else \
                "the expression does not use it"
            click.echo(f"warning: --at {name} is ignored: {why}", err=True)
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
      glassgrad demo
    """


def _outfile(path: str) -> Tuple[Path, str]:
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        shown = f"'{p.suffix}'" if p.suffix else "no extension"
        raise click.BadParameter(f"unknown format {shown} in {path!r}: use a name ending in "
                                 f"{', '.join('.' + f for f in FORMATS)}", param_hint="'-o'")
    return p, fmt


def _steps_target(steps: Optional[str]) -> Optional[str]:
    if steps is not None and Path(steps).suffix.lower() in tuple("." + f for f in FORMATS):
        raise click.BadParameter(f"{steps!r}: give a folder (numbered frames) or a .html "
                                 f"file (one page)", param_hint="'--steps'")
    return steps


def _write(what: str, path: Any, save: Any) -> None:
    viz = _viz()
    try:
        save()
    except OSError as err:
        reason = err.strerror or str(err)
        raise click.ClickException(f"cannot write {what} {path}: {reason}") from None
    except (viz.RenderError, viz.RendererNotFound) as err:
        # graphviz's own message may span lines: keep the error on one line.
        reason = " ".join(str(err).split())
        raise click.ClickException(f"cannot render {what} {path}: {reason}") from None
    click.echo(f"wrote {path}")


@main.command(cls=click.Command)
@click.argument("expr", metavar="EXPR")
@AT_OPTION
@click.option("-o", "--output", "output", default="graph.svg", show_default=True,
              metavar="FILE",
              help="The drawing; the extension picks the format: .svg .png .pdf .dot")
@click.option("--rankdir", type=click.Choice(["LR", "TB"], case_sensitive=False),
              default="LR", show_default=True, metavar="[LR|TB]", help="Draw left-to-right or top-to-bottom.")
@click.option("--no-grad", is_flag=True, help="Forward only: no backprop, no gradients.")
@click.option("--edges/--no-edges", default=True, show_default=True,
              help="Label each edge with its local derivative.")
@click.option("--steps", metavar="DIR|PAGE.html", default=None,
              help="Also draw backprop step by step: numbered frames in DIR, or one .html page.")
def render(expr: str, at: Sequence, output: str, rankdir: str, no_grad: bool, edges: bool,
           steps: Optional[str]) -> None:
    """Draw the graph of EXPR with every value and gradient.

    \b
    Examples:
      glassgrad render "tanh(x1*w1 + x2*w2 + b)" \\
          --at x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432
      glassgrad render "h = x*w + b; y = tanh(h)" --at x=2 --at w=-3,b=1 -o n.png
      glassgrad render "exp(-x**2/2)" --at x=0.5 --rankdir TB --no-edges -o g.pdf
      glassgrad render "sigmoid(a*b)" --at a=1,b=2 --steps steps.html

    \b
    The drawing goes to graph.svg unless -o says otherwise. An EXPR starting
    with '-' needs a space in front: " -x**2".
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
    drawing = viz.draw(run.output, rankdir=rankdir.upper(), show_grad=not no_grad,
                       edge_labels=edges)
    _write("the drawing", path, lambda: drawing.save(str(path), format=fmt))
    if steps:
        try:
            frames = viz.backward_steps(run.output)
        except ValueError as err:         # more nodes than frames it will make
            raise click.ClickException(f"cannot draw the steps: {err}") from None
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
    click.echo(f"{run.name} = {_num(run.output.data)}")
    if not run.variables:
        return
    header = ["variable", "value"] + ([f"d{run.name}/dvariable"] if with_grad else [])
    rows = [[v, _num(run.leaves[v].data)] + ([_num(run.leaves[v].grad)] if with_grad else [])
            for v in run.variables]
    click.echo(_table(header, rows))


@main.command()
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
    inf and nan are written as the strings "inf", "-inf", "nan".
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
        click.echo(json.dumps(doc, allow_nan=False))
        return
    f = run.name
    click.echo(f"{f} = {_num(run.output.data)}" + (f"  at {run.at_text()}" if run.variables else ""))
    for v, g in gradient.items():
        click.echo(f"d{f}/d{v} = {_num(g)}")
    if hessian is not None and run.variables:
        click.echo(f"Hessian (row a, column b: d2{f}/da db):")
        click.echo(_table([""] + list(run.variables),
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
    click.echo(f"{run.name} = {_num(run.output.data)}" +
               (f"  at {run.at_text()}" if run.variables else ""))
    if run.variables:
        click.echo(_table(["variable", "backprop", "central diff", "|difference|", "ok"], rows))
    settings = f"eps={eps:g}, atol={atol:g}, rtol={rtol:g}"
    if failures:
        raise click.ClickException(f"gradient check FAILED ({settings}): " + "; ".join(failures))
    click.echo(f"OK: backprop matches central differences for {len(run.variables)} "
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
@click.option("--out", "out_dir", default="demo_out", show_default=True,
              help="Where the drawings go.")
def demo(out_dir: str) -> None:
    """A one-neuron tour: forward values, then every gradient, then the drawings.

    \b
    Example:
      glassgrad demo            # writes demo_out/neuron.svg and demo_out/steps.html
    """
    o = lecture_neuron(backward=True)
    click.echo("o = tanh(x1*w1 + x2*w2 + b)")
    for v in autograd.topological_order(o):
        if not v.label:
            continue
        click.echo(f"  {v.label:>3}  data={v.data:+.4f}  grad={v.grad:+.4f}")
    viz = _viz()
    folder = _folder(out_dir)
    drawing = viz.draw(o)
    _write("the drawing", folder / "neuron.svg",
           lambda: drawing.save(str(folder / "neuron.svg"), format="svg"))
    frames = viz.backward_steps(o)
    _write("the steps", folder / "steps.html", lambda: frames.save(str(folder / "steps.html")))


# ---------------------------------------------------------------- train (nn.fit on a toy dataset)

_TRAIN_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 0.01}


def _train_hidden(ctx: Any, param: Any, value: str) -> List[int]:
    try:
        sizes = [int(part) for part in value.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(s < 1 for s in sizes):
        raise click.BadParameter(f"{value!r}: give layer widths as positive integers "
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
@click.argument("dataset", type=click.Choice(["xor", "moons", "circles", "spirals", "blobs",
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
@click.option("-o", "--out", "out_dir", default="train_out", show_default=True, metavar="DIR",
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
    click.echo(f"training a {engine} MLP {X.shape[1]} -> {' -> '.join(map(str, hidden))} -> "
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
            figures.append(("decision_boundary.png", viz.plot_decision_boundary(model, X, y)))
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
    click.echo(line)
    for layer, verdict in monitor.flagged.items():
        click.echo(f"warning: {layer} gradients are {verdict} (see gradient_flow.png)")
    if history.stop_reason:
        raise click.ClickException(f"training diverged: {history.stop_reason}")


if __name__ == "__main__":
    main()
