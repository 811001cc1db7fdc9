"""Sequences of different lengths: padded steps are masked in the states and in the loss.

Padded input steps are all ``mask_value`` (the recurrent layer carries its state through
them); padded label steps are all-zero one-hot columns (the loss adds nothing for them and
sends back no gradient).  So what is written in the padding never changes the cost or the
gradients, and the model still passes the gradient check.
"""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.gradcheck import gradient_check
from glassnet.layers.dense import Dense
from glassnet.layers.recurrent import GRU, LSTM, SimpleRNN
from glassnet.layers.time_distributed import TimeDistributed
from glassnet.models.sequential import Sequential

N_X, N_Y, M, T = 3, 4, 5, 6
LENGTHS = [6, 4, 2, 5, 1]


def padded_batch(rng, fill_x=0.0, fill_y=0.0):
    X = rng.standard_normal((N_X, M, T))
    Y = np.eye(N_Y)[rng.integers(0, N_Y, (M, T))].transpose(2, 0, 1)  # (n_y, m, T)
    for i, n in enumerate(LENGTHS):
        X[:, i, n:] = fill_x
        Y[:, i, n:] = fill_y
    return X, Y


def model_of(make):
    return Sequential([make(), TimeDistributed(Dense(N_Y, "softmax"))],
                      loss="categorical_crossentropy").build((N_X, T), seed=0, dtype="float64")


MAKERS = {
    "lstm": lambda: LSTM(4, mask_value=0.0),
    "gru": lambda: GRU(4, mask_value=0.0),
    "rnn": lambda: SimpleRNN(4, mask_value=0.0),
}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_masked_model_passes_the_gradient_check(kind):
    X, Y = padded_batch(np.random.default_rng(0))
    result = gradient_check(model_of(MAKERS[kind]), X, Y)
    assert result.difference < 1e-7, result


def left_padded(rng):
    """Padding BEFORE the real steps (so a state that did not skip it would differ), with
    random values in the padded inputs, and the (m, T) mask of real steps."""
    X = rng.standard_normal((N_X, M, T))
    Y = np.eye(N_Y)[rng.integers(0, N_Y, (M, T))].transpose(2, 0, 1)
    mask = np.zeros((M, T), dtype=bool)
    for i, n in enumerate(LENGTHS):
        Y[:, i, : T - n] = 0
        mask[i, T - n :] = True
    return X, Y, mask


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_the_padding_changes_nothing(kind):
    """The cost is 1/m sum over the real steps only, and what the padded steps hold never
    reaches the cost or the gradients."""
    rng = np.random.default_rng(1)
    X, Y, mask = left_padded(rng)
    make = {"lstm": lambda: LSTM(4), "gru": lambda: GRU(4), "rnn": lambda: SimpleRNN(4)}[kind]
    model = model_of(make)
    model.layers[0].set_mask(mask)
    cost = model.train_step(X, Y)
    grads = {k: v.copy() for k, v in model.grads.items()}
    model.layers[0].set_mask(None)
    total = 0.0  # each example alone, cut to its real steps
    for i, n in enumerate(LENGTHS):
        x, y = X[:, i : i + 1, T - n :], Y[:, i : i + 1, T - n :]
        total += model.compute_cost(model.forward(x), y)
    assert cost == pytest.approx(total / M, rel=1e-12)
    X2 = X.copy()
    X2[:, ~mask.astype(bool)] = rng.standard_normal((N_X, int((~mask).sum())))
    model.layers[0].set_mask(mask)
    assert model.train_step(X2, Y) == pytest.approx(cost, rel=1e-12)
    for k, v in grads.items():
        np.testing.assert_allclose(model.grads[k], v, rtol=1e-11, atol=1e-14, err_msg=k)
    model.layers[0].set_mask(None)  # without the mask the padding counts
    assert model.train_step(X, Y) != pytest.approx(cost, rel=1e-6)
