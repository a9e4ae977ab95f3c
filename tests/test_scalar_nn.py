"""Scalar networks: `Module` bookkeeping (parameters, modes, state_dict, .npz files) and
micrograd-style `Neuron/Layer/MLP` (activations, inits, seeds, fused vs per-op graphs), plus
a tiny ReLU net worked out by hand."""
import gc
import math
import pickle
import random

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, topological_order
from autograd.mode import THREAD
from nn import MLP, IncompatibleKeys, Layer, Module, Neuron


# ---- the 2-input ReLU net, by hand -------------------------------------------------------

def _tiny_net():
    """x1, x2 -> h = relu(w11 x1 + w21 x2) -> ŷ = w_out h, biases 0: MLP(2, [1, 1])."""
    net = MLP(2, [1, 1])
    net.load_state_dict({"layers.0.neurons.0.w": [0.5, -0.5], "layers.0.neurons.0.b": 0.0,
                         "layers.1.neurons.0.w": [1.0], "layers.1.neurons.0.b": 0.0})
    (w11, w21, b_h, w_out, b_out) = net.parameters()
    return net, w11, w21, b_h, w_out, b_out


def test_tiny_relu_net_at_the_target_has_zero_loss_and_zero_gradients():
    # x1 = 1, x2 = -1: pre = 0.5·1 + (−0.5)(−1) = 1, h = relu(1) = 1, ŷ = 1·1 = 1,
    # loss = ½(1 − 1)² = 0, dL/dŷ = ŷ − 1 = 0, so every gradient is 0.
    net, w11, w21, b_h, w_out, b_out = _tiny_net()
    x1, x2 = Value(1.0), Value(-1.0)
    y_hat = net([x1, x2])
    assert type(y_hat) is Value
    h = y_hat.parents[-1]
    loss = 0.5 * (y_hat - 1.0) ** 2
    loss.backward()
    assert (h.data, y_hat.data, loss.data) == (1.0, 1.0, 0.0)
    assert [p.grad for p in net.parameters()] == [0.0] * 5
    assert (x1.grad, x2.grad) == (0.0, 0.0)


def test_tiny_relu_net_off_target():
    # Same net, target 3: loss = ½(1 − 3)² = 2, dL/dŷ = ŷ − 3 = −2.
    # dL/dw_out = −2·h = −2, dL/db_out = −2, dL/dh = −2·w_out = −2, relu'(1) = 1 so
    # dL/dpre = −2: dL/dw11 = −2·x1 = −2, dL/dw21 = −2·x2 = 2, dL/db_h = −2,
    # dL/dx1 = −2·w11 = −1, dL/dx2 = −2·w21 = 1.
    net, w11, w21, b_h, w_out, b_out = _tiny_net()
    x1, x2 = Value(1.0), Value(-1.0)
    loss = 0.5 * (net([x1, x2]) - 3.0) ** 2
    loss.backward()
    assert loss.data == 2.0
    assert (w11.grad, w21.grad, b_h.grad, w_out.grad, b_out.grad) == (-2.0, 2.0, -2.0, -2.0, -2.0)
    assert (x1.grad, x2.grad) == (-1.0, 1.0)


def test_tiny_relu_net_at_the_kink():
    # x = (1, 1): pre = 0.5 − 0.5 = 0, h = relu(0) = 0, ŷ = 0, loss = ½(0 − 1)² = 0.5,
    # dL/dŷ = −1: dL/dw_out = −1·h = 0, dL/db_out = −1, dL/dh = −1, relu'(0) = 0 (PyTorch's
    # convention) so nothing reaches w11, w21, b_h.
    net, w11, w21, b_h, w_out, b_out = _tiny_net()
    loss = 0.5 * (net([1.0, 1.0]) - 1.0) ** 2
    loss.backward()
    assert loss.data == 0.5
    assert (w11.grad, w21.grad, b_h.grad, w_out.grad, b_out.grad) == (0.0, 0.0, 0.0, 0.0, -1.0)


