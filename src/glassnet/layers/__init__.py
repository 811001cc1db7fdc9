"""Layers: each obeys the building-block contract of :mod:`glassnet.layers.base`."""

from .activation import ActivationLayer
from .base import LAYER_TYPES, Layer, ShapeError, layer_from_config, layer_to_config
from .dense import Dense
from .flatten import Flatten

__all__ = [
    "LAYER_TYPES",
    "ActivationLayer",
    "Dense",
    "Flatten",
    "Layer",
    "ShapeError",
    "layer_from_config",
    "layer_to_config",
]
