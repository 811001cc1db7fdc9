"""Gradient checking (the notes' recipe) on whole models and single layers, and a planted bug."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.gradcheck import (
    GradCheckResult,
    check_function,
    check_layer,
    gradient_check,
    numerical_gradient,
    relative_difference,
    verdict,
)
from glassnet.layers.batchnorm import BatchNorm
from glassnet.layers.dense import Dense
from glassnet.models.builders import deep_network
from glassnet.models.sequential import Sequential


def _jitter(model: Sequential, rng: np.random.Generator) -> Sequential:
    """Non-zero biases, so db is exercised too."""
    for name, p in model.parameters.items():
        if name.startswith("b"):
            p += rng.normal(0, 0.2, p.shape)
    return model


def _data(task: str, n_x: int, n_y: int, m: int, rng: np.random.Generator):
    X = rng.standard_normal((n_x, m))
    if task == "binary":
        Y = (rng.random((1, m)) > 0.5).astype(float)
    elif task == "multiclass":
        Y = np.eye(n_y)[:, rng.integers(0, n_y, m)]
    elif task == "multilabel":
        Y = (rng.random((n_y, m)) > 0.5).astype(float)  # cat / lion / iguana
    else:
        Y = rng.standard_normal((n_y, m)) * 3
    return X, Y


MODELS = {
    # id: (layer dims, keyword arguments, task)
    "sigmoid-binary-relu": ([4, 5, 3, 1], {"hidden_activation": "relu"}, "binary"),
    "softmax-multiclass": ([4, 6, 3], {"hidden_activation": "relu"}, "multiclass"),
    "multilabel-sigmoids": ([5, 4, 3], {"hidden_activation": "tanh", "task": "multilabel"},
                            "multilabel"),
    "regression-linear-l2": ([3, 5, 2], {"hidden_activation": "relu", "task": "regression"},
                             "regression"),
    "regression-linear-l1": ([3, 5, 1], {"hidden_activation": "tanh", "task": "regression",
                                         "loss": "l1"}, "regression"),
    "regression-relu-output": ([3, 4, 1], {"hidden_activation": "tanh", "task": "regression",
                                           "output_activation": "relu"}, "regression"),
    "tanh-hidden": ([4, 5, 4, 1], {"hidden_activation": "tanh"}, "binary"),
    "leaky-hidden": ([4, 5, 4, 1], {"hidden_activation": "leaky_relu"}, "binary"),
    "softplus-hidden": ([4, 5, 4, 1], {"hidden_activation": "softplus"}, "binary"),
    "sigmoid-hidden": ([4, 5, 1], {"hidden_activation": "sigmoid"}, "binary"),
    "l2-regularized": ([4, 5, 3], {"hidden_activation": "tanh", "regularization": {"l2": 0.7}},
                       "multiclass"),
    "logistic-regression": ([6, 1], {"init": "random", "init_scale": 0.5}, "binary"),
    # non-canonical pairs: backward goes through the output activation's own derivative
    "softmax-output-l2-loss": ([4, 5, 3], {"hidden_activation": "tanh", "loss": "l2"},
                               "multiclass"),
    "sigmoid-output-l2-loss": ([4, 5, 2], {"hidden_activation": "tanh", "task": "multilabel",
                                           "loss": "l2"}, "multilabel"),
}


@pytest.mark.parametrize("key", list(MODELS))
def test_models_pass_the_gradient_check(key, rng):
    dims, kwargs, task = MODELS[key]
    model = _jitter(deep_network(dims, seed=3, dtype="float64", **kwargs), rng)
    X, Y = _data(task, dims[0], dims[-1], 7, rng)
    if kwargs.get("output_activation") == "relu":
        # keep the ReLU output away from its kink at 0
        model.parameters[f"b{len(dims) - 1}"][...] = 5.0
        Y = np.abs(Y) + 5.0
    result = gradient_check(model, X, Y)
    assert result.difference < 1e-7, str(result)
    assert result.passed
    assert result.verdict.startswith("great")
    assert result.n_checked == model.n_parameters
    assert set(result.per_parameter) == set(model.parameters)


def test_planted_bug_is_found_and_named(rng):
    model = _jitter(deep_network([4, 5, 3, 1], seed=3, dtype="float64"), rng)
    X, Y = _data("binary", 4, 1, 7, rng)
    layer = model.layers[1]
    honest = layer.backward_from_dZ

    def buggy(dZ):
        out = honest(dZ)
        layer.grads["dW"] *= 1.1  # a 10% error in dW2
        return out

    layer.backward_from_dZ = buggy
    result = gradient_check(model, X, Y)
    assert result.difference > 1e-3
    assert not result.passed
    assert result.worst == "W2"
    assert result.per_parameter["W2"] == pytest.approx(0.1 / 2.1, rel=1e-4)
    assert result.per_parameter["b2"] < 1e-7  # the other arrays are still right
    assert result.verdict.startswith("wrong")
    assert "<- worst" in str(result) and "W2" in str(result)


def test_gradient_check_needs_float64():
    model = deep_network([3, 2, 1], seed=0)  # float32
    with pytest.raises(TypeError, match="float64"):
        gradient_check(model, np.zeros((3, 2)), np.zeros((1, 2)))


def test_astype_float64_then_check(rng):
    model = deep_network([3, 4, 1], seed=0).astype("float64")
    X, Y = _data("binary", 3, 1, 5, rng)
    assert gradient_check(model, X, Y).passed


def test_gradient_check_on_a_sample_of_components(rng):
    model = _jitter(deep_network([20, 10, 1], seed=0, dtype="float64"), rng)
    X, Y = _data("binary", 20, 1, 6, rng)
    result = gradient_check(model, X, Y, max_per_array=5)
    assert result.n_checked == 5 + 5 + 5 + 1  # W1, b1, W2 sampled; b2 has 1 component
    assert result.passed


def test_gradient_check_leaves_parameters_unchanged(rng):
    model = _jitter(deep_network([4, 3, 1], seed=0, dtype="float64"), rng)
    before = {k: v.copy() for k, v in model.parameters.items()}
    X, Y = _data("binary", 4, 1, 5, rng)
    gradient_check(model, X, Y)
    for k, v in model.parameters.items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "softplus",
                                        "linear", "softmax"])
def test_dense_layer_check(activation, rng):
    layer = Dense(4, activation)
    layer.build((5,), rng, np.float64)
    layer.params["b"][...] = rng.normal(0, 0.3, (4, 1))
    result = check_layer(layer, rng.standard_normal((5, 6)))
    assert result.difference < 1e-7, str(result)
    assert set(result.per_parameter) == {"W", "b", "A_prev"}


def test_check_layer_catches_a_wrong_dA_prev(rng):
    class HalfInputGrad(Dense):
        def backward_from_dZ(self, dZ):
            return 0.5 * super().backward_from_dZ(dZ)

    layer = HalfInputGrad(3, "tanh")
    layer.build((4,), rng, np.float64)
    result = check_layer(layer, rng.standard_normal((4, 5)))
    assert result.worst == "A_prev"
    assert result.per_parameter["W"] < 1e-7
    assert result.per_parameter["A_prev"] == pytest.approx(1 / 3, rel=1e-4)


def test_verdict_strings():
    assert verdict(1e-9).startswith("great")
    assert verdict(3e-6).startswith("probably fine, but check")
    assert verdict(1e-4).startswith("suspicious")
    assert verdict(1e-3).startswith("wrong")
    assert verdict(0.5).startswith("wrong")
    assert verdict(float("nan")).startswith("wrong")
    assert GradCheckResult(2e-8).passed
    assert not GradCheckResult(2e-7).passed
    assert not GradCheckResult(float("inf")).passed


def test_relative_difference_and_check_function():
    assert relative_difference([0, 0], [0, 0]) == 0.0
    assert relative_difference([1, 0], [1, 0]) == 0.0
    assert relative_difference([1, 0], [-1, 0]) == pytest.approx(1.0)
    assert relative_difference([3, 4], [0, 0]) == pytest.approx(1.0)
    x = np.linspace(-2, 2, 9)
    assert check_function(np.sin, np.cos, x) < 1e-8
    assert check_function(np.sin, lambda z: 1.1 * np.cos(z), x) == pytest.approx(0.1 / 2.1,
                                                                                 rel=1e-6)


def test_gradient_check_in_training_mode_covers_batchnorm_statistics():
    """training=True differentiates through the mini-batch mean and variance, and
    leaves the running averages as they were."""
    import glassnet as gn

    model = gn.deep_network([5, 6, 4, 3], batchnorm=True, dtype="float64", seed=0)
    rng = np.random.default_rng(0)
    for p in model.parameters.values():
        p += rng.normal(0, 0.1, p.shape)
    X = rng.normal(size=(5, 16))
    Y = model.prepare_labels(rng.integers(0, 3, 16))
    before = {k: v.copy() for k, v in model.state.items()}
    result = gn.gradient_check(model, X, Y, training=True)
    assert result.difference < 1e-7
    for k, v in model.state.items():
        np.testing.assert_array_equal(v, before[k])


def test_numerical_gradient_of_one_array(rng):
    """numerical_gradient: the library's two-sided differences over a whole array."""
    X = rng.standard_normal((3, 4))
    A = rng.standard_normal((3, 3))
    before = X.copy()
    grad = numerical_gradient(lambda x: float((x * (A @ x)).sum()), X)
    assert grad.shape == X.shape
    assert relative_difference(grad, (A + A.T) @ X) < 1e-7
    np.testing.assert_array_equal(X, before)  # perturbed in place, then restored
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda x: float(x.sum()), X.astype(np.float32))


