"""Depthwise convolution (Course 4, week 2: MobileNet): one f x f filter per input channel.

Shapes: ``A_prev`` (m, n_H_prev, n_W_prev, n_C_prev); ``W`` (f, f, n_C_prev, depth_multiplier)
(channel c has its own ``depth_multiplier`` filters, no sum over channels); ``b``
(1, 1, 1, n_C_prev * depth_multiplier); output (m, n_H, n_W, n_C_prev * depth_multiplier)
with output channel c * depth_multiplier + k from input channel c.

    Z[i, h, w, c, k] = sum_{di, dj} A_pad[i, h*s + di, w*s + dj, c] W[di, dj, c, k] + b

Cost per the notes: (f x f) x (n_H x n_W) x n_C multiplications, against
(f x f x n_C) x (n_H x n_W) x n_C' for a normal convolution.

Computed with one vectorized multiply-add per kernel offset (di, dj) (f*f passes over the
output, never a loop over pixels or channels); backward::

    dW[di, dj, c, k]         = 1/m sum_{i,h,w} A_pad[i, h*s+di, w*s+dj, c] dZ[i, h, w, c, k]
    dA_pad[i, h*s+di, w*s+dj, c] += sum_k W[di, dj, c, k] dZ[i, h, w, c, k]

The depthwise-separable convolution (depthwise then a 1x1 pointwise convolution) is
:class:`glassnet.layers.blocks.SeparableConv2D`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError
from glassnet.functions.activations import Activation, along_channels, get_activation
from glassnet.functions.initializers import initialize_weight
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


class DepthwiseConv2D(Layer):
    """Depthwise 2-D convolution with ``depth_multiplier`` filters per input channel."""

    kind = "depthwise_conv2d"
    input_layout = output_layout = "image"
    ndim = 2

    def __init__(
        self,
        kernel_size: int | Sequence[int] = 3,
        stride: int | Sequence[int] = 1,
        padding: Padding = "valid",
        depth_multiplier: int = 1,
        activation: str | dict | Activation | None = "linear",
        init: str = "he",
        init_scale: float = 0.01,
        use_bias: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = spatial_tuple(kernel_size, self.ndim, "kernel_size")
        self.stride = spatial_tuple(stride, self.ndim, "stride")
        self.padding = padding
        resolve_padding(padding, (1,) * self.ndim, self.kernel_size, self.stride)
        if int(depth_multiplier) < 1:
            raise ValueError(f"depth_multiplier must be >= 1, got {depth_multiplier}")
        self.depth_multiplier = int(depth_multiplier)
        self.activation = along_channels(get_activation(activation))  # softmax per pixel
        self.init = init
        self.init_scale = float(init_scale)
        self.use_bias = bool(use_bias)
        self.pads: tuple[tuple[int, int], ...] = ((0, 0),) * self.ndim
        self.propagate_input_grad = True

    def config(self) -> dict:
        return {
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": padding_config(self.padding),
            "depth_multiplier": self.depth_multiplier,
            "activation": self.activation.config(),
            "init": self.init,
            "init_scale": self.init_scale,
            "use_bias": self.use_bias,
        }

    def describe(self) -> str:
        k = "x".join(map(str, self.kernel_size))
        return f"DepthwiseConv2D({k}, s={self.stride[0]}, {self.padding}, " \
               f"x{self.depth_multiplier}, {self.activation.name})"

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_shape) != self.ndim + 1:
            raise ShapeError(f"{self.describe()}: expects images (n_H, n_W, n_C), "
                             f"got {input_shape}")
        n = input_shape[:-1]
        pads = resolve_padding(self.padding, n, self.kernel_size, self.stride)
        out = output_spatial(n, self.kernel_size, self.stride, pads)
        if any(o < 1 for o in out):
            raise ShapeError(f"{self.describe()}: input {input_shape} smaller than the filter")
        return (*out, input_shape[-1] * self.depth_multiplier)

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        out = super().build(input_shape, rng, dtype)
        xp = get_xp()
        n_C_prev = self.input_shape[-1]
        self.pads = resolve_padding(self.padding, self.input_shape[:-1], self.kernel_size,
                                    self.stride)
        k = math.prod(self.kernel_size)
        shape = (*self.kernel_size, n_C_prev, self.depth_multiplier)
        W = initialize_weight(self.init, shape, k, k * self.depth_multiplier, rng,
                              self.init_scale)
        self.params["W"] = xp.asarray(W, dtype=dtype)
        if self.use_bias:
            self.params["b"] = xp.zeros((1,) * (self.ndim + 1) + (out[-1],), dtype=dtype)
        return out

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        xp = get_xp()
        if not self.built:
            raise RuntimeError(f"{self.describe()}: build() the layer before forward()")
        self.check_input(A_prev, 0)
        W = self.params["W"]
        m, C, dm = A_prev.shape[0], A_prev.shape[-1], self.depth_multiplier
        out = self.output_shape[:-1]
        A_pad = zero_pad(A_prev, self.pads)
        lead = (slice(None),) * (1 + self.ndim)
        if dm == 1:
            Z = xp.zeros((m, *out, C), dtype=A_prev.dtype)
            for offset in kernel_offsets(self.kernel_size):
                Z += A_pad[offset_slices(offset, self.stride, out)] * W[(*offset, slice(None), 0)]
        else:
            Z = xp.zeros((m, *out, C, dm), dtype=A_prev.dtype)
            for offset in kernel_offsets(self.kernel_size):
                window = A_pad[offset_slices(offset, self.stride, out)]
                Z += window[(*lead, slice(None), None)] * W[offset]
            Z = Z.reshape(m, *out, C * dm)
        if self.use_bias:
            Z += self.params["b"].reshape(-1)
        A = self.activation.forward(Z)
        self.cache = (A_pad, Z, A)
        return A

    def backward(self, dA: Any) -> Any:
        _, Z, A = self.cache
        dZ = self.activation.backward(dA, Z, A)
        return self.backward_from_dZ(dZ)

    def backward_from_dZ(self, dZ: Any) -> Any:
        xp = get_xp()
        A_pad = self.cache[0]
        W = self.params["W"]
        m, dm = dZ.shape[0], self.depth_multiplier
        C = A_pad.shape[-1]
        out = self.output_shape[:-1]
        sum_axes = tuple(range(1 + self.ndim))
        dZ5 = dZ.reshape(m, *out, C, dm)
        lead = (slice(None),) * (1 + self.ndim)
        propagate = getattr(self, "propagate_input_grad", True)
        dA_pad = xp.zeros(A_pad.shape, dtype=dZ.dtype) if propagate else None
        dW = xp.zeros(W.shape, dtype=dZ.dtype) if self.trainable else None
        for offset in kernel_offsets(self.kernel_size):
            sl = offset_slices(offset, self.stride, out)
            if dm == 1:
                if dW is not None:
                    dW[(*offset, slice(None), 0)] = (A_pad[sl] * dZ).sum(axis=sum_axes)
                if propagate:
                    dA_pad[sl] += dZ * W[(*offset, slice(None), 0)]
            else:
                if dW is not None:
                    window = A_pad[sl][(*lead, slice(None), None)]
                    dW[offset] = (window * dZ5).sum(axis=sum_axes)
                if propagate:
                    dA_pad[sl] += (dZ5 * W[offset]).sum(axis=-1)
        if self.trainable:
            self.grads["dW"] = dW * (1.0 / m)
            if self.use_bias:
                self.grads["db"] = (dZ.sum(axis=sum_axes) * (1.0 / m)).reshape(
                    self.params["b"].shape
                )
        if not propagate:
            return None
        return crop(dA_pad, self.pads)
