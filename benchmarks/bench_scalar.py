"""Scalar engine vs micrograd 0.1.0, side by side in one process, on micrograd's own demo.

The demo: MLP(2, [16, 16, 1]), 100 two-moons points, SVM max-margin loss + 1e-4 L2, SGD with
lr = 1.0 - 0.9 k / 100, identical starting weights. Reported: seconds per training step
(median), peak traced memory of a few steps, the loss trajectory match, and the backward time
of a 1,000,000-node chain.

    python benchmarks/bench_scalar.py [--steps 8] [--json out.json]
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable, List

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import micrograd.engine as mg_engine  # noqa: E402
import micrograd.nn as mg_nn  # noqa: E402

import nn  # noqa: E402
from autograd import Value  # noqa: E402


def moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple:
    """sklearn's make_moons recipe, in NumPy; labels ±1 as in micrograd's demo."""
    rng = np.random.default_rng(seed)
    half = n // 2
    t_out, t_in = np.linspace(0, math.pi, half), np.linspace(0, math.pi, n - half)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])
    x += rng.normal(scale=noise, size=x.shape)
    y = np.concatenate([-np.ones(half), np.ones(n - half)])
    return x.tolist(), y.tolist()


def demo_loss(value_cls: type, model: object, X: list, y: list) -> object:
    """The loss of micrograd's demo.ipynb (its graph is what a step builds)."""
    inputs = [list(map(value_cls, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    return data_loss + reg_loss


def demo_step(value_cls: type, model: object, X: list, y: list, k: int) -> float:
    """One step of micrograd's demo.ipynb training loop, written once for both engines."""
    total = demo_loss(value_cls, model, X, y)
    model.zero_grad()
    total.backward()
    lr = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def make_models(nin: int = 2, nouts: tuple = (16, 16, 1)) -> dict:
    """micrograd's MLP(nin, nouts) from `random.seed(1337)`, and glassgrad's two forms of it
    holding the same starting weights."""
    random.seed(1337)
    reference = mg_nn.MLP(nin, list(nouts))
    start = [p.data for p in reference.parameters()]
    models = {"micrograd": reference}
    for name, fused in (("glassgrad (fused, default)", True), ("glassgrad (per-op graph)", False)):
        m = nn.MLP(nin, list(nouts), fused=fused)
        for p, w in zip(m.parameters(), start):
            p.data = w
        models[name] = m
    return models


def time_steps(value_cls: type, model: object, X: list, y: list, steps: int) -> tuple:
    times, losses = [], []
    for k in range(steps):
        t = time.perf_counter()
        losses.append(demo_step(value_cls, model, X, y, k))
        times.append(time.perf_counter() - t)
    return times, losses


def peak_memory(value_cls: type, make: Callable, X: list, y: list, steps: int = 3) -> int:
    gc.collect()
    tracemalloc.start()
    model = make()
    for k in range(steps):
        demo_step(value_cls, model, X, y, k)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def chain_backward(n: int = 1_000_000) -> tuple:
    x = Value(1.0, label="x")
    y = x
    t = time.perf_counter()
    for _ in range(n):
        y = y * 1.0000001
    built = time.perf_counter() - t
    t = time.perf_counter()
    y.backward()
    return built, time.perf_counter() - t, x.grad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    X, y = moons()
    models = make_models()
    engines = {"micrograd": mg_engine.Value}
    results = {}
    for name, model in models.items():
        cls = engines.get(name, Value)
        times, losses = time_steps(cls, model, X, y, args.steps)
        results[name] = {"step_s": statistics.median(times[1:]), "losses": losses}
    # micrograd again with its cyclic garbage collected for free: the strictest reference.
    random.seed(1337)
    ref2 = mg_nn.MLP(2, [16, 16, 1])
    gc.disable()
    try:
        times, _ = time_steps(mg_engine.Value, ref2, X, y, args.steps)
    finally:
        gc.enable()
        gc.collect()
    results["micrograd, gc disabled"] = {"step_s": statistics.median(times[1:])}

    def fresh(name: str, fused: bool = True) -> Callable:
        def make() -> object:
            random.seed(1337)
            return mg_nn.MLP(2, [16, 16, 1]) if name == "micrograd" else nn.MLP(2, [16, 16, 1], fused=fused)
        return make

    results["micrograd"]["peak_bytes"] = peak_memory(mg_engine.Value, fresh("micrograd"), X, y)
    results["glassgrad (fused, default)"]["peak_bytes"] = peak_memory(Value, fresh("g"), X, y)
    results["glassgrad (per-op graph)"]["peak_bytes"] = peak_memory(Value, fresh("g", False), X, y)

    ref_losses = results["micrograd"]["losses"]
    base = results["micrograd"]["step_s"]
    print(f"micrograd demo step, {args.steps} steps, median of steps 2..{args.steps}")
    print(f"{'engine':32} {'s/step':>9} {'speed-up':>9} {'peak MB':>8} {'max rel loss diff':>18}")
    for name, r in results.items():
        diff = ""
        if "losses" in r:
            rel = max(abs(a - b) / abs(b) for a, b in zip(r["losses"], ref_losses))
            r["max_rel_loss_diff"] = rel
            diff = f"{rel:.1e}"
        peak = f"{r['peak_bytes'] / 2**20:.1f}" if "peak_bytes" in r else ""
        print(f"{name:32} {r['step_s']:9.4f} {base / r['step_s']:8.1f}x {peak:>8} {diff:>18}")
    for name in ("glassgrad (fused, default)", "glassgrad (per-op graph)"):
        ratio = results[name]["peak_bytes"] / results["micrograd"]["peak_bytes"]
        print(f"peak memory {name} / micrograd: {ratio:.2f}")
    built, back, grad = chain_backward()
    print(f"1,000,000-node chain: build {built:.2f} s, backward {back:.2f} s (dx = {grad:.6f})")
    results["chain_1e6"] = {"build_s": built, "backward_s": back}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
