"""Where a step's time goes (issue 11): the phases of micrograd's demo step, and two parts.

1. micrograd's demo step (`bench_scalar.py`: MLP 2-16-16-1, 100 points), per-op graph and
   fused, cut into phases: forward (the model over every point), loss (the SVM and L2
   lines, where the collector used to rescan the new graph), the traversal alone
   (`topological_order` of the loss, timed apart), backward (which includes its own
   traversal), the SGD update, and freeing the graph. Median ms over 6 steps after 2.
2. `Module.parameters()` of that MLP (337 parameters), µs per call.
3. `nn.optim.Adam.step()` for 20 layers × 64 (40 float32 parameters), ms per call.

Run: .venv/bin/python benchmarks/bench_parts.py [--engine DIR]
(`--engine DIR` times the glassgrad in DIR, e.g. an export of an older commit.)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent


def phases(nn: object, Value: type, topological_order: object, fused: bool) -> dict:
    import bench_scalar
    X, y = bench_scalar.moons()
    model = nn.MLP(2, [16, 16, 1], fused=fused, seed=0)
    out: dict = {}
    for k in range(8):
        marks = [time.perf_counter()]
        scores = [model(list(map(Value, row))) for row in X]
        marks.append(time.perf_counter())
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = (sum(losses) * (1.0 / len(losses))
                 + 1e-4 * sum(p * p for p in model.parameters()))
        marks.append(time.perf_counter())
        topological_order(total)
        marks.append(time.perf_counter())
        model.zero_grad()
        total.backward()
        marks.append(time.perf_counter())
        for p in model.parameters():
            p.data -= 0.1 * p.grad
        marks.append(time.perf_counter())
        del total, losses, scores
        marks.append(time.perf_counter())
        if k >= 2:
            for name, a, b in zip(("forward", "loss", "traversal", "backward", "update",
                                   "free"), marks, marks[1:]):
                out.setdefault(name, []).append(1e3 * (b - a))
            out.setdefault("step", []).append(1e3 * (marks[-1] - marks[0]))
    return {name: statistics.median(v) for name, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", type=Path, help="glassgrad source tree to time")
    args = ap.parse_args()
    engine = (args.engine or HERE.parent).resolve()
    sys.path.insert(0, str(engine))
    import numpy as np

    import nn
    from autograd import Tensor, Value, topological_order
    from nn.optim import Adam
    sys.path.insert(1, str(HERE))
    print(f"engine: {engine}")
    for fused in (False, True):
        r = phases(nn, Value, topological_order, fused)
        print(f"demo step, {'fused' if fused else 'per-op graph'} (ms): "
              + ", ".join(f"{k} {v:.1f}" for k, v in r.items()), flush=True)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    per_call = min(timeit.repeat(model.parameters, number=200, repeat=5)) / 200
    print(f"Module.parameters(), 337 parameters: {per_call * 1e6:.1f} µs")
    rng = np.random.default_rng(0)
    params = [Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
              for _ in range(20) for shape in ((64, 64), (64,))]
    opt = Adam(params, lr=1e-3)
    for p in params:
        p.grad = Tensor(rng.standard_normal(p.shape).astype(np.float32))
    opt.step()
    per_step = min(timeit.repeat(opt.step, number=100, repeat=5)) / 100
    print(f"Adam.step(), 20 layers × 64 (40 float32 parameters): {per_step * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
