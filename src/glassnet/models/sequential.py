"""Models: a stack of layers with the course's ``parameters`` and ``grads`` dictionaries.

A model built from layer sizes ``[n_x, n[1], ..., n[L]]`` is the notes' L-layer network::

    A[0] = X                       (n_x, m)
    Z[l] = W[l] A[l-1] + b[l]      (n[l], m)
    A[l] = g[l](Z[l])
    J    = (1/m) sum_i L(A[L](i), Y(i))  (+ lambda/(2m) sum_l ||W[l]||_F^2 with L2)

Backward starts where the loss says (dZ[L] = A[L] - Y for a canonical pair, else dA[L]); a
model given no loss takes its output activation's (:func:`models.outputs.default_loss`).

Parameters are named as in the notes: the l-th layer that owns an index gets
``W{l}``, ``b{l}``; a batch norm after it adds ``gamma{l}``, ``beta{l}``.  The naming
and the ``parameters``/``grads``/``state`` views are :mod:`glassnet.layers.compose`'s, the
mechanism blocks use too.  The layout of X (and so the examples' axis) is the one the
first layer declares (:mod:`glassnet.core.layouts`), never guessed from X's rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from glassnet.core.backend import get_xp
from glassnet.core.errors import GlassnetError, ShapeError, TrainingDiverged
from glassnet.core.layouts import ANY, Layout, get_layout
from glassnet.functions.losses import Loss, get_loss
from glassnet.functions.regularization import Regularizer, get_regularizer
from glassnet.layers.base import Layer, layer_from_config, layer_to_config
from glassnet.layers.compose import ArrayView, GradView, Naming, index_join, indexed
from glassnet.models.inference import outputs_and_cost, predict_in_batches
from glassnet.models.inspection import diagnose_nonfinite, summary
from glassnet.models.outputs import default_loss, encode_labels, task_of_output


def _resolve_dtype(dtype: Any) -> numpy.dtype:
    dt = numpy.dtype(dtype)
    if dt not in (numpy.float32, numpy.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt


class Sequential:
    """Layers applied in order, trained against one loss.

    ``regularization`` is ``{"l2": lambda}`` and/or ``{"l1": lambda}`` (Course 2, see
    :mod:`glassnet.regularization`); it adds to the cost and to every weight gradient ``dW``.
    """

    kind = "sequential"

    def __init__(
        self,
        layers: Sequence[Layer],
        loss: str | dict | Loss | None = None,
        regularization: dict[str, float] | Regularizer | None = None,
        name: str = "model",
    ) -> None:
        self.layers: list[Layer] = list(layers)
        if not self.layers:
            raise ValueError("a model needs at least one layer")
        self.loss = get_loss(default_loss(self._output_activation_name()) if loss is None else loss)
        self.regularizer = get_regularizer(regularization)
        self.name = name
        self.input_shape: tuple[int, ...] | None = None
        self.dtype = numpy.dtype(numpy.float32)
        self.metadata: dict[str, Any] = {}
        self.extras: dict[str, numpy.ndarray] = {}
        #: the one walk that names every array (W1, b1, gamma2, W_a3 ...)
        self.naming = Naming([], index_join)
        self._views: tuple[ArrayView, GradView, ArrayView] = self.naming.views()
        self._layouts: tuple[Layout, Layout] | None = None  # (of X, of A[L])
        self.built = False

    # -- construction ---------------------------------------------------------------
    def build(
        self,
        input_shape: int | Sequence[int],
        seed: int | None = 0,
        rng: str = "numpy",
        dtype: Any = "float32",
    ) -> Sequential:
        """Create every layer's parameters for examples of ``input_shape``.

        ``input_shape`` is ``n_x`` for dense data, ``(n_H, n_W, n_C)`` for images.
        ``rng="numpy"`` draws from ``numpy.random.default_rng(seed)``;
        ``rng="course"`` sets NumPy's legacy global seed once and draws with
        ``numpy.random.randn`` per layer, W before b, as the course's notebooks do.
        """
        if isinstance(input_shape, int | numpy.integer):
            input_shape = (int(input_shape),)
        shape = tuple(int(d) for d in input_shape)
        if not shape or any(d < 1 for d in shape):
            raise ValueError(f"input shape must be positive sizes, got {shape}")
        self.dtype = _resolve_dtype(dtype)
        if rng == "course":
            numpy.random.seed(0 if seed is None else seed)
            generator: Any = numpy.random
        elif rng == "numpy":
            generator = numpy.random.default_rng(seed)
        else:
            raise ValueError(f"unknown rng mode {rng!r}: expected 'numpy' or 'course'")
        self.input_shape = shape
        layout = self._first_layout().name
        for i, layer in enumerate(self.layers):
            try:
                layout = layer.connect(layout)
                shape = layer.build(shape, generator, self.dtype)
            except ShapeError as exc:
                raise ShapeError(f"layer {i + 1} ({layer.describe()}): {exc}") from None
        self.seed = seed
        self._index()
        self.built = True
        return self

    def _first_layout(self) -> Layout:
        """The layout of X: the first layer's that is not ANY (an activation takes any)."""
        for layer in self.layers:
            if layer.input_layout != ANY:
                if layer.input_layout is None:
                    raise GlassnetError(f"{layer.describe()}: the layer declares no input_layout")
                return get_layout(layer.input_layout)
        raise GlassnetError("no layer of the model declares the layout of its input "
                            "(start with a Dense, Conv2D, Flatten, ... layer)")

    def _connect(self) -> tuple[Layout, Layout]:
        """Walk the layouts through the layers: (the layout of X, the layout of A[L])."""
        first = self._first_layout()
        layout = first.name
        for layer in self.layers:
            layout = layer.connect(layout)
        return first, get_layout(layout)

    def _index(self) -> None:
        """Name every parameter ``pname + l`` (the notes' W1, b1, gamma2 ...): the one walk
        of :mod:`glassnet.layers.compose`, whose views are ``parameters``, ``grads``, ``state``."""
        self._layouts = self._connect()
        self._set_propagation()
        self.naming = Naming(indexed(self.layers), index_join, "model")
        self._views = self.naming.views()
        self._keep_output_logits()

    @property
    def parameters(self) -> ArrayView:
        """``{"W1": W[1], "b1": b[1], ...}``: a view on the layers' own arrays (in-place
        updates reach them, and so does an array written into it)."""
        return self._views[0]

    @property
    def grads(self) -> GradView:
        """``{"dW1": dW[1], ...}`` from the last backward pass (frozen layers have none)."""
        return self._views[1]

    @property
    def state(self) -> ArrayView:
        """Non-trained arrays (batch-norm running averages), named like the parameters."""
        return self._views[2]

    def set_parameters(self, values: dict[str, Any], strict: bool = True) -> None:
        """Copy ``values`` into the model's arrays (shapes must agree)."""
        xp = get_xp()
        params, _, state = self._views
        if strict:
            missing = [k for view in (params, state) for k in view if k not in values]
            if missing:
                raise KeyError(f"missing parameter(s) {', '.join(missing)}")
        for key, value in values.items():
            view = params if key in params else state if key in state else None
            if view is None:
                if strict:
                    raise KeyError(f"unknown parameter {key!r}")
                continue
            target = view[key]
            if tuple(target.shape) != tuple(value.shape):
                raise ShapeError(
                    f"parameter {key}: expected shape {tuple(target.shape)}, "
                    f"got {tuple(value.shape)}"
                )
            target[...] = xp.asarray(value, dtype=target.dtype)

    def astype(self, dtype: Any) -> Sequential:
        """Convert every parameter and state array to ``dtype`` (float64 for gradient checks);
        the new arrays are written through the views into the layers (and blocks' parts)."""
        xp = get_xp()
        self.dtype = _resolve_dtype(dtype)
        for view in (self.parameters, self.state):
            for k in list(view):
                view[k] = xp.ascontiguousarray(view[k], dtype=self.dtype)
        return self

    def freeze(self, n_layers: int) -> None:
        """Freeze the first ``n_layers`` layers (transfer learning): no gradients, no updates."""
        for i, layer in enumerate(self.layers):
            layer.trainable = i >= n_layers
            if not layer.trainable:
                layer.grads.clear()
        self._set_propagation()

    def _set_propagation(self) -> None:
        """dA_prev is computed only where a trainable layer lies below (never for the input)."""
        below_trainable = False
        for layer in self.layers:
            layer.propagate_input_grad = below_trainable
            below_trainable = below_trainable or (layer.trainable and bool(layer.params))

    # -- the forward and backward passes --------------------------------------------
    @property
    def input_layout(self) -> Layout:
        """The layout of X, as the first layer declares it (dense (n_x, m), image ...)."""
        return self._layouts[0] if self._layouts is not None else self._first_layout()

    @property
    def output_layout(self) -> Layout:
        """The layout of A[L] (and of the labels Y): the last layer's output layout."""
        return self._layouts[1] if self._layouts is not None else self._connect()[1]

    @property
    def batch_axis(self) -> int:
        """Axis of the examples in X, from the input layout: 1 for dense (n_x, m) and
        sequences (n_x, m, T_x), 0 for images (m, ...)."""
        return self.input_layout.batch_axis

    def check_input(self, X: Any) -> None:
        if self.input_shape is None:
            raise GlassnetError("the model is not built: call build(input_shape) first")
        shape = tuple(X.shape)
        if len(shape) != len(self.input_shape) + 1:
            raise ShapeError(self._shape_message(shape))
        if self.input_layout.example_shape(shape) != self.input_shape:
            raise ShapeError(self._shape_message(shape))

    def _shape_message(self, got: tuple[int, ...]) -> str:
        return f"input: the model takes {self.input_layout.describe(self.input_shape)}, got {got}"

    def forward(self, X: Any, training: bool = False) -> Any:
        """A[L] for the examples X (``(n_x, m)`` or ``(m, n_H, n_W, n_C)``)."""
        A = X
        for layer in self.layers:
            A = layer.forward(A, training)
        return A

    def _output_activation_name(self) -> str | None:
        act = getattr(self.layers[-1], "activation", None)
        return act.name if act is not None else None

    def backward(self, AL: Any, Y: Any) -> Any:
        """Fill every layer's grads from the output A[L] and labels Y; return dX (or None).

        The loss says where backpropagation starts (:meth:`Loss.output_gradient`):
        dZ[L] = A[L] - Y for the canonical pairs, dA[L] = dL/dA[L] otherwise.
        """
        delta, is_dZ = self.loss.output_gradient(AL, Y, self._output_activation_name())
        if is_dZ:
            last = self.layers[-1]
            if hasattr(last, "backward_from_dZ"):
                dA = last.backward_from_dZ(delta)
            else:  # a stand-alone activation layer: its input is Z
                dA = delta
            rest = self.layers[:-1]
        else:
            dA, rest = delta, self.layers
        for layer in reversed(rest):
            if dA is None:
                break
            dA = layer.backward(dA)
        self._add_regularization_grads(Y.shape[-1])
        return dA

    def compute_cost(self, AL: Any, Y: Any) -> float:
        """J = (1/m) sum L(A[L], Y), plus the regularization terms.

        For the canonical pairs the cost comes from the output layer's logits Z[L] (kept by
        the last forward pass), exact for any z; otherwise from A[L].
        """
        cost = self._loss_cost(AL, Y)
        return cost + self._regularization_cost(Y.shape[-1])

    def _loss_cost(self, AL: Any, Y: Any) -> float:
        logits_of = getattr(self.layers[-1], "logits_of", None)
        Z = logits_of(AL) if logits_of is not None else None
        return self.loss.output_cost(AL, Y, Z, self._output_activation_name())

    def outputs_and_cost(self, X: Any, Y: Any, batch_size: int | None = None
                         ) -> tuple[Any, float]:
        """A[L] in inference mode and the cost J on (X, Y), batch by batch (batches sized by
        memory unless ``batch_size``): :func:`glassnet.models.inference.outputs_and_cost`."""
        return outputs_and_cost(self, X, Y, batch_size)

    def _label_batch_axis(self, Y: Any) -> int:
        """The examples' axis of the labels (and of A[L]): the output layout's."""
        return self.output_layout.batch_axis

    def _keep_output_logits(self) -> None:
        """The output layer keeps Z[L] when the loss computes its cost from the logits."""
        for layer in self.layers:
            layer.keep_logits = False
        if self.layers:
            self.layers[-1].keep_logits = self.loss.is_canonical(self._output_activation_name())
            if hasattr(self.loss, "class_axis"):
                self.loss.class_axis = self.class_axis  # softmax per pixel: classes last
            self.loss.batch_axis = self.output_layout.batch_axis  # m of (n_y, m, T_y) too

    def _regularization_cost(self, m: int) -> float:
        return self.regularizer.cost(self.parameters, m) if self.regularizer.active else 0.0

    def _add_regularization_grads(self, m: int) -> None:
        if self.regularizer.active:
            self.regularizer.add_grads(self.parameters, self.grads, m)

    def train_step(self, X: Any, Y: Any) -> float:
        """One forward and backward pass; returns the cost (grads are left filled)."""
        AL = self.forward(X, training=True)
        cost = self.compute_cost(AL, Y)
        if not numpy.isfinite(cost):
            raise TrainingDiverged(self.diagnose_nonfinite(X, cost))
        self.backward(AL, Y)
        return cost

    def diagnose_nonfinite(self, X: Any, cost: float) -> str:
        """Name the first layer whose parameters or output are NaN/inf."""
        return diagnose_nonfinite(self, X, cost)

    # -- prediction -------------------------------------------------------------------
    @property
    def output_activation(self) -> str:
        act = getattr(self.layers[-1], "activation", None)
        return act.name if act is not None else "linear"

    @property
    def class_axis(self) -> int:
        """The axis of the classes in A[L]: 0 for ``(C, m)``, -1 per pixel ``(m, H, W, C)``."""
        axis = self.output_layout.class_axis or 0
        return 0 if axis == 0 else -1

    @property
    def n_outputs(self) -> int:
        shape = self.layers[-1].output_shape
        if not shape:
            return 0
        return int(shape[-1] if self.class_axis == -1 else shape[0])

    @property
    def task(self) -> str:
        """binary, multiclass, multilabel or regression, from the output layer and loss."""
        return task_of_output(self.output_activation, self.loss.name, self.n_outputs)

    def predict_proba(self, X: Any, batch_size: int | None = None) -> Any:
        """A[L] in inference mode: probabilities for sigmoid/softmax outputs, values otherwise;
        in batches sized by memory (:func:`glassnet.models.inference.predict_in_batches`)."""
        return predict_in_batches(self, X, "predict_proba", batch_size)

    def predict(self, X: Any, threshold: float = 0.5, batch_size: int | None = None) -> Any:
        """Predictions, ``(1, m)`` for binary (A > 0.5) and multiclass (argmax over classes);
        ``(k, m)`` 0/1 for multi-label; A[L] itself for regression (batch by batch)."""
        return predict_in_batches(self, X, "predict", batch_size, threshold)

    # -- labels -----------------------------------------------------------------------
    def prepare_labels(self, y: Any) -> Any:
        """Labels in the loss's layout (:func:`glassnet.models.outputs.encode_labels`)."""
        return encode_labels(y, self.task, self.n_outputs, self.dtype,
                             bool(getattr(self.loss, "allows_missing", False)), self.class_axis)

    # -- description ------------------------------------------------------------------
    @property
    def n_parameters(self) -> int:
        return int(sum(int(numpy.prod(p.shape)) for p in self.parameters.values()))

    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts."""
        return summary(self)

    def config(self) -> dict:
        return {
            "type": self.kind,
            "name": self.name,
            "input_shape": list(self.input_shape or ()),
            "dtype": str(self.dtype),
            "loss": self.loss.config(),
            "regularization": self.regularizer.config(),
            "layers": [layer_to_config(layer) for layer in self.layers],
        }

    @classmethod
    def from_config(cls, config: dict, build: bool = True) -> Sequential:
        layers = [layer_from_config(entry) for entry in config["layers"]]
        model = cls(
            layers,
            loss=config.get("loss", "binary_crossentropy"),
            regularization=config.get("regularization"),
            name=config.get("name", "model"),
        )
        if build:
            model.build(tuple(config["input_shape"]), seed=0, dtype=config.get("dtype", "float32"))
        return model

    def __repr__(self) -> str:
        count = self.n_parameters if self.built else "?"
        return f"Sequential({len(self.layers)} layers, {count} parameters)"
