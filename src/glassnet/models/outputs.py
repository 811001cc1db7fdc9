"""The model's output: the task, the output layer it needs, how labels are read, and the
decision that turns A[L] into predictions.

Dense outputs are ``(n_y, m)``: one example per column, classes along axis 0.  A per-pixel
classifier (U-Net's head) outputs ``(m, n_H, n_W, C)``: classes along the last axis, one
softmax per pixel; its labels are ``(m, n_H, n_W)`` class indices or ``(m, n_H, n_W, C)``
one-hot.  ``class_axis`` (0 or -1) says which.
"""

from __future__ import annotations

from typing import Any

import numpy

from glassnet.core.backend import get_xp, to_numpy
from glassnet.core.errors import LabelError

TASKS = ("binary", "multiclass", "multilabel", "regression")


def _output_for(n_y: int, task: str | None) -> tuple[str, str]:
    """(output activation, loss) for a task; binary if n_y == 1 else multiclass by default."""
    task = task or ("binary" if n_y == 1 else "multiclass")
    table = {
        "binary": ("sigmoid", "binary_crossentropy"),
        "multilabel": ("sigmoid", "binary_crossentropy"),
        "multiclass": ("softmax", "categorical_crossentropy"),
        "regression": ("linear", "l2"),
    }
    if task not in table:
        raise ValueError(f"unknown task {task!r}: expected one of {', '.join(TASKS)}")
    return table[task]



def task_of_output(activation: str, loss: str, n_outputs: int) -> str:
    """binary, multiclass, multilabel or regression, from the output activation and loss."""
    if activation == "softmax":
        return "multiclass"
    if activation == "sigmoid" and loss in ("binary_crossentropy", "multitask_bce"):
        return "binary" if n_outputs == 1 else "multilabel"
    return "regression"


def decide(A: Any, task: str, threshold: float = 0.5, class_axis: int = 0) -> Any:
    """Predictions from A[L]: the argmax over the classes (``(1, m)``, or ``(m, n_H, n_W)``
    per pixel), A > threshold as 0/1 for sigmoid outputs, A[L] itself for regression."""
    if task == "multiclass":
        return A.argmax(axis=-1) if class_axis == -1 else A.argmax(axis=0)[None, :]
    if task in ("binary", "multilabel"):
        return (A > threshold).astype(numpy.int64)
    return A


def _one_hot_classes(y: numpy.ndarray, n: int) -> numpy.ndarray:
    if (y != numpy.round(y)).any() or y.min() < 0 or y.max() >= n:
        raise LabelError(
            f"labels: a {n}-class softmax model takes integer labels 0..{n - 1}, "
            f"got values in [{y.min()}, {y.max()}]"
        )
    return y.astype(numpy.int64)


def encode_labels(y: Any, task: str, n: int, dtype: Any, missing_ok: bool = False,
                  class_axis: int = 0) -> Any:
    """Labels in the loss's layout, refusing ones that do not fit.

    multiclass: ``(C, m)`` one-hot from class indices ``(m,)``/``(1, m)`` (or one-hot
    already); per pixel (``class_axis`` -1): ``(m, n_H, n_W, C)`` from ``(m, n_H, n_W)``
    indices.  binary/multilabel: ``(n, m)`` of 0/1 (NaN or -1 where missing, if the loss
    allows it).  regression: ``(n, m)`` values.
    """
    xp = get_xp()
    y = numpy.asarray(to_numpy(y))
    if y.size == 0:
        raise LabelError("labels: the label set is empty")
    if not numpy.issubdtype(y.dtype, numpy.number) and y.dtype != bool:
        raise LabelError(f"labels: expected numbers, got dtype {y.dtype}")
    if not missing_ok and not numpy.isfinite(y.astype(numpy.float64)).all():
        raise LabelError("labels: contain NaN or inf")
    if task == "multiclass" and class_axis == -1:
        if y.ndim >= 2 and y.shape[-1] == n and set(numpy.unique(y)) <= {0, 1}:
            return xp.asarray(y, dtype=dtype)  # already one-hot (m, n_H, n_W, C)
        Y = numpy.eye(n, dtype=dtype)[_one_hot_classes(y, n)]  # (m, n_H, n_W, C)
        return xp.asarray(Y)
    if task == "multiclass":
        one_hot = y.ndim in (2, 3) and y.shape[0] == n and y.shape[1] > 0
        if one_hot and set(numpy.unique(y)) <= {0, 1}:
            return xp.asarray(y, dtype=dtype)  # already one-hot (C, m), (C, m, T) per step
        y = _one_hot_classes(y.reshape(-1), n)
        Y = numpy.zeros((n, y.size), dtype=dtype)
        Y[y, numpy.arange(y.size)] = 1
        return xp.asarray(Y)
    if task in ("binary", "multilabel"):
        Y = y.reshape(1, -1) if (task == "binary" and y.ndim == 1) else y
        if Y.ndim == 2 and Y.shape[0] != n and Y.shape[1] == n:
            Y = Y.T
        if Y.ndim != 2 or Y.shape[0] != n:
            raise LabelError(f"labels: expected shape ({n}, m), got {y.shape}")
        bad = ~numpy.isin(Y, (0, 1))
        if missing_ok:  # "?" entries: NaN or -1, left out of the loss
            bad &= ~(numpy.isnan(Y.astype(numpy.float64)) | (Y == -1))
        if bad.any():
            raise LabelError(
                f"labels: a sigmoid output with the logistic loss takes 0/1 labels, "
                f"got {Y[bad].flat[0].item()!r}"
            )
        return xp.asarray(Y, dtype=dtype)
    Y = y.reshape(1, -1) if y.ndim == 1 else y
    if Y.shape[0] != n and Y.ndim == 2 and Y.shape[1] == n:
        Y = Y.T
    if Y.shape[0] != n:
        raise LabelError(f"labels: expected {n} target value(s) per example, got {y.shape}")
    return xp.asarray(Y, dtype=dtype)


def default_loss(output_activation: str | None) -> str:
    """The loss that goes with an output activation (a model given none takes it):
    softmax -> categorical cross-entropy, sigmoid -> the logistic loss, anything else
    (linear, ...) -> squared error."""
    pairs = {"softmax": "categorical_crossentropy", "sigmoid": "binary_crossentropy"}
    return pairs.get(output_activation or "", "l2")