def test_tiny_relu_net_per_op_graph_gives_the_same_numbers():
    net, *_ = _tiny_net()
    per_op = MLP(2, [1, 1], fused=False)
    per_op.load_state_dict(net.state_dict())
    for model in (net, per_op):
        loss = 0.5 * (model([1.0, -1.0]) - 3.0) ** 2
        loss.backward()
    assert [p.grad for p in net.parameters()] == [p.grad for p in per_op.parameters()]


# ---- Module bookkeeping ----------------------------------------------------------------------

class _Pair(Module):
    def __init__(self):
        self.scale = Value(2.0)
        self.offsets = [Value(0.1), Value(0.2)]
        self.inner = Neuron(2, activation="tanh", seed=0)
        self.shared = self.scale          # the same parameter twice: listed once
        self.blocks = [Neuron(1, seed=1), Neuron(1, seed=2)]
        self.not_a_param = 3.0

    def forward(self, x):
        return self.inner(x) * self.scale + self.offsets[0] + self.blocks[1](self.blocks[0](x[0]))


def test_named_parameters_names_order_and_deduplication():
    m = _Pair()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "offsets.0", "offsets.1", "inner.w.0", "inner.w.1", "inner.b",
                     "blocks.0.w.0", "blocks.0.b", "blocks.1.w.0", "blocks.1.b"]
    assert m.parameters() == [p for _, p in m.named_parameters()]
    assert len(m.parameters()) == 10 and type(m.parameters()) is list
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale", "offsets.0",
                                                                 "offsets.1"]
    assert [n for n, _ in m.named_parameters(prefix="net")][0] == "net.scale"
    assert [n for n, _ in m.named_modules()] == ["", "inner", "blocks.0", "blocks.1"]
    assert [n for n, _ in m.named_children()] == ["inner", "blocks.0", "blocks.1"]


def test_mlp_parameter_names_in_micrograds_order():
    m = MLP(2, [2, 1], seed=0)
    assert [n for n, _ in m.named_parameters()] == [
        "layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0", "layers.0.neurons.1.w.1", "layers.0.neurons.1.b",
        "layers.1.neurons.0.w.0", "layers.1.neurons.0.w.1", "layers.1.neurons.0.b"]
    per_neuron = [p for layer in m.layers for n in layer.neurons for p in n.w + [n.b]]
    assert m.parameters() == per_neuron


def test_zero_grad():
    m = MLP(3, [4, 1], seed=0)
    m([1.0, 2.0, 3.0]).backward()
    assert any(p.grad != 0.0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0.0 and type(p.grad) is float for p in m.parameters())


def test_train_and_eval_recurse_and_return_self():
    m = MLP(2, [3, 1], seed=0)
    assert all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    assert m.train() is m and all(x.training for x in m.modules())
    m.train(False)
    assert not m.layers[1].neurons[0].training


def test_forward_must_be_defined():
    with pytest.raises(TypeError, match="must define forward"):
        Module()()


def test_call_tags_nodes_with_their_module_and_restores_state():
    m = MLP(2, [3, 1], seed=0)
    out = m([1.0, 2.0])
    assert out._scope is m.layers[1].neurons[0]
    assert out._scope._qualname == "layers.1.neurons.0"
    assert THREAD.recording.scope is None and gc.isenabled()
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        m([1.0, 2.0, 3.0])
    assert THREAD.recording.scope is None and gc.isenabled()


def test_mlp_needs_at_least_one_layer():
    with pytest.raises(ValueError, match="MLP: nouts must list at least one layer size"):
        MLP(2, [])


# ---- state_dict ----------------------------------------------------------------------------

