"""Course 2 reproductions: initialization (circles), regularization (data.mat), optimizers
(moons), batch normalization and softmax regression (digits, SIGNS).

Runs use glassnet's library API with the course's settings: float64 and ``rng="course"``
with the notebook's seed for the initial weights, so most figures reproduce exactly.  Where
the course did something glassnet does differently by design, the test reproduces the
course's procedure through public (or, for the mini-batch order, one documented private)
hook and ALSO checks glassnet's own default within a stated tolerance:

* dropout: the notebook re-seeds NumPy (``np.random.seed(1)``) at the top of its forward
  pass, so every iteration uses the same two masks; fixing those masks with
  ``Dropout.set_mask`` gives its 92.9% / 95% exactly; fresh masks are within 2 points;
* mini-batches: the notebook orders each epoch with ``np.random.seed(10 + epoch + 1)``;
  a Trainer with that order gives its accuracies exactly; glassnet's own order is
  within 1 point (3 of 300 examples).

Marked slow; the data-file tests skip when the shared data is missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.core.errors import TrainingDiverged
from glassnet.data import (
    Standardizer,
    circles,
    digits,
    flatten_images,
    load_train_test,
    moons,
    regularization_data,
    shared_data_path,
    train_dev_test_split,
)
from glassnet.gradcheck import gradient_check, numerical_gradients, relative_difference
from glassnet.layers.dropout import Dropout
from glassnet.optim.schedules import InverseTimeDecay
from glassnet.train.trainer import Trainer, fit

pytestmark = pytest.mark.slow


def _accuracy(model, X, Y) -> float:
    return float(np.mean(np.asarray(model.predict(X)) == np.asarray(Y).reshape(1, -1)) * 100)


# -- initialization (circles) ----------------------------------------------------------------

@pytest.fixture(scope="module")
def circles_data():
    return circles()


def _circles_model(init: str, scale: float = 0.01):
    return gn.deep_network([2, 10, 5, 1], hidden_activation="relu", init=init,
                           init_scale=scale, seed=3, rng="course", dtype="float64")


def _train_circles(model, X, Y):
    return fit(model, X, Y, optimizer="gd", learning_rate=0.01, epochs=15_000,
               record_every=1000, progress=False)


def test_initialization_zeros(circles_data) -> None:
    """Zeros: the cost stays at log 2 = 0.693147 and the network at chance, 50% / 50%."""
    X, Y, X_test, Y_test = circles_data
    model = _circles_model("zeros")
    hist = _train_circles(model, X, Y)
    assert all(round(c, 6) == 0.693147 for c in hist.costs.values())
    assert _accuracy(model, X, Y) == 50.0
    assert _accuracy(model, X_test, Y_test) == 50.0


def test_initialization_he(circles_data) -> None:
    """He, seed 3: the notebook's costs to 6 decimals and 99.33% / 96%."""
    X, Y, X_test, Y_test = circles_data
    model = _circles_model("he")
    hist = _train_circles(model, X, Y)
    published = {0: 0.883054, 1000: 0.687983, 2000: 0.675129, 14000: 0.073579}
    for it, cost in published.items():
        assert round(hist.costs[it], 6) == cost, it
    assert round(_accuracy(model, X, Y), 2) == 99.33
    assert _accuracy(model, X_test, Y_test) == 96.0


def test_initialization_random_times_10(circles_data) -> None:
    """N(0, 1) x 10, seed 3: 83% / 86%.

    The notebook's cost at iteration 0 is ``inf`` (saturated sigmoids, no clipping); glassnet
    clips the logistic loss and reports a large finite cost instead.  Weights of size 10
    make the first iterations amplify rounding, so the costs cannot be pinned to 6
    decimals: the notebook printed 0.625098 at 1000 and 0.382783 at 14000; a plain NumPy
    transcription of the notebook gets 0.624420 / 0.382748 (0.625123 / 0.382765 with a
    numerically stable sigmoid); glassnet, with X multiplied by (1 + 1e-15 noise) or just
    with arrays at other addresses, 0.6230-0.6251 / 0.38277-0.38282.  The costs are held to
    5e-3 and 2e-4; the accuracies never moved in those runs and are exact.
    """
    X, Y, X_test, Y_test = circles_data
    model = _circles_model("random", 10.0)
    hist = _train_circles(model, X, Y)
    assert np.isfinite(hist.costs[0]) and hist.costs[0] > 10
    assert hist.costs[1000] == pytest.approx(0.625098, abs=5e-3)
    assert hist.costs[14000] == pytest.approx(0.382783, abs=2e-4)
    assert _accuracy(model, X, Y) == 83.0
    assert _accuracy(model, X_test, Y_test) == 86.0


