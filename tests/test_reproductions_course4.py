"""Course 4 on real data: the SIGNS hand signs trained from the command line (marked slow).

The course's TensorFlow model (CONV-POOL-CONV-POOL-FC) reached train 94% / test 78%;
glassnet's ``small_convnet`` is that architecture and must beat it, and ``small_resnet``
must reach 90% test accuracy.  Both runs go through the whole user flow: ``train`` (model,
metrics, learning curve), ``info``, ``evaluate`` and ``predict`` on a PNG of a test image.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data
from PIL import Image

from glassnet.cli.main import main

pytestmark = pytest.mark.slow


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().out


def _train(capsys, out: Path, *args: str) -> dict:
    signs = shared_data("signs_64x64_cs230.npz")
    code, stdout = _run(capsys, "train", "--data", signs, "--seed", "1", "--out", out,
                        "--json", "--no-progress", *args)
    assert code == 0
    return json.loads(stdout)


def _user_flow(capsys, out: Path, tmp_path: Path, expected_test: float) -> None:
    signs = shared_data("signs_64x64_cs230.npz")
    for name in ("architecture.json", "parameters.npz", "metrics.json", "learning_curve.png"):
        assert (out / name).is_file(), name
    code, info = _run(capsys, "info", out)
    assert code == 0 and "total parameters" in info
    code, evaluated = _run(capsys, "evaluate", out, "--data", signs, "--json")
    assert code == 0
    assert json.loads(evaluated)["accuracy"] == pytest.approx(expected_test)
    with np.load(signs) as d:
        image, label = d["test_x"][0], int(d["test_y"][0])
    Image.fromarray(image).save(tmp_path / "sign.png")
    code, predicted = _run(capsys, "predict", out, tmp_path / "sign.png")
    assert code == 0 and "probability" in predicted
    assert f"class {label}" in predicted  # the first test image is one the models get right


def test_small_convnet_beats_the_course_tensorflow_result(capsys, tmp_path) -> None:
    out = tmp_path / "convnet"
    result = _train(capsys, out, "--model", "small_convnet", "--optimizer", "adam",
                    "--learning-rate", "0.009", "--batch-size", "64", "--epochs", "100")
    assert result["n_parameters"] == 1310
    assert result["train_accuracy"] >= 0.94  # the course: 94%
    assert result["test_accuracy"] > 0.78  # the course: 78%; measured here 87.5%
    _user_flow(capsys, out, tmp_path, result["test_accuracy"])


def test_small_resnet_reaches_90_percent(capsys, tmp_path) -> None:
    out = tmp_path / "resnet"
    result = _train(capsys, out, "--model", "small_resnet", "--optimizer", "adam",
                    "--learning-rate", "0.002", "--decay", "inverse_time", "--decay-rate",
                    "0.2", "--batch-size", "32", "--epochs", "25")
    assert result["test_accuracy"] >= 0.90  # measured here 94.2% (seed 1, train 99.9%)
    _user_flow(capsys, out, tmp_path, result["test_accuracy"])
