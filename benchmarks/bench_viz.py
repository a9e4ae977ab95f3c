"""The visualizer: time to draw (DOT text) and render (SVG) big graphs.

Targets (issue 4): a 2,000-node graph drawn in full and rendered to SVG in <= 2 s; a
50,000-node MLP graph auto-collapsed and rendered in <= 10 s. Graphs are micrograd-style
per-op MLPs (one node per ×, + and activation) from `nn.MLP(..., fused=False)`, rendered by
the renderer glassgrad finds (graphviz-pure from the wheel when no system `dot`).
Reported: median of `--repeat` runs, split into draw (Python) and render (graphviz).

    python benchmarks/bench_viz.py [--repeat 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nn  # noqa: E402
import viz  # noqa: E402
from autograd import Value, topological_order  # noqa: E402


def mlp_loss(nin: int, sizes: list) -> Value:
    model = nn.MLP(nin, sizes, seed=0, fused=False)
    out = model([0.1 * (i + 1) for i in range(nin)])
    loss = (out - 1.0) ** 2
    loss.backward()
    return loss


def chain(n: int) -> Value:
    x = Value(0.5, label="x")
    y = x
    for _ in range(n // 4):
        y = y * 0.999 + 0.001
    y.backward()
    return y


def timed(root: Value, repeat: int, **options: object) -> dict:
    draws, renders, total = [], [], []
    info: dict = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        d = viz.draw(root, **options)
        t1 = time.perf_counter()
        d.render("svg")
        t2 = time.perf_counter()
        draws.append(t1 - t0)
        renders.append(t2 - t1)
        total.append(t2 - t0)
        info = d.info
    return {"nodes": info["nodes"], "drawn": info["drawn"], "collapse": info["collapse"],
            "draw_s": statistics.median(draws), "render_s": statistics.median(renders),
            "total_s": statistics.median(total)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(f"renderer: {viz.find_renderer()}")
    cases = []
    small = mlp_loss(8, [22, 22, 1])
    n_small = len(topological_order(small))
    cases.append((f"{n_small:,}-node MLP(8,[22,22,1]) in full (max_nodes=5000)", 2.0,
                  timed(small, args.repeat, max_nodes=5000)))
    cases.append((f"{n_small:,}-node MLP(8,[22,22,1]), default (auto-collapse)", 2.0,
                  timed(small, args.repeat)))
    big = mlp_loss(16, [128, 128, 1])
    n_big = len(topological_order(big))
    cases.append((f"{n_big:,}-node MLP(16,[128,128,1]), default (auto-collapse)", 10.0,
                  timed(big, args.repeat)))
    cases.append(("neuron view of it (collapse=1, max_nodes=400)", 10.0,
                  timed(big, args.repeat, collapse=1, max_nodes=400)))
    line = chain(50_000)
    cases.append(("50,001-node chain without modules (cut to max_nodes)", 10.0,
                  timed(line, args.repeat)))
    print(f"\n{'case':62} {'drawn':>6} {'draw s':>7} {'render s':>8} {'total s':>8}  target")
    ok = True
    for name, target, r in cases:
        passed = r["total_s"] <= target
        ok &= passed
        print(f"{name:62} {r['drawn']:>6} {r['draw_s']:7.3f} {r['render_s']:8.3f} "
              f"{r['total_s']:8.3f}  <= {target:g} s {'ok' if passed else 'MISSED'}")
    if args.json:
        args.json.write_text(json.dumps([{"case": n, "target_s": t, **r} for n, t, r in cases],
                                        indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