# -- regularization (data.mat) -----------------------------------------------------------------

@pytest.fixture(scope="module")
def reg_data():
    if shared_data_path("data.mat") is None:
        pytest.skip("shared data data.mat not available")
    return regularization_data()


def _reg_model(**kwargs: Any):
    """2-20-3-1, ReLU, ReLU, sigmoid; seed 3, W = randn / sqrt(n[l-1])."""
    return gn.deep_network([2, 20, 3, 1], hidden_activation="relu", init="xavier", seed=3,
                           rng="course", dtype="float64", **kwargs)


def _train_reg(model, X, Y):
    return fit(model, X, Y, optimizer="gd", learning_rate=0.3, epochs=30_000,
               record_every=10_000, progress=False)


@pytest.mark.parametrize(
    ("label", "kwargs", "costs", "train", "test"),
    [
        ("none", {}, (0.655741, 0.163300, 0.138516), 94.79, 91.5),
        ("l2", {"regularization": {"l2": 0.7}}, (0.697448, 0.268492, 0.268092), 93.84, 93.0),
    ],
)
def test_regularization(reg_data, label, kwargs, costs, train, test) -> None:
    """No regularization 94.8% / 91.5%; L2 lambda 0.7 93.8% / 93% (the notebook prints
    0.9478672985781991 and 0.9383886255924171: 200 and 198 of 211), costs to 6 decimals."""
    X, Y, X_test, Y_test = reg_data
    model = _reg_model(**kwargs)
    hist = _train_reg(model, X, Y)
    for it, cost in zip((0, 10_000, 20_000), costs, strict=True):
        assert round(hist.costs[it], 6) == cost, it
    assert round(_accuracy(model, X, Y), 2) == train
    assert _accuracy(model, X_test, Y_test) == test


def test_dropout_course_masks(reg_data) -> None:
    """keep_prob 0.86 on both hidden layers with the notebook's masks (seed 1, D1 then D2,
    the same at every iteration): 92.89% / 95% and its costs, exactly."""
    X, Y, X_test, Y_test = reg_data
    model = _reg_model(keep_prob=[0.86, 0.86])
    rs = np.random.RandomState(1)
    drops = [layer for layer in model.layers if isinstance(layer, Dropout)]
    assert len(drops) == 2
    drops[0].set_mask(rs.rand(20, X.shape[1]) < 0.86)
    drops[1].set_mask(rs.rand(3, X.shape[1]) < 0.86)
    hist = _train_reg(model, X, Y)
    for it, cost in zip((0, 10_000, 20_000), (0.654391, 0.061017, 0.060582), strict=True):
        assert round(hist.costs[it], 6) == cost, it
    assert round(_accuracy(model, X, Y), 2) == 92.89
    assert _accuracy(model, X_test, Y_test) == 95.0


def test_dropout_fresh_masks(reg_data) -> None:
    """glassnet's dropout draws new masks every iteration: within 2 points of 92.9% / 95%
    (it gets 94.79% / 93.5%); and it does regularize: the training cost stays well above
    the unregularized network's 0.125 at the end."""
    X, Y, X_test, Y_test = reg_data
    model = _reg_model(keep_prob=[0.86, 0.86])
    hist = _train_reg(model, X, Y)
    assert _accuracy(model, X, Y) == pytest.approx(92.9, abs=2.0)
    assert _accuracy(model, X_test, Y_test) == pytest.approx(95.0, abs=2.0)
    assert hist.costs[29_999] > 0.14


def test_gradient_check_l2_without_dropout(reg_data) -> None:
    """The notes: check gradients with L2 on and dropout off (before and after some training)."""
    X, Y, _, _ = reg_data
    model = _reg_model(regularization={"l2": 0.7}).astype("float64")
    assert gradient_check(model, X, Y).difference < 1e-7
    fit(model, X, Y, optimizer="gd", learning_rate=0.3, epochs=200, progress=False)
    result = gradient_check(model, X, Y)
    assert result.difference < 1e-7, str(result)


