"""The geometry of a convolution or pooling window: sizes, padding, window views.

Layout (DESIGN.md): channels last, ``A`` (m, *spatial, n_C), e.g. images (m, n_H, n_W, n_C).
Output size (the notes)::

    n_H = floor((n_H_prev + 2p - f) / s) + 1

Nothing here computes a convolution: these are the shapes, the padding (``zero_pad`` /
``crop``) and the strided window views (no copy) that :mod:`glassnet.layers.conv.im2col`,
:mod:`glassnet.layers.conv.fast` and the pooling layers read from.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from glassnet.core.backend import get_xp

Padding = str | int | Sequence[int] | Sequence[Sequence[int]]


@dataclass(frozen=True)
class ConvGeometry:
    """One convolution's sizes: filter ``f``, stride ``s``, padding ``pads`` ((before, after)
    per spatial axis), input ``n_in`` and output ``out`` spatial sizes, ``C`` = n_C_prev input
    channels, ``N`` = n_C filters.  ``W`` is (*f, C, N)."""

    f: tuple[int, ...]
    s: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    n_in: tuple[int, ...]
    out: tuple[int, ...]
    C: int
    N: int

    @property
    def pointwise(self) -> bool:
        """A 1x1 filter and no padding: the convolution is a reshape and one matrix product."""
        return all(f == 1 for f in self.f) and all(a == 0 and b == 0 for a, b in self.pads)

    @property
    def rows(self) -> int:
        """Output pixels per example: prod(out), the rows of cols per example."""
        return math.prod(self.out)

    def padded_input(self, m: int) -> tuple[int, ...]:
        """(m, *(n_in + p_before + p_after), C)."""
        return padded_shape((m, *self.n_in, self.C), self.pads)


def conv_output_size(n: int, f: int, p: int = 0, s: int = 1) -> int:
    """n_out = floor((n + 2p - f) / s) + 1 (the notes' formula)."""
    return (int(n) + 2 * int(p) - int(f)) // int(s) + 1


def spatial_tuple(value: int | Sequence[int], ndim: int, what: str) -> tuple[int, ...]:
    """``value`` as ``ndim`` positive integers (one int is repeated): a kernel size or stride."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        out = (int(value),) * ndim
    else:
        out = tuple(int(v) for v in value)  # type: ignore[union-attr]
    if len(out) != ndim or any(v < 1 for v in out):
        raise ValueError(f"{what} must be a positive integer or {ndim} of them, got {value!r}")
    return out


def resolve_padding(
    padding: Padding, n: Sequence[int], f: Sequence[int], s: Sequence[int]
) -> tuple[tuple[int, int], ...]:
    """(before, after) zero padding per spatial axis.

    ``"valid"``: p = 0.  ``"same"``: n_out = ceil(n / s); the total padding
    (n_out - 1) s + f - n is split with the extra pixel after (p = (f - 1)/2 on each
    side for odd f and s = 1, the notes' "same").  An integer p pads p on both sides;
    a sequence gives p per axis or (before, after) pairs.
    """
    ndim = len(n)
    if isinstance(padding, str):
        key = padding.lower()
        if key == "valid":
            return ((0, 0),) * ndim
        if key == "same":
            pads = []
            for n_i, f_i, s_i in zip(n, f, s, strict=True):
                out = -(-n_i // s_i)
                total = max((out - 1) * s_i + f_i - n_i, 0)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"padding must be 'valid', 'same' or an integer, got {padding!r}")
    if isinstance(padding, int | float) and not isinstance(padding, bool):
        p = int(padding)
        if p < 0:
            raise ValueError(f"padding must be >= 0, got {padding}")
        return ((p, p),) * ndim
    items = list(padding)
    if len(items) != ndim:
        raise ValueError(f"padding needs {ndim} entries, got {padding!r}")
    pads = []
    for item in items:
        if isinstance(item, int | float):
            pads.append((int(item), int(item)))
        else:
            a, b = item
            pads.append((int(a), int(b)))
    if any(a < 0 or b < 0 for a, b in pads):
        raise ValueError(f"padding must be >= 0, got {padding!r}")
    return tuple(pads)


def padding_config(padding: Padding) -> Any:
    """``padding`` as JSON (tuples become lists)."""
    if isinstance(padding, str | int):
        return padding
    return [list(p) if not isinstance(p, int) else p for p in padding]  # type: ignore[union-attr]


def output_spatial(
    n: Sequence[int], f: Sequence[int], s: Sequence[int], pads: Sequence[tuple[int, int]]
) -> tuple[int, ...]:
    """floor((n + p_before + p_after - f) / s) + 1 per spatial axis."""
    return tuple(
        (n_i + a + b - f_i) // s_i + 1 for n_i, f_i, s_i, (a, b) in zip(n, f, s, pads, strict=True)
    )


def padded_shape(shape: Sequence[int], pads: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """(m, *spatial, C) -> (m, *(n + p_before + p_after), C)."""
    spatial = (n + a + b for n, (a, b) in zip(shape[1:-1], pads, strict=True))
    return (shape[0], *spatial, shape[-1])


def zero_pad(A: Any, pads: Sequence[tuple[int, int]], value: float = 0.0) -> Any:
    """Pad the spatial axes of (m, *spatial, C) with ``value`` (one allocation, one copy)."""
    if all(a == 0 and b == 0 for a, b in pads):
        return A
    xp = get_xp()
    shape = padded_shape(A.shape, pads)
    out = xp.full(shape, value, dtype=A.dtype) if value else xp.zeros(shape, dtype=A.dtype)
    spatial = A.shape[1:-1]
    inner = (slice(None), *(slice(a, a + n) for n, (a, _) in zip(spatial, pads, strict=True)))
    out[inner] = A
    return out


def crop(A: Any, pads: Sequence[tuple[int, int]]) -> Any:
    """Inverse of :func:`zero_pad`: a view without the padding."""
    if all(a == 0 and b == 0 for a, b in pads):
        return A
    spatial = A.shape[1:-1]
    inner = (slice(None), *(slice(a, n - b) for n, (a, b) in zip(spatial, pads, strict=True)))
    return A[inner]


def window_view(A_pad: Any, f: Sequence[int], s: Sequence[int], out: Sequence[int]) -> Any:
    """Read-only strided view (m, *out, *f, C) of all windows of ``A_pad`` (no copy).

    ``view[i, h, w, di, dj, c] = A_pad[i, h*s + di, w*s + dj, c]``.
    """
    xp = get_xp()
    st = A_pad.strides
    spatial = st[1:-1]
    shape = (A_pad.shape[0], *out, *f, A_pad.shape[-1])
    strides = (st[0], *(a * b for a, b in zip(spatial, s, strict=True)), *spatial, st[-1])
    return xp.lib.stride_tricks.as_strided(A_pad, shape=shape, strides=strides)


def channels_first_window_view(
    A_pad: Any, f: Sequence[int], s: Sequence[int], out: Sequence[int]
) -> Any:
    """The windows of ``A_pad`` (m, *spatial, C) as a view (*f, C, m, *out) of a
    channels-first copy (m, C, *spatial): ``view[di, dj, c, i, h, w] =
    A_pad[i, h*s + di, w*s + dj, c]``, with unit stride along w when s = 1."""
    xp = get_xp()
    A_cf = xp.ascontiguousarray(xp.moveaxis(A_pad, -1, 1))  # (m, C, *spatial)
    st = A_cf.strides
    spatial = st[2:]
    shape = (*f, A_pad.shape[-1], A_pad.shape[0], *out)
    strides = (*spatial, st[1], st[0], *(a * b for a, b in zip(spatial, s, strict=True)))
    return xp.lib.stride_tricks.as_strided(A_cf, shape=shape, strides=strides)


def offset_slices(
    offset: Sequence[int], s: Sequence[int], out: Sequence[int]
) -> tuple[slice, ...]:
    """Index of the pixels that kernel position ``offset`` touches, for every output position."""
    return (
        slice(None),
        *(slice(o, o + s_i * (n - 1) + 1, s_i) for o, s_i, n in zip(offset, s, out, strict=True)),
        slice(None),
    )


def kernel_offsets(f: Sequence[int]) -> itertools.product:
    """All kernel positions (di, dj, ...): a loop over f*f offsets, not over pixels."""
    return itertools.product(*(range(f_i) for f_i in f))
