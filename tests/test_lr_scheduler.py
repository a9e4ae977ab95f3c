"""nn.optim.lr_scheduler: 20-step lr sequences against PyTorch, hand values, state, errors."""
import math

import numpy as np
import pytest

from autograd import Value
from nn.optim import SGD, lr_scheduler
from nn.optim.lr_scheduler import (CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR,
                                   StepLR)

LRS = (0.1, 0.03)          # two parameter groups with different lrs


def two_group_sgd():
    return SGD([{"params": [Value(0.0)]}, {"params": [Value(0.0)], "lr": LRS[1]}], lr=LRS[0])


def torch_two_group_sgd(torch):
    a, b = (torch.zeros(1, requires_grad=True) for _ in range(2))
    return torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": LRS[1]}], lr=LRS[0])


def lr_sequence(optimizer, schedulers, steps=20, poke=None):
    seq = [[g["lr"] for g in optimizer.param_groups]]
    for epoch in range(steps):
        optimizer.step()
        for s in schedulers:
            s.step()
        if poke is not None and epoch == poke:          # change the lr by hand mid-run
            optimizer.param_groups[0]["lr"] *= 0.5
        seq.append(list(schedulers[-1].get_last_lr()))
        assert seq[-1] == [g["lr"] for g in optimizer.param_groups] or epoch == poke
    return seq


CASES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("StepLR", dict(step_size=1)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),      # 20 steps: down, bottom, up
    ("CosineAnnealingLR", dict(T_max=5)),
    ("CosineAnnealingLR", dict(T_max=1)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.5, end_factor=0.1, total_iters=8)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=30)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1 / (1 + epoch))),
    ("LambdaLR", dict(lr_lambda=[lambda e: 0.95 ** e, lambda e: e // 4])),
]


@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_matches_pytorch_20_steps(name, kw):
    torch = pytest.importorskip("torch")
    ours = two_group_sgd()
    theirs = torch_two_group_sgd(torch)
    got = lr_sequence(ours, [getattr(lr_scheduler, name)(ours, **kw)])
    want = lr_sequence(theirs, [getattr(torch.optim.lr_scheduler, name)(theirs, **kw)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert [g["initial_lr"] for g in ours.param_groups] == list(LRS)


def test_chained_schedulers_and_manual_lr_change_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = two_group_sgd(), torch_two_group_sgd(torch)
    got = lr_sequence(ours, [LinearLR(ours, start_factor=0.25, total_iters=4),
                             ExponentialLR(ours, gamma=0.8)])
    tl = torch.optim.lr_scheduler
    want = lr_sequence(theirs, [tl.LinearLR(theirs, start_factor=0.25, total_iters=4),
                                tl.ExponentialLR(theirs, gamma=0.8)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)

    ours, theirs = two_group_sgd(), torch_two_group_sgd(torch)
    got = lr_sequence(ours, [CosineAnnealingLR(ours, T_max=6)], poke=3)
    want = lr_sequence(theirs, [tl.CosineAnnealingLR(theirs, T_max=6)], poke=3)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- hand values

def run(scheduler_cls, steps, lr=0.1, **kw):
    opt = SGD([Value(0.0)], lr=lr)
    sched = scheduler_cls(opt, **kw)
    out = [sched.get_last_lr()[0]]
    for _ in range(steps):
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out, sched


def test_steplr_doc_example():
    lrs, sched = run(StepLR, 90, lr=0.05, step_size=30)
    assert lrs[:30] == [0.05] * 30
    assert lrs[30:60] == pytest.approx([0.005] * 30)
    assert lrs[60:90] == pytest.approx([0.0005] * 30)
    assert sched.last_epoch == 90


def test_exponential_by_hand():
    lrs, _ = run(ExponentialLR, 3, lr=1.0, gamma=0.5)
    assert lrs == [1.0, 0.5, 0.25, 0.125]


def test_cosine_follows_closed_form_and_comes_back_up():
    T, eta_min, base = 10, 0.001, 0.1
    lrs, _ = run(CosineAnnealingLR, 2 * T, lr=base, T_max=T, eta_min=eta_min)
    closed = [eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T)) / 2
              for t in range(2 * T + 1)]
    assert lrs == pytest.approx(closed, abs=1e-12)
    assert lrs[0] == base and lrs[T // 2] == pytest.approx((base + eta_min) / 2)
    assert lrs[T] == pytest.approx(eta_min) and lrs[2 * T] == pytest.approx(base)


def test_cosine_special_case_at_the_bottom():
    # At t = T_max + 1 the recursion's ratio would be 0/0: the step is (base−η_min)(1−cos(π/T))/2
    lrs, _ = run(CosineAnnealingLR, 4, lr=1.0, T_max=3, eta_min=0.0)
    assert lrs[3] == pytest.approx(0.0, abs=1e-15)
    assert lrs[4] == pytest.approx(lrs[3] + (1 - math.cos(math.pi / 3)) / 2, abs=1e-15)


def test_linear_default_warmup_by_hand():
    lrs, _ = run(LinearLR, 7, lr=0.3)
    assert lrs == pytest.approx([0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3, 0.3], abs=1e-12)


def test_lambda_per_group_uses_base_lrs():
    opt = two_group_sgd()
    sched = LambdaLR(opt, [lambda e: 1.0, lambda e: 2.0 ** e])
    opt.param_groups[1]["lr"] = 123.0        # LambdaLR is not chainable: it ignores this
    sched.step(); sched.step()
    assert sched.get_last_lr() == [LRS[0], LRS[1] * 4]


def test_scheduler_drives_the_optimizer_updates():
    w = Value(0.0)
    opt = SGD([w], lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        w.grad = -1.0
        opt.step()
        sched.step()
    assert w.data == 1.0 + 0.5 + 0.25


# ---------------------------------------------------------------- state and resuming

def test_state_dict_round_trip_and_resume():
    opt = two_group_sgd()
    sched = CosineAnnealingLR(opt, T_max=8, eta_min=0.001)
    for _ in range(3):
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 3 and sd["base_lrs"] == list(LRS)

    opt2 = two_group_sgd()
    opt2.load_state_dict(opt.state_dict())      # carries lr and initial_lr
    sched2 = CosineAnnealingLR(opt2, T_max=8, eta_min=0.001, last_epoch=2)
    sched2.load_state_dict(sd)
    assert sched2.get_last_lr() == sched.get_last_lr()
    for _ in range(5):
        sched.step()
        sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_resuming_without_initial_lr_raises():
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(two_group_sgd(), step_size=2, last_epoch=4)


def test_lambda_state_dict_saves_callable_objects_not_functions():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = two_group_sgd()
    decay = Decay()
    sched = LambdaLR(opt, [lambda e: 1.0, decay])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"rate": 0.5}]
    decay.rate = 0.9
    sched.load_state_dict(sd)
    assert decay.rate == 0.5 and sched.lr_lambdas[0] is not None


# ---------------------------------------------------------------- error paths

@pytest.mark.parametrize("make, match", [
    (lambda o: StepLR(o, step_size=0), "step_size"),
    (lambda o: CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: LinearLR(o, start_factor=0.0), "start_factor"),
    (lambda o: LinearLR(o, start_factor=1.5), "start_factor"),
    (lambda o: LinearLR(o, end_factor=-0.1), "end_factor"),
    (lambda o: LambdaLR(o, [lambda e: 1.0]), "Expected 2 lr_lambdas, but got 1"),
])
def test_bad_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make(two_group_sgd())


def test_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        StepLR([Value(0.0)], step_size=1)
