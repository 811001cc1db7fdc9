"""Layers: each obeys the building-block contract of :mod:`glassnet.layers.base`."""

from .activation import ActivationLayer
from .base import LAYER_TYPES, Layer, ShapeError, layer_from_config, layer_to_config
from .batchnorm import BatchNorm
from .blocks import (
    InceptionModule,
    MobileNetV1Block,
    MobileNetV2Block,
    ResidualBlock,
    SeparableConv2D,
    compound_scaling,
)
from .conv import Conv1D, Conv2D, Conv3D
from .dense import Dense
from .depthwise import DepthwiseConv2D
from .dropout import Dropout
from .flatten import Flatten
from .pooling import (
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAvgPool2D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
)
from .transpose_conv import Conv2DTranspose

__all__ = [
    "ActivationLayer",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BatchNorm",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Dense",
    "DepthwiseConv2D",
    "Dropout",
    "Flatten",
    "GlobalAvgPool2D",
    "InceptionModule",
    "LAYER_TYPES",
    "Layer",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MobileNetV1Block",
    "MobileNetV2Block",
    "ResidualBlock",
    "SeparableConv2D",
    "ShapeError",
    "compound_scaling",
    "layer_from_config",
    "layer_to_config",
]
