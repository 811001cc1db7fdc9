"""The loader options of a run's data files, from its settings (``--label``,
``--features``, ``--header``, ``--image-size``, ``--grayscale``), refused in the flag's
words where the file does not take them (a ``--label`` for an HDF5 file)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glassnet.data.loaders import FORMAT_OPTIONS, dataset_format
from glassnet.project.config_checks import ConfigError

if TYPE_CHECKING:
    from glassnet.data.records import Dataset
    from glassnet.project.config import RunConfig

# RunConfig field -> (the loader's keyword, the format that takes it)
_OPTIONS = {
    "label": ("label_column", "csv"),
    "features": ("features", "csv"),
    "header": ("header", "csv"),
    "image_size": ("size", "image folder"),
    "grayscale": ("grayscale", "image folder"),
}


def loader_options(cfg: RunConfig, path: str | None,
                   like: Dataset | None = None) -> dict[str, Any]:
    """The keyword arguments of :func:`glassnet.data.load_dataset` for ``path``
    (None: the built-in digits) from the settings given (not at their defaults).

    ``like``: the training set, whose image size a test image folder takes when no
    ``image_size`` is set."""
    given = {name: getattr(cfg, name) for name in _OPTIONS
             if getattr(cfg, name) is not None and (getattr(cfg, name) is not False
                                                    or name == "header")}
    fmt = "the built-in digits" if path is None else dataset_format(path)
    options: dict[str, Any] = {}
    for name, value in given.items():
        keyword, takes = _OPTIONS[name]
        if fmt != takes or keyword not in FORMAT_OPTIONS[takes]:
            shown = fmt if path is None else f"{path} ({fmt})"
            what = "CSV files" if takes == "csv" else "image folders"
            raise ConfigError(name, f"{name} applies to {what} only, not to {shown}")
        options[keyword] = list(value) if name == "features" else value
    if fmt == "image folder" and like is not None and "size" not in options:
        options["size"] = tuple(like.x.shape[1:3])
    return options
