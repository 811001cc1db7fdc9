"""Initializers: the scales of each scheme, zeros, and the course-compatible random mode."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glassnet.functions.initializers import INITIALIZERS, init_scale, initialize_weight
from glassnet.models.builders import deep_network, shallow_network


def test_scale_formulas():
    assert init_scale("zeros", 100, 10) == 0.0
    assert init_scale("random", 100, 10) == 0.01
    assert init_scale("random", 100, 10, scale=0.5) == 0.5
    assert init_scale("he", 100, 10) == pytest.approx(math.sqrt(2 / 100))
    assert init_scale("xavier", 100, 10) == pytest.approx(math.sqrt(1 / 100))
    assert init_scale("glorot", 100, 10) == pytest.approx(math.sqrt(2 / 110))
    assert init_scale("HE", 8, 1) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unknown initializer 'uniform'"):
        init_scale("uniform", 3, 3)


@pytest.mark.parametrize(
    "name, expected_std",
    [
        ("he", math.sqrt(2 / 500)),
        ("xavier", math.sqrt(1 / 500)),
        ("glorot", math.sqrt(2 / (500 + 400))),
        ("random", 0.01),
    ],
)
def test_weight_statistics_on_a_large_matrix(name, expected_std):
    # 200,000 draws: the sample std is within ~0.2% of the true one (4 sigma < 1%)
    W = initialize_weight(name, (400, 500), fan_in=500, fan_out=400, rng=np.random.default_rng(0))
    assert W.shape == (400, 500) and W.dtype == np.float64
    assert W.std() == pytest.approx(expected_std, rel=0.01)
    assert abs(W.mean()) < 4 * expected_std / math.sqrt(W.size)
    # normal, not uniform: about 68.3% of the draws within one standard deviation
    assert np.mean(np.abs(W) < expected_std) == pytest.approx(0.6827, abs=0.005)


def test_random_scale_is_a_multiplier_of_standard_normal_draws():
    a = initialize_weight("random", (30, 20), 20, 30, np.random.default_rng(5), scale=0.5)
    b = np.random.default_rng(5).standard_normal((30, 20)) * 0.5
    np.testing.assert_array_equal(a, b)


def test_zeros_draws_nothing():
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    W = initialize_weight("zeros", (5, 4), 4, 5, rng)
    np.testing.assert_array_equal(W, np.zeros((5, 4)))
    assert rng.bit_generator.state == state


def test_dense_layers_use_fan_in_of_the_previous_layer():
    model = deep_network([2000, 300, 50, 1], init="he", seed=0, dtype="float64")
    p = model.parameters
    assert p["W1"].std() == pytest.approx(math.sqrt(2 / 2000), rel=0.02)
    assert p["W2"].std() == pytest.approx(math.sqrt(2 / 300), rel=0.03)
    for key in ("b1", "b2", "b3"):
        np.testing.assert_array_equal(p[key], 0.0)


def test_zeros_init_model_is_all_zero():
    model = deep_network([6, 4, 1], init="zeros")
    for value in model.parameters.values():
        assert not np.any(value)


def test_shallow_network_uses_small_random_weights():
    model = shallow_network(40, 5, seed=2, dtype="float64")
    assert model.parameters["W1"].std() == pytest.approx(0.01, rel=0.15)


def test_seeded_numpy_mode_is_reproducible():
    a = deep_network([10, 6, 1], seed=7).parameters
    b = deep_network([10, 6, 1], seed=7).parameters
    c = deep_network([10, 6, 1], seed=8).parameters
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["W1"], c["W1"])


def test_course_mode_draws_as_the_notebooks_do():
    # the notebooks: np.random.seed(1); then per layer W = randn(n[l], n[l-1]) / sqrt(n[l-1]),
    # b = zeros; this is deep_network([12288, 20, 7, 5, 1], init="xavier", rng="course", seed=1)
    # at a smaller size
    dims = [50, 4, 3, 1]
    model = deep_network(dims, init="xavier", rng="course", seed=1, dtype="float64")
    np.random.seed(1)
    for l in range(1, len(dims)):
        expected = np.random.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        np.testing.assert_array_equal(model.parameters[f"W{l}"], expected)
        np.testing.assert_array_equal(model.parameters[f"b{l}"], np.zeros((dims[l], 1)))


def test_course_mode_first_layer_of_the_cat_network():
    model = deep_network([12288, 20, 7, 5, 1], init="xavier", rng="course", seed=1,
                         dtype="float64")
    np.random.seed(1)
    W1 = np.random.randn(20, 12288) / np.sqrt(12288)
    np.testing.assert_array_equal(model.parameters["W1"], W1)


def test_course_mode_small_random_init_times_0_01():
    # the 2-layer notebook: W1 = randn(n_h, n_x) * 0.01
    model = deep_network([30, 7, 1], init="random", rng="course", seed=1, dtype="float64")
    np.random.seed(1)
    np.testing.assert_array_equal(model.parameters["W1"], np.random.randn(7, 30) * 0.01)
    np.testing.assert_array_equal(model.parameters["W2"], np.random.randn(1, 7) * 0.01)


def test_every_listed_initializer_builds_a_model():
    for name in INITIALIZERS:
        model = deep_network([5, 3, 1], init=name)
        assert model.parameters["W1"].shape == (3, 5)


def test_course_mode_he_init_as_the_initialization_notebook():
    # Course 2's notebook: W = randn(n[l], n[l-1]) * sqrt(2 / n[l-1])
    model = deep_network([25, 6, 1], init="he", rng="course", seed=3, dtype="float64")
    np.random.seed(3)
    np.testing.assert_array_equal(model.parameters["W1"], np.random.randn(6, 25) * np.sqrt(2 / 25))
    np.testing.assert_array_equal(model.parameters["W2"], np.random.randn(1, 6) * np.sqrt(2 / 6))