def test_check_layer_restores_the_running_averages(rng):
    """Training-mode forward passes move batch norm's running averages; the check puts
    them back."""
    bn = BatchNorm()
    bn.build((4,), rng, np.float64)
    bn.state["running_mean"][...] = rng.normal(size=(4, 1))
    before = {k: v.copy() for k, v in bn.state.items()}
    result = check_layer(bn, rng.standard_normal((4, 6)) * 2 + 1, batch_axis=1)
    assert result.difference < 1e-7, str(result)
    for name, value in bn.state.items():
        np.testing.assert_array_equal(value, before[name])


def test_check_layer_needs_float64_and_an_input_gradient(rng):
    layer = Dense(3, "tanh")
    layer.build((4,), rng, np.float32)
    with pytest.raises(TypeError, match="float64"):
        check_layer(layer, rng.standard_normal((4, 5)))
    layer = Dense(3, "tanh")
    layer.build((4,), rng, np.float64)
    layer.propagate_input_grad = False  # a model's first layer
    with pytest.raises(ValueError, match="check_input=False"):
        check_layer(layer, rng.standard_normal((4, 5)))
    result = check_layer(layer, rng.standard_normal((4, 5)), check_input=False)
    assert set(result.per_parameter) == {"W", "b"} and result.passed


def test_a_large_model_is_checked_on_a_sample_by_default():
    import glassnet as gn

    rng = np.random.default_rng(0)
    big = gn.deep_network([300, 80, 20, 1], seed=1, dtype="float64")
    X, Y = rng.standard_normal((300, 4)), (rng.random((1, 4)) > 0.5) * 1.0
    result = gn.gradient_check(big, X, Y)
    assert result.passed and result.n_total == big.n_parameters
    assert result.n_checked < result.n_total
    assert f"a random sample of {result.n_total:,}" in str(result)
    small = gn.deep_network([4, 3, 1], seed=1, dtype="float64")
    result = gn.gradient_check(small, X[:4], Y)
    assert result.n_checked == result.n_total == small.n_parameters
    assert "sample" not in str(result)
