"""Tensor engine vs PyTorch: one MLP training step, same weights, same batches, float32.

Two models (issue 3): MLP 784-256-128-10 on a batch of 256 with softmax cross-entropy, and
MLP 2-16-16-1 on a batch of 100 with logistic (binary) cross-entropy; ReLU hidden layers,
Adam(lr=1e-3). One step = forward, loss, zero_grad (set to None), backward, Adam update.

glassgrad's side uses only engine ops: `linear` (one fused node per layer), `relu`, and an
inline logsumexp-based loss; Adam is `nn.optim.Adam` (in place on the arrays) when
present, else an inline copy of PyTorch's update. PyTorch's side is idiomatic: nn.Linear,
F.cross_entropy / F.binary_cross_entropy_with_logits, torch.optim.Adam (its single-tensor
implementation: PyTorch's default on CPU, where it has no foreach kernels).

Each library runs in its own worker process (in one process, PyTorch's OpenMP threads and
NumPy's OpenBLAS threads spin against each other on a small machine and slow both), with
its default thread count and with one thread (on a busy 2-core machine a thread pool can
lose to one thread); the workers alternate over several rounds so all see the same machine
load, figures are medians, and each library is represented by its faster setting. The
like-with-like ratios (both at their default thread count, both at one thread) are printed
too: the threads a worker really got are asked from OpenBLAS and from torch.

Reported per model: the step time of each and the ratio; where the time goes (forward +
backward alone, the optimizer step alone, and the step's 8 matmuls in bare NumPy/OpenBLAS
vs in PyTorch/MKL); the loss both reach after the same steps (they must agree); memory: tracemalloc peak of
one of our steps (NumPy reports its buffers to tracemalloc), the bytes our graph holds
after backward (node values + the interior gradients this project keeps for drawings),
and PyTorch's saved-for-backward bytes (its allocator is invisible to tracemalloc).

Run: .venv/bin/python benchmarks/bench_tensor.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = {
    "big": ("MLP 784-256-128-10, batch 256, cross-entropy + Adam", [784, 256, 128, 10], 256,
            False),
    "small": ("MLP 2-16-16-1, batch 100, logistic cross-entropy + Adam", [2, 16, 16, 1], 100,
              True),
}
N_BATCHES = 8


def data(model):
    """The same initial weights and batches in every worker (a fixed seed)."""
    _, sizes, batch, binary = MODELS[model]
    return make_data(sizes, batch, binary)


def make_data(sizes, batch, binary):
    """PyTorch-initialised float32 weights for an MLP of `sizes`, and N_BATCHES batches."""
    rng = np.random.default_rng(0)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)  # PyTorch's nn.Linear init
        weights.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                        rng.uniform(-bound, bound, fan_out).astype(np.float32)))
    xs = [rng.standard_normal((batch, sizes[0])).astype(np.float32) for _ in range(N_BATCHES)]
    if binary:
        ys = [(rng.random(batch) < 0.5).astype(np.float32) for _ in range(N_BATCHES)]
    else:
        ys = [rng.integers(0, sizes[-1], batch) for _ in range(N_BATCHES)]
    return weights, xs, ys, binary


# ---------------------------------------------------------------- glassgrad


def gemm_chain(x, ws):
    """A step's matmuls alone, for either library (both have `@` and `.T`): 3 forward, 3 dW,
    2 dX (none for the input). Activation values are irrelevant to a GEMM's time."""
    acts = [x]
    for w in ws:
        acts.append(acts[-1] @ w.T)
    for i in reversed(range(len(ws))):
        acts[i + 1].T @ acts[i]
        if i:
            acts[i + 1] @ ws[i]

