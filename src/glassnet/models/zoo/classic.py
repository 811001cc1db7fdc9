"""The classic networks of Course 4 week 2: LeNet-5, AlexNet, VGG-16."""

from __future__ import annotations

from collections.abc import Sequence

from glassnet.layers.base import Layer
from glassnet.layers.conv.pooling import AvgPool2D, MaxPool2D
from glassnet.layers.dense import Dense
from glassnet.layers.flatten import Flatten
from glassnet.models.zoo.common import Tracker, output_layer, scaled


def lenet5(
    input_shape: Sequence[int] = (32, 32, 1),
    classes: int = 10,
    width: float = 1.0,
    activation: str = "relu",
    pool: str = "avg",
) -> list[Layer]:
    """LeNet-5: CONV 5x5x6 -> POOL 2 -> CONV 5x5x16 -> POOL 2 -> FC 120 -> FC 84 -> softmax.

    Inputs smaller than 32 x 32 (MNIST's 28 x 28) get "same" padding in the first
    convolution, so the second still sees 14 x 14.
    """
    t = Tracker(input_shape)
    Pool = AvgPool2D if pool == "avg" else MaxPool2D
    first_padding = "valid" if min(t.n) >= 32 else "same"
    return [
        t.conv(scaled(6, width), 5, 1, first_padding, activation=activation),
        t.pool(Pool, 2, 2),
        t.conv(scaled(16, width), 5, 1, "valid", activation=activation),
        t.pool(Pool, 2, 2),
        Flatten(),
        Dense(scaled(120, width), activation=activation),
        Dense(scaled(84, width), activation=activation),
        output_layer(classes),
    ]


def alexnet(
    input_shape: Sequence[int] = (227, 227, 3),
    classes: int = 1000,
    width: float = 1.0,
) -> list[Layer]:
    """AlexNet: CONV 11x11x96 s4 -> MAXPOOL 3 s2 -> CONV 5x5x256 same -> MAXPOOL 3 s2 ->
    CONV 3x3x384 -> CONV 3x3x384 -> CONV 3x3x256 -> MAXPOOL 3 s2 -> FC 4096 -> FC 4096 ->
    softmax (ReLU throughout)."""
    t = Tracker(input_shape)
    w = width
    return [
        t.conv(scaled(96, w), 11, 4, "valid", activation="relu"),
        t.pool(MaxPool2D, 3, 2),
        t.conv(scaled(256, w), 5, 1, "same", activation="relu"),
        t.pool(MaxPool2D, 3, 2),
        t.conv(scaled(384, w), 3, 1, "same", activation="relu"),
        t.conv(scaled(384, w), 3, 1, "same", activation="relu"),
        t.conv(scaled(256, w), 3, 1, "same", activation="relu"),
        t.pool(MaxPool2D, 3, 2),
        Flatten(),
        Dense(scaled(4096, w), activation="relu"),
        Dense(scaled(4096, w), activation="relu"),
        output_layer(classes),
    ]


def vgg16(
    input_shape: Sequence[int] = (224, 224, 3),
    classes: int = 1000,
    width: float = 1.0,
    fc_units: int | None = None,
) -> list[Layer]:
    """VGG-16: [CONV 64]x2, [CONV 128]x2, [CONV 256]x3, [CONV 512]x3, [CONV 512]x3, each
    group followed by MAXPOOL 2 s2 (CONV = 3x3, s=1, same, ReLU), then FC 4096, FC 4096,
    softmax.  ``fc_units`` defaults to 4096 x width."""
    t = Tracker(input_shape)
    layers: list[Layer] = []
    for filters, repeats in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(repeats):
            layers.append(t.conv(scaled(filters, width), 3, 1, "same", activation="relu"))
        layers.append(t.pool(MaxPool2D, 2, 2))
    units = scaled(4096, width) if fc_units is None else int(fc_units)
    layers += [
        Flatten(),
        Dense(units, activation="relu"),
        Dense(units, activation="relu"),
        output_layer(classes),
    ]
    return layers

