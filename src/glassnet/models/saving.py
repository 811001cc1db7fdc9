"""Saving and loading models: "a model is an architecture plus parameters" (the notes).

A model directory holds two files:

* ``architecture.json``: human-readable and versioned: the layers and their
  settings, the loss, the input shape, plus metadata (class names, the
  preprocessing applied to the inputs);
* ``parameters.npz``: the arrays, by the course's names (``W1``, ``b1``, ...),
  with non-trained state as ``state:NAME`` and extra arrays (such as the
  training set's mean and standard deviation) as ``extra:NAME``.

Nothing is pickled and loading uses ``allow_pickle=False``, so a model file
can never run code.  Every write goes to a temporary file that is renamed
over the target, so a killed process leaves the old file or the new one,
never half of one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.atomic import atomic_save_npz, atomic_write_json, load_npz_safely
from glassnet.core.errors import ModelFileError

FORMAT = "glassnet-model"
FORMAT_VERSION = 1
ARCHITECTURE_FILE = "architecture.json"
PARAMETERS_FILE = "parameters.npz"


# -- atomic writes ------------------------------------------------------------------------














# -- models ---------------------------------------------------------------------------------


def save_model(model: Any, directory: str | os.PathLike) -> Path:
    """Write ``model`` to ``directory`` (architecture.json + parameters.npz), atomically."""
    from glassnet._version import __version__

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = dict(model.parameters)
    arrays.update({f"state:{k}": v for k, v in model.state.items()})
    arrays.update({f"extra:{k}": v for k, v in model.extras.items()})
    architecture = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "glassnet_version": __version__,
        "model": model.config(),
        "n_parameters": model.n_parameters,
        "parameter_shapes": {k: list(v.shape) for k, v in model.parameters.items()},
        "metadata": model.metadata,
    }
    # parameters first: an architecture file never points at arrays that are not there yet
    atomic_save_npz(directory / PARAMETERS_FILE, arrays)
    atomic_write_json(directory / ARCHITECTURE_FILE, architecture)
    return directory


def read_architecture(directory: str | os.PathLike) -> dict:
    """The parsed, validated ``architecture.json`` of a model directory."""
    directory = Path(directory)
    path = directory / ARCHITECTURE_FILE
    if not directory.exists():
        raise ModelFileError(f"{directory}: no such model directory")
    if not path.is_file():
        raise ModelFileError(f"{directory}: not a model directory (no {ARCHITECTURE_FILE})")
    try:
        arch = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(arch, dict) or arch.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a glassnet architecture file (format != {FORMAT!r})")
    version = arch.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: format version {version!r} is newer than this glassnet reads "
            f"({FORMAT_VERSION}); upgrade glassnet"
        )
    if not isinstance(arch.get("model"), dict):
        raise ModelFileError(f"{path}: missing key 'model'")
    return arch


def load_model(directory: str | os.PathLike) -> Any:
    """Rebuild the model saved in ``directory``; refuses anything that does not match."""
    from glassnet.models.sequential import Sequential

    directory = Path(directory)
    arch = read_architecture(directory)
    config = arch["model"]
    try:
        model = Sequential.from_config(config)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(
            f"{directory / ARCHITECTURE_FILE}: invalid architecture ({exc})"
        ) from None
    arrays = load_npz_safely(directory / PARAMETERS_FILE)
    path = directory / PARAMETERS_FILE
    expected = dict(model.parameters)
    expected.update({f"state:{k}": v for k, v in model.state.items()})
    for key, target in expected.items():
        if key not in arrays:
            raise ModelFileError(f"{path}: missing key {key!r} (the architecture needs it)")
        got = arrays[key]
        if tuple(got.shape) != tuple(target.shape):
            raise ModelFileError(
                f"{path}: {key} has shape {tuple(got.shape)}, the architecture expects "
                f"{tuple(target.shape)}"
            )
        if not numpy.issubdtype(got.dtype, numpy.floating):
            raise ModelFileError(f"{path}: {key} has dtype {got.dtype}, expected floats")
    values = {k: arrays[k] for k in model.parameters}
    values.update({k: arrays[f"state:{k}"] for k in model.state})
    model.set_parameters(values)
    model.extras = {k[6:]: v for k, v in arrays.items() if k.startswith("extra:")}
    model.metadata = dict(arch.get("metadata") or {})
    return model
