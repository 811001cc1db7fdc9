"""The residual block of ResNets (Course 4, week 2).

The notes: a[l+2] = g(z[l+2] + a[l]) with the identity shortcut, or g(z[l+2] + W_s a[l])
with a 1x1 convolution W_s (stride s) when the shapes differ.  Backward: dZ = dA g'(Z),
sent down both paths, and dA_prev = (main path's dA_prev) + (shortcut's).
"""

from __future__ import annotations

from typing import Any

from glassnet.core.errors import ShapeError
from glassnet.functions.activations import get_activation
from glassnet.layers.base import Layer
from glassnet.layers.blocks.base import Block, check_same
from glassnet.layers.compose import backward_chain, forward_chain
from glassnet.layers.conv.conv import Conv2D


class ResidualBlock(Block):
    """A residual block: a[l+2] = g(z[l+2] + a[l]) (identity) or g(z[l+2] + W_s a[l]).

    ``variant="basic"``: two 3x3 convolutions (``filters`` each; the first has stride s).
    ``variant="bottleneck"``: 1x1 (``filters``, stride s) -> 3x3 (``filters``) -> 1x1
    (``filters * expansion``), as in ResNet-50.  The shortcut is the identity when the
    stride is 1 and the channels agree, otherwise (or with ``shortcut="projection"``) a 1x1
    convolution W_s with stride s.  ``batch_norm=True`` puts a batch norm after every
    convolution (and drops their biases).  Arrays W_a, W_b (, W_c), W_s (, gamma_a, ...).
    """

    kind = "residual_block"

    def __init__(
        self,
        filters: int,
        stride: int = 1,
        variant: str = "basic",
        expansion: int = 4,
        batch_norm: bool = False,
        activation: str = "relu",
        shortcut: str = "auto",
        momentum: float = 0.9,
        epsilon: float = 1e-5,
    ) -> None:
        super().__init__()
        if variant not in ("basic", "bottleneck"):
            raise ValueError(f"ResidualBlock: variant must be 'basic' or 'bottleneck', "
                             f"got {variant!r}")
        if shortcut not in ("auto", "identity", "projection"):
            raise ValueError(f"ResidualBlock: shortcut must be auto, identity or projection, "
                             f"got {shortcut!r}")
        self.filters = int(filters)
        self.stride = int(stride)
        self.variant = variant
        self.expansion = int(expansion)
        self.batch_norm = bool(batch_norm)
        self.activation = get_activation(activation)
        self.shortcut = shortcut
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.main: list[Layer] = []
        self.projection: list[Layer] = []

    def config(self) -> dict:
        return {
            "filters": self.filters,
            "stride": self.stride,
            "variant": self.variant,
            "expansion": self.expansion,
            "batch_norm": self.batch_norm,
            "activation": self.activation.config(),
            "shortcut": self.shortcut,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }

    @property
    def out_channels(self) -> int:
        return self.filters * (self.expansion if self.variant == "bottleneck" else 1)

    def describe(self) -> str:
        kind = "projection" if self.projection else "identity"
        return f"ResidualBlock({self.variant}, {self.filters}, s={self.stride}, {kind})"

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        bn, g = self.batch_norm, self.activation
        bias = not bn
        kw = {"momentum": self.momentum, "epsilon": self.epsilon}

        def unit(suffix: str, conv: Conv2D, activation: Any) -> list[Layer]:
            return self._conv_unit(suffix, conv, bn, activation, **kw)

        s, f = self.stride, self.filters
        if self.variant == "basic":
            self.main = (unit("a", Conv2D(f, 3, s, "same", use_bias=bias), g)
                         + unit("b", Conv2D(f, 3, 1, "same", use_bias=bias), None))
        else:
            self.main = (unit("a", Conv2D(f, 1, s, "valid", use_bias=bias), g)
                         + unit("b", Conv2D(f, 3, 1, "same", use_bias=bias), g)
                         + unit("c", Conv2D(self.out_channels, 1, 1, "valid", use_bias=bias),
                                None))
        out = self._build_chain(self.main, input_shape, rng, dtype)
        need = s != 1 or input_shape[-1] != self.out_channels
        if self.shortcut == "identity" and need:
            raise ShapeError(f"ResidualBlock: identity shortcut impossible from {input_shape} "
                             f"to {out}")
        self.projection = []
        if need or self.shortcut == "projection":
            self.projection = unit("s", Conv2D(self.out_channels, 1, s, "valid", use_bias=bias),
                                   None)
            short = self._build_chain(self.projection, input_shape, rng, dtype)
            check_same("ResidualBlock: shortcut vs main path", short, out)
        return out

    def _forward(self, A_prev: Any, training: bool) -> Any:
        Z = forward_chain(self.main, A_prev, training)  # z[l+2]
        if self.projection:
            Z = Z + forward_chain(self.projection, A_prev, training)  # + W_s a[l]
        else:
            Z = Z + A_prev  # + a[l]
        A = self.activation.forward(Z)  # a[l+2] = g(z[l+2] + a[l])
        self.cache = (Z, A)
        return A

    def _backward(self, dA: Any) -> Any:
        Z, A = self.cache
        dZ = self.activation.backward(dA, Z, A)
        dA_prev = backward_chain(self.main, dZ)
        if self.projection:
            return dA_prev + backward_chain(self.projection, dZ)
        return dA_prev + dZ
