"""Slow reference convolution and pooling, looping over positions exactly as the notes do.

Used only by the tests, to check the vectorized layers in :mod:`glassnet.layers.conv` and
:mod:`glassnet.layers.pooling`.  Loops run over the examples i, the output positions
(h, w) and the channels c; every step is the notes' "sum(sum(a_slice * F))".

Shapes: ``A_prev`` (m, n_H_prev, n_W_prev, n_C_prev), ``W`` (f, f, n_C_prev, n_C),
``b`` (1, 1, 1, n_C), ``hparameters`` {"stride": s, "pad": p} (pooling: {"stride": s, "f": f}).
Unlike the layers, ``conv_backward`` returns the *sums* dW = sum_i ..., db = sum_i ...
(no 1/m), as the notes' derivation writes them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def zero_pad(X: np.ndarray, pad: int) -> np.ndarray:
    """Pad the height and width of every image of X (m, n_H, n_W, n_C) with ``pad`` zeros."""
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant")


def conv_single_step(a_slice_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:
    """Z = sum(a_slice_prev * W) + b: one filter on one window (f, f, n_C_prev)."""
    return float(np.sum(a_slice_prev * W) + float(np.squeeze(b)))


def conv_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, hparameters: dict
) -> tuple[np.ndarray, tuple]:
    """Z (m, n_H, n_W, n_C) with n_H = floor((n_H_prev + 2p - f) / s) + 1."""
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    s, pad = hparameters["stride"], hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) // s + 1
    n_W = (n_W_prev + 2 * pad - f) // s + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * s
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * s
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[..., c], b[..., c])
    return Z, (A_prev, W, b, hparameters)


def conv_backward(dZ: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dA_prev, dW, db of conv_forward (dW, db summed over the examples).

    da_prev_pad[window] += W[:, :, :, c] * dZ[i, h, w, c]
    dW[:, :, :, c]      += a_slice * dZ[i, h, w, c]
    db[:, :, :, c]      += dZ[i, h, w, c]
    """
    A_prev, W, b, hparameters = cache
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f, _, _, n_C = W.shape
    s, pad = hparameters["stride"], hparameters["pad"]
    _, n_H, n_W, _ = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vs, hs = h * s, w * s
                    a_slice = a_prev_pad[vs:vs + f, hs:hs + f, :]
                    da_prev_pad[vs:vs + f, hs:hs + f, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :] if pad else da_prev_pad
    return dA_prev, dW, db


def pool_forward(A_prev: np.ndarray, hparameters: dict, mode: str = "max") -> tuple[Any, tuple]:
    """A (m, n_H, n_W, n_C): the max (or average) of every f x f window, per channel."""
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    f, s = hparameters["f"], hparameters["stride"]
    n_H = (n_H_prev - f) // s + 1
    n_W = (n_W_prev - f) // s + 1
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    a_slice = A_prev[i, h * s:h * s + f, w * s:w * s + f, c]
                    A[i, h, w, c] = np.max(a_slice) if mode == "max" else np.mean(a_slice)
    return A, (A_prev, hparameters)


def create_mask_from_window(x: np.ndarray) -> np.ndarray:
    """True where x holds its maximum (the entry that max pooling passed on)."""
    return x == np.max(x)


def distribute_value(dz: float, shape: tuple[int, int]) -> np.ndarray:
    """Spread dz evenly over a window of ``shape`` (the average pooling backward)."""
    n_H, n_W = shape
    return np.ones(shape) * dz / (n_H * n_W)


def pool_backward(dA: np.ndarray, cache: tuple, mode: str = "max") -> np.ndarray:
    """dA_prev: each dA routed to the window's max (max) or spread evenly (average)."""
    A_prev, hparameters = cache
    f, s = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vs, hs = h * s, w * s
                    if mode == "max":
                        a_slice = A_prev[i, vs:vs + f, hs:hs + f, c]
                        mask = create_mask_from_window(a_slice)
                        dA_prev[i, vs:vs + f, hs:hs + f, c] += mask * dA[i, h, w, c]
                    else:
                        dA_prev[i, vs:vs + f, hs:hs + f, c] += distribute_value(
                            dA[i, h, w, c], (f, f)
                        )
    return dA_prev
