"""Metrics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.functions.metrics import (
    accuracy,
    classification_report,
    confusion_matrix,
    f1_from,
    f1_score,
    precision,
    recall,
)

# binary: TP at 2, 3, 6; FP at 1, 7; FN at 4; TN at 0, 5
Y_TRUE_BIN = np.array([0, 0, 1, 1, 1, 0, 1, 0])
Y_PRED_BIN = np.array([0, 1, 1, 1, 0, 0, 1, 1])

# three classes: confusion [[2, 1, 0], [0, 2, 2], [1, 0, 2]]
Y_TRUE_3 = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
Y_PRED_3 = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 0])


def test_binary_hand_values():
    assert accuracy(Y_TRUE_BIN, Y_PRED_BIN) == pytest.approx(5 / 8)
    assert precision(Y_TRUE_BIN, Y_PRED_BIN) == pytest.approx(3 / 5)
    assert recall(Y_TRUE_BIN, Y_PRED_BIN) == pytest.approx(3 / 4)
    f1 = 2 * (3 / 5) * (3 / 4) / (3 / 5 + 3 / 4)
    assert f1 == pytest.approx(2 / 3)
    assert f1_score(Y_TRUE_BIN, Y_PRED_BIN) == pytest.approx(f1)
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE_BIN, Y_PRED_BIN), [[2, 2], [1, 3]])


def test_binary_with_class_0_as_positive():
    # class 0: TP = 2 (0, 5), FP = 1 (4), FN = 2 (1, 7)
    assert precision(Y_TRUE_BIN, Y_PRED_BIN, positive=0) == pytest.approx(2 / 3)
    assert recall(Y_TRUE_BIN, Y_PRED_BIN, positive=0) == pytest.approx(2 / 4)


def test_course_row_layout_is_accepted():
    # (1, m) rows, as the model's predict returns them
    assert accuracy(Y_TRUE_BIN[None, :], Y_PRED_BIN[None, :]) == pytest.approx(5 / 8)
    assert f1_score(Y_TRUE_BIN[None, :], Y_PRED_BIN) == pytest.approx(2 / 3)


def test_multiclass_confusion_matrix():
    cm = confusion_matrix(Y_TRUE_3, Y_PRED_3)
    np.testing.assert_array_equal(cm, [[2, 1, 0], [0, 2, 2], [1, 0, 2]])
    assert cm.sum() == 10
    big = confusion_matrix(Y_TRUE_3, Y_PRED_3, n_classes=5)
    assert big.shape == (5, 5) and big[3:].sum() == 0 and big[:, 3:].sum() == 0


def test_multiclass_averages():
    # precision per class: 2/3, 2/3, 2/4; recall: 2/3, 2/4, 2/3; F1: 2/3, 4/7, 4/7
    # support: 3, 4, 3
    assert precision(Y_TRUE_3, Y_PRED_3, average="macro") == pytest.approx(11 / 18)
    assert recall(Y_TRUE_3, Y_PRED_3, average="macro") == pytest.approx(11 / 18)
    assert f1_score(Y_TRUE_3, Y_PRED_3, average="macro") == pytest.approx(38 / 63)
    assert precision(Y_TRUE_3, Y_PRED_3, average="weighted") == pytest.approx(37 / 60)
    assert recall(Y_TRUE_3, Y_PRED_3, average="weighted") == pytest.approx(0.6)
    assert f1_score(Y_TRUE_3, Y_PRED_3, average="weighted") == pytest.approx(0.6)
    for fn in (precision, recall, f1_score):
        assert fn(Y_TRUE_3, Y_PRED_3, average="micro") == pytest.approx(0.6)  # = accuracy
    assert accuracy(Y_TRUE_3, Y_PRED_3) == pytest.approx(0.6)


def test_per_class_scores_via_positive():
    assert precision(Y_TRUE_3, Y_PRED_3, average="binary", positive=2) == pytest.approx(1 / 2)
    assert recall(Y_TRUE_3, Y_PRED_3, average="binary", positive=1) == pytest.approx(1 / 2)
    assert f1_score(Y_TRUE_3, Y_PRED_3, average="binary", positive=0) == pytest.approx(2 / 3)


def test_no_predicted_positives_gives_zero_not_nan():
    y_true = np.array([1, 1, 0, 0])
    y_pred = np.zeros(4, dtype=int)
    assert precision(y_true, y_pred) == 0.0
    assert recall(y_true, y_pred) == 0.0
    assert f1_score(y_true, y_pred) == 0.0
    assert accuracy(y_true, y_pred) == 0.5


def test_perfect_predictions():
    y = np.array([0, 2, 1, 2])
    assert accuracy(y, y) == 1.0
    assert f1_score(y, y, average="macro") == 1.0
    np.testing.assert_array_equal(confusion_matrix(y, y), np.diag([1, 1, 2]))


def test_f1_from_precision_and_recall():
    # the notes' classifiers A (95%, 90%) and B (98%, 85%)
    assert f1_from(0.95, 0.90) == pytest.approx(2 / (1 / 0.95 + 1 / 0.90))
    assert f1_from(0.95, 0.90) == pytest.approx(0.9243, abs=1e-4)
    assert f1_from(0.98, 0.85) == pytest.approx(0.9104, abs=1e-4)
    assert f1_from(0.0, 0.0) == 0.0


def test_classification_report():
    report = classification_report(Y_TRUE_3, Y_PRED_3, classes=["cat", "dog", "bird"])
    assert report["accuracy"] == pytest.approx(0.6)
    assert report["per_class"]["dog"] == {
        "precision": pytest.approx(2 / 3),
        "recall": pytest.approx(0.5),
        "f1": pytest.approx(4 / 7),
        "support": 4,
    }
    assert report["macro_f1"] == pytest.approx(38 / 63)
    assert report["weighted_f1"] == pytest.approx(0.6)
    assert report["confusion_matrix"] == [[2, 1, 0], [0, 2, 2], [1, 0, 2]]
    binary = classification_report(Y_TRUE_BIN, Y_PRED_BIN)
    assert binary["precision"] == pytest.approx(3 / 5)
    assert binary["recall"] == pytest.approx(3 / 4)
    assert binary["f1"] == pytest.approx(2 / 3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="labels"):
        accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="average"):
        f1_score(Y_TRUE_3, Y_PRED_3, average="samples")
    with pytest.raises(ValueError, match="shape"):
        accuracy(np.zeros((2, 3)), np.zeros((2, 3)))
