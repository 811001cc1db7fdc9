"""Mini-batches (Course 2, week 2): shuffle the m examples, then cut them in order.

One epoch's mini-batches are the pieces of a permutation of the example indices::

    permutation = rng.permutation(m)
    mini-batch k = the examples permutation[k * size : (k + 1) * size],  k = 0, 1, ...

so there are floor(m / size) full mini-batches and, when size does not divide m, a last one
of m - size * floor(m / size) examples.  The Trainer orders every epoch this way
(its ``rng`` seeded by (seed, epoch)); :func:`random_mini_batches` is the notebook's function,
with ``rng`` NumPy's legacy global state seeded by ``seed``.
"""

from __future__ import annotations

from typing import Any

import numpy


def shuffled_batches(m: int, mini_batch_size: int, rng: Any) -> list[numpy.ndarray]:
    """The index arrays of one epoch's mini-batches (``rng``: anything with ``permutation``).

    ``rng`` may be a ``numpy.random.Generator``, a ``RandomState`` or the module
    ``numpy.random``; the last, partial mini-batch is kept.
    """
    size = int(mini_batch_size)
    if size < 1:
        raise ValueError(f"mini_batch_size must be a positive integer, got {mini_batch_size}")
    order = rng.permutation(int(m))
    return [order[start : start + size] for start in range(0, int(m), size)]


def random_mini_batches(
    X: Any, Y: Any, mini_batch_size: int = 64, seed: int = 0
) -> list[tuple[Any, Any]]:
    """``[(mini_batch_X, mini_batch_Y), ...]`` of X (n_x, m) and Y (n_y, m), shuffled together.

    As the notebook: ``numpy.random.seed(seed)``, then ``numpy.random.permutation(m)`` cut
    into pieces of ``mini_batch_size`` columns (:func:`shuffled_batches`); the last piece
    holds the remaining m mod mini_batch_size examples.
    """
    m = X.shape[1]
    if Y.shape[-1] != m:
        raise ValueError(f"X has {m} examples (columns) but Y has {Y.shape[-1]}")
    numpy.random.seed(seed)
    Y2 = Y.reshape(-1, m) if Y.ndim != 2 else Y
    return [(X[:, idx], Y2[:, idx]) for idx in shuffled_batches(m, mini_batch_size, numpy.random)]
