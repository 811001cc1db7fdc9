"""From a loaded dataset to the course's arrays: flattening, scaling, normalizing, labels, splits.

The course's dense layout holds one example per COLUMN: ``X`` is ``(n_x, m)``,
``Y`` is ``(1, m)`` (binary) or ``(C, m)`` (one-hot).  Loaders return examples
first (``(m, H, W, C)`` images, ``(m, n)`` tables); these functions convert.

    >>> X = scale_pixels(flatten_images(train.x))   # (12288, 209) float32 in [0, 1]
    >>> Y = labels_to_row(train.y)                  # (1, 209)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy

from glassnet.core.backend import get_xp, to_numpy
from glassnet.core.limits import check_size

__all__ = [
    "Standardizer",
    "encode_labels",
    "flatten_images",
    "labels_to_row",
    "normalize_rows",
    "one_hot",
    "scale_pixels",
    "to_columns",
    "train_dev_test_split",
]


def flatten_images(x: Any) -> Any:
    """``(m, n_H, n_W, n_C) -> (n_H*n_W*n_C, m)``: the course's ``x.reshape(m, -1).T``.

    Each column is one image, its pixels in row-major (H, W, C) order.
    """
    xp = get_xp()
    x = xp.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"flatten_images expects (m, ...) examples, got shape {x.shape}")
    return x.reshape(x.shape[0], -1).T


def to_columns(x: Any) -> Any:
    """Examples-first data to the course's ``(n_x, m)`` columns.

    ``(m,) -> (1, m)``; tabular ``(m, n) -> (n, m)``; images ``(m, H, W, C)`` ->
    :func:`flatten_images`.
    """
    xp = get_xp()
    x = xp.asarray(x)
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x.T
    return flatten_images(x)


def scale_pixels(x: Any, dtype: Any = "float32") -> Any:
    """Pixel values 0..255 -> ``x / 255`` in [0, 1] (float32 by default); any shape."""
    xp = get_xp()
    return xp.asarray(x, dtype=dtype) / xp.asarray(255.0, dtype=dtype)


def normalize_rows(x: Any) -> Any:
    """Each row divided by its L2 norm: ``x / ||x||_row`` (``axis=1, keepdims``).

    ``[[3, 2, 4], [1, 8, 2]] -> [[0.557, 0.371, 0.743], [0.120, 0.963, 0.241]]``.
    An all-zero row stays zero.
    """
    xp = get_xp()
    x = xp.asarray(x)
    if not numpy.issubdtype(x.dtype, numpy.floating):
        x = x.astype(xp.float64)
    x_norm = xp.linalg.norm(x, ord=2, axis=1, keepdims=True)  # (rows, 1)
    return x / xp.where(x_norm == 0, 1, x_norm).astype(x.dtype)


class Standardizer:
    """Input normalization fitted on the training set (Course 2).

    ``mu = 1/m sum_i x(i)``, ``sigma^2 = 1/m sum_i (x(i) - mu)^2`` over the
    examples; ``x := (x - mu) / sigma``.  The SAME ``mu`` and ``sigma`` are used
    for dev and test data.  With the course layout ``X`` ``(n, m)`` the
    statistics are per feature (``axis=1``, shapes ``(n, 1)``).  ``axis`` names
    the axes reduced over, e.g. ``(0, 1, 2)`` for per-channel statistics of
    ``(m, H, W, C)`` images.  The statistics are accumulated in float64, then cast to the
    data's float type.  A zero ``sigma`` (a constant feature) is replaced by 1.
    """

    def __init__(self, axis: int | tuple[int, ...] = 1) -> None:
        self.axis = axis
        self.mean: Any = None
        self.std: Any = None

    @property
    def fitted(self) -> bool:
        return self.mean is not None

    def fit(self, X: Any) -> Standardizer:
        """Compute ``mean`` and ``std`` (kept with ``keepdims`` so they broadcast)."""
        xp = get_xp()
        X = xp.asarray(X)
        if X.size == 0:
            raise ValueError(f"cannot fit a Standardizer on an empty array of shape {X.shape}")
        dtype = X.dtype if numpy.issubdtype(X.dtype, numpy.floating) else numpy.dtype("float64")
        # accumulated in float64 (float32 squares of values near 1e20 overflow), then cast
        mean = X.mean(axis=self.axis, keepdims=True, dtype=xp.float64)
        std = X.std(axis=self.axis, keepdims=True, dtype=xp.float64)
        if not (bool(xp.isfinite(mean).all()) and bool(xp.isfinite(std).all())):
            raise ValueError("Standardizer.fit: X contains NaN or inf, or values too large to "
                             "standardize")
        std = xp.where(std == 0, xp.asarray(1.0, dtype=std.dtype), std)
        self.mean = mean.astype(dtype)
        self.std = std.astype(dtype)
        # a sigma that is not zero in float64 may underflow to zero in the data's type
        self.std = xp.where(self.std == 0, xp.asarray(1, dtype=dtype), self.std)
        return self

    def _check(self) -> None:
        if not self.fitted:
            raise RuntimeError("Standardizer is not fitted: call fit(X_train) first")

    def transform(self, X: Any) -> Any:
        """``(X - mean) / std`` with the training statistics."""
        self._check()
        xp = get_xp()
        X = xp.asarray(X)
        out_dtype = X.dtype if numpy.issubdtype(X.dtype, numpy.floating) else self.mean.dtype
        return ((X - self.mean) / self.std).astype(out_dtype, copy=False)

    def fit_transform(self, X: Any) -> Any:
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> Any:
        """``X * std + mean``."""
        self._check()
        xp = get_xp()
        X = xp.asarray(X)
        return (X * self.std + self.mean).astype(X.dtype, copy=False)

    def to_arrays(self) -> dict[str, numpy.ndarray]:
        """``{"mean": ..., "std": ...}`` as host NumPy arrays (for an ``.npz`` file)."""
        self._check()
        return {"mean": to_numpy(self.mean), "std": to_numpy(self.std)}

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, Any], axis: int | tuple[int, ...] = 1
    ) -> Standardizer:
        """Rebuild from :meth:`to_arrays`' output."""
        missing = {"mean", "std"} - set(arrays)
        if missing:
            raise KeyError(f"Standardizer arrays lack {sorted(missing)}; got {sorted(arrays)}")
        xp = get_xp()
        s = cls(axis=axis)
        s.mean = xp.asarray(arrays["mean"])
        s.std = xp.asarray(arrays["std"])
        if s.mean.shape != s.std.shape:
            raise ValueError(f"mean {s.mean.shape} and std {s.std.shape} shapes differ")
        return s

    def __repr__(self) -> str:
        shape = None if self.mean is None else tuple(self.mean.shape)
        return f"Standardizer(axis={self.axis!r}, fitted={self.fitted}, shape={shape})"