def test_state_dict_keys_shapes_and_copies():
    m = MLP(3, [2, 1], seed=0)
    sd = m.state_dict()
    assert list(sd) == ["layers.0.neurons.0.w", "layers.0.neurons.0.b",
                        "layers.0.neurons.1.w", "layers.0.neurons.1.b",
                        "layers.1.neurons.0.w", "layers.1.neurons.0.b"]
    assert sd["layers.0.neurons.0.w"].shape == (3,) and sd["layers.0.neurons.0.b"].shape == ()
    assert sd["layers.0.neurons.0.w"].dtype == np.float64
    assert list(sd["layers.0.neurons.1.w"]) == [w.data for w in m.layers[0].neurons[1].w]
    sd["layers.0.neurons.0.w"][0] = 123.0          # a copy: the model is untouched
    assert m.layers[0].neurons[0].w[0].data != 123.0


def test_load_state_dict_round_trip():
    a, b = MLP(3, [4, 2], seed=1), MLP(3, [4, 2], seed=2)
    x = [0.5, -1.0, 2.0]
    assert [v.data for v in a(x)] != [v.data for v in b(x)]
    result = b.load_state_dict(a.state_dict())
    assert result == IncompatibleKeys([], []) and result.missing_keys == []
    assert [v.data for v in a(x)] == [v.data for v in b(x)]
    # Loading writes into the existing Values (an optimizer holding them keeps working).
    before = b.parameters()
    b.load_state_dict(MLP(3, [4, 2], seed=3).state_dict())
    assert all(p is q for p, q in zip(before, b.parameters()))


def test_load_state_dict_strict_errors():
    m = MLP(2, [2, 1], seed=0)
    sd = m.state_dict()
    missing = dict(sd)
    del missing["layers.1.neurons.0.b"]
    with pytest.raises(RuntimeError, match=r"missing keys \['layers.1.neurons.0.b'\]"):
        m.load_state_dict(missing)
    unexpected = dict(sd, extra=np.zeros(2))
    with pytest.raises(RuntimeError, match=r"unexpected keys \['extra'\]"):
        m.load_state_dict(unexpected)
    wrong = dict(sd)
    wrong["layers.0.neurons.1.w"] = np.zeros(3)
    with pytest.raises(RuntimeError, match=r"size mismatch for layers.0.neurons.1.w: the "
                                           r"checkpoint has shape \(3,\), the model has \(2,\)"):
        m.load_state_dict(wrong)
    # A failed strict load of missing/unexpected keys changes nothing.
    assert all(np.array_equal(m.state_dict()[k], sd[k]) for k in sd)


def test_load_state_dict_non_strict_reports_and_loads_the_rest():
    m = MLP(2, [2, 1], seed=0)
    source = MLP(2, [2, 1], seed=9).state_dict()
    kept = m.state_dict()["layers.1.neurons.0.w"]
    del source["layers.1.neurons.0.w"]
    source["bogus.key"] = np.ones(1)
    result = m.load_state_dict(source, strict=False)
    assert result.missing_keys == ["layers.1.neurons.0.w"]
    assert result.unexpected_keys == ["bogus.key"]
    assert np.array_equal(m.state_dict()["layers.0.neurons.0.w"], source["layers.0.neurons.0.w"])
    assert np.array_equal(m.state_dict()["layers.1.neurons.0.w"], kept)


def test_buffers_are_saved_and_loaded():
    class WithBuffer(Module):
        def __init__(self):
            self.w = Value(1.0)
            self.register_buffer("running", Tensor(np.zeros(3)))

    m = WithBuffer()
    assert list(m.state_dict()) == ["w", "running"]
    assert [n for n, _ in m.named_buffers()] == ["running"]
    m.load_state_dict({"w": 2.0, "running": np.arange(3.0)})
    assert m.w.data == 2.0 and list(m.running) == [0.0, 1.0, 2.0]
    assert m.parameters() == [m.w]


# ---- .npz files ----------------------------------------------------------------------------

def test_save_and_load_npz(tmp_path):
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    path = tmp_path / "model.npz"
    a.save(str(path))
    with np.load(path, allow_pickle=False) as data:     # plain arrays, readable by NumPy
        assert sorted(data.files) == sorted(a.state_dict())
    assert b.load(str(path)) == IncompatibleKeys([], [])
    assert a([0.3, -0.2]).data == b([0.3, -0.2]).data


