"""Speed, second round (issue 11): every engine against its floor, interleaved in one process.

Scalar: micrograd's demo step (100 two-moons points, SVM loss + L2, SGD; `bench_scalar.py`)
for growing MLPs 2-16-16-1, 2-32-32-1, 2-64-64-1 and 8-64-64-1 (the 8-input one reads each
point four times), micrograd 0.1.0 vs glassgrad fused (default) vs per-op graph, same
starting weights; reported: s/step, speed-up, the per-op graph's node count and its cost
per node (ns), which must stay flat as the graph grows.

Tensor: one float32 training step (forward, cross-entropy, zero_grad, backward, Adam
lr=1e-3) of an MLP with ReLU, for 20 layers × 64 at batch 64 and 784-256-128-10 at batch
32, 256 and 2048, by three engines: glassgrad (`linear`, `relu`, `logsumexp`,
`nn.optim.Adam`), the hand-written NumPy floor (the same math with no autodiff engine:
forward, explicit backward written into one flat gradient buffer, Adam as one pass over
flat buffers; same BLAS) and PyTorch with `Adam(fused=True)`.

Rounds alternate the engines so all see the same machine load; figures are medians. BLAS
and PyTorch both run `--threads` threads (default 1: in one process two thread pools spin
against each other on a small machine).

Run: .venv/bin/python benchmarks/bench_speed.py [--quick] [--threads N] [--engine DIR]
`--engine DIR` times the glassgrad found in DIR (e.g. an export of an older commit: `git
archive 4fa3c58 | tar -x -C /tmp/before`), so before/after figures come from one script.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path


def _setup() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, fewer rounds")
    ap.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads")
    ap.add_argument("--engine", type=Path, help="glassgrad source tree to time")
    ap.add_argument("--rounds", type=int, default=3, help="tensor rounds")
    ap.add_argument("--scalar-rounds", type=int, default=2)
    args = ap.parse_args()
    # Read by OpenBLAS when NumPy loads: set before anything imports NumPy.
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(args.threads)
    here = Path(__file__).resolve().parent
    engine = (args.engine or here.parent).resolve()
    # The engine first, so the benchmark helpers (which put this checkout on the path) get it.
    sys.path.insert(0, str(engine))
    import autograd  # noqa: F401
    import nn  # noqa: F401
    sys.path.insert(1, str(here))
    args.engine = engine
    return args


ARGS = _setup()

import numpy as np  # noqa: E402

import bench_scalar  # noqa: E402
import bench_tensor  # noqa: E402
from autograd import Value, topological_order  # noqa: E402

SCALAR_SIZES = [(2, (16, 16, 1)), (2, (32, 32, 1)), (2, (64, 64, 1)), (8, (64, 64, 1))]
TENSOR_CASES = [("20 layers × 64, batch 64", [64] * 21, 64),
                ("784-256-128-10, batch 32", [784, 256, 128, 10], 32),
                ("784-256-128-10, batch 256", [784, 256, 128, 10], 256),
                ("784-256-128-10, batch 2048", [784, 256, 128, 10], 2048)]
ENGINES = ("micrograd", "glassgrad (fused, default)", "glassgrad (per-op graph)")


# ---------------------------------------------------------------- scalar

def scalar_case(nin: int, nouts: tuple, rounds: int) -> dict:
    # micrograd's backward recurses once per node of its longest path (the L2 sum over
    # every parameter): bigger models need a deeper stack than Python's default 1,000.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    X, y = bench_scalar.moons()
    X = [row * (nin // 2) for row in X]
    models = bench_scalar.make_models(nin, nouts)
    classes = {"micrograd": bench_scalar.mg_engine.Value}
    step_no = dict.fromkeys(ENGINES, 0)
    times: dict = {name: [] for name in ENGINES}

    def step(name: str) -> float:
        t = time.perf_counter()
        bench_scalar.demo_step(classes.get(name, Value), models[name], X, y, step_no[name])
        step_no[name] += 1
        return time.perf_counter() - t

    for _ in range(rounds):
        for name in ENGINES:
            # Untimed: collect the other engines' garbage (micrograd's graphs are cycles only
            # the collector frees), then one step whose garbage the timed steps meet; then
            # three timed steps in a row, as in a steady run of this engine alone (one
            # micrograd step alone would catch or miss a full collection by chance).
            gc.collect()
            step(name)
            times[name] += [step(name) for _ in range(3)]
    nodes = len(topological_order(bench_scalar.demo_loss(Value, models[ENGINES[2]], X, y)))
    return {name: statistics.median(ts) for name, ts in times.items()} | {"nodes": nodes}


def scalar_table(rounds: int, sizes: list) -> None:
    print(f"\nScalar: micrograd's demo step, 100 points; median s/step over {rounds} "
          f"interleaved rounds")
    print(f"{'MLP':>10} {'micrograd':>10} {'fused':>9} {'×':>6} {'per-op':>9} {'×':>6} "
          f"{'nodes':>8} {'ns/node':>8} {'micrograd ns/node':>18}")
    for nin, nouts in sizes:
        r = scalar_case(nin, nouts, rounds)
        mg, fused, per_op, n = (r[ENGINES[0]], r[ENGINES[1]], r[ENGINES[2]], r["nodes"])
        label = "-".join(map(str, (nin, *nouts)))
        print(f"{label:>10} {mg:10.3f} {fused:9.4f} {mg / fused:5.1f}× {per_op:9.4f} "
              f"{mg / per_op:5.1f}× {n:8,d} {per_op / n * 1e9:8.0f} {mg / n * 1e9:18.0f}",
              flush=True)


# ---------------------------------------------------------------- tensor: the NumPy floor

class NumpyFloor:
    """The step's math by hand: forward, explicit backward written straight into one flat
    gradient buffer, and Adam as one pass over flat buffers (the engine's own array update,
    run on one parameter that is the whole flat buffer: the same NumPy calls a hand-written
    one makes)."""

    def __init__(self, weights: list) -> None:
        from nn import Parameter
        from nn.optim import Adam
        shapes = [a.shape for wb in weights for a in wb]
        sizes = [int(np.prod(s)) for s in shapes]
        self.flat = Parameter(np.concatenate([a.ravel() for wb in weights for a in wb]))
        grad = np.zeros_like(self.flat.raw_data)
        self.flat.raw_grad = grad
        self.opt = Adam([self.flat], lr=1e-3)
        offsets = np.cumsum([0] + sizes)
        views = [(self.flat.raw_data[a:b].reshape(s), grad[a:b].reshape(s))
                 for a, b, s in zip(offsets[:-1], offsets[1:], shapes)]
        self.layers = [(views[i][0], views[i + 1][0], views[i][1], views[i + 1][1])
                       for i in range(0, len(views), 2)]

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        acts = [x]
        last = len(self.layers) - 1
        for i, (w, b, _, _) in enumerate(self.layers):
            z = acts[-1] @ w.T
            z += b
            if i < last:
                np.maximum(z, 0, out=z)
            acts.append(z)
        z = acts[-1]
        rows = np.arange(len(y))
        top = z.max(axis=1, keepdims=True)
        e = np.exp(z - top)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) + top[:, 0] - z[rows, y]))
        dz = e
        dz /= total
        dz[rows, y] -= 1
        dz /= len(y)
        for i in range(last, -1, -1):
            w, _, gw, gb = self.layers[i]
            np.matmul(dz.T, acts[i], out=gw)
            np.sum(dz, axis=0, out=gb)
            if i:
                dh = dz @ w
                dh *= acts[i] > 0
                dz = dh
        self.opt.step()
        return loss


def _engine_step(side: object, batches: list) -> object:
    """One training step of a bench_tensor side (glassgrad's or PyTorch's) on batch i."""
    def step(i: int) -> float:
        x, y = batches[i % len(batches)]
        loss = side.loss(x, y)
        side.backward(loss)
        side.opt.step()
        return loss.item()
    return step


def tensor_case(sizes: list, batch: int, rounds: int, steps: int, with_torch: bool) -> dict:
    weights, xs, ys, _ = bench_tensor.make_data(sizes, batch, False)
    ours = bench_tensor.Ours(weights, False)
    floor = NumpyFloor([(w.copy(), b.copy()) for w, b in weights])
    runners = {"glassgrad": _engine_step(ours, [ours.wrap(x, y) for x, y in zip(xs, ys)]),
               "NumPy floor": lambda i: floor.step(xs[i % len(xs)], ys[i % len(ys)])}
    if with_torch:
        side = bench_tensor.Torch(weights, False, fused=True)
        runners["PyTorch, fused Adam"] = _engine_step(side, [side.wrap(x, y)
                                                             for x, y in zip(xs, ys)])
    losses = {name: [run(i) for i in range(2 * len(xs))] for name, run in runners.items()}
    times: dict = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            per = []
            for i in range(steps):
                t = time.perf_counter()
                run(i)
                per.append(time.perf_counter() - t)
            times[name].append(statistics.median(per))
    out = {name: 1e3 * statistics.median(ts) for name, ts in times.items()}
    # The same 16 steps from the same start: every engine must reach the same loss.
    out["loss diff"] = max(abs(ls[-1] - losses["glassgrad"][-1]) for ls in losses.values())
    return out


def tensor_table(rounds: int, cases: list) -> None:
    try:
        import torch
        torch.set_num_threads(ARGS.threads)
        with_torch = True
        torch_note = f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        with_torch, torch_note = False, "PyTorch not installed"
    print(f"\nTensor: one float32 step, ms (median of {rounds} interleaved rounds); "
          f"OpenBLAS threads {bench_tensor._openblas_threads()}; {torch_note}")
    print(f"{'case':28} {'glassgrad':>10} {'NumPy floor':>12} {'÷ floor':>8} "
          f"{'PyTorch fused':>14} {'÷ PyTorch':>10} {'loss diff':>10}")
    for label, sizes, batch in cases:
        steps = 10 if batch >= 2048 else 60
        r = tensor_case(sizes, batch, rounds, steps, with_torch)
        ours, floor = r["glassgrad"], r["NumPy floor"]
        torch_ms = r.get("PyTorch, fused Adam")
        tail = f"{torch_ms:14.2f} {ours / torch_ms:9.2f}×" if torch_ms else f"{'-':>14} {'-':>10}"
        print(f"{label:28} {ours:10.2f} {floor:12.2f} {ours / floor:7.2f}× {tail} "
              f"{r['loss diff']:10.1e}", flush=True)


def main() -> None:
    import platform
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    print(f"engine: {ARGS.engine}; CPU {cpu}, {os.cpu_count()} cores; Python "
          f"{platform.python_version()}, NumPy {np.__version__}")
    if ARGS.quick:
        scalar_table(1, SCALAR_SIZES[:2])
        tensor_table(2, TENSOR_CASES[:3])
    else:
        scalar_table(ARGS.scalar_rounds, SCALAR_SIZES)
        tensor_table(ARGS.rounds, TENSOR_CASES)


if __name__ == "__main__":
    main()
