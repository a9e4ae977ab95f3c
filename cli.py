"""The `glassgrad` command: render, differentiate and check small expressions at the shell."""
from __future__ import annotations

import click

import autograd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(autograd.__version__, prog_name="glassgrad")
def main() -> None:
    """glassgrad: see backpropagation, node by node."""


@main.command()
def demo() -> None:
    """A one-neuron tour: forward values, then every gradient."""
    from autograd import Value

    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    click.echo("o = tanh(x1*w1 + x2*w2 + b)")
    for v in (x1, x2, w1, w2, b, n, o):
        click.echo(f"  {v.label:>3}  data={v.data:+.4f}  grad={v.grad:+.4f}")


if __name__ == "__main__":
    main()