# -- optimizers (moons) ------------------------------------------------------------------------

class _CourseDecay(InverseTimeDecay):
    """The notebook sets alpha0 / (1 + floor(i / 1000)) after epoch i: epoch e trains with
    i = e - 1."""

    def steps(self, epoch: int) -> int:
        return max(int(epoch) - 1, 0) // self.time_interval


class _CourseOrderTrainer(Trainer):
    """The notebook's mini-batch order: ``np.random.seed(10 + epoch + 1)``, then
    ``np.random.permutation(m)``.  Overrides ``Trainer._seed_epoch`` (private: the generator
    whose ``permutation(m)`` orders an epoch)."""

    def _seed_epoch(self, epoch: int) -> Any:
        super()._seed_epoch(epoch)
        return np.random.RandomState(10 + epoch + 1)


def _moons_model():
    return gn.deep_network([2, 5, 2, 1], hidden_activation="relu", init="he", seed=3,
                           rng="course", dtype="float64")


@pytest.fixture(scope="module")
def moons_data():
    return moons()


@pytest.mark.parametrize(
    ("optimizer", "lr", "decay", "published"),
    [
        ("gd", 0.0007, False, 71.67),
        ("adam", 0.0007, False, 94.33),
        ("gd", 0.1, True, 94.33),
        ("momentum", 0.1, True, 95.33),
        ("adam", 0.01, True, 94.0),
    ],
)
def test_optimizers_course_order(moons_data, optimizer, lr, decay, published) -> None:
    """Mini-batch 64, 5000 epochs, the notebook's order: GD 71.7%, Adam 94.3% (lr 0.0007);
    with decay (the notebook's rates 0.1, 0.1 and 0.01) GD 94.3%, Momentum 95.3%, Adam 94%.
    (Momentum at 0.0007 without decay, 71.7%, is in examples/optimizers.py.)"""
    X, Y = moons_data
    model = _moons_model()
    trainer = _CourseOrderTrainer(
        model, optimizer=optimizer, learning_rate=lr, epochs=5000, batch_size=64,
        schedule=_CourseDecay(decay_rate=1.0, time_interval=1000) if decay else None,
        record_every=1000, progress=False)
    hist = trainer.fit(X, Y)
    assert round(_accuracy(model, X, Y), 2) == published
    if optimizer == "gd" and not decay:
        # the notebook's "Cost after epoch ..." lines
        published_costs = {0: 0.702405, 1000: 0.668101, 2000: 0.635288, 3000: 0.600491,
                           4000: 0.573367}
        for epoch, cost in published_costs.items():
            assert round(hist.costs[epoch], 6) == cost, epoch


def test_optimizers_glassnet_order(moons_data) -> None:
    """``fit`` with glassnet's own seeded shuffling and its schedule spec: about the published
    figures (within 1 point, 3 of 300 examples): GD with decay (lr 0.1) 94.3% (glassnet:
    94.67%)."""
    X, Y = moons_data
    decay = {"name": "inverse_time", "decay_rate": 1, "time_interval": 1000}
    model = _moons_model()
    fit(model, X, Y, optimizer="gd", learning_rate=0.1, epochs=5000, batch_size=64,
        schedule=decay, progress=False, seed=0)
    assert _accuracy(model, X, Y) == pytest.approx(94.33, abs=1.0)


# -- batch normalization --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits_data():
    d = digits()
    (x_tr, y_tr), _, (x_te, y_te) = train_dev_test_split(d.x, d.y, (0.8, 0.0, 0.2), seed=0)
    X, X_test = flatten_images(x_tr), flatten_images(x_te)
    scaler = Standardizer().fit(X)
    return scaler.transform(X), y_tr, scaler.transform(X_test), y_te


def _deep_digits(batchnorm: bool):
    return gn.deep_network([64, 64, 64, 64, 10], hidden_activation="relu", init="he",
                           batchnorm=batchnorm, seed=1, dtype="float64")


