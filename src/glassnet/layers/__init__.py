"""Layers: each obeys the building-block contract of :mod:`glassnet.layers.base`."""

from glassnet.core.errors import ShapeError
from glassnet.layers.activation import ActivationLayer
from glassnet.layers.base import LAYER_TYPES, Layer, layer_from_config, layer_to_config
from glassnet.layers.batchnorm import BatchNorm
from glassnet.layers.blocks.base import Block
from glassnet.layers.blocks.inception import InceptionModule
from glassnet.layers.blocks.mobilenet import MobileNetV1Block, MobileNetV2Block, SeparableConv2D
from glassnet.layers.blocks.residual import ResidualBlock
from glassnet.layers.blocks.scaling import compound_scaling
from glassnet.layers.conv.conv import Conv1D, Conv2D, Conv3D
from glassnet.layers.conv.depthwise import DepthwiseConv2D
from glassnet.layers.conv.pooling import (
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAvgPool2D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
)
from glassnet.layers.conv.transpose import Conv2DTranspose
from glassnet.layers.dense import Dense
from glassnet.layers.dropout import Dropout
from glassnet.layers.flatten import Flatten
from glassnet.layers.recurrent import GRU, LSTM, SimpleRNN
from glassnet.layers.recurrent.bidirectional import Bidirectional
from glassnet.layers.time_distributed import TimeDistributed

__all__ = [
    "ActivationLayer",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BatchNorm",
    "Bidirectional",
    "Block",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Dense",
    "DepthwiseConv2D",
    "Dropout",
    "Flatten",
    "GRU",
    "GlobalAvgPool2D",
    "InceptionModule",
    "LAYER_TYPES",
    "LSTM",
    "Layer",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MobileNetV1Block",
    "MobileNetV2Block",
    "ResidualBlock",
    "SeparableConv2D",
    "SimpleRNN",
    "TimeDistributed",
    "ShapeError",
    "compound_scaling",
    "layer_from_config",
    "layer_to_config",
]
