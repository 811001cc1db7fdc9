"""Transfer learning (Course 3): re-use a trained network's layers for a new task.

The notes: take a network trained on task A (much data), swap its output
layer for one fit to task B (little data) and retrain only the last layer(s),
``W[L], b[L]``, or add a few layers at the end; with more data for B,
fine-tune more layers.  It makes sense when A and B have the same input and
A's low-level features help B.

:func:`transfer` builds the new network::

    layers 1..k             kept from the trained model, frozen (no gradients, no updates)
    layers k+1..L_kept      kept, trained (fine-tuned)
    new hidden layers       freshly initialized (``add_hidden``)
    new output layer        freshly initialized (``new_output`` units)

Backpropagation stops at the first trainable layer: nothing below it is
computed, neither dW nor dA.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import Any

import numpy

from glassnet.core.errors import GlassnetError
from glassnet.layers.base import Layer
from glassnet.layers.dense import Dense

_OUTPUTS = {
    # task -> (output activation, loss)
    "binary": ("sigmoid", "binary_crossentropy"),
    "multilabel": ("sigmoid", "binary_crossentropy"),
    "multiclass": ("softmax", "categorical_crossentropy"),
    "regression": ("linear", "l2"),
}


def _weight_positions(layers: Sequence[Layer]) -> list[int]:
    """Positions in ``layers`` of the layers with their own index l (W1 is at the first)."""
    return [i for i, layer in enumerate(layers) if layer.owns_index and layer.params]


def freeze_position(layers: Sequence[Layer], n_freeze: int) -> int:
    """How many entries of ``layers`` make up the notes' first ``n_freeze`` layers.

    Layer l of the notes is the l-th layer owning parameters W[l] (Dense, Conv)
    together with what follows it up to the next one (its batch norm,
    activation, dropout); a Flatten in front belongs to layer 1.
    """
    weights = _weight_positions(layers)
    if n_freeze < 0 or n_freeze > len(weights):
        raise GlassnetError(
            f"n_freeze: the model has {len(weights)} layers with weights; got {n_freeze}"
        )
    if n_freeze == 0:
        return 0
    if n_freeze == len(weights):
        return len(layers)
    return weights[n_freeze]


def apply_freeze(model: Any, n_layers: int) -> None:
    """``model.freeze(n_layers)`` and stop backpropagation at the first trained layer.

    The first trainable layer gets ``propagate_input_grad = False``, so its
    backward returns no dA_prev and the frozen layers' backward never runs.
    """
    model.freeze(n_layers)
    for i, layer in enumerate(model.layers):
        layer.propagate_input_grad = i > n_layers


def _as_model(model: Any) -> Any:
    if isinstance(model, str | os.PathLike):
        from glassnet.models.saving import load_model

        return load_model(model)
    if not hasattr(model, "layers") or not getattr(model, "built", False):
        raise GlassnetError("transfer: expected a built Sequential model or a model directory")
    return model


def transfer(
    model: Any,
    n_freeze: int | None = None,
    new_output: int | None = None,
    add_hidden: Sequence[int] = (),
    task: str | None = None,
    hidden_activation: str = "relu",
    init: str = "he",
    classes: Sequence[str] | None = None,
    seed: int | None = 0,
    copy_layers: bool = True,
    name: str | None = None,
) -> Any:
    """A new model for task B from ``model`` (a Sequential or a saved model directory).

    ``new_output``: number of output units of a new, freshly initialized
    output layer (sigmoid for binary/multilabel, softmax for multiclass,
    linear for regression: ``task``, by default binary for 1 unit and
    multiclass otherwise).  ``None`` keeps the trained output layer, unless
    ``add_hidden`` is given, which replaces it by new Dense layers of those
    sizes (``hidden_activation``) and a new output of the old size.

    ``n_freeze``: freeze the notes' first k layers (W1..Wk, with their batch
    norms); None freezes every kept layer, so only the new layers train (or
    only the output layer when the model is kept whole).  New layers are
    drawn from ``seed``.  With ``copy_layers`` the source model is left
    untouched; the kept layers' arrays are copies.

    The input pipeline and other metadata carry over; ``classes`` names the
    new classes.
    """
    from glassnet.models.sequential import Sequential

    source = _as_model(model)
    layers: list[Layer] = list(source.layers)
    if copy_layers:
        layers = copy.deepcopy(layers)
    for layer in layers:
        layer.cache = None
        layer.grads.clear()
        layer.trainable = True
    replace = new_output is not None or bool(add_hidden)
    old_out = source.n_outputs
    loss: Any = source.loss
    new_layers: list[Layer] = []
    if replace:
        if not _weight_positions(layers) or _weight_positions(layers)[-1] != len(layers) - 1:
            raise GlassnetError("transfer: the model's last layer is not a weight layer "
                                "(Dense) that can be replaced")
        layers = layers[:-1]
        n_out = int(new_output if new_output is not None else old_out)
        if n_out < 1:
            raise GlassnetError(f"new_output must be a positive number of units, got {new_output}")
        task = task or ("binary" if n_out == 1 else "multiclass")
        if task not in _OUTPUTS:
            raise GlassnetError(f"unknown task {task!r}: expected one of {', '.join(_OUTPUTS)}")
        activation, loss = _OUTPUTS[task]
        if task == "binary" and n_out != 1:
            raise GlassnetError(f"a binary output has 1 unit, got new_output={n_out}")
        for units in add_hidden:
            if int(units) < 1:
                raise GlassnetError(f"add_hidden: layer sizes must be positive, got {units}")
            new_layers.append(Dense(int(units), hidden_activation, init=init))
        new_layers.append(Dense(n_out, activation, init="xavier" if init == "he" else init))
    elif task is not None:
        raise GlassnetError("task= needs new_output= (the kept output layer fixes the task)")
    if not layers:
        raise GlassnetError("transfer: nothing of the trained model would be kept")

    new = Sequential(layers + new_layers, loss=loss, regularization=source.regularizer.config(),
                     name=name or f"{source.name}-transfer")
    # build only the new layers; the kept ones keep their trained parameters
    shape = tuple(layers[-1].output_shape)
    rng = numpy.random.default_rng(seed)
    for layer in new_layers:
        shape = layer.build(shape, rng, source.dtype)
    new.input_shape = tuple(source.input_shape)
    new.dtype = source.dtype
    new.seed = seed
    new.metadata = copy.deepcopy(source.metadata)
    new.extras = {k: v.copy() for k, v in source.extras.items()}
    new._index()
    new.built = True

    n_weight_kept = len(_weight_positions(layers))
    if n_freeze is None:
        n_freeze = n_weight_kept if replace else n_weight_kept - 1
    if n_freeze > n_weight_kept:
        raise GlassnetError(
            f"n_freeze={n_freeze}: only {n_weight_kept} layers with weights are kept "
            "(new layers are always trained)"
        )
    apply_freeze(new, freeze_position(new.layers, n_freeze))
    new.metadata["transfer"] = {
        "from": source.name,
        "frozen_layers": int(n_freeze),
        "replaced_output": bool(replace),
        "added_hidden": [int(u) for u in add_hidden],
    }
    if replace:
        new.metadata["task"] = task
        new.metadata["classes"] = list(classes) if classes is not None else None
    elif classes is not None:
        new.metadata["classes"] = list(classes)
    return new


def frozen_parameters(model: Any) -> list[str]:
    """The model's parameter names that training leaves unchanged (frozen layers)."""
    return [e.name for e in model.naming.params if not e.layer.trainable]


def trainable_parameters(model: Any) -> list[str]:
    """The model's parameter names that training updates."""
    return [e.name for e in model.naming.params if e.layer.trainable]
