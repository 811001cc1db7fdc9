"""A stand-alone activation layer A = g(Z) (for composing conv nets and blocks)."""

from __future__ import annotations

from typing import Any

from glassnet.core.layouts import ANY
from glassnet.functions.activations import Activation as ActivationFunction
from glassnet.functions.activations import Softmax, get_activation
from glassnet.layers.base import Layer


class ActivationLayer(Layer):
    """Applies g element-wise (softmax over the class axis of its layout); no parameters."""

    kind = "activation"
    input_layout = ANY
    owns_index = False

    def __init__(self, activation: str | dict | ActivationFunction = "relu") -> None:
        super().__init__()
        self.activation = get_activation(activation)

    def connect(self, layout: Any) -> str:
        """As every layer; a softmax normalizes over the class axis of the layout it is given
        (0 for dense (C, m), -1 for images (m, n_H, n_W, C): one softmax per pixel)."""
        out = super().connect(layout)
        if isinstance(self.activation, Softmax):
            axis = self.layout.class_axis or 0
            self.activation = Softmax(axis=0 if axis == 0 else -1)
        return out

    def config(self) -> dict:
        return {"activation": self.activation.config()}

    def describe(self) -> str:
        return f"Activation({self.activation.name})"

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        A = self.activation.forward(A_prev)
        self.cache = (A_prev, A)
        return A

    def logits_of(self, A: Any) -> Any | None:
        """The input Z of the forward pass that gave ``A``."""
        cache = self.cache
        return cache[0] if cache is not None and cache[1] is A else None

    def backward(self, dA: Any) -> Any:
        Z, A = self.cache
        return self.activation.backward(dA, Z, A)
