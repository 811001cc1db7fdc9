"""Pooling as the notes' equations, vectorized over the f*f window offsets (plain NumPy).

``A_prev`` (m, *spatial, C), windows of f with stride s, per channel.  With the window
offsets k = (di, dj) and ``window_k = A_pad[:, h*s + di, w*s + dj, :]`` (m, n_H, n_W, C)::

    max:      A = max_k window_k             code = argmax_k window_k  (the notes' mask)
              dA_pad[window k] += (code == k) * dA
    average:  A = 1/(f f) sum_k window_k     (padding counts as zeros)
              dA_pad[window k] += dA / (f f)

``code`` is the notes' ``create_mask_from_window`` in compact form: the first offset that
holds the window's maximum (ties go to the first, as the mask's ``x == max(x)`` would give
every tied position; the gradient goes to one).  :mod:`glassnet.layers.conv.pool_fast` has
the same functions made fast; :mod:`glassnet.layers.conv.reference` the notes' loops.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.layers.conv.geometry import crop, kernel_offsets, offset_slices, zero_pad


def pool_forward(
    A_prev: Any, mode: str, f: Sequence[int], s: Sequence[int],
    pads: Sequence[tuple[int, int]], out: Sequence[int],
) -> tuple[Any, tuple]:
    """(A, cache): A (m, *out, C) the max or average of each window; ``cache`` is what
    :func:`pool_backward` needs ((code, padded shape); code None for the average)."""
    xp = get_xp()
    fill = -xp.inf if mode == "max" else 0.0
    A_pad = zero_pad(A_prev, pads, value=fill)
    windows = xp.stack([A_pad[offset_slices(k, s, out)] for k in kernel_offsets(f)])
    if mode == "max":  # windows (K, m, *out, C)
        return windows.max(axis=0), (windows.argmax(axis=0), A_pad.shape)
    return windows.mean(axis=0), (None, A_pad.shape)


def pool_backward(
    dA: Any, cache: tuple, mode: str, f: Sequence[int], s: Sequence[int],
    pads: Sequence[tuple[int, int]], out: Sequence[int],
) -> Any:
    """dA_prev (m, *spatial, C): dA routed to each window's maximum, or spread evenly over
    the window for the average; overlapping windows add up."""
    xp = get_xp()
    code, pad_shape = cache
    dA_pad = xp.zeros(pad_shape, dtype=dA.dtype)
    for k, offset in enumerate(kernel_offsets(f)):
        share = (code == k) * dA if mode == "max" else dA / math.prod(f)
        dA_pad[offset_slices(offset, s, out)] += share
    return crop(dA_pad, pads)
