"""Composite blocks (Course 4, week 2): residual, inception, MobileNet, separable convolution.

A block is a layer made of sub-layers, and obeys the same contract: ``build``,
``forward(A_prev, training)``, ``backward(dA)``, ``params``/``grads``/``state``.  The
sub-layers' arrays are exposed *flat* on the block, each name suffixed with the part it
belongs to (never ending in a digit, so a model can append the layer index)::

    W_a, b_a, gamma_a, beta_a      first convolution (and its batch norm)
    W_b, ...                        second convolution
    W_s, gamma_s, ...               the projection shortcut W_s
    dW_a, dgamma_a, ...             their gradients

They are the *same* array objects as the sub-layers' (in-place optimizer updates reach
them); ``sync_params()`` pushes the block's arrays into the sub-layers again after the
dicts were re-filled (it also runs at every forward).  A block's architecture-file entry is
its constructor arguments (``config()`` / ``from_config``): the sub-layers follow from them.

Equations:

* residual block (the notes):  a[l+2] = g(z[l+2] + a[l]), or g(z[l+2] + W_s a[l]) with a
  1x1 convolution W_s (stride s) when the shapes differ.
* inception module: 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | maxpool 3x3 -> 1x1, concatenated along
  the channels.
* MobileNet v1 block: depthwise 3x3 -> pointwise 1x1 (the depthwise-separable convolution).
* MobileNet v2 bottleneck: 1x1 expansion (x t) -> depthwise 3x3 -> 1x1 linear projection,
  plus the input when the stride is 1 and the channels agree.
* EfficientNet compound scaling: depth alpha^phi, width beta^phi, resolution gamma^phi.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError
from glassnet.functions import activations as _activations
from glassnet.functions.activations import Activation, get_activation
from glassnet.layers.activation import ActivationLayer
from glassnet.layers.base import Layer
from glassnet.layers.conv.conv import Conv2D, Padding, padding_config
from glassnet.layers.conv.depthwise import DepthwiseConv2D
from glassnet.layers.conv.pooling import MaxPool2D

try:  # batch normalization, when present
    from glassnet.layers.batchnorm import BatchNorm
except ImportError:  # pragma: no cover - depends on the checkout
    BatchNorm = None  # type: ignore[assignment,misc]


class ReLU6(Activation):
    """relu6(z) = min(max(0, z), 6);  relu6'(z) = 1 if 0 < z < 6 else 0 (MobileNet)."""

    name = "relu6"

    def forward(self, Z: Any) -> Any:
        return get_xp().clip(Z, 0, 6)

    def derivative(self, Z: Any, A: Any) -> Any:
        return ((Z > 0) & (Z < 6)).astype(Z.dtype)

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        return get_xp().where((Z > 0) & (Z < 6), dA, 0).astype(dA.dtype, copy=False)


# make "relu6" a known activation name (architecture files refer to it by name)
_activations.ACTIVATIONS.setdefault("relu6", ReLU6)


def _make_batchnorm(momentum: float, epsilon: float) -> Layer:
    if BatchNorm is None:
        raise RuntimeError("batch_norm=True needs glassnet.layers.batchnorm.BatchNorm")
    return BatchNorm(momentum=momentum, epsilon=epsilon)


def _forward_chain(layers: Sequence[Layer], A: Any, training: bool) -> Any:
    for layer in layers:
        A = layer.forward(A, training)
    return A


def _backward_chain(layers: Sequence[Layer], dA: Any) -> Any:
    for layer in reversed(layers):
        dA = layer.backward(dA)
    return dA


def _build_chain(layers: Sequence[Layer], shape: tuple[int, ...], rng: Any,
                 dtype: Any) -> tuple[int, ...]:
    for layer in layers:
        shape = layer.build(shape, rng, dtype)
    return shape


