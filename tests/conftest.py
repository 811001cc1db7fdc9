"""Shared fixtures for the test suite (the layer harness is tests/helpers.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glassnet.data.datasets import shared_data_path


def shared_data(name: str) -> Path:
    """A file under the shared data folder, or skip the test when it is not there."""
    path = shared_data_path(name)
    if path is None:
        pytest.skip(f"shared data {name!r} not available")
    return Path(path)


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator, so every test draws the same numbers on every run."""
    return np.random.default_rng(1234)
