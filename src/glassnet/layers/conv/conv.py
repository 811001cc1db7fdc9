"""Convolutional layers: Z = conv(A_prev, W) + b,  A = g(Z)  (Course 4, week 1).

Layouts (DESIGN.md): images ``A_prev`` (m, n_H_prev, n_W_prev, n_C_prev), channels last;
filters ``W`` (f, f, n_C_prev, n_C); biases ``b`` (1, 1, 1, n_C).  ``Conv1D`` takes
sequences (m, L, n_C) with ``W`` (f, n_C_prev, n_C); ``Conv3D`` takes volumes
(m, D, H, W, n_C) with ``W`` (f, f, f, n_C_prev, n_C).  All three go through one
N-dimensional code path.

Output size (the notes)::

    n_H = floor((n_H_prev + 2p - f) / s) + 1

The convolution is computed as one matrix product (im2col): every window of the
padded input is laid out as a row of ``cols``,

    cols  (m * n_H * n_W, f * f * n_C_prev)        a strided view, copied once
    Z     = cols @ W.reshape(f * f * n_C_prev, n_C) + b

and backward is two more matrix products and a scatter-add back to the pixels
(col2im, one vectorized add per kernel offset, never per pixel)::

    dW      = 1/m cols^T @ dZ
    db      = 1/m sum(dZ over m, h, w)
    dcols   = dZ @ W^T
    dA_prev = col2im(dcols)

A 1x1 convolution skips im2col: it is a reshape and one matrix product.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError
from glassnet.core.kernels import layer_kernels as compiled
from glassnet.functions.activations import (
    Activation,
    Linear,
    ReLU,
    Softmax,
    along_channels,
    get_activation,
)
from glassnet.functions.initializers import initialize_weight
from glassnet.layers.base import Layer

Padding = str | int | Sequence[int] | Sequence[Sequence[int]]


# ----------------------------------------------------------------------------------------
# shapes
# ----------------------------------------------------------------------------------------
def conv_output_size(n: int, f: int, p: int = 0, s: int = 1) -> int:
    """n_out = floor((n + 2p - f) / s) + 1 (the notes' formula)."""
    return (int(n) + 2 * int(p) - int(f)) // int(s) + 1


def _tuple(value: int | Sequence[int], ndim: int, what: str) -> tuple[int, ...]:
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


# ----------------------------------------------------------------------------------------
# im2col / col2im on channels-last arrays (m, *spatial, C)
# ----------------------------------------------------------------------------------------
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


def im2col(
    A_pad: Any, f: Sequence[int], s: Sequence[int], out: Sequence[int], buf: Any = None,
    column_major: bool = False,
) -> Any:
    """cols (m * prod(out), prod(f) * C): one row per window, copied once from a strided view.

    ``buf`` (optional) is a C-contiguous array of at least that many elements to write into
    (a scratch buffer reused across steps); a new array otherwise.  ``column_major``: the
    same matrix stored column by column (``cols.T`` is C-contiguous), copied along the
    output rows of the image (runs of n_W pixels) instead of along a window's f * C values;
    the faster copy when f * C is small (a first layer with 1 or 3 channels).  The matrix
    products take either layout as it is.
    """
    xp = get_xp()
    nd = len(f)
    view = window_view(A_pad, f, s, out)  # (m, *out, *f, C)
    m, C = A_pad.shape[0], A_pad.shape[-1]
    shape = (m * math.prod(out), math.prod(f) * C)
    if column_major:
        # (*f, C, m, *out): cols.T with one contiguous row per (offset, channel)
        view = view.transpose(*range(1 + nd, 2 + 2 * nd), 0, *range(1, 1 + nd))
    if buf is None:
        cols = xp.empty(view.shape, dtype=A_pad.dtype)
    else:
        cols = buf.reshape(-1)[: math.prod(shape)].reshape(view.shape)
    xp.copyto(cols, view)  # one strided read, one contiguous write
    if column_major:
        return cols.reshape(shape[::-1]).T
    return cols.reshape(shape)


def column_major_cols(f: Sequence[int], C: int) -> bool:
    """Whether :func:`im2col` should store cols column by column: when a window row's f * C
    contiguous values are too few for a fast row-by-row copy (fewer than 16)."""
    return f[-1] * C < 16


#: bytes of im2col rows built at a time: the block of ``cols`` stays in the CPU's cache
#: between its copy and its matrix product (and is never held whole in memory).  4 MiB
#: (in the last-level cache) measured 5-13% faster per LeNet-5 / VGG-style training step
#: than 1 MiB: fewer, larger matrix products and fewer Python-level block iterations
BLOCK_BYTES = 2**22

#: 2-D row-major im2col blocks are copied by the compiled kernel (on NumPy arrays that
#: :func:`glassnet.layers.compiled.takes`); False: NumPy's strided copy
COMPILED_IM2COL = True

#: stride-1 input gradients use the full convolution when n_C <= this * n_C_prev
FULL_CONVOLUTION_RATIO = 2.0


#: convolutions with at most this many output channels compute two output pixels per row
#: of cols (see :func:`paired`); 0 turns the pairing off
PAIR_MAX_FILTERS = 32


def paired(f: Sequence[int], s: Sequence[int], out: Sequence[int], C: int, N: int) -> bool:
    """Whether a 2-D convolution is computed two output pixels at a time.

    With N output channels and window rows of f_W * C values, OpenBLAS spends about as much
    time packing the tall cols block as multiplying it when N is small (32).  Output pixels
    (h, w) and (h, w + 1) share all but s_W columns of their windows, so one window
    f_H x (f_W + s_W) serves both: cols gets half the rows and (f_W + s_W) / f_W times the
    columns (2/3 of the copy for 3x3), and the product has 2N columns:

        [Z(h, w) | Z(h, w + 1)] = cols2(h, w/2) @ [[W, 0], [0, W]]  (offset by s_W columns)

    (:func:`pair_filters`).  The arithmetic grows by (f_W + s_W) / f_W (zeros), but the
    products run that much faster that VGG's 32-filter layers take 12-17% less time forward
    and for dW.  Used when n_W_out is even, N <= :data:`PAIR_MAX_FILTERS` and a window row
    holds at least 32 values (a first layer with 3 channels copies faster column-major).
    """
    return (len(f) == 2 and out[-1] % 2 == 0 and 0 < N <= PAIR_MAX_FILTERS
            and f[-1] * C >= 32)


def paired_geometry(
    f: Sequence[int], s: Sequence[int], out: Sequence[int]
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(f, s, out) of the paired windows: f_H x (f_W + s_W), stride (s_H, 2 s_W), n_W_out / 2."""
    return (f[0], f[1] + s[1]), (s[0], 2 * s[1]), (out[0], out[1] // 2)


def pair_filters(W2: Any, f: Sequence[int], s: Sequence[int], C: int) -> Any:
    """W2 (f_H f_W C, N) -> (f_H (f_W + s_W) C, 2N): columns 0..N-1 give the pair's left
    pixel (window columns 0..f_W-1), N..2N-1 its right pixel (columns s_W..s_W+f_W-1)."""
    xp = get_xp()
    f1, f2 = f
    s2 = s[1]
    N = W2.shape[1]
    W = W2.reshape(f1, f2, C, N)
    Wp = xp.zeros((f1, f2 + s2, C, 2, N), dtype=W2.dtype)
    Wp[:, :f2, :, 0] = W
    Wp[:, s2:, :, 1] = W
    return Wp.reshape(-1, 2 * N)


def unpair_weight_grad(dWp: Any, f: Sequence[int], s: Sequence[int], C: int) -> Any:
    """The adjoint of :func:`pair_filters`: (f_H (f_W + s_W) C, 2N) -> (f_H f_W C, N)."""
    f1, f2 = f
    s2 = s[1]
    N = dWp.shape[1] // 2
    d = dWp.reshape(f1, f2 + s2, C, 2, N)
    return (d[:, :f2, :, 0] + d[:, s2:, :, 1]).reshape(-1, N)


def block_elements(m: int, f: Sequence[int], s: Sequence[int], out: Sequence[int], C: int,
                   N: int | None, itemsize: int) -> int:
    """Scratch values for one block of cols of a convolution of C channels to N filters, as
    :func:`cols_blocks` builds it (paired windows when :func:`paired`; N None: no pairing,
    the input gradient's dcols blocks)."""
    if N is not None and paired(f, s, out, C, N):
        f, s, out = paired_geometry(f, s, out)
    rows, K = math.prod(out), math.prod(f) * C
    return examples_per_block(m, rows, K * itemsize) * rows * K


def examples_per_block(m: int, rows_per_example: int, row_bytes: int) -> int:
    """How many examples' im2col rows fit in :data:`BLOCK_BYTES` (at least 1, at most m)."""
    return max(1, min(m, BLOCK_BYTES // max(1, rows_per_example * row_bytes)))


def cols_blocks(
    A_pad: Any, f: Sequence[int], s: Sequence[int], out: Sequence[int], scratch: Any,
    column_major: bool | None = None,
) -> Iterator[tuple[int, int, Any]]:
    """(start, stop, cols of examples start..stop-1) for cache-sized blocks of examples.

    The strided window view is made once; each block is one copy into ``scratch`` (flat,
    at least one block long), laid out as :func:`im2col` would (column-major when a
    window row is short).  A cache-blocking loop over m / examples_per_block blocks,
    vectorized inside each block.
    """
    xp = get_xp()
    nd = len(f)
    m, C = A_pad.shape[0], A_pad.shape[-1]
    rows, K = math.prod(out), math.prod(f) * C
    nb = examples_per_block(m, rows, K * A_pad.itemsize)
    if column_major is None:
        column_major = column_major_cols(f, C)
    if column_major:
        # (*f, C, m, *out): the examples axis comes after the window's.  Read from a
        # channels-first copy of the (small) input so that each output row of the image is
        # a contiguous run of pixels in the source too (with channels last it is strided).
        if C > 1:
            view = channels_first_window_view(A_pad, f, s, out)
        else:
            view = window_view(A_pad, f, s, out)  # (m, *out, *f, 1)
            view = view.transpose(*range(1 + nd, 2 + 2 * nd), 0, *range(1, 1 + nd))
    else:
        view = window_view(A_pad, f, s, out)  # (m, *out, *f, C)
    lead = (slice(None),) * (nd + 1 if column_major else 0)
    flat = scratch.reshape(-1)
    if flat.size < nb * rows * K:  # a caller's scratch sized for other blocks
        flat = xp.empty(nb * rows * K, dtype=A_pad.dtype)
    # 2-D row-major windows on NumPy: one compiled pass per block (glassnet.layers.compiled)
    fast = (nd == 2 and not column_major and COMPILED_IM2COL
            and compiled.takes(A_pad, flat))
    for start in range(0, m, nb):
        stop = min(m, start + nb)
        n = (stop - start) * rows
        if fast:
            cols = flat[: n * K]
            compiled.im2col(A_pad, cols, start, stop, tuple(out), tuple(f), tuple(s))
            yield start, stop, cols.reshape(n, K)
            continue
        block = view[(*lead, slice(start, stop))]
        cols = flat[: n * K].reshape(block.shape)
        xp.copyto(cols, block)
        yield start, stop, (cols.reshape(K, n).T if column_major else cols.reshape(n, K))


def conv_gemm(
    A_pad: Any, W2: Any, f: Sequence[int], s: Sequence[int], out: Sequence[int],
    Z: Any, scratch: Any, b: Any = None, g_inplace: Callable[[Any], Any] | None = None,
    pair: bool = True,
) -> Any:
    """Z = im2col(A_pad) @ W2 (+ b), written into ``Z`` (m * prod(out), n_C).

    The rows of ``cols`` are built in cache-sized blocks of examples (:func:`cols_blocks`):
    each block is multiplied as soon as it is copied, so the whole ``cols`` matrix is never
    written to memory.  ``W2`` is (prod(f) * C, n_C).  ``g_inplace`` (an element-wise
    activation that writes over its input) is applied to each block while it is in cache:
    Z then holds A = g(Z).  On NumPy, b + ReLU (or b alone) is one compiled pass per block
    (:func:`glassnet.layers.compiled.bias_relu`).  Two output pixels per row of cols when
    :func:`paired` (once: ``pair=False`` for the paired call itself).
    """
    xp = get_xp()
    C, N = A_pad.shape[-1], W2.shape[1]
    if pair and paired(f, s, out, C, N) and Z.flags.c_contiguous:
        # two output pixels per row of cols (see paired): Z viewed as (rows / 2, 2N)
        Wp = pair_filters(W2, f, s, C)
        bp = None if b is None else xp.concatenate([b.reshape(-1)] * 2)
        fp, sp, outp = paired_geometry(f, s, out)
        conv_gemm(A_pad, Wp, fp, sp, outp, Z.reshape(-1, 2 * N), scratch, bp, g_inplace,
                  pair=False)
        return Z
    rows = math.prod(out)
    # b + ReLU (or b alone) in one compiled pass per block (glassnet.layers.compiled)
    g = getattr(g_inplace, "__self__", None)
    relu = isinstance(g, ReLU)
    one_pass = (b is not None and (g_inplace is None or relu or isinstance(g, Linear))
                and compiled.takes(Z, W2))
    for start, stop, cols in cols_blocks(A_pad, f, s, out, scratch):
        Zb = Z[start * rows : stop * rows]
        xp.matmul(cols, W2, out=Zb)
        if one_pass:
            compiled.bias_relu(Zb, b, relu)
            continue
        if b is not None:
            Zb += b
        if g_inplace is not None:
            g_inplace(Zb)
    return Z


def conv_weight_grad(
    A_pad: Any, dZ2: Any, f: Sequence[int], s: Sequence[int], out: Sequence[int], scratch: Any,
    pair: bool = True,
) -> Any:
    """sum over examples of cols^T @ dZ: (prod(f) * C, n_C), cols rebuilt block by block
    (two output pixels per row when :func:`paired`, once)."""
    C, N = A_pad.shape[-1], dZ2.shape[1]
    if pair and paired(f, s, out, C, N):
        fp, sp, outp = paired_geometry(f, s, out)
        dWp = conv_weight_grad(A_pad, dZ2.reshape(-1, 2 * N), fp, sp, outp, scratch,
                               pair=False)
        return unpair_weight_grad(dWp, f, s, C)
    rows = math.prod(out)
    total = None
    for start, stop, cols in cols_blocks(A_pad, f, s, out, scratch):
        part = cols.T @ dZ2[start * rows : stop * rows]
        if total is None:
            total = part
        else:
            total += part
    return total


def col2im(
    dcols: Any, pad_shape: Sequence[int], f: Sequence[int], s: Sequence[int], out: Sequence[int]
) -> Any:
    """Scatter-add the window rows back to pixels: the adjoint of :func:`im2col`.

    Overlapping windows (s < f) add up: dA_pad[h*s + di, w*s + dj] += dcols[h, w, di, dj].
    """
    xp = get_xp()
    m, C = pad_shape[0], pad_shape[-1]
    dv = dcols.reshape(m, *out, *f, C)
    nd = len(f)
    if tuple(s) == tuple(f):
        # non-overlapping windows that tile the input: a transpose, no adds
        perm = [0]
        for k in range(nd):
            perm += [1 + k, 1 + nd + k]
        tiled = dv.transpose(*perm, 2 * nd + 1).reshape(
            m, *(o * f_i for o, f_i in zip(out, f, strict=True)), C
        )
        if tuple(tiled.shape) == tuple(pad_shape):
            return tiled
        dA_pad = xp.zeros(tuple(pad_shape), dtype=dcols.dtype)
        dA_pad[(slice(None), *(slice(0, n) for n in tiled.shape[1:-1]))] = tiled
        return dA_pad
    dA_pad = xp.zeros(tuple(pad_shape), dtype=dcols.dtype)
    lead = (slice(None),) * (1 + nd)
    for offset in kernel_offsets(f):
        dA_pad[offset_slices(offset, s, out)] += dv[(*lead, *offset, slice(None))]
    return dA_pad


def conv_input_grad(
    dZ2: Any, W: Any, pad_shape: Sequence[int], f: Sequence[int], s: Sequence[int],
    out: Sequence[int], scratch: Any,
) -> Any:
    """dA_pad = col2im(dZ W^T), one kernel offset k = (di, dj) at a time:

        dcols_k = dZ @ W[di, dj]^T                          (m * prod(out), n_C_prev)
        dA_pad[:, h s + di, w s + dj, :] += dcols_k[:, h, w, :]

    All offsets' products come from one batched matmul per block of examples, laid out
    (f*f, rows, n_C_prev) so that every scatter-add reads a contiguous array (the adds
    are vectorized over examples and pixels; the loop is over the f*f offsets).
    ``W`` is (*f, n_C_prev, n_C); ``dZ2`` is (m * prod(out), n_C).
    """
    xp = get_xp()
    m, C = pad_shape[0], pad_shape[-1]
    K = math.prod(f)
    rows = math.prod(out)
    Wk = W.reshape(K, C, W.shape[-1]).swapaxes(1, 2)  # (f*f, n_C, n_C_prev): W[di, dj]^T
    dtype = xp.result_type(dZ2.dtype, W.dtype)
    dA_pad = xp.zeros(tuple(pad_shape), dtype=dtype)
    nb = examples_per_block(m, rows, K * C * dA_pad.itemsize)
    if len(f) == 2 and compiled.takes(dA_pad, dZ2, W):
        # dcols = dZ W2^T in window-row layout (rows, (di, dj, c)), then one compiled
        # scatter-add pass per block (glassnet.layers.compiled.col2im)
        W2T = W.reshape(K * C, W.shape[-1]).T
        for start in range(0, m, nb):
            stop = min(m, start + nb)
            n = (stop - start) * rows
            dcols = scratch.reshape(-1)[: n * K * C].reshape(n, K * C)
            xp.matmul(dZ2[start * rows : stop * rows], W2T, out=dcols)
            compiled.col2im(dcols, dA_pad[start:stop], tuple(out), tuple(f), tuple(s))
        return dA_pad
    offsets = list(kernel_offsets(f))
    for start in range(0, m, nb):
        stop = min(m, start + nb)
        n = (stop - start) * rows
        dcols = scratch.reshape(-1)[: K * n * C].reshape(K, n, C)
        xp.matmul(dZ2[start * rows : stop * rows], Wk, out=dcols)
        dv = dcols.reshape(K, stop - start, *out, C)
        block = dA_pad[start:stop]
        for k, offset in enumerate(offsets):
            block[offset_slices(offset, s, out)] += dv[k]
    return dA_pad


# ----------------------------------------------------------------------------------------
# the layers
# ----------------------------------------------------------------------------------------
class ConvND(Layer):
    """Convolution over ``ndim`` spatial axes, channels last (the shared code path).

    Parameters ``W`` (*kernel, n_C_prev, n_C) and ``b`` (1, ..., 1, n_C).
    """

    input_layout = output_layout = "image"  # (m, *spatial, n_C)
    ndim = 2

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: Padding = "valid",
        activation: str | dict | Activation | None = "linear",
        init: str = "he",
        init_scale: float = 0.01,
        use_bias: bool = True,
    ) -> None:
        super().__init__()
        if int(filters) < 1:
            raise ValueError(f"{type(self).__name__}: filters must be >= 1, got {filters}")
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, self.ndim, "kernel_size")
        self.stride = _tuple(stride, self.ndim, "stride")
        self.padding = padding
        resolve_padding(padding, (1,) * self.ndim, self.kernel_size, self.stride)  # validate
        self.activation = along_channels(get_activation(activation))  # softmax per pixel
        self.init = init
        self.init_scale = float(init_scale)
        self.use_bias = bool(use_bias)
        self.pads: tuple[tuple[int, int], ...] = ((0, 0),) * self.ndim
        #: a model sets this False on its first layer: backward then skips dA_prev (None)
        self.propagate_input_grad = True

    # -- construction -----------------------------------------------------------------
    def config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": padding_config(self.padding),
            "activation": self.activation.config(),
            "init": self.init,
            "init_scale": self.init_scale,
            "use_bias": self.use_bias,
        }

    def _check_example_shape(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != self.ndim + 1:
            axes = {1: "(L, n_C)", 2: "(n_H, n_W, n_C)", 3: "(D, n_H, n_W, n_C)"}[self.ndim]
            raise ShapeError(
                f"{self.describe()}: expects examples of shape {axes}, got {input_shape}"
            )

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        self._check_example_shape(input_shape)
        n = input_shape[:-1]
        pads = resolve_padding(self.padding, n, self.kernel_size, self.stride)
        out = output_spatial(n, self.kernel_size, self.stride, pads)
        if any(o < 1 for o in out):
            raise ShapeError(
                f"{self.describe()}: input {input_shape} is smaller than the filter "
                f"{self.kernel_size} with padding {pads}"
            )
        return (*out, self.filters)

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        out = super().build(input_shape, rng, dtype)
        xp = get_xp()
        n_C_prev = self.input_shape[-1]
        self.pads = resolve_padding(self.padding, self.input_shape[:-1], self.kernel_size,
                                    self.stride)
        k = math.prod(self.kernel_size)
        shape = (*self.kernel_size, n_C_prev, self.filters)
        W = initialize_weight(self.init, shape, k * n_C_prev, k * self.filters, rng,
                              self.init_scale)
        self.params["W"] = xp.asarray(W, dtype=dtype)
        if self.use_bias:
            self.params["b"] = xp.zeros((1,) * (self.ndim + 1) + (self.filters,), dtype=dtype)
        return out

    def describe(self) -> str:
        k = "x".join(map(str, self.kernel_size))
        return f"{type(self).__name__}({self.filters}, {k}, s={self.stride[0]}, " \
               f"{self.padding}, {self.activation.name})"

    # -- computation ------------------------------------------------------------------
    def _is_pointwise(self) -> bool:
        return all(f == 1 for f in self.kernel_size) and all(
            a == 0 and b == 0 for a, b in self.pads
        )

    # -- scratch memory reused across steps --------------------------------------------
    def _scratch(
        self, name: str, shape: tuple[int, ...], dtype: Any, fill: float | None = None
    ) -> Any:
        """A work array kept between steps (re-made when the shape or dtype changes).

        Only internal work arrays live here (padded inputs, im2col blocks): arrays handed to
        other layers (A, dA_prev) are always new.  ``fill``: made filled with this value and
        never written afterwards except where the caller writes (a padded buffer's zero
        border stays zero because only its interior is ever written; a vector of ones).
        """
        xp = get_xp()
        store = self.__dict__.setdefault("_buffers", {})
        buf = store.get(name)
        if (buf is None or tuple(buf.shape) != tuple(shape) or buf.dtype != dtype
                or not isinstance(buf, xp.ndarray)):
            buf = xp.empty(shape, dtype=dtype) if fill is None else xp.full(shape, fill, dtype)
            store[name] = buf
        return buf

    def _padded(self, name: str, A: Any, pads: Sequence[tuple[int, int]]) -> Any:
        """zero_pad(A, pads) written into a kept buffer (its zero border is written once)."""
        if all(a == 0 and b == 0 for a, b in pads):
            return A
        buf = self._scratch(name, padded_shape(A.shape, pads), A.dtype, fill=0)
        spatial = A.shape[1:-1]
        buf[(slice(None), *(slice(a, a + n) for n, (a, _) in zip(spatial, pads, strict=True)))] = A
        return buf

    def _block_buffer(self, m: int, f: Sequence[int], s: Sequence[int], out: Sequence[int],
                      C: int, N: int | None, dtype: Any) -> Any:
        """Flat scratch for one block of im2col rows (see :func:`block_elements`)."""
        xp = get_xp()
        need = block_elements(m, f, s, out, C, N, xp.dtype(dtype).itemsize)
        buf = self.__dict__.setdefault("_buffers", {}).get("cols")
        if buf is None or buf.size < need or buf.dtype != dtype or not isinstance(buf, xp.ndarray):
            buf = self._scratch("cols", (need,), dtype)
        return buf

    # -- computation ------------------------------------------------------------------
    def forward(self, A_prev: Any, training: bool = False) -> Any:
        """Z = conv(A_prev, W) + b as cols @ W (im2col in cache-sized blocks);  A = g(Z)."""
        if not self.built:
            raise RuntimeError(f"{self.describe()}: build() the layer before forward()")
        self.check_input(A_prev, 0)
        xp = get_xp()
        W = self.params["W"]
        n_C_prev, n_C = W.shape[-2], W.shape[-1]
        f, s, pads = self.kernel_size, self.stride, self.pads
        m = A_prev.shape[0]
        out = self.output_shape[:-1]
        W2 = W.reshape(-1, n_C)
        b = self.params["b"].reshape(n_C) if self.use_bias else None
        act = self.activation
        # an element-wise g whose backward needs only A (ReLU, tanh, linear) is applied to
        # each block of Z right after its product; softmax normalizes over axis 0, so not it
        fused = act.inplace_ok and not isinstance(act, Softmax) and not self._is_pointwise()
        if self._is_pointwise():
            # 1x1 convolution: a reshape (and a strided pick when s > 1) and one GEMM
            if any(s_i > 1 for s_i in s):
                A_prev = A_prev[(slice(None), *(slice(None, None, s_i) for s_i in s))]
            saved = A_prev.reshape(-1, n_C_prev)  # the layer's "cols"
            Z = saved @ W2  # (m * prod(out), n_C)
            if b is not None:
                Z += b
        else:
            saved = self._padded("A_pad", A_prev, pads)
            dtype = xp.result_type(A_prev.dtype, W.dtype)
            Z = xp.empty((m * math.prod(out), n_C), dtype=dtype)
            scratch = self._block_buffer(m, f, s, out, n_C_prev, n_C, saved.dtype)
            conv_gemm(saved, W2, f, s, out, Z, scratch, b,
                      act.forward_inplace if fused else None)
        Z = Z.reshape(m, *out, n_C)
        if fused:  # Z already holds A = g(Z), block by block
            self.cache = (saved, A_prev.shape, Z, Z)
            return Z
        if act.inplace_ok and not self.keep_logits:
            # A = g(Z) over Z's memory: g's backward needs only A (ReLU: Z > 0 where A > 0)
            A = act.forward_inplace(Z)
            Z = A
        else:
            A = act.forward(Z)
        self.cache = (saved, A_prev.shape, Z, A)
        return A

    def logits_of(self, A: Any) -> Any | None:
        """Z of the forward pass that gave ``A`` (None if that pass did not keep it)."""
        cache = self.cache
        if cache is None or cache[3] is not A or cache[2] is A:
            return None
        return cache[2]

    def backward(self, dA: Any) -> Any:
        """dZ = dA * g'(Z), then :meth:`backward_from_dZ` (fused block by block when g is
        element-wise: see :meth:`_backward_by_blocks`)."""
        _, _, Z, A = self.cache
        act = self.activation
        if (self.trainable and not self._is_pointwise() and act.inplace_ok
                and not isinstance(act, Softmax)):
            return self._backward_by_blocks(dA, A)
        dZ = act.backward(dA, Z, A)
        return self.backward_from_dZ(dZ)

    def _backward_by_blocks(self, dA: Any, A: Any) -> Any:
        """The backward pass in one sweep over cache-sized blocks of examples:

            dZ_b  = dA_b * g'(Z_b)          (g' from A alone: ReLU, tanh, linear)
            dW   += cols_b^T dZ_b,  db += sum(dZ_b)
            dZ_b  -> the interior of the padded dZ of the full convolution (if used)

        so dZ is never a separate pass over memory; then dA_prev as in backward_from_dZ.
        """
        xp = get_xp()
        saved = self.cache[0]
        act = self.activation
        W = self.params["W"]
        n_C = W.shape[-1]
        m = dA.shape[0]
        out = self.output_shape[:-1]
        rows = math.prod(out)
        f, s = self.kernel_size, self.stride
        dtype = xp.result_type(dA.dtype, A.dtype)
        propagate = getattr(self, "propagate_input_grad", True)
        full = propagate and self._use_full_convolution()
        dZ_pad = interior = dZ2 = None
        if full:
            pads = self._full_convolution_pads()
            dZ_pad = self._scratch("dZ_pad", padded_shape(dA.shape, pads), dtype, fill=0)
            interior = dZ_pad[(slice(None), *(slice(a, a + n) for n, (a, _) in
                                              zip(out, pads, strict=True)))]
        elif propagate:
            dZ2 = xp.empty((m * rows, n_C), dtype=dtype)
        dA2, A2 = dA.reshape(-1, n_C), A.reshape(-1, n_C)
        C = saved.shape[-1]
        scratch = self._block_buffer(m, f, s, out, C, n_C, saved.dtype)
        # the windows cols is built from: two output pixels per row when paired (dW is then
        # found for the paired filters and folded back, see glassnet.layers.conv.paired)
        pair = paired(f, s, out, C, n_C)
        fg, sg, outg = paired_geometry(f, s, out) if pair else (f, s, out)
        Kg, wide = math.prod(fg) * C, 2 * n_C if pair else n_C
        dW = xp.zeros((Kg, wide), dtype=dtype)
        db = xp.zeros(n_C, dtype=dtype)
        ones = self._scratch("ones", (m * rows,), dtype, fill=1)  # column sums as GEMVs
        # ReLU: dZ_b in one compiled pass, written where it goes (glassnet.layers.compiled)
        one_pass = isinstance(act, ReLU) and compiled.takes(dA2, A2)
        if one_pass and dZ2 is None:
            nb = examples_per_block(m, math.prod(outg), Kg * saved.itemsize)
            dZ_block = self._scratch("dZ_block", (nb * rows, n_C), dtype)
        for start, stop, cols in cols_blocks(saved, fg, sg, outg, scratch):
            r = slice(start * rows, stop * rows)
            if one_pass:
                dZb = dZ2[r] if dZ2 is not None else dZ_block[: r.stop - r.start]
                compiled.relu_backward(dA2[r], A2[r], dZb)
            else:
                dZb = act.backward(dA2[r], A2[r], A2[r])
                if dZ2 is not None:
                    dZ2[r] = dZb
            if interior is not None:
                interior[start:stop] = dZb.reshape(stop - start, *out, n_C)
            dW += cols.T @ dZb.reshape(-1, wide)
            if self.use_bias:
                db += ones[: dZb.shape[0]] @ dZb
        if pair:
            dW = unpair_weight_grad(dW, f, s, C)
        dW *= 1.0 / m
        self.grads["dW"] = dW.reshape(W.shape)
        if self.use_bias:
            db *= 1.0 / m
            self.grads["db"] = db.reshape(self.params["b"].shape)
        if not propagate:
            return None
        if full:
            return self._full_convolution_of_padded(dZ_pad)
        pad_shape = padded_shape((m, *self.input_shape), self.pads)
        scratch = self._block_buffer(m, f, s, out, self.input_shape[-1], None, dtype)
        dA_pad = conv_input_grad(dZ2, W, pad_shape, f, s, out, scratch)
        return crop(dA_pad, self.pads)

    def backward_from_dZ(self, dZ: Any) -> Any:
        """dW = 1/m cols^T dZ,  db = 1/m sum(dZ),  dA_prev = col2im(dZ W^T).

        ``cols`` is rebuilt block by block from the kept padded input (never stored whole).
        """
        saved, prev_shape, _, _ = self.cache
        W = self.params["W"]
        n_C = W.shape[-1]
        m = dZ.shape[0]
        dZ2 = dZ.reshape(-1, n_C)
        if self.trainable:
            if self._is_pointwise():
                dW = saved.T @ dZ2
            else:
                out = self.output_shape[:-1]
                scratch = self._block_buffer(m, self.kernel_size, self.stride, out,
                                             saved.shape[-1], n_C, saved.dtype)
                dW = conv_weight_grad(saved, dZ2, self.kernel_size, self.stride, out, scratch)
            dW *= 1.0 / m
            self.grads["dW"] = dW.reshape(W.shape)
            if self.use_bias:
                # db = 1/m sum over rows of dZ: a matrix-vector product with ones (a column
                # sum of a narrow (rows, n_C) array is slow as a reduction over axis 0)
                ones = self._scratch("ones", (dZ2.shape[0],), dZ2.dtype, fill=1)
                db = ones @ dZ2
                db *= 1.0 / m
                self.grads["db"] = db.reshape(self.params["b"].shape)
        if not getattr(self, "propagate_input_grad", True):
            return None
        if self._use_full_convolution():
            return self._input_grad_by_full_convolution(dZ)
        if self._is_pointwise():
            dcols = dZ2 @ W.reshape(-1, n_C).T
            if any(s_i > 1 for s_i in self.stride):
                xp = get_xp()
                full = (m, *self.input_shape)
                dA_prev = xp.zeros(full, dtype=dcols.dtype)
                dA_prev[(slice(None), *(slice(None, None, s_i) for s_i in self.stride))] = (
                    dcols.reshape(prev_shape)
                )
                return dA_prev
            return dcols.reshape(prev_shape)
        pad_shape = padded_shape((m, *self.input_shape), self.pads)
        out = self.output_shape[:-1]
        scratch = self._block_buffer(m, self.kernel_size, self.stride, out,
                                     self.input_shape[-1], None, dZ.dtype)
        dA_pad = conv_input_grad(dZ2, W, pad_shape, self.kernel_size, self.stride, out, scratch)
        return crop(dA_pad, self.pads)

    def _use_full_convolution(self) -> bool:
        """Whether dA_prev is cheaper as a "full" convolution than as GEMM + col2im.

        With stride 1, dA_prev is dZ (padded by f - 1 - p) convolved with the filter turned
        by 180 degrees and its channel axes swapped: an im2col copy of f*f*n_C values per
        pixel and one GEMM, instead of a GEMM and f*f strided read-modify-write passes of
        n_C_prev values.  Chosen when n_C is not much larger than n_C_prev.
        """
        if any(s_i != 1 for s_i in self.stride) or self._is_pointwise():
            return False
        if any(a > f - 1 or b > f - 1 for f, (a, b) in zip(self.kernel_size, self.pads,
                                                             strict=True)):
            return False
        return self.filters <= FULL_CONVOLUTION_RATIO * self.input_shape[-1]

    def _full_convolution_pads(self) -> tuple[tuple[int, int], ...]:
        """Padding of dZ for the full convolution: f - 1 - p on each side."""
        return tuple((f - 1 - a, f - 1 - b) for f, (a, b) in zip(self.kernel_size, self.pads,
                                                                  strict=True))

    def _input_grad_by_full_convolution(self, dZ: Any) -> Any:
        """dA_prev[y, x, c] = sum_{di, dj, c'} dZ_pad[y+di, x+dj, c'] W[f-1-di, f-1-dj, c, c']."""
        return self._full_convolution_of_padded(
            self._padded("dZ_pad", dZ, self._full_convolution_pads()))

    def _full_convolution_of_padded(self, dZ_pad: Any) -> Any:
        """The full convolution of an already padded dZ_pad (m, n_H + f - 1, ..., n_C)."""
        xp = get_xp()
        nd = self.ndim
        W = self.params["W"]
        # W_rot[di, dj, c', c] = W[f-1-di, f-1-dj, c, c']
        W_rot = W[(slice(None, None, -1),) * nd].swapaxes(-1, -2)
        ones = (1,) * nd
        n_in = self.input_shape[:-1]
        m = dZ_pad.shape[0]
        dZ = dZ_pad
        W2 = W_rot.reshape(-1, W.shape[-2])  # (f f n_C, n_C_prev): a small copy
        dA_prev = xp.empty((m * math.prod(n_in), W.shape[-2]),
                           dtype=xp.result_type(dZ.dtype, W.dtype))
        scratch = self._block_buffer(m, self.kernel_size, ones, n_in, W.shape[-1], W.shape[-2],
                                     dZ_pad.dtype)
        conv_gemm(dZ_pad, W2, self.kernel_size, ones, n_in, dA_prev, scratch)
        return dA_prev.reshape(m, *self.input_shape)


class Conv1D(ConvND):
    """1-D convolution of sequences (m, L, n_C_prev) with ``W`` (f, n_C_prev, n_C)."""

    kind = "conv1d"
    ndim = 1


class Conv2D(ConvND):
    """2-D convolution of images (m, n_H, n_W, n_C_prev) with ``W`` (f, f, n_C_prev, n_C)."""

    kind = "conv2d"
    ndim = 2


class Conv3D(ConvND):
    """3-D convolution of volumes (m, D, n_H, n_W, n_C_prev) with ``W`` (f, f, f, n_C_prev, n_C)."""

    kind = "conv3d"
    ndim = 3
