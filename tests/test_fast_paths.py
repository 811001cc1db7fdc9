"""The hot paths tuned for speed (issue 6) compute exactly what the plain paths compute.

- the optimizers' cache-blocked update split over threads: bit-for-bit the one-thread result;
- Dense's backward scales its own dZ in place, never an array the caller passed;
- ``fit``'s cheap finiteness check (the sum first) still rejects NaN and inf, and accepts
  finite data whose sum overflows;
- one-example inference and the (C, 1) softmax give what the batched path gives.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet.optim.engine as engine
from glassnet.core.errors import GlassnetError
from glassnet.functions.activations import Softmax
from glassnet.layers.dense import Dense
from glassnet.models.builders import deep_network
from glassnet.optim.engine import get_num_threads, set_num_threads
from glassnet.optim.optimizers import Adam, Momentum, RMSProp
from glassnet.train.trainer import Trainer


@pytest.fixture
def threads():
    before = get_num_threads()
    yield set_num_threads
    set_num_threads(before)


def _problem(seed=0, dtype=np.float32):
    """Large (chunked) and small (grouped) parameters, enough for the threaded path."""
    rng = np.random.default_rng(seed)
    shapes = {
        "W1": (3 * engine._CHUNK + 123, 1),  # several blocks, not a multiple of the block
        "b1": (7, 1),
        "W2": (300, 250),  # small group (<= _SMALL elements)
        "b2": (300, 1),
        "W3": (engine._CHUNK + 5, 2),
    }
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
    steps = [
        {"d" + k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()} for _ in range(4)
    ]
    del steps[2]["dW3"]  # frozen for one step
    return params, steps


@pytest.mark.parametrize(
    "make", [lambda: Adam(0.01), lambda: Momentum(0.05, 0.8), lambda: RMSProp(0.01)]
)
def test_threaded_update_is_bitwise_the_one_thread_update(threads, make):
    params, steps = _problem()
    assert sum(p.size for p in params.values()) > engine._PARALLEL_MIN
    results = []
    for n in (1, 2, 3):
        threads(n)
        live = {k: p.copy() for k, p in params.items()}
        opt = make()
        for g in steps:
            opt.step(live, g)
        results.append((live, opt.state_dict()))
    (ref, ref_state), *others = results
    for live, state in others:
        for k in ref:
            np.testing.assert_array_equal(live[k], ref[k], err_msg=k)
            assert live[k].dtype == np.float32
        assert set(state) == set(ref_state)
        for k in ref_state:
            np.testing.assert_array_equal(state[k], ref_state[k], err_msg=k)


def test_threaded_adam_matches_the_course_equations(threads):
    threads(2)
    params, steps = _problem(seed=1, dtype=np.float64)
    live = {k: p.copy() for k, p in params.items()}
    opt = Adam(0.02)
    for g in steps:
        opt.step(live, g)
    lr, b1, b2, eps = 0.02, 0.9, 0.999, 1e-8
    for k, W in params.items():
        v = np.zeros_like(W)
        s = np.zeros_like(W)
        W = W.copy()
        for t, g in enumerate(steps, 1):
            if "d" + k not in g:
                continue
            dW = g["d" + k]
            v = b1 * v + (1 - b1) * dW
            s = b2 * s + (1 - b2) * dW**2
            W = W - lr * (v / (1 - b1**t)) / (np.sqrt(s / (1 - b2**t)) + eps)
        np.testing.assert_allclose(live[k], W, rtol=1e-10, atol=1e-12, err_msg=k)
        np.testing.assert_allclose(opt.v["d" + k], v, rtol=1e-12, err_msg=k)
        np.testing.assert_allclose(opt.s["d" + k], s, rtol=1e-12, err_msg=k)


def test_state_dict_round_trip_continues_identically_on_threads(threads):
    threads(2)
    params, steps = _problem(seed=2)
    a = {k: p.copy() for k, p in params.items()}
    opt_a = Adam(0.01)
    for g in steps[:2]:
        opt_a.step(a, g)
    b = {k: p.copy() for k, p in a.items()}
    opt_b = Adam(0.01)
    opt_b.load_state_dict(opt_a.state_dict())
    for g in steps[2:]:
        opt_a.step(a, g)
        opt_b.step(b, g)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError):
        set_num_threads(0)


def test_pool_is_recreated_in_a_forked_child(threads, monkeypatch):
    threads(2)
    pool = engine._executor(1)
    monkeypatch.setattr(engine, "_pool_pid", -1)  # as a fork's child sees it: another pid
    assert engine._executor(1) is not pool
    params, steps = _problem(seed=3)
    Adam(0.01).step(params, steps[0])  # runs on the new pool


def test_dense_backward_leaves_the_callers_dA_alone():
    rng = np.random.default_rng(0)
    layer = Dense(3, activation="linear")
    layer.build((4,), rng, np.float64)
    layer.propagate_input_grad = True
    A_prev = rng.standard_normal((4, 5))
    dA = rng.standard_normal((3, 5))
    dA_copy = dA.copy()
    layer.forward(A_prev, training=True)
    dA_prev = layer.backward(dA)
    np.testing.assert_array_equal(dA, dA_copy)  # linear: dZ is dA, so it is not scaled
    np.testing.assert_allclose(layer.grads["dW"], dA @ A_prev.T / 5, rtol=1e-12)
    np.testing.assert_allclose(layer.grads["db"], dA.sum(axis=1, keepdims=True) / 5, rtol=1e-12)
    np.testing.assert_allclose(dA_prev, layer.params["W"].T @ dA, rtol=1e-12)


def test_dense_relu_backward_matches_the_equations():
    rng = np.random.default_rng(1)
    layer = Dense(6, activation="relu")
    layer.build((4,), rng, np.float32)
    layer.propagate_input_grad = True
    A_prev = rng.standard_normal((4, 9)).astype(np.float32)
    dA = rng.standard_normal((6, 9)).astype(np.float32)
    W, b = layer.params["W"].copy(), layer.params["b"].copy()
    layer.forward(A_prev, training=True)
    dA_prev = layer.backward(dA)
    dZ = dA * (W @ A_prev + b > 0)
    np.testing.assert_allclose(layer.grads["dW"], dZ @ A_prev.T / 9, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.grads["db"], dZ.sum(axis=1, keepdims=True) / 9, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(dA_prev, W.T @ dZ, rtol=1e-5, atol=1e-6)
    assert layer.grads["dW"].dtype == np.float32 and layer.grads["db"].dtype == np.float32
    # backward_from_dZ called directly (the output layer's dZ = A - Y) leaves dZ as it is
    layer.forward(A_prev, training=True)
    dZ_copy = dZ.copy()
    layer.backward_from_dZ(dZ)
    np.testing.assert_array_equal(dZ, dZ_copy)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_fit_still_rejects_non_finite_data(bad):
    model = deep_network([3, 4, 2], seed=0)
    X = np.random.default_rng(0).standard_normal((3, 20)).astype(np.float32)
    X[1, 7] = bad
    with pytest.raises(GlassnetError, match="NaN or inf"):
        Trainer(model, epochs=1, batch_size=8, progress=False).fit(X, np.arange(20) % 2)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the network overflows on such data
def test_fit_accepts_finite_data_whose_sum_overflows():
    model = deep_network([3, 4, 2], seed=0)
    X = np.full((3, 20), 3e38, dtype=np.float32)  # finite, but the sum is inf in float32
    with np.errstate(over="ignore"):
        assert not np.isfinite(X.sum())
    try:
        Trainer(model, epochs=1, batch_size=8, progress=False).fit(X, np.arange(20) % 2)
    except GlassnetError as exc:  # diverging is fine; "contains NaN or inf" is not
        assert "NaN or inf" not in str(exc)


def test_one_example_inference_matches_the_batch():
    model = deep_network([6, 5, 4, 3], seed=0)
    X = np.random.default_rng(0).standard_normal((6, 8)).astype(np.float32)
    A = model.predict_proba(X)
    for j in range(8):
        a = model.predict_proba(np.ascontiguousarray(X[:, j : j + 1]))
        assert a.shape == (3, 1) and a.dtype == np.float32
        np.testing.assert_allclose(a[:, 0], A[:, j], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(a.sum(), 1.0, rtol=1e-6)
    # float64 or list input is converted as before
    a64 = model.predict_proba(X[:, :1].astype(np.float64))
    assert a64.dtype == np.float32
    np.testing.assert_allclose(a64[:, 0], A[:, 0], rtol=1e-5, atol=1e-7)
    alist = model.predict_proba(X[:, :1].tolist())
    np.testing.assert_allclose(alist[:, 0], A[:, 0], rtol=1e-5, atol=1e-7)


def test_single_column_softmax_matches_the_column_softmax():
    Z = np.array([[1000.0], [999.0], [-5.0], [0.0]], dtype=np.float32)  # stable: no overflow
    expected = np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum()
    A = Softmax().forward_inplace(Z.copy())
    np.testing.assert_allclose(A, expected, rtol=1e-6)
    np.testing.assert_allclose(A, Softmax().forward(Z), rtol=1e-6)


def test_grads_follow_freezing():
    model = deep_network([3, 4, 2], seed=0)
    X = np.random.default_rng(0).standard_normal((3, 10)).astype(np.float32)
    Y = np.eye(2, dtype=np.float32)[:, np.arange(10) % 2]
    model.train_step(X, Y)
    assert set(model.grads) == {"dW1", "db1", "dW2", "db2"}
    model.freeze(1)
    model.train_step(X, Y)
    assert set(model.grads) == {"dW2", "db2"}
