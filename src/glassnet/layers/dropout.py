"""Inverted dropout (Course 2), for activations of any shape.

Training (the notes, for layer l with ``keep_prob``)::

    D[l] = rand(A[l].shape) < keep_prob       each unit of each example kept with prob keep_prob
    A[l] = A[l] * D[l] / keep_prob            "inverted": E[A[l]] is unchanged

Backward applies the same mask and scaling: dA_prev = dA * D / keep_prob.

At test time nothing is dropped and nothing is rescaled (the division at
training time already kept the expected activations equal), so the layer is
the identity.

Randomness: the mask is drawn on the host from ``self.rng``.  ``seed`` gives the
layer its own ``numpy.random.Generator``; otherwise the model's generator passed
to :meth:`Dropout.build` spawns an independent child (without consuming its
stream), and in the course-compatible mode (``rng`` is the module
``numpy.random``) the mask is ``np.random.rand(...) < keep_prob`` from NumPy's
global state, exactly as the course's notebooks draw it.  ``set_mask(D)`` fixes
the mask (gradient checks; the notes: check gradients without dropout, or with a
fixed mask).
"""

from __future__ import annotations

from typing import Any

import numpy

from glassnet.core.backend import get_xp
from glassnet.core.layouts import ANY
from glassnet.layers.base import Layer


class Dropout(Layer):
    """Inverted dropout keeping each unit with probability ``keep_prob``."""

    kind = "dropout"
    input_layout = ANY
    owns_index = False

    def __init__(self, keep_prob: float = 0.8, seed: int | None = None) -> None:
        super().__init__()
        keep_prob = float(keep_prob)
        if not 0.0 < keep_prob <= 1.0:
            raise ValueError(f"Dropout: keep_prob must be in (0, 1], got {keep_prob}")
        self.keep_prob = keep_prob
        self.seed = None if seed is None else int(seed)
        self.rng: Any = numpy.random.default_rng(self.seed)
        self.fixed_mask: Any = None
        #: the last mask drawn (boolean, the shape of the activations), the notes' D[l]
        self.D: Any = None

    def config(self) -> dict:
        return {"keep_prob": self.keep_prob, "seed": self.seed}

    def describe(self) -> str:
        return f"Dropout(keep_prob={self.keep_prob})"

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        out = super().build(input_shape, rng, dtype)
        if self.seed is None and rng is not None:
            if isinstance(rng, numpy.random.Generator):
                try:
                    self.rng = rng.spawn(1)[0]  # independent stream; rng's draws unchanged
                except (AttributeError, TypeError, ValueError):
                    self.rng = numpy.random.default_rng(int(rng.integers(2**63)))
            else:
                self.rng = rng  # the legacy module numpy.random (course-compatible mode)
        return out

    def set_mask(self, D: Any) -> None:
        """Use the boolean mask ``D`` (the activations' shape) in every training pass; None to
        draw fresh masks again."""
        self.fixed_mask = None if D is None else get_xp().asarray(D).astype(bool)

    def draw_mask(self, shape: tuple[int, ...]) -> Any:
        """D = rand(shape) < keep_prob, as an ``xp`` boolean array."""
        if self.fixed_mask is not None:
            if tuple(self.fixed_mask.shape) != tuple(shape):
                raise ValueError(
                    f"Dropout: the fixed mask has shape {tuple(self.fixed_mask.shape)} but the "
                    f"activations have shape {tuple(shape)}"
                )
            return self.fixed_mask
        if isinstance(self.rng, numpy.random.Generator):
            U = self.rng.random(shape, dtype=numpy.float32)
        else:
            U = self.rng.rand(*shape)  # np.random.rand, the course's call
        return get_xp().asarray(U < self.keep_prob)

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        if not training or self.keep_prob == 1.0:
            self.cache = None
            return A_prev
        xp = get_xp()
        D = self.draw_mask(tuple(A_prev.shape))
        self.D = D
        # mask and scaling in one array: M = D / keep_prob;  A = A_prev * M
        M = D.astype(A_prev.dtype)
        M *= 1.0 / self.keep_prob
        self.cache = M
        return xp.multiply(A_prev, M)

    def backward(self, dA: Any) -> Any:
        """dA_prev = dA * D / keep_prob (identity after a test-time forward)."""
        if not getattr(self, "propagate_input_grad", True):
            return None  # first layer of a model: the input's gradient is not needed
        M = self.cache
        if M is None:
            return dA
        return dA * M
