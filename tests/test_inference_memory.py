"""Inference in batches sized by memory (glassnet.models.inference, issue 15 item 5).

evaluate and predict must take the same peak memory for m and for 8 m examples (measured:
the tracemalloc peak of a call, after a warm-up call, so lazy imports and compiled kernels
are not counted), and batched results must equal the whole set's in float64: the same
decisions and accuracy exactly, the same outputs to round-off.  (Bit-for-bit equality of
A[L] is not asserted: OpenBLAS computes the last columns of W @ A with another kernel, whose
additions run in another order, when their number is not a multiple of its block, so one
column's value can change in its last bit with the number of columns beside it; seen for
batches of 1 to 4 columns, and 9 to 12, ...)
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from glassnet.core.limits import set_memory_budget
from glassnet.layers import LSTM, Conv2D, Dense, Flatten, MaxPool2D, SimpleRNN
from glassnet.layers.time_distributed import TimeDistributed
from glassnet.models.inference import (
    ACTIVATION_CAP,
    activation_budget,
    activation_bytes_per_example,
    evaluate_in_batches,
    inference_batch_size,
    predict_in_batches,
)
from glassnet.models.sequential import Sequential
from glassnet.train.trainer import evaluate


def assert_same_outputs(A, B) -> None:
    """Equal to float64 round-off (a wrongly joined batch is off by O(1))."""
    assert A.shape == B.shape and A.dtype == B.dtype
    np.testing.assert_allclose(A, B, rtol=1e-13, atol=1e-15)


def peak_bytes(fn) -> int:
    """The tracemalloc peak of ``fn()`` above what was allocated before it."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def conv_model() -> Sequential:
    model = Sequential([Conv2D(4, 3, padding="same", activation="relu"), MaxPool2D(2),
                        Flatten(), Dense(3, "softmax")])
    return model.build((8, 8, 3), seed=0, dtype="float64")


def dense_model() -> Sequential:
    model = Sequential([Dense(6, "relu"), Dense(4, "tanh"), Dense(3, "softmax")])
    return model.build(5, seed=0, dtype="float64")


def recurrent_model() -> Sequential:
    model = Sequential([LSTM(4), SimpleRNN(3, return_sequences=False), Dense(2, "sigmoid")],
                       loss="binary_crossentropy")
    return model.build((3, 6), seed=0, dtype="float64")  # (n_x, T_x)


@pytest.fixture
def small_budget():
    """A memory budget of 4 MiB: batches of 256 KiB of activations (a few dozen images)."""
    set_memory_budget("4M")
    yield
    set_memory_budget(None)


def test_the_batch_size_fits_the_budget_and_is_at_least_one():
    model = conv_model()
    per_example = activation_bytes_per_example(model)
    assert per_example >= 8 * (8 * 8 * 3 + 8 * 8 * 4)  # the input and the conv output at least
    assert inference_batch_size(model) * per_example <= activation_budget() <= ACTIVATION_CAP
    assert inference_batch_size(model, budget_bytes=10 * per_example) == 10
    assert inference_batch_size(model, budget_bytes=1) == 1
    set_memory_budget("1M")
    try:
        assert activation_budget() == 2**20 // 16  # a sixteenth of a small budget
    finally:
        set_memory_budget(None)


@pytest.mark.usefixtures("small_budget")
def test_peak_memory_of_evaluate_and_predict_does_not_grow_with_m():
    model = conv_model()
    rng = np.random.default_rng(0)
    m = 32
    X8 = rng.standard_normal((8 * m, 8, 8, 3))
    y8 = rng.integers(0, 3, 8 * m)
    size = inference_batch_size(model)
    assert 8 <= size < m  # several batches for both sizes
    peaks = {}
    for n in (m, 8 * m):
        X, y = X8[:n], y8[:n]
        evaluate(model, X, y), model.predict(X)  # warm-up: lazy imports, kernels, buffers
        peaks["evaluate", n] = peak_bytes(lambda X=X, y=y: evaluate(model, X, y))
        peaks["predict", n] = peak_bytes(lambda X=X: model.predict(X))
        peaks["predict_proba", n] = peak_bytes(lambda X=X: model.predict_proba(X))
    for what in ("evaluate", "predict", "predict_proba"):
        ratio = peaks[what, 8 * m] / peaks[what, m]
        assert ratio < 1.5, f"{what}: peak {peaks[what, m]} B for {m}, {peaks[what, 8 * m]} B " \
                            f"for {8 * m} examples"
    # the measurement sees the difference: the whole set at once takes far more
    whole = peak_bytes(lambda: model.predict_proba(X8, batch_size=8 * m))
    assert whole > 4 * peaks["predict_proba", 8 * m]


MODELS = {
    "dense": (dense_model, lambda rng, m: rng.standard_normal((5, m)), 3),
    "conv": (conv_model, lambda rng, m: rng.standard_normal((m, 8, 8, 3)), 3),
    "recurrent": (recurrent_model, lambda rng, m: rng.standard_normal((3, m, 6)), 2),
}


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.parametrize("batch_size", [1, 7, None])
def test_batched_results_equal_the_whole_set_exactly(kind, batch_size):
    make, inputs, n_y = MODELS[kind]
    model = make()
    rng = np.random.default_rng(1)
    m = 30
    X = inputs(rng, m)
    whole = model.forward(X, training=False).copy()
    A = predict_in_batches(model, X, "forward", batch_size=batch_size)
    assert_same_outputs(A, whole)
    assert_same_outputs(model.predict_proba(X, batch_size=batch_size), whole)
    np.testing.assert_array_equal(model.predict(X, batch_size=batch_size),
                                  predict_in_batches(model, X, "predict", batch_size=m))
    y = rng.integers(0, n_y, (n_y, m) if kind == "recurrent" else m)
    Y = model.prepare_labels(y)
    A_parts, cost = model.outputs_and_cost(X, Y, batch_size=batch_size)
    assert_same_outputs(A_parts, whole)
    A_one, cost_one = model.outputs_and_cost(X, Y, batch_size=m)
    assert cost == pytest.approx(cost_one, rel=1e-13)
    one = evaluate_in_batches(model, X, Y, batch_size=m)
    parts = evaluate(model, X, y, batch_size=batch_size)
    assert parts["accuracy"] == one["accuracy"]
    assert parts["cost"] == pytest.approx(one["cost"], rel=1e-13)


def test_images_in_per_pixel_values_out_are_joined_along_m():
    model = Sequential([Conv2D(2, 3, padding="same", activation="linear")], loss="l2")
    model.build((5, 5, 1), seed=0, dtype="float64")
    X = np.random.default_rng(2).standard_normal((9, 5, 5, 1))
    assert_same_outputs(model.predict_proba(X, batch_size=2), model.forward(X))


def test_sequences_out_are_joined_along_their_batch_axis():
    model = Sequential([TimeDistributed(Dense(2, "tanh"))], loss="l2")
    model.build((3, 4), seed=1, dtype="float64")
    X = np.random.default_rng(3).standard_normal((3, 10, 4))
    out = model.predict_proba(X, batch_size=3)
    assert out.shape == (2, 10, 4)
    assert_same_outputs(out, model.forward(X))


def test_float32_model_converts_each_batch_not_the_whole_set():
    model = Sequential([Dense(3, "relu"), Dense(1, "sigmoid")]).build(4, seed=0)
    X = np.random.default_rng(4).standard_normal((4, 20))  # float64 into a float32 model
    out = model.predict_proba(X, batch_size=6)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, model.forward(X.astype(np.float32)), rtol=1e-6)
