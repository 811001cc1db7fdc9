"""Thread control: glassnet.set_num_threads sets the BLAS pool and the kernels together."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet
from glassnet.project.run import run_training


@pytest.fixture(autouse=True)
def _restore():
    yield
    glassnet.set_num_threads(None)


def test_set_num_threads_sets_blas_and_kernels():
    got = glassnet.set_num_threads(1)
    assert got["blas"] and all(n == 1 for n in got["blas"])
    assert got["kernels"] == 1
    assert glassnet.num_threads() == got
    X = np.random.default_rng(0).standard_normal((64, 64))
    np.testing.assert_allclose(X @ X.T, (X @ X.T).T)  # the math still runs
    glassnet.set_num_threads(None)
    assert glassnet.num_threads()["kernels"] >= 1


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_bad_thread_counts_are_refused(bad):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        glassnet.set_num_threads(bad)


def test_a_run_with_threads_records_them(tmp_path):
    result = run_training({"threads": 1, "epochs": 2, "hidden": [8], "optimizer": "adam",
                           "learning_rate": 0.01, "batch_size": 64}, out=tmp_path / "run")
    assert result.model.metadata["threads"]["kernels"] == 1
    assert all(n == 1 for n in result.model.metadata["threads"]["blas"])
