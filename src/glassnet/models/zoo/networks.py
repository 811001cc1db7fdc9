"""The classic ConvNets of Course 4 (weeks 1-2), as lists of layers.

Each function takes ``input_shape`` (n_H, n_W, n_C), ``classes`` and a size knob, and
returns the layers for :class:`glassnet.models.Sequential`.  At their standard inputs the
parameter counts are the published ones:

===============  =============  =======  ==================================
network          input          classes  parameters
===============  =============  =======  ==================================
LeNet-5          32 x 32 x 1    10       61,706 ("about 60 thousand")
AlexNet          227 x 227 x 3  1000     62,378,344 ("about 60 million")
VGG-16           224 x 224 x 3  1000     138,357,544
ResNet-50        224 x 224 x 3  1000     25,557,032 (with batch norm)
MobileNet v1     224 x 224 x 3  1000     4,231,976 (with batch norm)
MobileNet v2     224 x 224 x 3  1000     3,504,872 (with batch norm)
===============  =============  =======  ==================================

(batch-norm running averages are state, not parameters).  The same functions build
small versions for a laptop CPU through ``width`` (or ``alpha``) and small inputs; pools
that would not fit a small input switch to "same" padding.

:func:`count_parameters` counts a list of layers at an input shape without allocating
the weights (VGG-16's 138 million included).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy

from glassnet.core import backend
from glassnet.layers.activation import ActivationLayer
from glassnet.layers.base import Layer, layer_from_config, layer_to_config
from glassnet.layers.blocks.blocks import (
    MobileNetV1Block,
    MobileNetV2Block,
    ResidualBlock,
    scale_width,
)
from glassnet.layers.conv.conv import Conv2D, output_spatial, resolve_padding
from glassnet.layers.conv.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from glassnet.layers.dense import Dense
from glassnet.layers.flatten import Flatten

try:
    from glassnet.layers.batchnorm import BatchNorm
except ImportError:  # pragma: no cover - depends on the checkout
    BatchNorm = None  # type: ignore[assignment,misc]


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------
def _output_layer(classes: int) -> Dense:
    if classes < 1:
        raise ValueError(f"classes must be >= 1, got {classes}")
    return Dense(classes, activation="sigmoid" if classes == 1 else "softmax", init="xavier")


def _scaled(n: int, width: float) -> int:
    return max(1, int(round(n * width)))


class _Tracker:
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


def _bn_unit(batch_norm: bool, activation: str) -> list[Layer]:
    layers: list[Layer] = []
    if batch_norm:
        if BatchNorm is None:
            raise RuntimeError("batch_norm=True needs glassnet.layers.batchnorm.BatchNorm")
        layers.append(BatchNorm())
    layers.append(ActivationLayer(activation))
    return layers


# ----------------------------------------------------------------------------------------
# the architectures
# ----------------------------------------------------------------------------------------
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
    t = _Tracker(input_shape)
    Pool = AvgPool2D if pool == "avg" else MaxPool2D
    first_padding = "valid" if min(t.n) >= 32 else "same"
    return [
        t.conv(_scaled(6, width), 5, 1, first_padding, activation=activation),
        t.pool(Pool, 2, 2),
        t.conv(_scaled(16, width), 5, 1, "valid", activation=activation),
        t.pool(Pool, 2, 2),
        Flatten(),
        Dense(_scaled(120, width), activation=activation),
        Dense(_scaled(84, width), activation=activation),
        _output_layer(classes),
    ]


def alexnet(
    input_shape: Sequence[int] = (227, 227, 3),
    classes: int = 1000,
    width: float = 1.0,
) -> list[Layer]:
    """AlexNet: CONV 11x11x96 s4 -> MAXPOOL 3 s2 -> CONV 5x5x256 same -> MAXPOOL 3 s2 ->
    CONV 3x3x384 -> CONV 3x3x384 -> CONV 3x3x256 -> MAXPOOL 3 s2 -> FC 4096 -> FC 4096 ->
    softmax (ReLU throughout)."""
    t = _Tracker(input_shape)
    w = width
    return [
        t.conv(_scaled(96, w), 11, 4, "valid", activation="relu"),
        t.pool(MaxPool2D, 3, 2),
        t.conv(_scaled(256, w), 5, 1, "same", activation="relu"),
        t.pool(MaxPool2D, 3, 2),
        t.conv(_scaled(384, w), 3, 1, "same", activation="relu"),
        t.conv(_scaled(384, w), 3, 1, "same", activation="relu"),
        t.conv(_scaled(256, w), 3, 1, "same", activation="relu"),
        t.pool(MaxPool2D, 3, 2),
        Flatten(),
        Dense(_scaled(4096, w), activation="relu"),
        Dense(_scaled(4096, w), activation="relu"),
        _output_layer(classes),
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
    t = _Tracker(input_shape)
    layers: list[Layer] = []
    for filters, repeats in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(repeats):
            layers.append(t.conv(_scaled(filters, width), 3, 1, "same", activation="relu"))
        layers.append(t.pool(MaxPool2D, 2, 2))
    units = _scaled(4096, width) if fc_units is None else int(fc_units)
    layers += [
        Flatten(),
        Dense(units, activation="relu"),
        Dense(units, activation="relu"),
        _output_layer(classes),
    ]
    return layers


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
    t = _Tracker(input_shape)
    layers: list[Layer] = [
        t.conv(_scaled(64, width), 7, 2, "same", use_bias=not batch_norm),
        *_bn_unit(batch_norm, "relu"),
        MaxPool2D(3, 2, "same"),
    ]
    for i, (filters, repeats) in enumerate(zip((64, 128, 256, 512), stages, strict=False)):
        for j in range(repeats):
            stride = 2 if (i > 0 and j == 0) else 1
            layers.append(ResidualBlock(_scaled(filters, width), stride, "bottleneck",
                                        batch_norm=batch_norm))
    layers += [GlobalAvgPool2D(), _output_layer(classes)]
    return layers


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
        return _scaled(n, alpha)

    layers: list[Layer] = [
        Conv2D(c(32), 3, 2, "same", use_bias=not batch_norm),
        *_bn_unit(batch_norm, activation),
    ]
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [
        (1024, 2), (1024, 1)]
    for filters, stride in plan:
        layers.append(MobileNetV1Block(c(filters), stride, activation, batch_norm=batch_norm))
    layers += [GlobalAvgPool2D(), _output_layer(classes)]
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
        *_bn_unit(batch_norm, activation),
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
        *_bn_unit(batch_norm, activation),
        GlobalAvgPool2D(),
        _output_layer(classes),
    ]
    return layers


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
        Conv2D(_scaled(8, width), 4, 1, "same", activation="relu", init=init),
        MaxPool2D(8, 8, "same"),
        Conv2D(_scaled(16, width), 2, 1, "same", activation="relu", init=init),
        MaxPool2D(4, 4, "same"),
        Flatten(),
        _output_layer(classes),
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
        *_bn_unit(batch_norm, "relu"),
        MaxPool2D(2, 2, "same"),
    ]
    for i, repeats in enumerate(blocks):
        for j in range(repeats):
            stride = 2 if (i > 0 and j == 0) else 1
            layers.append(ResidualBlock(int(width) * 2**i, stride, "basic",
                                        batch_norm=batch_norm))
    layers += [GlobalAvgPool2D(), _output_layer(classes)]
    return layers


ZOO: dict[str, Callable[..., list[Layer]]] = {
    "lenet5": lenet5,
    "alexnet": alexnet,
    "vgg16": vgg16,
    "resnet50": resnet50,
    "mobilenet_v1": mobilenet_v1,
    "mobilenet_v2": mobilenet_v2,
    "small_convnet": small_convnet,
    "small_resnet": small_resnet,
}

#: the standard input shapes of the published networks
STANDARD_INPUTS: dict[str, tuple[int, int, int]] = {
    "lenet5": (32, 32, 1),
    "alexnet": (227, 227, 3),
    "vgg16": (224, 224, 3),
    "resnet50": (224, 224, 3),
    "mobilenet_v1": (224, 224, 3),
    "mobilenet_v2": (224, 224, 3),
    "small_convnet": (64, 64, 3),
    "small_resnet": (64, 64, 3),
}


def get_layers(name: str, input_shape: Sequence[int] | None = None, classes: int | None = None,
               **kwargs: Any) -> list[Layer]:
    """The layers of zoo network ``name`` (``lenet5``, ``resnet50``, ...)."""
    key = name.lower().replace("-", "_")
    if key not in ZOO:
        raise ValueError(f"unknown model {name!r}: expected one of {', '.join(ZOO)}")
    build = ZOO[key]
    options = _defaults(key)
    unknown = sorted(set(kwargs) - set(options))
    if unknown:
        raise ValueError(f"unknown option {', '.join(map(repr, unknown))} ({key} takes "
                         f"{', '.join(options) or 'no options'})")
    for option, value in kwargs.items():
        _check_option(key, option, value, options[option])
    if input_shape is not None:
        kwargs["input_shape"] = tuple(input_shape)
    if classes is not None:
        kwargs["classes"] = int(classes)
    return build(**kwargs)


def _check_option(model: str, option: str, value: Any, default: Any) -> None:
    """A numeric or boolean setting must get a value of that kind (``width=abc`` is refused
    here with the option's name rather than deep inside the builder)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int | float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        return
    if not ok:
        kind = "true or false" if isinstance(default, bool) else "a number"
        raise ValueError(f"option {option} of {model} must be {kind}, got {value!r}")


def _defaults(name: str) -> dict[str, Any]:
    """{setting: its default} of zoo network ``name`` (``input_shape``, ``classes`` left out)."""
    params = inspect.signature(ZOO[name.lower().replace("-", "_")]).parameters
    return {k: p.default for k, p in params.items() if k not in ("input_shape", "classes")}


# ----------------------------------------------------------------------------------------
# counting without allocating
# ----------------------------------------------------------------------------------------
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
