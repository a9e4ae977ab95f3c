"""Tracing a PyTorch training step with `viz.trace_torch`: its overhead and the tape's memory.

Two MLPs, float32, ReLU, SGD, the same batches for both variants:

- small: 2-16-16-1, batch 100, `F.binary_cross_entropy_with_logits`;
- mid:   784-256-128-10, batch 256, `F.cross_entropy`.

One step = `zero_grad()`, forward, loss, `backward()`, `step()`. *Traced* wraps forward,
loss and backward in `with viz.trace_torch() as tape:` and drops the tape at the end of the
step (so recording, gradient hooks and freeing are all counted); *untraced* is the same
step without it. Variants alternate in rounds; reported is the median over rounds of each
round's mean step time, with PyTorch on one thread (the machine is shared: fewer threads,
less noise). Memory: the tensor copies the tape holds (`tape.nbytes`: every value and
gradient) and the Python objects it makes (tracemalloc peak while one traced step runs),
beside the model's parameter bytes; and whether every node is freed when the tape is
dropped (weak references, no `gc.collect()`). Last, the cost per recorded op: a chain of
200 small elementwise ops (`y = (y * 1.001).tanh()` on 16 numbers, backward included),
traced minus untraced, divided by the ops recorded.

Then what the pages cost a PyTorch user: `viz.Film` recording every step of the same loop
(`film.record(model, loss)` after `backward()`: per-module gradient norms through the torch
adapter), as ms added per step; and `viz.explore(tape).save(...)` of one traced step (the
replayed backward steps, the graphviz layout and the page), in seconds and KB.

    python benchmarks/bench_torch_trace.py [--rounds 7] [--steps 30] [--json out.json]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
import weakref
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import viz  # noqa: E402

MODELS = {"small": ([2, 16, 16, 1], 100), "mid": ([784, 256, 128, 10], 256)}


def make(torch: Any, name: str) -> tuple:
    sizes, batch = MODELS[name]
    torch.manual_seed(0)
    layers: List[Any] = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    x = torch.randn(batch, sizes[0])
    if sizes[-1] == 1:
        y = (torch.rand(batch, 1) > 0.5).float()
        loss_fn = torch.nn.functional.binary_cross_entropy_with_logits
    else:
        y = torch.randint(0, sizes[-1], (batch,))
        loss_fn = torch.nn.functional.cross_entropy
    return model, torch.optim.SGD(model.parameters(), lr=0.01), x, y, loss_fn


def step(parts: tuple, traced: bool, film: Any = None) -> Any:
    model, opt, x, y, loss_fn = parts
    opt.zero_grad()
    if traced:
        with viz.trace_torch() as tape:
            loss_fn(model(x), y).backward()
    else:
        tape = None
        loss = loss_fn(model(x), y)
        loss.backward()
        if film is not None:
            film.record(model, loss)
    opt.step()
    return tape


def timed(parts: tuple, traced: bool, steps: int, film: Any = None) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step(parts, traced, film)
    return (time.perf_counter() - start) / steps


def film_cost(parts: tuple, rounds: int, steps: int) -> Dict[str, float]:
    """ms per step added by recording a film every step (the untraced loop)."""
    plain, filmed = [], []
    for _ in range(rounds):
        plain.append(timed(parts, False, steps))
        filmed.append(timed(parts, False, steps, viz.Film(max_frames=10 * steps)))
    a, b = statistics.median(plain) * 1e3, statistics.median(filmed) * 1e3
    return {"film_ms": b - a, "film_ratio": b / a}


def explore_cost(parts: tuple, folder: Path) -> Dict[str, float]:
    """Seconds and KB of the explorer page of one traced step."""
    tape = step(parts, True)
    start = time.perf_counter()
    path = viz.explore(tape).save(folder / "explore.html")
    return {"explore_s": time.perf_counter() - start, "explore_kb": path.stat().st_size / 1e3}


def memory(torch: Any, parts: tuple) -> Dict[str, Any]:
    params = sum(p.element_size() * p.numel() for p in parts[0].parameters())
    tracemalloc.start()
    tape = step(parts, True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    nodes = len(tape)
    refs = [weakref.ref(n) for n in tape.nodes]
    info = {"nodes": nodes, "tape_mb": tape.nbytes / 1e6, "params_mb": params / 1e6,
            "python_kb": peak / 1e3}
    del tape
    info["freed"] = all(r() is None for r in refs)
    return info


CHAIN = 200


def chain_cost(torch: Any, rounds: int) -> float:
    x = torch.randn(16, requires_grad=True)

    def run(traced: bool) -> float:
        start = time.perf_counter()
        if traced:
            with viz.trace_torch() as tape:
                y = x
                for _ in range(CHAIN // 2):
                    y = (y * 1.001).tanh()
                y.sum().backward()
            ops = sum(1 for n in tape.nodes if n.parents)
        else:
            y = x
            for _ in range(CHAIN // 2):
                y = (y * 1.001).tanh()
            y.sum().backward()
            ops = CHAIN + 1
        return (time.perf_counter() - start) / ops

    run(True), run(False)
    traced = statistics.median(run(True) for _ in range(rounds))
    plain = statistics.median(run(False) for _ in range(rounds))
    return (traced - plain) * 1e6


def dispatch_cost(torch: Any, rounds: int) -> float:
    """µs per op of PyTorch's TorchFunctionMode dispatch alone (a mode that only calls)."""
    from torch.overrides import TorchFunctionMode

    class Bare(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: tuple = (),
                               kwargs: Any = None) -> Any:
            return func(*args, **(kwargs or {}))

    x = torch.randn(16)

    def run(mode: bool) -> float:
        start = time.perf_counter()
        with Bare() if mode else contextlib.nullcontext():
            y = x
            for _ in range(CHAIN):
                y = y * 1.001
        return (time.perf_counter() - start) / CHAIN

    run(True), run(False)
    return (statistics.median(run(True) for _ in range(rounds))
            - statistics.median(run(False) for _ in range(rounds))) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: nothing to measure (pip install 'glassgrad[torch]')")
        return 0
    torch.set_num_threads(1)
    results = {}
    print(f"torch {torch.__version__}, 1 thread, {args.rounds} rounds x {args.steps} steps\n")
    print("| model | untraced ms/step | traced ms/step | traced / untraced | tape nodes "
          "| tape copies MB | parameters MB | Python objects KB | freed when dropped |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name in MODELS:
        parts = make(torch, name)
        for traced in (False, True):          # warm up both paths
            timed(parts, traced, 3)
        plain, traced = [], []
        for _ in range(args.rounds):
            plain.append(timed(parts, False, args.steps))
            traced.append(timed(parts, True, args.steps))
        a, b = statistics.median(plain) * 1e3, statistics.median(traced) * 1e3
        mem = memory(torch, parts)
        results[name] = {"untraced_ms": a, "traced_ms": b, "ratio": b / a, **mem}
        print(f"| {name} {MODELS[name][0]} batch {MODELS[name][1]} | {a:.3f} | {b:.3f} | "
              f"{b / a:.2f}× | {mem['nodes']} | {mem['tape_mb']:.2f} | {mem['params_mb']:.2f} "
              f"| {mem['python_kb']:.0f} | {'yes' if mem['freed'] else 'NO'} |")
    print("\n| model | film.record ms/step | with film / without | explorer page s | "
          "explorer page KB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for name in MODELS:
            parts = make(torch, name)
            pages = {**film_cost(parts, args.rounds, args.steps),
                     **explore_cost(parts, Path(folder))}
            results[name].update(pages)
            print(f"| {name} | {pages['film_ms']:.3f} | {pages['film_ratio']:.2f}× | "
                  f"{pages['explore_s']:.2f} | {pages['explore_kb']:.0f} |")
    per_op = chain_cost(torch, args.rounds)
    dispatch = dispatch_cost(torch, args.rounds)
    per_node = statistics.mean(r["python_kb"] / r["nodes"] for r in results.values())
    results.update(per_op_us=per_op, dispatch_us=dispatch, python_kb_per_node=per_node)
    print(f"\nper recorded op (a chain of {CHAIN} elementwise ops, backward included): "
          f"{per_op:.1f} µs more traced than untraced; of it, PyTorch's TorchFunctionMode "
          f"dispatch alone: {dispatch:.1f} µs. Python objects per recorded value: "
          f"{per_node:.1f} KB.")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if all(r["freed"] for r in results.values() if isinstance(r, dict)) else 1


if __name__ == "__main__":
    sys.exit(main())
