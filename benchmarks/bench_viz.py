"""The visualizer: time to draw (DOT text) and render (SVG), per graph shape and renderer.

Two sets of cases:

- `adversarial` (issue 10): every shape that used to stall graphviz — a node with a huge
  fan-out (one variable multiplied or added to itself many times, Horner polynomials, a
  leaf shared by a hundred ops, an interior node reused everywhere, leaves reused in a long
  chain, a random DAG with long edges), wide fan-in, deep chains, scalar MLP graphs and
  tensor graphs. Each is drawn with `viz.draw`'s defaults (at most `max_nodes=300` drawn) and
  rendered by every renderer present: the system `dot` and `graphviz-pure`. Target: <= 2 s
  per drawing (draw + render) for every shape and renderer.
- `big` (issue 4): a 2,000-node graph drawn in full <= 2 s; a 50,000-node MLP graph
  auto-collapsed <= 10 s.
- `steps` (issue 10): the backward-steps page of small per-op MLPs: its size (target
  <= 200 KB for 100 nodes, 200 KB per 100 nodes above) and the time to make and write it
  (target < 1 s), with the renderer glassgrad picks (GLASSGRAD_DOT chooses another).

Reported: median of `--repeat` runs; a render that runs past `--cap` seconds is stopped and
shown as "> cap".

    python benchmarks/bench_viz.py [--set adversarial|big|steps|all] [--repeat 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nn  # noqa: E402
import viz  # noqa: E402
from autograd import Tensor, Value, topological_order  # noqa: E402
from cli import lecture_neuron  # noqa: E402
from autograd.expression import evaluate, parse  # noqa: E402
from viz import render  # noqa: E402


# ---------------------------------------------------------------- graph shapes

def expression(text: str, **at: float) -> Value:
    """A graph exactly as `glassgrad render` builds it from an expression."""
    out, _ = evaluate(parse(text), at)
    return out


def product_of_x(n: int) -> Value:
    return expression("*".join(["x"] * n), x=1.01)


def sum_of_x(n: int) -> Value:
    return expression("+".join(["x"] * n), x=0.5)


def horner(n: int) -> Value:
    """1 + x*(2 + x*(3 + ... x*(n))): the variable feeds every level."""
    text = "1"
    for k in range(n, 0, -1):
        text = f"{k} + x*({text})"
    return expression(text, x=0.9)


def shared_leaf(n: int) -> Value:
    """One leaf feeding n multiplications whose results are summed."""
    x = Value(0.5, label="x")
    total = x * 1.0
    for k in range(2, n + 1):
        total = total + x * float(k)
    return total


def shared_interior(n: int) -> Value:
    """h = tanh(x*w) reused by a chain of n products."""
    x, w = Value(0.8, label="x"), Value(0.9, label="w")
    h = (x * w).tanh()
    h.label = "h"
    y = h
    for _ in range(n - 1):
        y = y * h
    return y


def interleaved_leaves(leaves: int, steps: int) -> Value:
    """A chain that multiplies in `leaves` variables round-robin: many long edges."""
    xs = [Value(1.0 + 0.001 * k, label=f"x{k}") for k in range(leaves)]
    y = xs[0]
    for k in range(1, steps):
        y = y * xs[k % leaves]
    return y


def random_dag(n: int, seed: int = 0) -> Value:
    """Each new node combines the previous one with a random earlier node: every node is
    drawn, and long edges go everywhere."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(0.5, 1.5), label=f"a{k}") for k in range(8)]
    while len(nodes) < n:
        a, b = nodes[-1], rng.choice(nodes)
        nodes.append((a * b).tanh() if rng.random() < 0.5 else a + b)
    return nodes[-1]


def star(n: int) -> Value:
    """One leaf feeding n parallel ops, summed by a balanced tree (short, wide edges)."""
    x = Value(0.5, label="x")
    level = [x * float(k) for k in range(1, n + 1)]
    while len(level) > 1:
        level = [level[k] + level[k + 1] if k + 1 < len(level) else level[k]
                 for k in range(0, len(level), 2)]
    return level[0]


def wide_fan_in(nin: int) -> Value:
    """One fused neuron with `nin` inputs: a node with 2*nin + 1 parents."""
    model = nn.Neuron(nin, activation="tanh", seed=0)
    return model([Value(0.01 * k, label=f"x{k}") for k in range(nin)])


def dense_layers(width: int, depth: int) -> Value:
    """Fused neurons called outside any module (no clusters to fold): every node of a layer
    feeds every node of the next, `width` x `width` edges per layer pair."""
    layers = [nn.Layer(width, width, activation="tanh", seed=k) for k in range(depth)]
    h = [Value(0.1 * k, label=f"x{k}") for k in range(width)]
    for layer in layers:
        h = [neuron.forward(h) for neuron in layer.neurons]
    return sum(h[1:], h[0])