class _InlineAdam:
    """PyTorch's Adam update (no weight decay), in place on the parameters' arrays."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = list(params), lr, betas, eps, 0
        self.m = [np.zeros_like(p.raw_data) for p in self.params]
        self.v = [np.zeros_like(p.raw_data) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.raw_grad = None

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, (1 - b2 ** self.t) ** 0.5
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.raw_grad
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p.raw_data -= (self.lr / c1) * m / (np.sqrt(v) / c2 + self.eps)


class Ours:
    def __init__(self, weights, binary):
        from autograd import Tensor
        try:
            from nn.optim import Adam
            self.adam_name = "nn.optim.Adam"
        except ImportError:  # the optimizer helper's module may not exist yet
            Adam, self.adam_name = _InlineAdam, "inline Adam (nn.optim.Adam not found)"
        self.layers = [(Tensor(w.copy(), requires_grad=True), Tensor(b.copy(), requires_grad=True))
                       for w, b in weights]
        self.params = [p for layer in self.layers for p in layer]
        self.opt = Adam(self.params, lr=1e-3)
        self.binary = binary

    def wrap(self, x, y):
        from autograd import Tensor
        return Tensor(x), Tensor(y)

    def loss(self, x, y):
        from autograd import linear
        h = x
        for i, (w, b) in enumerate(self.layers):
            h = linear(h, w, b)
            if i < len(self.layers) - 1:
                h = h.relu()
        if self.binary:  # log(1 + e^z) - y z, with log(1 + e^z) = softplus(z) (stable)
            z = h.reshape(-1)
            return (z.softplus() - y * z).mean()
        rows = np.arange(h.shape[0])
        return (h.logsumexp(dim=1) - h[rows, y.raw_data]).mean()

    def backward(self, loss):
        self.opt.zero_grad()
        loss.backward()

    def gemms(self, x):
        """The step's matmuls in bare NumPy."""
        gemm_chain(x.raw_data, [w.raw_data for w, _ in self.layers])

    def memory(self, x, y):
        from autograd import topological_order
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        loss = self.loss(x, y)
        self.backward(loss)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        nodes = [n for n in topological_order(loss) if n._parents]
        return {"peak": peak, "values": sum(n.raw_data.nbytes for n in nodes),
                "grads": sum(n.raw_grad.nbytes for n in nodes if n.raw_grad is not None)}


# ---------------------------------------------------------------- PyTorch

class Torch:
    def __init__(self, weights, binary, fused=False):
        import torch
        self.torch, self.F, self.binary = torch, torch.nn.functional, binary
        layers = []
        for w, b in weights:
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            layers += [lin, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, fused=fused)
        self.adam_name = "torch.optim.Adam" + ("(fused=True)" if fused else "")

    def wrap(self, x, y):
        return self.torch.from_numpy(x), self.torch.from_numpy(y)

    def loss(self, x, y):
        out = self.model(x)
        if self.binary:
            return self.F.binary_cross_entropy_with_logits(out.reshape(-1), y)
        return self.F.cross_entropy(out, y)

    def backward(self, loss):
        self.opt.zero_grad()
        loss.backward()

    def gemms(self, x):
        """The step's matmuls in bare PyTorch."""
        gemm_chain(x, [m.weight.detach() for m in self.model if hasattr(m, "weight")])

    def memory(self, x, y):
        saved = []

        def pack(t):
            saved.append(t)
            return t

        with self.torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            self.loss(x, y)
        seen, total = set(), 0
        for t in saved:  # a tensor saved twice is held once; parameters are not extra
            key = t.untyped_storage().data_ptr()
            if key not in seen and not isinstance(t, self.torch.nn.Parameter):
                seen.add(key)
                total += t.untyped_storage().nbytes()
        return {"saved": total}


# ---------------------------------------------------------------- worker and driver

def _median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def _openblas_threads():
    """How many threads NumPy's OpenBLAS will use (None if it cannot be asked)."""
    import ctypes
    import glob
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs",
                                  "*openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                     "openblas_get_num_threads"):
            if hasattr(lib, name):
                return getattr(lib, name)()
    return None


