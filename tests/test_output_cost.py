"""The loss owns the output gradient, and the canonical pairs' cost is exact from the logits."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.functions.losses import BinaryCrossEntropy, CategoricalCrossEntropy, L2Loss
from glassnet.layers.dense import Dense
from glassnet.models.sequential import Sequential
from glassnet.train.trainer import evaluate


def _one_layer(activation: str, loss: str, n_out: int) -> Sequential:
    model = Sequential([Dense(n_out, activation=activation)], loss=loss)
    model.build((1,), seed=0, dtype="float64")
    model.parameters["W1"][...] = 40.0
    model.parameters["b1"][...] = 0.0
    return model


def test_a_confidently_wrong_sigmoid_costs_its_logit():
    model = _one_layer("sigmoid", "binary_crossentropy", 1)
    X, Y = np.ones((1, 1)), np.zeros((1, 1))  # z = 40 on the wrong class
    AL = model.forward(X)
    assert model.compute_cost(AL, Y) == pytest.approx(40.0, abs=1e-12)
    assert evaluate(model, X, Y)["cost"] == pytest.approx(40.0, abs=1e-12)
    # from A alone the clipped cost is capped near -log(1e-12) = 27.63
    assert BinaryCrossEntropy().cost(AL, Y) == pytest.approx(27.631, abs=1e-3)


def test_a_confidently_wrong_softmax_costs_its_logit_margin():
    model = _one_layer("softmax", "categorical_crossentropy", 2)
    model.parameters["W1"][...] = np.array([[40.0], [0.0]])
    X, Y = np.ones((1, 1)), np.array([[0.0], [1.0]])  # logit 40 on the wrong class, 0 on the right
    for dtype in ("float64", "float32"):
        m = model.astype(dtype)
        AL = m.forward(X.astype(dtype))
        assert AL.dtype == np.dtype(dtype)
        expected = np.logaddexp(40.0, 0.0)  # logsumexp(z) - z_y = 40 + log(1 + e^-40)
        assert m.compute_cost(AL, Y.astype(dtype)) == pytest.approx(expected, rel=1e-6)
    assert CategoricalCrossEntropy().cost(AL, Y) < 28


def test_evaluate_in_batches_uses_each_batch_logits():
    rng = np.random.default_rng(0)
    model = Sequential([Dense(4, activation="relu"), Dense(3, activation="softmax")],
                       loss="categorical_crossentropy").build((5,), seed=1, dtype="float64")
    X = rng.standard_normal((5, 50)) * 30  # large logits
    Y = np.eye(3)[:, rng.integers(0, 3, 50)]
    whole_A, whole = model.outputs_and_cost(X, Y)
    parts_A, parts = model.outputs_and_cost(X, Y, batch_size=7)
    np.testing.assert_allclose(parts_A, whole_A, rtol=1e-12)
    assert parts == pytest.approx(whole, rel=1e-12)
    Z = model.layers[1].params["W"] @ np.maximum(model.layers[0].params["W"] @ X
                                                  + model.layers[0].params["b"], 0)
    Z += model.layers[1].params["b"]
    exact = np.mean(np.log(np.exp(Z - Z.max(0)).sum(0)) + Z.max(0) - (Y * Z).sum(0))
    assert whole == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("activation,loss,is_dZ", [
    ("sigmoid", BinaryCrossEntropy(), True),
    ("softmax", CategoricalCrossEntropy(), True),
    ("tanh", BinaryCrossEntropy(), False),
    ("linear", L2Loss(), False),
])
def test_the_loss_says_where_backpropagation_starts(activation, loss, is_dZ):
    rng = np.random.default_rng(1)
    A = rng.uniform(0.1, 0.9, (3, 4))
    Y = (rng.uniform(size=(3, 4)) > 0.5).astype(float)
    delta, got_dZ = loss.output_gradient(A, Y, activation)
    assert got_dZ is is_dZ
    if isinstance(loss, CategoricalCrossEntropy):  # Y not one-hot: dZ = A sum_j y_j - Y
        np.testing.assert_allclose(delta, A * Y.sum(axis=0, keepdims=True) - Y)
        Y = np.eye(3)[:, [0, 2, 1, 0]]  # one-hot: dZ = A - Y
        delta, _ = loss.output_gradient(A, Y, activation)
    np.testing.assert_allclose(delta, A - Y if is_dZ else loss.gradient(A, Y))


def test_a_stale_forward_is_not_read_as_the_logits():
    model = _one_layer("sigmoid", "binary_crossentropy", 1)
    X = np.ones((1, 1))
    model.forward(X)
    other = np.full((1, 1), 0.5)  # not the output of the last forward pass
    assert model.layers[-1].logits_of(other) is None
    assert model.compute_cost(other, np.zeros((1, 1))) == pytest.approx(np.log(2.0))


@pytest.mark.parametrize("activation,loss", [("softmax", "categorical_crossentropy"),
                                             ("sigmoid", "binary_crossentropy"),
                                             ("linear", "l2")])
def test_a_model_given_no_loss_takes_its_output_activations(activation, loss):
    from glassnet.layers.dense import Dense
    from glassnet.models.sequential import Sequential

    model = Sequential([Dense(4, "relu"), Dense(3, activation)])
    assert model.loss.name == loss