def test_save_writes_exactly_the_path_given(tmp_path):
    # np.savez would silently append ".npz"; then load(same path) could not find the file.
    m = MLP(2, [2, 1], seed=0)
    path = tmp_path / "checkpoint"
    m.save(str(path))
    assert path.exists()
    other = MLP(2, [2, 1], seed=5)
    other.load(str(path))
    assert other.state_dict()["layers.0.neurons.0.w"].tolist() == \
        m.state_dict()["layers.0.neurons.0.w"].tolist()


def test_load_refuses_pickled_object_arrays(tmp_path):
    m = MLP(2, [2, 1], seed=0)
    state = m.state_dict()
    state["layers.0.neurons.0.w"] = np.array([1.0, {"evil": True}], dtype=object)
    path = tmp_path / "bad.npz"
    np.savez(path, **state)                  # NumPy pickles object arrays into the file
    with pytest.raises(ValueError, match=r"bad\.npz: member .* holds Python objects.*"
                                         r"never loads pickled objects"):
        m.load(str(path))


def test_load_refuses_a_pickle_file_and_a_bare_npy(tmp_path):
    m = MLP(2, [2, 1], seed=0)
    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(pickle.dumps(m.state_dict()))
    with pytest.raises(ValueError, match="never loads pickled objects"):
        m.load(str(pkl))
    npy = tmp_path / "weights.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(ValueError, match=r"weights\.npy: a single \.npy array"):
        m.load(str(npy))
    with pytest.raises(FileNotFoundError):
        m.load(str(tmp_path / "missing.npz"))


def test_load_npz_strict_and_non_strict(tmp_path):
    path = tmp_path / "small.npz"
    MLP(2, [2, 1], seed=0).save(str(path))
    bigger = MLP(2, [2, 2, 1], seed=0)
    with pytest.raises(RuntimeError, match="missing keys"):
        bigger.load(str(path))
    result = bigger.load(str(path), strict=False)
    assert "layers.2.neurons.0.w" in result.missing_keys


# ---- Neuron, Layer, MLP --------------------------------------------------------------------

@pytest.mark.parametrize("activation, expected", [
    ("relu", lambda z: max(z, 0.0)),
    ("tanh", math.tanh),
    ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
    ("linear", lambda z: z),
    ("leaky_relu", lambda z: z if z > 0 else 0.01 * z),
    ("elu", lambda z: z if z > 0 else math.expm1(z)),
    ("softplus", lambda z: math.log1p(math.exp(z))),
])
def test_neuron_activations(activation, expected):
    n = Neuron(2, activation=activation)
    n.load_state_dict({"w": [0.5, -1.5], "b": 0.25})
    for x, z in (([1.0, 1.0], -0.75), ([2.0, -1.0], 2.75)):
        out = n(x)
        assert type(out) is Value
        assert out.data == pytest.approx(expected(z), rel=1e-15)
        assert out.op == ("affine" if activation == "linear" else activation)


def test_neuron_micrograd_spelling_and_properties():
    assert Neuron(3, nonlin=False).activation == "linear"
    assert Neuron(3, nonlin=True).activation == "relu"
    assert not Neuron(3, nonlin=False).nonlin and Neuron(3).nonlin
    n = Neuron(3, seed=0)
    assert n.b.data == 0.0 and len(n.w) == 3 and n.parameters() == n.w + [n.b]
    # a bare Value is one input
    assert Neuron(1, seed=0)(Value(2.0)).data == Neuron(1, seed=0)([2.0]).data


