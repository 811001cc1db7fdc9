"""The zoo by name: every architecture, its standard input, and ``get_layers`` with its
options checked against the builder's signature."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from glassnet.layers.base import Layer
from glassnet.models.zoo.classic import alexnet, lenet5, vgg16
from glassnet.models.zoo.mobile import mobilenet_v1, mobilenet_v2
from glassnet.models.zoo.residual import resnet50
from glassnet.models.zoo.small import small_convnet, small_resnet

ZOO: dict[str, Callable[..., list[Layer]]] = {
    "lenet5": lenet5,
    "alexnet": alexnet,
    "vgg16": vgg16,
    "resnet50": resnet50,
    "mobilenet_v1": mobilenet_v1,
    "mobilenet_v2": mobilenet_v2,
    "small_convnet": small_convnet,
    "small_resnet": small_resnet,
}

#: the standard input shapes of the published networks
STANDARD_INPUTS: dict[str, tuple[int, int, int]] = {
    "lenet5": (32, 32, 1),
    "alexnet": (227, 227, 3),
    "vgg16": (224, 224, 3),
    "resnet50": (224, 224, 3),
    "mobilenet_v1": (224, 224, 3),
    "mobilenet_v2": (224, 224, 3),
    "small_convnet": (64, 64, 3),
    "small_resnet": (64, 64, 3),
}


def get_layers(name: str, input_shape: Sequence[int] | None = None, classes: int | None = None,
               **kwargs: Any) -> list[Layer]:
    """The layers of zoo network ``name`` (``lenet5``, ``resnet50``, ...)."""
    key = name.lower().replace("-", "_")
    if key not in ZOO:
        raise ValueError(f"unknown model {name!r}: expected one of {', '.join(ZOO)}")
    build = ZOO[key]
    options = _defaults(key)
    unknown = sorted(set(kwargs) - set(options))
    if unknown:
        raise ValueError(f"unknown option {', '.join(map(repr, unknown))} ({key} takes "
                         f"{', '.join(options) or 'no options'})")
    for option, value in kwargs.items():
        _check_option(key, option, value, options[option])
    if input_shape is not None:
        kwargs["input_shape"] = tuple(input_shape)
    if classes is not None:
        kwargs["classes"] = int(classes)
    return build(**kwargs)


def input_layout(name: str) -> str:
    """The data layout zoo network ``name`` takes (its first layer's declaration, e.g.
    ``"image"`` for (m, n_H, n_W, n_C)): what the input pipeline lays its data out as."""
    key = name.lower().replace("-", "_")
    first = get_layers(key, STANDARD_INPUTS.get(key))[0]
    return first.input_layout


def _check_option(model: str, option: str, value: Any, default: Any) -> None:
    """A numeric or boolean setting must get a value of that kind (``width=abc`` is refused
    here with the option's name rather than deep inside the builder)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int | float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        return
    if not ok:
        kind = "true or false" if isinstance(default, bool) else "a number"
        raise ValueError(f"option {option} of {model} must be {kind}, got {value!r}")


def _defaults(name: str) -> dict[str, Any]:
    """{setting: its default} of zoo network ``name`` (``input_shape``, ``classes`` left out)."""
    params = inspect.signature(ZOO[name.lower().replace("-", "_")]).parameters
    return {k: p.default for k, p in params.items() if k not in ("input_shape", "classes")}