def test_batchnorm_trains_where_plain_network_diverges(digits_data) -> None:
    """Mini-batch GD at learning rate 2.0: the plain 64-64-64-64-10 network blows up, the
    batch-normalized one trains to over 95% on the test digits."""
    X, y, X_test, y_test = digits_data
    plain = _deep_digits(False)
    with pytest.raises(TrainingDiverged), np.errstate(over="ignore", invalid="ignore"):
        fit(plain, X, y, optimizer="gd", learning_rate=2.0, epochs=10, batch_size=64,
            progress=False, seed=0)
    model = _deep_digits(True)
    hist = fit(model, X, y, optimizer="gd", learning_rate=2.0, epochs=10, batch_size=64,
               record_every=1, progress=False, seed=0)
    assert hist.costs[9] < 0.25 * hist.costs[0]
    assert _accuracy(model, X_test, y_test) > 95.0
    # test time uses the running averages, not the batch's statistics: one example alone
    # gets the same prediction as inside the whole test set
    one = np.asarray(model.predict(X_test[:, :1]))
    assert one[0, 0] == np.asarray(model.predict(X_test))[0, 0]


def test_batchnorm_gradient_check(digits_data) -> None:
    """The notes' gradient check on a batch-norm network, float64: in training mode (batch
    statistics, the backward pass through mu and sigma^2) and in test mode."""
    X, y, _, _ = digits_data
    model = gn.deep_network([64, 16, 16, 10], hidden_activation="relu", init="he",
                            batchnorm=True, seed=2, dtype="float64")
    fit(model, X, y, optimizer="gd", learning_rate=0.1, epochs=3, batch_size=64, progress=False)
    Xs, Y = X[:, :64], model.prepare_labels(y[:64])
    assert {"gamma1", "beta1", "gamma2", "beta2"} <= set(model.parameters)
    assert "b1" not in model.parameters  # the bias before a batch norm is dropped

    model.train_step(Xs, Y)
    analytic = {k: np.asarray(g).ravel().copy() for k, g in model.grads.items()}

    def cost() -> float:
        return float(model.compute_cost(model.forward(Xs, training=True), Y))

    numeric = numerical_gradients(cost, model.parameters)
    names = list(model.parameters)
    diff = relative_difference(np.concatenate([analytic["d" + k] for k in names]),
                               np.concatenate([numeric[k][1] for k in names]))
    assert diff < 1e-7
    assert gradient_check(model, Xs, Y).difference < 1e-7


# -- softmax regression ----------------------------------------------------------------------

def test_softmax_regression_digits(digits_data) -> None:
    """One softmax layer, 10 classes, batch GD lr 0.5, 300 iterations: 98.96% / 97.21%."""
    X, y, X_test, y_test = digits_data
    model = gn.deep_network([64, 10], init="zeros", dtype="float64")
    assert model.output_activation == "softmax" and model.task == "multiclass"
    hist = fit(model, X, y, optimizer="gd", learning_rate=0.5, epochs=300, record_every=50,
               progress=False)
    assert round(hist.costs[0], 6) == round(np.log(10), 6)  # zero weights: uniform softmax
    assert _accuracy(model, X, y) > 98.0
    assert _accuracy(model, X_test, y_test) > 96.0


def test_softmax_regression_signs() -> None:
    """SIGNS flattened (12288 values /255), 6 classes, Adam lr 0.0005, batches of 64.  No
    published figure for softmax regression: after 60 epochs glassnet gets 82.0% / 74.2%
    (93.7% / 86.7% after 120, 99.9% / 88.3% after 300); the floors below are far above
    chance (16.7%)."""
    path = shared_data_path("signs_64x64_cs230.npz")
    if path is None:
        pytest.skip("shared data signs_64x64_cs230.npz not available")
    train, test = load_train_test(path)
    assert test is not None
    X = flatten_images(train.x).astype(np.float64) / 255.0
    X_test = flatten_images(test.x).astype(np.float64) / 255.0
    model = gn.deep_network([X.shape[0], 6], init="zeros", dtype="float64")
    hist = fit(model, X, train.y, optimizer="adam", learning_rate=0.0005, batch_size=64,
               epochs=60, record_every=10, progress=False, seed=0)
    assert hist.costs[59] < 0.5 * hist.costs[0]
    assert _accuracy(model, X, train.y) > 75.0
    assert _accuracy(model, X_test, test.y) > 65.0
