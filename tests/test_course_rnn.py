"""Course 5 week 1, "Building your Recurrent Neural Network - Step by Step": the notebook's
functions (glassnet.layers.recurrent.reference) against the notebook's published values,
and the same equations in the layers (one set of cell equations, two front ends)."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.gradcheck import numerical_gradient
from glassnet.layers.recurrent import LSTM, SimpleRNN
from glassnet.layers.recurrent.reference import (
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
)

ATOL = 1e-8


def assert_close(got, want):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-7, atol=ATOL)


def rnn_parameters(wax_first: bool = False) -> dict:
    """The notebook's draws: Waa, Wax, Wya, ba, by (the backward tests draw Wax first)."""
    r = np.random
    p = {}
    for k in (("Wax", "Waa") if wax_first else ("Waa", "Wax")):
        p[k] = r.randn(5, 5) if k == "Waa" else r.randn(5, 3)
    p["Wya"], p["ba"], p["by"] = r.randn(2, 5), r.randn(5, 1), r.randn(2, 1)
    return p


def lstm_parameters() -> dict:
    """Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by, in the notebook's order."""
    r = np.random
    p = {}
    for g in "fioc":
        p["W" + g], p["b" + g] = r.randn(5, 5 + 3), r.randn(5, 1)
    p["Wy"], p["by"] = r.randn(2, 5), r.randn(2, 1)
    return p


def test_rnn_cell_forward():
    np.random.seed(1)
    xt, a_prev = np.random.randn(3, 10), np.random.randn(5, 10)
    a_next, yt_pred, cache = rnn_cell_forward(xt, a_prev, rnn_parameters())
    assert_close(a_next[4], [0.59584544, 0.18141802, 0.61311866, 0.99808218, 0.85016201,
                      0.99980978, -0.18887155, 0.99815551, 0.6531151, 0.82872037])
    assert_close(yt_pred[1], [0.9888161, 0.01682021, 0.21140899, 0.36817467, 0.98988387,
                       0.88945212, 0.36920224, 0.9966312, 0.9982559, 0.17746526])
    assert a_next.shape == (5, 10) and yt_pred.shape == (2, 10) and len(cache) == 4


def test_rnn_forward():
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
    a, y_pred, caches = rnn_forward(x, a0, rnn_parameters())
    assert_close(a[4][1], [-0.99999375, 0.77911235, -0.99861469, -0.99833267])
    assert_close(y_pred[1][3], [0.79560373, 0.86224861, 0.11118257, 0.81515947])
    assert_close(caches[1][1][3], [-1.1425182, -0.34934272, -0.20889423, 0.58662319])
    assert a.shape == (5, 10, 4) and y_pred.shape == (2, 10, 4) and len(caches) == 2


def test_rnn_cell_backward():
    np.random.seed(1)
    xt, a_prev = np.random.randn(3, 10), np.random.randn(5, 10)
    p = rnn_parameters(wax_first=True)
    _, _, cache = rnn_cell_forward(xt, a_prev, p)
    g = rnn_cell_backward(np.random.randn(5, 10), cache)
    assert_close(g["dxt"][1][2], -1.3872130506)
    assert_close(g["da_prev"][2][3], -0.152399493774)
    assert_close(g["dWax"][3][1], 0.410772824935)
    assert_close(g["dWaa"][1][2], 1.15034506685)
    assert_close(g["dba"][4], [0.20023491])
    assert g["dxt"].shape == (3, 10) and g["da_prev"].shape == (5, 10)


def test_rnn_backward():
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
    p = rnn_parameters(wax_first=True)
    _, _, caches = rnn_forward(x, a0, p)
    g = rnn_backward(np.random.randn(5, 10, 4), caches)
    assert_close(g["dx"][1][2], [-2.07101689, -0.59255627, 0.02466855, 0.01483317])
    assert_close(g["da0"][2][3], -0.314942375127)
    assert_close(g["dWax"][3][1], 11.2641044965)
    assert_close(g["dWaa"][1][2], 2.30333312658)
    assert_close(g["dba"][4], [-0.74747722])
    assert g["dx"].shape == (3, 10, 4) and g["da0"].shape == (5, 10)


def test_lstm_cell_forward():
    np.random.seed(1)
    xt, a_prev, c_prev = np.random.randn(3, 10), np.random.randn(5, 10), np.random.randn(5, 10)
    a_next, c_next, yt, cache = lstm_cell_forward(xt, a_prev, c_prev, lstm_parameters())
    assert_close(a_next[4], [-0.66408471, 0.0036921, 0.02088357, 0.22834167, -0.85575339,
                      0.00138482, 0.76566531, 0.34631421, -0.00215674, 0.43827275])
    assert_close(c_next[2], [0.63267805, 1.00570849, 0.35504474, 0.20690913, -1.64566718,
                      0.11832942, 0.76449811, -0.0981561, -0.74348425, -0.26810932])
    assert_close(yt[1], [0.79913913, 0.15986619, 0.22412122, 0.15606108, 0.97057211,
                  0.31146381, 0.00943007, 0.12666353, 0.39380172, 0.07828381])
    assert_close(cache[1][3][:8], [-0.16263996, 1.03729328, 0.72938082, -0.54101719, 0.02752074,
                            -0.30821874, 0.07651101, -1.03752894])
    assert len(cache) == 10


