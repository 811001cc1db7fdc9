"""What a run checks before it trains, so that it never fails after minutes of training
(or allocates gigabytes) on something it could have told at once.

* :func:`check_network_size`: a dense network's parameters (with their gradients and the
  optimizer's moments) and one batch's activations against the memory budget
  (:func:`glassnet.core.limits.check_size`), from the layer sizes, before any array
  is allocated (``--hidden 100000,100000`` is refused in one line);
* :func:`check_text_sizes`: the same for a character model and its one-hot windows;
* :func:`check_heldout`: the test / dev / train-dev sets' example shapes, values and
  labels against the built model (a test set that does not fit it is refused before
  training, not after);
* :func:`check_augment`: image augmentation against the model's input (``crop``, the
  padding, at most the images' side; images only) and the padded batch's memory.
"""

from __future__ import annotations

from typing import Any

import numpy

from glassnet.core.errors import GlassnetError, LabelError, ShapeError
from glassnet.core.limits import check_size
from glassnet.project.config import ConfigError, RunConfig
from glassnet.train.divergence import all_finite

# per parameter: the value, its gradient and up to two optimizer moments (Adam)
_COPIES = {"gd": 2, "sgd": 2, "gradient_descent": 2, "momentum": 3}


def check_network_size(cfg: RunConfig, sizes: list[int], m: int, itemsize: int) -> None:
    """Refuse a dense network of layer ``sizes`` (inputs first) that would not fit.

    ``m``: the training examples (one batch of ``batch_size`` of them is in memory at a
    time); ``itemsize``: bytes per number of the compute dtype.
    """
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    copies = _COPIES.get(cfg.optimizer, 4)
    batch = min(m, cfg.batch_size or m)
    activations = 3 * batch * sum(sizes[1:])  # Z, A and dA of every layer for one batch
    shown = ",".join(map(str, cfg.hidden)) or "none"
    check_size((copies * n_params + activations) * itemsize,
               f"the network (hidden {shown}: {n_params:,} parameters, batches of {batch})")


_GATES = {"char_rnn": 1, "char_gru": 3, "char_lstm": 4}


def check_text_sizes(cfg: RunConfig, vocab_size: int, characters: int, itemsize: int) -> None:
    """A character model's one-hot windows (inputs and targets, V numbers per character)
    and its parameters (with gradients and Adam's moments) against the memory budget."""
    V, units = int(vocab_size), int(cfg.units)
    check_size(2 * V * characters * itemsize,
               f"{cfg.data}: one-hot windows of {characters:,} characters x {V} symbols")
    gates = _GATES.get(str(cfg.model), 4)
    n_in, n_params = V, 0
    for _ in range(int(cfg.num_layers)):
        n_params += gates * units * (units + n_in + 1)
        n_in = units
    n_params += (units + 1) * V
    batch = min(cfg.batch_size or 1, max(1, characters // max(1, cfg.seq_length)))
    activations = 3 * batch * cfg.seq_length * (gates * units * cfg.num_layers + V)
    check_size((_COPIES.get(cfg.optimizer, 4) * n_params + activations) * itemsize,
               f"the {cfg.model} network (units {units} x {cfg.num_layers} layers: "
               f"{n_params:,} parameters)")


def check_heldout(model: Any, pipe: Any, splits: Any) -> None:
    """Each held-out set's examples and labels fit ``model`` (one line naming the set)."""
    for name, xy in (("test", splits.test), ("dev", splits.dev),
                     ("train-dev", splits.train_dev)):
        if xy is None:
            continue
        x, y = xy
        what = f"the {name} set" + (f" ({splits.source})" if splits.source else "")
        if len(x) != len(y):
            raise ShapeError(f"{what}: {len(x)} examples but {len(y)} labels")
        if len(x) == 0:
            raise GlassnetError(f"{what}: no examples")
        pipe.check(x, what)
        dtype = numpy.asarray(x[:1]).dtype
        if not (numpy.issubdtype(dtype, numpy.number) or dtype.kind == "b"):
            raise GlassnetError(f"{what}: the examples are not numbers (dtype {dtype})")
        if numpy.issubdtype(dtype, numpy.floating) and not all_finite(numpy.asarray(x)):
            raise GlassnetError(f"{what}: the examples contain NaN or inf")
        try:
            model.prepare_labels(y)
        except LabelError as exc:
            raise LabelError(f"{what}: {exc}") from None


def check_augment(cfg: RunConfig, input_shape: tuple[int, ...], layout: str, m: int) -> None:
    """``augment`` fits the model's images (it is refused for a dense network)."""
    if not cfg.augment:
        return
    if layout != "image" or len(input_shape) != 3:
        raise ConfigError("augment", "augment: augmentation transforms images; it needs an "
                                     "image model (--model, e.g. small_convnet)")
    n_H, n_W, n_C = (int(s) for s in input_shape)
    pad = int(cfg.augment.get("crop", 0) or 0)
    if pad > min(n_H, n_W):
        raise ConfigError("augment", f"augment: crop {pad} (the padding, in pixels) is larger "
                                     f"than the {n_H}x{n_W} images; use at most "
                                     f"{min(n_H, n_W)} (e.g. 4)")
    batch = min(m, cfg.batch_size or m)
    check_size(batch * (n_H + 2 * pad) * (n_W + 2 * pad) * n_C * 8,
               f"augment crop {pad} (padded batches of {batch} {n_H}x{n_W} images)")