def chain(n: int) -> Value:
    x = Value(0.5, label="x")
    y = x
    for _ in range(n // 4):
        y = y * 0.999 + 0.001
    return y


def mlp_loss(nin: int, sizes: list) -> Value:
    model = nn.MLP(nin, sizes, seed=0, fused=False)
    out = model([0.1 * (i + 1) for i in range(nin)])
    return (out - 1.0) ** 2


def tensor_mlp(batch: int, widths: list) -> Tensor:
    rng = __import__("numpy").random.default_rng(0)
    layers: List[Any] = []
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), nn.Tanh()]
    model = nn.Sequential(*layers[:-1])
    x = Tensor(rng.normal(size=(batch, widths[0])).astype("float32"))
    return ((model(x) - 1.0) ** 2).mean()


def tensor_reuse(n: int) -> Tensor:
    """One tensor multiplied into a chain n times (tensor fan-out)."""
    x = Tensor([[0.9, 1.1], [1.0, 1.05]], requires_grad=True)
    y = x
    for _ in range(n - 1):
        y = y * x
    return y.sum()


ADVERSARIAL: List[Tuple[str, Callable[[], Any]]] = [
    ("x*x*...*x, 45 factors", lambda: product_of_x(45)),
    ("x*x*...*x, 60 factors", lambda: product_of_x(60)),
    ("x*x*...*x, 300 factors", lambda: product_of_x(300)),
    ("x+x+...+x, 60 terms", lambda: sum_of_x(60)),
    ("x+x+...+x, 300 terms", lambda: sum_of_x(300)),
    ("Horner polynomial, 14 steps (edge labels)", lambda: horner(14)),
    ("Horner polynomial, 20 steps", lambda: horner(20)),
    ("Horner polynomial, 40 steps", lambda: horner(40)),
    ("Horner polynomial, 100 steps", lambda: horner(100)),
    ("one leaf shared by 100 ops, summed in a chain", lambda: shared_leaf(100)),
    ("one leaf shared by 25 ops, summed in a tree", lambda: star(25)),
    ("one leaf shared by 100 ops, summed in a tree", lambda: star(100)),
    ("one interior node reused 60 times", lambda: shared_interior(60)),
    ("30 leaves reused round-robin, 240 steps", lambda: interleaved_leaves(30, 240)),
    ("random DAG, 60 nodes", lambda: random_dag(60)),
    ("random DAG, 300 nodes", lambda: random_dag(300)),
    ("wide fan-in: one neuron, 149 inputs", lambda: wide_fan_in(149)),
    ("dense layers 12 wide, no modules (cut)", lambda: dense_layers(12, 6)),
    ("deep chain, 300 nodes", lambda: chain(300)),
    ("scalar MLP(3,[4,4,1]) per-op", lambda: mlp_loss(3, [4, 4, 1])),
    ("scalar MLP(2,[16,16,1]) per-op (auto-collapse)", lambda: mlp_loss(2, [16, 16, 1])),
    ("tensor MLP 4-32-32-1, batch 16", lambda: tensor_mlp(16, [4, 32, 32, 1])),
    ("tensor reused 60 times", lambda: tensor_reuse(60)),
]

BIG: List[Tuple[str, Callable[[], Any], Dict[str, Any], float]] = [
    ("MLP(8,[22,22,1]) in full (max_nodes=5000)", lambda: mlp_loss(8, [22, 22, 1]),
     {"max_nodes": 5000}, 2.0),
    ("MLP(8,[22,22,1]), default (auto-collapse)", lambda: mlp_loss(8, [22, 22, 1]), {}, 2.0),
    ("MLP(16,[128,128,1]), default (auto-collapse)", lambda: mlp_loss(16, [128, 128, 1]),
     {}, 10.0),
    ("neuron view of it (collapse=1, max_nodes=400)", lambda: mlp_loss(16, [128, 128, 1]),
     {"collapse": 1, "max_nodes": 400}, 10.0),
    ("50,001-node chain without modules (cut to max_nodes)", lambda: chain(50_000), {}, 10.0),
]


STEPS: List[Tuple[str, Callable[[], Any]]] = [
    ("lecture neuron", lecture_neuron),
    ("MLP(2,[4,4,1]) per-op loss", lambda: mlp_loss(2, [4, 4, 1])),
    ("MLP(3,[4,4,1]) per-op loss", lambda: mlp_loss(3, [4, 4, 1])),
]


# ---------------------------------------------------------------- timing

def renderers() -> Dict[str, str]:
    found = {}
    dot = shutil.which("dot")
    if dot:
        found["dot"] = dot
    pure = shutil.which("graphviz-pure") or render._beside_python("graphviz-pure")
    if pure:
        found["graphviz-pure"] = pure
    return found