def worker(lib, model, steps, threads):
    if lib == "torch" and threads:
        import torch
        torch.set_num_threads(threads)
    weights, xs, ys, binary = data(model)
    runner = (Ours if lib == "ours" else Torch)(weights, binary)
    batches = [runner.wrap(x, y) for x, y in zip(xs, ys)]

    def step(i):
        x, y = batches[i % N_BATCHES]
        loss = runner.loss(x, y)
        runner.backward(loss)
        runner.opt.step()

    for i in range(steps // 4):  # warm-up
        step(i)
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        step(i)
        times.append(time.perf_counter() - t0)
    x0, y0 = batches[0]
    result = {
        "step": 1e3 * statistics.median(times),
        "engine": _median_ms(lambda: runner.backward(runner.loss(x0, y0)), max(10, steps // 4)),
        "gemm": _median_ms(lambda: runner.gemms(x0), max(10, steps // 4)),
        "optimizer": _median_ms(runner.opt.step, max(10, steps // 4)),
        "adam": runner.adam_name,
    }
    # The loss after the same number of steps from the same start: must agree across libs.
    fresh = (Ours if lib == "ours" else Torch)(weights, binary)
    for i in range(2 * N_BATCHES):
        x, y = batches[i % N_BATCHES]
        loss = fresh.loss(x, y)
        fresh.backward(loss)
        fresh.opt.step()
    result["loss"] = float(fresh.loss(x0, y0).item())
    result.update(fresh.memory(x0, y0))
    if lib == "torch":
        result["version"] = runner.torch.__version__
        result["threads"] = runner.torch.get_num_threads()
    else:
        result["blas_threads"] = _openblas_threads()
    print(json.dumps(result))


def run_worker(lib, model, steps, threads):
    env = dict(os.environ)
    if threads == 1:  # read by OpenBLAS at start-up; PyTorch is told by torch.set_num_threads
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, __file__, "--worker", lib, "--model", model,
                          "--steps", str(steps), "--threads", str(threads)],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    if out.returncode:
        raise RuntimeError(f"{lib} worker failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and steps")
    parser.add_argument("--worker", choices=["ours", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--model", choices=sorted(MODELS), help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=100, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.model, args.steps, args.threads)
    try:
        import torch  # noqa: F401 - only to know whether to run the PyTorch workers
        libs = ["ours", "torch"]
    except ImportError:
        libs = ["ours"]
        print("PyTorch is not installed: reporting glassgrad only")
    rounds = 2 if args.quick else 3
    print(f"NumPy {np.__version__}; each library in its own process, {rounds} alternating "
          f"rounds; medians in ms")
    for model, steps in (("big", 30 if args.quick else 100), ("small", 200 if args.quick else 800)):
        settings = [(lib, threads) for lib in libs for threads in (0, 1)]
        runs = {setting: [] for setting in settings}
        for _ in range(rounds):
            for lib, threads in settings:
                runs[lib, threads].append(run_worker(lib, model, steps, threads))
        keys = ("step", "engine", "gemm", "optimizer")
        med = {setting: {k: statistics.median(r[k] for r in rs) for k in keys}
               for setting, rs in runs.items()}
        print(f"\n{MODELS[model][0]}")
        best = {}
        for lib in libs:
            by_threads = {t: med[lib, t]["step"] for t in (0, 1)}
            t = min(by_threads, key=by_threads.get)
            best[lib] = med[lib, t]
            default = runs[lib, 0][0].get("threads", runs[lib, 0][0].get("blas_threads"))
            name = "glassgrad" if lib == "ours" else f"PyTorch {runs[lib, 0][0]['version']}"
            print(f"  {name + ' step':<24}{best[lib]['step']:7.3f} ms   ({default} threads: "
                  f"{by_threads[0]:.3f} ms, 1 thread: {by_threads[1]:.3f} ms; "
                  f"optimizer {runs[lib, 0][0]['adam']})")
        ours, first = best["ours"], runs["ours", 0][0]
        if "torch" in best:
            theirs, tfirst = best["torch"], runs["torch", 0][0]
            print(f"  ratio ours / PyTorch    {ours['step'] / theirs['step']:7.2f}x   "
                  f"(each at its faster thread setting)")
            same = {t: med["ours", t]["step"] / med["torch", t]["step"] for t in (0, 1)}
            print(f"    like with like: both at their default threads (OpenBLAS "
                  f"{first.get('blas_threads', '?')}, PyTorch {tfirst['threads']}) "
                  f"{same[0]:.2f}x, both at 1 thread {same[1]:.2f}x")
        if "torch" in best:
            for key, what in (("engine", "forward + backward (the engine's part)"),
                              ("optimizer", "optimizer step"),
                              ("gemm", "the step's 8 matmuls alone (OpenBLAS vs MKL)")):
                print(f"    {what:<46}{ours[key]:7.3f} vs {theirs[key]:7.3f} ms  "
                      f"({ours[key] / theirs[key]:.2f}x)")
        else:
            print(f"    forward + backward {ours['engine']:.3f} ms, optimizer "
                  f"{ours['optimizer']:.3f} ms, the step's 8 matmuls {ours['gemm']:.3f} ms")
        line = f"  step / its own bare matmuls: ours {ours['step'] / ours['gemm']:.2f}x"
        if "torch" in best:
            line += f", PyTorch {theirs['step'] / theirs['gemm']:.2f}x"
        print(line + " (what each library adds around its BLAS)")
        line = f"  loss after {2 * N_BATCHES} steps: ours {first['loss']:.6f}"
        if "torch" in best:
            lt = tfirst["loss"]
            line += f", PyTorch {lt:.6f} (rel. diff {abs(first['loss'] - lt) / abs(lt):.1e})"
        print(line)
        print(f"  memory: ours tracemalloc peak of a step {first['peak'] / 2**20:.2f} MiB; the "
              f"graph holds {first['values'] / 2**20:.2f} MiB of node values + "
              f"{first['grads'] / 2**20:.2f} MiB of interior gradients (kept for drawings)"
              + (f"; PyTorch saved-for-backward {tfirst['saved'] / 2**20:.2f} MiB"
                 if "torch" in best else ""))


if __name__ == "__main__":
    main()