def test_lstm_forward():
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 7), np.random.randn(5, 10)
    a, y, c, caches = lstm_forward(x, a0, lstm_parameters())
    assert_close(a[4][3][6], 0.172117767533)
    assert_close(y[1][4][3], 0.95087346185)
    assert_close(caches[1][1][1], [0.82797464, 0.23009474, 0.76201118, -0.22232814, -0.20075807,
                            0.18656139, 0.41005165])
    assert_close(c[1][2][1], -0.855544916718)
    assert a.shape == (5, 10, 7) and y.shape == (2, 10, 7) and len(caches) == 2


def test_lstm_cell_backward():
    np.random.seed(1)
    xt, a_prev, c_prev = np.random.randn(3, 10), np.random.randn(5, 10), np.random.randn(5, 10)
    _, _, _, cache = lstm_cell_forward(xt, a_prev, c_prev, lstm_parameters())
    g = lstm_cell_backward(np.random.randn(5, 10), np.random.randn(5, 10), cache)
    assert_close(g["dxt"][1][2], 3.23055911511)
    assert_close(g["da_prev"][2][3], -0.0639621419711)
    assert_close(g["dc_prev"][2][3], 0.797522038797)
    assert_close(g["dWf"][3][1], -0.147954838164)
    assert_close(g["dWi"][1][2], 1.05749805523)
    assert_close(g["dWc"][3][1], 2.30456216369)
    assert_close(g["dWo"][1][2], 0.331311595289)
    assert_close(g["dbf"][4], [0.18864637])
    assert_close(g["dbi"][4], [-0.40142491])
    assert_close(g["dbc"][4], [0.25587763])
    assert_close(g["dbo"][4], [0.13893342])


# -- the backward functions are the derivatives of the forward ones -------------------------
def test_rnn_backward_is_the_derivative_of_rnn_forward():
    rng = np.random.default_rng(0)
    x, a0 = rng.standard_normal((3, 4, 5)), rng.standard_normal((2, 4))
    p = {"Waa": rng.standard_normal((2, 2)), "Wax": rng.standard_normal((2, 3)),
         "Wya": rng.standard_normal((2, 2)), "ba": rng.standard_normal((2, 1)),
         "by": rng.standard_normal((2, 1))}
    R = rng.standard_normal((2, 4, 5))
    _, _, caches = rnn_forward(x, a0, p)
    g = rnn_backward(R, caches)
    for name, arr in (("dx", x), ("da0", a0), ("dWaa", p["Waa"]), ("dWax", p["Wax"]),
                      ("dba", p["ba"])):
        num = numerical_gradient(lambda _: float((R * rnn_forward(x, a0, p)[0]).sum()), arr)
        assert_close(g[name], num)


@pytest.mark.parametrize("T_x", [1, 4])
def test_lstm_backward_is_the_derivative_of_lstm_forward(T_x):
    """da_prev and dc_prev carried between the steps (the correct BPTT of the issue)."""
    np.random.seed(2)
    x, a0 = np.random.randn(3, 4, T_x), np.random.randn(5, 4)
    p = lstm_parameters()
    R = np.random.randn(5, 4, T_x)
    _, _, _, caches = lstm_forward(x, a0, p)
    g = lstm_backward(R, caches)
    for name, arr in (("dx", x), ("da0", a0), ("dWf", p["Wf"]), ("dWi", p["Wi"]),
                      ("dWc", p["Wc"]), ("dWo", p["Wo"]), ("dbf", p["bf"]), ("dbo", p["bo"])):
        num = numerical_gradient(lambda _: float((R * lstm_forward(x, a0, p)[0]).sum()), arr)
        assert_close(g[name], num)


# -- one set of cell equations: the layers compute what the notebook's functions do ---------
def test_the_rnn_layer_is_rnn_forward_and_backward():
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
    p = rnn_parameters()
    a, _, caches = rnn_forward(x, a0, p)
    layer = SimpleRNN(5)
    layer.build((3, 4), np.random.default_rng(0), np.float64)
    for k in ("Waa", "Wax", "ba"):
        layer.params[k][...] = p[k]
    assert_close(layer.forward(x, initial_state=a0), a)
    da = np.random.randn(5, 10, 4)
    dx = layer.backward(da)
    g = rnn_backward(da, caches)
    assert_close(dx, g["dx"])
    assert_close(layer.d_initial_state[0], g["da0"])
    for k in ("Waa", "Wax", "ba"):
        assert_close(layer.grads["d" + k] * 10, g["d" + k])  # the layer's 1/m


def test_the_lstm_layer_is_lstm_forward_and_backward():
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 7), np.random.randn(5, 10)
    p = lstm_parameters()
    a, _, c, caches = lstm_forward(x, a0, p)
    layer = LSTM(5)
    layer.build((3, 7), np.random.default_rng(0), np.float64)
    W = np.concatenate([p["W" + g] for g in "ifoc"])  # the layer's rows: u, f, o, c~
    layer.params["Waa"][...], layer.params["Wax"][...] = W[:, :5], W[:, 5:]
    layer.params["ba"][...] = np.concatenate([p["b" + g] for g in "ifoc"])
    assert_close(layer.forward(x, initial_state=(a0, np.zeros((5, 10)))), a)
    assert_close(layer.last_states[1], c[:, :, -1])
    da = np.random.randn(5, 10, 7)
    dx = layer.backward(da)
    g = lstm_backward(da, caches)
    assert_close(dx, g["dx"])
    assert_close(layer.d_initial_state[0], g["da0"])
    dW = np.concatenate([layer.grads["dWaa"], layer.grads["dWax"]], axis=1) * 10
    assert_close(dW, np.concatenate([g["dW" + k] for k in "ifoc"]))
    assert_close(layer.grads["dba"] * 10, np.concatenate([g["db" + k] for k in "ifoc"]))
