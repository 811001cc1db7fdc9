"""Compiled CPU kernels for the layers' memory-bound passes, through numba (optional).

The layers are written as vectorized NumPy: each line of an equation is one pass over
memory.  For the passes that do little arithmetic per value, several such passes cost
more than the matrix products around them, so on NumPy arrays these kernels do the same
work in one pass (the loops are compiled by numba, and vectorized over channels):

* **2x2 pooling with stride 2** (LeNet-5, VGG, the SIGNS ConvNet).  For an input
  (m, n_H, n_W, n_C) with even n_H and n_W the window of output (h, w) holds

      x0 = A_prev[2h, 2w],      x1 = A_prev[2h, 2w + 1],
      x2 = A_prev[2h + 1, 2w],  x3 = A_prev[2h + 1, 2w + 1]

  (offset k = 2 di + dj, the order of :func:`glassnet.layers.conv.kernel_offsets`), and

  - max:      A = max(x0, x1, x2, x3),  code = the first k whose x_k equals A (the
              notes' mask); backward  dA_prev[offset k] = dA where code == k, else 0;
  - average:  A = ((x0 + x2) + (x1 + x3)) * 1/4 (the NumPy path's order of sums, so the
              two agree bit for bit); backward  dA_prev[every offset] = dA * 1/4.

  A NaN in a window makes A NaN (as ``numpy.maximum`` does); its code is then unspecified.
* **a convolution's ReLU**: backward dZ = dA where A > 0, else 0, written straight where
  dZ goes (no mask array, no copy); forward A = max(Z + b, 0) on each block of Z.
* **col2im**, the scatter-add of window rows back to pixels in a convolution's input
  gradient: dA_pad[i, h s + di, w s + dj, c] += dcols[(i, h, w), (di, dj, c)], and its
  mirror **im2col**, cols[(i, h, w), (di, dj, c)] = A_pad[i, h s + di, w s + dj, c]: a
  window row's f_W * C values are one contiguous run in both arrays, so each is f_H
  vectorized copies per output pixel (NumPy's strided copy pays a per-run overhead).

They are used for C-contiguous float32/float64 NumPy arrays of at least
:data:`MIN_ELEMENTS` values (smaller ones never import numba) unless ``GLASSNET_FUSED=0``;
everything else takes the NumPy path, which is also the reference the tests compare with.
Every index is unsigned (uint64 sizes), so numba emits no negative-index wraparound and
the inner loops vectorize.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from glassnet.core.kernels import optimizer_kernels as fused

#: an input needs this many values before the compiled kernels are used
MIN_ELEMENTS = 1 << 17

_KERNELS: dict[str, Callable[..., None]] | None = None


def _kernels() -> dict[str, Callable[..., None]] | None:
    global _KERNELS
    if _KERNELS is not None:
        return _KERNELS
    jit = fused.numba_jit()
    if jit is None:
        return None

    # Flat C-order arrays.  Pooling: X is the input (m, H, W, C), A / dA the output
    # (m, H/2, W/2, C), walked window by window (win over the m * H/2 * W/2 outputs).
    @jit
    def window(win, o2, C):
        # where window ``win`` starts: o in A, s0 / s2 its top / bottom row in X (x0 / x2)
        two = numpy.uint64(2)
        row = o2 * two * C  # one input row: W * C values
        s0 = (win // o2) * two * row + (win % o2) * two * C
        return win * C, s0, s0 + row

    @jit
    def max_forward(X, A, code, windows, o2, C):
        for win in range(windows):
            o, s0, s2 = window(win, o2, C)
            for c in range(C):
                x0 = X[s0 + c]
                x1 = X[s0 + C + c]
                x2 = X[s2 + c]
                x3 = X[s2 + C + c]
                # "b > a or b != b": a NaN wins, as in numpy.maximum
                t01 = (x1 > x0) | (x1 != x1)
                m01 = x1 if t01 else x0
                t23 = (x3 > x2) | (x3 != x3)
                m23 = x3 if t23 else x2
                t = (m23 > m01) | (m23 != m23)
                A[o + c] = m23 if t else m01
                k01 = numpy.int8(1) if t01 else numpy.int8(0)
                k23 = numpy.int8(3) if t23 else numpy.int8(2)
                code[o + c] = k23 if t else k01

    @jit
    def max_backward(dA, code, dX, windows, o2, C):
        zero = dX.dtype.type(0)
        for win in range(windows):
            o, s0, s2 = window(win, o2, C)
            for c in range(C):
                g = dA[o + c]
                k = code[o + c]
                dX[s0 + c] = g if k == 0 else zero
                dX[s0 + C + c] = g if k == 1 else zero
                dX[s2 + c] = g if k == 2 else zero
                dX[s2 + C + c] = g if k == 3 else zero

    @jit
    def avg_forward(X, A, windows, o2, C):
        quarter = A.dtype.type(0.25)
        for win in range(windows):
            o, s0, s2 = window(win, o2, C)
            for c in range(C):
                A[o + c] = ((X[s0 + c] + X[s2 + c]) + (X[s0 + C + c] + X[s2 + C + c])) \
                    * quarter

    @jit
    def avg_backward(dA, dX, windows, o2, C):
        quarter = dX.dtype.type(0.25)
        for win in range(windows):
            o, s0, s2 = window(win, o2, C)
            for c in range(C):
                g = dA[o + c] * quarter
                dX[s0 + c] = g
                dX[s0 + C + c] = g
                dX[s2 + c] = g
                dX[s2 + C + c] = g

    @jit
    def relu_backward(dA, A, dZ):
        # dZ = dA where A > 0, else 0 (flat)
        zero = dZ.dtype.type(0)
        for i in range(dZ.size):
            dZ[i] = dA[i] if A[i] > 0 else zero

    @jit
    def bias_relu(Z, b, rows, N, relu):
        # Z = Z + b (over the rows), then max(Z, 0) when relu; in place, (rows, N)
        zero = Z.dtype.type(0)
        for r in range(rows):
            o = r * N
            if relu:
                for n in range(N):
                    z = Z[o + n] + b[n]
                    Z[o + n] = z if (z > zero) | (z != z) else zero
            else:
                for n in range(N):
                    Z[o + n] += b[n]

    @jit
    def window_run(i, i0, h, w, di, o1, o2, f1, s1, s2, Hp, Wp, C, run):
        # window row di of output pixel (i, h, w): its offset in cols (m o1 o2, f1 f2 C) and
        # in the image (example i0 + i of (m', Hp, Wp, C)); a run of f2 * C values in both
        col = ((i * o1 + h) * o2 + w) * f1 * run + di * run
        img = (((i0 + i) * Hp + h * s1 + di) * Wp + w * s2) * C
        return col, img

    @jit
    def col2im(dcols, dX, m, o1, o2, f1, f2, s1, s2, Hp, Wp, C):
        # dX (m, Hp, Wp, C) += the window rows dcols (m o1 o2, f1 f2 C)
        run = f2 * C
        for i in range(m):
            for h in range(o1):
                for w in range(o2):
                    for di in range(f1):
                        col, img = window_run(i, 0, h, w, di, o1, o2, f1, s1, s2, Hp, Wp, C,
                                              run)
                        for j in range(run):
                            dX[img + j] += dcols[col + j]

    @jit
    def im2col(X, cols, i0, m, o1, o2, f1, f2, s1, s2, Hp, Wp, C):
        # cols (m o1 o2, f1 f2 C) = the window rows of examples i0 .. i0 + m - 1 of X
        run = f2 * C
        for i in range(m):
            for h in range(o1):
                for w in range(o2):
                    for di in range(f1):
                        col, img = window_run(i, i0, h, w, di, o1, o2, f1, s1, s2, Hp, Wp, C,
                                              run)
                        for j in range(run):
                            cols[col + j] = X[img + j]

    _KERNELS = {"max_forward": max_forward, "max_backward": max_backward,
                "avg_forward": avg_forward, "avg_backward": avg_backward,
                "relu_backward": relu_backward, "bias_relu": bias_relu, "col2im": col2im,
                "im2col": im2col}
    return _KERNELS


def takes(*arrays: Any) -> bool:
    """Whether the kernels take ``arrays``: C-contiguous NumPy arrays of one float dtype, the
    first of at least :data:`MIN_ELEMENTS` values, numba there and ``GLASSNET_FUSED`` not 0."""
    first = arrays[0]
    if type(first) is not numpy.ndarray or first.dtype not in (numpy.float32, numpy.float64):
        return False
    if first.size < MIN_ELEMENTS:
        return False
    for a in arrays:
        if type(a) is not numpy.ndarray or a.dtype != first.dtype or not a.flags.c_contiguous:
            return False
    return fused.switched_on() and _kernels() is not None


def usable(A: Any) -> bool:
    """Whether pooling input ``A`` (m, n_H, n_W, n_C) can take the 2x2 kernels: even n_H
    and n_W and :func:`takes`."""
    return (type(A) is numpy.ndarray and A.ndim == 4 and A.shape[1] % 2 == 0
            and A.shape[2] % 2 == 0 and takes(A))


def _sizes(out_shape: tuple[int, ...]) -> tuple[numpy.uint64, ...]:
    """(windows, n_W, n_C) of an output (m, n_H, n_W, n_C), as the kernels take them."""
    m, o1, o2, C = out_shape
    return tuple(numpy.uint64(n) for n in (m * o1 * o2, o2, C))


def pool_forward(mode: str, X: Any) -> tuple[Any, Any]:
    """(A, code) of 2x2 stride-2 max pooling, or (A, None) of average pooling, of ``X``
    (m, n_H, n_W, n_C); :func:`usable` must hold."""
    m, H, W, C = X.shape
    A = numpy.empty((m, H // 2, W // 2, C), dtype=X.dtype)
    kernels = _kernels()
    if mode == "max":
        code = numpy.empty(A.shape, dtype=numpy.int8)
        kernels["max_forward"](X.reshape(-1), A.reshape(-1), code.reshape(-1), *_sizes(A.shape))
        return A, code
    kernels["avg_forward"](X.reshape(-1), A.reshape(-1), *_sizes(A.shape))
    return A, None


def pool_backward(mode: str, dA: Any, code: Any, dtype: Any) -> Any:
    """dA_prev (m, 2 n_H, 2 n_W, n_C) from ``dA`` (m, n_H, n_W, n_C) (and max's ``code``)."""
    m, o1, o2, C = dA.shape
    dA = numpy.ascontiguousarray(dA, dtype=dtype)
    dX = numpy.empty((m, 2 * o1, 2 * o2, C), dtype=dtype)
    kernels = _kernels()
    if mode == "max":
        kernels["max_backward"](dA.reshape(-1), code.reshape(-1), dX.reshape(-1),
                                *_sizes(dA.shape))
    else:
        kernels["avg_backward"](dA.reshape(-1), dX.reshape(-1), *_sizes(dA.shape))
    return dX


def relu_backward(dA: Any, A: Any, dZ: Any) -> None:
    """dZ = dA where A > 0, else 0 (one shape, C-contiguous), in one pass."""
    _kernels()["relu_backward"](dA.reshape(-1), A.reshape(-1), dZ.reshape(-1))


def bias_relu(Z: Any, b: Any, relu: bool) -> None:
    """Z = Z + b, then max(Z, 0) when ``relu`` (Z (rows, N) C-contiguous, b (N,)), in place."""
    rows, N = Z.shape
    _kernels()["bias_relu"](Z.reshape(-1), numpy.ascontiguousarray(b, dtype=Z.dtype),
                            numpy.uint64(rows), numpy.uint64(N), bool(relu))


def col2im(dcols: Any, dA_pad: Any, out: tuple[int, ...], f: tuple[int, ...],
           s: tuple[int, ...]) -> None:
    """dA_pad (m, H_p, W_p, C) += the window rows ``dcols`` (m * prod(out), prod(f) * C) of
    a 2-D convolution with filter ``f`` and stride ``s`` (both C-contiguous)."""
    m, Hp, Wp, C = dA_pad.shape
    _kernels()["col2im"](dcols.reshape(-1), dA_pad.reshape(-1),
                         *(numpy.uint64(n) for n in (m, *out, *f, *s, Hp, Wp, C)))


def im2col(A_pad: Any, cols: Any, start: int, stop: int, out: tuple[int, ...],
           f: tuple[int, ...], s: tuple[int, ...]) -> None:
    """cols ((stop - start) * prod(out), prod(f) * C), C-contiguous, = the window rows of
    examples start .. stop - 1 of ``A_pad`` (m, H_p, W_p, C) of a 2-D convolution: the
    row-major im2col, one contiguous run of f_W * C values per window row."""
    m, Hp, Wp, C = A_pad.shape
    _kernels()["im2col"](A_pad.reshape(-1), cols.reshape(-1),
                         *(numpy.uint64(n) for n in (start, stop - start, *out, *f, *s,
                                                     Hp, Wp, C)))


def load(dtypes: tuple[Any, ...] = (numpy.float32, numpy.float64)) -> bool:
    """Compile (or load from numba's cache) every kernel here for ``dtypes`` now."""
    if not fused.switched_on() or _kernels() is None:
        return False
    for dtype in dtypes:
        X = numpy.zeros((1, 2, 2, 1), dtype=dtype)
        for mode in ("max", "avg"):
            A, code = pool_forward(mode, X)
            pool_backward(mode, A, code, dtype)
        Z = numpy.zeros((1, 1), dtype=dtype)
        relu_backward(Z, Z, Z.copy())
        for relu in (False, True):
            bias_relu(Z, Z[0], relu)
        col2im(Z, numpy.zeros((1, 1, 1, 1), dtype=dtype), (1, 1), (1, 1), (1, 1))
        im2col(numpy.zeros((1, 1, 1, 1), dtype=dtype), Z.copy(), 0, 1, (1, 1), (1, 1), (1, 1))
    return True
