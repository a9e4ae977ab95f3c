"""nn.optim: hand-computed trajectories, PyTorch parity (20 steps, every option), base-class API.

Parameters come in two kinds: scalar `autograd.Value`s and a tiny tensor stand-in (a graph
`Node` whose numbers, read through the protocol's `raw_data` / `raw_grad`, are an ndarray
updated in place and None or an ndarray), the contract tensor parameters follow.
"""
import math
import warnings

import numpy as np
import pytest

from autograd import Value, no_grad
from autograd.graph import Node
from nn.optim import SGD, Adam, AdamW, Optimizer, RMSprop


class P(Node):
    """A tensor-parameter stand-in: what the optimizers may rely on, and nothing more
    (Node's raw_data / raw_grad read and write these `data` / `grad` attributes)."""

    def __init__(self, data, dtype=np.float64):
        self.data = np.array(data, dtype=dtype)
        self.grad = None


def quad_run(opt_cls, steps=3, theta0=1.0, **kw):
    """Minimise θ² with a scalar Value; return the trajectory."""
    w = Value(theta0)
    opt = opt_cls([w], **kw)
    out = []
    for _ in range(steps):
        w.grad = 2 * w.data
        opt.step()
        out.append(w.data)
    return out


# ---------------------------------------------------------------- hand-computed trajectories

@pytest.mark.parametrize("kw, expected", [
    (dict(lr=0.1), [0.8, 0.64, 0.512]),
    # b = 2; b = 0.9·2 + 1.6 = 3.4; b = 0.9·3.4 + 0.92 = 3.98
    (dict(lr=0.1, momentum=0.9), [0.8, 0.46, 0.062]),
    # dampening only from step 2: b = 2; 1.8 + 0.5·1.6 = 2.6; 2.34 + 0.5·1.08 = 2.88
    (dict(lr=0.1, momentum=0.9, dampening=0.5), [0.8, 0.54, 0.252]),
    # nesterov: θ -= lr·(g + 0.9·b)
    (dict(lr=0.1, momentum=0.9, nesterov=True), [0.62, 0.2224, -0.108352]),
    # coupled decay: g = 2θ + 0.5θ
    (dict(lr=0.1, weight_decay=0.5), [0.75, 0.5625, 0.421875]),
    # maximize walks uphill: θ ← 1.2θ
    (dict(lr=0.1, maximize=True), [1.2, 1.44, 1.728]),
])
def test_sgd_hand_computed(kw, expected):
    assert quad_run(SGD, **kw) == pytest.approx(expected, abs=1e-12)


def test_sgd_default_lr_is_1e_3():
    assert SGD([Value(0.0)]).defaults["lr"] == 1e-3


def test_adam_bias_correction_makes_constant_gradient_steps_equal():
    w = Value(1.0)
    opt = Adam([w], lr=0.1)
    for _ in range(3):
        w.grad = 3.0
        opt.step()
    assert w.data == pytest.approx(1 - 3 * 0.1 * 3 / (3 + 1e-8), abs=1e-14)


def test_adam_amsgrad_by_hand():
    # β1 = 0, β2 = 0.5, lr = 1, eps = 0, grads 2, 1, 0.5: v = 2, 1.5, 0.875 (max stays 2)
    def run(amsgrad):
        w = Value(0.0)
        opt = Adam([w], lr=1.0, betas=(0.0, 0.5), eps=0.0, amsgrad=amsgrad)
        for g in (2.0, 1.0, 0.5):
            w.grad = g
            opt.step()
        return w.data, opt.state[w]
    plain, _ = run(False)
    ams, state = run(True)
    assert plain == pytest.approx(-(1 + 1 / math.sqrt(2) + 0.5), abs=1e-12)
    assert ams == pytest.approx(-(1 + 1 / math.sqrt(2 / 0.75) + 0.5 / math.sqrt(2 / 0.875)),
                                abs=1e-12)
    assert state["max_exp_avg_sq"] == 2.0 and state["exp_avg_sq"] == pytest.approx(0.875)


