"""The one graph traversal (autograd/graph.py) per node, as per-op graphs grow (issue 11).

Builds the per-op graph of micrograd's demo loss (100 points) for MLPs 2-16-16-1 up to
8-64-64-1 and times `topological_order` on it and, apart, a `_seq` sort of the same nodes
handed over exactly newest-first (the sort's best case), both in ns per node, the collector
off, best of 3. The difference is the walk that finds the nodes, plus whatever extra work
the walk's order leaves to the sort.

Run: .venv/bin/python benchmarks/bench_graph_order.py
"""
from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(1, str(Path(__file__).resolve().parent))

import bench_scalar  # noqa: E402
import nn  # noqa: E402
from autograd import Value, topological_order  # noqa: E402
from autograd.graph import _by_seq  # noqa: E402

SIZES = [(2, (16, 16, 1)), (2, (32, 32, 1)), (2, (64, 64, 1)), (8, (64, 64, 1))]


def best(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    X, y = bench_scalar.moons()
    print(f"{'MLP':>10} {'nodes':>10} {'order ns/node':>14} {'of which sort':>14} "
          f"{'walk':>6}")
    gc.disable()
    try:
        for nin, nouts in SIZES:
            model = nn.MLP(nin, list(nouts), fused=False, seed=0)
            loss = bench_scalar.demo_loss(Value, model, [r * (nin // 2) for r in X], y)
            order = topological_order(loss)
            n = len(order)
            total = best(lambda: topological_order(loss))
            newest_first = order[::-1]
            sort = best(lambda: sorted(newest_first, key=_by_seq))
            label = "-".join(map(str, (nin, *nouts)))
            print(f"{label:>10} {n:10,d} {total / n * 1e9:14.0f} {sort / n * 1e9:14.0f} "
                  f"{(total - sort) / n * 1e9:6.0f}", flush=True)
            del loss, order, newest_first
    finally:
        gc.enable()


if __name__ == "__main__":
    main()
