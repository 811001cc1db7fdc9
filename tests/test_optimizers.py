"""Optimizers and exponentially weighted averages against hand-computed values."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

from glassnet.optim import engine
from glassnet.optim.ewa import EWA, exponentially_weighted_average
from glassnet.optim.optimizers import Adam, GradientDescent, Momentum, RMSProp, get_optimizer

GRAD_SEQUENCE = [0.5, -1.0, 2.0]  # dW at steps 1, 2, 3 for a one-component W = 1.0


def run_scalar(opt, grads=GRAD_SEQUENCE, w0=1.0):
    """Apply ``opt`` to a single-component W; return W after each step."""
    params = {"W1": np.array([[w0]])}
    out = []
    for g in grads:
        opt.step(params, {"dW1": np.array([[g]])})
        out.append(float(params["W1"][0, 0]))
    return out


# ----------------------------------------------------------------------------------------
# exponentially weighted averages
# ----------------------------------------------------------------------------------------
def test_ewa_by_hand_without_bias_correction():
    # beta = 0.5: V1 = 0.5*10 = 5; V2 = 0.5*5 + 0.5*20 = 12.5; V3 = 6.25 + 15 = 21.25
    V = exponentially_weighted_average([10.0, 20.0, 30.0], beta=0.5, bias_correction=False)
    np.testing.assert_allclose(V, [5.0, 12.5, 21.25])


def test_ewa_by_hand_with_bias_correction():
    # V_t / (1 - beta^t): 5 / 0.5, 12.5 / 0.75, 21.25 / 0.875
    V = exponentially_weighted_average([10.0, 20.0, 30.0], beta=0.5)
    np.testing.assert_allclose(V, [10.0, 12.5 / 0.75, 21.25 / 0.875])


def test_ewa_bias_correction_is_exact_on_a_constant_sequence():
    V = exponentially_weighted_average(np.full(50, 7.0), beta=0.98)
    np.testing.assert_allclose(V, 7.0, rtol=1e-12)
    raw = exponentially_weighted_average(np.full(50, 7.0), beta=0.98, bias_correction=False)
    assert raw[0] == pytest.approx(0.14)  # the notes' problem: V1 = (1 - beta) theta1 is small


def test_ewa_stream_matches_function_and_handles_arrays():
    seq = np.random.default_rng(0).standard_normal((20, 3))
    ewa = EWA(beta=0.9)
    stream = np.stack([ewa.update(x) for x in seq])
    np.testing.assert_allclose(stream, exponentially_weighted_average(seq, 0.9))
    assert ewa.t == 20
    ewa2 = EWA(beta=0.9, bias_correction=False)
    for x in seq:
        ewa2(x)
    np.testing.assert_allclose(ewa2.value, ewa.v)
    with pytest.raises(ValueError):
        EWA(beta=1.0)


# ----------------------------------------------------------------------------------------
# the update rules, first steps by hand
# ----------------------------------------------------------------------------------------
def test_gradient_descent_by_hand():
    # W := W - alpha dW, alpha = 0.1: 1 - 0.05 = 0.95; 0.95 + 0.1 = 1.05; 1.05 - 0.2 = 0.85
    np.testing.assert_allclose(run_scalar(GradientDescent(0.1)), [0.95, 1.05, 0.85])


def test_momentum_by_hand():
    # v := 0.9 v + 0.1 dW;  W := W - 0.1 v
    # v1 = 0.05            W = 1 - 0.005 = 0.995
    # v2 = 0.045 - 0.1     = -0.055;   W = 0.995 + 0.0055 = 1.0005
    # v3 = -0.0495 + 0.2   = 0.1505;   W = 1.0005 - 0.01505 = 0.98545
    W = run_scalar(Momentum(0.1, beta=0.9))
    np.testing.assert_allclose(W, [0.995, 1.0005, 0.98545], rtol=1e-12)


def test_rmsprop_by_hand():
    # s := 0.9 s + 0.1 dW^2;  W := W - 0.01 dW / (sqrt(s) + 1e-8)
    # s1 = 0.025                    W = 1 - 0.005 / sqrt(0.025)
    # s2 = 0.0225 + 0.1 = 0.1225    W = W1 + 0.01 / 0.35
    # s3 = 0.11025 + 0.4 = 0.51025  W = W2 - 0.02 / sqrt(0.51025)
    w1 = 1 - 0.005 / (math.sqrt(0.025) + 1e-8)
    w2 = w1 + 0.01 / (0.35 + 1e-8)
    w3 = w2 - 0.02 / (math.sqrt(0.51025) + 1e-8)
    W = run_scalar(RMSProp(0.01, beta2=0.9, epsilon=1e-8))
    np.testing.assert_allclose(W, [w1, w2, w3], rtol=1e-12)


def test_adam_by_hand_including_bias_correction():
    # beta1 = 0.9, beta2 = 0.999, alpha = 0.01
    # t=1: v = 0.05, s = 0.00025; v_corr = 0.05/0.1 = 0.5; s_corr = 0.00025/0.001 = 0.25
    #      W = 1 - 0.01 * 0.5 / (0.5 + 1e-8) ~= 0.99 (the first Adam step is ~alpha sign(dW))
    # t=2: v = 0.045 - 0.1 = -0.055; s = 0.00024975 + 0.001 = 0.00124975
    #      v_corr = -0.055 / (1 - 0.81); s_corr = 0.00124975 / (1 - 0.998001)
    # t=3: v = -0.0495 + 0.2 = 0.1505; s = 0.00124975 * 0.999 + 0.004
    #      v_corr = 0.1505 / (1 - 0.729); s_corr = s / (1 - 0.999^3)
    w1 = 1 - 0.01 * 0.5 / (0.5 + 1e-8)
    w2 = w1 - 0.01 * (-0.055 / 0.19) / (math.sqrt(0.00124975 / 0.001999) + 1e-8)
    s3 = 0.00124975 * 0.999 + 0.004
    w3 = w2 - 0.01 * (0.1505 / 0.271) / (math.sqrt(s3 / (1 - 0.999**3)) + 1e-8)
    opt = Adam(0.01)
    W = run_scalar(opt)
    np.testing.assert_allclose(W, [w1, w2, w3], rtol=1e-12)
    assert opt.t == 3
    np.testing.assert_allclose(opt.v["dW1"], [[0.1505]], rtol=1e-12)
    np.testing.assert_allclose(opt.s["dW1"], [[s3]], rtol=1e-12)


def reference_adam(W, grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Plain float64 Adam, the notes' equations one by one."""
    v = np.zeros_like(W)
    s = np.zeros_like(W)
    for t, dW in enumerate(grads, start=1):
        v = b1 * v + (1 - b1) * dW
        s = b2 * s + (1 - b2) * dW**2
        v_corr = v / (1 - b1**t)
        s_corr = s / (1 - b2**t)
        W = W - lr * v_corr / (np.sqrt(s_corr) + eps)
    return W