def test_adamw_decays_first_and_differs_from_adam():
    def first_step(cls):
        w = Value(2.0)
        w.grad = 1.0
        cls([w], lr=0.1, weight_decay=0.5).step()
        return w.data
    # AdamW: θ·(1 − 0.05) then − lr·sign(g);  Adam: g = 1 + 0.5·2 = 2 still moves by lr
    assert first_step(AdamW) == pytest.approx(2 * 0.95 - 0.1 * 1 / (1 + 1e-8), abs=1e-12)
    assert first_step(Adam) == pytest.approx(2 - 0.1 * 2 / (2 + 1e-8), abs=1e-12)
    assert AdamW([Value(0.0)]).defaults["weight_decay"] == 1e-2


def test_rmsprop_by_hand():
    assert quad_run(RMSprop, steps=1, lr=0.01) == pytest.approx([1 - 0.02 / (0.2 + 1e-8)])
    # centered: s = 0.04, a = 0.02, d = √(0.04 − 0.0004)
    assert quad_run(RMSprop, steps=1, lr=0.01, centered=True) == pytest.approx(
        [1 - 0.02 / (math.sqrt(0.0396) + 1e-8)], abs=1e-12)
    # momentum, α = 0.5, lr = 1, eps = 0, grads 2, 2: s = 2, 3; b = √2, 0.5√2 + 2/√3
    w = Value(0.0)
    opt = RMSprop([w], lr=1.0, alpha=0.5, eps=0.0, momentum=0.5)
    for _ in range(2):
        w.grad = 2.0
        opt.step()
    assert w.data == pytest.approx(-math.sqrt(2) - (0.5 * math.sqrt(2) + 2 / math.sqrt(3)),
                                   abs=1e-12)


# ---------------------------------------------------------------- PyTorch parity

X0 = np.random.default_rng(0).normal(size=(2, 3))
Y0 = np.random.default_rng(1).normal(size=(4,))


def fixed_grad(theta):
    """A fixed nonlinear function of the parameters, so the trajectory matters."""
    return 2 * (theta - 0.5) + 0.3 * np.sin(3 * theta) + 0.1 * theta ** 3


class Side:
    """Our two parameters (shapes (2,3) and (4,)) as stand-ins or as lists of Values."""

    def __init__(self, kind, dtype=np.float64):
        self.kind = kind
        if kind == "tensor":
            self.a, self.b = P(X0, dtype), P(Y0, dtype)
            self.arrays = (self.a.data, self.b.data)
        else:
            self.a = [Value(float(v)) for v in X0.ravel()]
            self.b = [Value(float(v)) for v in Y0]

    def flat(self):
        return [self.a, self.b] if self.kind == "tensor" else self.a + self.b

    def values(self):
        if self.kind == "tensor":
            return self.a.data, self.b.data
        return (np.array([v.data for v in self.a]).reshape(X0.shape),
                np.array([v.data for v in self.b]))

    def set_grads(self, ga, gb):
        if self.kind == "tensor":
            self.a.grad, self.b.grad = ga.copy(), gb.copy()
        else:
            for v, g in zip(self.a + self.b, np.concatenate([ga.ravel(), gb])):
                v.grad = float(g)

    def remember_arrays(self):
        if self.kind == "tensor":
            self.arrays = (self.a.data, self.b.data)

    def check_kind_contract(self, packed):
        if self.kind == "tensor":       # the model holds these very arrays: update in place
            assert self.a.data is self.arrays[0] and self.b.data is self.arrays[1]
            # ... views into the group's one flat buffer from its second step on
            flat = self.a.data.base is not None and self.a.data.base is self.b.data.base
            assert flat == packed
        else:                           # Value.data stays a Python float, not np.float64
            assert all(type(v.data) is float for v in self.a + self.b)


