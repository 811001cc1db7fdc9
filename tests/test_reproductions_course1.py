"""Course 1 reproductions on real data: the published numbers of the cat and planar notebooks.

Every run uses glassnet's library API with the course's settings (float64, the
course-compatible random mode ``rng="course"`` with the notebook's seed), so the
reproductions are exact: costs to the printed 6 decimals, accuracies to the example.
Where the notebook's own figures are sensitive to floating-point rounding (the planar
network at learning rate 1.2 after many iterations), the test says so and why.

Marked slow (about 1.5 minutes of CPU in all, the cat networks most of it); skipped when
the shared data is missing.  ``examples/`` prints the same numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import flatten_images, load_train_test, planar_flower, shared_data_path
from glassnet.train.callbacks import Callback
from glassnet.train.trainer import fit

pytestmark = pytest.mark.slow


def _accuracy(model, X, Y) -> float:
    """Percentage right, as the notebooks print it."""
    return float(np.mean(np.asarray(model.predict(X)) == np.asarray(Y).reshape(1, -1)) * 100)


@pytest.fixture(scope="module")
def cat():
    path = shared_data_path("train_catvnoncat.h5")
    if path is None:
        pytest.skip("shared data train_catvnoncat.h5 not available")
    train, test = load_train_test(path)
    assert test is not None and train.x.shape == (209, 64, 64, 3) and test.x.shape[0] == 50
    X = flatten_images(train.x).astype(np.float64) / 255.0
    X_test = flatten_images(test.x).astype(np.float64) / 255.0
    return X, train.y.reshape(1, -1), X_test, test.y.reshape(1, -1)


# -- cat vs non-cat ----------------------------------------------------------------------------

def test_logistic_regression_cat(cat) -> None:
    """Week 2: zero init, lr 0.005, 2000 iterations: cost 0.693147 -> 0.140872 (iteration
    1900), train 99.04%, test 70%."""
    X, Y, X_test, Y_test = cat
    model = gn.logistic_regression(X.shape[0], dtype="float64")
    assert model.n_parameters == 12_289
    hist = fit(model, X, Y, optimizer="gd", learning_rate=0.005, epochs=2000, record_every=100,
               progress=False)
    assert round(hist.costs[0], 6) == 0.693147
    assert round(hist.costs[100], 6) == 0.584508
    assert round(hist.costs[1900], 6) == 0.140872
    assert round(_accuracy(model, X, Y), 2) == 99.04
    assert _accuracy(model, X_test, Y_test) == 70.0


def test_two_layer_cat(cat) -> None:
    """Week 4: 12288-7-1 (ReLU, sigmoid), seed 1, W = randn * 0.01, lr 0.0075, 2500
    iterations: cost 0.693050 at 0 and 0.048555 at 2400, train 100%, test 72%."""
    X, Y, X_test, Y_test = cat
    model = gn.deep_network([X.shape[0], 7, 1], hidden_activation="relu", init="random",
                            init_scale=0.01, seed=1, rng="course", dtype="float64")
    hist = fit(model, X, Y, optimizer="gd", learning_rate=0.0075, epochs=2500, record_every=100,
               progress=False)
    assert round(hist.costs[0], 6) == 0.693050
    assert round(hist.costs[2400], 6) == 0.048555
    assert _accuracy(model, X, Y) == 100.0
    assert _accuracy(model, X_test, Y_test) == 72.0


def test_deep_network_cat(cat) -> None:
    """Week 4: 12288-20-7-5-1 (ReLU x3, sigmoid), seed 1, W = randn / sqrt(n[l-1]), lr 0.0075,
    2500 iterations: cost 0.771749 at 0 and 0.092878 at 2400, train 98.56%, test 80%."""
    X, Y, X_test, Y_test = cat
    model = gn.deep_network([X.shape[0], 20, 7, 5, 1], hidden_activation="relu", init="xavier",
                            seed=1, rng="course", dtype="float64")
    hist = fit(model, X, Y, optimizer="gd", learning_rate=0.0075, epochs=2500, record_every=100,
               progress=False)
    assert round(hist.costs[0], 6) == 0.771749
    assert round(hist.costs[2400], 6) == 0.092878
    assert round(_accuracy(model, X, Y), 2) == 98.56
    assert _accuracy(model, X_test, Y_test) == 80.0


# -- the planar flower ---------------------------------------------------------------------------

def _one_hidden_layer(n_h: int):
    """The notebook's nn_model: tanh hidden units, seed 2, W = randn * 0.01, lr 1.2."""
    return gn.shallow_network(2, n_h, hidden_activation="tanh", seed=2, rng="course",
                              dtype="float64")


