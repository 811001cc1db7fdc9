"""Ready-made networks of Courses 1-3: logistic regression, shallow, deep, multi-task."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from glassnet.functions.activations import get_activation
from glassnet.functions.losses import MultiTaskBinaryCrossEntropy
from glassnet.layers.base import Layer
from glassnet.layers.batchnorm import BatchNorm
from glassnet.layers.dense import Dense
from glassnet.layers.dropout import Dropout
from glassnet.layers.flatten import Flatten
from glassnet.models.outputs import _output_for
from glassnet.models.sequential import Sequential


def deep_network(
    layer_dims: Sequence[int],
    hidden_activation: str = "relu",
    output_activation: str | None = None,
    loss: str | None = None,
    init: str = "he",
    init_scale: float = 0.01,
    task: str | None = None,
    batchnorm: bool = False,
    keep_prob: float | Sequence[float] | None = None,
    regularization: dict[str, float] | None = None,
    seed: int | None = 0,
    rng: str = "numpy",
    dtype: Any = "float32",
    build: bool = True,
) -> Sequential:
    """The L-layer network of ``layer_dims = [n_x, n[1], ..., n[L]]``.

    Hidden layers use ``hidden_activation``; the output's activation and loss
    follow from ``task`` (binary: sigmoid + logistic loss; multiclass: softmax
    + categorical cross-entropy; multilabel: independent sigmoids; regression:
    linear + L2) unless given.  ``batchnorm`` puts a batch norm after each
    hidden layer's Z (the hidden Dense then has no b); ``keep_prob`` adds
    inverted dropout after each hidden layer.
    """
    dims = [int(d) for d in layer_dims]
    if len(dims) < 2 or any(d < 1 for d in dims):
        raise ValueError(f"layer_dims must be at least [n_x, n_y] of positive sizes, got {dims}")
    out_act, out_loss = _output_for(dims[-1], task)
    output_activation = output_activation or out_act
    loss = loss or out_loss
    hidden = dims[1:-1]
    if keep_prob is None or isinstance(keep_prob, int | float):
        keeps = [keep_prob] * len(hidden)
    else:
        keeps = list(keep_prob)
        if len(keeps) != len(hidden):
            raise ValueError(f"keep_prob: {len(keeps)} values for {len(hidden)} hidden layers")
    layers: list[Layer] = []
    for n, keep in zip(hidden, keeps, strict=True):
        if batchnorm:
            layers.append(Dense(n, "linear", init=init, init_scale=init_scale, use_bias=False))
            layers.append(BatchNorm())
            from glassnet.layers.activation import ActivationLayer

            layers.append(ActivationLayer(hidden_activation))
        else:
            layers.append(Dense(n, hidden_activation, init=init, init_scale=init_scale))
        if keep is not None and keep < 1:
            layers.append(Dropout(keep))
    get_activation(output_activation)  # validate the name early
    layers.append(Dense(dims[-1], output_activation, init=init, init_scale=init_scale))
    model = Sequential(layers, loss=loss, regularization=regularization)
    if build:
        model.build(dims[0], seed=seed, rng=rng, dtype=dtype)
    return model


def logistic_regression(n_x: int, init: str = "zeros", **kwargs: Any) -> Sequential:
    """Logistic regression as a one-neuron network: y_hat = sigma(w^T x + b).

    With n_x = 64 * 64 * 3 it has 12,288 weights and 1 bias: 12,289 parameters.
    """
    return deep_network([n_x, 1], init=init, **kwargs)


def shallow_network(
    n_x: int, n_h: int, n_y: int = 1, hidden_activation: str = "tanh", **kwargs: Any
) -> Sequential:
    """The one-hidden-layer network of Course 1, week 3 (tanh hidden units by default)."""
    kwargs.setdefault("init", "random")
    return deep_network([n_x, n_h, n_y], hidden_activation=hidden_activation, **kwargs)


def image_classifier(layers: Sequence[Layer], **kwargs: Any) -> Sequential:
    """A Sequential whose input is images: prepends Flatten when the first layer is Dense."""
    layers = list(layers)
    if layers and isinstance(layers[0], Dense):
        layers.insert(0, Flatten())
    return Sequential(layers, **kwargs)



def multitask_network(
    n_x: int, hidden: list[int], n_tasks: int, **kwargs: Any
) -> Any:
    """A deep network with ``n_tasks`` sigmoid outputs trained with the masked multi-task loss.

    ``kwargs`` go to :func:`glassnet.models.deep_network` (init, seed, dtype, ...).
    """
    return deep_network([n_x, *hidden, n_tasks], output_activation="sigmoid",
                        loss=MultiTaskBinaryCrossEntropy(), **kwargs)

