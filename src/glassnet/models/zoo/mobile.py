"""MobileNet v1 and v2 (Course 4 week 2): depthwise-separable blocks and bottlenecks."""

from __future__ import annotations

from collections.abc import Sequence

from glassnet.layers.base import Layer
from glassnet.layers.blocks.mobilenet import MobileNetV1Block, MobileNetV2Block
from glassnet.layers.blocks.scaling import scale_width
from glassnet.layers.conv.conv import Conv2D
from glassnet.layers.conv.pooling import GlobalAvgPool2D
from glassnet.models.zoo.common import bn_unit, output_layer, scaled


def mobilenet_v1(
    input_shape: Sequence[int] = (224, 224, 3),
    classes: int = 1000,
    alpha: float = 1.0,
    batch_norm: bool = True,
    activation: str = "relu6",
) -> list[Layer]:
    """MobileNet v1: CONV 3x3x32 s2 -> 13 depthwise-separable blocks (64, 128, 128, 256,
    256, 512 x6, 1024, 1024) -> global average pool -> FC softmax.  ``alpha`` is the width
    multiplier."""
    def c(n: int) -> int:
        return scaled(n, alpha)

    layers: list[Layer] = [
        Conv2D(c(32), 3, 2, "same", use_bias=not batch_norm),
        *bn_unit(batch_norm, activation),
    ]
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [
        (1024, 2), (1024, 1)]
    for filters, stride in plan:
        layers.append(MobileNetV1Block(c(filters), stride, activation, batch_norm=batch_norm))
    layers += [GlobalAvgPool2D(), output_layer(classes)]
    return layers


def mobilenet_v2(
    input_shape: Sequence[int] = (224, 224, 3),
    classes: int = 1000,
    alpha: float = 1.0,
    batch_norm: bool = True,
    activation: str = "relu6",
) -> list[Layer]:
    """MobileNet v2: CONV 3x3x32 s2 -> 17 bottlenecks (expansion t, channels c, repeats n,
    stride s: (1,16,1,1), (6,24,2,2), (6,32,3,2), (6,64,4,2), (6,96,3,1), (6,160,3,2),
    (6,320,1,1)) -> CONV 1x1x1280 -> global average pool -> FC softmax."""
    def c(n: int) -> int:
        return scale_width(n, alpha, 8)

    layers: list[Layer] = [
        Conv2D(c(32), 3, 2, "same", use_bias=not batch_norm),
        *bn_unit(batch_norm, activation),
    ]
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]
    for t, channels, n, s in settings:
        for i in range(n):
            layers.append(MobileNetV2Block(c(channels), s if i == 0 else 1, t, activation,
                                           batch_norm=batch_norm))
    last = c(1280) if alpha > 1.0 else 1280
    layers += [
        Conv2D(last, 1, use_bias=not batch_norm),
        *bn_unit(batch_norm, activation),
        GlobalAvgPool2D(),
        output_layer(classes),
    ]
    return layers

