"""The fused one-pass optimizer kernels (glassnet.fused) equal the NumPy equations bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.core.kernels import optimizer_kernels as fused
from glassnet.optim.optimizers import Adam, Momentum, RMSProp

pytestmark = pytest.mark.skipif(not fused.enabled(), reason="numba is not installed")

SHAPES = {
    "W1": (300, 784),  # large: one fused pass of its own
    "b1": (300, 1),  # small ones: one fused pass over the group
    "W2": (30, 300),
    "b2": (30, 1),
}


def _train(cls, dtype, monkeypatch, fused_on: bool, steps: int = 6):
    monkeypatch.setenv("GLASSNET_FUSED", "1" if fused_on else "0")
    rng = np.random.default_rng(0)
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()}
    opt = cls(0.01)
    for _ in range(steps):
        grads = {"d" + k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()}
        grads["dW1"][0, :3] = 0.0  # exact zeros (s = 0 at the first step) go through too
        opt.step(params, grads)
    return params, opt


@pytest.mark.parametrize("cls", [Adam, Momentum, RMSProp])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_equals_numpy_bit_for_bit(cls, dtype, monkeypatch):
    p_fused, o_fused = _train(cls, dtype, monkeypatch, True)
    p_numpy, o_numpy = _train(cls, dtype, monkeypatch, False)
    for key in SHAPES:
        assert p_fused[key].dtype == dtype
        np.testing.assert_array_equal(p_fused[key], p_numpy[key], err_msg=key)
        for slot in cls.slots:
            np.testing.assert_array_equal(
                o_fused.state[slot]["d" + key], o_numpy.state[slot]["d" + key]
            )
    assert o_fused.t == o_numpy.t


def test_the_kernels_run_when_enabled_and_not_when_disabled(monkeypatch):
    calls: list[str] = []
    original = fused._call

    def spy(name, *args):
        done = original(name, *args)
        if done:
            calls.append(name)
        return done

    monkeypatch.setattr(fused, "_call", spy)
    _train(Adam, np.float32, monkeypatch, True, steps=1)
    assert calls == ["adam", "adam_step"]  # W1 alone, then the group of small ones
    calls.clear()
    _train(Adam, np.float32, monkeypatch, False, steps=1)
    assert calls == []


def test_arrays_the_kernels_cannot_take_fall_back(monkeypatch):
    monkeypatch.setenv("GLASSNET_FUSED", "1")
    W = np.ones((4, 4), np.float32)
    state = [np.zeros((4, 4), np.float32), np.zeros((4, 4), np.float32)]
    c = Adam()._constants(0.1, 1)
    assert not fused.update("adam", W.T, W, state, c)  # not C-contiguous
    assert not fused.update("adam", W, W.astype(np.float64), state, c)  # mixed dtypes
    assert not fused.update("adam", W.astype(np.float16), W.astype(np.float16), state, c)
    assert not fused.update("nesterov", W, W, state, c)  # no such kernel
    assert fused.update("adam", W, W.copy(), state, c)
    assert np.all(W < 1)


def test_a_small_model_keeps_the_numpy_path(monkeypatch):
    """Below fused.MIN_ELEMENTS parameters a step never calls the kernels (nor loads numba)."""
    monkeypatch.setenv("GLASSNET_FUSED", "1")
    calls: list[str] = []
    monkeypatch.setattr(fused, "_call", lambda name, *a: calls.append(name) or False)
    params = {"W1": np.ones((64, 64), np.float32), "b1": np.zeros((64, 1), np.float32)}
    grads = {"dW1": np.ones((64, 64), np.float32), "db1": np.ones((64, 1), np.float32)}
    Adam(0.1).step(params, grads)
    assert calls == [] and params["W1"][0, 0] < 1


def test_load_compiles_every_kernel():
    assert fused.load((np.float32,))
