"""Multi-task learning: the logistic loss summed over tasks, missing labels masked out."""

from __future__ import annotations

import numpy
import pytest

from glassnet.functions.losses import (
    BinaryCrossEntropy,
    MultiTaskBinaryCrossEntropy,
    get_loss,
    label_mask,
)
from glassnet.functions.metrics import masked_accuracy, task_accuracy
from glassnet.gradcheck import gradient_check
from glassnet.models.builders import multitask_network
from glassnet.train.trainer import fit


def _labels(rng, k, m, missing=0.3):
    Y = (rng.random((k, m)) > 0.5).astype(numpy.float64)
    holes = rng.random((k, m)) < missing
    Y[holes] = numpy.nan
    # some holes written the other way, as -1
    Y[holes & (rng.random((k, m)) < 0.5)] = -1
    return Y


def test_cost_is_the_cost_of_the_labelled_entries_only():
    rng = numpy.random.default_rng(0)
    A = rng.uniform(0.05, 0.95, (4, 9))
    Y = _labels(rng, 4, 9)
    loss = MultiTaskBinaryCrossEntropy()
    M = (~numpy.isnan(Y)) & (Y != -1)
    y, a = Y[M], A[M]
    expected = -(y * numpy.log(a) + (1 - y) * numpy.log(1 - a)).sum() / 9  # m = 9 examples
    assert loss.cost(A, Y) == pytest.approx(expected, rel=1e-12)
    # with every label present it is the plain logistic loss summed over the tasks
    Yfull = (rng.random((4, 9)) > 0.5).astype(float)
    assert loss.cost(A, Yfull) == pytest.approx(BinaryCrossEntropy().cost(A, Yfull), rel=1e-12)


def test_missing_entries_get_no_gradient_and_do_not_matter():
    rng = numpy.random.default_rng(1)
    A = rng.uniform(0.05, 0.95, (3, 6))
    Y = _labels(rng, 3, 6, missing=0.4)
    loss = MultiTaskBinaryCrossEntropy()
    M = label_mask(Y)
    assert M.sum() < M.size  # there are holes
    dZ = loss.output_delta(A, Y)
    dA = loss.gradient(A, Y)
    assert numpy.all(dZ[M == 0] == 0) and numpy.all(dA[M == 0] == 0)
    assert numpy.allclose(dZ[M == 1], (A - numpy.nan_to_num(Y))[M == 1])
    assert numpy.isfinite(dZ).all() and numpy.isfinite(dA).all()
    # the canonical shortcut agrees with dA * sigma'(Z) = dA * A (1 - A)
    assert numpy.allclose(dZ, dA * A * (1 - A))
    # whatever stands in the holes (NaN, -1) the cost is the same
    Y2 = Y.copy()
    Y2[M == 0] = -1
    assert loss.cost(A, Y2) == loss.cost(A, Y)
    Z = numpy.log(A / (1 - A))
    assert loss.cost_from_logits(Z, Y) == pytest.approx(loss.cost(A, Y), rel=1e-10)


def test_gradient_check_with_masked_entries():
    rng = numpy.random.default_rng(2)
    # Sequential.backward starts from loss.output_delta(A, Y) = M * (A - Y)
    model = multitask_network(5, [6, 4], 3, hidden_activation="tanh", seed=3, dtype="float64")
    for p in model.parameters.values():  # non-zero biases
        p += rng.normal(0, 0.1, p.shape)
    X = rng.standard_normal((5, 8))
    Y = _labels(rng, 3, 8)
    result = gradient_check(model, X, Y)
    assert result.difference < 1e-7, str(result)
    # and the gradient really ignores the masked entries: flipping them changes nothing
    model.backward(model.forward(X), Y)
    g1 = {k: v.copy() for k, v in model.grads.items()}
    Y2 = numpy.where(numpy.isnan(Y) | (Y == -1), -1.0, Y)
    model.backward(model.forward(X), Y2)
    for k, v in model.grads.items():
        numpy.testing.assert_array_equal(v, g1[k])


def test_registered_and_saved_by_name(tmp_path):
    from glassnet.models.saving import load_model, save_model

    assert isinstance(get_loss("multitask_bce"), MultiTaskBinaryCrossEntropy)
    model = multitask_network(4, [3], 2, seed=0)
    save_model(model, tmp_path / "m")
    back = load_model(tmp_path / "m")
    assert back.loss.name == "multitask_bce"
    assert MultiTaskBinaryCrossEntropy.allows_missing


def test_masked_accuracies():
    A = numpy.array([[0.9, 0.2, 0.7], [0.1, 0.6, 0.4]])
    Y = numpy.array([[1.0, 1.0, numpy.nan], [0.0, -1.0, 1.0]])
    # labelled: (0,0) right, (0,1) wrong, (1,0) right, (1,2) wrong
    assert masked_accuracy(A, Y) == pytest.approx(0.5)
    numpy.testing.assert_allclose(task_accuracy(A, Y), [0.5, 0.5])
    assert numpy.isnan(task_accuracy(A, numpy.full((2, 3), numpy.nan))).all()


def test_learns_three_digit_tasks_with_missing_labels():
    """Real data: 3 yes/no questions about each digit, 30% of the answers missing."""
    from glassnet.data import digits

    ds = digits()
    rng = numpy.random.default_rng(0)
    X = (ds.x.reshape(len(ds.x), -1) / 16.0).T
    d = ds.y
    Y = numpy.stack([d % 2 == 0, d >= 5, numpy.isin(d, (0, 6, 8, 9))]).astype(numpy.float64)
    Y_train = Y.copy()
    holes = rng.random(Y.shape) < 0.3
    Y_train[holes] = numpy.nan  # the notes' "?" entries
    Y_train[holes & (rng.random(Y.shape) < 0.5)] = -1  # the other spelling
    m_train = 1400
    model = multitask_network(64, [32], 3, seed=0)
    assert model.task == "multilabel"
    fit(model, X[:, :m_train], Y_train[:, :m_train], optimizer="adam", learning_rate=0.01,
        epochs=20, batch_size=64, progress=False)
    A = model.predict_proba(X[:, m_train:])
    acc = task_accuracy(A, Y[:, m_train:])
    assert (acc > 0.85).all(), acc
