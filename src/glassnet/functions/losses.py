"""Loss functions L(y_hat, y) and the cost J = (1/m) sum_i L(y_hat(i), y(i)).

``Y`` and ``A`` (= y_hat) are ``(n_y, m)``: one example per column.  A loss
summed over several output units (multi-label sigmoids, regression vectors)
is summed over axis 0 before the mean over the m examples.

``gradient(A, Y)`` returns the per-example derivative dA = dL/dA (the course's
``dAL``); the 1/m of the cost is applied where parameter gradients are formed
(dW = 1/m dZ A_prev^T), exactly as in the notes.
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp

# Activations are clipped into [EPS, 1 - EPS] before a logarithm or a division,
# so that outputs of exactly 0 or 1 give finite costs and gradients.
EPS = 1e-12


def _eps_for(A: Any) -> float:
    # float32 cannot represent 1 - 1e-12; use a margin it can.
    return 1e-7 if A.dtype.itemsize <= 4 else EPS


class Loss:
    """Base class for losses."""

    name = "loss"
    #: the output activation with which dZ = A - Y holds (None: no shortcut)
    canonical_activation: str | None = None
    #: the axis of the m examples in A and Y (the model sets it from its output layout):
    #: the last for (n_y, m), 1 for sequences (n_y, m, T_y), 0 for images (m, n_H, n_W, C)
    batch_axis = -1

    def examples(self, Y: Any) -> int:
        """m, the number of examples in ``Y``."""
        return int(Y.shape[self.batch_axis])

    def cost(self, A: Any, Y: Any) -> float:
        """J = (1/m) sum_i L(A(i), Y(i)) as a Python float; for sequences L(i) is summed over
        the time steps (the notes' L = sum_t L<t>)."""
        raise NotImplementedError

    def gradient(self, A: Any, Y: Any) -> Any:
        """dA = dL/dA, shape of ``A`` (per example, without the 1/m)."""
        raise NotImplementedError

    def cost_from_logits(self, Z: Any, Y: Any) -> float:
        """The cost computed from the output layer's Z (stable); only for canonical pairs."""
        raise NotImplementedError

    def is_canonical(self, activation: str | None) -> bool:
        """True when the output activation and this loss make the pair with dZ = A - Y."""
        return self.canonical_activation is not None and activation == self.canonical_activation

    def output_gradient(self, A: Any, Y: Any, activation: str | None) -> tuple[Any, bool]:
        """The gradient the output layer starts from, and whether it is dZ[L] (else dA[L]).

        For the canonical pairs (sigmoid + logistic loss, softmax + categorical
        cross-entropy) dL/dZ[L] = A[L] - Y, which skips g'(Z) and is exact where A
        saturates; otherwise dA[L] = dL/dA[L] (the course's ``dAL``).  Shapes of ``A``.
        """
        if self.is_canonical(activation):
            return self.output_delta(A, Y), True
        return self.gradient(A, Y), False

    def output_delta(self, A: Any, Y: Any) -> Any:
        """dZ[L] = A[L] - Y (a loss with masked labels overrides it)."""
        return A - Y

    def output_cost(self, A: Any, Y: Any, Z: Any | None, activation: str | None) -> float:
        """J from the logits Z[L] when the pair is canonical and Z is kept, else from A[L].

        From Z the cost is exact for any z (a logit of 40 on the wrong class costs 40.0),
        where the cost from A must clip A away from 0 and 1.
        """
        if Z is not None and self.is_canonical(activation):
            return self.cost_from_logits(Z, Y)
        return self.cost(A, Y)

    def config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def compute_cost(AL: Any, Y: Any, m: int | None = None) -> float:
    """The logistic cost J = -(1/m) sum_i (y(i) log a(i) + (1 - y(i)) log(1 - a(i))).

    ``AL`` (= y_hat) and ``Y`` are ``(1, m)`` (or ``(n_y, m)``: summed over the rows too);
    m = ``Y.shape[-1]`` unless given.  ``AL`` is used as it is (the course's function; the
    :class:`BinaryCrossEntropy` loss clips it away from 0 and 1 first).  A Python float.
    """
    xp = get_xp()
    m = Y.shape[-1] if m is None else m
    return float(-(Y * xp.log(AL) + (1 - Y) * xp.log(1 - AL)).sum() / m)


def logistic_gradient(AL: Any, Y: Any) -> Any:
    """dAL = dL/dAL = -(Y / AL) + (1 - Y) / (1 - AL), per example, shape of ``AL``.

    The course's ``dAL`` (no 1/m, no clipping; :class:`BinaryCrossEntropy` clips ``AL``).
    """
    return -(Y / AL) + (1 - Y) / (1 - AL)


class BinaryCrossEntropy(Loss):
    """Logistic loss L = -(y log a + (1 - y) log(1 - a)), summed over output units.

    With a sigmoid output, dZ = A - Y; from logits the cost is computed as
    max(z, 0) - z y + log(1 + e^-|z|), finite for any z.
    """

    name = "binary_crossentropy"
    canonical_activation = "sigmoid"

    def cost(self, A: Any, Y: Any) -> float:
        eps = _eps_for(A)
        return compute_cost(get_xp().clip(A, eps, 1 - eps), Y, self.examples(Y))

    def gradient(self, A: Any, Y: Any) -> Any:
        eps = _eps_for(A)
        return logistic_gradient(get_xp().clip(A, eps, 1 - eps), Y)

    def cost_from_logits(self, Z: Any, Y: Any) -> float:
        xp = get_xp()
        m = self.examples(Y)
        return float((xp.maximum(Z, 0) - Z * Y + xp.log1p(xp.exp(-xp.abs(Z)))).sum() / m)


class CategoricalCrossEntropy(Loss):
    """Softmax loss L = -sum_j y_j log a_j over the C classes (one-hot ``Y``).

    Along the class axis of the layout: ``(C, m)`` for dense outputs (``class_axis`` 0),
    ``(m, n_H, n_W, C)`` for a per-pixel classifier (``class_axis`` -1; the model sets it
    from its output layout).  The cost is the mean over the examples and, for images, over
    their pixels too: J = 1/(m P) sum L, P = n_H n_W; a sequence (C, m, T_y) sums L over its
    steps (J = 1/m sum_i sum_t L<t>).  A label of all zeros masks its step or pixel out.
    With a softmax output dZ = (A - Y) / P (the layers apply the 1/m); from logits the cost is
    logsumexp(z) - sum_j y_j z_j, finite for any z.
    """

    name = "categorical_crossentropy"
    canonical_activation = "softmax"
    #: the axis of the C classes: 0 for (C, m), -1 for (m, n_H, n_W, C)
    class_axis = 0

    def _counts(self, A: Any) -> tuple[int, int]:
        """(n, P): what the summed loss is divided by, and the pixels per example P.

        Per pixel (classes last): n = m P, the mean over examples and pixels.  Otherwise
        n = m: a sequence (C, m, T_y) sums its loss over the time steps (P = 1).
        """
        if self.class_axis == 0:
            return self.examples(A), 1
        m = A.shape[0]
        n = A.size // A.shape[self.class_axis]
        return n, n // max(m, 1)

    def cost(self, A: Any, Y: Any) -> float:
        xp = get_xp()
        L = xp.clip(A, _eps_for(A), 1.0)  # the only temporary: log and * Y run in place
        xp.log(L, out=L)
        L *= Y  # y_j log a_j
        n, _ = self._counts(A)
        return float(-L.sum() / n)

    def gradient(self, A: Any, Y: Any) -> Any:
        xp = get_xp()
        _, pixels = self._counts(A)
        dA = -Y / xp.clip(A, _eps_for(A), 1.0)
        return dA if pixels == 1 else dA * (1.0 / pixels)

    def output_delta(self, A: Any, Y: Any) -> Any:
        """dZ = (A s - Y) / P with s = sum_j y_j, the exact gradient of -sum_j y_j log a_j:
        A - Y for a one-hot label, 0 for a label of all zeros (a padded time step, an
        unlabelled pixel), which adds nothing to the cost either."""
        _, pixels = self._counts(A)
        dZ = A * Y.sum(axis=self.class_axis, keepdims=True)
        dZ -= Y
        return dZ if pixels == 1 else dZ * (1.0 / pixels)

    def cost_from_logits(self, Z: Any, Y: Any) -> float:
        xp = get_xp()
        ax = self.class_axis
        zmax = Z.max(axis=ax, keepdims=True)
        lse = zmax + xp.log(xp.exp(Z - zmax).sum(axis=ax, keepdims=True))
        n, _ = self._counts(Z)
        # sum_i [logsumexp(z(i)) sum_j y_j(i) - sum_j y_j(i) z_j(i)]: lse once per example
        return float(((lse * Y.sum(axis=ax, keepdims=True)).sum() - (Y * Z).sum()) / n)


class L2Loss(Loss):
    """Squared error L = sum_j (y_hat_j - y_j)^2;  dL/dy_hat = 2 (y_hat - y)."""

    name = "l2"

    def cost(self, A: Any, Y: Any) -> float:
        m = self.examples(Y)
        D = A - Y
        return float((D * D).sum() / m)

    def gradient(self, A: Any, Y: Any) -> Any:
        return 2.0 * (A - Y)


class L1Loss(Loss):
    """Absolute error L = sum_j |y_hat_j - y_j|;  dL/dy_hat = sign(y_hat - y)."""

    name = "l1"

    def cost(self, A: Any, Y: Any) -> float:
        m = self.examples(Y)
        return float(get_xp().abs(A - Y).sum() / m)

    def gradient(self, A: Any, Y: Any) -> Any:
        return get_xp().sign(A - Y)




# -- multi-task learning (Course 3) -------------------------------------------------------
# Multi-task learning (Course 3): one network, several sigmoid outputs, missing labels.
#
# The notes' example: one image, k = 4 questions (pedestrian? car? stop sign?
# traffic light?), so ``Y`` is ``(k, m)`` and ``y_hat = A[L]`` is ``(k, m)`` of
# independent sigmoids (unlike softmax, several can be 1).  The cost sums the
# logistic loss over the tasks::
#
#     J = (1/m) sum_{i=1..m} sum_{j=1..k, y_j(i) labelled} L(y_hat_j(i), y_j(i))
#     L(a, y) = -(y log a + (1 - y) log(1 - a))
#
# Some labels may be missing (the notes' "?": a labeller did not say whether
# there is a stop sign).  They are written as NaN or -1 and left out of the sum,
# and so out of the gradient: with the mask M = 1 where y is labelled, 0 where
# it is missing, the output layer starts from::
#
#     dZ[L] = M * (A[L] - Y)          (k, m)
#
# m stays the number of examples (a missing label does not shrink the mean).

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
        m = self.examples(Y)
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
        m = self.examples(Y)
        return float((M * (xp.maximum(Z, 0) - Z * Y0 + xp.log1p(xp.exp(-xp.abs(Z))))).sum() / m)


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (
        BinaryCrossEntropy, CategoricalCrossEntropy, L2Loss, L1Loss, MultiTaskBinaryCrossEntropy
    )
}
_ALIASES = {
    "logistic": "binary_crossentropy",
    "bce": "binary_crossentropy",
    "binary_cross_entropy": "binary_crossentropy",
    "cross_entropy": "categorical_crossentropy",
    "categorical_cross_entropy": "categorical_crossentropy",
    "cce": "categorical_crossentropy",
    "mse": "l2",
    "squared_error": "l2",
    "mae": "l1",
    "absolute_error": "l1",
}


def get_loss(spec: str | dict | Loss) -> Loss:
    """A loss from its name (``"logistic"``, ``"l2"``...), config dict or instance."""
    if isinstance(spec, Loss):
        return spec
    name = spec["name"] if isinstance(spec, dict) else spec
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    if key not in LOSSES:
        raise ValueError(f"unknown loss {name!r}: expected one of {', '.join(LOSSES)}")
    return LOSSES[key]()
