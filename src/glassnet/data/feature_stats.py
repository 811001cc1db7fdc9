"""Per-feature statistics and standardization in float64, a block of rows at a time.

The input pipeline views its examples as a table ``rows (N, F)``: one row per example and
one column per feature for dense data, one row per pixel (time step) and one column per
channel (feature) for images (sequences).  The mean and standard deviation are
accumulated in float64 whatever the data's type, so features around 1e20 (whose squares
overflow float32) still give a finite sigma; standardized values are computed in float64
too and only then cast to the compute dtype, a value that does not fit it being an error
that names the feature.  Each block holds about ``BLOCK_VALUES`` float64 values, so the
temporary memory does not grow with the number of examples.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy

from glassnet.core.errors import GlassnetError
from glassnet.core.limits import check_size

#: float64 values in one block of rows (8 MB)
BLOCK_VALUES = 1 << 20


def _step(n_cols: int) -> int:
    return max(1, BLOCK_VALUES // max(1, n_cols))


def _block64(rows: numpy.ndarray, start: int, stop: int, scale: float | None) -> numpy.ndarray:
    block = rows[start:stop].astype(numpy.float64)
    if scale is not None:
        block *= scale
    return block


def mean_std(
    rows: numpy.ndarray, scale: float | None = None, name: Callable[[int], str] = str
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """float64 ``(mean (F,), std (F,))`` of the columns of ``rows (N, F)`` (times ``scale``).

    Two passes (the mean, then the mean squared deviation), exact for constant
    columns: a zero sigma (a constant feature) becomes 1, so it standardizes to 0.  A
    column whose statistics are not finite (NaN/inf values, or values near 1e154 whose
    squares overflow float64) raises :class:`GlassnetError` naming it (``name(j)``).
    """
    n, f = rows.shape
    total = numpy.zeros(f)
    step = _step(f)
    with numpy.errstate(over="ignore", invalid="ignore"):
        for start in range(0, n, step):
            total += _block64(rows, start, start + step, scale).sum(axis=0)
        mean = total / n
        squares = numpy.zeros(f)
        for start in range(0, n, step):
            block = _block64(rows, start, start + step, scale)
            block -= mean
            block *= block
            squares += block.sum(axis=0)
        std = numpy.sqrt(squares / n)
    bad = ~(numpy.isfinite(mean) & numpy.isfinite(std))
    if bad.any():
        j = int(numpy.flatnonzero(bad)[0])
        what = "contains NaN or inf" if not numpy.isfinite(mean[j]) else (
            "has values too large to standardize (their squares overflow float64)")
        raise GlassnetError(f"training data: {name(j)} {what}")
    std[std == 0] = 1.0
    return mean, std


def standardize_rows(
    rows: numpy.ndarray,
    dtype: numpy.dtype,
    scale: float | None = None,
    mean: numpy.ndarray | None = None,
    std: numpy.ndarray | None = None,
    what: str = "input",
    name: Callable[[int], str] = str,
    columns: bool = False,
) -> numpy.ndarray:
    """``(rows * scale - mean) / std`` computed in float64, returned as ``dtype``: ``(N, F)``,
    or with ``columns`` its transpose ``(F, N)`` (the course's one example per column).

    NaN/inf inputs and results that overflow ``dtype`` (float32 holds up to 3.4e38) raise
    :class:`GlassnetError` naming ``what``, the feature (``name(j)``), the example and the
    largest absolute value, and what to do about it.
    """
    n, f = rows.shape
    dtype = numpy.dtype(dtype)
    check_size(n * f * dtype.itemsize, f"{what}: {n} x {f} values")
    out = numpy.empty((f, n) if columns else (n, f), dtype=dtype)
    limit = float(numpy.finfo(dtype).max) if dtype.kind == "f" else numpy.inf
    step = _step(f)
    for start in range(0, n, step):
        block = _block64(rows, start, start + step, scale)
        finite = numpy.isfinite(block)
        if not finite.all():
            i, j = (int(v[0]) for v in numpy.nonzero(~finite))
            raise GlassnetError(f"{what}: contains NaN or inf ({name(j)} of example "
                                f"{start + i})")
        if mean is not None:
            block -= mean
        if std is not None:
            block /= std
        big = numpy.abs(block) > limit
        if big.any():
            i, j = (int(v[0]) for v in numpy.nonzero(big))
            peak = float(numpy.abs(block[:, j]).max())
            after = " after standardization" if std is not None else ""
            raise GlassnetError(
                f"{what}: {name(j)} of example {start + i} overflows {dtype.name}{after} "
                f"(max |x| = {peak:.3g}, {dtype.name} holds up to {limit:.3g}); "
                "use --dtype float64 or scale the data")
        if columns:
            out[:, start:start + step] = block.T
        else:
            out[start:start + step] = block
    return out