def run_parity(torch, cls, torch_cls, kind, kw, group_kw=None, steps=20, dtype=np.float64,
               tol=1e-9):
    ours = Side(kind, dtype)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    ta = torch.tensor(X0, dtype=tdtype, requires_grad=True)
    tb = torch.tensor(Y0, dtype=tdtype, requires_grad=True)
    if group_kw is None:
        opt, topt = cls(ours.flat(), **kw), torch_cls([ta, tb], **kw)
    else:
        opt = cls([{"params": ours.a}, {"params": ours.b, **group_kw}], **kw)
        topt = torch_cls([{"params": [ta]}, {"params": [tb], **group_kw}], **kw)
    for step in range(steps):
        if step == 2:                   # packed into flat buffers at the second step
            ours.remember_arrays()
        a, b = ours.values()
        ga, gb = fixed_grad(a), fixed_grad(b)
        ours.set_grads(ga, gb)
        ta.grad = torch.tensor(ga, dtype=tdtype)
        tb.grad = torch.tensor(gb, dtype=tdtype)
        opt.step()
        topt.step()
        a, b = ours.values()
        np.testing.assert_allclose(a, ta.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(b, tb.detach().numpy(), rtol=tol, atol=tol)
    ours.check_kind_contract(packed=group_kw is None)
    if kind == "tensor":                # the state buffers match torch's, name by name
        for p, tp in ((ours.a, ta), (ours.b, tb)):
            for key, value in opt.state[p].items():
                expected = topt.state[tp][key]
                if key == "step":
                    assert value == expected.item()
                else:
                    np.testing.assert_allclose(value, expected.numpy(), rtol=tol, atol=tol)
                    assert value.dtype == dtype
            assert set(opt.state[p]) == set(topt.state[tp])


SGD_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.05, momentum=0.9, weight_decay=0.05, nesterov=True),
    dict(lr=0.02, maximize=True),
    dict(lr=0.02, momentum=0.9, dampening=0.1, weight_decay=0.01, maximize=True),
]
ADAM_CONFIGS = [
    dict(),
    dict(lr=0.05),
    dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.05, maximize=True),
    dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True),
]
ADAMW_CONFIGS = [
    dict(),
    dict(lr=0.05),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.05, weight_decay=0.2, amsgrad=True, maximize=True),
]
RMSPROP_CONFIGS = [
    dict(),
    dict(lr=0.01, alpha=0.9),
    dict(centered=True),
    dict(momentum=0.9),
    dict(weight_decay=0.1),
    dict(lr=0.005, centered=True, momentum=0.5, weight_decay=0.1),
    dict(maximize=True),
    dict(eps=1e-4, centered=True, maximize=True),
]
CASES = ([("SGD", kw) for kw in SGD_CONFIGS] + [("Adam", kw) for kw in ADAM_CONFIGS]
         + [("AdamW", kw) for kw in ADAMW_CONFIGS] + [("RMSprop", kw) for kw in RMSPROP_CONFIGS])
OURS = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW, "RMSprop": RMSprop}


@pytest.mark.parametrize("kind", ["tensor", "value"])
@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_matches_pytorch_20_steps(name, kw, kind):
    torch = pytest.importorskip("torch")
    run_parity(torch, OURS[name], getattr(torch.optim, name), kind, kw)


GROUP_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9), dict(lr=0.01, nesterov=True)),
    ("SGD", dict(lr=0.1), dict(lr=0.3, weight_decay=0.2)),
    ("Adam", dict(lr=0.05), dict(lr=0.2, betas=(0.5, 0.9), amsgrad=True)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1), dict(lr=0.01, weight_decay=0.5)),
    ("RMSprop", dict(lr=0.01), dict(lr=0.001, centered=True, momentum=0.5)),
]


@pytest.mark.parametrize("kind", ["tensor", "value"])
@pytest.mark.parametrize("name, kw, group_kw", GROUP_CASES,
                         ids=[f"{n}-{g}" for n, _, g in GROUP_CASES])
def test_param_groups_match_pytorch(name, kw, group_kw, kind):
    torch = pytest.importorskip("torch")
    run_parity(torch, OURS[name], getattr(torch.optim, name), kind, kw, group_kw)


@pytest.mark.parametrize("name, kw", [("SGD", dict(lr=0.1, momentum=0.9)),
                                      ("Adam", dict(lr=0.05, amsgrad=True)),
                                      ("RMSprop", dict(centered=True, momentum=0.5))])
def test_float32_parameters_stay_float32_and_in_place(name, kw):
    torch = pytest.importorskip("torch")
    run_parity(torch, OURS[name], getattr(torch.optim, name), "tensor", kw,
               dtype=np.float32, tol=1e-5)


# ---------------------------------------------------------------- step / zero_grad semantics

@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda ps: Adam(ps, lr=0.1, weight_decay=0.1),
    lambda ps: AdamW(ps, lr=0.1),
    lambda ps: RMSprop(ps, momentum=0.9, weight_decay=0.1, centered=True),
])
def test_param_with_grad_none_is_skipped(make):
    idle, busy = P([1.0, -2.0]), P([1.0, -2.0])
    opt = make([idle, busy])
    for _ in range(3):
        busy.grad = np.array([0.5, 0.5])
        opt.step()
    np.testing.assert_array_equal(idle.data, [1.0, -2.0])     # no decay, no momentum
    assert idle not in opt.state
    assert not np.array_equal(busy.data, [1.0, -2.0])


