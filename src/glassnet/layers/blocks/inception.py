"""The inception module (Course 4, week 2): parallel branches concatenated on the channels.

Branches ``a``: 1x1 | ``b``: 1x1 -> 3x3 | ``c``: 1x1 -> 5x5 | ``d``: max pool 3x3 -> 1x1, all
"same", so A = concatenate([A_a, A_b, A_c, A_d], channel axis).  Backward splits dA at the
same channel offsets, sends each slice down its branch, and adds the branches' dA_prev.
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp
from glassnet.functions.activations import get_activation
from glassnet.layers.base import Layer
from glassnet.layers.blocks.base import Block
from glassnet.layers.compose import backward_chain, forward_chain
from glassnet.layers.conv.conv import Conv2D
from glassnet.layers.conv.pooling import MaxPool2D


class InceptionModule(Block):
    """Inception module: four parallel branches concatenated along the channels.

    ``a``: 1x1 conv (``f_1x1``); ``b``: 1x1 bottleneck (``f_3x3_reduce``) -> 3x3 (``f_3x3``);
    ``c``: 1x1 bottleneck (``f_5x5_reduce``) -> 5x5 (``f_5x5``); ``d``: max pool 3x3 s=1
    same -> 1x1 (``f_pool_proj``).  All "same", so n_H and n_W are kept; output channels
    f_1x1 + f_3x3 + f_5x5 + f_pool_proj.  Parameters W_a, W_b_red, W_b, W_c_red, W_c, W_d.
    """

    kind = "inception_module"

    def __init__(
        self,
        f_1x1: int,
        f_3x3_reduce: int,
        f_3x3: int,
        f_5x5_reduce: int,
        f_5x5: int,
        f_pool_proj: int,
        activation: str = "relu",
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.sizes = [int(v) for v in (f_1x1, f_3x3_reduce, f_3x3, f_5x5_reduce, f_5x5,
                                       f_pool_proj)]
        if any(v < 1 for v in self.sizes):
            raise ValueError(f"InceptionModule: filter counts must be >= 1, got {self.sizes}")
        self.activation = get_activation(activation)
        self.batch_norm = bool(batch_norm)
        self.branches: list[list[Layer]] = []
        self.splits: list[int] = []

    def config(self) -> dict:
        names = ("f_1x1", "f_3x3_reduce", "f_3x3", "f_5x5_reduce", "f_5x5", "f_pool_proj")
        cfg: dict[str, Any] = dict(zip(names, self.sizes, strict=True))
        cfg.update(activation=self.activation.config(), batch_norm=self.batch_norm)
        return cfg

    def describe(self) -> str:
        f1, _, f3, _, f5, fp = self.sizes
        return f"InceptionModule({f1}+{f3}+{f5}+{fp})"

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        f1, f3r, f3, f5r, f5, fp = self.sizes
        g, bn = self.activation, self.batch_norm
        b = not bn
        u = self._conv_unit
        self.branches = [
            u("a", Conv2D(f1, 1, use_bias=b), bn, g),
            u("b_red", Conv2D(f3r, 1, use_bias=b), bn, g)
            + u("b", Conv2D(f3, 3, padding="same", use_bias=b), bn, g),
            u("c_red", Conv2D(f5r, 1, use_bias=b), bn, g)
            + u("c", Conv2D(f5, 5, padding="same", use_bias=b), bn, g),
            [MaxPool2D(3, 1, "same")] + u("d", Conv2D(fp, 1, use_bias=b), bn, g),
        ]
        shapes = [self._build_chain(br, input_shape, rng, dtype) for br in self.branches]
        self.splits = [s[-1] for s in shapes]
        return (*input_shape[:-1], sum(self.splits))

    def _forward(self, A_prev: Any, training: bool) -> Any:
        outs = [forward_chain(br, A_prev, training) for br in self.branches]
        return get_xp().concatenate(outs, axis=-1)  # the channel axis of (m, n_H, n_W, n_C)

    def _backward(self, dA: Any) -> Any:
        dA_prev = None
        start = 0
        for br, n in zip(self.branches, self.splits, strict=True):
            d = backward_chain(br, dA[..., start:start + n])
            dA_prev = d if dA_prev is None else dA_prev + d
            start += n
        return dA_prev
