"""Flatten images (m, n_H, n_W, n_C) to a dense input (n_H * n_W * n_C, m)."""

from __future__ import annotations

from typing import Any

from glassnet.layers.base import Layer


class Flatten(Layer):
    """(m, ...) -> (prod(...), m), row-major per example (the course's ``reshape(m, -1).T``)."""

    kind = "flatten"
    input_layout = "image"
    output_layout = "dense"
    owns_index = False

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        n = 1
        for d in input_shape:
            n *= d
        return (n,)

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        self.cache = A_prev.shape
        return A_prev.reshape(A_prev.shape[0], -1).T

    def backward(self, dA: Any) -> Any:
        return dA.T.reshape(self.cache)