class Block(Layer):
    """Base class of composite layers: named sub-layers exposed as one flat layer."""

    owns_index = True

    def __init__(self) -> None:
        super().__init__()
        self.state: dict[str, Any] = {}
        self._parts: list[tuple[str, Layer]] = []

    # -- sub-layers -------------------------------------------------------------------
    def _part(self, suffix: str, layer: Layer) -> Layer:
        """Register ``layer``: its parameter ``W`` appears on the block as ``W_<suffix>``."""
        if suffix[-1].isdigit():
            raise ValueError(f"block part suffix {suffix!r} must not end with a digit")
        self._parts.append((suffix, layer))
        return layer

    def sublayers(self) -> list[Layer]:
        """The direct sub-layers, in build order."""
        return [layer for _, layer in self._parts]

    def _collect(self) -> None:
        """Expose the sub-layers' params and state, flat, as the same array objects."""
        self.params = {}
        self.state = {}
        for suffix, layer in self._parts:
            for k, v in layer.params.items():
                name = f"{k}_{suffix}"
                if name in self.params:
                    raise ValueError(f"{type(self).__name__}: two parts define {name!r}")
                self.params[name] = v
            for k, v in (getattr(layer, "state", None) or {}).items():
                self.state[f"{k}_{suffix}"] = v

    def sync_params(self) -> None:
        """Push the block's arrays (params, state, trainable) into the sub-layers."""
        for suffix, layer in self._parts:
            for k in layer.params:
                layer.params[k] = self.params[f"{k}_{suffix}"]
            sub_state = getattr(layer, "state", None)
            if sub_state:
                for k in sub_state:
                    name = f"{k}_{suffix}"
                    if name in self.state:
                        sub_state[k] = self.state[name]
            layer.trainable = self.trainable
            if isinstance(layer, Block):
                layer.sync_params()

    def _pull_state(self) -> None:
        for suffix, layer in self._parts:
            for k, v in (getattr(layer, "state", None) or {}).items():
                self.state[f"{k}_{suffix}"] = v

    def _pull_grads(self) -> None:
        self.grads = {}
        if not self.trainable:
            return
        for suffix, layer in self._parts:
            for k, v in layer.grads.items():
                self.grads[f"{k}_{suffix}"] = v  # "dW" -> "dW_a": "d" + "W_a"

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        self.input_shape = tuple(int(d) for d in input_shape)
        if len(self.input_shape) != 3:
            raise ShapeError(f"{self.describe()}: expects images (n_H, n_W, n_C), "
                             f"got {self.input_shape}")
        self._parts = []
        self.output_shape = self._build_parts(self.input_shape, rng, dtype)
        self._collect()
        self.built = True
        return self.output_shape

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        raise NotImplementedError("build the block to learn its output shape")

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        if not self.built:
            raise RuntimeError(f"{self.describe()}: build() the block before forward()")
        self.check_input(A_prev, 0)
        self.sync_params()
        A = self._forward(A_prev, training)
        self._pull_state()
        return A

    def backward(self, dA: Any) -> Any:
        dA_prev = self._backward(dA)
        self._pull_grads()
        return dA_prev

    def _forward(self, A_prev: Any, training: bool) -> Any:
        raise NotImplementedError

    def _backward(self, dA: Any) -> Any:
        raise NotImplementedError

    # helpers for the subclasses
    def _conv_unit(
        self,
        suffix: str,
        conv: Layer,
        batch_norm: bool,
        activation: str | None,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
    ) -> list[Layer]:
        """conv [-> batch norm] [-> activation]; parameters W_<suffix>, gamma_<suffix>, ..."""
        chain = [self._part(suffix, conv)]
        if batch_norm:
            chain.append(self._part(suffix, _make_batchnorm(momentum, epsilon)))
        if activation is not None and get_activation(activation).name != "linear":
            chain.append(ActivationLayer(activation))
        return chain


