"""Layers: each obeys the building-block contract of :mod:`glassnet.layers.base`."""

from .activation import ActivationLayer
from .batchnorm import BatchNorm
from .base import LAYER_TYPES, Layer, ShapeError, layer_from_config, layer_to_config
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten

__all__ = [
    "LAYER_TYPES",
    "ActivationLayer",
    "BatchNorm",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "ShapeError",
    "layer_from_config",
    "layer_to_config",
]
