"""Inverted dropout and batch normalization layers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import built

from glassnet.core.errors import ShapeError
from glassnet.gradcheck import check_layer
from glassnet.layers.base import layer_from_config, layer_to_config
from glassnet.layers.batchnorm import BatchNorm
from glassnet.layers.dropout import Dropout


# ----------------------------------------------------------------------------------------
# dropout
# ----------------------------------------------------------------------------------------
def test_dropout_is_inverted_mean_preserved():
    layer = built(Dropout(keep_prob=0.8, seed=0), (500,))
    A = np.ones((500, 2000))
    out = layer.forward(A, training=True)
    kept = out != 0
    assert kept.mean() == pytest.approx(0.8, abs=0.005)  # P(keep) = keep_prob
    np.testing.assert_allclose(out[kept], 1 / 0.8)  # kept units scaled by 1/keep_prob
    assert out.mean() == pytest.approx(1.0, abs=0.01)  # E[A] unchanged
    np.testing.assert_array_equal(kept, layer.D)


def test_dropout_backward_reuses_the_forward_mask():
    layer = built(Dropout(keep_prob=0.5, seed=1), (6,))
    A = np.random.default_rng(0).uniform(1, 2, (6, 40))
    out = layer.forward(A, training=True)
    dA = np.random.default_rng(1).standard_normal((6, 40))
    dA_prev = layer.backward(dA)
    np.testing.assert_allclose(dA_prev, dA * layer.D / 0.5)
    np.testing.assert_array_equal(dA_prev == 0, out == 0)


def test_dropout_is_the_identity_at_test_time():
    layer = built(Dropout(keep_prob=0.3, seed=1), (5,))
    A = np.random.default_rng(0).standard_normal((5, 8))
    assert layer.forward(A, training=False) is A
    dA = np.ones((5, 8))
    assert layer.backward(dA) is dA
    assert built(Dropout(keep_prob=1.0), (5,)).forward(A, training=True) is A


def test_dropout_works_on_images_and_keeps_the_dtype():
    layer = built(Dropout(keep_prob=0.7, seed=2), (4, 4, 3), np.float32)
    A = np.ones((10, 4, 4, 3), np.float32)
    out = layer.forward(A, training=True)
    assert out.shape == A.shape and out.dtype == np.float32
    assert out.dtype == layer.backward(np.ones_like(A)).dtype


@pytest.mark.parametrize("shape", [(5, 7), (3, 4, 4, 2)])
def test_dropout_gradient_check_with_a_fixed_mask(shape):
    layer = built(Dropout(keep_prob=0.6), shape[1:] if len(shape) == 4 else shape[:1])
    D = np.random.default_rng(3).random(shape) < 0.6
    layer.set_mask(D)
    A = np.random.default_rng(4).standard_normal(shape)
    result = check_layer(layer, A)
    assert result.difference < 1e-7, str(result)
    out = layer.forward(A, training=True)
    np.testing.assert_allclose(out, A * D / 0.6)
    layer.set_mask(None)
    assert layer.fixed_mask is None
    with pytest.raises(ValueError, match="fixed mask"):
        layer.set_mask(np.ones((2, 2), bool))
        layer.forward(A, training=True)


def test_dropout_randomness_is_seeded_and_does_not_consume_the_model_stream():
    a = built(Dropout(0.5, seed=7), (4,))
    b = built(Dropout(0.5, seed=7), (4,))
    A = np.ones((4, 10))
    first = a.forward(A, True)
    np.testing.assert_array_equal(first, b.forward(A, True))  # same seed, same masks
    assert not np.array_equal(first, a.forward(A, True))  # a fresh mask on every pass

    model_rng = np.random.default_rng(11)
    c = built(Dropout(0.5), (4,), rng=model_rng)
    assert model_rng.standard_normal() == np.random.default_rng(11).standard_normal()
    d = built(Dropout(0.5), (4,), rng=np.random.default_rng(11))
    np.testing.assert_array_equal(c.forward(A, True), d.forward(A, True))


def test_dropout_course_compatible_mode_draws_like_the_notebooks():
    layer = built(Dropout(keep_prob=0.7), (3,), rng=np.random)
    np.random.seed(1)
    out = layer.forward(np.ones((3, 5)), training=True)
    np.random.seed(1)
    D = np.random.rand(3, 5) < 0.7  # the course's D1 = np.random.rand(...) < keep_prob
    np.testing.assert_allclose(out, D / 0.7)


def test_dropout_config_and_validation():
    layer = Dropout(keep_prob=0.86, seed=3)
    entry = json.loads(json.dumps(layer_to_config(layer)))
    assert entry == {"type": "dropout", "config": {"keep_prob": 0.86, "seed": 3}}
    again = layer_from_config(entry)
    assert isinstance(again, Dropout) and again.keep_prob == 0.86
    assert Dropout.owns_index is False and not layer.params
    for bad in (0.0, 1.5, -0.2):
        with pytest.raises(ValueError):
            Dropout(keep_prob=bad)


# ----------------------------------------------------------------------------------------
# batch normalization
# ----------------------------------------------------------------------------------------
def test_batchnorm_train_output_is_normalized_per_unit():
    rng = np.random.default_rng(0)
    bn = built(BatchNorm(), (4,))
    Z = rng.normal(loc=[[3.0], [-2.0], [0.0], [10.0]], scale=[[2.0], [0.5], [1.0], [5.0]],
                   size=(4, 64))
    out = bn.forward(Z, training=True)
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-12)
    var = Z.var(axis=1)
    np.testing.assert_allclose(out.var(axis=1), var / (var + bn.epsilon), rtol=1e-12)
    assert bn.params["gamma"].shape == (4, 1) and bn.params["beta"].shape == (4, 1)

    bn.params["gamma"][:] = [[2.0], [0.5], [1.0], [3.0]]  # gamma: new std, beta: new mean
    bn.params["beta"][:] = [[1.0], [-1.0], [0.0], [5.0]]
    out = bn.forward(Z, training=True)
    np.testing.assert_allclose(out.mean(axis=1), [1.0, -1.0, 0.0, 5.0], atol=1e-12)
    gamma = np.array([2.0, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(out.std(axis=1), gamma * np.sqrt(var / (var + bn.epsilon)))


def test_batchnorm_images_normalize_per_channel():
    rng = np.random.default_rng(1)
    bn = built(BatchNorm(), (5, 5, 3), np.float32)
    Z = (rng.standard_normal((8, 5, 5, 3)) * [1.0, 4.0, 0.1] + [2.0, -3.0, 7.0]).astype(np.float32)
    out = bn.forward(Z, training=True)
    assert out.dtype == np.float32 and out.shape == Z.shape
    assert bn.params["gamma"].shape == (1, 1, 1, 3)
    assert bn.state["running_mean"].shape == (1, 1, 1, 3)
    # float32: mu = 7 is known to ~7e-7, i.e. 7e-6 after dividing by sigma = 0.1
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0.0, atol=5e-5)
    np.testing.assert_allclose(out.var(axis=(0, 1, 2)), 1.0, atol=2e-3)


@pytest.mark.parametrize(
    "example_shape, batch_shape",
    [((4,), (4, 6)), ((3, 3, 2), (3, 3, 3, 2)), ((5, 3), (4, 5, 3))],
)
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradient_check(example_shape, batch_shape, training):
    rng = np.random.default_rng(2)
    bn = built(BatchNorm(), example_shape)
    bn.params["gamma"][...] = rng.uniform(0.5, 2.0, bn.params["gamma"].shape)
    bn.params["beta"][...] = rng.standard_normal(bn.params["beta"].shape)
    bn.state["running_mean"][...] = rng.standard_normal(bn.params["beta"].shape)
    bn.state["running_var"][...] = rng.uniform(0.5, 2.0, bn.params["beta"].shape)
    A = rng.standard_normal(batch_shape) * 2.0 + 1.0
    result = check_layer(bn, A, training=training)
    assert result.difference < 1e-7, str(result)
    assert set(bn.grads) == {"dgamma", "dbeta"}


def test_batchnorm_running_averages_converge_and_are_used_at_test_time():
    rng = np.random.default_rng(3)
    bn = built(BatchNorm(momentum=0.9), (2,))
    mean = np.array([[3.0], [-1.0]])
    std = np.array([[2.0], [0.5]])
    for _ in range(150):
        bn.forward(rng.normal(mean, std, size=(2, 512)), training=True)
    np.testing.assert_allclose(bn.state["running_mean"], mean, atol=0.1)
    np.testing.assert_allclose(bn.state["running_var"], std**2, rtol=0.05)

    # test time: one example at a time works and uses the running statistics
    z = np.array([[5.0], [-0.5]])
    out = bn.forward(z, training=False)
    expected = (z - bn.state["running_mean"]) / np.sqrt(bn.state["running_var"] + bn.epsilon)
    np.testing.assert_allclose(out, expected)
    assert out[0, 0] == pytest.approx(1.0, abs=0.1)  # (5 - 3) / 2
    before = bn.state["running_mean"].copy()
    bn.forward(rng.normal(size=(2, 10)), training=False)
    np.testing.assert_array_equal(bn.state["running_mean"], before)  # not updated at test time


def test_batchnorm_running_average_is_the_ewa_of_batch_statistics():
    bn = built(BatchNorm(momentum=0.5), (1,))
    bn.forward(np.array([[1.0, 3.0]]), training=True)  # mu = 2, sigma^2 = 1
    np.testing.assert_allclose(bn.state["running_mean"], [[1.0]])  # 0.5 * 0 + 0.5 * 2
    np.testing.assert_allclose(bn.state["running_var"], [[1.0]])  # 0.5 * 1 + 0.5 * 1
    bn.forward(np.array([[4.0, 8.0]]), training=True)  # mu = 6, sigma^2 = 4
    np.testing.assert_allclose(bn.state["running_mean"], [[3.5]])
    np.testing.assert_allclose(bn.state["running_var"], [[2.5]])


def test_batchnorm_config_shapes_and_errors():
    bn = BatchNorm(momentum=0.99, epsilon=1e-3)
    entry = json.loads(json.dumps(layer_to_config(bn)))
    assert entry == {"type": "batchnorm", "config": {"momentum": 0.99, "epsilon": 1e-3}}
    again = layer_from_config(entry)
    assert isinstance(again, BatchNorm) and again.momentum == 0.99
    assert BatchNorm.owns_index is False
    assert all(not k[-1].isdigit() for k in ("gamma", "beta"))
    built(bn, (4,))
    assert bn.n_parameters == 8
    with pytest.raises(ShapeError):
        bn.forward(np.zeros((5, 3)), training=True)
    with pytest.raises(ValueError):
        BatchNorm(momentum=1.0)
    with pytest.raises(ValueError):
        BatchNorm(epsilon=0.0)


def test_batchnorm_frozen_layer_fills_no_grads_but_propagates():
    bn = built(BatchNorm(), (3,))
    bn.trainable = False
    Z = np.random.default_rng(0).standard_normal((3, 5))
    bn.forward(Z, training=True)
    dZ = bn.backward(np.ones((3, 5)))
    assert not bn.grads and dZ.shape == (3, 5)
