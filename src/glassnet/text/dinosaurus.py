"""Character level language model - Dinosaurus Island (Course 5 week 1, assignment 2), with
the notebook's signatures, dictionaries and seeds.

``parameters``: ``Wax`` (n_a, n_x), ``Waa`` (n_a, n_a), ``Wya`` (n_y, n_a), ``b`` (n_a, 1),
``by`` (n_y, 1), n_x = n_y = the vocabulary size; one example at a time (m = 1).  At each step

    a<t> = tanh(Wax x<t> + Waa a<t-1> + b),   y_hat<t> = softmax(Wya a<t> + by),
    L = sum_t -log y_hat<t>[y<t>]           (the loss summed over the time steps)

The cell's forward and backward are :func:`glassnet.layers.recurrent.reference.
rnn_cell_forward` / :func:`~glassnet.layers.recurrent.reference.rnn_cell_backward` (the
notebook's ``b`` is their ``ba``), the clip is :func:`glassnet.optim.clipping.clip_by_value`
and the step :func:`glassnet.optim.functional.update_parameters`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from glassnet.layers.recurrent.reference import rnn_cell_backward, rnn_cell_forward
from glassnet.optim.clipping import clip_by_value
from glassnet.optim.functional import update_parameters

GRADIENTS = ("dWaa", "dWax", "dWya", "db", "dby")
#: a sampled name stops at "\n" or after this many characters
MAX_LENGTH = 50


def _cell(parameters: Mapping[str, Any]) -> dict:
    """The notebook's parameters under the cell's names (``b`` is ``ba``)."""
    p = parameters
    return {"Wax": p["Wax"], "Waa": p["Waa"], "ba": p["b"], "Wya": p["Wya"], "by": p["by"]}


def initialize_parameters(n_a: int, n_x: int, n_y: int) -> dict:
    """``np.random.seed(1)``; Wax, Waa, Wya = randn * 0.01 (drawn in that order); b, by = 0."""
    np.random.seed(1)
    Wax = np.random.randn(n_a, n_x) * 0.01
    Waa = np.random.randn(n_a, n_a) * 0.01
    Wya = np.random.randn(n_y, n_a) * 0.01
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": np.zeros((n_a, 1)), "by": np.zeros((n_y, 1))}


def get_initial_loss(vocab_size: int, seq_length: int) -> float:
    """-log(1 / vocab_size) * seq_length: the loss of uniform guesses."""
    return -np.log(1.0 / vocab_size) * seq_length


def smooth(loss: float, cur_loss: float) -> float:
    """The running loss 0.999 loss + 0.001 cur_loss."""
    return loss * 0.999 + cur_loss * 0.001


def clip(gradients: Mapping[str, Any], maxValue: float) -> dict:
    """dWaa, dWax, dWya, db, dby clipped element-wise into [-maxValue, maxValue].

    Returns new arrays; ``gradients`` is left as it is.
    """
    out = {k: np.array(gradients[k], copy=True) for k in GRADIENTS}
    clip_by_value(out, maxValue)
    return out


def sample(parameters: Mapping[str, Any], char_to_ix: Mapping[str, int], seed: int) -> list[int]:
    """Indices drawn one character at a time from y_hat<t>, from x<1> = 0 and a<0> = 0.

    Before each draw ``np.random.seed(counter + seed)``, then both count up (the notebook's
    seeding); x<t+1> is the one-hot of the drawn index.  Stops at the index of "\\n" or after
    50 characters (then "\\n"'s index is appended).
    """
    cell = _cell(parameters)
    vocab_size, n_a = parameters["by"].shape[0], parameters["Waa"].shape[1]
    x, a_prev = np.zeros((vocab_size, 1)), np.zeros((n_a, 1))
    newline = char_to_ix["\n"]
    indices: list[int] = []
    idx, counter = -1, 0
    while idx != newline and counter != MAX_LENGTH:
        a, y, _ = rnn_cell_forward(x, a_prev, cell)
        np.random.seed(counter + seed)
        idx = int(np.random.choice(list(range(vocab_size)), p=y.ravel()))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        a_prev = a
        seed += 1
        counter += 1
    if counter == MAX_LENGTH:
        indices.append(newline)
    return indices


def rnn_forward(X: Sequence[int | None], Y: Sequence[int], a0: Any, parameters: Mapping[str, Any],
                vocab_size: int | None = None) -> tuple[float, tuple]:
    """The loss sum_t -log y_hat<t>[Y[t]] over the steps, x<t> the one-hot of X[t] (None: 0).

    Returns the loss and ``cache = (y_hat, a, caches)``, dicts by t (a[-1] = a0).
    """
    cell = _cell(parameters)
    vocab_size = parameters["Wax"].shape[1] if vocab_size is None else vocab_size
    y_hat, a, caches = {}, {-1: np.copy(a0)}, {}
    loss = 0.0
    for t in range(len(X)):
        x = np.zeros((vocab_size, 1))
        if X[t] is not None:
            x[X[t]] = 1
        a[t], y_hat[t], caches[t] = rnn_cell_forward(x, a[t - 1], cell)
        loss -= np.log(y_hat[t][Y[t], 0])
    return float(loss), (y_hat, a, caches)


def rnn_backward(X: Sequence[int | None], Y: Sequence[int], parameters: Mapping[str, Any],
                 cache: tuple) -> tuple[dict, dict]:
    """BPTT of the summed loss: dy<t> = y_hat<t> - onehot(Y[t]), dWya += dy a<t>^T, dby += dy,
    da<t> = Wya^T dy + da_next (from step t+1), then the cell's backward.  Returns the
    gradients (dWax, dWaa, dWya, db, dby, da_next) and the states ``a``."""
    y_hat, a, caches = cache
    g = {"dWax": np.zeros_like(parameters["Wax"]), "dWaa": np.zeros_like(parameters["Waa"]),
         "dWya": np.zeros_like(parameters["Wya"]), "db": np.zeros_like(parameters["b"]),
         "dby": np.zeros_like(parameters["by"]), "da_next": np.zeros_like(a[0])}
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1
        g["dWya"] += dy @ a[t].T
        g["dby"] += dy
        da = parameters["Wya"].T @ dy + g["da_next"]
        step = rnn_cell_backward(da, caches[t])
        g["db"] += step["dba"]
        g["dWax"] += step["dWax"]
        g["dWaa"] += step["dWaa"]
        g["da_next"] = step["da_prev"]
    return g, a


def optimize(X: Sequence[int | None], Y: Sequence[int], a_prev: Any, parameters: dict,
             learning_rate: float = 0.01) -> tuple[float, dict, Any]:
    """One step of SGD on one example: forward, BPTT, clip to [-5, 5], W := W - alpha dW.

    ``parameters`` is updated in place (as the notebook's callers rely on).  Returns the
    loss, the clipped gradients and a<T_x> (= ``a[len(X) - 1]``), the next example's a<0>.
    """
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters.update(update_parameters(parameters, gradients, learning_rate))
    return loss, gradients, a[len(X) - 1]
