"""Depthwise-separable convolution and the MobileNet v1 / v2 blocks (Course 4, week 2).

* separable convolution: depthwise f x f (``W_dw``) -> pointwise 1x1 (``W_pw``); its cost
  against a normal convolution is 1/n_C' + 1/f^2 (the notes);
* MobileNet v1 block: depthwise 3x3 -> pointwise 1x1, each [BN] g;
* MobileNet v2 bottleneck: 1x1 expansion (x t) -> depthwise 3x3 -> 1x1 linear projection,
  plus the input when the stride is 1 and the channels agree.

g is ReLU6 (min(max(0, z), 6), :class:`glassnet.functions.activations.ReLU6`) by default.
"""

from __future__ import annotations

from typing import Any

from glassnet.functions.activations import get_activation
from glassnet.layers.base import Layer
from glassnet.layers.blocks.base import Block
from glassnet.layers.compose import backward_chain, forward_chain
from glassnet.layers.conv.conv import Conv2D
from glassnet.layers.conv.depthwise import DepthwiseConv2D
from glassnet.layers.conv.geometry import Padding, padding_config


class SeparableConv2D(Block):
    """Depthwise-separable convolution: depthwise f x f (``W_dw``) -> 1x1 pointwise (``W_pw``).

    Cost ratio against a normal convolution (the notes): 1/n_C' + 1/f^2.
    """

    kind = "separable_conv2d"

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: Padding = "same",
        depth_multiplier: int = 1,
        activation: str | dict | None = "linear",
        init: str = "he",
        use_bias: bool = True,
    ) -> None:
        super().__init__()
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.stride = int(stride)
        self.padding = padding
        self.depth_multiplier = int(depth_multiplier)
        self.activation = get_activation(activation)
        self.init = init
        self.use_bias = bool(use_bias)
        self.chain: list[Layer] = []

    def config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": padding_config(self.padding),
            "depth_multiplier": self.depth_multiplier,
            "activation": self.activation.config(),
            "init": self.init,
            "use_bias": self.use_bias,
        }

    def describe(self) -> str:
        return f"SeparableConv2D({self.filters}, {self.kernel_size}, s={self.stride})"

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        dw = DepthwiseConv2D(self.kernel_size, self.stride, self.padding, self.depth_multiplier,
                             init=self.init, use_bias=False)
        pw = Conv2D(self.filters, 1, activation=self.activation, init=self.init,
                    use_bias=self.use_bias)
        self.chain = [self._part("dw", dw), self._part("pw", pw)]
        return self._build_chain(self.chain, input_shape, rng, dtype)

    def _forward(self, A_prev: Any, training: bool) -> Any:
        return forward_chain(self.chain, A_prev, training)

    def _backward(self, dA: Any) -> Any:
        return backward_chain(self.chain, dA)


class _MobileNetBlock(Block):
    """What MobileNet v1 and v2 blocks share: ``filters`` out, ``stride``, g (ReLU6 by
    default), optional batch norm after each convolution, and a chain of conv units run in
    order (forward) and in reverse (backward)."""

    def __init__(
        self,
        filters: int,
        stride: int = 1,
        activation: str = "relu6",
        batch_norm: bool = False,
        momentum: float = 0.9,
        epsilon: float = 1e-3,
    ) -> None:
        super().__init__()
        self.filters = int(filters)
        self.stride = int(stride)
        self.activation = get_activation(activation)
        self.batch_norm = bool(batch_norm)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.chain: list[Layer] = []

    def config(self) -> dict:
        return {
            "filters": self.filters,
            "stride": self.stride,
            "activation": self.activation.config(),
            "batch_norm": self.batch_norm,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }

    def _unit(self, name: str, layer: Layer, activation: Any) -> list[Layer]:
        """``layer`` [BN] [g] under ``name`` (the block's batch-norm settings)."""
        return self._conv_unit(name, layer, self.batch_norm, activation,
                               momentum=self.momentum, epsilon=self.epsilon)

    def _depthwise(self) -> DepthwiseConv2D:
        """The 3x3 depthwise step (stride s, 'same'; no bias under batch norm)."""
        return DepthwiseConv2D(3, self.stride, "same", use_bias=not self.batch_norm)

    def _pointwise(self, filters: int) -> Conv2D:
        """A 1x1 convolution to ``filters`` channels (no bias under batch norm)."""
        return Conv2D(filters, 1, use_bias=not self.batch_norm)

    def _forward(self, A_prev: Any, training: bool) -> Any:
        return forward_chain(self.chain, A_prev, training)

    def _backward(self, dA: Any) -> Any:
        return backward_chain(self.chain, dA)


class MobileNetV1Block(_MobileNetBlock):
    """MobileNet v1: depthwise 3x3 (stride s) [BN] g -> pointwise 1x1 (``filters``) [BN] g.

    Parameters ``W_dw`` (3, 3, n_C_prev, 1) and ``W_pw`` (1, 1, n_C_prev, filters) (plus
    biases, or ``gamma``/``beta`` with batch norm); g is ReLU6 by default.
    """

    kind = "mobilenet_v1_block"

    def describe(self) -> str:
        return f"MobileNetV1Block({self.filters}, s={self.stride})"

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        g = self.activation
        self.chain = (self._unit("dw", self._depthwise(), g)
                      + self._unit("pw", self._pointwise(self.filters), g))
        return self._build_chain(self.chain, input_shape, rng, dtype)


class MobileNetV2Block(_MobileNetBlock):
    """MobileNet v2 bottleneck: expansion 1x1 (n_C_prev * t) -> depthwise 3x3 (stride s)
    -> linear projection 1x1 (``filters``), plus the input when s = 1 and n_C_prev = filters.

    Parameters ``W_expand`` (skipped when ``expansion == 1``), ``W_dw``, ``W_project``; the
    expansion and depthwise steps use g (ReLU6), the projection is linear.
    """

    kind = "mobilenet_v2_block"

    def __init__(
        self,
        filters: int,
        stride: int = 1,
        expansion: int = 6,
        activation: str = "relu6",
        batch_norm: bool = False,
        momentum: float = 0.9,
        epsilon: float = 1e-3,
    ) -> None:
        super().__init__(filters, stride, activation, batch_norm, momentum, epsilon)
        self.expansion = int(expansion)
        self.residual = False

    def config(self) -> dict:
        return {**super().config(), "expansion": self.expansion}

    def describe(self) -> str:
        res = ", residual" if self.residual else ""
        return f"MobileNetV2Block({self.filters}, s={self.stride}, t={self.expansion}{res})"

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        g = self.activation
        n_C_prev = input_shape[-1]
        chain: list[Layer] = []
        if self.expansion != 1:
            chain += self._unit("expand", self._pointwise(n_C_prev * self.expansion), g)
        chain += self._unit("dw", self._depthwise(), g)
        chain += self._unit("project", self._pointwise(self.filters), None)
        self.chain = chain
        self.residual = self.stride == 1 and n_C_prev == self.filters
        return self._build_chain(self.chain, input_shape, rng, dtype)

    def _forward(self, A_prev: Any, training: bool) -> Any:
        A = super()._forward(A_prev, training)
        return A + A_prev if self.residual else A

    def _backward(self, dA: Any) -> Any:
        dA_prev = super()._backward(dA)
        return dA_prev + dA if self.residual else dA_prev
