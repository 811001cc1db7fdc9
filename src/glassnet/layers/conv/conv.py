"""Convolutional layers: Z = conv(A_prev, W) + b,  A = g(Z)  (Course 4, week 1).

Layouts (DESIGN.md): images ``A_prev`` (m, n_H_prev, n_W_prev, n_C_prev), channels last;
filters ``W`` (f, f, n_C_prev, n_C); biases ``b`` (1, 1, 1, n_C).  ``Conv1D`` takes
sequences (m, L, n_C) with ``W`` (f, n_C_prev, n_C); ``Conv3D`` takes volumes
(m, D, H, W, n_C) with ``W`` (f, f, f, n_C_prev, n_C).  All three go through one
N-dimensional code path.  Output size: n_H = floor((n_H_prev + 2p - f) / s) + 1.

The equations, in three places that the tests hold equal:

* :mod:`glassnet.layers.conv.reference`: the notes' loops over examples, positions and
  channels (``conv_forward``, ``conv_backward``; public as :mod:`glassnet.course`);
* :mod:`glassnet.layers.conv.im2col`: the same as matrix products, read it first::

      cols    = im2col(zero_pad(A_prev))     (m n_H n_W, f f n_C_prev)
      Z       = cols @ W2 + b                (m n_H n_W, n_C)
      dW      = 1/m cols^T dZ,   db = 1/m sum(dZ),   dA_prev = col2im(dZ W2^T)

* :mod:`glassnet.layers.conv.fast`: the same functions made fast (cache blocking, pixel
  pairing, compiled kernels).

The layer calls one pair, ``conv_forward`` / ``conv_backward``, of the implementation
named by :attr:`ConvND.implementation` (:data:`IMPLEMENTATIONS`): ``"fast"`` by default,
``"plain"`` to run the readable version (``Conv2D.implementation = "plain"`` for every
layer, or on one layer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError
from glassnet.functions.activations import Activation, Softmax, along_channels, get_activation
from glassnet.functions.initializers import initialize_weight
from glassnet.layers.base import Layer
from glassnet.layers.conv import fast
from glassnet.layers.conv import im2col as plain
from glassnet.layers.conv.blocked import Workspace
from glassnet.layers.conv.geometry import (
    ConvGeometry,
    Padding,
    output_spatial,
    padding_config,
    resolve_padding,
    spatial_tuple,
)

#: the implementations of conv_forward / conv_backward, by name (the one switch)
IMPLEMENTATIONS = {"fast": fast, "plain": plain}


def choose_implementation(layer: Layer, implementations: dict[str, Any]) -> Any:
    """The module named by ``layer.implementation`` (a clear error for an unknown name)."""
    try:
        return implementations[layer.implementation]
    except KeyError:
        raise ValueError(
            f"{layer.describe()}: implementation must be one of "
            f"{', '.join(implementations)}, got {layer.implementation!r}"
        ) from None


class ConvND(Layer):
    """Convolution over ``ndim`` spatial axes, channels last (the shared code path).

    Parameters ``W`` (*kernel, n_C_prev, n_C) and ``b`` (1, ..., 1, n_C).
    """

    input_layout = output_layout = "image"  # (m, *spatial, n_C)
    ndim = 2
    #: the name in :data:`IMPLEMENTATIONS` of the conv_forward / conv_backward pair used
    implementation = "fast"

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: Padding = "valid",
        activation: str | dict | Activation | None = "linear",
        init: str = "he",
        init_scale: float = 0.01,
        use_bias: bool = True,
    ) -> None:
        super().__init__()
        if int(filters) < 1:
            raise ValueError(f"{type(self).__name__}: filters must be >= 1, got {filters}")
        self.filters = int(filters)
        self.kernel_size = spatial_tuple(kernel_size, self.ndim, "kernel_size")
        self.stride = spatial_tuple(stride, self.ndim, "stride")
        self.padding = padding
        resolve_padding(padding, (1,) * self.ndim, self.kernel_size, self.stride)  # validate
        self.activation = along_channels(get_activation(activation))  # softmax per pixel
        self.init = init
        self.init_scale = float(init_scale)
        self.use_bias = bool(use_bias)
        self.pads: tuple[tuple[int, int], ...] = ((0, 0),) * self.ndim
        #: a model sets this False on its first layer: backward then skips dA_prev (None)
        self.propagate_input_grad = True

    # -- construction -----------------------------------------------------------------
    def config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": padding_config(self.padding),
            "activation": self.activation.config(),
            "init": self.init,
            "init_scale": self.init_scale,
            "use_bias": self.use_bias,
        }

    def _check_example_shape(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != self.ndim + 1:
            axes = {1: "(L, n_C)", 2: "(n_H, n_W, n_C)", 3: "(D, n_H, n_W, n_C)"}[self.ndim]
            raise ShapeError(
                f"{self.describe()}: expects examples of shape {axes}, got {input_shape}"
            )

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        self._check_example_shape(input_shape)
        n = input_shape[:-1]
        pads = resolve_padding(self.padding, n, self.kernel_size, self.stride)
        out = output_spatial(n, self.kernel_size, self.stride, pads)
        if any(o < 1 for o in out):
            raise ShapeError(
                f"{self.describe()}: input {input_shape} is smaller than the filter "
                f"{self.kernel_size} with padding {pads}"
            )
        return (*out, self.filters)

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        out = super().build(input_shape, rng, dtype)
        xp = get_xp()
        n_C_prev = self.input_shape[-1]
        self.pads = resolve_padding(self.padding, self.input_shape[:-1], self.kernel_size,
                                    self.stride)
        k = math.prod(self.kernel_size)
        shape = (*self.kernel_size, n_C_prev, self.filters)
        W = initialize_weight(self.init, shape, k * n_C_prev, k * self.filters, rng,
                              self.init_scale)
        self.params["W"] = xp.asarray(W, dtype=dtype)
        if self.use_bias:
            self.params["b"] = xp.zeros((1,) * (self.ndim + 1) + (self.filters,), dtype=dtype)
        return out

    def describe(self) -> str:
        k = "x".join(map(str, self.kernel_size))
        return f"{type(self).__name__}({self.filters}, {k}, s={self.stride[0]}, " \
               f"{self.padding}, {self.activation.name})"

    # -- computation ------------------------------------------------------------------
    @property
    def geometry(self) -> ConvGeometry:
        """f, s, padding, input and output sizes and channels of the built layer."""
        return ConvGeometry(
            tuple(self.kernel_size), tuple(self.stride), tuple(self.pads),
            tuple(self.input_shape[:-1]), tuple(self.output_shape[:-1]),
            int(self.input_shape[-1]), self.filters,
        )

    @property
    def work(self) -> Workspace:
        """The buffers kept between steps (padded input, im2col blocks)."""
        work = self.__dict__.get("_work")
        if work is None:
            work = self.__dict__["_work"] = Workspace()
        return work

    def _implementation(self) -> Any:
        return choose_implementation(self, IMPLEMENTATIONS)

    def _fused(self) -> bool:
        """Whether g is applied to Z in place (block by block in the fast version): an
        element-wise g whose backward needs only A (ReLU, tanh, linear), when the logits
        need not be kept; softmax normalizes over the channels, so never it."""
        act = self.activation
        return act.inplace_ok and not isinstance(act, Softmax) and not self.keep_logits

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        """Z = conv(A_prev, W) + b (``conv_forward`` of :attr:`implementation`);  A = g(Z)."""
        if not self.built:
            raise RuntimeError(f"{self.describe()}: build() the layer before forward()")
        self.check_input(A_prev, 0)
        kernels = self._implementation()
        act = self.activation
        b = self.params["b"] if self.use_bias else None
        fused = self._fused()
        Z, saved = kernels.conv_forward(A_prev, self.params["W"], b, self.geometry,
                                        act.forward_inplace if fused else None, self.work)
        A = Z if fused else act.forward(Z)  # fused: Z already holds A = g(Z)
        self.cache = (kernels, saved, Z, A)
        return A

    def logits_of(self, A: Any) -> Any | None:
        """Z of the forward pass that gave ``A`` (None if that pass did not keep it)."""
        cache = self.cache
        if cache is None or cache[3] is not A or cache[2] is A:
            return None
        return cache[2]

    def backward(self, dA: Any) -> Any:
        """dZ = dA * g'(Z), then dW, db, dA_prev (``conv_backward`` of the implementation
        that ran forward; with an element-wise g, dZ is found there, block by block)."""
        kernels, _, Z, A = self.cache
        act = self.activation
        if act.inplace_ok and not isinstance(act, Softmax):
            return self._backward(dA, activation=act, A=A)
        return self._backward(act.backward(dA, Z, A))

    def backward_from_dZ(self, dZ: Any) -> Any:
        """dW = 1/m cols^T dZ,  db = 1/m sum(dZ),  dA_prev = col2im(dZ W^T)."""
        return self._backward(dZ)

    def _backward(self, delta: Any, activation: Any = None, A: Any = None) -> Any:
        kernels, saved, _, _ = self.cache
        dA_prev, dW, db = kernels.conv_backward(
            delta, saved, self.params["W"], self.geometry, activation=activation, A=A,
            use_bias=self.use_bias, weight_grad=self.trainable,
            input_grad=getattr(self, "propagate_input_grad", True), work=self.work,
        )
        if dW is not None:
            self.grads["dW"] = dW
            if db is not None:
                self.grads["db"] = db
        return dA_prev


class Conv1D(ConvND):
    """1-D convolution of sequences (m, L, n_C_prev) with ``W`` (f, n_C_prev, n_C)."""

    kind = "conv1d"
    ndim = 1


class Conv2D(ConvND):
    """2-D convolution of images (m, n_H, n_W, n_C_prev) with ``W`` (f, f, n_C_prev, n_C)."""

    kind = "conv2d"
    ndim = 2


class Conv3D(ConvND):
    """3-D convolution of volumes (m, D, n_H, n_W, n_C_prev) with ``W`` (f, f, f, n_C_prev, n_C)."""

    kind = "conv3d"
    ndim = 3