# ----------------------------------------------------------------------------------------
class ResidualBlock(Block):
    """A residual block: a[l+2] = g(z[l+2] + a[l]) (identity) or g(z[l+2] + W_s a[l]).

    ``variant="basic"``: two 3x3 convolutions (``filters`` each; the first has stride s).
    ``variant="bottleneck"``: 1x1 (``filters``, stride s) -> 3x3 (``filters``) -> 1x1
    (``filters * expansion``), as in ResNet-50.  The shortcut is the identity when the
    stride is 1 and the channels agree, otherwise (or with ``shortcut="projection"``) a 1x1
    convolution W_s with stride s.  ``batch_norm=True`` puts a batch norm after every
    convolution (and drops their biases).
    """

    kind = "residual_block"

    def __init__(
        self,
        filters: int,
        stride: int = 1,
        variant: str = "basic",
        expansion: int = 4,
        batch_norm: bool = False,
        activation: str = "relu",
        shortcut: str = "auto",
        momentum: float = 0.9,
        epsilon: float = 1e-5,
    ) -> None:
        super().__init__()
        if variant not in ("basic", "bottleneck"):
            raise ValueError(f"ResidualBlock: variant must be 'basic' or 'bottleneck', "
                             f"got {variant!r}")
        if shortcut not in ("auto", "identity", "projection"):
            raise ValueError(f"ResidualBlock: shortcut must be auto, identity or projection, "
                             f"got {shortcut!r}")
        self.filters = int(filters)
        self.stride = int(stride)
        self.variant = variant
        self.expansion = int(expansion)
        self.batch_norm = bool(batch_norm)
        self.activation = get_activation(activation)
        self.shortcut = shortcut
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.main: list[Layer] = []
        self.projection: list[Layer] = []

    def config(self) -> dict:
        return {
            "filters": self.filters,
            "stride": self.stride,
            "variant": self.variant,
            "expansion": self.expansion,
            "batch_norm": self.batch_norm,
            "activation": self.activation.config(),
            "shortcut": self.shortcut,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }

    @property
    def out_channels(self) -> int:
        return self.filters * (self.expansion if self.variant == "bottleneck" else 1)

    def describe(self) -> str:
        kind = "projection" if self.projection else "identity"
        return f"ResidualBlock({self.variant}, {self.filters}, s={self.stride}, {kind})"

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        bn, g = self.batch_norm, self.activation
        bias = not bn
        unit = self._conv_unit
        kw = {"momentum": self.momentum, "epsilon": self.epsilon}
        if self.variant == "basic":
            self.main = (
                unit("a", Conv2D(self.filters, 3, self.stride, "same", use_bias=bias), bn, g, **kw)
                + unit("b", Conv2D(self.filters, 3, 1, "same", use_bias=bias), bn, None, **kw)
            )
        else:
            self.main = (
                unit("a", Conv2D(self.filters, 1, self.stride, "valid", use_bias=bias), bn, g,
                     **kw)
                + unit("b", Conv2D(self.filters, 3, 1, "same", use_bias=bias), bn, g, **kw)
                + unit("c", Conv2D(self.out_channels, 1, 1, "valid", use_bias=bias), bn, None,
                       **kw)
            )
        out = _build_chain(self.main, input_shape, rng, dtype)
        need = self.stride != 1 or input_shape[-1] != self.out_channels
        if self.shortcut == "identity" and need:
            raise ShapeError(f"ResidualBlock: identity shortcut impossible from {input_shape} "
                             f"to {out}")
        if need or self.shortcut == "projection":
            self.projection = unit(
                "s", Conv2D(self.out_channels, 1, self.stride, "valid", use_bias=bias), bn, None,
                **kw,
            )
            short = _build_chain(self.projection, input_shape, rng, dtype)
            if short != out:  # pragma: no cover - the shapes agree by construction
                raise ShapeError(f"ResidualBlock: shortcut {short} != main path {out}")
        else:
            self.projection = []
        return out

    def _forward(self, A_prev: Any, training: bool) -> Any:
        Z = _forward_chain(self.main, A_prev, training)  # z[l+2]
        if self.projection:
            Z = Z + _forward_chain(self.projection, A_prev, training)  # + W_s a[l]
        else:
            Z = Z + A_prev  # + a[l]
        A = self.activation.forward(Z)  # a[l+2] = g(z[l+2] + a[l])
        self.cache = (Z, A)
        return A

    def _backward(self, dA: Any) -> Any:
        Z, A = self.cache
        dZ = self.activation.backward(dA, Z, A)
        dA_prev = _backward_chain(self.main, dZ)
        if self.projection:
            return dA_prev + _backward_chain(self.projection, dZ)
        return dA_prev + dZ


