"""Checkpoint files: finding the newest one of a run, and arrays brought to the host to be saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy

from glassnet.core.backend import to_numpy
from glassnet.core.errors import GlassnetError


def find_checkpoint(directory: str | Path) -> Path:
    """The checkpoint folder, or the one left by a swap that was interrupted."""
    directory = Path(directory)
    for candidate in (directory, directory.with_name(directory.name + ".old")):
        if (candidate / "trainer.json").is_file():
            return candidate
    raise GlassnetError(f"{directory}: no checkpoint to resume from")


def to_host(values: dict[str, Any]) -> dict[str, numpy.ndarray]:
    return {k: to_numpy(v) for k, v in values.items()}
