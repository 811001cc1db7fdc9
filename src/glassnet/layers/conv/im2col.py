"""The convolution as the notes' equations, in plain NumPy: im2col and one matrix product each.

Forward, ``A_prev`` (m, n_H_prev, n_W_prev, C) and ``W`` (f, f, C, N)::

    A_pad = zero_pad(A_prev, p)            (m, n_H_prev + 2p, n_W_prev + 2p, C)
    cols  = im2col(A_pad)                  (m n_H n_W, f f C)     one row per window
    Z     = cols @ W2 + b                  (m n_H n_W, N)         W2 = W.reshape(f f C, N)

Backward, from ``dZ`` (m, n_H, n_W, N) read as dZ2 (m n_H n_W, N)::

    dW      = 1/m cols^T @ dZ2             (f f C, N)
    db      = 1/m sum over rows of dZ2     (N,)
    dcols   = dZ2 @ W2^T                   (m n_H n_W, f f C)
    dA_prev = crop(col2im(dcols), p)       (m, n_H_prev, n_W_prev, C)

``col2im`` is the adjoint of ``im2col``: each window row is added back onto the pixels it
was copied from, so overlapping windows (s < f) add up.  Any number of spatial axes
(1-D sequences, 3-D volumes) goes through the same code.

:mod:`glassnet.layers.conv.fast` has the same functions, with the same arguments and
results, made fast (cache blocking, two output pixels per row, compiled kernels);
:mod:`glassnet.layers.conv.reference` has the notes' loops.  The tests hold the three equal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.layers.conv.geometry import (
    ConvGeometry,
    crop,
    kernel_offsets,
    offset_slices,
    window_view,
    zero_pad,
)


def im2col(A_pad: Any, f: Sequence[int], s: Sequence[int], out: Sequence[int]) -> Any:
    """cols (m * prod(out), prod(f) * C): row (i, h, w) is the window of example i at (h, w).

    ``cols[(i, h, w), (di, dj, c)] = A_pad[i, h*s + di, w*s + dj, c]``
    """
    view = window_view(A_pad, f, s, out)  # (m, *out, *f, C), a strided view (no copy)
    m, C = A_pad.shape[0], A_pad.shape[-1]
    return view.reshape(m * math.prod(out), math.prod(f) * C)  # the one copy


def col2im(
    dcols: Any, pad_shape: Sequence[int], f: Sequence[int], s: Sequence[int], out: Sequence[int]
) -> Any:
    """dA_pad (pad_shape): the adjoint of :func:`im2col`,

    ``dA_pad[i, h*s + di, w*s + dj, c] += dcols[(i, h, w), (di, dj, c)]``,

    one vectorized add per kernel offset (di, dj), never a loop over pixels.
    """
    xp = get_xp()
    m, C = pad_shape[0], pad_shape[-1]
    dv = dcols.reshape(m, *out, *f, C)
    lead = (slice(None),) * (1 + len(f))
    dA_pad = xp.zeros(tuple(pad_shape), dtype=dcols.dtype)
    for offset in kernel_offsets(f):
        dA_pad[offset_slices(offset, s, out)] += dv[(*lead, *offset, slice(None))]
    return dA_pad


def conv_forward(
    A_prev: Any, W: Any, b: Any, geo: ConvGeometry,
    g_inplace: Callable[[Any], Any] | None = None, work: Any = None,
) -> tuple[Any, Any]:
    """(Z, saved): Z (m, *out, N) = im2col(zero_pad(A_prev)) @ W2 + b, or g(Z) when an
    element-wise in-place activation ``g_inplace`` is given; ``saved`` is what
    :func:`conv_backward` needs (here the padded input).  ``b`` may be None (no bias);
    ``work`` (kept buffers) is unused by the plain version."""
    m = A_prev.shape[0]
    A_pad = zero_pad(A_prev, geo.pads)
    cols = im2col(A_pad, geo.f, geo.s, geo.out)  # (m * prod(out), prod(f) * C)
    Z = cols @ W.reshape(-1, geo.N)  # (m * prod(out), N)
    if b is not None:
        Z += b.reshape(geo.N)
    if g_inplace is not None:
        Z = g_inplace(Z)
    return Z.reshape(m, *geo.out, geo.N), A_pad


def conv_backward(
    delta: Any, saved: Any, W: Any, geo: ConvGeometry, *, activation: Any = None,
    A: Any = None, use_bias: bool = True, weight_grad: bool = True, input_grad: bool = True,
    work: Any = None,
) -> tuple[Any, Any, Any]:
    """(dA_prev, dW, db) from ``delta`` = dZ (m, *out, N), or from ``delta`` = dA when an
    element-wise ``activation`` is given (dZ = dA * g'(Z), g' found from the output ``A``).

    dW (*f, C, N) and db (1, ..., 1, N) are None when ``weight_grad`` is False (a frozen
    layer), db also without a bias; dA_prev is None when ``input_grad`` is False.
    """
    m = delta.shape[0]
    dZ = delta if activation is None else activation.backward(delta, A, A)
    dZ2 = dZ.reshape(-1, geo.N)  # (m * prod(out), N)
    W2 = W.reshape(-1, geo.N)  # (prod(f) * C, N)
    dW = db = dA_prev = None
    if weight_grad:
        cols = im2col(saved, geo.f, geo.s, geo.out)
        dW = (cols.T @ dZ2 / m).reshape(W.shape)
        if use_bias:
            db = (dZ2.sum(axis=0) / m).reshape((1,) * (len(geo.f) + 1) + (geo.N,))
    if input_grad:
        dcols = dZ2 @ W2.T  # (m * prod(out), prod(f) * C)
        dA_pad = col2im(dcols, geo.padded_input(m), geo.f, geo.s, geo.out)
        dA_prev = crop(dA_pad, geo.pads)
    return dA_prev, dW, db
