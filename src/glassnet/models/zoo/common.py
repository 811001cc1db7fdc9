"""What the zoo's architectures share: the output layer, width scaling, the spatial-size
tracker that picks pool padding for small inputs, and the [BN] -> g unit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from glassnet.layers.activation import ActivationLayer
from glassnet.layers.base import Layer
from glassnet.layers.batchnorm import BatchNorm
from glassnet.layers.conv.conv import Conv2D
from glassnet.layers.conv.geometry import output_spatial, resolve_padding
from glassnet.layers.dense import Dense


def output_layer(classes: int) -> Dense:
    if classes < 1:
        raise ValueError(f"classes must be >= 1, got {classes}")
    return Dense(classes, activation="sigmoid" if classes == 1 else "softmax", init="xavier")


def scaled(n: int, width: float) -> int:
    return max(1, int(round(n * width)))


class Tracker:
    """Follows the spatial size (n_H, n_W) through the architecture being written."""

    def __init__(self, input_shape: Sequence[int]) -> None:
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be (n_H, n_W, n_C), got {tuple(input_shape)}")
        self.n = tuple(int(v) for v in input_shape[:2])

    def step(self, f: int, s: int, padding: str | int) -> None:
        pads = resolve_padding(padding, self.n, (f, f), (s, s))
        self.n = output_spatial(self.n, (f, f), (s, s), pads)

    def pool_padding(self, f: int) -> str:
        """'valid' when the window fits, else 'same' (small inputs)."""
        return "valid" if min(self.n) >= f else "same"

    def pool(self, cls: type, f: int, s: int) -> Layer:
        padding = self.pool_padding(f)
        self.step(f, s, padding)
        return cls(f, s, padding)

    def conv(self, filters: int, f: int, s: int = 1, padding: str | int = "same",
             **kwargs: Any) -> Conv2D:
        self.step(f, s, padding)
        return Conv2D(filters, f, s, padding, **kwargs)


def bn_unit(batch_norm: bool, activation: str) -> list[Layer]:
    layers: list[Layer] = []
    if batch_norm:
        layers.append(BatchNorm())
    layers.append(ActivationLayer(activation))
    return layers

