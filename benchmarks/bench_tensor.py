"""Tensor engine vs PyTorch: one MLP training step, same weights, same batches, float32.

Two models (issue 3): MLP 784-256-128-10 on a batch of 256 with softmax cross-entropy, and
MLP 2-16-16-1 on a batch of 100 with logistic (binary) cross-entropy; ReLU hidden layers,
Adam(lr=1e-3). One step = forward, loss, zero_grad (set to None), backward, Adam update.

glassgrad's side uses only engine ops: `linear` (one fused node per layer), `relu`, and an
inline logsumexp-based loss; Adam is `nn.optim.Adam` when present, else an inline copy of
PyTorch's update. PyTorch's side is idiomatic: nn.Linear, F.cross_entropy /
F.binary_cross_entropy_with_logits, torch.optim.Adam (its default foreach implementation).

Reported per model: median step time of each (steps interleaved in rounds, so both see the
same machine load), the ratio ours / PyTorch, the ratio to the bare NumPy GEMMs of the same
step (the BLAS floor any NumPy engine pays), the losses after the timed steps (they must
agree), and memory: tracemalloc peak of one of our steps (NumPy reports its buffers to
tracemalloc), the bytes our graph holds after backward (node values + the interior
gradients this project keeps for drawings), and PyTorch's saved-for-backward bytes (counted
with saved_tensors_hooks; PyTorch's allocator is invisible to tracemalloc).

Run: .venv/bin/python benchmarks/bench_tensor.py [--quick]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograd import Tensor, linear, topological_order  # noqa: E402

try:
    from nn.optim import Adam as _ProjectAdam  # noqa: E402
except ImportError:  # the optimizer helper's module may not exist yet
    _ProjectAdam = None


class _InlineAdam:
    """PyTorch's Adam update (no weight decay), in place on the parameters' arrays."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = list(params), lr, betas, eps, 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, (1 - b2 ** self.t) ** 0.5
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p.data -= (self.lr / c1) * m / (np.sqrt(v) / c2 + self.eps)


def make_adam(params):
    return _ProjectAdam(params, lr=1e-3) if _ProjectAdam is not None else _InlineAdam(params)


def init_weights(sizes, rng):
    """PyTorch's nn.Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as float32 arrays."""
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        out.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                    rng.uniform(-bound, bound, fan_out).astype(np.float32)))
    return out


