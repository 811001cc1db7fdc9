"""The functions of :mod:`glassnet.layers.conv.pool_plain`, made fast: same arguments and numbers.

* 2x2 windows with stride 2 that tile an unpadded input: one compiled pass forward and one
  backward (:mod:`glassnet.core.kernels.layer_kernels`);
* max pooling without stacking the windows: a running maximum over the f*f offsets, and
  the first offset holding it found by an arithmetic blend (no masked copies);
* windows that tile the input (s = f): each pixel is written once in backward (no zero
  fill, no read-modify-write adds), and the average is summed one kernel axis at a time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.kernels import layer_kernels as compiled
from glassnet.layers.conv.geometry import crop, kernel_offsets, offset_slices, zero_pad


def takes_compiled(A_prev: Any, f: Sequence[int], s: Sequence[int],
                   pads: Sequence[tuple[int, int]]) -> bool:
    """Whether the compiled kernels take this pass: 2-D 2x2 windows, stride 2, no padding,
    and an input they accept."""
    return (tuple(f) == (2, 2) and tuple(s) == (2, 2)
            and all(a == 0 and b == 0 for a, b in pads) and compiled.usable(A_prev))


def tiles(f: Sequence[int], s: Sequence[int], out: Sequence[int], pad_shape: Sequence[int]
          ) -> bool:
    """Whether the windows tile the (padded) input exactly: s = f and out * f = n."""
    return tuple(f) == tuple(s) and all(
        o * f_i == n for o, f_i, n in zip(out, f, pad_shape[1:-1], strict=True))


def pool_forward(
    A_prev: Any, mode: str, f: Sequence[int], s: Sequence[int],
    pads: Sequence[tuple[int, int]], out: Sequence[int],
) -> tuple[Any, tuple]:
    """:func:`glassnet.layers.conv.pool_plain.pool_forward`; ``cache`` (code, padded shape,
    the dtype when the compiled kernels ran)."""
    xp = get_xp()
    if takes_compiled(A_prev, f, s, pads):
        A, code = compiled.pool_forward(mode, A_prev)
        return A, (code, A_prev.shape, A_prev.dtype)
    offsets = list(kernel_offsets(f))
    K = len(offsets)
    if mode == "max":
        A_pad = zero_pad(A_prev, pads, value=-xp.inf)
        windows = [A_pad[offset_slices(o, s, out)] for o in offsets]
        A = windows[0].copy() if K == 1 else xp.maximum(windows[0], windows[1])
        for window in windows[2:]:
            xp.maximum(A, window, out=A)
        # code = first k with window_k == A: start at K-1 and walk k down, setting
        # code := k where window k holds the max
        code = xp.full(A.shape, K - 1, dtype=xp.int16 if K > 127 else xp.int8)
        for k in range(K - 2, -1, -1):
            code -= (windows[k] == A) * (code - k)
        return A, (code, A_pad.shape, None)
    A_pad = zero_pad(A_prev, pads)
    if K > 1 and tiles(f, s, out, A_pad.shape):
        A = _tile_sum(A_pad, f, out)
    else:
        windows = [A_pad[offset_slices(o, s, out)] for o in offsets]
        A = windows[0].copy() if K == 1 else xp.add(windows[0], windows[1])
        for window in windows[2:]:
            A += window
    A *= 1.0 / K
    return A, (None, A_pad.shape, None)


def pool_backward(
    dA: Any, cache: tuple, mode: str, f: Sequence[int], s: Sequence[int],
    pads: Sequence[tuple[int, int]], out: Sequence[int],
) -> Any:
    """:func:`glassnet.layers.conv.pool_plain.pool_backward`."""
    xp = get_xp()
    code, pad_shape, compiled_dtype = cache
    if compiled_dtype is not None:  # the forward pass took the compiled kernels
        return compiled.pool_backward(mode, dA, code, compiled_dtype)
    tiled = tiles(f, s, out, pad_shape)
    # windows that tile the input: each pixel is written once, so no zero fill or adds
    dA_pad = (xp.empty if tiled else xp.zeros)(pad_shape, dtype=dA.dtype)
    share = dA if mode == "max" else dA * (1.0 / math.prod(f))
    if tiled and mode != "max":
        # every pixel of window (h, w) gets dA[h, w] / (f*f): one broadcast copy into the
        # (m, o1, f1, o2, f2, ..., C) view of dA_pad
        view = dA_pad.reshape(_tile_shape(pad_shape, f, out))
        view[...] = share.reshape(_tile_shape(share.shape, (1,) * len(f), out))
        return crop(dA_pad, pads)
    for k, offset in enumerate(kernel_offsets(f)):
        target = dA_pad[offset_slices(offset, s, out)]
        if mode == "max":
            if tiled:
                xp.multiply(code == k, share, out=target)
            else:
                target += (code == k) * share
        elif tiled:
            target[...] = share
        else:
            target += share
    return crop(dA_pad, pads)


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
