"""Models: a stack of layers with the course's ``parameters`` and ``grads`` dictionaries.

A model built from layer sizes ``[n_x, n[1], ..., n[L]]`` is the notes' L-layer
network::

    A[0] = X                       (n_x, m)
    Z[l] = W[l] A[l-1] + b[l]      (n[l], m)
    A[l] = g[l](Z[l])
    J    = (1/m) sum_i L(A[L](i), Y(i))  (+ lambda/(2m) sum_l ||W[l]||_F^2 with L2)

Backward starts from dZ[L] = A[L] - Y when the output activation and the loss
are the canonical pair (sigmoid + logistic loss, softmax + categorical
cross-entropy), and from dA[L] = dL/dA[L] otherwise.

Parameters are named as in the notes: the l-th layer that owns an index gets
``W{l}``, ``b{l}``; a batch norm after it adds ``gamma{l}``, ``beta{l}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from glassnet.core.backend import get_xp
from glassnet.core.errors import GlassnetError, ShapeError, TrainingDiverged
from glassnet.functions.losses import Loss, get_loss
from glassnet.functions.regularization import Regularizer, get_regularizer
from glassnet.layers.base import Layer, layer_from_config, layer_to_config
from glassnet.models.outputs import decide, encode_labels, infer_task


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
        loss: str | dict | Loss = "binary_crossentropy",
        regularization: dict[str, float] | Regularizer | None = None,
        name: str = "model",
    ) -> None:
        self.layers: list[Layer] = list(layers)
        if not self.layers:
            raise ValueError("a model needs at least one layer")
        self.loss = get_loss(loss)
        self.regularizer = get_regularizer(regularization)
        self.name = name
        self.input_shape: tuple[int, ...] | None = None
        self.dtype = numpy.dtype(numpy.float32)
        self.metadata: dict[str, Any] = {}
        self.extras: dict[str, numpy.ndarray] = {}
        self._keys: list[tuple[Layer, str, str]] = []  # (layer, layer's name, model's name)
        self._state_keys: list[tuple[Layer, str, str]] = []
        self._grad_index: tuple[list, list[tuple[Layer, str, str]]] | None = None
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
        for i, layer in enumerate(self.layers):
            try:
                shape = layer.build(shape, generator, self.dtype)
            except ShapeError as exc:
                raise ShapeError(f"layer {i + 1} ({layer.describe()}): {exc}") from None
        self.seed = seed
        self._index()
        self.built = True
        return self

    def _index(self) -> None:
        """Name every parameter ``pname + l`` (the notes' W1, b1, gamma2 ...)."""
        self._keys, self._state_keys = [], []
        l = 0
        self._set_propagation()
        for layer in self.layers:
            if layer.owns_index and layer.params:
                l += 1
            index = max(l, 1)
            for pname in layer.params:
                self._keys.append((layer, pname, f"{pname}{index}"))
            for sname in getattr(layer, "state", {}) or {}:
                self._state_keys.append((layer, sname, f"{sname}{index}"))
        self._keep_output_logits()
        names = [k for _, _, k in self._keys]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"two layers share the parameter names {dup}")

    @property
    def parameters(self) -> dict[str, Any]:
        """``{"W1": W[1], "b1": b[1], ...}``: the layers' own arrays (in-place updates reach
        them)."""
        return {key: layer.params[pname] for layer, pname, key in self._keys}

    @property
    def grads(self) -> dict[str, Any]:
        """``{"dW1": dW[1], ...}`` from the last backward pass (frozen layers have none)."""
        index = getattr(self, "_grad_index", None)
        if index is None or index[0] is not self._keys:  # built once per _index()
            names = [(layer, "d" + pname, "d" + key) for layer, pname, key in self._keys]
            index = (self._keys, names)
            self._grad_index = index
        out = {}
        for layer, gname, gkey in index[1]:
            g = layer.grads.get(gname)
            if g is not None and layer.trainable:
                out[gkey] = g
        return out

    @property
    def state(self) -> dict[str, Any]:
        """Non-trained arrays (batch-norm running averages), named like the parameters."""
        return {key: layer.state[sname] for layer, sname, key in self._state_keys}

    def set_parameters(self, values: dict[str, Any], strict: bool = True) -> None:
        """Copy ``values`` into the model's arrays (shapes must agree)."""
        xp = get_xp()
        targets = {key: (layer.params, pname) for layer, pname, key in self._keys}
        targets.update({key: (layer.state, sname) for layer, sname, key in self._state_keys})
        if strict:
            missing = [k for k in targets if k not in values]
            if missing:
                raise KeyError(f"missing parameter(s) {', '.join(missing)}")
        for key, value in values.items():
            if key not in targets:
                if strict:
                    raise KeyError(f"unknown parameter {key!r}")
                continue
            store, name = targets[key]
            if tuple(store[name].shape) != tuple(value.shape):
                raise ShapeError(
                    f"parameter {key}: expected shape {tuple(store[name].shape)}, "
                    f"got {tuple(value.shape)}"
                )
            store[name][...] = xp.asarray(value, dtype=store[name].dtype)

    def astype(self, dtype: Any) -> Sequential:
        """Convert every parameter and state array to ``dtype`` (float64 for gradient checks)."""
        xp = get_xp()
        self.dtype = _resolve_dtype(dtype)
        for layer in self.layers:
            for store in (layer.params, getattr(layer, "state", {})):
                for k in list(store):
                    store[k] = xp.ascontiguousarray(store[k], dtype=self.dtype)
            for sub in getattr(layer, "sublayers", lambda: [])():
                for store in (sub.params, getattr(sub, "state", {})):
                    for k in list(store):
                        store[k] = xp.ascontiguousarray(store[k], dtype=self.dtype)
            sync = getattr(layer, "sync_params", None)
            if callable(sync):
                sync()
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
    def batch_axis(self) -> int:
        """Axis of the examples in X: 1 for dense data (n_x, m), 0 for images (m, ...)."""
        return 1 if self.input_shape is not None and len(self.input_shape) == 1 else 0

    def check_input(self, X: Any) -> None:
        if self.input_shape is None:
            raise GlassnetError("the model is not built: call build(input_shape) first")
        shape = tuple(X.shape)
        ax = self.batch_axis
        if len(shape) != len(self.input_shape) + 1:
            raise ShapeError(self._shape_message(shape))
        example = shape[:ax] + shape[ax + 1 :]
        if example != self.input_shape:
            raise ShapeError(self._shape_message(shape))

    def _shape_message(self, got: tuple[int, ...]) -> str:
        want = list(map(str, self.input_shape or ()))
        want.insert(self.batch_axis, "m")
        return f"input: the model takes ({', '.join(want)}), got {got}"

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

    def outputs_and_cost(self, X: Any, Y: Any, batch_size: int = 8192) -> tuple[Any, float]:
        """A[L] in inference mode and the cost J on (X, Y), both batch by batch.

        Each batch's cost comes from its own logits (exact for the canonical pairs), so
        J = (1/m) sum over batches of m_b J_b, plus the regularization terms.
        """
        xp = get_xp()
        X = xp.asarray(X, dtype=self.dtype)
        self.check_input(X)
        axis = self._label_batch_axis(Y)
        m = X.shape[self.batch_axis]
        parts, total = [], 0.0
        for start, Xb in zip(range(0, m, batch_size), self._batches(X, batch_size), strict=True):
            Ab = self.forward(Xb, training=False)
            index = [slice(None)] * Y.ndim
            index[axis] = slice(start, start + batch_size)
            Yb = Y[tuple(index)]
            total += self._loss_cost(Ab, Yb) * Yb.shape[axis]
            parts.append(Ab)
        A = parts[0] if len(parts) == 1 else xp.concatenate(parts, axis=axis)
        return A, total / m + self._regularization_cost(m)

    def _label_batch_axis(self, Y: Any) -> int:
        """The examples' axis of the labels (and of A[L]): 0 per pixel, else the last."""
        return 0 if self.class_axis == -1 else Y.ndim - 1

    def _keep_output_logits(self) -> None:
        """The output layer keeps Z[L] when the loss computes its cost from the logits."""
        for layer in self.layers:
            layer.keep_logits = False
        if self.layers:
            self.layers[-1].keep_logits = self.loss.is_canonical(self._output_activation_name())
            if hasattr(self.loss, "class_axis"):
                self.loss.class_axis = self.class_axis  # softmax per pixel: classes last

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
        xp = get_xp()
        for layer, _, key in self._keys:
            for p in layer.params.values():
                if not bool(xp.isfinite(p).all()):
                    return (
                        f"cost is {cost}: parameter {key} of layer {layer.describe()} "
                        "is not finite"
                    )
        if not bool(xp.isfinite(X).all()):
            return f"cost is {cost}: the input contains NaN or inf"
        A = X
        for i, layer in enumerate(self.layers):
            A = layer.forward(A, training=False)
            if not bool(xp.isfinite(A).all()):
                return (
                    f"cost is {cost}: the output of layer {i + 1} ({layer.describe()}) "
                    "is not finite (try a smaller learning rate or gradient clipping)"
                )
        return f"cost is {cost}: the loss is not finite (check the labels)"

    # -- prediction -------------------------------------------------------------------
    @property
    def output_activation(self) -> str:
        act = getattr(self.layers[-1], "activation", None)
        return act.name if act is not None else "linear"

    @property
    def class_axis(self) -> int:
        """The axis of the classes in A[L]: 0 for ``(C, m)``, -1 for a per-pixel softmax."""
        act = getattr(self.layers[-1], "activation", None)
        return -1 if getattr(act, "axis", 0) == -1 else 0

    @property
    def n_outputs(self) -> int:
        shape = self.layers[-1].output_shape
        if not shape:
            return 0
        return int(shape[-1] if self.class_axis == -1 else shape[0])

    @property
    def task(self) -> str:
        """binary, multiclass, multilabel or regression, from the output layer and loss."""
        return infer_task(self.output_activation, self.loss.name, self.n_outputs)

    def _batches(self, X: Any, batch_size: int):
        ax = self.batch_axis
        m = X.shape[ax]
        for start in range(0, m, batch_size):
            sl = [slice(None)] * X.ndim
            sl[ax] = slice(start, start + batch_size)
            yield X[tuple(sl)]

    def predict_proba(self, X: Any, batch_size: int = 8192) -> Any:
        """A[L] in inference mode: probabilities for sigmoid/softmax outputs, values otherwise."""
        xp = get_xp()
        if not (xp is numpy and type(X) is numpy.ndarray and X.dtype == self.dtype):
            X = xp.asarray(X, dtype=self.dtype)  # (a no-op call skipped on the latency path)
        self.check_input(X)
        if X.shape[self.batch_axis] <= batch_size:  # one example (latency) or one batch
            return self.forward(X, training=False)
        parts = [self.forward(b, training=False) for b in self._batches(X, batch_size)]
        return xp.concatenate(parts, axis=0 if self.class_axis == -1 else -1)

    def predict(self, X: Any, threshold: float = 0.5) -> Any:
        """Predictions, ``(1, m)`` for binary (A > 0.5) and multiclass (argmax over classes);
        ``(k, m)`` 0/1 for multi-label; A[L] itself for regression."""
        return decide(self.predict_proba(X), self.task, threshold, self.class_axis)

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
        rows = [("layer", "output shape", "parameters", "names")]
        shape_in = self.input_shape
        rows.append(("input", str(("m",) + tuple(shape_in or ())), "0", ""))
        for layer in self.layers:
            keys = [k for lay, _, k in self._keys if lay is layer]
            rows.append(
                (
                    layer.describe(),
                    str(("m",) + tuple(layer.output_shape or ())),
                    f"{layer.n_parameters:,}",
                    " ".join(keys),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
        lines.insert(1, "-" * len(lines[0]))
        lines.append(f"total parameters: {self.n_parameters:,}  (loss: {self.loss.name})")
        return "\n".join(lines)

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


# -- the Course 1 systems ---------------------------------------------------------------