@pytest.mark.parametrize("make, message", [
    (lambda: Neuron(2, activation="swish"), "unknown activation 'swish'"),
    (lambda: Neuron(2, init="zeros"), "unknown init 'zeros'"),
    (lambda: Neuron(0), "nin must be a positive integer"),
    (lambda: Neuron(2.5), "nin must be a positive integer"),
    (lambda: Layer(2, 0), "nout must be a positive integer"),
    (lambda: MLP(2, []), "at least one layer"),
])
def test_bad_construction(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_inits():
    # uniform (micrograd's): U(-1, 1) from the given stream
    n = Neuron(4, init="uniform", seed=3)
    r = random.Random(3)
    assert [w.data for w in n.w] == [r.uniform(-1, 1) for _ in range(4)]
    # he: N(0, 2/fan_in)
    n = Neuron(4, init="he", seed=3)
    r = random.Random(3)
    assert [w.data for w in n.w] == [r.gauss(0.0, math.sqrt(2 / 4)) for _ in range(4)]
    # xavier: U(-b, b), b = sqrt(6 / (fan_in + fan_out)), fan_out = the layer's width
    layer = Layer(4, 3, init="xavier", seed=3)
    r = random.Random(3)
    bound = math.sqrt(6 / 7)
    assert [w.data for n in layer.neurons for w in n.w] == \
        [r.uniform(-bound, bound) for _ in range(12)]


def test_init_statistics():
    he = [w.data for n in Layer(200, 50, init="he", seed=0).neurons for w in n.w]
    assert np.std(he) == pytest.approx(math.sqrt(2 / 200), rel=0.05)
    assert abs(np.mean(he)) < 0.01
    xavier = [w.data for n in Layer(100, 100, init="xavier", seed=0).neurons for w in n.w]
    bound = math.sqrt(6 / 200)
    assert max(map(abs, xavier)) <= bound and max(map(abs, xavier)) > 0.99 * bound
    assert np.std(xavier) == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_seed_and_rng_reproducibility_without_touching_global_random():
    random.seed(11)
    expected_next = random.random()
    random.seed(11)
    a = MLP(3, [5, 2], seed=7)
    assert random.random() == expected_next          # seed= uses its own stream
    b = MLP(3, [5, 2], seed=7)
    c = MLP(3, [5, 2], rng=random.Random(7))
    d = MLP(3, [5, 2], seed=8)
    values = lambda m: [p.data for p in m.parameters()]
    assert values(a) == values(b) == values(c)
    assert values(a) != values(d)
    # No seed: the global stream, like micrograd.
    random.seed(5)
    e = MLP(3, [5, 2])
    random.seed(5)
    assert values(e) == values(MLP(3, [5, 2]))


def test_mlp_outputs():
    m = MLP(2, [1, 1], seed=0)               # micrograd chokes on a 1-wide hidden layer
    out = m([1.0, 2.0])
    assert type(out) is Value
    out.backward()
    assert len(m.parameters()) == 5
    assert type(MLP(3, [4, 4, 1], seed=0)([1.0, 2.0, 3.0])) is Value
    two = MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0])
    assert type(two) is list and len(two) == 2 and all(type(v) is Value for v in two)
    # inputs may be Values; gradients reach them
    x = [Value(1.0), Value(-2.0)]
    MLP(2, [3, 1], seed=1, activation="tanh")(x).backward()
    assert all(v.grad != 0.0 for v in x)