# ----------------------------------------------------------------------------------------
class InceptionModule(Block):
    """Inception module: four parallel branches concatenated along the channels.

    ``a``: 1x1 conv (``f_1x1``); ``b``: 1x1 bottleneck (``f_3x3_reduce``) -> 3x3 (``f_3x3``);
    ``c``: 1x1 bottleneck (``f_5x5_reduce``) -> 5x5 (``f_5x5``); ``d``: max pool 3x3 s=1
    same -> 1x1 (``f_pool_proj``).  All "same", so n_H and n_W are kept; output channels
    f_1x1 + f_3x3 + f_5x5 + f_pool_proj.  Parameters W_a, W_b_red, W_b, W_c_red, W_c, W_d.
    """

    kind = "inception_module"

    def __init__(
        self,
        f_1x1: int,
        f_3x3_reduce: int,
        f_3x3: int,
        f_5x5_reduce: int,
        f_5x5: int,
        f_pool_proj: int,
        activation: str = "relu",
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.sizes = [int(v) for v in (f_1x1, f_3x3_reduce, f_3x3, f_5x5_reduce, f_5x5,
                                       f_pool_proj)]
        if any(v < 1 for v in self.sizes):
            raise ValueError(f"InceptionModule: filter counts must be >= 1, got {self.sizes}")
        self.activation = get_activation(activation)
        self.batch_norm = bool(batch_norm)
        self.branches: list[list[Layer]] = []
        self.splits: list[int] = []

    def config(self) -> dict:
        names = ("f_1x1", "f_3x3_reduce", "f_3x3", "f_5x5_reduce", "f_5x5", "f_pool_proj")
        cfg: dict[str, Any] = dict(zip(names, self.sizes, strict=True))
        cfg.update(activation=self.activation.config(), batch_norm=self.batch_norm)
        return cfg

    def describe(self) -> str:
        f1, _, f3, _, f5, fp = self.sizes
        return f"InceptionModule({f1}+{f3}+{f5}+{fp})"

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        f1, f3r, f3, f5r, f5, fp = self.sizes
        g, bn = self.activation, self.batch_norm
        b = not bn
        u = self._conv_unit
        self.branches = [
            u("a", Conv2D(f1, 1, use_bias=b), bn, g),
            u("b_red", Conv2D(f3r, 1, use_bias=b), bn, g)
            + u("b", Conv2D(f3, 3, padding="same", use_bias=b), bn, g),
            u("c_red", Conv2D(f5r, 1, use_bias=b), bn, g)
            + u("c", Conv2D(f5, 5, padding="same", use_bias=b), bn, g),
            [MaxPool2D(3, 1, "same")] + u("d", Conv2D(fp, 1, use_bias=b), bn, g),
        ]
        shapes = [_build_chain(br, input_shape, rng, dtype) for br in self.branches]
        self.splits = [s[-1] for s in shapes]
        return (*input_shape[:-1], sum(self.splits))

    def _forward(self, A_prev: Any, training: bool) -> Any:
        xp = get_xp()
        outs = [_forward_chain(br, A_prev, training) for br in self.branches]
        return xp.concatenate(outs, axis=-1)

    def _backward(self, dA: Any) -> Any:
        dA_prev = None
        start = 0
        for br, n in zip(self.branches, self.splits, strict=True):
            d = _backward_chain(br, dA[..., start:start + n])
            dA_prev = d if dA_prev is None else dA_prev + d
            start += n
        return dA_prev


# ----------------------------------------------------------------------------------------
class SeparableConv2D(Block):
    """Depthwise-separable convolution: depthwise f x f (``W_dw``) -> 1x1 pointwise (``W_pw``).

    Cost ratio against a normal convolution (the notes): 1/n_C' + 1/f^2.
    """

    kind = "separable_conv2d"

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: Padding = "same",
        depth_multiplier: int = 1,
        activation: str | dict | None = "linear",
        init: str = "he",
        use_bias: bool = True,
    ) -> None:
        super().__init__()
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.stride = int(stride)
        self.padding = padding
        self.depth_multiplier = int(depth_multiplier)
        self.activation = get_activation(activation)
        self.init = init
        self.use_bias = bool(use_bias)
        self.chain: list[Layer] = []

    def config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": padding_config(self.padding),
            "depth_multiplier": self.depth_multiplier,
            "activation": self.activation.config(),
            "init": self.init,
            "use_bias": self.use_bias,
        }

    def describe(self) -> str:
        return f"SeparableConv2D({self.filters}, {self.kernel_size}, s={self.stride})"

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        dw = DepthwiseConv2D(self.kernel_size, self.stride, self.padding, self.depth_multiplier,
                             init=self.init, use_bias=False)
        pw = Conv2D(self.filters, 1, activation=self.activation, init=self.init,
                    use_bias=self.use_bias)
        self.chain = [self._part("dw", dw), self._part("pw", pw)]
        return _build_chain(self.chain, input_shape, rng, dtype)

    def _forward(self, A_prev: Any, training: bool) -> Any:
        return _forward_chain(self.chain, A_prev, training)

    def _backward(self, dA: Any) -> Any:
        return _backward_chain(self.chain, dA)


