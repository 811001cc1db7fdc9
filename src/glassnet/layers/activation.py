"""A stand-alone activation layer A = g(Z) (for composing conv nets and blocks)."""

from __future__ import annotations

from typing import Any

from glassnet.core.layouts import ANY
from glassnet.functions.activations import Activation as ActivationFunction
from glassnet.functions.activations import get_activation
from glassnet.layers.base import Layer


class ActivationLayer(Layer):
    """Applies g element-wise (softmax over axis 0); no parameters."""

    kind = "activation"
    input_layout = ANY
    owns_index = False

    def __init__(self, activation: str | dict | ActivationFunction = "relu") -> None:
        super().__init__()
        self.activation = get_activation(activation)

    def config(self) -> dict:
        return {"activation": self.activation.config()}

    def describe(self) -> str:
        return f"Activation({self.activation.name})"

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        A = self.activation.forward(A_prev)
        self.cache = (A_prev, A)
        return A

    def backward(self, dA: Any) -> Any:
        Z, A = self.cache
        return self.activation.backward(dA, Z, A)
