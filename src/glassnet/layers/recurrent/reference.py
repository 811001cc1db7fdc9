"""The notes' step-by-step functions (Course 5 week 1, "Building your Recurrent Neural
Network - Step by Step"), with the notebook's signatures, dictionaries and caches.

Shapes: xt (n_x, m), a_prev and c_prev (n_a, m), x (n_x, m, T_x).  ``parameters`` holds
``Waa`` (n_a, n_a), ``Wax`` (n_a, n_x), ``Wya`` (n_y, n_a), ``ba``, ``by`` for the RNN and
``Wf``, ``Wi``, ``Wc``, ``Wo`` (n_a, n_a + n_x), ``bf``, ``bi``, ``bc``, ``bo``, ``Wy``,
``by`` for the LSTM (``i`` is the notes' update gate Gamma_u).  The gradients are the
notebook's plain sums over the examples (no 1/m).

The gate equations are written once, in :mod:`glassnet.layers.recurrent.cells`: these
functions stack the four LSTM weights in the cell's row order (u, f, o, c~), make one
product with [a<t-1>; x<t>] and call :func:`~glassnet.layers.recurrent.cells.
lstm_gates_forward` / :func:`~glassnet.layers.recurrent.cells.lstm_gates_backward`; the
RNN's use :func:`~glassnet.layers.recurrent.cells.rnn_activation_forward`.
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp
from glassnet.layers.recurrent.cells import (
    lstm_gates_backward,
    lstm_gates_forward,
    rnn_activation_backward,
    rnn_activation_forward,
)

#: the LSTM gates in the cells' row order, by the notebook's names
LSTM_GATES = ("i", "f", "o", "c")


def softmax(x: Any) -> Any:
    """softmax over axis 0 (the classes), each column summing to 1."""
    xp = get_xp()
    e = xp.exp(x - xp.max(x, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


# -- the RNN -------------------------------------------------------------------------------
def rnn_cell_forward(xt: Any, a_prev: Any, parameters: dict) -> tuple[Any, Any, tuple]:
    """a<t> = tanh(Waa a<t-1> + Wax x<t> + ba),  y_hat<t> = softmax(Wya a<t> + by).

    Returns ``a_next`` (n_a, m), ``yt_pred`` (n_y, m), ``cache = (a_next, a_prev, xt,
    parameters)``.
    """
    p = parameters
    a_next = rnn_activation_forward(p["Wax"] @ xt + p["Waa"] @ a_prev + p["ba"], "tanh")
    yt_pred = softmax(p["Wya"] @ a_next + p["by"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x: Any, a0: Any, parameters: dict) -> tuple[Any, Any, tuple]:
    """rnn_cell_forward at t = 1..T_x.  Returns a (n_a, m, T_x), y_pred (n_y, m, T_x) and
    ``caches = (list of the cells' caches, x)``."""
    xp = get_xp()
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a = xp.zeros((n_a, m, T_x))
    y_pred = xp.zeros((n_y, m, T_x))
    a_next, caches = a0, []
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t], y_pred[:, :, t] = a_next, yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_cell_backward(da_next: Any, cache: tuple) -> dict:
    """dtanh = (1 - a<t>^2) * da_next;  dxt = Wax^T dtanh,  dWax = dtanh xt^T,
    da_prev = Waa^T dtanh,  dWaa = dtanh a_prev^T,  dba = sum(dtanh, axis=1)."""
    a_next, a_prev, xt, parameters = cache
    dtanh = rnn_activation_backward(da_next, a_next, "tanh")
    return {
        "dxt": parameters["Wax"].T @ dtanh,
        "da_prev": parameters["Waa"].T @ dtanh,
        "dWax": dtanh @ xt.T,
        "dWaa": dtanh @ a_prev.T,
        "dba": dtanh.sum(axis=1, keepdims=True),
    }


def rnn_backward(da: Any, caches: tuple) -> dict:
    """Backpropagation through time: at t = T_x..1 the cell gets da<t> + da_prev from step
    t+1; the weight gradients are the sums over t.  Returns dx, da0, dWax, dWaa, dba."""
    xp = get_xp()
    caches, x = caches
    n_a, m, T_x = da.shape
    parameters = caches[0][3]
    dx = xp.zeros(x.shape)
    grads = {k: xp.zeros_like(parameters[k]) for k in ("Wax", "Waa", "ba")}
    da_prevt = xp.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt = g["da_prev"]
        for k in grads:
            grads[k] += g["d" + k]
    return {"dx": dx, "da0": da_prevt, **{"d" + k: v for k, v in grads.items()}}


