"""The building-block contract every layer obeys (DESIGN.md).

* ``params`` and ``grads`` are dicts named as in the notes (``W``, ``b``,
  ``gamma``, ``beta``; ``dW``, ``db``, ...).  Arrays are updated in place, so a
  model's ``parameters`` view and an optimizer's state stay valid.
* ``build(input_shape, rng, dtype)`` creates the parameters for an input of
  ``input_shape`` (the shape of one example: ``(n[l-1],)`` for dense data,
  ``(n_H, n_W, n_C)`` for images) and returns the output shape.
* ``forward(A_prev, training)`` returns ``A`` and keeps the cache;
  ``backward(dA)`` returns ``dA_prev`` and fills ``grads``.
* ``input_layout`` / ``output_layout`` declare the layouts of ``A_prev`` and ``A``
  (:mod:`glassnet.core.layouts`: ``"dense"`` (n, m), ``"image"`` (m, n_H, n_W, n_C),
  ``"sequence"`` (n_x, m, T_x), ...; ``ANY`` for a layer that takes whatever it is given and
  gives the same).  A container calls ``connect(layout)`` before ``build``: the layer keeps
  the layout it receives in ``self.layout`` (its batch axis, its class axis) and the
  container learns the layout that comes out.  Nothing reads the batch axis from a rank.
* ``sublayers()`` lists the layers a composite is made of (none for a plain layer); the
  composition itself (naming, views, shared weights) is :mod:`glassnet.layers.compose`.

Gradient convention (the notes'): the ``dA`` passed between layers is the
per-example derivative dL/dA; a layer forms its parameter gradients with the
1/m of the cost (dW = 1/m dZ A_prev^T), so ``grads`` hold dJ/dparam.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy

from glassnet.core.errors import GlassnetError, ShapeError
from glassnet.core.layouts import ANY, LAYOUTS, Layout, get_layout

LAYER_TYPES: dict[str, type[Layer]] = {}


class Layer:
    """Base class of all layers and blocks."""

    #: the name used in architecture files
    kind: ClassVar[str] = "layer"
    #: whether this layer's parameters get their own index l in a model
    #: (Dense, Conv) or share the previous weight layer's (BatchNorm)
    owns_index: ClassVar[bool] = True
    #: the layout of A_prev this layer takes (ANY: whatever it is given); None is "not
    #: declared", which a container refuses
    input_layout: ClassVar[str | None] = None
    #: the layout of A it gives (ANY: the one it took)
    output_layout: ClassVar[str] = ANY

    #: set by the model on its output layer when the loss's cost reads the logits Z[L]:
    #: the layer then keeps Z instead of writing A = g(Z) over it
    keep_logits: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            LAYER_TYPES[cls.kind] = cls

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}
        self.input_shape: tuple[int, ...] | None = None
        self.output_shape: tuple[int, ...] | None = None
        self.state: dict[str, Any] = {}
        self.trainable: bool = True
        #: False for a model's first layer: dA_prev of the input is not needed
        self.propagate_input_grad: bool = True
        self.built = False
        self.cache: Any = None
        #: the layout of A_prev, set by connect() (or, on its own, by build())
        self.layout: Layout | None = None

    # -- construction -----------------------------------------------------------------
    def connect(self, layout: str | Layout) -> str:
        """Take input of ``layout``; return the layout of the output.  Call before build().

        A layer that declares a layout refuses any other (ShapeError naming both).
        """
        got = get_layout(layout)
        want = self.input_layout
        if want is None:
            raise GlassnetError(f"{self.describe()}: the layer declares no input_layout "
                                "(see glassnet.layers.base)")
        if want != ANY and want != got.name:
            hint = " (add a Flatten layer first)" if (want, got.name) == ("dense", "image") else ""
            raise ShapeError(f"{self.describe()}: takes {want} input {get_layout(want).describe()}"
                             f", got {got.name} {got.describe()}{hint}")
        self.layout = got
        out = self.output_layout
        return got.name if out == ANY else get_layout(out).name

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        """Create parameters for one example of ``input_shape``; return the output shape."""
        self.input_shape = tuple(int(d) for d in input_shape)
        if self.layout is None:
            self.layout = self._own_layout(self.input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.layout.check_example_rank(self.input_shape, self.describe())
        self.built = True
        return self.output_shape

    def _own_layout(self, input_shape: tuple[int, ...]) -> Layout:
        """The layout of a layer built on its own (no container called connect()): the one
        it declares; for an ANY layer, dense for (n,) examples and channels-last otherwise."""
        if self.input_layout not in (None, ANY):
            return get_layout(self.input_layout)
        return LAYOUTS["dense"] if len(input_shape) == 1 else LAYOUTS["image"]

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return input_shape

    def config(self) -> dict:
        """JSON-able constructor arguments (the architecture file's entry)."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    # -- computation ------------------------------------------------------------------
    def forward(self, A_prev: Any, training: bool = False) -> Any:
        raise NotImplementedError

    def backward(self, dA: Any) -> Any:
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------------
    @property
    def n_parameters(self) -> int:
        return int(sum(int(numpy.prod(p.shape)) for p in self.params.values()))

    def zero_grads(self) -> None:
        for k, p in self.params.items():
            self.grads["d" + k] = p * 0

    def sublayers(self) -> list[Layer]:
        """The layers this one is made of, in build order (none for a plain layer)."""
        return []

    def check_input(self, A_prev: Any, batch_axis: int | None = None) -> None:
        """Raise ShapeError unless ``A_prev`` has this layer's example shape (the batch axis
        is the layout's unless given)."""
        if self.input_shape is None:
            return
        if batch_axis is None:
            batch_axis = self.layout.batch_axis if self.layout is not None else 0
        shape = tuple(A_prev.shape)
        example = shape[:batch_axis] + shape[batch_axis + 1 :]
        if example != self.input_shape:
            want = list(self.input_shape)
            want.insert(batch_axis, "m")
            raise ShapeError(
                f"{self.describe()}: expected input of shape ({', '.join(map(str, want))}), "
                f"got {shape}"
            )

    def describe(self) -> str:
        return f"{type(self).__name__}"

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def walk(layer: Layer):
    """``layer`` and every layer inside it, depth first, in build order."""
    yield layer
    for sub in layer.sublayers():
        yield from walk(sub)


def layer_from_config(entry: dict) -> Layer:
    """Rebuild a layer from an architecture-file entry ``{"type": ..., "config": {...}}``."""
    kind = entry.get("type")
    if kind not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {kind!r} in architecture")
    return LAYER_TYPES[kind].from_config(dict(entry.get("config", {})))


def layer_to_config(layer: Layer) -> dict:
    return {"type": layer.kind, "config": layer.config()}
