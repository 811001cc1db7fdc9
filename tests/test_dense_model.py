"""Dense formulas by hand; the model's course dictionaries, counts, predictions, labels."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import built

from glassnet.core.errors import LabelError, ShapeError
from glassnet.functions.activations import get_activation
from glassnet.layers.dense import Dense
from glassnet.models.builders import deep_network, logistic_regression, shallow_network
from glassnet.models.sequential import Sequential


def _built_dense(units: int, n_prev: int, activation: str, rng: np.random.Generator) -> Dense:
    layer = built(Dense(units, activation), (n_prev,), rng=rng)
    layer.params["b"][...] = rng.standard_normal((units, 1))
    return layer


# -- the dense layer ------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "linear"])
def test_dense_forward_and_backward_formulas_by_hand(activation, rng):
    n_prev, n, m = 4, 3, 5
    layer = _built_dense(n, n_prev, activation, rng)
    W, b = layer.params["W"].copy(), layer.params["b"].copy()
    A_prev = rng.standard_normal((n_prev, m))
    A = layer.forward(A_prev, training=True)

    Z = W @ A_prev + b  # Z[l] = W[l] A[l-1] + b[l]
    g = get_activation(activation)
    np.testing.assert_allclose(A, g.forward(Z), rtol=1e-13)
    assert A.shape == (n, m)

    dA = rng.standard_normal((n, m))
    dA_prev = layer.backward(dA)
    dZ = dA * g.derivative(Z, g.forward(Z))  # dZ = dA * g'(Z)
    np.testing.assert_allclose(layer.grads["dW"], dZ @ A_prev.T / m, rtol=1e-12)  # 1/m dZ A^T
    np.testing.assert_allclose(layer.grads["db"], dZ.sum(axis=1, keepdims=True) / m, rtol=1e-12)
    np.testing.assert_allclose(dA_prev, W.T @ dZ, rtol=1e-12)  # dA_prev = W^T dZ
    assert layer.grads["dW"].shape == W.shape and layer.grads["db"].shape == b.shape


def test_dense_shapes_and_build(rng):
    layer = Dense(7, "relu", init="he")
    out = layer.build((12,), rng, np.float32)
    assert out == (7,)
    assert layer.params["W"].shape == (7, 12) and layer.params["W"].dtype == np.float32
    assert layer.params["b"].shape == (7, 1)
    assert layer.n_parameters == 7 * 12 + 7


def test_dense_without_bias(rng):
    layer = Dense(3, "linear", use_bias=False)
    layer.build((2,), rng, np.float64)
    assert set(layer.params) == {"W"}
    A_prev = rng.standard_normal((2, 4))
    np.testing.assert_allclose(layer.forward(A_prev), layer.params["W"] @ A_prev)
    layer.backward(np.ones((3, 4)))
    assert set(layer.grads) == {"dW"}


def test_dense_refuses_the_wrong_input_size(rng):
    layer = _built_dense(3, 4, "relu", rng)
    with pytest.raises(ShapeError, match=r"expected input of shape \(4, m\)"):
        layer.forward(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="units"):
        Dense(0)


def test_first_layer_skips_dA_prev():
    model = deep_network([3, 2, 1], seed=0, dtype="float64")
    X = np.ones((3, 4))
    AL = model.forward(X, training=True)
    assert model.backward(AL, np.ones((1, 4))) is None
    assert set(model.grads) == {"dW1", "db1", "dW2", "db2"}


# -- the model's dictionaries and counts ----------------------------------------------------------

def test_parameters_and_grads_named_as_in_the_course(rng):
    dims = [5, 4, 3, 2]
    model = deep_network(dims, seed=0, dtype="float64")
    assert list(model.parameters) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for l in range(1, 4):
        assert model.parameters[f"W{l}"].shape == (dims[l], dims[l - 1])
        assert model.parameters[f"b{l}"].shape == (dims[l], 1)
    X = rng.standard_normal((5, 8))
    Y = np.eye(2)[:, rng.integers(0, 2, 8)]
    model.train_step(X, Y)
    grads = model.grads
    assert list(grads) == ["dW1", "db1", "dW2", "db2", "dW3", "db3"]
    for k, v in model.parameters.items():
        assert grads["d" + k].shape == v.shape


def test_parameters_are_the_layers_own_arrays():
    model = deep_network([3, 2, 1], seed=0)
    model.parameters["W1"][0, 0] = 42.0
    assert model.layers[0].params["W"][0, 0] == 42.0


def test_logistic_regression_on_64x64x3_images_has_12289_parameters():
    model = logistic_regression(64 * 64 * 3)
    assert model.n_parameters == 12_289
    assert model.parameters["W1"].shape == (1, 12288)
    assert not np.any(model.parameters["W1"])  # zero init, as in the course
    assert model.output_activation == "sigmoid" and model.loss.name == "binary_crossentropy"


def test_parameter_count_of_the_cat_network():
    model = deep_network([12288, 20, 7, 5, 1], init="xavier", seed=1)
    expected = (12288 * 20 + 20) + (20 * 7 + 7) + (7 * 5 + 5) + (5 * 1 + 1)
    assert expected == 245_973
    assert model.n_parameters == expected
    assert "245,973" in model.summary()


def test_shallow_network_has_tanh_hidden_units():
    model = shallow_network(2, 4)
    assert [layer.activation.name for layer in model.layers] == ["tanh", "sigmoid"]
    assert model.n_parameters == (2 * 4 + 4) + (4 + 1)


def test_output_follows_the_task():
    assert deep_network([3, 1]).task == "binary"
    assert deep_network([3, 4]).task == "multiclass"
    assert deep_network([3, 4], task="multilabel").output_activation == "sigmoid"
    reg = deep_network([3, 2], task="regression")
    assert (reg.output_activation, reg.loss.name, reg.task) == ("linear", "l2", "regression")
    with pytest.raises(ValueError, match="unknown task"):
        deep_network([3, 1], task="ranking")


def test_canonical_output_backward_uses_dZ_equal_A_minus_Y(rng):
    # sigmoid + logistic loss: dW[L] = 1/m (A[L] - Y) A[L-1]^T exactly
    model = deep_network([4, 3, 1], seed=0, dtype="float64")
    X = rng.standard_normal((4, 6))
    Y = (rng.random((1, 6)) > 0.5).astype(float)
    AL = model.forward(X, training=True)
    model.backward(AL, Y)
    A1 = model.layers[0].cache[2]
    np.testing.assert_allclose(model.grads["dW2"], (AL - Y) @ A1.T / 6, rtol=1e-13)
    np.testing.assert_allclose(model.grads["db2"], (AL - Y).mean(axis=1, keepdims=True), rtol=1e-13)


# -- predictions --------------------------------------------------------------------------

def test_predict_binary_thresholds_at_one_half(rng):
    model = deep_network([3, 4, 1], seed=0)
    X = rng.standard_normal((3, 10)).astype(np.float32)
    A = model.predict_proba(X)
    P = model.predict(X)
    assert A.shape == (1, 10) and P.shape == (1, 10)
    assert set(np.unique(P)) <= {0, 1}
    np.testing.assert_array_equal(P, (A > 0.5).astype(int))
    np.testing.assert_array_equal(model.predict(X, threshold=0.0), np.ones((1, 10)))


def test_predict_multiclass_is_argmax(rng):
    model = deep_network([3, 5, 4], seed=0)
    X = rng.standard_normal((3, 9))
    A = model.predict_proba(X)
    assert A.shape == (4, 9)
    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-6)
    P = model.predict(X)
    assert P.shape == (1, 9)
    np.testing.assert_array_equal(P[0], A.argmax(axis=0))


def test_predict_multilabel_and_regression(rng):
    X = rng.standard_normal((3, 6))
    ml = deep_network([3, 4, 3], task="multilabel", seed=0)
    P = ml.predict(X)
    assert P.shape == (3, 6)
    np.testing.assert_array_equal(P, (ml.predict_proba(X) > 0.5).astype(int))
    reg = deep_network([3, 4, 2], task="regression", seed=0)
    np.testing.assert_array_equal(reg.predict(X), reg.predict_proba(X))


def test_predict_in_batches_equals_one_pass(rng):
    model = deep_network([3, 4, 1], seed=0)
    X = rng.standard_normal((3, 50)).astype(np.float32)
    whole = model.predict_proba(X)
    model2 = deep_network([3, 4, 1], seed=0)
    parts = model2.predict_proba(X, batch_size=7)
    np.testing.assert_allclose(parts, whole, rtol=1e-6)


def test_predict_refuses_the_wrong_input_size():
    model = deep_network([3, 4, 1], seed=0)
    with pytest.raises(ShapeError, match=r"takes \(3, m\)"):
        model.predict(np.zeros((4, 2)))


# -- labels -------------------------------------------------------------------------------

def test_prepare_labels_binary():
    model = deep_network([3, 1])
    Y = model.prepare_labels(np.array([0, 1, 1, 0]))
    assert Y.shape == (1, 4)
    np.testing.assert_array_equal(Y, [[0, 1, 1, 0]])
    with pytest.raises(LabelError, match=r"0/1 labels, got .*\b2\b"):
        model.prepare_labels(np.array([0, 1, 2]))
    with pytest.raises(LabelError, match="NaN"):
        model.prepare_labels(np.array([0.0, np.nan, 1.0]))
    with pytest.raises(LabelError, match="inf"):
        model.prepare_labels(np.array([0.0, np.inf]))
    with pytest.raises(LabelError, match="empty"):
        model.prepare_labels(np.array([]))


def test_prepare_labels_multiclass_one_hot():
    model = deep_network([3, 4])
    Y = model.prepare_labels(np.array([2, 0, 3]))
    np.testing.assert_array_equal(Y, np.eye(4)[:, [2, 0, 3]])
    np.testing.assert_array_equal(model.prepare_labels(np.eye(4)[:, [1, 1]]), np.eye(4)[:, [1, 1]])
    with pytest.raises(LabelError, match="0..3"):
        model.prepare_labels(np.array([0, 4]))
    with pytest.raises(LabelError):
        model.prepare_labels(np.array([0.5, 1.0]))
    with pytest.raises(LabelError, match="NaN"):
        model.prepare_labels(np.array([1.0, np.nan]))


def test_prepare_labels_multilabel_and_regression():
    ml = deep_network([3, 3], task="multilabel")
    y = np.array([[1, 0, 1], [0, 0, 1]])  # (m, k): the cat/lion/iguana rows
    np.testing.assert_array_equal(ml.prepare_labels(y), y.T)
    with pytest.raises(LabelError, match="0/1"):
        ml.prepare_labels(np.array([[1, 0, 3]]))
    reg = deep_network([3, 1], task="regression")
    np.testing.assert_allclose(reg.prepare_labels(np.array([1.5, 200.0])), [[1.5, 200.0]])
    with pytest.raises(LabelError, match="NaN"):
        reg.prepare_labels(np.array([1.5, np.nan]))


def test_sequential_needs_layers_and_a_build():
    with pytest.raises(ValueError):
        Sequential([])
    model = Sequential([Dense(2, "relu"), Dense(1, "sigmoid")])
    with pytest.raises(Exception, match="not built"):
        model.predict(np.zeros((3, 1)))
