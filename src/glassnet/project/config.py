"""The settings of one training run, written once: :class:`RunConfig`.

Each setting is one dataclass field with its default, a one-line help text and its
check (in the field's metadata).  Everything else is derived from these fields:
``glassnet train``'s options (flag = the field name with dashes, plus the aliases in
the metadata), the keys a TOML/YAML/JSON configuration file may hold, the keys of a
search space's ``[fixed]`` table and the ``run.json`` of a saved run.

    >>> RunConfig.from_dict({"hidden": "20,7,5", "optimizer": "adam"}).to_dict()["hidden"]
    [20, 7, 5]
    >>> RunConfig.preset("digits")  # what ``glassnet train`` trains with no arguments

A bad value raises :class:`ConfigError`, whose message names the field
("learning_rate must be a positive number, got -1"); the command line turns the
field's name into its flag.  A config is frozen: ``cfg.replace(epochs=10)`` makes
a changed (and checked again) copy.
"""

from __future__ import annotations

import copy
import difflib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from glassnet.data.pipeline import MODES
from glassnet.functions.initializers import INITIALIZERS
from glassnet.optim.optimizers import OPTIMIZERS
from glassnet.project.config_checks import (
    _BETA,
    _COUNT,
    _COUNT_OR_ZERO,
    _FRACTION,
    _NON_NEGATIVE,
    _POSITIVE,
    _POSITIVE_OR_NONE,
    _SEED,
    ConfigError,
    _activation,
    _augment,
    _batch_size,
    _column,
    _columns,
    _decay,
    _flag,
    _hidden,
    _image_size,
    _keep_prob,
    _model_options,
    _number,
    _setting,
    _text,
)

_TASKS = ("binary", "multiclass", "multilabel", "regression")
_INVERSE_TIME = ("inverse_time", "inverse_time_decay", "time")
_NONE_IS_A_VALUE = ("hidden", "batch_size")  # None: no hidden layer, the whole set as batch
PRESET_KEY = "preset"  # a configuration's key naming its base preset (preset = "course")