def test_mlp_activation_options():
    m = MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=0)
    assert [n.activation for n in m.layers[0].neurons] == ["tanh"] * 3
    assert [n.activation for n in m.layers[1].neurons] == ["sigmoid"] * 2
    assert all(0.0 < v.data < 1.0 for v in m([3.0, -1.0]))
    default = MLP(2, [3, 1])
    assert default.layers[0].neurons[0].activation == "relu"
    assert default.layers[1].neurons[0].activation == "linear"


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu"])
def test_fused_and_per_op_give_identical_numbers_and_gradients(activation):
    fused = MLP(3, [6, 5, 1], activation=activation, seed=4)
    per_op = MLP(3, [6, 5, 1], activation=activation, seed=4, fused=False)
    assert [p.data for p in fused.parameters()] == [p.data for p in per_op.parameters()]
    rng = random.Random(0)
    batch = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(8)]
    results = []
    for model in (fused, per_op):
        xs = [[Value(v) for v in row] for row in batch]
        outs = [model(x) for x in xs]
        loss = sum((o - 0.5) ** 2 for o in outs)
        loss.backward()
        results.append(([o.data for o in outs], loss.data, [p.grad for p in model.parameters()],
                         [v.grad for row in xs for v in row], len(topological_order(loss))))
    (o1, l1, g1, x1, n1), (o2, l2, g2, x2, n2) = results
    assert o1 == o2 and l1 == l2 and g1 == g2 and x1 == x2     # bit for bit
    assert n1 < n2                                              # and far fewer nodes


def test_repr():
    text = repr(MLP(2, [16, 1]))
    assert text.splitlines()[0] == "MLP("
    assert "(layers.0): Layer(2, 16, activation='relu')" in text
    assert "(layers.1): Layer(16, 1, activation='linear')" in text
    assert repr(Neuron(3, activation="tanh")) == "Neuron(3, activation='tanh')"


def test_training_a_scalar_mlp_reduces_the_loss():
    m = MLP(2, [8, 1], activation="tanh", seed=0)
    data = [([x / 4, (x % 3) / 2], math.sin(x / 4)) for x in range(8)]
    losses = []
    for _ in range(30):
        loss = nn.mse_loss([m(x) for x, _ in data], [y for _, y in data])
        m.zero_grad()
        loss.backward()
        for p in m.parameters():
            p.data -= 0.1 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.5 * losses[0]


# ---- parameters() is cached, and notices every change ---------------------------------------

def test_parameters_is_cached_between_calls():
    model = MLP(2, [4, 1], seed=0)
    first = model.parameters()
    assert model.__dict__["_parameter_cache"] is not None
    cache = model.__dict__["_parameter_cache"]
    assert model.parameters() == first and model.parameters() is not first  # a fresh list
    assert model.__dict__["_parameter_cache"] is cache                      # not rebuilt
    first.append("mine")                                                    # caller's copy
    assert len(model.parameters()) == 17


def test_parameters_cache_sees_assigned_replaced_and_deleted_parameters():
    model = MLP(2, [4, 1], seed=0)
    neuron = model.layers[0].neurons[0]
    assert len(model.parameters()) == 17
    new_b = Value(1.0)
    neuron.b = new_b                                     # replaced by assignment
    assert new_b in model.parameters()
    neuron.extra = Value(2.0)                            # added on a child
    assert len(model.parameters()) == 18
    del neuron.extra
    assert len(model.parameters()) == 17


def test_parameters_cache_sees_lists_edited_in_place():
    model = MLP(2, [4, 1], seed=0)
    neuron = model.layers[0].neurons[0]
    before = model.parameters()
    w0 = Value(5.0)
    neuron.w[0] = w0                                     # no assignment to any module
    after = model.parameters()
    assert w0 in after and before[0] not in after
    model.layers[1].neurons.append(Neuron(4, seed=1))    # a module list grows in place
    assert len(model.parameters()) == 17 + 5


def test_parameters_cache_sees_container_edits():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    assert len(seq.parameters()) == 4
    del seq[0]
    assert len(seq.parameters()) == 2
    seq.append(nn.Linear(1, 2))
    assert len(seq.parameters()) == 4
    heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
    assert len(heads.parameters()) == 2
    heads.pop("a")
    assert heads.parameters() == []


def test_parameters_cache_is_not_copied_or_saved():
    import copy
    model = MLP(2, [3, 1], seed=0)
    model.parameters()
    twin = copy.deepcopy(model)
    assert "_parameter_cache" not in twin.__dict__
    assert all(a is not b for a, b in zip(twin.parameters(), model.parameters()))
    assert "_parameter_cache" not in "".join(model.state_dict())
