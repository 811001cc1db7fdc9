"""TimeDistributed: one dense layer at every time step of (n_x, m, T_x), trained in mini-batches."""

from __future__ import annotations

import json

import numpy as np
import pytest

from glassnet.gradcheck import check_layer
from glassnet.layers.base import layer_from_config, layer_to_config
from glassnet.layers.batchnorm import BatchNorm
from glassnet.layers.dense import Dense
from glassnet.layers.time_distributed import TimeDistributed
from glassnet.models.saving import load_model, save_model
from glassnet.models.sequential import Sequential
from glassnet.train.trainer import Trainer


def built(layer, example_shape, rng, dtype=np.float64):
    layer.connect(layer.input_layout)
    layer.build(example_shape, rng, dtype)
    return layer


def test_forward_is_the_dense_equation_at_every_step(rng):
    layer = built(TimeDistributed(Dense(2, "tanh")), (3, 4), rng)
    layer.params["b"][...] = rng.normal(size=(2, 1))
    X = rng.normal(size=(3, 5, 4))  # (n_x, m, T_x)
    Y = layer.forward(X)
    assert Y.shape == (2, 5, 4)
    W, b = layer.params["W"], layer.params["b"]
    for t in range(4):  # y<t> = g(W x<t> + b)
        np.testing.assert_allclose(Y[:, :, t], np.tanh(W @ X[:, :, t] + b), rtol=1e-12)
    assert sorted(layer.params) == ["W", "b"]  # the inner layer's own names


@pytest.mark.parametrize("inner", [lambda: Dense(3, "tanh"), lambda: Dense(2, "sigmoid"),
                                   lambda: Dense(4, "linear", use_bias=False), BatchNorm])
def test_gradient_check(inner, rng):
    layer = built(TimeDistributed(inner()), (4, 3), rng)
    for name, p in layer.params.items():
        if name in ("b", "beta"):
            p[...] = rng.normal(size=p.shape)
    result = check_layer(layer, rng.normal(size=(4, 5, 3)))  # batch axis 1: from the layout
    assert result.difference < 1e-7, result


def test_backward_from_dZ_is_the_dense_part(rng):
    layer = built(TimeDistributed(Dense(2, "sigmoid")), (3, 4), rng)
    X = rng.normal(size=(3, 6, 4))
    A = layer.forward(X, training=True)
    dZ = rng.normal(size=A.shape)
    dX = layer.backward_from_dZ(dZ)
    W = layer.params["W"]
    np.testing.assert_allclose(dX, np.einsum("yx,ymt->xmt", W, dZ), rtol=1e-12)
    # dW = 1/m sum_i sum_t dZ<t>(i) x<t>(i)^T
    np.testing.assert_allclose(layer.grads["dW"], np.einsum("ymt,xmt->yx", dZ, X) / 6, rtol=1e-12)


def test_config_round_trip_and_saved_model(tmp_path, rng):
    layer = TimeDistributed(Dense(3, "relu", init="xavier"))
    entry = json.loads(json.dumps(layer_to_config(layer)))
    assert entry == {"type": "time_distributed",
                     "config": {"layer": layer_to_config(Dense(3, "relu", init="xavier"))}}
    clone = layer_from_config(entry)
    assert type(clone) is TimeDistributed and clone.config() == layer.config()
    model = Sequential([TimeDistributed(Dense(4, "tanh")), TimeDistributed(Dense(1, "sigmoid"))],
                       loss="l2").build((3, 6), seed=2)
    assert sorted(model.parameters) == ["W1", "W2", "b1", "b2"]
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    X = rng.normal(size=(3, 5, 6)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    with pytest.raises(ValueError, match="dense input"):
        TimeDistributed(TimeDistributed(Dense(2)))


def test_training_on_sequences_cuts_mini_batches_along_m(rng):
    """(n_x, m, T_x) data through the Trainer: every mini-batch is (n_x, b, T_x), each epoch
    sees every example once, whole (all its time steps), and the cost goes down."""
    n_x, m, T_x = 3, 20, 6
    X = rng.normal(size=(n_x, m, T_x)).astype(np.float32)
    X[0] = np.arange(m, dtype=np.float32)[:, None] / m  # feature 0 marks the example
    W_true = rng.normal(size=(2, n_x))
    Y = 1 / (1 + np.exp(-np.einsum("yx,xmt->ymt", W_true, X)))  # (n_y, m, T_x) in (0, 1)
    model = Sequential([TimeDistributed(Dense(8, "tanh")), TimeDistributed(Dense(2, "sigmoid"))],
                       loss="l2").build((n_x, T_x), seed=0)
    seen: list[np.ndarray] = []
    step = model.train_step

    def spy(Xb, Yb):
        assert Xb.shape[0] == n_x and Xb.shape[2] == T_x and Xb.shape[1] <= 8
        assert Yb.shape == (2, Xb.shape[1], T_x)
        marks = Xb[0] * m  # (b, T_x): one example per row, constant over its time steps
        np.testing.assert_allclose(marks, marks[:, :1] * np.ones(T_x), atol=1e-4)
        for j, i in enumerate(np.rint(marks[:, 0]).astype(int)):  # Y{t} holds the same examples
            np.testing.assert_allclose(Yb[:, j], Y[:, i], rtol=1e-6)
        seen.append(np.rint(marks[:, 0]).astype(int))
        return step(Xb, Yb)

    model.train_step = spy
    trainer = Trainer(model, optimizer="adam", learning_rate=0.02, epochs=30, batch_size=8,
                      record_every=1, progress=False)
    history = trainer.fit(X, Y)
    first_epoch = np.sort(np.concatenate(seen[:3]))  # 20 examples: batches of 8, 8, 4
    np.testing.assert_array_equal(first_epoch, np.arange(m))
    assert [len(s) for s in seen[:3]] == [8, 8, 4]
    costs = [history.costs[e] for e in sorted(history.costs)]
    assert costs[-1] < 0.5 * costs[0]
