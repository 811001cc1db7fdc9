"""Multi-task learning (Course 3): one network, several sigmoid outputs, missing labels.

The notes' example: one image, k = 4 questions (pedestrian? car? stop sign?
traffic light?), so ``Y`` is ``(k, m)`` and ``y_hat = A[L]`` is ``(k, m)`` of
independent sigmoids (unlike softmax, several can be 1).  The cost sums the
logistic loss over the tasks::

    J = (1/m) sum_{i=1..m} sum_{j=1..k, y_j(i) labelled} L(y_hat_j(i), y_j(i))
    L(a, y) = -(y log a + (1 - y) log(1 - a))

Some labels may be missing (the notes' "?": a labeller did not say whether
there is a stop sign).  They are written as NaN or -1 and left out of the sum,
and so out of the gradient: with the mask M = 1 where y is labelled, 0 where
it is missing, the output layer starts from::

    dZ[L] = M * (A[L] - Y)          (k, m)

m stays the number of examples (a missing label does not shrink the mean).
"""

from __future__ import annotations

from typing import Any

from .backend import get_xp
from .losses import LOSSES, Loss, _eps_for

#: the value, besides NaN, that marks a missing label
MISSING = -1


def label_mask(Y: Any) -> Any:
    """M = 1 where ``Y`` holds a label (0 or 1), 0 where it is missing (NaN or -1)."""
    xp = get_xp()
    return (xp.isfinite(Y) & (Y != MISSING)).astype(Y.dtype if Y.dtype.kind == "f" else "float64")


def _filled(Y: Any, M: Any) -> Any:
    """Y with missing entries set to 0 (their value no longer matters once masked)."""
    xp = get_xp()
    return xp.where(M > 0, Y, 0).astype(M.dtype)


class MultiTaskBinaryCrossEntropy(Loss):
    """The logistic loss summed over k sigmoid outputs, skipping missing labels.

    ``Y`` is ``(k, m)`` of 0/1 labels with NaN or -1 where a label is missing.
    ``cost`` = (1/m) sum over labelled entries of L(a, y); ``output_delta``
    (the model's dZ[L] with a sigmoid output) = M * (A - Y); ``gradient``
    (dA, for a non-canonical output) = M * (-(y/a) + (1 - y)/(1 - a)).
    """

    name = "multitask_bce"
    canonical_activation = "sigmoid"
    #: labels may contain NaN / -1 for "missing" (read by Sequential.prepare_labels)
    allows_missing = True

    def cost(self, A: Any, Y: Any) -> float:
        xp = get_xp()
        M = label_mask(Y)
        Y0 = _filled(Y, M)
        eps = _eps_for(A)
        A = xp.clip(A, eps, 1 - eps)
        m = Y.shape[-1]
        return float(-(M * (Y0 * xp.log(A) + (1 - Y0) * xp.log(1 - A))).sum() / m)

    def gradient(self, A: Any, Y: Any) -> Any:
        xp = get_xp()
        M = label_mask(Y)
        Y0 = _filled(Y, M)
        eps = _eps_for(A)
        A = xp.clip(A, eps, 1 - eps)
        return M * (-(Y0 / A) + (1 - Y0) / (1 - A))

    def output_delta(self, A: Any, Y: Any) -> Any:
        """dZ[L] = M * (A[L] - Y) for the sigmoid output: missing labels give no gradient."""
        M = label_mask(Y)
        return M * (A - _filled(Y, M))

    def cost_from_logits(self, Z: Any, Y: Any) -> float:
        """The masked cost from Z[L]: max(z, 0) - z y + log(1 + e^-|z|), finite for any z."""
        xp = get_xp()
        M = label_mask(Y)
        Y0 = _filled(Y, M)
        m = Y.shape[-1]
        return float((M * (xp.maximum(Z, 0) - Z * Y0 + xp.log1p(xp.exp(-xp.abs(Z))))).sum() / m)


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


def multitask_network(
    n_x: int, hidden: list[int], n_tasks: int, **kwargs: Any
) -> Any:
    """A deep network with ``n_tasks`` sigmoid outputs trained with the masked multi-task loss.

    ``kwargs`` go to :func:`glassnet.models.deep_network` (init, seed, dtype, ...).
    """
    from .models import deep_network

    return deep_network([n_x, *hidden, n_tasks], output_activation="sigmoid",
                        loss=MultiTaskBinaryCrossEntropy(), **kwargs)


# registered so a saved model's ``{"name": "multitask_bce"}`` loads back
LOSSES.setdefault(MultiTaskBinaryCrossEntropy.name, MultiTaskBinaryCrossEntropy)
