"""Counting a network's parameters without allocating them (VGG-16's 138 million too).

The layers are rebuilt from their configs in an array namespace whose arrays are shapes
only (:class:`_ShapeNamespace`), so the count costs no memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy

from glassnet.core import backend
from glassnet.layers.base import Layer, layer_from_config, layer_to_config
from glassnet.models.zoo.catalog import STANDARD_INPUTS, get_layers


class _ShapeOnly:
    """Stands in for an array during a counting build: a shape and nothing else."""

    def __init__(self, shape: Sequence[int], dtype: Any = numpy.float32) -> None:
        self.shape = tuple(int(d) for d in shape)
        self.dtype = numpy.dtype(dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def _same(self, *args: Any, **kwargs: Any) -> _ShapeOnly:
        return self

    __mul__ = __rmul__ = __add__ = __radd__ = __sub__ = __truediv__ = _same
    astype = copy = _same

    def reshape(self, *shape: Any) -> _ShapeOnly:
        if len(shape) == 1 and isinstance(shape[0], tuple):
            shape = shape[0]
        if -1 in shape:
            known = math.prod(d for d in shape if d != -1)
            shape = tuple(self.size // known if d == -1 else d for d in shape)
        return _ShapeOnly(shape, self.dtype)


def _shape_of(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, int | numpy.integer) else tuple(shape)


class _ShapeNamespace:
    """An array namespace whose constructors return :class:`_ShapeOnly` placeholders."""

    float32 = numpy.float32
    float64 = numpy.float64
    float16 = numpy.float16
    int8 = numpy.int8
    int16 = numpy.int16
    int32 = numpy.int32
    int64 = numpy.int64
    inf = numpy.inf

    def asarray(self, a: Any, dtype: Any = None) -> _ShapeOnly:
        return _ShapeOnly(numpy.shape(a) if not isinstance(a, _ShapeOnly) else a.shape,
                          dtype or numpy.float32)

    array = ascontiguousarray = asarray

    def zeros(self, shape: Any, dtype: Any = numpy.float32) -> _ShapeOnly:
        return _ShapeOnly(_shape_of(shape), dtype)

    ones = empty = zeros

    def full(self, shape: Any, fill_value: Any, dtype: Any = numpy.float32) -> _ShapeOnly:
        return _ShapeOnly(_shape_of(shape), dtype)

    def zeros_like(self, a: Any, dtype: Any = None) -> _ShapeOnly:
        return _ShapeOnly(a.shape, dtype or a.dtype)

    ones_like = empty_like = zeros_like


class _ShapeRNG:
    """A random generator that draws placeholders (legacy ``randn`` style and Generator style)."""

    def randn(self, *shape: int) -> _ShapeOnly:
        return _ShapeOnly(shape, numpy.float64)

    def standard_normal(self, size: Any = None, *args: Any, **kwargs: Any) -> _ShapeOnly:
        return _ShapeOnly(_shape_of(size), numpy.float64)

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None) -> _ShapeOnly:
        return _ShapeOnly(_shape_of(size), numpy.float64)

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None) -> _ShapeOnly:
        return _ShapeOnly(_shape_of(size), numpy.float64)

    rand = randn


def count_parameters(layers: Sequence[Layer], input_shape: Sequence[int]) -> int:
    """Number of trained parameters of ``layers`` at ``input_shape``, allocating nothing big.

    The layers are rebuilt from their configs (the originals are left untouched) with an
    array namespace whose arrays are shapes only, so VGG-16's 138 million weights cost no
    memory.  Batch-norm running averages are state, not parameters, and are not counted.
    """
    clones = [layer_from_config(layer_to_config(layer)) for layer in layers]
    previous = backend.get_xp()
    backend.set_namespace(_ShapeNamespace())  # type: ignore[arg-type]
    try:
        shape = tuple(int(d) for d in input_shape)
        rng = _ShapeRNG()
        total = 0
        for layer in clones:
            shape = layer.build(shape, rng, numpy.float32)
            total += sum(math.prod(p.shape) for p in layer.params.values())
    finally:
        backend.set_namespace(previous)
    return int(total)


def summary_counts(input_shapes: dict[str, Sequence[int]] | None = None,
                   classes: int = 1000) -> dict[str, int]:
    """Parameter counts of the published networks at their standard inputs."""
    shapes = input_shapes or {k: v for k, v in STANDARD_INPUTS.items()
                              if k not in ("small_convnet", "small_resnet")}
    out = {}
    for name, shape in shapes.items():
        n_classes = 10 if name == "lenet5" else classes
        out[name] = count_parameters(get_layers(name, shape, n_classes), shape)
    return out
