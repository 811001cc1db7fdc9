"""Model folders written by glassnet 0.1 still load and predict exactly what they did.

The folders under tests/data/models_v0_1/ were written by 0.1 (tests/data/make_models_v0_1.py
says how), each with ``expected.npz``: the inputs and 0.1's predictions.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from glassnet.cli.main import main
from glassnet.models.saving import FORMAT_VERSION, load_model, read_architecture, save_model

FIXTURES = Path(__file__).resolve().parent / "data" / "models_v0_1"
MODELS = ["dense_binary", "conv_blocks", "multitask", "flatten_image"]


@pytest.mark.parametrize("name", MODELS)
def test_a_0_1_model_predicts_what_it_did(name):
    model = load_model(FIXTURES / name)
    expected = np.load(FIXTURES / name / "expected.npz", allow_pickle=False)
    proba = model.predict_proba(expected["X"])
    assert proba.dtype == expected["proba"].dtype
    np.testing.assert_allclose(proba, expected["proba"], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(model.predict(expected["X"]), expected["predict"])


@pytest.mark.parametrize("name", MODELS)
def test_a_0_1_model_saved_again_reads_the_same(name, tmp_path):
    model = load_model(FIXTURES / name)
    save_model(model, tmp_path / name)
    arch = read_architecture(tmp_path / name)
    assert arch["format_version"] == FORMAT_VERSION
    old = read_architecture(FIXTURES / name)
    assert old["format_version"] == 1  # the version field says which format wrote it
    assert arch["parameter_shapes"] == old["parameter_shapes"]
    again = load_model(tmp_path / name)
    X = np.load(FIXTURES / name / "expected.npz")["X"]
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


def test_a_0_1_run_folder_evaluates_as_it_did(tmp_path, capsys):
    run = tmp_path / "cli_run"
    shutil.copytree(FIXTURES / "cli_run", run)
    code = main(["evaluate", str(run), "--data", str(FIXTURES / "iris_like.csv"), "--json"])
    assert code == 0
    got = json.loads(capsys.readouterr().out)
    want = json.loads((FIXTURES / "cli_run_evaluate.json").read_text())
    assert got["confusion_matrix"] == want["confusion_matrix"]
    assert got["accuracy"] == want["accuracy"]
    assert got["cost"] == pytest.approx(want["cost"], rel=1e-5)
    code = main(["info", str(run)])
    assert code == 0
    assert "Dense(6, relu)" in capsys.readouterr().out
