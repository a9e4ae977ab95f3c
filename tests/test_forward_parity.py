"""Forward mode (issue 14) against PyTorch's `torch.func.jvp` for every Tensor op of the
parity suite (its op table, drawn by hypothesis), and against central differences.

Inputs are made finite and moderate (|x| <= 1e3), and tangents are compared where the
output is finite: at a pole (1/0) the tangent's 0·inf arithmetic follows the formula's
grouping (PyTorch: (ṫa − ṫb·out)/b, ours ṫa/b − ṫb·(out/b), the VJP's), and the
reverse-mode suite already pins those conventions for the same rules.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Tensor
from autograd.forward import jvp
from test_parity_torch import OPS, arrays, same

torch = pytest.importorskip("torch")
FORWARD = settings(max_examples=15, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def tame(x: np.ndarray) -> np.ndarray:
    """x with non-finite and huge entries replaced by moderate ones (same shape, dtype)."""
    x = np.where(np.isfinite(x), x, 0.5)
    return np.where(np.abs(x) > 1e3, np.sign(x) * 2.0, x).astype(x.dtype)


def scale_of(xs: list) -> float:
    return max([1.0] + [float(np.abs(x).max()) for x in xs if x.size])


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@FORWARD
@given(data=st.data())
def test_jvp_of_every_tensor_op_matches_pytorch(op, data):
    xs, params = op.draw(data)
    xs = [tame(x) for x in xs]
    ts = [arrays(data, x.shape, special=False, scaled=False) for x in xs]
    try:
        tout, ttan = torch.func.jvp(lambda *a: op.theirs(list(a), params),
                                    tuple(torch.tensor(x) for x in xs),
                                    tuple(torch.tensor(t) for t in ts))
    except (RuntimeError, ValueError, IndexError, NotImplementedError):
        with pytest.raises(Exception):
            jvp(lambda *a: op.ours(list(a), params), tuple(Tensor(x) for x in xs),
                tuple(Tensor(t) for t in ts))
        return
    out, tan = jvp(lambda *a: op.ours(list(a), params), tuple(Tensor(x) for x in xs),
                   tuple(Tensor(t) for t in ts))
    atol = 1e-7 * scale_of(xs) ** max(op.degree, 1) * scale_of(ts)
    same(out, tout, f"{op.name} forward {params}", 1e-7 * scale_of(xs) ** max(op.degree, 1))
    pole = np.asarray(~np.isfinite(tout.detach().numpy()))
    ttan = torch.where(torch.from_numpy(pole), torch.zeros_like(ttan), ttan)
    tan = Tensor(np.where(pole, 0.0, tan.numpy()).astype(tan.numpy().dtype))
    same(tan, ttan, f"{op.name} tangent {params}", atol, rtol=1e-6)
