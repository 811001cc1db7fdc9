"""ResNet-50 (Course 4 week 2): bottleneck residual blocks in four stages."""

from __future__ import annotations

from collections.abc import Sequence

from glassnet.layers.base import Layer
from glassnet.layers.blocks.residual import ResidualBlock
from glassnet.layers.conv.pooling import GlobalAvgPool2D, MaxPool2D
from glassnet.models.zoo.common import Tracker, bn_unit, output_layer, scaled


def resnet50(
    input_shape: Sequence[int] = (224, 224, 3),
    classes: int = 1000,
    width: float = 1.0,
    stages: Sequence[int] = (3, 4, 6, 3),
    batch_norm: bool = True,
) -> list[Layer]:
    """ResNet-50: CONV 7x7x64 s2 -> BN -> ReLU -> MAXPOOL 3 s2 -> bottleneck stages of
    (3, 4, 6, 3) blocks with 64, 128, 256, 512 filters (x4 out; the first block of each stage
    has the projection shortcut, stride 2 from the second stage on) -> global average pool
    -> softmax."""
    t = Tracker(input_shape)
    layers: list[Layer] = [
        t.conv(scaled(64, width), 7, 2, "same", use_bias=not batch_norm),
        *bn_unit(batch_norm, "relu"),
        MaxPool2D(3, 2, "same"),
    ]
    for i, (filters, repeats) in enumerate(zip((64, 128, 256, 512), stages, strict=False)):
        for j in range(repeats):
            stride = 2 if (i > 0 and j == 0) else 1
            layers.append(ResidualBlock(scaled(filters, width), stride, "bottleneck",
                                        batch_norm=batch_norm))
    layers += [GlobalAvgPool2D(), output_layer(classes)]
    return layers

