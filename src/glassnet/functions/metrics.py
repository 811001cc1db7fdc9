"""Evaluation metrics (Course 3: a single-number metric).

Labels are class indices of shape ``(m,)`` (or the course's ``(1, m)`` rows).
For a class c::

    precision = TP / (TP + FP)      "of the examples predicted c, how many are c"
    recall    = TP / (TP + FN)      "of the examples that are c, how many were found"
    F1        = 2 P R / (P + R)     the harmonic mean: one number to compare models

With several classes, ``average="macro"`` is the plain mean over classes,
``"weighted"`` weights each class by its number of true examples, ``"micro"``
pools the counts (equal to accuracy for single-label problems).

Regression targets ``y`` and predictions ``y_hat`` are ``(m,)`` or ``(m, k)`` values::

    RMSE = sqrt(mean((y_hat - y)^2))     in the targets' units (over all m k entries)
    MAE  = mean(|y_hat - y|)
    R^2  = 1 - sum((y - y_hat)^2) / sum((y - mean(y))^2)   per output, then averaged:
           1 is perfect, 0 is predicting the set's own mean, < 0 is worse than that
"""

from __future__ import annotations

from typing import Any

import numpy

from glassnet.core.backend import get_xp, to_numpy
from glassnet.functions.losses import _filled, label_mask


def _labels(y: Any) -> numpy.ndarray:
    y = numpy.asarray(to_numpy(y))
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1:
        raise ValueError(f"labels must be (m,) or (1, m) class indices, got shape {y.shape}")
    return y.astype(numpy.int64)


def _pair(y_true: Any, y_pred: Any) -> tuple[numpy.ndarray, numpy.ndarray]:
    t, p = _labels(y_true), _labels(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}")
    return t, p


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of examples whose predicted class is the true one."""
    t, p = _pair(y_true, y_pred)
    return float((t == p).mean()) if t.size else 0.0


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int | None = None) -> numpy.ndarray:
    """``C[i, j]`` = number of examples of true class i predicted as j."""
    t, p = _pair(y_true, y_pred)
    k = int(n_classes if n_classes is not None else max(t.max(initial=0), p.max(initial=0)) + 1)
    return numpy.bincount(t * k + p, minlength=k * k).reshape(k, k)


def _per_class(
    cm: numpy.ndarray,
) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    tp = numpy.diag(cm).astype(numpy.float64)
    predicted = cm.sum(axis=0).astype(numpy.float64)
    actual = cm.sum(axis=1).astype(numpy.float64)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        precision = numpy.where(predicted > 0, tp / predicted, 0.0)
        recall = numpy.where(actual > 0, tp / actual, 0.0)
        f1 = numpy.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, recall, f1, actual


def _average(values: numpy.ndarray, support: numpy.ndarray, average: str) -> float:
    if average == "macro":
        return float(values.mean())
    if average == "weighted":
        total = support.sum()
        return float((values * support).sum() / total) if total else 0.0
    raise ValueError(f"unknown average {average!r}: expected binary, macro, weighted or micro")


def _score(kind: int, y_true: Any, y_pred: Any, average: str, positive: int, n_classes: int | None):
    t, p = _pair(y_true, y_pred)
    if average == "micro":
        return accuracy(t, p)
    cm = confusion_matrix(
        t, p, n_classes or max(2, int(max(t.max(initial=0), p.max(initial=0))) + 1)
    )
    per = _per_class(cm)
    if average == "binary":
        return float(per[kind][positive])
    return _average(per[kind], per[3], average)


def precision(
    y_true: Any,
    y_pred: Any,
    average: str = "binary",
    positive: int = 1,
    n_classes: int | None = None,
) -> float:
    """TP / (TP + FP) of the ``positive`` class, or averaged over classes."""
    return _score(0, y_true, y_pred, average, positive, n_classes)


def recall(
    y_true: Any,
    y_pred: Any,
    average: str = "binary",
    positive: int = 1,
    n_classes: int | None = None,
) -> float:
    """TP / (TP + FN) of the ``positive`` class, or averaged over classes."""
    return _score(1, y_true, y_pred, average, positive, n_classes)


def f1_score(
    y_true: Any,
    y_pred: Any,
    average: str = "binary",
    positive: int = 1,
    n_classes: int | None = None,
) -> float:
    """2 P R / (P + R) of the ``positive`` class, or averaged over classes."""
    return _score(2, y_true, y_pred, average, positive, n_classes)


def f1_from(precision_value: float, recall_value: float) -> float:
    """The notes' single number from a precision and a recall: 2 / (1/P + 1/R)."""
    if precision_value + recall_value == 0:
        return 0.0
    return 2 * precision_value * recall_value / (precision_value + recall_value)


