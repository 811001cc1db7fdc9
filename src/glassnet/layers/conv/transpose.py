"""Transpose convolution (Course 4, week 3: U-Net), the up-sampling convolution.

Every input pixel paints a copy of the filter, scaled by its value, onto the output,
s pixels apart; overlapping copies add up; then p pixels are cropped from every side.
It is exactly the backward pass of a convolution with respect to its input::

    n_out = s (n - 1) + f - 2p

Shapes: ``A_prev`` (m, n_H_prev, n_W_prev, n_C_prev); ``W`` (f, f, n_C, n_C_prev) (the
filter of the convolution this layer transposes, which maps n_C channels to n_C_prev);
``b`` (1, 1, 1, n_C); output (m, n_H, n_W, n_C).

Forward (one GEMM and a col2im)::

    cols = A_prev.reshape(m n_H_prev n_W_prev, n_C_prev) @ W.reshape(f f n_C, n_C_prev)^T
    Z    = crop(col2im(cols)) + b

Backward (an im2col and two GEMMs: the forward pass of the convolution)::

    dcols   = im2col(pad(dZ))                       (m n_H_prev n_W_prev, f f n_C)
    dA_prev = dcols @ W.reshape(f f n_C, n_C_prev)
    dW      = 1/m dcols^T @ A_prev.reshape(-1, n_C_prev)
    db      = 1/m sum(dZ)

``padding="same"`` gives n_out = s n (it crops f - s pixels, the extra one after).
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
from glassnet.layers.conv.fast import col2im, im2col
from glassnet.layers.conv.geometry import (
    Padding,
    crop,
    padding_config,
    spatial_tuple,
    zero_pad,
)


def transpose_output_size(n: int, f: int, s: int = 1, p: int = 0) -> int:
    """n_out = s (n - 1) + f - 2p."""
    return int(s) * (int(n) - 1) + int(f) - 2 * int(p)


class Conv2DTranspose(Layer):
    """Transpose (fractionally strided) 2-D convolution with ``filters`` output channels."""

    kind = "conv2d_transpose"
    input_layout = output_layout = "image"
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
            raise ValueError(f"Conv2DTranspose: filters must be >= 1, got {filters}")
        self.filters = int(filters)
        self.kernel_size = spatial_tuple(kernel_size, self.ndim, "kernel_size")
        self.stride = spatial_tuple(stride, self.ndim, "stride")
        self.padding = padding
        self.crops = self._crops()
        self.activation = along_channels(get_activation(activation))  # softmax per pixel
        self.init = init
        self.init_scale = float(init_scale)
        self.use_bias = bool(use_bias)
        self.propagate_input_grad = True

    def _crops(self) -> tuple[tuple[int, int], ...]:
        p = self.padding
        if isinstance(p, str):
            key = p.lower()
            if key == "valid":
                return ((0, 0),) * self.ndim
            if key == "same":
                crops = []
                for f, s in zip(self.kernel_size, self.stride, strict=True):
                    if f < s:
                        raise ValueError("Conv2DTranspose: padding='same' needs kernel_size >= "
                                         f"stride, got {self.kernel_size} and {self.stride}")
                    total = f - s
                    crops.append((total // 2, total - total // 2))
                return tuple(crops)
            raise ValueError(f"padding must be 'valid', 'same' or an integer, got {p!r}")
        if isinstance(p, int):
            if p < 0:
                raise ValueError(f"padding must be >= 0, got {p}")
            return ((p, p),) * self.ndim
        items = [(int(a), int(a)) if isinstance(a, int) else (int(a[0]), int(a[1])) for a in p]
        if len(items) != self.ndim:
            raise ValueError(f"padding needs {self.ndim} entries, got {p!r}")
        return tuple(items)

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

    def describe(self) -> str:
        k = "x".join(map(str, self.kernel_size))
        return f"Conv2DTranspose({self.filters}, {k}, s={self.stride[0]}, {self.padding}, " \
               f"{self.activation.name})"

    def _full_spatial(self, n: Sequence[int]) -> tuple[int, ...]:
        """s (n - 1) + f: the output before cropping."""
        fs = zip(n, self.kernel_size, self.stride, strict=True)
        return tuple(s * (n_i - 1) + f for n_i, f, s in fs)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_shape) != self.ndim + 1:
            raise ShapeError(f"{self.describe()}: expects images (n_H, n_W, n_C), "
                             f"got {input_shape}")
        full = self._full_spatial(input_shape[:-1])
        out = tuple(n - a - b for n, (a, b) in zip(full, self.crops, strict=True))
        if any(o < 1 for o in out):
            raise ShapeError(f"{self.describe()}: padding crops the whole output")
        return (*out, self.filters)

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        out = super().build(input_shape, rng, dtype)
        xp = get_xp()
        n_C_prev = self.input_shape[-1]
        k = math.prod(self.kernel_size)
        shape = (*self.kernel_size, self.filters, n_C_prev)
        # each output pixel sums about k / s^2 input pixels times n_C_prev channels
        fan_in = max(1, k * n_C_prev // math.prod(self.stride))
        W = initialize_weight(self.init, shape, fan_in, k * self.filters, rng, self.init_scale)
        self.params["W"] = xp.asarray(W, dtype=dtype)
        if self.use_bias:
            self.params["b"] = xp.zeros((1,) * (self.ndim + 1) + (self.filters,), dtype=dtype)
        return out

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        if not self.built:
            raise RuntimeError(f"{self.describe()}: build() the layer before forward()")
        self.check_input(A_prev, 0)
        W = self.params["W"]
        m, n_C_prev = A_prev.shape[0], A_prev.shape[-1]
        n_in = A_prev.shape[1:-1]
        a_flat = A_prev.reshape(-1, n_C_prev)
        cols = a_flat @ W.reshape(-1, n_C_prev).T  # (m prod(n_in), f f n_C)
        full_shape = (m, *self._full_spatial(n_in), self.filters)
        Z = crop(col2im(cols, full_shape, self.kernel_size, self.stride, n_in), self.crops)
        if self.use_bias:
            Z = Z + self.params["b"]
        elif not Z.flags.c_contiguous:
            Z = get_xp().ascontiguousarray(Z)
        A = self.activation.forward(Z)
        self.cache = (a_flat, A_prev.shape, Z, A)
        return A

    def backward(self, dA: Any) -> Any:
        _, _, Z, A = self.cache
        dZ = self.activation.backward(dA, Z, A)
        return self.backward_from_dZ(dZ)

    def backward_from_dZ(self, dZ: Any) -> Any:
        a_flat, prev_shape, _, _ = self.cache
        W = self.params["W"]
        m, n_C_prev = prev_shape[0], prev_shape[-1]
        n_in = prev_shape[1:-1]
        dZ_full = zero_pad(dZ, self.crops)
        dcols = im2col(dZ_full, self.kernel_size, self.stride, n_in)  # (M, f f n_C)
        W2 = W.reshape(-1, n_C_prev)
        if self.trainable:
            self.grads["dW"] = ((dcols.T @ a_flat) * (1.0 / m)).reshape(W.shape)
            if self.use_bias:
                axes = tuple(range(1 + self.ndim))
                self.grads["db"] = (dZ.sum(axis=axes) * (1.0 / m)).reshape(self.params["b"].shape)
        if not getattr(self, "propagate_input_grad", True):
            return None
        return (dcols @ W2).reshape(prev_shape)
