"""Recurrent layers: the cells' steps, SimpleRNN/GRU/LSTM with backpropagation through time,
masking, initial states, Bidirectional and stacked (deep) RNNs, gradient-checked in float64
(below 1e-7), and torch twins of nn.RNN / nn.GRU / nn.LSTM."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.gradcheck import (
    check_layer,
    gradient_check,
    numerical_gradient,
    numerical_gradients,
    relative_difference,
)
from glassnet.layers.dense import Dense
from glassnet.layers.recurrent import GRU, LSTM, SimpleRNN
from glassnet.layers.recurrent.bidirectional import Bidirectional
from glassnet.layers.recurrent.cells import GRUCell, LSTMCell, RNNCell
from glassnet.layers.time_distributed import TimeDistributed
from glassnet.models.sequential import Sequential

LAYERS = {
    "rnn-tanh": lambda **kw: SimpleRNN(3, **kw),
    "rnn-relu": lambda **kw: SimpleRNN(3, "relu", **kw),
    "gru": lambda **kw: GRU(3, **kw),
    "gru-reset-after": lambda **kw: GRU(3, reset_after=True, **kw),
    "lstm": lambda **kw: LSTM(3, **kw),
}
N_X, M, T_X = 2, 4, 5


def built(layer, n_x=N_X, T_x=T_X, seed=0):
    rng = np.random.default_rng(seed)
    layer.build((n_x, T_x), rng, np.float64)
    for name, p in layer.params.items():  # biases off zero, ReLUs off their kink
        if name.startswith("b"):
            p[...] = rng.uniform(0.1, 0.5, p.shape)
    return layer


def padding_mask():
    """Example 0 is 3 steps long, example 2 only 1; example 3 has a hole at t = 2."""
    mask = np.ones((M, T_X), bool)
    mask[0, 3:] = False
    mask[2, 1:] = False
    mask[3, 2] = False
    return mask


# -- the cells, one step -----------------------------------------------------------------
@pytest.mark.parametrize("cell", [RNNCell(3), RNNCell(3, "relu"), LSTMCell(3), GRUCell(3),
                                  GRUCell(3, reset_after=True)],
                         ids=["rnn-tanh", "rnn-relu", "lstm", "gru", "gru-reset-after"])
def test_cell_step_gradient_check(cell):
    rng = np.random.default_rng(1)
    G = cell.n_gates * 3
    params = {"Waa": rng.standard_normal((G, 3)), "bca": rng.standard_normal((3, 1))}
    p = rng.standard_normal((G, 4)) + 0.3
    states = tuple(rng.standard_normal((3, 4)) for _ in range(cell.n_states))
    R = [rng.standard_normal((3, 4)) for _ in range(cell.n_states)]

    def cost():
        new, _, _ = cell.step(p.copy(), states, params)
        return float(sum((r * s).sum() for r, s in zip(R, new, strict=True)))

    _, cache, operands = cell.step(p.copy(), states, params)
    dp, drec, d_prev = cell.step_backward(tuple(R), cache, params)
    diffs = {"p": relative_difference(dp, numerical_gradient(lambda _: cost(), p))}
    for k, s in enumerate(states):
        diffs[f"state{k}"] = relative_difference(d_prev[k], numerical_gradient(lambda _: cost(), s))
    dWaa = np.zeros_like(params["Waa"])
    for rows, op in zip(cell.groups, operands, strict=True):
        dWaa[rows] = drec[rows] @ op.T
    diffs["Waa"] = relative_difference(dWaa, numerical_gradient(lambda _: cost(), params["Waa"]))
    if cell.recurrent_bias is not None:
        diffs["bca"] = relative_difference(drec[cell.recurrent_bias].sum(axis=1, keepdims=True),
                                           numerical_gradient(lambda _: cost(), params["bca"]))
    assert max(diffs.values()) < 1e-7, diffs


# -- the layers: gradient checks ---------------------------------------------------------
@pytest.mark.parametrize("masked", [False, True], ids=["full", "masked"])
@pytest.mark.parametrize("return_sequences", [True, False], ids=["many-to-many", "many-to-one"])
@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_gradient_check(kind, return_sequences, masked):
    layer = built(LAYERS[kind](return_sequences=return_sequences))
    if masked:
        layer.set_mask(padding_mask())
    X = np.random.default_rng(2).standard_normal((N_X, M, T_X))
    result = check_layer(layer, X)
    assert result.difference < 1e-7, result
    assert result.n_checked == layer.n_parameters + X.size


@pytest.mark.parametrize("kind", list(LAYERS))
def test_initial_state_gradient(kind):
    layer = built(LAYERS[kind]())
    rng = np.random.default_rng(3)
    X = rng.standard_normal((N_X, M, T_X))
    init = tuple(rng.standard_normal((3, M)) for _ in range(layer.cell.n_states))
    R = rng.standard_normal((3, M, T_X))
    layer.forward(X, initial_state=init)
    layer.backward(R)
    for k, s in enumerate(init):
        num = numerical_gradient(lambda _: float((R * layer.forward(X, initial_state=init)).sum()),
                                 s)
        assert relative_difference(layer.d_initial_state[k], num) < 1e-7


def test_simple_rnn_is_the_notes_equation():
    layer = built(SimpleRNN(3, return_sequences=True))
    X = np.random.default_rng(4).standard_normal((N_X, M, T_X))
    A = layer.forward(X)
    p, a = layer.params, np.zeros((3, M))
    for t in range(T_X):  # a<t> = tanh(W_aa a<t-1> + W_ax x<t> + b_a)
        a = np.tanh(p["Waa"] @ a + p["Wax"] @ X[:, :, t] + p["ba"])
        np.testing.assert_allclose(A[:, :, t], a, rtol=1e-12, atol=1e-14)
    last = built(SimpleRNN(3, return_sequences=False))
    assert last.forward(X).shape == (3, M) and last.output_layout == "dense"
    np.testing.assert_allclose(last.forward(X), a, rtol=1e-12)


# -- masking -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(LAYERS))
def test_masked_steps_carry_the_state(kind):
    """A padded example gives what its unpadded sequence gives; a mask value is the mask."""
    layer = built(LAYERS[kind](return_sequences=False))
    X = np.random.default_rng(5).standard_normal((N_X, M, T_X))
    mask = np.ones((M, T_X), bool)
    mask[0, 3:] = False
    X[:, 0, 3:] = 0.0
    last = layer.forward(X, mask=mask)
    short = layer.forward(np.ascontiguousarray(X[:, :1, :3]))
    np.testing.assert_allclose(last[:, :1], short, rtol=1e-12)
    seq = built(LAYERS[kind](return_sequences=True))
    A = seq.forward(X, mask=mask)
    np.testing.assert_array_equal(A[:, 0, 3], A[:, 0, 2])  # carried through the padding
    by_value = built(LAYERS[kind](return_sequences=False, mask_value=0.0))
    np.testing.assert_array_equal(by_value.forward(X), last)


# -- bidirectional and deep RNNs ---------------------------------------------------------
@pytest.mark.parametrize("masked", [False, True], ids=["full", "masked"])
@pytest.mark.parametrize("return_sequences", [True, False], ids=["many-to-many", "many-to-one"])
@pytest.mark.parametrize("kind", ["rnn-tanh", "gru", "lstm"])
def test_bidirectional(kind, return_sequences, masked):
    layer = Bidirectional(LAYERS[kind](return_sequences=return_sequences))
    built(layer)
    assert sorted(layer.params) == sorted(f"{k}_{d}" for k in layer.layer.params for d in "fb")
    X = np.random.default_rng(6).standard_normal((N_X, M, T_X))
    if masked:
        layer.set_mask(padding_mask())
    A = layer.forward(X)
    fwd = layer.layer.forward(X)
    bwd = layer.backward_layer.forward(np.ascontiguousarray(X[:, :, ::-1]))
    if return_sequences:  # [a->(t); a<-(t)]
        bwd = bwd[:, :, ::-1]
    np.testing.assert_allclose(A, np.concatenate([fwd, bwd]), rtol=1e-12)
    result = check_layer(layer, X)
    assert result.difference < 1e-7, result


def _deep(kind):
    return [LAYERS[kind](return_sequences=True), LAYERS[kind](return_sequences=True),
            Bidirectional(LAYERS[kind](return_sequences=True)),
            TimeDistributed(Dense(3, "softmax"))]


@pytest.mark.parametrize("kind", ["rnn-tanh", "gru", "lstm"])
def test_deep_rnn_stacked_gradient_check(kind):
    """a[l]<t> from a[l]<t-1> and a[l-1]<t>: sequence layers stacked (layer l's states are
    layer l+1's inputs), a softmax at every step; J = 1/m sum(R * A[L]) through the stack."""
    layers = _deep(kind)
    model = Sequential(layers, loss="categorical_crossentropy").build((N_X, T_X), seed=0,
                                                                       dtype="float64")
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N_X, M, T_X))
    R = rng.standard_normal((3, M, T_X))

    def cost():
        return float((R * model.forward(X)).sum() / M)

    layers[0].propagate_input_grad = True  # a model's first layer skips dX: check it too
    dA = R
    model.forward(X)
    for layer in reversed(layers):
        dA = layer.backward(dA)
    params = model.parameters
    numeric = numerical_gradients(cost, {**dict(params), "X": X})
    analytic = {name: model.grads["d" + name] for name in params}
    analytic["X"] = dA / M
    ours = np.concatenate([analytic[name].reshape(-1)[idx] for name, (idx, _) in numeric.items()])
    theirs = np.concatenate([approx for _, approx in numeric.values()])
    assert relative_difference(ours, theirs) < 1e-7  # the notes' difference over all of theta
    for name, (idx, approx) in numeric.items():  # each array (some tiny ones: noisier)
        assert relative_difference(analytic[name].reshape(-1)[idx], approx) < 1e-6, name
    assert model.forward(X).shape == (3, M, T_X)