# ----------------------------------------------------------------------------------------
class _MobileNetBlock(Block):
    """What MobileNet v1 and v2 blocks share: ``filters`` out, ``stride``, g (ReLU6 by
    default), optional batch norm after each convolution, and a chain of conv units run in
    order (forward) and in reverse (backward)."""

    def __init__(
        self,
        filters: int,
        stride: int = 1,
        activation: str = "relu6",
        batch_norm: bool = False,
        momentum: float = 0.9,
        epsilon: float = 1e-3,
    ) -> None:
        super().__init__()
        self.filters = int(filters)
        self.stride = int(stride)
        self.activation = get_activation(activation)
        self.batch_norm = bool(batch_norm)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.chain: list[Layer] = []

    def config(self) -> dict:
        return {
            "filters": self.filters,
            "stride": self.stride,
            "activation": self.activation.config(),
            "batch_norm": self.batch_norm,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }

    def _unit(self, name: str, layer: Layer, activation: Any) -> list[Layer]:
        """``layer`` [BN] [g] under ``name`` (the block's batch-norm settings)."""
        return self._conv_unit(name, layer, self.batch_norm, activation,
                               momentum=self.momentum, epsilon=self.epsilon)

    def _depthwise(self) -> DepthwiseConv2D:
        """The 3x3 depthwise step (stride s, 'same'; no bias under batch norm)."""
        return DepthwiseConv2D(3, self.stride, "same", use_bias=not self.batch_norm)

    def _pointwise(self, filters: int) -> Conv2D:
        """A 1x1 convolution to ``filters`` channels (no bias under batch norm)."""
        return Conv2D(filters, 1, use_bias=not self.batch_norm)

    def _forward(self, A_prev: Any, training: bool) -> Any:
        return _forward_chain(self.chain, A_prev, training)

    def _backward(self, dA: Any) -> Any:
        return _backward_chain(self.chain, dA)