class Ours:
    def __init__(self, weights, binary):
        self.layers = [(Tensor(w.copy(), requires_grad=True), Tensor(b.copy(), requires_grad=True))
                       for w, b in weights]
        self.params = [p for layer in self.layers for p in layer]
        self.opt = make_adam(self.params)
        self.binary = binary

    def loss(self, x, y):
        h = x
        for i, (w, b) in enumerate(self.layers):
            h = linear(h, w, b)
            if i < len(self.layers) - 1:
                h = h.relu()
        if self.binary:  # log(1 + e^z) - y z, with log(1 + e^z) = softplus(z) (stable)
            z = h.reshape(-1)
            return (z.softplus() - y * z).mean()
        rows = np.arange(h.shape[0])
        return (h.logsumexp(dim=1) - h[rows, y.data]).mean()

    def step(self, x, y):
        loss = self.loss(x, y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss


class Torch:
    def __init__(self, torch, weights, binary):
        self.torch, self.F, self.binary = torch, torch.nn.functional, binary
        layers = []
        for w, b in weights:
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            layers += [lin, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def loss(self, x, y):
        out = self.model(x)
        if self.binary:
            return self.F.binary_cross_entropy_with_logits(out.reshape(-1), y)
        return self.F.cross_entropy(out, y)

    def step(self, x, y):
        loss = self.loss(x, y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss


def gemm_floor(weights, batch, rng, repeats):
    """Median time of the step's matmuls in bare NumPy: 3 forward, 3 dW, 2 dX."""
    ws = [w for w, _ in weights]
    x = rng.standard_normal((batch, ws[0].shape[1])).astype(np.float32)
    acts = [x]
    for w in ws:
        acts.append(acts[-1] @ w.T)
    gs = [a.copy() for a in acts[1:]]

    def run():
        h = x
        for w in ws:
            h = h @ w.T
        for i in reversed(range(len(ws))):
            gs[i].T @ acts[i]
            if i:
                gs[i] @ ws[i]

    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def graph_bytes(root):
    nodes = topological_order(root)
    values = sum(n.data.nbytes for n in nodes if n._parents)
    grads = sum(n.grad.nbytes for n in nodes if n._parents and n.grad is not None)
    return values, grads


def torch_saved_bytes(torch, model, x, y):
    saved = []

    def pack(t):
        saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = model.loss(x, y)
    seen, total = set(), 0
    for t in saved:  # a tensor saved twice (or a parameter) is held once
        key = t.untyped_storage().data_ptr()
        if key not in seen and not isinstance(t, torch.nn.Parameter):
            seen.add(key)
            total += t.untyped_storage().nbytes()
    del loss
    return total


def bench(name, sizes, batch, binary, rounds, per_round, torch):
    rng = np.random.default_rng(0)
    weights = init_weights(sizes, rng)
    n_batches = 8
    xs = [rng.standard_normal((batch, sizes[0])).astype(np.float32) for _ in range(n_batches)]
    if binary:
        ys = [(rng.random(batch) < 0.5).astype(np.float32) for _ in range(n_batches)]
    else:
        ys = [rng.integers(0, sizes[-1], batch) for _ in range(n_batches)]
    ours = Ours(weights, binary)
    ox = [Tensor(x) for x in xs]
    oy = [Tensor(y) for y in ys]
    tt = Torch(torch, weights, binary) if torch else None
    if torch:
        tx = [torch.from_numpy(x) for x in xs]
        ty = [torch.from_numpy(y) for y in ys]

    # Round-robin: ours, PyTorch with its default threads, PyTorch on one thread (on a busy
    # 2-core machine its thread pool can be slower than one thread: we compare with the
    # faster of the two). Round 0 warms everything up.
    runners = [("ours", ours.step, ox, oy, None)]
    if torch:
        t1 = Torch(torch, weights, binary)
        threads = torch.get_num_threads()
        runners += [(f"PyTorch, {threads} threads", tt.step, tx, ty, threads),
                    ("PyTorch, 1 thread", t1.step, tx, ty, 1)]
    times = {label: [] for label, *_ in runners}
    for r in range(rounds + 1):
        for label, step, bx, by, n_threads in runners:
            if n_threads:
                torch.set_num_threads(n_threads)
            for j in range(per_round):
                i = (r * per_round + j) % n_batches
                t0 = time.perf_counter()
                step(bx[i], by[i])
                dt = time.perf_counter() - t0
                if r:
                    times[label].append(dt)
    if torch:
        torch.set_num_threads(threads)
    k = (rounds + 1) * per_round

    medians = {label: statistics.median(ts) for label, ts in times.items()}
    ours_step = medians.pop("ours")
    gemm = gemm_floor(weights, batch, rng, 50)
    print(f"\n{name}")
    print(f"  glassgrad step      {ours_step * 1e3:8.3f} ms   ({len(times['ours'])} steps, median)")
    for label, m in medians.items():
        print(f"  {label + ' step':<20}{m * 1e3:8.3f} ms   (torch {torch.__version__})")
    if torch:
        best = min(medians.values())
        print(f"  ratio ours/PyTorch  {ours_step / best:8.2f}x   (vs the faster PyTorch setting)")
    print(f"  bare NumPy GEMMs    {gemm * 1e3:8.3f} ms   -> ours / GEMM floor "
          f"{ours_step / gemm:.2f}x")

    # Same weights, same batches, same number of steps: the losses must agree.
    lo = ours.loss(ox[0], oy[0]).item()
    if torch:
        with torch.no_grad():
            lt = tt.loss(tx[0], ty[0]).item()
        print(f"  loss after {k} steps: ours {lo:.6f}  PyTorch {lt:.6f}  "
              f"(rel. diff {abs(lo - lt) / abs(lt):.1e})")

    # Memory of one step from a settled state (parameters and Adam state already exist).
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    loss = ours.loss(ox[0], oy[0])
    ours.opt.zero_grad()
    loss.backward()
    peak = tracemalloc.get_traced_memory()[1] - base
    values, grads = graph_bytes(loss)
    ours.opt.step()
    tracemalloc.stop()
    print(f"  ours: tracemalloc peak of a step {peak / 2**20:7.2f} MiB; the graph holds "
          f"{values / 2**20:.2f} MiB of node values + {grads / 2**20:.2f} MiB of interior "
          f"gradients (kept for drawings)")
    if torch:
        saved = torch_saved_bytes(torch, tt, tx[0], ty[0])
        print(f"  PyTorch: saved-for-backward tensors {saved / 2**20:.2f} MiB "
              f"(its allocator is not visible to tracemalloc)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: reporting glassgrad only")
    rounds = 2 if args.quick else 6
    print(f"NumPy {np.__version__}; Adam: "
          f"{'nn.optim.Adam' if _ProjectAdam else 'inline (nn.optim.Adam not found)'}")
    bench("MLP 784-256-128-10, batch 256, cross-entropy + Adam", [784, 256, 128, 10], 256,
          False, rounds, 5 if args.quick else 20, torch)
    bench("MLP 2-16-16-1, batch 100, logistic cross-entropy + Adam", [2, 16, 16, 1], 100,
          True, rounds, 20 if args.quick else 200, torch)


if __name__ == "__main__":
    main()
