"""A non-finite result is an error (issue 16 item 7): a test cost of inf is not written into
metrics.json as ``Infinity`` with exit 0, and the earlier run in the folder is kept."""

from __future__ import annotations

import numpy as np

from glassnet.cli.main import main


def _files(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = x @ np.array([1.0, 2.0, 3.0])
    far = x.copy()
    far[0, 0] = 1e38  # finite in float32, but the network's output overflows on it
    np.savez(tmp_path / "train.npz", x=x.astype(np.float32), y=y)
    np.savez(tmp_path / "far.npz", x=far.astype(np.float32), y=y)
    return tmp_path / "train.npz", tmp_path / "far.npz"


def test_an_infinite_test_cost_is_one_error_line(tmp_path, capsys):
    train, far = _files(tmp_path)
    out = tmp_path / "run"
    args = ["train", "--data", str(train), "--task", "regression", "--epochs", "3",
            "--no-progress", "--out", str(out)]
    assert main(args) == 0
    before = (out / "metrics.json").read_bytes()
    capsys.readouterr()
    assert main([*args, "--test-data", str(far), "--overwrite"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("glassnet: error: test data: the cost is inf")
    assert (out / "metrics.json").read_bytes() == before  # the earlier run is untouched
    assert main(["evaluate", str(out), "--data", str(far)]) == 2
    assert "is inf" in capsys.readouterr().err
