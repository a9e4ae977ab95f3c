"""What a full gradient costs (issue 14): finite differences, forward mode, reverse mode.

One scalar function of W inputs, its whole gradient three ways:

* finite differences: 2W evaluations of f (central differences, no graph recorded);
* forward mode: `autograd.functional.jacobian(f, x, strategy="forward-mode")`: the graph
  is recorded once, then one tangent pass per input direction (W passes);
* reverse mode: `autograd.functional.jacobian(f, x)`: one forward and one backward pass.

Theory: forward mode and finite differences cost O(W) passes, reverse mode O(1) (for one
output), so the ratios to reverse mode grow like W. The function, for the Tensor engine
(W = 10 … 10,000): `f(x) = Σ tanh(A x + b)² + mean(x²)` with A of shape (16, W), float64;
for the scalar `Value` engine (W = 10 … 1,000: a forward-mode gradient of a W-input graph
visits W × 2W nodes in Python, minutes at 10,000): the per-op graph
`tanh(Σ wᵢ xᵢ) + Σ xᵢ² / W`. The three gradients are checked to agree (the largest
difference is printed). Timings: best of `--repeat` runs (one run for the largest W).

    python benchmarks/bench_forward.py [--quick] [--repeat 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autograd  # noqa: E402
from autograd import Tensor, Value  # noqa: E402
from autograd.functional import jacobian  # noqa: E402

TENSOR_WS = [10, 100, 1_000, 10_000]
VALUE_WS = [10, 100, 1_000]
H = 1e-6


def tensor_problem(w: int) -> tuple:
    rng = np.random.default_rng(w)
    a = Tensor(rng.normal(size=(16, w)) / np.sqrt(w))
    b = Tensor(rng.normal(size=16))

    def f(x: Tensor) -> Tensor:
        return ((a @ x + b).tanh() ** 2).sum() + (x * x).mean()

    return f, Tensor(rng.normal(size=w))


def value_problem(w: int) -> tuple:
    rng = np.random.default_rng(w)
    weights = [float(v) for v in rng.normal(size=w) / np.sqrt(w)]

    def f(*xs: Value) -> Value:
        s = xs[0] * weights[0]
        squares = xs[0] * xs[0]
        for x, wt in zip(xs[1:], weights[1:]):
            s = s + x * wt
            squares = squares + x * x
        return s.tanh() + squares / float(w)

    return f, [Value(float(v)) for v in rng.normal(size=w)]


def finite_differences(f: Callable, x: Any) -> np.ndarray:
    """Central differences, 2W evaluations, no graph recorded."""
    with autograd.no_grad():
        if isinstance(x, Tensor):
            base = x.numpy().copy()
            out = np.empty(base.size)
            for k in range(base.size):
                step = np.zeros_like(base)
                step[k] = H
                out[k] = (f(Tensor(base + step)).item() - f(Tensor(base - step)).item()) / (2 * H)
            return out
        base = [v.data for v in x]
        out = np.empty(len(base))
        for k in range(len(base)):
            plus, minus = list(base), list(base)
            plus[k] += H
            minus[k] -= H
            out[k] = (f(*map(Value, plus)).data - f(*map(Value, minus)).data) / (2 * H)
        return out


def gradient(f: Callable, x: Any, strategy: str) -> np.ndarray:
    j = jacobian(f, x, strategy=strategy)
    return j.numpy() if isinstance(j, Tensor) else np.asarray(j)


def best_time(run: Callable[[], np.ndarray], repeat: int) -> tuple:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def measure(engine: str, w: int, repeat: int) -> Dict[str, Any]:
    f, x = tensor_problem(w) if engine == "Tensor" else value_problem(w)
    times, grads = {}, {}
    runs = {"finite differences": lambda: finite_differences(f, x),
            "forward mode": lambda: gradient(f, x, "forward-mode"),
            "reverse mode": lambda: gradient(f, x, "reverse-mode")}
    for name, run in runs.items():
        times[name], grads[name] = best_time(run, repeat)
    reverse = grads["reverse mode"]
    return {"engine": engine, "W": w, "seconds": times,
            "forward/reverse": times["forward mode"] / times["reverse mode"],
            "fd/reverse": times["finite differences"] / times["reverse mode"],
            "max |forward - reverse|": float(np.max(np.abs(grads["forward mode"] - reverse))),
            "max |fd - reverse|": float(np.max(np.abs(grads["finite differences"] - reverse)))}


def milliseconds(s: float) -> str:
    return f"{s * 1e3:,.2f}" if s < 10 else f"{s * 1e3:,.0f}"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="W up to 1,000 (Tensor), 100 (Value)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best kept)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    plan = [("Tensor", w) for w in TENSOR_WS[:3 if args.quick else 4]]
    plan += [("Value", w) for w in VALUE_WS[:2 if args.quick else 3]]
    rows = []
    print("| engine | W | finite differences ms | forward mode ms | reverse mode ms "
          "| forward / reverse | FD / reverse | max abs diff fwd, FD vs rev |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for engine, w in plan:
        largest = w == (TENSOR_WS if engine == "Tensor" else VALUE_WS)[-1]
        row = measure(engine, w, 1 if largest else args.repeat)
        rows.append(row)
        t = row["seconds"]
        print(f"| {engine} | {w:,} | {milliseconds(t['finite differences'])} "
              f"| {milliseconds(t['forward mode'])} | {milliseconds(t['reverse mode'])} "
              f"| {row['forward/reverse']:,.0f}× | {row['fd/reverse']:,.0f}× "
              f"| {row['max |forward - reverse|']:.1e}, {row['max |fd - reverse|']:.1e} |",
              flush=True)
        assert row["max |forward - reverse|"] < 1e-10, row
        assert row["max |fd - reverse|"] < 1e-5, row
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
