"""Blocks: layers made of layers (Course 4 week 2 onwards), one composition mechanism.

A block obeys the layer contract (``connect``, ``build``, ``forward(A_prev, training)``,
``backward(dA)``, ``params``/``grads``/``state``) and is composed with
:mod:`glassnet.layers.compose`, the mechanism a :class:`~glassnet.models.sequential.
Sequential` model uses too:

* ``_part(suffix, layer)`` names a part: its ``W`` is the block's ``W_<suffix>``, its
  ``gamma`` ``gamma_<suffix>``, its ``dW`` ``dW_<suffix>`` (suffixes never end in a digit,
  so a model appends its index: ``W_a1``).  A convolution and its batch norm share one
  suffix (``W_a``, ``gamma_a``); parts without arrays (activations, pools) need no name.
* ``_build_chain(layers, shape, rng, dtype)`` connects and builds parts in order and
  records them as the block's ``sublayers()``.
* After ``_build_parts``, ``params``, ``grads`` and ``state`` are views on the parts' own
  dicts (:class:`~glassnet.layers.compose.ArrayView`): an optimizer's in-place step, an
  ``astype`` or a new array written into ``block.params`` reaches the part at once, and a
  block never copies or re-syncs anything.  ``trainable`` is pushed down to every part.
* ``config()`` holds the constructor arguments; the parts follow from them, so an
  architecture file names the block only (``{"type": "residual_block", ...}``).

What comes next fits in the same frame:

* **Skip connections that concatenate (U-Net).**  A ``UNet`` block builds its encoder
  stages, bottleneck and decoder stages as parts (suffixes ``enc1``... would end in a
  digit: use ``enc_a``, ``dec_a``); ``_forward`` keeps each encoder output A_k, and at the
  matching decoder stage concatenates ``[up(A), A_k]`` along the channel axis
  (``self.layout.class_axis``).  ``_backward`` splits dA at the same channel offsets (as
  :class:`~glassnet.layers.blocks.inception.InceptionModule` splits its branches), sends
  the first part down the decoder and *adds* the second to the gradient arriving at A_k.
* **One set of weights on several inputs (siamese networks).**  The encoder is one part,
  applied through :class:`~glassnet.layers.compose.Shared`: ``f.begin()``, then
  ``f.forward(x1)``, ``f.forward(x2)``; backward calls ``f.backward(dA_k, k)`` for each
  input and the encoder's grads are the sums.  Its names appear once (``W_enc``...), so
  the optimizer updates one set of weights.  (See tests/test_compose.py.)
* **Encoder-decoder models with two inputs.**  ``forward`` receives a tuple
  ``(X, Y_in)`` and ``backward`` returns a tuple of gradients; the block declares a
  tuple of layouts as its ``input_layout`` and ``connect`` checks each.  The encoder and
  decoder are parts (``_enc``, ``_dec`` suffixes), so the names stay unique and flat.
* **Cells applied over time steps (RNN, GRU, LSTM).**  The cell is one part applied at
  every t through :class:`~glassnet.layers.compose.Shared`: forward t = 1..T_x, backward
  t = T_x..1 (backpropagation through time); the cell's gradients are the sums over t,
  exactly the notes' dW_ax = sum_t dW_ax<t>.  The block takes and gives the ``sequence``
  layout (n_x, m, T_x), so mini-batches are cut along m (axis 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from glassnet.core.errors import ShapeError
from glassnet.functions.activations import get_activation
from glassnet.layers.activation import ActivationLayer
from glassnet.layers.base import Layer
from glassnet.layers.batchnorm import BatchNorm
from glassnet.layers.compose import Naming, build_chain, suffix_join


class Block(Layer):
    """Base class of composite layers: named parts exposed as one flat layer (views)."""

    owns_index = True
    input_layout = output_layout = "image"

    def __init__(self) -> None:
        self._parts: list[tuple[str, Layer]] = []
        self._children: list[Layer] = []
        self._trainable = True
        super().__init__()

    # -- parts ------------------------------------------------------------------------
    @property
    def trainable(self) -> bool:  # type: ignore[override]
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._children:
            layer.trainable = self._trainable

    def _part(self, suffix: str, layer: Layer) -> Layer:
        """Name ``layer``'s arrays ``<name>_<suffix>`` on the block (``W`` -> ``W_a``)."""
        if suffix and suffix[-1].isdigit():
            raise ValueError(f"block part suffix {suffix!r} must not end with a digit")
        self._parts.append((suffix, layer))
        return layer

    def sublayers(self) -> list[Layer]:
        """The parts, in build order (those without arrays too)."""
        return list(self._children)

    def _build_chain(self, layers: Sequence[Layer], shape: tuple[int, ...], rng: Any,
                     dtype: Any, layout: str | None = None) -> tuple[int, ...]:
        """connect() and build() ``layers`` in order from the block's input layout (or
        ``layout``); they become sublayers.  Returns the output shape."""
        start = layout if layout is not None else self.layout.name
        shape, _ = build_chain(layers, shape, start, rng, dtype)
        for layer in layers:
            layer.trainable = self._trainable
            if layer not in self._children:
                self._children.append(layer)
        return shape

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        self.input_shape = tuple(int(d) for d in input_shape)
        if self.layout is None:
            self.layout = self._own_layout(self.input_shape)
        self.layout.check_example_rank(self.input_shape, self.describe())
        self._parts, self._children = [], []
        self.output_shape = self._build_parts(self.input_shape, rng, dtype)
        naming = Naming([(layer, suffix) for suffix, layer in self._parts], suffix_join,
                        type(self).__name__)
        self.params, self.grads, self.state = naming.views()
        self.built = True
        return self.output_shape

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        raise NotImplementedError("build the block to learn its output shape")

    # -- computation ------------------------------------------------------------------
    def forward(self, A_prev: Any, training: bool = False) -> Any:
        if not self.built:
            raise RuntimeError(f"{self.describe()}: build() the block before forward()")
        self.check_input(A_prev)
        return self._forward(A_prev, training)

    def backward(self, dA: Any) -> Any:
        return self._backward(dA)

    def _forward(self, A_prev: Any, training: bool) -> Any:
        raise NotImplementedError

    def _backward(self, dA: Any) -> Any:
        raise NotImplementedError

    # -- helpers for the subclasses ---------------------------------------------------
    def _conv_unit(
        self,
        suffix: str,
        conv: Layer,
        batch_norm: bool,
        activation: Any,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
    ) -> list[Layer]:
        """conv [-> batch norm] [-> activation]; arrays W_<suffix>, gamma_<suffix>, ..."""
        chain = [self._part(suffix, conv)]
        if batch_norm:
            chain.append(self._part(suffix, BatchNorm(momentum=momentum, epsilon=epsilon)))
        if activation is not None and get_activation(activation).name != "linear":
            chain.append(ActivationLayer(activation))
        return chain


def check_same(what: str, got: tuple[int, ...], want: tuple[int, ...]) -> None:
    """Raise ShapeError when two paths that are added give different shapes."""
    if got != want:  # pragma: no cover - the shapes agree by construction
        raise ShapeError(f"{what}: {got} != {want}")
