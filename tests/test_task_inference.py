"""Task inference (issue 15 item 2): integer labels are classes only when they read as class
indices 0..C-1; a quantity stored as integers (scikit-learn's diabetes) and an absurd class
count (an IDX label of 400,000,000) are refused with one line that asks for ``--task``."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from glassnet.cli.main import main
from glassnet.core.errors import MemoryBudgetError
from glassnet.project.config_checks import ConfigError
from glassnet.project.splits import infer_task


def _diabetes_like(m: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Features and integer targets from 25 to 346, most values seen once or twice."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, 4))
    y = np.clip(np.round(150 + 60 * x[:, 0] + 30 * x[:, 1] + rng.normal(0, 20, m)), 25, 346)
    return x, y.astype(np.int64)


def _write_csv(path, x, y, header=True) -> None:
    lines = [",".join(f"f{j}" for j in range(x.shape[1])) + ",target"] if header else []
    lines += [",".join(f"{v:.5f}" for v in row) + f",{t}" for row, t in zip(x, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")


# -- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "y, expected",
    [
        (np.array([0, 1, 1, 0] * 5), ("binary", 1)),
        (np.arange(30) % 3, ("multiclass", 3)),
        (np.arange(1, 11).repeat(6), ("multiclass", 11)),  # 1-based labels: class 0 unused
        (np.arange(10).repeat(2), ("multiclass", 10)),  # few values: classes even with few rows
        (np.arange(20).repeat(5), ("multiclass", 20)),  # 5 rows per class
        (np.array([0.0, 1.0, 2.0, 1.0] * 5), ("multiclass", 3)),  # integral floats
        (np.array([0.5, 1.25, 3.0]), ("regression", 1)),
    ],
)
def test_labels_that_read_as_classes(y, expected):
    assert infer_task(y, None, None) == expected


def test_many_distinct_integers_in_few_rows_are_refused_naming_task():
    _, y = _diabetes_like()
    with pytest.raises(ConfigError) as info:
        infer_task(y, None, None)
    message = str(info.value)
    assert info.value.field == "task" and message.startswith("task")
    assert "\n" not in message
    k = len(np.unique(y))
    assert f"{k} distinct integers from {y.min()} to {y.max()} in 300 rows" in message
    assert "--task regression" in message
    assert f"--task multiclass for a {y.max() + 1}-class" in message
    # told, it does either
    assert infer_task(y, None, "regression") == ("regression", 1)
    assert infer_task(y, None, "multiclass") == ("multiclass", int(y.max()) + 1)


@pytest.mark.parametrize(
    "y, words",
    [
        (np.array([-1, 0, 1, 2] * 10), "negative"),
        (np.array([0, 5, 9] * 10), "unused"),
        (np.array([0, 1, 2, 400_000_000] * 3), "unused"),
    ],
)
def test_labels_that_are_not_class_indices_are_refused(y, words):
    with pytest.raises(ConfigError, match=words):
        infer_task(y, None, None)


def test_named_classes_are_classes():
    y = np.arange(40) % 20  # 2 rows per class, but the file named them
    assert infer_task(y, [f"c{i}" for i in range(20)], None) == ("multiclass", 20)


def test_an_absurd_class_count_is_refused_before_allocating(monkeypatch):
    monkeypatch.setenv("GLASSNET_MAX_MEMORY", "1G")
    y = np.array([0, 1, 2, 400_000_000])
    with pytest.raises(MemoryBudgetError, match="400000001 classes"):
        infer_task(y, None, "multiclass")


# -- the command line --------------------------------------------------------------------------


def test_train_on_integer_targets_asks_for_task(tmp_path, capsys):
    x, y = _diabetes_like()
    data = tmp_path / "diabetes_like.csv"
    _write_csv(data, x, y)
    code = main(["train", "--data", str(data), "--out", str(tmp_path / "run"), "--epochs", "5"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("glassnet: error: --task")
    assert "look like a quantity" in err[0] and "--task regression" in err[0]
    assert not (tmp_path / "run" / "architecture.json").exists()


def _write_idx(path, array: np.ndarray, type_code: int) -> None:
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())


def test_idx_labels_of_400_million_are_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GLASSNET_MAX_MEMORY", "1G")
    rng = np.random.default_rng(0)
    images = tmp_path / "train-images-idx3-ubyte"
    _write_idx(images, rng.integers(0, 256, (12, 4, 4), dtype=np.uint8), 0x08)
    labels = np.array([0, 1, 2] * 3 + [400_000_000] * 3, dtype=">i4")
    _write_idx(tmp_path / "train-labels-idx1-ubyte", labels, 0x0C)
    for extra in ([], ["--task", "multiclass"]):  # refused by the IDX loader, before any model
        code = main(["train", "--data", str(images), "--out", str(tmp_path / "run"),
                     "--epochs", "1", *extra])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2
        assert len(err) == 1 and err[0].startswith("glassnet: error:") and "400000000" in err[0]