def classification_report(
    y_true: Any, y_pred: Any, n_classes: int | None = None, classes: list[str] | None = None
) -> dict:
    """Accuracy, per-class precision/recall/F1/support, macro and weighted F1, confusion matrix."""
    t, p = _pair(y_true, y_pred)
    k = n_classes or (len(classes) if classes else None)
    cm = confusion_matrix(t, p, k)
    prec, rec, f1, support = _per_class(cm)
    names = classes or [str(i) for i in range(cm.shape[0])]
    report = {
        "accuracy": accuracy(t, p),
        "per_class": {
            names[i]: {
                "precision": float(prec[i]),
                "recall": float(rec[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i in range(cm.shape[0])
        },
        "macro_f1": _average(f1, support, "macro"),
        "weighted_f1": _average(f1, support, "weighted"),
        "confusion_matrix": cm.tolist(),
    }
    if cm.shape[0] == 2:
        report.update(precision=float(prec[1]), recall=float(rec[1]), f1=float(f1[1]))
    return report


def task_accuracy(A: Any, Y: Any, threshold: float = 0.5) -> Any:
    """Per-task accuracy over the labelled entries only: ``(k,)`` (NaN for a task with none).

    ``A`` and ``Y`` are ``(k, m)``.
    """
    xp = get_xp()
    M = label_mask(Y)
    right = ((A > threshold) == (_filled(Y, M) > 0.5)) * M
    counts = M.sum(axis=1)
    with_labels = xp.where(counts > 0, counts, 1)
    return xp.where(counts > 0, right.sum(axis=1) / with_labels, xp.nan)


def masked_accuracy(A: Any, Y: Any, threshold: float = 0.5) -> float:
    """Fraction of the labelled (example, task) entries predicted right."""
    M = label_mask(Y)
    n = float(M.sum())
    if n == 0:
        return float("nan")
    right = ((A > threshold) == (_filled(Y, M) > 0.5)) * M
    return float(right.sum()) / n



def _values(y_true: Any, y_pred: Any) -> tuple[numpy.ndarray, numpy.ndarray]:
    t = numpy.asarray(to_numpy(y_true), dtype=numpy.float64)
    p = numpy.asarray(to_numpy(y_pred), dtype=numpy.float64)
    if t.ndim == 1:
        t = t[:, None]
    if p.ndim == 1:
        p = p[:, None]
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape} but y_pred has {p.shape}; expected (m,) "
                         "or (m, k) for both")
    return t, p


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error, in the targets' units."""
    t, p = _values(y_true, y_pred)
    return float(numpy.sqrt(numpy.mean((p - t) ** 2))) if t.size else 0.0


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error, in the targets' units."""
    t, p = _values(y_true, y_pred)
    return float(numpy.mean(numpy.abs(p - t))) if t.size else 0.0


def r2_score(y_true: Any, y_pred: Any) -> float:
    """The coefficient of determination, averaged over outputs (an output whose targets are
    all equal counts 1.0 if predicted exactly, else 0.0)."""
    t, p = _values(y_true, y_pred)
    if not t.size:
        return 0.0
    ss_res = ((t - p) ** 2).sum(axis=0)
    ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        per_output = numpy.where(ss_tot > 0, 1.0 - ss_res / ss_tot,
                                 numpy.where(ss_res == 0, 1.0, 0.0))
    return float(per_output.mean())


def regression_report(y_true: Any, y_pred: Any, baseline: Any = None) -> dict:
    """RMSE, MAE and R^2; with ``baseline`` (a constant prediction per output, e.g. the training
    targets' mean) also ``baseline_rmse`` and ``baseline_mae``, the numbers a model must beat."""
    t, _ = _values(y_true, y_pred)
    report = {"rmse": rmse(y_true, y_pred), "mae": mae(y_true, y_pred),
              "r2": r2_score(y_true, y_pred)}
    if baseline is not None:
        constant = numpy.broadcast_to(numpy.asarray(baseline, dtype=numpy.float64).reshape(1, -1),
                                      t.shape)
        report.update(baseline_rmse=rmse(t, constant), baseline_mae=mae(t, constant))
    return report