def one_hot(y: Any, C: int, dtype: Any = "float64") -> Any:
    """Integer labels ``(m,)`` or ``(1, m)`` -> one-hot ``(C, m)``: ``eye(C)[y].T``."""
    xp = get_xp()
    y = xp.asarray(y).reshape(-1)
    if y.size and (not numpy.issubdtype(y.dtype, numpy.integer)):
        if not bool(xp.all(y == xp.round(y))):
            raise ValueError("one_hot needs integer labels; use encode_labels first")
        y = y.astype(xp.int64)
    if y.size and (int(y.min()) < 0 or int(y.max()) >= C):
        raise ValueError(f"labels run from {int(y.min())} to {int(y.max())}; need 0..{C - 1}")
    check_size(C * y.size * numpy.dtype(dtype).itemsize, f"one-hot labels ({C} x {y.size})")
    out = xp.zeros((C, y.size), dtype=dtype)  # not eye(C)[y]: that is C x C whatever m is
    out[y, xp.arange(y.size)] = 1
    return out


def labels_to_row(y: Any) -> Any:
    """Labels ``(m,)`` or ``(m, 1)`` -> the course's row ``Y`` ``(1, m)``."""
    xp = get_xp()
    return xp.asarray(y).reshape(1, -1)


def encode_labels(y: Any) -> tuple[numpy.ndarray, list[Any]]:
    """Arbitrary labels -> ``(codes (m,) int64 in 0..C-1, classes)``; ``classes`` sorted.

    ``classes[code]`` is the original label, so ``numpy.asarray(classes)[codes] == y``.
    """
    arr = numpy.asarray(to_numpy(y)).reshape(-1)
    classes, codes = numpy.unique(arr, return_inverse=True)
    return codes.astype(numpy.int64).reshape(-1), classes.tolist()


def _default_fractions(m: int) -> tuple[float, float, float]:
    # Course 2: 60/20/20 for small data; 98/1/1 in the big-data era.
    return (0.6, 0.2, 0.2) if m < 100_000 else (0.98, 0.01, 0.01)


def train_dev_test_split(
    x: Any,
    y: Any,
    fractions: Sequence[float] | None = None,
    seed: int = 0,
    axis: int = 0,
) -> tuple[tuple[Any, Any], tuple[Any, Any], tuple[Any, Any]]:
    """Seeded shuffle, then ``(x_train, y_train), (x_dev, y_dev), (x_test, y_test)``.

    ``axis`` is the examples axis of ``x`` (0 for ``(m, ...)``, 1 for the course's
    ``(n_x, m)``); ``y`` uses the same axis when it has that many dimensions,
    else axis 0.  ``fractions`` default: 60/20/20 when m < 100,000, else 98/1/1.
    The dev and test sizes are ``round(f * m)``; train takes the rest.
    """
    xp = get_xp()
    x = xp.asarray(x)
    y = xp.asarray(y)
    m = int(x.shape[axis])
    y_axis = axis if y.ndim > axis else 0
    if int(y.shape[y_axis]) != m:
        raise ValueError(f"x has {m} examples on axis {axis} but y has {y.shape[y_axis]}")
    f = tuple(float(v) for v in (fractions if fractions is not None else _default_fractions(m)))
    if len(f) != 3 or min(f) < 0 or abs(sum(f) - 1.0) > 1e-6:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {f}")
    n_dev = int(round(f[1] * m))
    n_test = int(round(f[2] * m))
    n_train = m - n_dev - n_test
    perm = numpy.random.default_rng(seed).permutation(m)
    parts = (perm[:n_train], perm[n_train : n_train + n_dev], perm[n_train + n_dev :])
    out = []
    for idx in parts:
        i = xp.asarray(idx)
        out.append((xp.take(x, i, axis=axis), xp.take(y, i, axis=y_axis)))
    return out[0], out[1], out[2]