class _AccuracyAt(Callback):
    """Training-set accuracy after ``iterations`` updates (so one long run gives two figures)."""

    def __init__(self, X, Y, iterations: int) -> None:
        self.X, self.Y, self.iterations = X, Y, iterations
        self.value: float | None = None

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        if epoch + 1 == self.iterations:
            self.value = _accuracy(trainer.model, self.X, self.Y)


def test_planar_logistic_regression() -> None:
    """The flower is not linearly separable: logistic regression gets 47%."""
    X, Y = planar_flower()
    assert X.shape == (2, 400) and int(Y.sum()) == 200
    model = gn.logistic_regression(2, dtype="float64")
    fit(model, X, Y, optimizer="gd", learning_rate=1.2, epochs=2000, progress=False)
    assert _accuracy(model, X, Y) == 47.0


def test_planar_four_hidden_units() -> None:
    """n_h = 4, 10,000 iterations.  The notebook prints the costs below and "Accuracy: 90%"
    (with ``%d``, so anything in [90, 91)); with 5000 iterations it printed 90.5%.

    The costs agree to the printed 6 decimals up to iteration 7000.  After that, learning
    rate 1.2 makes the cost oscillate and amplify rounding: the notebook printed 0.219471
    and 0.218612 at 8000 and 9000; glassnet gets 0.21946-0.21948 and 0.21856 depending on
    the BLAS thread count, and multiplying X by (1 + 1e-15 noise) moves them over
    0.21945-0.21955 and 0.21856-0.21863 (and the final accuracy between 90.5% and 90.75%).
    So those two costs are held to 2e-4, not to 6 decimals.
    """
    X, Y = planar_flower()
    published = {0: 0.693048, 1000: 0.288083, 2000: 0.254385, 3000: 0.233864,
                 4000: 0.226792, 5000: 0.222644, 6000: 0.219731, 7000: 0.217504}
    at_5000 = _AccuracyAt(X, Y, 5000)
    model = _one_hidden_layer(4)
    hist = fit(model, X, Y, optimizer="gd", learning_rate=1.2, epochs=10_000,
               record_every=1000, progress=False, callbacks=[at_5000])
    for it, cost in published.items():
        assert round(hist.costs[it], 6) == cost, it
    assert hist.costs[8000] == pytest.approx(0.219471, abs=2e-4)
    assert hist.costs[9000] == pytest.approx(0.218612, abs=2e-4)
    assert at_5000.value == 90.5
    assert 90.0 <= _accuracy(model, X, Y) < 91.0


# the notebook's "Accuracy for n_h hidden units" with 5000 iterations
PLANAR_SIZES = [(1, 67.5, 0.0), (2, 67.25, 0.0), (3, 90.75, 0.0), (5, 91.25, 0.0),
                (20, 90.0, 0.5), (50, 90.25, 0.5)]


@pytest.mark.parametrize(("n_h", "published", "tolerance"), PLANAR_SIZES)
def test_planar_hidden_layer_sizes(n_h: int, published: float, tolerance: float) -> None:
    """Hidden sizes 1, 2, 3, (4 above), 5, 20, 50 with 5000 iterations: 67.5 / 67.25 / 90.75 /
    (90.5) / 91.25 / 90.0 / 90.25%, exactly.

    The small networks reproduce exactly and robustly.  The two large ones sit on a knife
    edge: 20 units, the original notebook printed 90.0% and a later edition (list 1, 2, 3,
    4, 5, 10, 20) printed 90.5% for the same computation; multiplying X by (1 + 1e-15 noise)
    flips glassnet's result between 90.0% and 90.5% for 20 units and between 90.25% and
    90.75% for 50 (also with 1 vs 2 BLAS threads), while 1-5 units never move.  So 20 and 50
    are held to +-0.5 points (two of 400), the others to the exact figure.
    """
    X, Y = planar_flower()
    model = _one_hidden_layer(n_h)
    fit(model, X, Y, optimizer="gd", learning_rate=1.2, epochs=5000, record_every=1000,
        progress=False)
    assert _accuracy(model, X, Y) == pytest.approx(published, abs=tolerance + 1e-9)