def timed(root: Any, program: str, repeat: int, cap: float, **options: Any) -> Dict[str, Any]:
    draws, totals = [], []
    info: Dict[str, Any] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        d = viz.draw(root, **options)
        t1 = time.perf_counter()
        try:
            render.run(d.source, "svg", program, timeout=cap)
        except render.RenderTimeout:
            return {**d.info, "draw_s": t1 - t0, "total_s": None}
        draws.append(t1 - t0)
        totals.append(time.perf_counter() - t0)
        info = d.info
    return {**info, "draw_s": statistics.median(draws), "total_s": statistics.median(totals)}


def _seconds(r: Dict[str, Any], cap: float) -> str:
    return f"> {cap:g}" if r["total_s"] is None else f"{r['total_s']:.2f}"


def measure(make: Callable[[], Any], programs: Dict[str, str], repeat: int, cap: float,
            target: float, **options: Any) -> Tuple[Dict[str, Dict[str, Any]], Dict[str, Any], bool]:
    """Draw the graph `make()` builds (after backward) with every renderer: (results per
    renderer, the drawing's info, whether the slowest met `target` seconds)."""
    root = make()
    root.backward()
    results = {n: timed(root, p, repeat, cap, **options) for n, p in programs.items()}
    worst = max(r["total_s"] if r["total_s"] is not None else float("inf")
                for r in results.values())
    return results, next(iter(results.values())), worst <= target


def run_adversarial(programs: Dict[str, str], repeat: int, cap: float) -> Tuple[list, bool]:
    names = list(programs)
    print(f"\n{'shape':48} {'nodes':>6} {'boxes':>6} {'copies':>6} "
          + " ".join(f"{n + ' s':>15}" for n in names) + "  target <= 2 s")
    rows, ok = [], True
    for shape, make in ADVERSARIAL:
        results, info, passed = measure(make, programs, repeat, cap, 2.0)
        ok &= passed
        print(f"{shape:48} {info['nodes']:>6} {info['drawn']:>6} {info.get('copies', 0):>6} "
              + " ".join(f"{_seconds(results[n], cap):>15}" for n in names)
              + f"  {'ok' if passed else 'MISSED'}")
        rows.append({"shape": shape, "nodes": info["nodes"], "drawn": info["drawn"],
                     "copies": info.get("copies", 0),
                     "seconds": {n: r["total_s"] for n, r in results.items()}})
    return rows, ok


def run_big(programs: Dict[str, str], repeat: int, cap: float) -> Tuple[list, bool]:
    names = list(programs)
    print(f"\n{'case':56} {'drawn':>6} {'draw s':>7} "
          + " ".join(f"{n + ' s':>15}" for n in names) + "  target")
    rows, ok = [], True
    for case, make, options, target in BIG:
        results, info, passed = measure(make, programs, repeat, cap, target, **options)
        ok &= passed
        print(f"{case:56} {info['drawn']:>6} {info['draw_s']:7.3f} "
              + " ".join(f"{_seconds(results[n], cap):>15}" for n in names)
              + f"  <= {target:g} s {'ok' if passed else 'MISSED'}")
        rows.append({"case": case, "drawn": info["drawn"], "draw_s": info["draw_s"],
                     "target_s": target,
                     "seconds": {n: r["total_s"] for n, r in results.items()}})
    return rows, ok


def run_steps(repeat: int) -> Tuple[list, bool]:
    print(f"\n{'graph':32} {'nodes':>6} {'frames':>6} {'page KB':>8} {'KB/100 nodes':>12} "
          f"{'make+write s':>12}  targets <= 200 KB (per 100 nodes), < 1 s")
    rows, ok = [], True
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "steps.html"
        for name, make in STEPS:
            root = make()
            n = len(topological_order(root))
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                steps = viz.backward_steps(root)
                steps.save(page)
                times.append(time.perf_counter() - t0)
            size = page.stat().st_size
            seconds = statistics.median(times)
            per_100 = size / 1000 * 100 / n
            passed = size <= 200_000 * max(1.0, n / 100) and seconds < 1.0
            ok &= passed
            print(f"{name:32} {n:>6} {len(steps):>6} {size / 1000:>8.1f} {per_100:>12.1f} "
                  f"{seconds:>12.3f}  {'ok' if passed else 'MISSED'}")
            rows.append({"graph": name, "nodes": n, "frames": len(steps), "bytes": size,
                         "seconds": seconds})
    return rows, ok


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["adversarial", "big", "steps", "all"], default="all")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cap", type=float, default=60.0,
                        help="stop a render after this many seconds (reported as '> cap')")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    programs = renderers()
    if not programs:
        print("no graphviz renderer found (neither dot nor graphviz-pure)")
        return 1
    for name, path in programs.items():
        print(f"renderer {name}: {path}")
    report: Dict[str, Any] = {}
    ok = True
    if args.set in ("adversarial", "all"):
        report["adversarial"], passed = run_adversarial(programs, args.repeat, args.cap)
        ok &= passed
    if args.set in ("big", "all"):
        report["big"], passed = run_big(programs, args.repeat, args.cap)
        ok &= passed
    if args.set in ("steps", "all"):
        report["steps"], passed = run_steps(args.repeat)
        ok &= passed
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
