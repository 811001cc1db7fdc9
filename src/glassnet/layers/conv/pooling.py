"""Pooling layers (Course 4, week 1): max and average over f x f windows, per channel.

Input ``A_prev`` (m, n_H_prev, n_W_prev, n_C), output (m, n_H, n_W, n_C) with

    n_H = floor((n_H_prev + 2p - f) / s) + 1

No parameters to learn.  Computed with one vectorized pass per window offset (di, dj)
(a loop over the f*f kernel positions, never over pixels):

* max:      A = max over offsets of A_prev[h*s + di, w*s + dj]; backward routes dA to the
            position that held the maximum (the notes' mask), adding where windows overlap.
* average:  A = 1/(f*f) sum over offsets; backward spreads dA / (f*f) over the window
            (padding counts as zeros in the average).

``GlobalAvgPool2D`` averages each channel over the whole image: (m, n_H, n_W, n_C) -> (n_C, m),
a dense input (or (m, 1, 1, n_C) with ``keepdims=True``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError
from glassnet.core.kernels import layer_kernels as compiled
from glassnet.layers.base import Layer
from glassnet.layers.conv.geometry import (
    Padding,
    crop,
    kernel_offsets,
    offset_slices,
    output_spatial,
    padding_config,
    resolve_padding,
    spatial_tuple,
    zero_pad,
)


class PoolND(Layer):
    """Pooling over ``ndim`` spatial axes (the shared code path of 1-D, 2-D and 3-D pooling)."""

    owns_index = False
    input_layout = output_layout = "image"
    ndim = 2
    mode = "max"

    def __init__(
        self,
        pool_size: int | Sequence[int] = 2,
        stride: int | Sequence[int] | None = None,
        padding: Padding = "valid",
    ) -> None:
        super().__init__()
        self.pool_size = spatial_tuple(pool_size, self.ndim, "pool_size")
        self.stride = (self.pool_size if stride is None
                       else spatial_tuple(stride, self.ndim, "stride"))
        self.padding = padding
        resolve_padding(padding, (1,) * self.ndim, self.pool_size, self.stride)
        self.pads: tuple[tuple[int, int], ...] = ((0, 0),) * self.ndim

    def config(self) -> dict:
        return {
            "pool_size": list(self.pool_size),
            "stride": list(self.stride),
            "padding": padding_config(self.padding),
        }

    def describe(self) -> str:
        k = "x".join(map(str, self.pool_size))
        return f"{type(self).__name__}({k}, s={self.stride[0]}, {self.padding})"

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_shape) != self.ndim + 1:
            raise ShapeError(f"{self.describe()}: expects {self.ndim}-D examples with channels, "
                             f"got example shape {input_shape}")
        n = input_shape[:-1]
        self.pads = resolve_padding(self.padding, n, self.pool_size, self.stride)
        out = output_spatial(n, self.pool_size, self.stride, self.pads)
        if any(o < 1 for o in out):
            raise ShapeError(f"{self.describe()}: input {input_shape} smaller than the window")
        return (*out, input_shape[-1])

    def _tiles(self, pad_shape: Sequence[int]) -> bool:
        """Whether the windows tile the (padded) input exactly: s = f and out * f = n.

        Then every pixel lies in exactly one window, so backward writes each window's
        share once (no zero fill, no read-modify-write adds).
        """
        f, s, out = self.pool_size, self.stride, self.output_shape[:-1]
        return tuple(f) == tuple(s) and all(
            o * f_i == n for o, f_i, n in zip(out, f, pad_shape[1:-1], strict=True)
        )

    def _compiled(self, A_prev: Any) -> bool:
        """Whether this pass takes :mod:`glassnet.layers.compiled`: 2-D 2x2 windows with
        stride 2 that tile the unpadded input, and an input the kernels accept."""
        return (
            self.ndim == 2
            and tuple(self.pool_size) == (2, 2)
            and tuple(self.stride) == (2, 2)
            and all(a == 0 and b == 0 for a, b in self.pads)
            and compiled.usable(A_prev)
        )

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        """max:  A = max_k A_pad[h s + di_k, w s + dj_k]  (k over the f*f kernel offsets);
        avg:  A = 1/(f*f) sum_k A_pad[h s + di_k, w s + dj_k].

        Max pooling also stores ``code`` (out shape, int8): the first offset k that holds
        the window's maximum, the notes' mask in compact form:
        code = min{k : A_pad[window offset k] == A}.
        """
        xp = get_xp()
        if self.input_shape is None:
            self.build(tuple(A_prev.shape[1:]), None, A_prev.dtype)
        self.check_input(A_prev, 0)
        f, s, out = self.pool_size, self.stride, self.output_shape[:-1]
        m = A_prev.shape[0]
        if self._compiled(A_prev):
            # 2x2 windows, stride 2: one compiled pass (glassnet.layers.compiled)
            A, code = compiled.pool_forward(self.mode, A_prev)
            self.cache = (code, A_prev.shape, m, A_prev.dtype)
            return A
        offsets = list(kernel_offsets(f))
        K = len(offsets)
        if self.mode == "max":
            A_pad = zero_pad(A_prev, self.pads, value=-xp.inf)
            windows = [A_pad[offset_slices(o, s, out)] for o in offsets]
            A = windows[0].copy() if K == 1 else xp.maximum(windows[0], windows[1])
            for window in windows[2:]:
                xp.maximum(A, window, out=A)
            # code = first k with window_k == A: start at K-1 and walk k down, setting
            # code := k where window k holds the max (arithmetic blend, no masked copies)
            code = xp.full(A.shape, K - 1, dtype=xp.int16 if K > 127 else xp.int8)
            for k in range(K - 2, -1, -1):
                code -= (windows[k] == A) * (code - k)
            self.cache = (code, A_pad.shape, m, None)
            return A
        A_pad = zero_pad(A_prev, self.pads)
        if K > 1 and self._tiles(A_pad.shape):
            A = _tile_sum(A_pad, f, out)
        else:
            windows = [A_pad[offset_slices(o, s, out)] for o in offsets]
            A = windows[0].copy() if K == 1 else xp.add(windows[0], windows[1])
            for window in windows[2:]:
                A += window
        A *= 1.0 / K
        self.cache = (None, A_pad.shape, m, None)
        return A

    def backward(self, dA: Any) -> Any:
        """max: dA_pad[window offset k] += (code == k) dA;  avg: += dA / (f*f) (every k)."""
        xp = get_xp()
        code, pad_shape, _, compiled_dtype = self.cache
        if compiled_dtype is not None:  # the forward pass took the compiled kernels
            return compiled.pool_backward(self.mode, dA, code, compiled_dtype)
        f, s, out = self.pool_size, self.stride, self.output_shape[:-1]
        tiles = self._tiles(pad_shape)
        # windows that tile the input: each pixel is written once, so no zero fill or adds
        dA_pad = (xp.empty if tiles else xp.zeros)(pad_shape, dtype=dA.dtype)
        share = dA if self.mode == "max" else dA * (1.0 / math.prod(f))
        if tiles and self.mode != "max":
            # every pixel of window (h, w) gets dA[h, w] / (f*f): one broadcast copy into the
            # (m, o1, f1, o2, f2, ..., C) view of dA_pad
            nd = len(f)
            tiled = dA_pad.reshape(_tile_shape(pad_shape, f, out))
            tiled[...] = share.reshape(_tile_shape(share.shape, (1,) * nd, out))
            return crop(dA_pad, self.pads)
        for k, offset in enumerate(kernel_offsets(f)):
            target = dA_pad[offset_slices(offset, s, out)]
            if self.mode == "max":
                if tiles:
                    xp.multiply(code == k, share, out=target)
                else:
                    target += (code == k) * share
            elif tiles:
                target[...] = share
            else:
                target += share
        return crop(dA_pad, self.pads)


def _tile_shape(shape: Sequence[int], f: Sequence[int], out: Sequence[int]) -> tuple[int, ...]:
    """(m, *spatial, C) with spatial = out * f  ->  (m, o1, f1, o2, f2, ..., C) (a reshape)."""
    dims = [shape[0]]
    for o, f_i in zip(out, f, strict=True):
        dims += [o, f_i]
    return (*dims, shape[-1])


def _tile_sum(A_pad: Any, f: Sequence[int], out: Sequence[int]) -> Any:
    """sum over each window of windows that tile A_pad (s = f), one kernel axis at a time.

    The outer kernel axis is reduced first, while the slices added are long contiguous
    runs (f2 * ... * C values), which is about twice as fast as adding the f*f strided
    window views one by one.
    """
    xp = get_xp()
    v = A_pad.reshape(_tile_shape(A_pad.shape, f, out))  # (m, o1, f1, o2, f2, ..., C)
    for axis_k in range(len(f)):
        axis = 2 + axis_k  # the first remaining kernel axis (earlier ones are gone)
        parts = [v[(slice(None),) * axis + (i,)] for i in range(v.shape[axis])]
        total = xp.add(parts[0], parts[1]) if len(parts) > 1 else parts[0].copy()
        for part in parts[2:]:
            total += part
        v = total
    return v


class MaxPool1D(PoolND):
    """Max pooling of sequences (m, L, n_C)."""

    kind = "maxpool1d"
    ndim = 1
    mode = "max"


class MaxPool2D(PoolND):
    """Max pooling of images (m, n_H, n_W, n_C) over f x f windows with stride s."""

    kind = "maxpool2d"
    ndim = 2
    mode = "max"


class MaxPool3D(PoolND):
    """Max pooling of volumes (m, D, n_H, n_W, n_C)."""

    kind = "maxpool3d"
    ndim = 3
    mode = "max"


class AvgPool1D(PoolND):
    """Average pooling of sequences (m, L, n_C)."""

    kind = "avgpool1d"
    ndim = 1
    mode = "avg"


class AvgPool2D(PoolND):
    """Average pooling of images (m, n_H, n_W, n_C) over f x f windows with stride s."""

    kind = "avgpool2d"
    ndim = 2
    mode = "avg"


class AvgPool3D(PoolND):
    """Average pooling of volumes (m, D, n_H, n_W, n_C)."""

    kind = "avgpool3d"
    ndim = 3
    mode = "avg"


class GlobalAvgPool2D(Layer):
    """A[c, i] = mean over (h, w) of A_prev[i, h, w, c]: (m, n_H, n_W, n_C) -> (n_C, m).

    The output is a dense input (n_C, m), ready for a Dense layer; ``keepdims=True`` keeps
    the image layout (m, 1, 1, n_C) instead.
    """

    kind = "global_avgpool2d"
    owns_index = False
    input_layout = "image"

    @property
    def output_layout(self) -> str:  # type: ignore[override]
        """(n_C, m) dense, or (m, 1, 1, n_C) image with ``keepdims``."""
        return "image" if self.keepdims else "dense"

    def __init__(self, keepdims: bool = False) -> None:
        super().__init__()
        self.keepdims = bool(keepdims)

    def config(self) -> dict:
        return {"keepdims": self.keepdims}

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_shape) != 3:
            raise ShapeError(f"GlobalAvgPool2D: expects images (n_H, n_W, n_C), got {input_shape}")
        return (1, 1, input_shape[-1]) if self.keepdims else (input_shape[-1],)

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        if A_prev.ndim != 4:
            raise ShapeError(f"GlobalAvgPool2D: expects (m, n_H, n_W, n_C), got {A_prev.shape}")
        self.cache = A_prev.shape
        A = A_prev.mean(axis=(1, 2), dtype=A_prev.dtype)  # (m, n_C)
        return A.reshape(A.shape[0], 1, 1, A.shape[1]) if self.keepdims else A.T

    def backward(self, dA: Any) -> Any:
        xp = get_xp()
        m, n_H, n_W, n_C = self.cache
        dA = dA.reshape(m, n_C) if self.keepdims else dA.T  # (m, n_C)
        share = (dA * (1.0 / (n_H * n_W))).reshape(m, 1, 1, n_C)
        return xp.broadcast_to(share, (m, n_H, n_W, n_C)).copy()
