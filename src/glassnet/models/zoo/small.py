"""Small networks for a laptop CPU: the course's SIGNS ConvNet and a small ResNet."""

from __future__ import annotations

from collections.abc import Sequence

from glassnet.layers.base import Layer
from glassnet.layers.blocks.residual import ResidualBlock
from glassnet.layers.conv.conv import Conv2D
from glassnet.layers.conv.pooling import GlobalAvgPool2D, MaxPool2D
from glassnet.layers.flatten import Flatten
from glassnet.models.zoo.common import bn_unit, output_layer, scaled


def small_convnet(
    input_shape: Sequence[int] = (64, 64, 3),
    classes: int = 6,
    width: float = 1.0,
    init: str = "he",
) -> list[Layer]:
    """The course's TensorFlow SIGNS model: CONV 4x4x8 same -> ReLU -> MAXPOOL 8 s8 same ->
    CONV 2x2x16 same -> ReLU -> MAXPOOL 4 s4 same -> FLATTEN -> FC softmax.  (The course
    drew the filters with Xavier/Glorot: ``init="glorot"``.)"""
    return [
        Conv2D(scaled(8, width), 4, 1, "same", activation="relu", init=init),
        MaxPool2D(8, 8, "same"),
        Conv2D(scaled(16, width), 2, 1, "same", activation="relu", init=init),
        MaxPool2D(4, 4, "same"),
        Flatten(),
        output_layer(classes),
    ]


def small_resnet(
    input_shape: Sequence[int] = (64, 64, 3),
    classes: int = 6,
    width: int = 16,
    blocks: Sequence[int] = (1, 1, 1),
    batch_norm: bool = True,
) -> list[Layer]:
    """A small ResNet for laptop training: CONV 3x3 (``width``) -> BN -> ReLU -> MAXPOOL 2 ->
    stages of basic residual blocks with width, 2 width, 4 width filters (stride 2 from the
    second stage on) -> global average pool -> FC softmax."""
    layers: list[Layer] = [
        Conv2D(int(width), 3, 1, "same", use_bias=not batch_norm),
        *bn_unit(batch_norm, "relu"),
        MaxPool2D(2, 2, "same"),
    ]
    for i, repeats in enumerate(blocks):
        for j in range(repeats):
            stride = 2 if (i > 0 and j == 0) else 1
            layers.append(ResidualBlock(int(width) * 2**i, stride, "basic",
                                        batch_norm=batch_norm))
    layers += [GlobalAvgPool2D(), output_layer(classes)]
    return layers