def test_zero_grad_arrays_none_or_zeroed_in_place_and_values_zero():
    p, w = P([1.0, 2.0]), Value(3.0)
    opt = SGD([p, w], lr=0.1)
    p.grad, w.grad = np.array([4.0, 5.0]), 6.0
    grad_array = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad_array and not p.grad.any()
    assert w.grad == 0.0 and type(w.grad) is float
    opt.zero_grad()
    assert p.grad is None
    assert w.grad == 0.0          # difference from torch: a Value's grad is never None


def test_value_with_zero_grad_is_still_stepped():
    # Pins the documented difference: zero_grad leaves Values at 0.0, not None, so momentum
    # and weight decay keep acting on them (a tensor with grad None would be skipped).
    w = Value(1.0)
    opt = SGD([w], lr=0.1, weight_decay=1.0)
    opt.zero_grad()
    opt.step()
    assert w.data == pytest.approx(0.9)


def test_momentum_buffer_does_not_alias_the_grad():
    p = P([1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.array([2.0])
    opt.step()
    opt.zero_grad(set_to_none=False)         # zeroes the grad array in place
    assert opt.state[p]["momentum_buffer"][0] == 2.0


def test_step_with_closure_returns_loss_under_enable_grad():
    w = Value(3.0)
    opt = SGD([w], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = w * w
        calls.append(loss.parents != ())     # recorded, even though step runs in no_grad
        loss.backward()
        return loss

    with no_grad():
        loss = opt.step(closure)
    assert calls == [True] and loss.data == 9.0 and w.data == pytest.approx(2.4)
    assert opt.step() is None


# ---------------------------------------------------------------- param groups, state dicts

def test_add_param_group_fills_defaults_and_uses_its_own_lr():
    a, b = Value(1.0), Value(1.0)
    opt = SGD([a], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[1]["params"] == [b]
    a.grad = b.grad = 1.0
    opt.step()
    assert (a.data, b.data) == pytest.approx((0.9, 0.99))


def test_named_parameters_are_accepted():
    a, b = Value(1.0), P([1.0])
    opt = Adam([("w", a), ("b", b)])
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.param_groups[0]["params"] == [a, b]
    with pytest.raises(ValueError, match="names"):
        Adam([("w", a), b])


def test_state_dict_round_trip_continues_identically():
    def make():
        p, w = P([[1.0, -1.0]]), Value(0.5)
        return p, w, Adam([{"params": [p]}, {"params": [w], "lr": 0.01}], lr=0.1,
                          amsgrad=True)

    def train(p, w, opt, steps):
        for _ in range(steps):
            p.grad = fixed_grad(p.data)
            w.grad = float(fixed_grad(w.data))
            opt.step()

    p1, w1, opt1 = make()
    train(p1, w1, opt1, 5)
    sd = opt1.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert set(sd["state"]) == {0, 1} and sd["state"][1]["step"] == 5
    assert isinstance(sd["state"][1]["exp_avg"], float)
    saved = sd["state"][0]["exp_avg"].copy()

    p2, w2, opt2 = make()
    p2.data[...] = p1.data
    w2.data = w1.data
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.01 and opt2.param_groups[0]["params"] == [p2]
    train(p1, w1, opt1, 5)
    train(p2, w2, opt2, 5)
    np.testing.assert_array_equal(p1.data, p2.data)
    assert w1.data == w2.data
    # Difference from torch (pinned): state_dict() copies, so the saved dict is a snapshot.
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], saved)
    assert opt2.state[p2]["exp_avg"] is not sd["state"][0]["exp_avg"]


def test_load_state_dict_casts_to_param_dtype_and_validates_sizes():
    p64, p32 = P([1.0, 2.0]), P([1.0, 2.0], dtype=np.float32)
    opt64 = SGD([p64], lr=0.1, momentum=0.9)
    p64.grad = np.array([1.0, 1.0])
    opt64.step()
    opt32 = SGD([p32], lr=0.1, momentum=0.9)
    opt32.load_state_dict(opt64.state_dict())
    assert opt32.state[p32]["momentum_buffer"].dtype == np.float32
    with pytest.raises(ValueError, match="number of parameter groups"):
        SGD([{"params": [P([1.0])]}, {"params": [P([1.0])]}]).load_state_dict(
            opt64.state_dict())
    with pytest.raises(ValueError, match="size"):
        SGD([P([1.0]), P([1.0])]).load_state_dict(opt64.state_dict())


def test_repr_lists_groups():
    text = repr(SGD([Value(1.0)], lr=0.1))
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.1" in text


def test_custom_optimizer_only_writes_update():
    class Halve(Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

        def _update(self, p, grad, state, group):
            p.data *= 0.5

    p = P([4.0])
    p.grad = np.zeros(1)
    Halve([p]).step()
    assert p.data[0] == 2.0
    with pytest.raises(TypeError):
        Optimizer([p], {})                 # abstract: _update is missing


# ---------------------------------------------------------------- error paths

@pytest.mark.parametrize("make, name", [
    (lambda ps: SGD(ps, lr=-0.1), "lr"),
    (lambda ps: SGD(ps, momentum=-0.5), "momentum"),
    (lambda ps: SGD(ps, weight_decay=-1), "weight_decay"),
    (lambda ps: SGD(ps, lr=float("nan")), "lr"),
    (lambda ps: Adam(ps, lr=-1), "lr"),
    (lambda ps: Adam(ps, eps=-1e-8), "eps"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)), r"betas\[0\]"),
    (lambda ps: Adam(ps, betas=(0.9, -0.1)), r"betas\[1\]"),
    (lambda ps: AdamW(ps, weight_decay=-0.01), "weight_decay"),
    (lambda ps: RMSprop(ps, alpha=-0.9), "alpha"),
    (lambda ps: RMSprop(ps, momentum=-1), "momentum"),
    (lambda ps: RMSprop(ps, eps=-1), "eps"),
    (lambda ps: RMSprop(ps, weight_decay=-1), "weight_decay"),
])
def test_bad_hyperparameters_raise_naming_them(make, name):
    with pytest.raises(ValueError, match=f"Invalid {name} value"):
        make([Value(1.0)])


@pytest.mark.parametrize("kw", [dict(nesterov=True), dict(nesterov=True, momentum=0.9,
                                                          dampening=0.1)])
def test_nesterov_needs_momentum_and_no_dampening(kw):
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero "
                                         "dampening"):
        SGD([Value(1.0)], lr=0.1, **kw)


