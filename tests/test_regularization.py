"""L2 / L1 regularization and gradient clipping."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import numerical_grad

from glassnet.functions.regularization import (
    Regularizer,
    add_l1_grads,
    add_l2_grads,
    get_regularizer,
    l1_cost,
    l2_cost,
)
from glassnet.optim.clipping import clip_by_norm, clip_by_value, global_norm


def small_params():
    return {
        "W1": np.array([[1.0, -2.0], [3.0, 0.0]]),
        "b1": np.array([[5.0], [5.0]]),
        "gamma1": np.array([[2.0], [2.0]]),
        "W2": np.array([[0.5, -0.5]]),
        "b2": np.array([[1.0]]),
    }


def zero_grads(params):
    return {"d" + k: np.zeros_like(p) for k, p in params.items()}


# ----------------------------------------------------------------------------------------
# by hand
# ----------------------------------------------------------------------------------------
def test_l2_cost_by_hand():
    # ||W1||^2 = 1 + 4 + 9 + 0 = 14; ||W2||^2 = 0.25 + 0.25 = 0.5; lambda/(2m) = 0.7/10
    assert l2_cost(small_params(), lambd=0.7, m=5) == pytest.approx(0.07 * 14.5)
    assert l2_cost(small_params(), lambd=0.0, m=5) == 0.0


def test_l2_grads_by_hand_weights_only():
    p = small_params()
    g = zero_grads(p)
    g["dW1"] += 1.0  # from backprop
    add_l2_grads(p, g, lambd=0.7, m=5)  # dW += lambda/m W = 0.14 W
    np.testing.assert_allclose(g["dW1"], 1.0 + 0.14 * p["W1"])
    np.testing.assert_allclose(g["dW2"], 0.14 * p["W2"])
    for k in ("db1", "db2", "dgamma1"):  # biases and batch-norm scales are not penalized
        np.testing.assert_array_equal(g[k], 0.0)


def test_l1_cost_and_grads_by_hand():
    # the notes' lambda/(2m) ||W||_1: (|1|+|-2|+|3|+|0| + 0.5 + 0.5) = 7
    p = small_params()
    assert l1_cost(p, lambd=0.7, m=5) == pytest.approx(0.07 * 7)
    g = zero_grads(p)
    add_l1_grads(p, g, lambd=0.7, m=5)  # dW += lambda/(2m) sign(W)
    np.testing.assert_allclose(g["dW1"], [[0.07, -0.07], [0.07, 0.0]])
    np.testing.assert_allclose(g["dW2"], [[0.07, -0.07]])
    np.testing.assert_array_equal(g["db1"], 0.0)


def test_frozen_weights_are_skipped():
    p = small_params()
    g = zero_grads(p)
    del g["dW1"]
    add_l2_grads(p, g, 1.0, 1)
    add_l1_grads(p, g, 1.0, 1)
    assert "dW1" not in g
    assert np.abs(g["dW2"]).sum() > 0


# ----------------------------------------------------------------------------------------
# numerically
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["l2", "l1", "both"])
def test_penalty_gradients_match_numerical_gradients(kind):
    rng = np.random.default_rng(0)
    p = {
        "W1": rng.standard_normal((4, 3)),
        "b1": rng.standard_normal((4, 1)),
        "W2": rng.standard_normal((2, 3, 3, 2)),  # a conv kernel is penalized too
    }
    for W in (p["W1"], p["W2"]):  # keep clear of the L1 kink at 0
        W[np.abs(W) < 0.05] = 0.3
    reg = Regularizer(
        l1=0.3 if kind in ("l1", "both") else 0.0, l2=0.8 if kind in ("l2", "both") else 0.0
    )
    m = 7
    g = zero_grads(p)
    reg.add_grads(p, g, m)
    for name in ("W1", "W2"):
        num = numerical_grad(lambda _: reg.cost(p, m), p[name], epsilon=1e-6)
        np.testing.assert_allclose(g["d" + name], num, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(g["db1"], 0.0)


def test_regularizer_config_and_lookup():
    reg = Regularizer(l1=0.01, l2=0.7)
    assert reg.active and not Regularizer().active
    again = get_regularizer(json.loads(json.dumps(reg.config())))
    assert again.config() == {"l1": 0.01, "l2": 0.7}
    assert get_regularizer(0.7).config() == {"l1": 0.0, "l2": 0.7}
    assert get_regularizer(None).cost(small_params(), 5) == 0.0
    assert reg.cost(small_params(), 5) == pytest.approx(
        l2_cost(small_params(), 0.7, 5) + l1_cost(small_params(), 0.01, 5)
    )
    with pytest.raises(ValueError):
        Regularizer(l2=-1.0)
    with pytest.raises(ValueError):
        l2_cost(small_params(), 0.1, 0)


def test_l2_works_in_float32_in_place():
    p = {"W1": np.ones((3, 3), np.float32)}
    g = {"dW1": np.zeros((3, 3), np.float32)}
    before = g["dW1"]
    add_l2_grads(p, g, 0.5, 2)
    assert g["dW1"] is before and before.dtype == np.float32
    np.testing.assert_allclose(before, 0.25)


# ----------------------------------------------------------------------------------------
# gradient clipping
# ----------------------------------------------------------------------------------------
def three_four_twelve():
    return {"dW1": np.array([[3.0, -4.0]]), "db1": np.array([[12.0]])}  # global norm 13


def test_global_norm():
    assert global_norm(three_four_twelve()) == pytest.approx(13.0)


def test_clip_by_value_in_place():
    g = three_four_twelve()
    arrays = dict(g)
    norm = clip_by_value(g, 5.0)
    assert norm == pytest.approx(13.0)  # measured before clipping
    np.testing.assert_array_equal(g["dW1"], [[3.0, -4.0]])
    np.testing.assert_array_equal(g["db1"], [[5.0]])
    assert all(g[k] is arrays[k] for k in g)
    g = {"dW1": np.array([[-30.0, 0.5, 12.0]])}
    clip_by_value(g, 10.0)  # the course's clip(gradients, maxValue=10)
    np.testing.assert_array_equal(g["dW1"], [[-10.0, 0.5, 10.0]])


def test_clip_by_norm_rescales_all_gradients_together():
    g = three_four_twelve()
    norm = clip_by_norm(g, 6.5)
    assert norm == pytest.approx(13.0)
    np.testing.assert_allclose(g["dW1"], [[1.5, -2.0]])
    np.testing.assert_allclose(g["db1"], [[6.0]])
    assert global_norm(g) == pytest.approx(6.5)
    g = three_four_twelve()
    assert clip_by_norm(g, 100.0) == pytest.approx(13.0)  # below the limit: unchanged
    np.testing.assert_array_equal(g["db1"], [[12.0]])
    with pytest.raises(ValueError):
        clip_by_norm(g, 0.0)
    with pytest.raises(ValueError):
        clip_by_value(g, -1.0)
