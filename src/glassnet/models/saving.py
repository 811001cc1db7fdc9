"""Saving and loading models: "a model is an architecture plus parameters" (the notes).

A model directory holds two files:

* ``architecture.json``: human-readable and versioned: the layers and their
  settings, the loss, the input shape, plus metadata (class names, the
  preprocessing applied to the inputs);
* ``parameters.npz``: the arrays, by the course's names (``W1``, ``b1``, ...),
  with non-trained state as ``state:NAME`` and extra arrays (such as the
  training set's mean and standard deviation) as ``extra:NAME``.

**Writing** (:func:`save_model`): both files (and any ``extra_files``) are written as one
unit by :mod:`glassnet.models.folder_swap`: into a temporary folder, fsynced, committed by
one rename, then moved to their plain names; a kill at any moment leaves a folder that
loads as the old model or as the new one, and the other files of a run folder are not
touched.

**Reading** (:func:`load_model`), nothing trusted, nothing allocated before it is sized:

1. ``architecture.json`` is read and checked field by field
   (:mod:`glassnet.models.architecture_check`: size, nesting, types, known layers);
2. the parameter file's directory and ``.npy`` headers are read
   (:func:`glassnet.core.npz_reader.npz_shapes`; no array data);
3. the model is built with every allocation sized first against the memory budget and
   against what the parameter file holds (:mod:`glassnet.models.guarded_build`);
4. the built shapes are compared with the file's, name by name; a member the model does
   not use (not a parameter, ``state:`` or ``extra:`` array) is **refused, named**, never
   inflated; the total passes :func:`glassnet.core.limits.check_size`;
5. only the model's members are read (:func:`glassnet.core.npz_reader.read_npz`: CRC,
   deflate and truncation errors are one line), and NaN or infinite values are refused,
   naming the array.

Nothing is pickled and nothing is loaded with ``allow_pickle``, so a model file can never
run code.  Every failure is one :class:`~glassnet.core.errors.ModelFileError` (or
:class:`~glassnet.core.errors.MemoryBudgetError`) line naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.atomic import json_bytes
from glassnet.core.backend import to_numpy
from glassnet.core.errors import ModelFileError
from glassnet.core.limits import check_size
from glassnet.core.npz_reader import npz_shapes, read_npz
from glassnet.models.architecture_check import (
    FORMAT,
    FORMAT_VERSION,
    read_architecture_file,
)
from glassnet.models.folder_swap import Contents, committed_folder, write_unit
from glassnet.models.guarded_build import build_guarded

ARCHITECTURE_FILE = "architecture.json"
PARAMETERS_FILE = "parameters.npz"
__all__ = ["ARCHITECTURE_FILE", "FORMAT", "FORMAT_VERSION", "PARAMETERS_FILE", "load_model",
           "model_files", "read_architecture", "save_model"]


def save_model(model: Any, directory: str | os.PathLike,
               extra_files: Mapping[str, Contents] | None = None) -> Path:
    """Write ``model`` to ``directory`` (architecture.json + parameters.npz, and
    ``extra_files``: name -> bytes or a writer of an open binary file) as one unit."""
    from glassnet._version import __version__

    directory = Path(directory)
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

    def write_parameters(fh: Any) -> None:
        numpy.savez(fh, **{k: to_numpy(v) for k, v in arrays.items()})

    files: dict[str, Contents] = {PARAMETERS_FILE: write_parameters,
                                  ARCHITECTURE_FILE: json_bytes(architecture)}
    files.update(extra_files or {})
    return write_unit(directory, files)


def model_files(directory: str | os.PathLike) -> Path:
    """The folder that holds ``directory``'s model files now (itself, or the committed
    ``.model-next/`` of a save that was killed); ModelFileError if there is no model."""
    directory = Path(directory)
    if not directory.exists():
        raise ModelFileError(f"{directory}: no such model directory")
    folder = committed_folder(directory)
    if not (folder / ARCHITECTURE_FILE).is_file():
        raise ModelFileError(f"{directory}: not a model directory (no {ARCHITECTURE_FILE})")
    return folder


def read_architecture(directory: str | os.PathLike) -> dict:
    """The parsed, validated ``architecture.json`` of a model directory."""
    return read_architecture_file(model_files(directory) / ARCHITECTURE_FILE)


def _check_finite(path: Path, name: str, array: numpy.ndarray) -> None:
    if numpy.issubdtype(array.dtype, numpy.inexact) and array.size:
        finite = numpy.isfinite(array)
        if not finite.all():
            bad = int(array.size - numpy.count_nonzero(finite))
            raise ModelFileError(f"{path}: {name} holds {bad} NaN or infinite value(s) of "
                                 f"{array.size}; refused (the model would predict nan)")


def load_model(directory: str | os.PathLike) -> Any:
    """Rebuild the model saved in ``directory``; refuses anything that does not match
    (the checks, in order, are in the module's docstring)."""
    folder = model_files(directory)
    arch_path, path = folder / ARCHITECTURE_FILE, folder / PARAMETERS_FILE
    arch = read_architecture_file(arch_path)
    shapes = npz_shapes(path, what="parameter file")
    file_values = 0
    for shape, _ in shapes.values():
        file_values += int(numpy.prod(shape, dtype=object))
    model = build_guarded(arch["model"], arch_path, path, file_values)
    expected = dict(model.parameters)
    expected.update({f"state:{k}": v for k, v in model.state.items()})
    for key, target in expected.items():
        if key not in shapes:
            raise ModelFileError(f"{path}: missing key {key!r} (the architecture needs it)")
        shape, dtype = shapes[key]
        if shape != tuple(target.shape):
            raise ModelFileError(f"{path}: {key} has shape {shape}, the architecture expects "
                                 f"{tuple(target.shape)}")
        if not numpy.issubdtype(dtype, numpy.floating):
            raise ModelFileError(f"{path}: {key} has dtype {dtype}, expected floats")
    extras = [k for k in shapes if k.startswith("extra:")]
    unused = [k for k in shapes if k not in expected and k not in extras]
    if unused:
        names = list(expected)
        shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        raise ModelFileError(f"{path}: member {unused[0]!r} is not an array of this model "
                             f"(its arrays: {shown}; extra:NAME); refused unread")
    total = sum(int(numpy.prod(s, dtype=object)) * d.itemsize for s, d in shapes.values())
    check_size(total, f"{path}: the model's {len(shapes)} arrays")
    arrays = read_npz(path, [*expected, *extras], error=ModelFileError, what="parameter file")
    for key, array in arrays.items():
        _check_finite(path, key, array)
    values = {k: arrays[k] for k in model.parameters}
    values.update({k: arrays[f"state:{k}"] for k in model.state})
    model.set_parameters(values)
    model.extras = {k[6:]: arrays[k] for k in extras}
    model.metadata = dict(arch.get("metadata") or {})
    return model
