"""Pooling layers (Course 4, week 1): max and average over f x f windows, per channel.

Input ``A_prev`` (m, n_H_prev, n_W_prev, n_C), output (m, n_H, n_W, n_C) with

    n_H = floor((n_H_prev + 2p - f) / s) + 1

No parameters to learn.  Computed with one vectorized pass per window offset (di, dj)
(a loop over the f*f kernel positions, never over pixels):

* max:      A = max over offsets of A_prev[h*s + di, w*s + dj]; backward routes dA to the
            position that held the maximum (the notes' mask), adding where windows overlap.
* average:  A = 1/(f*f) sum over offsets; backward spreads dA / (f*f) over the window
            (padding counts as zeros in the average).

As for convolutions, the equations are in three places the tests hold equal: the notes'
loops (:mod:`glassnet.layers.conv.reference`, ``pool_forward`` / ``pool_backward``), the
plain vectorized version (:mod:`glassnet.layers.conv.pool_plain`) and the fast one
(:mod:`glassnet.layers.conv.pool_fast`: compiled 2x2 kernels, tiled windows); the layer
calls the pair named by :attr:`PoolND.implementation` (``"fast"`` or ``"plain"``).

``GlobalAvgPool2D`` averages each channel over the whole image: (m, n_H, n_W, n_C) -> (n_C, m),
a dense input (or (m, 1, 1, n_C) with ``keepdims=True``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError
from glassnet.layers.base import Layer
from glassnet.layers.conv import pool_fast, pool_plain
from glassnet.layers.conv.conv import choose_implementation
from glassnet.layers.conv.geometry import (
    Padding,
    output_spatial,
    padding_config,
    resolve_padding,
    spatial_tuple,
)

#: the implementations of pool_forward / pool_backward, by name (the one switch)
IMPLEMENTATIONS = {"fast": pool_fast, "plain": pool_plain}


class PoolND(Layer):
    """Pooling over ``ndim`` spatial axes (the shared code path of 1-D, 2-D and 3-D pooling)."""

    owns_index = False
    input_layout = output_layout = "image"
    ndim = 2
    mode = "max"
    #: the name in :data:`IMPLEMENTATIONS` of the pool_forward / pool_backward pair used
    implementation = "fast"

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

    def _implementation(self) -> Any:
        return choose_implementation(self, IMPLEMENTATIONS)

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        """max:  A = max_k A_pad[h s + di_k, w s + dj_k]  (k over the f*f kernel offsets);
        avg:  A = 1/(f*f) sum_k A_pad[h s + di_k, w s + dj_k]
        (``pool_forward`` of :attr:`implementation`)."""
        if self.input_shape is None:
            self.build(tuple(A_prev.shape[1:]), None, A_prev.dtype)
        self.check_input(A_prev, 0)
        kernels = self._implementation()
        A, cache = kernels.pool_forward(A_prev, self.mode, self.pool_size, self.stride,
                                        self.pads, self.output_shape[:-1])
        self.cache = (kernels, cache)
        return A

    def backward(self, dA: Any) -> Any:
        """max: dA_pad[window offset k] += (code == k) dA;  avg: += dA / (f*f) (every k)."""
        kernels, cache = self.cache
        return kernels.pool_backward(dA, cache, self.mode, self.pool_size, self.stride,
                                     self.pads, self.output_shape[:-1])


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
