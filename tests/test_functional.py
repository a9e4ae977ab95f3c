"""`autograd.functional` (issue 14): PyTorch 2.13's `torch.autograd.functional` on random
functions (several inputs and outputs, 0-d and batched shapes), both jacobian strategies,
the Hessian of a small MLP's loss, functions of Values, and the error paths."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Tensor, Value
from autograd import functional as AF

torch = pytest.importorskip("torch")
TAF = torch.autograd.functional
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True)


def close(ours, theirs, rtol=1e-10, atol=1e-12):
    """Same structure (tuples nest alike; PyTorch's forward-mode jacobian nests in lists,
    ours in tuples as in reverse mode: README "Differences from PyTorch") and values."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            close(a, b, rtol, atol)
        return
    assert isinstance(ours, Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def both(fn, arrays, as_tuple):
    ours = tuple(Tensor(a) for a in arrays)
    theirs = tuple(torch.tensor(a) for a in arrays)
    return (ours if as_tuple else ours[0]), (theirs if as_tuple else theirs[0])


# Random functions: shared by both libraries (they spell these ops alike).
def f_two_in_two_out(x, y):
    return (x * y.tanh()).exp().sum(-1), (x.sin() - y * y).mean()


def f_batched(x, w):
    return (x @ w).sigmoid() * 2.0 - x.sum(-1, keepdim=True)


def f_scalar(x):
    return (x * x * x).sum() + x.cos().sum() * x.sum()


@st.composite
def case(draw):
    batch = draw(st.integers(1, 3))
    n = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    which = draw(st.sampled_from(["two", "batched", "scalar0d", "scalar"]))
    if which == "two":
        return f_two_in_two_out, [rng.normal(size=(batch, n)), rng.normal(size=(n,))], True, rng
    if which == "batched":
        return f_batched, [rng.normal(size=(batch, n)), rng.normal(size=(n, 2))], True, rng
    if which == "scalar0d":
        return f_scalar, [rng.normal(size=())], False, rng
    return f_scalar, [rng.normal(size=(batch, n))], False, rng


@SETTINGS
@given(case(), st.sampled_from(["reverse-mode", "forward-mode"]))
def test_jacobian_matches_pytorch(c, strategy):
    fn, arrays, as_tuple, _ = c
    ours, theirs = both(fn, arrays, as_tuple)
    expected = TAF.jacobian(fn, theirs, vectorize=strategy == "forward-mode",
                            strategy=strategy)
    got = AF.jacobian(fn, ours, strategy=strategy)
    close(got, expected)
    if isinstance(expected, (tuple, list)):   # the deliberate difference: always tuples
        assert type(got) is tuple
        assert all(type(row) is tuple for row in got if isinstance(row, (tuple, list)))


@SETTINGS
@given(case())
def test_vjp_and_jvp_match_pytorch(c):
    fn, arrays, as_tuple, rng = c
    ours, theirs = both(fn, arrays, as_tuple)
    touts = fn(*theirs) if as_tuple else fn(theirs)
    outs_t = touts if isinstance(touts, tuple) else (touts,)
    v_out = [rng.normal(size=tuple(o.shape)) for o in outs_t]
    v_in = [rng.normal(size=a.shape) for a in arrays]
    pick = (lambda vs, single, lib: tuple(lib(v) for v in vs) if not single else lib(vs[0]))
    ours_v = pick(v_out, not isinstance(touts, tuple), Tensor)
    theirs_v = pick(v_out, not isinstance(touts, tuple), torch.tensor)
    out, g = AF.vjp(fn, ours, ours_v)
    tout, tg = TAF.vjp(fn, theirs, theirs_v)
    close(out, tout)
    close(g, tg)
    out, t = AF.jvp(fn, ours, pick(v_in, not as_tuple, Tensor))
    tout, tt = TAF.jvp(fn, theirs, pick(v_in, not as_tuple, torch.tensor))
    close(out, tout)
    close(t, tt)


@SETTINGS
@given(case(), st.sampled_from(["reverse-mode", "forward-mode"]))
def test_hessian_hvp_vhp_match_pytorch(c, strategy):
    _, arrays, _, rng = c
    fn = (lambda x, y: ((x @ y).tanh() ** 2).sum() + x.sin().sum() * y.exp().sum()) \
        if len(arrays) == 2 else f_scalar
    as_tuple = len(arrays) == 2
    ours, theirs = both(fn, arrays, as_tuple)
    close(AF.hessian(fn, ours, outer_jacobian_strategy=strategy),
          TAF.hessian(fn, theirs, vectorize=strategy == "forward-mode",
                      outer_jacobian_strategy=strategy), rtol=1e-9)
    v = [rng.normal(size=a.shape) for a in arrays]
    ov = tuple(Tensor(x) for x in v) if as_tuple else Tensor(v[0])
    tv = tuple(torch.tensor(x) for x in v) if as_tuple else torch.tensor(v[0])
    for ours_fn, theirs_fn in ((AF.hvp, TAF.hvp), (AF.vhp, TAF.vhp)):
        out, r = ours_fn(fn, ours, ov)
        tout, tr = theirs_fn(fn, theirs, tv)
        close(out, tout)
        close(r, tr, rtol=1e-9)


def test_hessian_of_a_small_mlp_loss_matches_pytorch():
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    params = [p.detach().numpy().copy() for p in model.parameters()]

    def ours(w1, b1, w2, b2):
        h = autograd.linear(Tensor(x), w1, b1).tanh()
        return ((autograd.linear(h, w2, b2) - Tensor(y)) ** 2).mean()

    def theirs(w1, b1, w2, b2):
        h = torch.nn.functional.linear(torch.tensor(x), w1, b1).tanh()
        return ((torch.nn.functional.linear(h, w2, b2) - torch.tensor(y)) ** 2).mean()

    expected = TAF.hessian(theirs, tuple(torch.tensor(p) for p in params))
    for strategy in ("reverse-mode", "forward-mode"):
        got = AF.hessian(ours, tuple(Tensor(p) for p in params),
                         outer_jacobian_strategy=strategy)
        close(got, expected, rtol=1e-9, atol=1e-12)
    # the full 33 x 33 Hessian is symmetric
    full = np.block([[got[i][j].numpy().reshape(params[i].size, params[j].size)
                      for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(full, full.T, atol=1e-12)


def test_functions_of_values_give_floats_and_nested_lists():
    a, b = Value(2.0), Value(3.0)
    assert AF.jacobian(lambda x, y: [x * y, x + y.tanh()], [a, b],
                       strategy="forward-mode") == \
        AF.jacobian(lambda x, y: [x * y, x + y.tanh()], [a, b])
    assert AF.jacobian(lambda x: x * x, a) == 4.0
    assert AF.jacobian(lambda x, y: x * y, [a, b]) == [3.0, 2.0]
    assert AF.hessian(lambda x, y: x * x * y, [a, b]) == [[6.0, 4.0], [4.0, 0.0]]
    out, g = AF.vjp(lambda x, y: x * y, [a, b])
    assert (out.data, g) == (6.0, (3.0, 2.0))
    assert AF.jvp(lambda x: x.exp(), Value(0.0))[1] == 1.0
    assert AF.hvp(lambda x, y: x * x * y, [a, b], [1.0, 0.0])[1] == (6.0, 4.0)
    assert AF.vhp(lambda x, y: x * x * y, [a, b], [1.0, 0.0])[1] == (6.0, 4.0)


def test_create_graph_keeps_results_differentiable():
    x = Tensor([0.5, 2.0], requires_grad=True)
    _, g = AF.vjp(lambda t: (t ** 3).sum(), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(h.numpy(), [3.0, 12.0])
    j = AF.jacobian(lambda t: t ** 2, x, create_graph=True, strategy="forward-mode")
    (d,) = autograd.grad(j.sum(), [x])
    np.testing.assert_allclose(d.numpy(), [2.0, 2.0])


def test_the_namespace_alias_reaches_functional():
    import autograd as torch_like
    assert torch_like.autograd.functional is AF
    from autograd.autograd.functional import hessian
    assert hessian is AF.hessian


def test_unused_inputs_give_zeros_and_strict_refuses():
    x, y = Tensor([1.0, 2.0]), Tensor([3.0])
    f = lambda a, b: a * 2.0
    assert AF.jacobian(f, (x, y))[1].tolist() == [[0.0], [0.0]]
    assert AF.vjp(f, (x, y), Tensor([1.0, 1.0]))[1][1].tolist() == [0.0]
    with pytest.raises(RuntimeError, match="independent of input 1. This is not allowed in "
                                           "strict mode"):
        AF.jacobian(f, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.vjp(f, (x, y), Tensor([1.0, 1.0]), strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.jacobian(f, (x, y), strict=True, strategy="forward-mode")
    with pytest.raises(RuntimeError, match="Output 1 of the user-provided function is "
                                           "independent of the inputs"):
        AF.jvp(lambda a: (a * 2.0, Tensor([1.0])), x, Tensor([1.0, 1.0]), strict=True)
    with pytest.raises(RuntimeError, match="independent"):
        AF.hvp(lambda a: a.sum(), x, Tensor([1.0, 1.0]), strict=True)
    assert AF.hvp(lambda a: a.sum(), x, Tensor([1.0, 1.0]))[1].tolist() == [0.0, 0.0]
    assert AF.vhp(lambda a: a.sum(), x, Tensor([1.0, 1.0]))[1].tolist() == [0.0, 0.0]


def test_bad_calls_get_clear_errors():
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="must return a Value or Tensor, or a tuple of them, "
                                        "but it returned a float"):
        AF.jacobian(lambda t: t.sum().item(), x)
    with pytest.raises(TypeError, match=r"returned a int \(entry 1\)"):
        AF.vjp(lambda t: (t, 3), x, (x, x))
    with pytest.raises(ValueError, match="v can only be None if the user-provided "
                                         "function's output is a single Tensor with a "
                                         "single element"):
        AF.vjp(lambda t: t * 2.0, x)
    with pytest.raises(ValueError, match="v can only be None if the input"):
        AF.jvp(lambda t: t * 2.0, x)
    with pytest.raises(ValueError, match=r"v has shape \(3,\) but input 0 has shape \(2,\)"):
        AF.jvp(lambda t: t * 2.0, x, Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"v has shape \(1,\) but output 0 has shape \(2,\)"):
        AF.vjp(lambda t: t * 2.0, x, Tensor([1.0]))
    with pytest.raises(ValueError, match="v is a tuple of invalid length: should be 2 but "
                                         "got 1"):
        AF.jvp(lambda a, b: a * b, (x, x), (x,))
    with pytest.raises(RuntimeError, match="should contain a single element"):
        AF.hessian(lambda t: t * t, x)
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        AF.hvp(lambda t: (t.sum(), t.sum()), x, x)
    with pytest.raises(ValueError, match="Expected strategy to be either"):
        AF.jacobian(lambda t: t, x, strategy="sideways")
    with pytest.raises(TypeError, match="input 0 has dtype autograd.int64"):
        AF.jacobian(lambda t: t, autograd.tensor([1, 2]))
    with pytest.raises(TypeError, match="input 1 must be a Value, a number or a Tensor, got str"):
        AF.jacobian(lambda a, b: a, (x, "b"))
    with pytest.raises(TypeError, match="func must be a function"):
        AF.jacobian(3, x)


def test_the_readme_example_prints_what_the_readme_says(tmp_path, monkeypatch, capsys):
    from pathlib import Path
    import re
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S)
                if "forward_steps" in b]
    shown = readme.split(block)[1].split("```text\n")[1].split("```")[0]
    from viz_support import graphviz_pure
    graphviz_pure()
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    assert capsys.readouterr().out == shown
    assert (tmp_path / "forward.html").stat().st_size > 0
