"""The functions of :mod:`glassnet.layers.conv.im2col`, made fast: same arguments, same numbers.

``conv_forward`` / ``conv_backward`` compute the plain equations (read them in
:mod:`glassnet.layers.conv.im2col`) with

* cache blocking (:mod:`glassnet.layers.conv.blocked`): cols is built a block of examples
  at a time and multiplied while in cache; an element-wise activation and its derivative
  are applied to each block there (the backward pass is one sweep over the blocks);
* two output pixels per row of cols for narrow layers (:mod:`glassnet.layers.conv.paired`);
* a 1x1 convolution as a reshape and one matrix product (no im2col);
* the input gradient of a stride-1 layer as a "full" convolution of dZ with the filter
  turned by 180 degrees, when that is cheaper than col2im;
* compiled kernels for the 2-D copies and adds (:mod:`glassnet.core.kernels.layer_kernels`).

``work`` is the layer's :class:`~glassnet.layers.conv.blocked.Workspace` (kept buffers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.kernels import layer_kernels as compiled
from glassnet.functions.activations import ReLU
from glassnet.layers.conv import im2col as plain
from glassnet.layers.conv.blocked import (
    Workspace,
    cols_blocks,
    conv_gemm,
    conv_input_grad,
    conv_weight_grad,
    examples_per_block,
)
from glassnet.layers.conv.geometry import (
    ConvGeometry,
    crop,
    padded_shape,
    window_view,
)
from glassnet.layers.conv.paired import paired, paired_geometry, unpair_weight_grad

#: stride-1 input gradients use the full convolution when n_C <= this * n_C_prev
FULL_CONVOLUTION_RATIO = 2.0


def im2col(
    A_pad: Any, f: Sequence[int], s: Sequence[int], out: Sequence[int], buf: Any = None,
    column_major: bool = False,
) -> Any:
    """:func:`glassnet.layers.conv.im2col.im2col`, optionally into a kept buffer.

    ``buf``: a C-contiguous array of at least that many elements to write into.
    ``column_major``: the same matrix stored column by column (``cols.T`` C-contiguous),
    copied along runs of n_W pixels instead of a window's f * C values; the faster copy
    when f * C is small (a first layer with 1 or 3 channels).
    """
    xp = get_xp()
    nd = len(f)
    view = window_view(A_pad, f, s, out)  # (m, *out, *f, C)
    m, C = A_pad.shape[0], A_pad.shape[-1]
    shape = (m * math.prod(out), math.prod(f) * C)
    if column_major:  # (*f, C, m, *out): cols.T with one contiguous row per (offset, channel)
        view = view.transpose(*range(1 + nd, 2 + 2 * nd), 0, *range(1, 1 + nd))
    if buf is None:
        cols = xp.empty(view.shape, dtype=A_pad.dtype)
    else:
        cols = buf.reshape(-1)[: math.prod(shape)].reshape(view.shape)
    xp.copyto(cols, view)  # one strided read, one contiguous write
    return cols.reshape(shape[::-1]).T if column_major else cols.reshape(shape)


def col2im(
    dcols: Any, pad_shape: Sequence[int], f: Sequence[int], s: Sequence[int], out: Sequence[int]
) -> Any:
    """:func:`glassnet.layers.conv.im2col.col2im`; windows that tile the input (s = f) are
    a transpose, no adds."""
    xp = get_xp()
    if tuple(s) != tuple(f):
        return plain.col2im(dcols, pad_shape, f, s, out)
    m, C, nd = pad_shape[0], pad_shape[-1], len(f)
    perm = [0]
    for k in range(nd):
        perm += [1 + k, 1 + nd + k]
    tiled = dcols.reshape(m, *out, *f, C).transpose(*perm, 2 * nd + 1).reshape(
        m, *(o * f_i for o, f_i in zip(out, f, strict=True)), C
    )
    if tuple(tiled.shape) == tuple(pad_shape):
        return tiled
    dA_pad = xp.zeros(tuple(pad_shape), dtype=dcols.dtype)
    dA_pad[(slice(None), *(slice(0, n) for n in tiled.shape[1:-1]))] = tiled
    return dA_pad


def conv_forward(
    A_prev: Any, W: Any, b: Any, geo: ConvGeometry,
    g_inplace: Callable[[Any], Any] | None = None, work: Workspace | None = None,
) -> tuple[Any, Any]:
    """:func:`glassnet.layers.conv.im2col.conv_forward`: (Z or g(Z), saved) with Z in
    cache-sized blocks (g applied to each block while in cache).  ``saved`` is the padded
    input, or for a 1x1 convolution the input as cols (m * prod(out), C)."""
    xp = get_xp()
    work = work or Workspace()
    m = A_prev.shape[0]
    W2 = W.reshape(-1, geo.N)
    b = None if b is None else b.reshape(geo.N)
    if geo.pointwise:  # a reshape (and a strided pick when s > 1) and one GEMM
        if any(s_i > 1 for s_i in geo.s):
            A_prev = A_prev[(slice(None), *(slice(None, None, s_i) for s_i in geo.s))]
        saved = A_prev.reshape(-1, geo.C)
        Z = saved @ W2
        if b is not None:
            Z += b
        if g_inplace is not None:
            Z = g_inplace(Z)
        return Z.reshape(m, *geo.out, geo.N), saved
    saved = work.padded("A_pad", A_prev, geo.pads)
    Z = xp.empty((m * geo.rows, geo.N), dtype=xp.result_type(A_prev.dtype, W.dtype))
    scratch = work.cols(m, geo.f, geo.s, geo.out, geo.C, geo.N, saved.dtype)
    conv_gemm(saved, W2, geo.f, geo.s, geo.out, Z, scratch, b, g_inplace)
    return Z.reshape(m, *geo.out, geo.N), saved


def conv_backward(
    delta: Any, saved: Any, W: Any, geo: ConvGeometry, *, activation: Any = None,
    A: Any = None, use_bias: bool = True, weight_grad: bool = True, input_grad: bool = True,
    work: Workspace | None = None,
) -> tuple[Any, Any, Any]:
    """:func:`glassnet.layers.conv.im2col.conv_backward`: (dA_prev, dW, db) from dZ, or from
    dA and an element-wise ``activation`` (then in one sweep over blocks: dZ is never a
    separate pass over memory)."""
    work = work or Workspace()
    if activation is not None and weight_grad and not geo.pointwise:
        return _backward_by_blocks(delta, A, activation, saved, W, geo, use_bias, input_grad,
                                   work)
    dZ = delta if activation is None else activation.backward(delta, A, A)
    m = dZ.shape[0]
    dZ2 = dZ.reshape(-1, geo.N)
    dW = db = dA_prev = None
    if weight_grad:
        if geo.pointwise:
            dW = saved.T @ dZ2
        else:
            scratch = work.cols(m, geo.f, geo.s, geo.out, saved.shape[-1], geo.N, saved.dtype)
            dW = conv_weight_grad(saved, dZ2, geo.f, geo.s, geo.out, scratch)
        dW *= 1.0 / m
        dW = dW.reshape(W.shape)
        if use_bias:
            # db = 1/m sum over rows of dZ: a matrix-vector product with ones (a column sum
            # of a narrow (rows, N) array is slow as a reduction over axis 0)
            db = work.array("ones", (dZ2.shape[0],), dZ2.dtype, fill=1) @ dZ2
            db *= 1.0 / m
            db = db.reshape((1,) * (len(geo.f) + 1) + (geo.N,))
    if input_grad:
        dA_prev = _input_grad(dZ, dZ2, W, geo, work)
    return dA_prev, dW, db


def _input_grad(dZ: Any, dZ2: Any, W: Any, geo: ConvGeometry, work: Workspace) -> Any:
    """dA_prev = crop(col2im(dZ W2^T)), by the cheapest route for this geometry."""
    xp = get_xp()
    m = dZ.shape[0]
    if use_full_convolution(geo):
        return full_convolution(work.padded("dZ_pad", dZ, full_convolution_pads(geo)), W, geo,
                                work)
    if geo.pointwise:
        dcols = dZ2 @ W.reshape(-1, geo.N).T
        if all(s_i == 1 for s_i in geo.s):
            return dcols.reshape(m, *geo.n_in, geo.C)
        dA_prev = xp.zeros((m, *geo.n_in, geo.C), dtype=dcols.dtype)
        dA_prev[(slice(None), *(slice(None, None, s_i) for s_i in geo.s))] = (
            dcols.reshape(m, *geo.out, geo.C))
        return dA_prev
    scratch = work.cols(m, geo.f, geo.s, geo.out, geo.C, None, dZ.dtype)
    dA_pad = conv_input_grad(dZ2, W, geo.padded_input(m), geo.f, geo.s, geo.out, scratch)
    return crop(dA_pad, geo.pads)


def use_full_convolution(geo: ConvGeometry) -> bool:
    """Whether dA_prev is cheaper as a "full" convolution than as GEMM + col2im.

    With stride 1, dA_prev is dZ (padded by f - 1 - p) convolved with the filter turned by
    180 degrees and its channel axes swapped: an im2col copy of f*f*N values per pixel and
    one GEMM, instead of a GEMM and f*f strided read-modify-write passes of C values.
    Chosen when N is not much larger than C.
    """
    if any(s_i != 1 for s_i in geo.s) or geo.pointwise:
        return False
    if any(a > f - 1 or b > f - 1 for f, (a, b) in zip(geo.f, geo.pads, strict=True)):
        return False
    return geo.N <= FULL_CONVOLUTION_RATIO * geo.C


def full_convolution_pads(geo: ConvGeometry) -> tuple[tuple[int, int], ...]:
    """Padding of dZ for the full convolution: f - 1 - p on each side."""
    return tuple((f - 1 - a, f - 1 - b) for f, (a, b) in zip(geo.f, geo.pads, strict=True))


def full_convolution(dZ_pad: Any, W: Any, geo: ConvGeometry, work: Workspace) -> Any:
    """dA_prev[y, x, c] = sum_{di, dj, c'} dZ_pad[y+di, x+dj, c'] W[f-1-di, f-1-dj, c, c']."""
    xp = get_xp()
    nd = len(geo.f)
    m = dZ_pad.shape[0]
    # W_rot[di, dj, c', c] = W[f-1-di, f-1-dj, c, c']: a small copy (f f N, C)
    W2 = W[(slice(None, None, -1),) * nd].swapaxes(-1, -2).reshape(-1, geo.C)
    ones = (1,) * nd
    dA_prev = xp.empty((m * math.prod(geo.n_in), geo.C), dtype=xp.result_type(dZ_pad, W))
    scratch = work.cols(m, geo.f, ones, geo.n_in, geo.N, geo.C, dZ_pad.dtype)
    conv_gemm(dZ_pad, W2, geo.f, ones, geo.n_in, dA_prev, scratch)
    return dA_prev.reshape(m, *geo.n_in, geo.C)


def _backward_by_blocks(
    dA: Any, A: Any, act: Any, saved: Any, W: Any, geo: ConvGeometry, use_bias: bool,
    input_grad: bool, work: Workspace,
) -> tuple[Any, Any, Any]:
    """The backward pass in one sweep over cache-sized blocks of examples:

        dZ_b  = dA_b * g'(Z_b)          (g' from A alone: ReLU, tanh, linear)
        dW   += cols_b^T dZ_b,  db += sum(dZ_b)
        dZ_b  -> the interior of the padded dZ of the full convolution (if used)

    then dA_prev as in :func:`conv_backward`.
    """
    xp = get_xp()
    f, s, out, N, C = geo.f, geo.s, geo.out, geo.N, saved.shape[-1]
    m, rows = dA.shape[0], geo.rows
    dtype = xp.result_type(dA.dtype, A.dtype)
    full = input_grad and use_full_convolution(geo)
    dZ_pad = interior = dZ2 = None
    if full:
        pads = full_convolution_pads(geo)
        dZ_pad = work.array("dZ_pad", padded_shape(dA.shape, pads), dtype, fill=0)
        interior = dZ_pad[(slice(None), *(slice(a, a + n) for n, (a, _) in
                                          zip(out, pads, strict=True)))]
    elif input_grad:
        dZ2 = xp.empty((m * rows, N), dtype=dtype)
    dA2, A2 = dA.reshape(-1, N), A.reshape(-1, N)
    scratch = work.cols(m, f, s, out, C, N, saved.dtype)
    # the windows cols is built from: two output pixels per row when paired (dW is then
    # found for the paired filters and folded back, see glassnet.layers.conv.paired)
    pair = paired(f, s, out, C, N)
    fg, sg, outg = paired_geometry(f, s, out) if pair else (f, s, out)
    Kg, wide = math.prod(fg) * C, 2 * N if pair else N
    dW = xp.zeros((Kg, wide), dtype=dtype)
    db = xp.zeros(N, dtype=dtype)
    ones = work.array("ones", (m * rows,), dtype, fill=1)  # column sums as GEMVs
    # ReLU: dZ_b in one compiled pass, written where it goes
    one_pass = isinstance(act, ReLU) and compiled.takes(dA2, A2)
    if one_pass and dZ2 is None:
        nb = examples_per_block(m, math.prod(outg), Kg * saved.itemsize)
        dZ_block = work.array("dZ_block", (nb * rows, N), dtype)
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
            interior[start:stop] = dZb.reshape(stop - start, *out, N)
        dW += cols.T @ dZb.reshape(-1, wide)
        if use_bias:
            db += ones[: dZb.shape[0]] @ dZb
    if pair:
        dW = unpair_weight_grad(dW, f, s, C)
    dW *= 1.0 / m
    dW = dW.reshape(W.shape)
    db = (db * (1.0 / m)).reshape((1,) * (len(f) + 1) + (N,)) if use_bias else None
    if not input_grad:
        return None, dW, db
    if full:
        return full_convolution(dZ_pad, W, geo, work), dW, db
    scratch = work.cols(m, f, s, out, geo.C, None, dtype)
    dA_pad = conv_input_grad(dZ2, W, geo.padded_input(m), f, s, out, scratch)
    return crop(dA_pad, geo.pads), dW, db