class MobileNetV1Block(_MobileNetBlock):
    """MobileNet v1: depthwise 3x3 (stride s) [BN] g -> pointwise 1x1 (``filters``) [BN] g.

    Parameters ``W_dw`` (3, 3, n_C_prev, 1) and ``W_pw`` (1, 1, n_C_prev, filters) (plus
    biases, or ``gamma``/``beta`` with batch norm); g is ReLU6 by default.
    """

    kind = "mobilenet_v1_block"

    def describe(self) -> str:
        return f"MobileNetV1Block({self.filters}, s={self.stride})"

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        g = self.activation
        self.chain = (self._unit("dw", self._depthwise(), g)
                      + self._unit("pw", self._pointwise(self.filters), g))
        return _build_chain(self.chain, input_shape, rng, dtype)


class MobileNetV2Block(_MobileNetBlock):
    """MobileNet v2 bottleneck: expansion 1x1 (n_C_prev * t) -> depthwise 3x3 (stride s)
    -> linear projection 1x1 (``filters``), plus the input when s = 1 and n_C_prev = filters.

    Parameters ``W_expand`` (skipped when ``expansion == 1``), ``W_dw``, ``W_project``; the
    expansion and depthwise steps use g (ReLU6), the projection is linear.
    """

    kind = "mobilenet_v2_block"

    def __init__(
        self,
        filters: int,
        stride: int = 1,
        expansion: int = 6,
        activation: str = "relu6",
        batch_norm: bool = False,
        momentum: float = 0.9,
        epsilon: float = 1e-3,
    ) -> None:
        super().__init__(filters, stride, activation, batch_norm, momentum, epsilon)
        self.expansion = int(expansion)
        self.residual = False

    def config(self) -> dict:
        return {**super().config(), "expansion": self.expansion}

    def describe(self) -> str:
        res = ", residual" if self.residual else ""
        return f"MobileNetV2Block({self.filters}, s={self.stride}, t={self.expansion}{res})"

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        g = self.activation
        n_C_prev = input_shape[-1]
        chain: list[Layer] = []
        if self.expansion != 1:
            chain += self._unit("expand", self._pointwise(n_C_prev * self.expansion), g)
        chain += self._unit("dw", self._depthwise(), g)
        chain += self._unit("project", self._pointwise(self.filters), None)
        self.chain = chain
        self.residual = self.stride == 1 and n_C_prev == self.filters
        return _build_chain(self.chain, input_shape, rng, dtype)

    def _forward(self, A_prev: Any, training: bool) -> Any:
        A = super()._forward(A_prev, training)
        return A + A_prev if self.residual else A

    def _backward(self, dA: Any) -> Any:
        dA_prev = super()._backward(dA)
        return dA_prev + dA if self.residual else dA_prev


# ----------------------------------------------------------------------------------------
def compound_scaling(
    phi: float, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15
) -> dict[str, float]:
    """EfficientNet compound scaling: depth alpha^phi, width beta^phi, resolution gamma^phi.

    With the defaults alpha * beta^2 * gamma^2 ~ 2, so the FLOPs grow about 2^phi.
    """
    return {
        "depth": float(alpha) ** phi,
        "width": float(beta) ** phi,
        "resolution": float(gamma) ** phi,
    }


def scale_width(channels: int, width: float, divisor: int = 8) -> int:
    """Channels times ``width``, rounded to a multiple of ``divisor`` (never below 90%)."""
    c = channels * width
    new = max(divisor, int(c + divisor / 2) // divisor * divisor)
    if new < 0.9 * c:
        new += divisor
    return int(new)


def scale_depth(repeats: int, depth: float) -> int:
    """ceil(repeats * depth): how many times to repeat a stage."""
    return int(math.ceil(repeats * depth))


def scale_resolution(size: int, resolution: float) -> int:
    """round(size * resolution): the input image size."""
    return int(round(size * resolution))


__all__ = [
    "Block",
    "InceptionModule",
    "MobileNetV1Block",
    "MobileNetV2Block",
    "ReLU6",
    "ResidualBlock",
    "SeparableConv2D",
    "compound_scaling",
    "scale_depth",
    "scale_resolution",
    "scale_width",
]