# -- the LSTM ------------------------------------------------------------------------------
def _stacked(parameters: dict) -> tuple[Any, Any]:
    xp = get_xp()
    W = xp.concatenate([parameters["W" + g] for g in LSTM_GATES], axis=0)
    b = xp.concatenate([parameters["b" + g] for g in LSTM_GATES], axis=0)
    return W, b


def lstm_cell_forward(xt: Any, a_prev: Any, c_prev: Any, parameters: dict) -> tuple:
    """One LSTM step on concat = [a<t-1>; x<t>]::

        ft = s(Wf concat + bf),  it = s(Wi concat + bi),  ot = s(Wo concat + bo)
        cct = tanh(Wc concat + bc),  c_next = it * cct + ft * c_prev
        a_next = ot * tanh(c_next),  yt_pred = softmax(Wy a_next + by)

    Returns a_next, c_next, yt_pred and ``cache = (a_next, c_next, a_prev, c_prev, ft, it,
    cct, ot, xt, parameters)``.
    """
    xp = get_xp()
    W, b = _stacked(parameters)
    concat = xp.concatenate([a_prev, xt], axis=0)
    a_next, c_next, (G, _, _) = lstm_gates_forward(W @ concat + b, c_prev)
    it, ft, ot, cct = (G[k * a_prev.shape[0] : (k + 1) * a_prev.shape[0]] for k in range(4))
    yt_pred = softmax(parameters["Wy"] @ a_next + parameters["by"])
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def lstm_forward(x: Any, a0: Any, parameters: dict) -> tuple:
    """lstm_cell_forward at t = 1..T_x from a0 and c0 = 0.  Returns a, y, c ((n_a or n_y,
    m, T_x)) and ``caches = (list of the cells' caches, x)``."""
    xp = get_xp()
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    a, c, y = xp.zeros((n_a, m, T_x)), xp.zeros((n_a, m, T_x)), xp.zeros((n_y, m, T_x))
    a_next, c_next, caches = a0, xp.zeros((n_a, m)), []
    for t in range(T_x):
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t], y[:, :, t] = a_next, c_next, yt
        caches.append(cache)
    return a, y, c, (caches, x)


def lstm_cell_backward(da_next: Any, dc_next: Any, cache: tuple) -> dict:
    """The gates' gradients (:func:`~glassnet.layers.recurrent.cells.lstm_gates_backward`)
    and the products': dW = dZ concat^T, db = sum(dZ, axis=1), [da_prev; dxt] = W^T dZ.
    Returns dxt, da_prev, dc_prev, dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo."""
    xp = get_xp()
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_prev.shape[0]
    G = xp.concatenate([it, ft, ot, cct], axis=0)
    dZ, dc_prev = lstm_gates_backward(da_next, dc_next, (G, c_prev, xp.tanh(c_next)))
    W, _ = _stacked(parameters)
    dW = dZ @ xp.concatenate([a_prev, xt], axis=0).T
    db = dZ.sum(axis=1, keepdims=True)
    dconcat = W.T @ dZ
    out = {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc_prev}
    for k, g in enumerate(LSTM_GATES):
        out["dW" + g] = dW[k * n_a : (k + 1) * n_a]
        out["db" + g] = db[k * n_a : (k + 1) * n_a]
    return out


def lstm_backward(da: Any, caches: tuple) -> dict:
    """Backpropagation through time for the LSTM: at t = T_x..1 the cell gets da<t> +
    da_prev and dc_prev from step t+1.  Returns dx, da0 and the sums dWf, dbf, ..."""
    xp = get_xp()
    caches, x = caches
    n_a, m, T_x = da.shape
    parameters = caches[0][9]
    dx = xp.zeros((x.shape[0], m, T_x))
    names = [p + g for g in LSTM_GATES for p in ("W", "b")]
    grads = {k: xp.zeros_like(parameters[k]) for k in names}
    da_prevt, dc_prevt = xp.zeros((n_a, m)), xp.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, caches[t])
        dx[:, :, t] = g["dxt"]
        da_prevt, dc_prevt = g["da_prev"], g["dc_prev"]
        for k in names:
            grads[k] += g["d" + k]
    return {"dx": dx, "da0": da_prevt, **{"d" + k: v for k, v in grads.items()}}