def test_bad_params_raise():
    w = Value(1.0)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([])
    with pytest.raises(TypeError, match="wrap it in a list"):
        SGD(w)
    with pytest.raises(TypeError, match="ordered collections"):
        SGD({w})                           # torch only rejects sets inside a group dict
    with pytest.raises(TypeError, match="ordered collections"):
        SGD([{"params": {w}}])
    with pytest.raises(TypeError, match="float"):
        SGD([1.0])
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [w]}, {"params": [w]}])
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([w * 2])
    with pytest.raises(TypeError, match="param_group must be a dict"):
        SGD([w]).add_param_group([Value(2.0)])

    class Unhashable(P):
        __hash__ = None

    with pytest.raises(TypeError, match="unhashable"):
        SGD([Unhashable([1.0])])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SGD([w, w])
    assert "duplicate" in str(caught[0].message)


# ---------------------------------------------------------------- with the real engine

@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.05, momentum=0.9),
                                  lambda ps: Adam(ps, lr=0.05),
                                  lambda ps: RMSprop(ps, lr=0.01)])
def test_trains_a_scalar_mlp_with_real_backward(make):
    import nn
    from nn.utils import clip_grad_norm_
    model = nn.MLP(2, [8, 1], seed=0)
    opt = make(list(model.parameters()))
    data = [([0.0, 1.0], 1.0), ([1.0, 0.0], -1.0), ([1.0, 1.0], 0.5), ([-1.0, 0.5], 0.0)]

    def loss_fn():
        return sum((model(x) - y) ** 2 for x, y in data) / len(data)

    first = loss_fn().data
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
    assert loss_fn().data < 0.2 * first