@pytest.mark.parametrize("shape", [(3, 4), (7, 1), (2, 3, 3, 5)])
def test_adam_matches_the_equations_on_arrays(shape):
    rng = np.random.default_rng(1)
    W0 = rng.standard_normal(shape)
    grads = [rng.standard_normal(shape) for _ in range(5)]
    params = {"W1": W0.copy()}
    opt = Adam(0.02)
    for g in grads:
        opt.step(params, {"dW1": g})
    np.testing.assert_allclose(params["W1"], reference_adam(W0, grads, 0.02), rtol=1e-12)


def test_large_parameters_take_the_chunked_path_with_the_same_result():
    rng = np.random.default_rng(2)
    n = 2 * engine._CHUNK + 12345  # not a multiple of the chunk
    W0 = rng.standard_normal((n, 1)).astype(np.float32)
    grads = [rng.standard_normal((n, 1)).astype(np.float32) for _ in range(3)]
    params = {"W1": W0.copy()}
    opt = Adam(0.01)
    for g in grads:
        opt.step(params, {"dW1": g})
    ref = reference_adam(W0.astype(np.float64), [g.astype(np.float64) for g in grads], 0.01)
    np.testing.assert_allclose(params["W1"], ref, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------------------
# contract: in place, dtypes, frozen parameters, state
# ----------------------------------------------------------------------------------------
def make_problem(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.standard_normal((4, 3)).astype(dtype),
        "b1": np.zeros((4, 1), dtype),
        "gamma2": np.ones((4, 1), dtype),
        "W2": rng.standard_normal((1, 4)).astype(dtype),
    }
    return params, rng


def random_grads(params, rng):
    return {"d" + k: rng.standard_normal(p.shape).astype(p.dtype) for k, p in params.items()}


@pytest.mark.parametrize("name", ["gd", "momentum", "rmsprop", "adam"])
def test_updates_in_place_and_keeps_float32(name):
    params, rng = make_problem(np.float32)
    ids = {k: id(p) for k, p in params.items()}
    view = params["W1"][0]  # a view into W1 (a layer's array) sees the update
    before = view.copy()
    opt = get_optimizer(name, learning_rate=0.01)
    opt.step(params, random_grads(params, rng))
    assert {k: id(p) for k, p in params.items()} == ids
    assert all(p.dtype == np.float32 for p in params.values())
    assert not np.array_equal(view, before)
    for slot in opt.slots:
        assert set(opt.state[slot]) == {"dW1", "db1", "dgamma2", "dW2"}
        assert all(a.dtype == np.float32 for a in opt.state[slot].values())


@pytest.mark.parametrize("name", ["gd", "momentum", "rmsprop", "adam"])
def test_frozen_parameters_are_untouched(name):
    params, rng = make_problem(np.float64)
    frozen = params["W1"].copy()
    frozen_b = params["b1"].copy()
    opt = get_optimizer(name, learning_rate=0.1)
    for _ in range(3):
        grads = random_grads(params, rng)
        del grads["dW1"], grads["db1"]  # layer 1 frozen
        opt.step(params, grads)
    np.testing.assert_array_equal(params["W1"], frozen)
    np.testing.assert_array_equal(params["b1"], frozen_b)
    assert not np.array_equal(params["W2"], make_problem(np.float64)[0]["W2"])
    for slot in opt.slots:
        assert "dW1" not in opt.state[slot]


def test_gradient_shape_mismatch_is_an_error():
    opt = Adam()
    with pytest.raises(ValueError, match="dW1"):
        opt.step({"W1": np.zeros((2, 3))}, {"dW1": np.zeros((3, 2))})


@pytest.mark.parametrize("name", ["gd", "momentum", "rmsprop", "adam"])
def test_state_dict_round_trip_continues_identically(name):
    params, rng = make_problem(np.float32, seed=3)
    grads = [random_grads(params, rng) for _ in range(6)]
    opt = get_optimizer(name, learning_rate=0.05)
    for g in grads[:3]:
        opt.step(params, g)
    opt.learning_rate = 0.02  # as a schedule would set it

    # through an .npz file, loaded without pickle
    buf = io.BytesIO()
    np.savez(buf, **opt.state_dict())
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as f:
        saved = {k: f[k] for k in f.files}
    assert int(saved["t"]) == 3
    for slot in opt.slots:
        assert f"{slot}/dW1" in saved

    restored = get_optimizer(json.loads(json.dumps(opt.config())))
    restored.load_state_dict(saved)
    assert restored.learning_rate == pytest.approx(0.02)
    assert restored.t == 3

    params_b = {k: p.copy() for k, p in params.items()}
    for g in grads[3:]:
        opt.step(params, g)
        restored.step(params_b, g)
    for k in params:
        np.testing.assert_array_equal(params[k], params_b[k])


def test_load_state_dict_rejects_unknown_entries():
    with pytest.raises(ValueError, match="unexpected"):
        Momentum().load_state_dict({"t": np.asarray(1), "s/dW1": np.zeros((2, 2))})


def test_reset_forgets_state():
    params, rng = make_problem()
    opt = Adam()
    opt.step(params, random_grads(params, rng))
    opt.reset()
    assert opt.t == 0 and not opt.v and not opt.s


# ----------------------------------------------------------------------------------------
# configuration
# ----------------------------------------------------------------------------------------
def test_get_optimizer_names_configs_and_overrides():
    assert isinstance(get_optimizer("sgd"), GradientDescent)
    assert isinstance(get_optimizer("gradient_descent"), GradientDescent)
    assert isinstance(get_optimizer("RMSProp"), RMSProp)
    adam = get_optimizer({"name": "adam", "learning_rate": 0.003, "beta2": 0.99})
    assert (adam.learning_rate, adam.beta1, adam.beta2) == (0.003, 0.9, 0.99)
    again = get_optimizer(adam.config())
    assert again.config() == adam.config()
    assert get_optimizer("momentum", learning_rate=0.5, beta=0.8).config() == {
        "name": "momentum",
        "learning_rate": 0.5,
        "beta": 0.8,
    }
    same = get_optimizer(adam, learning_rate=0.1)
    assert same is adam and adam.learning_rate == 0.1
    with pytest.raises(ValueError, match="unknown optimizer"):
        get_optimizer("adagrad")
    with pytest.raises(TypeError):
        get_optimizer("gd", beta=0.9)
    with pytest.raises(ValueError):
        Adam(beta1=1.0)
    with pytest.raises(ValueError):
        GradientDescent(learning_rate=-1)


def test_adam_minimizes_a_badly_scaled_quadratic_faster_than_gd():
    # J = 1/2 (100 w1^2 + w2^2): gd must keep alpha < 0.02; Adam adapts per direction
    def grads(w):
        return {"dW1": np.array([[100.0 * w[0, 0], w[0, 1]]])}

    results = {}
    for name, lr in [("gd", 0.019), ("momentum", 0.019), ("adam", 0.05), ("rmsprop", 0.01)]:
        p = {"W1": np.array([[1.0, 1.0]])}
        opt = get_optimizer(name, learning_rate=lr)
        for _ in range(200):
            opt.step(p, grads(p["W1"]))
        results[name] = float(np.abs(p["W1"]).max())
    assert results["adam"] < results["gd"]
    assert results["rmsprop"] < results["gd"]
    assert all(r < 1.0 for r in results.values())


def reference_adam_dicts(params, grad_steps, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Float64 Adam on dicts, one parameter at a time; missing grads are frozen; global t."""
    params = {k: p.astype(np.float64) for k, p in params.items()}
    v, s = {}, {}
    for t, grads in enumerate(grad_steps, start=1):
        for k in params:
            g = grads.get("d" + k)
            if g is None:
                continue
            v[k] = b1 * v.get(k, 0.0) + (1 - b1) * g
            s[k] = b2 * s.get(k, 0.0) + (1 - b2) * g**2
            params[k] = params[k] - lr * (v[k] / (1 - b1**t)) / (
                np.sqrt(s[k] / (1 - b2**t)) + eps
            )
    return params


def test_mixed_sizes_and_changing_frozen_sets_match_the_reference():
    # large (cache-blocked), small (grouped) parameters; layer 1 frozen for steps 3-4
    rng = np.random.default_rng(5)
    shapes = {"W1": (2 * engine._CHUNK + 7, 1), "b1": (5, 1), "W2": (3, 5), "b2": (3, 1),
              "W3": (1, 3)}
    params = {k: rng.standard_normal(sh) for k, sh in shapes.items()}
    steps = []
    for t in range(6):
        g = {"d" + k: rng.standard_normal(sh) for k, sh in shapes.items()}
        if t in (2, 3):
            del g["dW2"], g["db2"]
        steps.append(g)
    ref = reference_adam_dicts(params, steps, 0.01)
    opt = Adam(0.01)
    live = {k: p.copy() for k, p in params.items()}
    for g in steps:
        opt.step(live, g)
    for k in params:
        np.testing.assert_allclose(live[k], ref[k], rtol=1e-12, err_msg=k)


def test_state_arrays_can_be_inspected_and_replaced():
    params, rng = make_problem(np.float64)
    opt = Momentum(0.1, beta=0.5)
    opt.step(params, random_grads(params, rng))
    opt.v["dW2"] = np.zeros_like(params["W2"])  # replaced by the user: taken into account
    before = params["W2"].copy()
    g = random_grads(params, rng)
    opt.step(params, g)
    np.testing.assert_allclose(opt.v["dW2"], 0.5 * g["dW2"])
    np.testing.assert_allclose(params["W2"], before - 0.1 * 0.5 * g["dW2"])