def test_deep_rnn_model_gradient_check_with_a_sequence_loss():
    model = Sequential(_deep("lstm"), loss="categorical_crossentropy").build(
        (N_X, T_X), seed=0, dtype="float64")
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N_X, M, T_X))
    Y = np.eye(3)[rng.integers(0, 3, (M, T_X))].transpose(2, 0, 1)  # (n_y, m, T_y)
    result = gradient_check(model, X, Y)
    assert result.difference < 1e-7, result


def test_many_to_one_lstm_trains():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((2, 64, 6)).astype(np.float32)
    Y = (X[0].sum(axis=1, keepdims=True).T > 0).astype(np.float32)  # (1, m)
    model = Sequential([LSTM(8, return_sequences=False), Dense(1, "sigmoid")],
                       loss="binary_crossentropy").build((2, 6), seed=0)
    costs = []
    for _ in range(60):
        AL = model.forward(X, training=True)
        costs.append(model.compute_cost(AL, Y))
        model.backward(AL, Y)
        for name, p in model.parameters.items():
            p -= 0.5 * model.grads["d" + name]
    assert costs[-1] < 0.6 * costs[0]


# -- torch twins -------------------------------------------------------------------------
def _torch_case(kind):
    torch = pytest.importorskip("torch")
    n_a = 3
    layer = built(LAYERS[kind](return_sequences=True))
    p = {k: v.copy() for k, v in layer.params.items()}
    blocks = lambda W: [W[k * n_a:(k + 1) * n_a] for k in range(len(W) // n_a)]  # noqa: E731
    if kind.startswith("rnn"):
        net = torch.nn.RNN(N_X, n_a, nonlinearity=kind.split("-")[1], dtype=torch.float64)
        ih, hh, b_ih, b_hh = p["Wax"], p["Waa"], p["ba"], 0 * p["ba"]
    elif kind == "lstm":  # ours u, f, o, c~; torch's i, f, g, o
        net = torch.nn.LSTM(N_X, n_a, dtype=torch.float64)
        order = lambda W: np.concatenate([blocks(W)[k] for k in (0, 1, 3, 2)])  # noqa: E731
        ih, hh, b_ih, b_hh = order(p["Wax"]), order(p["Waa"]), order(p["ba"]), 0 * p["ba"]
    else:  # ours u, r, c~ with Gamma_u = 1 - z; torch's r, z, n
        net = torch.nn.GRU(N_X, n_a, dtype=torch.float64)
        order = lambda W: np.concatenate([blocks(W)[1], -blocks(W)[0], blocks(W)[2]])  # noqa: E731
        ih, hh, b_ih = order(p["Wax"]), order(p["Waa"]), order(p["ba"])
        b_hh = np.concatenate([0 * p["bca"], 0 * p["bca"], p["bca"]])
    with torch.no_grad():
        for name, value in (("weight_ih_l0", ih), ("weight_hh_l0", hh), ("bias_ih_l0", b_ih),
                            ("bias_hh_l0", b_hh)):
            param = getattr(net, name)
            param.copy_(torch.from_numpy(np.ascontiguousarray(value)).reshape(param.shape))
    return torch, layer, net, order if not kind.startswith("rnn") else (lambda W: W)


@pytest.mark.parametrize("kind", ["rnn-tanh", "rnn-relu", "lstm", "gru-reset-after"])
def test_torch_twin(kind):
    torch, layer, net, order = _torch_case(kind)
    rng = np.random.default_rng(9)
    X = rng.standard_normal((N_X, M, T_X))
    R = rng.standard_normal((3, M, T_X))
    A = layer.forward(X, training=True)
    dX = layer.backward(R)
    Xt = torch.from_numpy(X.transpose(2, 1, 0).copy()).requires_grad_(True)  # (T_x, m, n_x)
    out, _ = net(Xt)
    (out * torch.from_numpy(R.transpose(2, 1, 0).copy())).sum().backward()
    np.testing.assert_allclose(A, out.detach().numpy().transpose(2, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dX, Xt.grad.numpy().transpose(2, 1, 0), rtol=1e-9, atol=1e-11)
    g = layer.grads
    np.testing.assert_allclose(order(g["dWax"]) * M, net.weight_ih_l0.grad.numpy(), rtol=1e-9,
                               atol=1e-11)
    np.testing.assert_allclose(order(g["dWaa"]) * M, net.weight_hh_l0.grad.numpy(), rtol=1e-9,
                               atol=1e-11)
    np.testing.assert_allclose(order(g["dba"]).ravel() * M, net.bias_ih_l0.grad.numpy(),
                               rtol=1e-9, atol=1e-11)
    if "dbca" in g:
        np.testing.assert_allclose(g["dbca"].ravel() * M, net.bias_hh_l0.grad.numpy()[6:],
                                   rtol=1e-9, atol=1e-11)