def test_real_tensor_parameters_with_backward_match_pytorch():
    torch = pytest.importorskip("torch")
    parameter = pytest.importorskip("nn.parameter")
    w0 = np.array([[1.0, -2.0], [0.5, 3.0]])
    w, tw = parameter.Parameter(w0.copy()), torch.tensor(w0, requires_grad=True)
    storage = w.raw_data
    opt, topt = AdamW([w], lr=0.1, amsgrad=True), torch.optim.AdamW([tw], lr=0.1, amsgrad=True)
    for _ in range(20):
        opt.zero_grad()
        topt.zero_grad()
        ((w * w * w).sum() + (w * 3).sum()).backward()
        ((tw * tw * tw).sum() + (tw * 3).sum()).backward()
        opt.step()
        topt.step()
    assert w.raw_data is storage and w.grad is not None
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- flat buffers (nn/optim/flat.py)

def _flat_and_per_parameter(cls, kw, dtype, steps=12):
    """The same run twice: one group of two parameters (packed into flat buffers from step
    2) and one group per parameter (never packed: the per-parameter path)."""
    flat, apart = Side("tensor", dtype), Side("tensor", dtype)
    opt_flat = cls(flat.flat(), **kw)
    opt_apart = cls([{"params": [apart.a]}, {"params": [apart.b]}], **kw)
    for _ in range(steps):
        for side, opt in ((flat, opt_flat), (apart, opt_apart)):
            a, b = side.values()
            side.set_grads(fixed_grad(a), fixed_grad(b))
            opt.step()
    return flat, apart, opt_flat, opt_apart


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_flat_buffers_give_the_per_parameter_numbers_bit_for_bit(name, kw, dtype):
    flat, apart, opt_flat, opt_apart = _flat_and_per_parameter(OURS[name], kw, dtype)
    assert flat.a.data.base is not None and flat.a.data.base is flat.b.data.base
    assert apart.a.data.base is None
    for x, y in zip(flat.values(), apart.values()):
        assert x.dtype == dtype and np.array_equal(x, y)
    for p, q in ((flat.a, apart.a), (flat.b, apart.b)):
        assert set(opt_flat.state[p]) == set(opt_apart.state[q])
        for key, value in opt_flat.state[p].items():
            assert np.array_equal(value, opt_apart.state[q][key])


def _steps(opt, n, *params):
    for _ in range(n):
        for p in params:
            p.grad = fixed_grad(p.data)
        opt.step()


def test_flat_buffers_undone_by_a_replaced_array_then_packed_again():
    a, b = P(X0), P(Y0)
    opt = Adam([a, b], lr=0.05)
    _steps(opt, 2, a, b)
    packed = a.data
    a.data = a.data.astype(np.float64)          # e.g. model.to(...): a new array
    before = a.data.copy()
    _steps(opt, 1, a, b)                        # repacked: the new array is updated
    assert not np.array_equal(a.data, before)
    assert a.data.base is b.data.base and a.data.base is not packed.base


def test_flat_step_skips_to_per_parameter_path_when_a_grad_is_none():
    a, b = P(X0), P(Y0)
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    _steps(opt, 2, a, b)
    b_before = b.data.copy()
    a.grad, b.grad = fixed_grad(a.data), None   # b is skipped entirely, as in PyTorch
    opt.step()
    assert np.array_equal(b.data, b_before)


def test_flat_buffers_survive_a_state_dict_round_trip():
    a, b = P(X0), P(Y0)
    opt = Adam([a, b], lr=0.05)
    _steps(opt, 3, a, b)
    saved = opt.state_dict()
    assert saved["state"][0]["exp_avg"].base is None          # copies, not views
    c, d = P(X0), P(Y0)
    c.data[...], d.data[...] = a.data, b.data
    twin = Adam([c, d], lr=0.05)
    twin.load_state_dict(saved)
    for _ in range(3):
        _steps(opt, 1, a, b)
        _steps(twin, 1, c, d)
    assert np.array_equal(a.data, c.data) and np.array_equal(b.data, d.data)
    assert twin.state[c]["step"] == opt.state[a]["step"] == 6


def test_groups_of_big_parameters_keep_the_per_parameter_update():
    from nn.optim.flat import PACKED_MEAN_SIZE
    a, b = P(np.ones(PACKED_MEAN_SIZE + 1)), P(np.ones(PACKED_MEAN_SIZE + 1))
    opt = Adam([a, b], lr=0.05)
    arrays = a.data, b.data
    for _ in range(3):
        a.grad, b.grad = np.ones_like(a.data), np.ones_like(b.data)
        opt.step()
    assert a.data is arrays[0] and b.data is arrays[1] and a.data.base is None
    assert a.data[0] < 1