@dataclass(frozen=True)
class RunConfig:
    """The settings of one run of :func:`glassnet.project.run.run_training`."""

    # data
    data: str | None = _setting(
        None, "Training data: .h5, .npz, .csv, .mat, MNIST IDX or an image folder "
        "(default: scikit-learn's digits).", _text())
    test_data: str | None = _setting(
        None, "Test data (default: the file's test part, or test_fraction held out).", _text())
    test_fraction: float = _setting(
        0.2, "Share of the data held out as test set when there is no test data.", _FRACTION)
    label: int | str | None = _setting(
        None, "A CSV's label column: a header name or an index (default: the last).",
        _column, cli="text")
    features: tuple[int | str, ...] | None = _setting(
        None, "A CSV's feature columns, e.g. age,bmi or 0,2 (default: all but the label).",
        _columns, cli="text")
    header: bool | None = _setting(
        None, "A CSV's first row: --header names the columns, --no-header is data "
        "(default: detected).", _flag(True))
    image_size: tuple[int, int] | None = _setting(
        None, "An image folder's size HxW, e.g. 28x28 (default: the images' own size when "
        "they all agree, else 64x64).", _image_size, cli="text")
    grayscale: bool = _setting(
        False, "Read an image folder as one grey channel (default: RGB).", _flag(False))
    # the network
    model: str | None = _setting(
        None, "A zoo architecture (e.g. small_convnet, small_resnet); default: a dense "
        "network of the hidden sizes.", _text())
    model_options: dict[str, Any] = _setting(
        {}, "A zoo architecture's setting as KEY=VALUE, e.g. width=2 (repeatable).",
        _model_options, flags=("--model-option",), cli="key=value")
    # character language models (model char_rnn, char_gru, char_lstm)
    seq_length: int = _setting(
        100, "char_* models: characters per training window (truncated BPTT).", _COUNT)
    units: int = _setting(128, "char_* models: hidden units n_a per recurrent layer.", _COUNT)
    num_layers: int = _setting(1, "char_* models: stacked recurrent layers.", _COUNT)
    dropout: float = _setting(
        0.0, "char_* models: dropout rate between recurrent layers (0 = off).", _FRACTION)
    hidden: tuple[int, ...] = _setting(
        [64, 32], "Hidden layer sizes, e.g. 20,7,5; empty = logistic regression.", _hidden,
        cli="text")
    activation: str = _setting(
        "relu", "Hidden activation: relu, tanh, sigmoid, leaky_relu, ...", _activation(False))
    output_activation: str | None = _setting(
        None, "Output activation (default from the labels).", _activation(True))
    task: str | None = _setting(
        None, "The labels' task (default: inferred from the labels).", _text(),
        choices=_TASKS, optional=True)
    init: str = _setting("he", "Weight initialization.", _text(), choices=INITIALIZERS)
    init_scale: float = _setting(0.01, "Scale of the 'random' initializer.", _POSITIVE)
    batchnorm: bool = _setting(False, "Batch norm on hidden layers.", _flag(False))
    keep_prob: float | tuple[float, ...] | None = _setting(
        None, "Inverted-dropout keep probability on hidden layers (one, or one per layer).",
        _keep_prob, cli="float")
    l2: float = _setting(0.0, "L2 regularization lambda.", _NON_NEGATIVE)
    l1: float = _setting(0.0, "L1 regularization lambda.", _NON_NEGATIVE)
    # optimization
    optimizer: str = _setting("adam", "The optimizer.", _text(), choices=tuple(OPTIMIZERS))
    learning_rate: float = _setting(
        0.001, "alpha: the (initial) learning rate.", _POSITIVE, flags=("-a",))
    beta: float | None = _setting(None, "Momentum's beta.", _BETA)
    beta1: float | None = _setting(None, "Adam's beta1.", _BETA)
    beta2: float | None = _setting(None, "Adam's / RMSProp's beta2.", _BETA)
    epsilon: float | None = _setting(None, "Adam's / RMSProp's epsilon.", _POSITIVE_OR_NONE)
    decay: str | None = _setting(
        None, "Learning-rate decay: inverse_time, exponential, inverse_sqrt, step.", _decay)
    decay_rate: float = _setting(
        1.0, "inverse_time decay's decay_rate (the other decays have none).", _NON_NEGATIVE)
    decay_interval: int = _setting(1, "Apply the decay every N epochs (staircase).", _COUNT)
    epochs: int | None = _setting(
        None, "Epochs of mini-batch GD / iterations of batch GD (default: auto, about "
        "3,000 updates: from 10 epochs for large sets to 200 for small ones).",
        _number("a positive integer (or unset: auto)", integer=True, ge=1, optional=True),
        flags=("--iterations",))
    batch_size: int | None = _setting(
        64, "Mini-batch size (0: the whole set, batch GD).", _batch_size)
    clip_value: float | None = _setting(None, "Clip each gradient entry to +-this.",
                                        _POSITIVE_OR_NONE)
    clip_norm: float | None = _setting(None, "Clip the gradients' global L2 norm to this.",
                                       _POSITIVE_OR_NONE)
    augment: dict[str, Any] | None = _setting(
        None, 'Image augmentation as JSON, e.g. {"flip": true, "crop": 4}.', _augment,
        cli="text")
    preprocess: str = _setting(
        "auto", "Input preprocessing: auto (pixels / 255, standardized for dense networks; "
        "other inputs standardized), course (pixels / 255 only, as the notebooks), ...",
        _text(), choices=MODES)
    # held-out sets and diagnosis
    dev_fraction: float = _setting(0.0, "Share of the training set held out as dev set.",
                                   _FRACTION)
    train_dev_fraction: float = _setting(
        0.0, "Share held out as a train-dev set (data mismatch).", _FRACTION,
        flags=("--train-dev",))
    human_error: float | None = _setting(
        None, "Human-level error, the Bayes-error proxy (0.05 for 5%).",
        _number("a fraction in [0, 1) (0.05 for 5%)", ge=0, lt=1, optional=True))
    early_stopping: int = _setting(
        0, "Patience (evaluations) of early stopping on the dev cost; 0 = off.", _COUNT_OR_ZERO)
    checkpoint_every: int = _setting(
        0, "Checkpoint every N epochs (to resume a killed run); 0 = off.", _COUNT_OR_ZERO)
    # reproducibility and output
    seed: int = _setting(1, "Seed for initialization, shuffling and dropout.", _SEED)
    split_seed: int = _setting(
        0, "Seed of the test/dev/train-dev hold-outs (apart from seed).", _SEED)
    rng: str = _setting(
        "numpy", "'course' draws the initial weights as the course's notebooks do.", _text(),
        choices=("numpy", "course"))
    dtype: str | None = _setting(
        None, "Float type (default: float64 with rng course, else float32).", _text(),
        choices=("float32", "float64"), optional=True)
    print_every: int = _setting(1, "Record the cost every N epochs (iterations).", _COUNT)
    threads: int | None = _setting(
        None, "BLAS and kernel threads (default: all cores).",
        _number("a positive integer (or unset)", integer=True, ge=1, optional=True))
    progress: bool | None = _setting(
        None, "Progress bar (default: on a terminal).", _flag(True))

    def __post_init__(self) -> None:
        for f in fields(self):
            value = f.metadata["check"](f.name, getattr(self, f.name))
            object.__setattr__(self, f.name, value)
        if self.decay_rate != 1.0 and self.decay not in _INVERSE_TIME:
            raise ConfigError("decay_rate", f"decay_rate {self.decay_rate:g}: only decay "
                                            f"inverse_time has a decay_rate (decay: {self.decay})")
        if self.early_stopping and not self.dev_fraction:
            raise ConfigError("early_stopping",
                              "early_stopping needs a dev set: set dev_fraction > 0")
        takes = inspect.signature(OPTIMIZERS[self.optimizer]).parameters
        for name in ("beta", "beta1", "beta2", "epsilon"):
            if getattr(self, name) is not None and name not in takes:
                raise ConfigError(name, f"{name}: optimizer {self.optimizer!r} has no {name} "
                                        f"(it takes {', '.join(takes) or 'no hyperparameter'})")

    # -- derived values --------------------------------------------------------------------
    @property
    def compute_dtype(self) -> str:
        """``dtype``, or its default: float64 with ``rng="course"`` (as the course), else
        float32."""
        if self.dtype is not None:
            return self.dtype
        return "float64" if self.rng == "course" else "float32"

    # -- conversions -----------------------------------------------------------------------
    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The settings' names, in order."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, config: Mapping[str, Any] | RunConfig,
                  base: RunConfig | None = None, source: str | None = None) -> RunConfig:
        """The config of ``config``'s keys, the others from ``base`` (default: the defaults).

        A ``None`` value means "the default" (but ``hidden = None`` is no hidden layer and
        ``batch_size = None`` the whole set).
        ``preset = NAME`` takes the others from :data:`PRESETS` instead.  Unknown keys
        and values of the wrong type raise :class:`ConfigError` naming the key (and
        ``source``, the file they came from, when given).
        """
        if isinstance(config, RunConfig):
            return config
        given = cls.check_keys(config, source)
        preset = given.pop(PRESET_KEY, None)
        if preset is not None:
            base = cls.preset(preset)
        given = {k: v for k, v in given.items() if v is not None or k in _NONE_IS_A_VALUE}
        try:
            return replace(base if base is not None else cls(), **given)
        except ConfigError as exc:
            if source is None:
                raise
            raise ConfigError(exc.field, f"{source}: {exc}") from None

    @classmethod
    def check_keys(cls, config: Any, source: str | None = None) -> dict[str, Any]:
        """``config`` as a dict of known keys, each value checked on its own.

        Raises :class:`ConfigError` ("c.toml: l2 must be >= 0, got 'x'") for a config that
        is not a table, unknown keys, or a value of the wrong type or range.
        """
        where = f"{source}: " if source else ""
        if not isinstance(config, Mapping):
            raise ConfigError(None, f"{where}a run configuration is a table of settings, "
                                    f"got {_short(config)}")
        known = cls.names()
        unknown = sorted(str(k) for k in config if k not in known and k != PRESET_KEY)
        if unknown:
            aliases = {a.lstrip("-").replace("-", "_"): f.name
                       for f in fields(cls) for a in f.metadata["flags"] if a.startswith("--")}
            named = []
            for k in unknown:
                hint = aliases.get(k) or next(iter(difflib.get_close_matches(k, known, 1, 0.75)),
                                              None)
                named.append(f"{k} (did you mean {hint}?)" if hint else k)
            raise ConfigError(None, f"{where}unknown configuration key(s) {', '.join(named)}; "
                                    f"known: {', '.join(known)}")
        given = dict(config)
        preset = given.get(PRESET_KEY)
        if preset is not None and (not isinstance(preset, str) or preset not in PRESETS):
            raise ConfigError(None, f"{where}{PRESET_KEY} must be one of {', '.join(PRESETS)}, "
                                    f"got {_short(preset)}")
        checks = {f.name: f.metadata["check"] for f in fields(cls)}
        for key, value in given.items():
            if key == PRESET_KEY or (value is None and key not in _NONE_IS_A_VALUE):
                continue
            try:
                checks[key](key, value)
            except ConfigError as exc:
                raise ConfigError(key, f"{where}{exc}") from None
        return given

    def to_dict(self) -> dict[str, Any]:
        """The plain, JSON-able dict of every setting (``run.json``'s ``config``)."""
        out: dict[str, Any] = {}
        for name in self.names():
            v = getattr(self, name)
            out[name] = list(v) if isinstance(v, tuple) else copy.deepcopy(v)
        return out

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with ``changes`` (checked)."""
        return self.from_dict(changes, base=self)

    @classmethod
    def preset(cls, name: str) -> RunConfig:
        """A named configuration of :data:`PRESETS`, e.g. ``"digits"``."""
        if not isinstance(name, str) or name not in PRESETS:
            raise ConfigError(None, f"unknown preset {_short(name)}: known: {', '.join(PRESETS)}")
        return copy.deepcopy(PRESETS[name])


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


PRESETS: dict[str, RunConfig] = {
    # the main job (``glassnet train`` with no arguments): a deep network on the bundled
    # digits, trained with the defaults (Adam, mini-batches of 64); longer, and a dev set
    # so that the learning curve shows train vs dev
    "digits": RunConfig(epochs=60, print_every=5, dev_fraction=0.1),
    # the course's recipe (Course 1's notebooks): full-batch gradient descent at
    # alpha = 0.0075 for 2,500 iterations, the cost recorded every 100, pixels / 255
    "course": RunConfig(optimizer="gd", learning_rate=0.0075, batch_size=None, epochs=2500,
                        print_every=100, preprocess="course"),
    # the defaults of a character language model (glassnet train --model char_lstm ...)
    "text": RunConfig(optimizer="adam", learning_rate=0.003, batch_size=32, epochs=20,
                      print_every=1, dev_fraction=0.1, clip_norm=5.0),
}
