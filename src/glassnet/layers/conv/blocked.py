"""Cache blocking: im2col rows built a block of examples at a time, each block multiplied
while it is in the CPU's cache (the whole cols matrix is never written to memory).

The products are the plain ones of :mod:`glassnet.layers.conv.im2col`,

    Z = cols @ W2 (+ b),    dW = sum over blocks of cols_b^T dZ_b,    dA_pad = col2im(dZ W2^T),

computed block by block, with compiled kernels (:mod:`glassnet.core.kernels.layer_kernels`)
for the 2-D copies, the bias + ReLU pass and the scatter-add, and two output pixels per row
where that pays (:mod:`glassnet.layers.conv.paired`).  :class:`Workspace` keeps the scratch
arrays of a layer between steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.kernels import layer_kernels as compiled
from glassnet.functions.activations import Linear, ReLU
from glassnet.layers.conv.geometry import (
    channels_first_window_view,
    kernel_offsets,
    offset_slices,
    padded_shape,
    window_view,
)
from glassnet.layers.conv.paired import pair_filters, paired, paired_geometry, unpair_weight_grad


class Workspace:
    """A layer's work arrays kept between steps (re-made when a shape or dtype changes).

    Only internal arrays live here (padded inputs, im2col blocks, a vector of ones): arrays
    handed to other layers (A, dA_prev) are always new.
    """

    def __init__(self) -> None:
        self.buffers: dict[str, Any] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: Any, fill: float | None = None
              ) -> Any:
        """The kept array ``name`` of this shape and dtype.  ``fill``: made filled with this
        value and never written afterwards except where the caller writes (a padded
        buffer's zero border stays zero because only its interior is ever written)."""
        xp = get_xp()
        buf = self.buffers.get(name)
        if (buf is None or tuple(buf.shape) != tuple(shape) or buf.dtype != dtype
                or not isinstance(buf, xp.ndarray)):
            buf = xp.empty(shape, dtype=dtype) if fill is None else xp.full(shape, fill, dtype)
            self.buffers[name] = buf
        return buf

    def padded(self, name: str, A: Any, pads: Sequence[tuple[int, int]]) -> Any:
        """zero_pad(A, pads) written into a kept buffer (its zero border is written once)."""
        if all(a == 0 and b == 0 for a, b in pads):
            return A
        buf = self.array(name, padded_shape(A.shape, pads), A.dtype, fill=0)
        spatial = A.shape[1:-1]
        buf[(slice(None), *(slice(a, a + n) for n, (a, _) in zip(spatial, pads, strict=True)))] = A
        return buf

    def cols(self, m: int, f: Sequence[int], s: Sequence[int], out: Sequence[int], C: int,
             N: int | None, dtype: Any) -> Any:
        """Flat scratch for one block of im2col rows (see :func:`block_elements`); one
        buffer serves every product of the layer, grown when a block needs more."""
        xp = get_xp()
        need = block_elements(m, f, s, out, C, N, xp.dtype(dtype).itemsize)
        buf = self.buffers.get("cols")
        if buf is None or buf.size < need or buf.dtype != dtype or not isinstance(buf, xp.ndarray):
            buf = self.array("cols", (need,), dtype)
        return buf


def column_major_cols(f: Sequence[int], C: int) -> bool:
    """Whether cols is stored column by column (see :func:`glassnet.layers.conv.fast.im2col`):
    when a window row's f * C contiguous values are too few for a fast row-by-row copy
    (fewer than 16)."""
    return f[-1] * C < 16


#: bytes of im2col rows built at a time: the block of ``cols`` stays in the CPU's cache
#: between its copy and its matrix product (and is never held whole in memory).  4 MiB
#: (in the last-level cache) measured 5-13% faster per LeNet-5 / VGG-style training step
#: than 1 MiB: fewer, larger matrix products and fewer Python-level block iterations
BLOCK_BYTES = 2**22


#: 2-D row-major im2col blocks are copied by the compiled kernel (on NumPy arrays that
#: :func:`glassnet.core.kernels.layer_kernels.takes`); False: NumPy's strided copy
COMPILED_IM2COL = True


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
    at least one block long), laid out as :func:`glassnet.layers.conv.fast.im2col` would
    (column-major when a window row is short).  A cache-blocking loop over
    m / examples_per_block blocks, vectorized inside each block.
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
    # 2-D row-major windows on NumPy: one compiled pass per block (layer_kernels.im2col)
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
    (:func:`glassnet.core.kernels.layer_kernels.bias_relu`).  Two output pixels per row of cols when
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
    # b + ReLU (or b alone) in one compiled pass per block (glassnet.core.kernels.layer_kernels)
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
        # scatter-add pass per block (glassnet.core.kernels.layer_kernels.col2im)
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
