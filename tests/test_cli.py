"""The ``glassnet`` command: train, evaluate, predict, info, gradcheck, and every bad-input case.

Bad input must end with exactly one line on stderr that starts ``glassnet: error:`` and names
the problem, exit code 2, and no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from glassnet.cli.main import main
from glassnet.data.pipeline import InputPipeline
from glassnet.models.saving import load_model

# -- data the tests make ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    np.savez(d / "tiny.npz", x=x, y=y)
    np.savetxt(d / "tiny.csv", np.c_[x, y], delimiter=",", fmt="%.6f")
    x_test = rng.normal(size=(30, 4))
    np.savez(d / "tiny_test.npz", x=x_test, y=(x_test[:, 0] + 0.5 * x_test[:, 1] > 0).astype(int))
    np.savez(d / "three.npz", x=rng.normal(size=(30, 4)), y=np.arange(30) % 3)
    x_nan = x.copy()
    x_nan[3, 1] = np.nan
    np.savez(d / "nan.npz", x=x_nan, y=y)
    x_inf = x.copy()
    x_inf[5, 0] = np.inf
    np.savez(d / "inf.npz", x=x_inf, y=y)
    np.savez(d / "empty.npz", x=np.zeros((0, 4)), y=np.zeros((0,), dtype=np.int64))
    (d / "header_only.csv").write_text("a,b,c,label\n")
    np.savez(d / "other.npz", x=rng.normal(size=(10, 7)), y=np.zeros(10, dtype=np.int64))
    (d / "fake.h5").write_text("this is plain text, not HDF5\n")
    (d / "fake.npz").write_text("this is plain text, not a zip archive\n")
    np.save(d / "inputs.npy", rng.normal(size=(3, 4)))
    np.save(d / "one_input.npy", rng.normal(size=(4,)))
    bad_inputs = rng.normal(size=(2, 4))
    bad_inputs[0, 0] = np.nan
    np.save(d / "nan_inputs.npy", bad_inputs)
    np.save(d / "wide_inputs.npy", rng.normal(size=(2, 9)))
    # small uint8 images: bright images are class 1
    img = rng.integers(0, 256, size=(40, 8, 8, 3), dtype=np.uint8)
    img[:20] //= 2
    img[20:] = 128 + img[20:] // 2
    np.savez(d / "images.npz", x=img, y=(np.arange(40) >= 20).astype(np.int64),
             classes=np.array(["dark", "bright"]))
    Image.fromarray(np.full((16, 16, 3), 230, np.uint8)).save(d / "bright.png")
    Image.fromarray(np.full((16, 16, 3), 20, np.uint8)).save(d / "dark.png")
    (d / "notes.png").write_text("not an image")
    return d


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_bad_input(capsys, args, *words: str) -> str:
    code, out, err = run(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2, f"exit {code}, stderr: {err!r}"
    assert len(lines) == 1, f"expected one stderr line, got: {err!r}"
    assert lines[0].startswith("glassnet: error: ")
    assert "Traceback" not in err + out
    for w in words:
        assert w.lower() in lines[0].lower(), f"{w!r} not in {lines[0]!r}"
    return lines[0]


@pytest.fixture(scope="module")
def binary_model(data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "binary"
    code = main(["train", "--data", str(data / "tiny.npz"), "--hidden", "5,3",
                 "--iterations", "300", "--learning-rate", "0.1", "--out", str(out), "--json"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def image_model(data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "images"
    code = main(["train", "--data", str(data / "images.npz"), "--hidden", "4",
                 "--iterations", "200", "--learning-rate", "0.05", "--out", str(out), "--json"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "digits"
    code = main(["train", "--hidden", "8", "--iterations", "3", "--out", str(out), "--json"])
    assert code == 0
    return out


# -- train -----------------------------------------------------------------------------------


def test_train_json_prints_one_object(capsys, data, tmp_path):
    code, out, err = run(capsys, "train", "--data", data / "tiny.npz", "--hidden", "5",
                         "--iterations", "120", "--learning-rate", "0.1", "--print-every", "20",
                         "--out", tmp_path / "run", "--json")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    for key in ("train_accuracy", "test_accuracy", "costs", "n_parameters", "seconds"):
        assert key in result
    assert result["n_parameters"] == (4 * 5 + 5) + (5 + 1)
    assert 0.0 <= result["test_accuracy"] <= 1.0
    assert result["train_accuracy"] > 0.8  # a nearly linear problem
    assert result["seconds"] > 0
    assert list(result["costs"]) == ["0", "20", "40", "60", "80", "100", "119"]
    costs = list(result["costs"].values())
    assert costs[-1] < costs[0]
    run_dir = tmp_path / "run"
    for name in ("architecture.json", "parameters.npz", "metrics.json", "learning_curve.png"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test_accuracy"] == pytest.approx(result["test_accuracy"])
    assert load_model(run_dir).n_parameters == result["n_parameters"]


def test_train_csv_without_hidden_is_logistic_regression(capsys, data, tmp_path):
    code, out, err = run(capsys, "train", "--data", data / "tiny.csv", "--hidden", "",
                         "--iterations", "50", "--out", tmp_path / "lr", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["n_parameters"] == 4 + 1
    model = load_model(tmp_path / "lr")
    assert len(model.layers) == 1 and model.output_activation == "sigmoid"


def test_train_with_test_data_and_multiclass_labels(capsys, data, tmp_path):
    code, out, err = run(capsys, "train", "--data", data / "tiny.npz", "--test-data",
                         data / "tiny_test.npz", "--iterations", "20", "--hidden", "3",
                         "--out", tmp_path / "a", "--json")
    assert code == 0, err
    assert 0.0 <= json.loads(out)["test_accuracy"] <= 1.0
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert sum(map(sum, metrics["test"]["confusion_matrix"])) == 30  # all of tiny_test.npz
    # three classes -> softmax output of 3 units
    code, out, err = run(capsys, "train", "--data", data / "three.npz", "--hidden", "4",
                         "--iterations", "10", "--out", tmp_path / "b", "--json")
    assert code == 0, err
    assert json.loads(out)["task"] == "multiclass"
    model = load_model(tmp_path / "b")
    assert model.output_activation == "softmax" and model.n_outputs == 3


def test_train_course_rng_flags(capsys, data, tmp_path):
    code, out, err = run(capsys, "train", "--data", data / "tiny.npz", "--hidden", "3",
                         "--init", "xavier", "--rng", "course", "--seed", "1",
                         "--iterations", "1", "--learning-rate", "1e-12",
                         "--out", tmp_path / "c", "--json")
    assert code == 0, err
    model = load_model(tmp_path / "c")  # one step of 1e-12 leaves the initial weights
    np.random.seed(1)
    np.testing.assert_allclose(model.parameters["W1"], np.random.randn(3, 4) / np.sqrt(4),
                               rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.parameters["W2"], np.random.randn(1, 3) / np.sqrt(3),
                               rtol=0, atol=1e-10)
    assert model.dtype == np.float64  # the course computes in float64


def test_train_is_reproducible(capsys, data, tmp_path):
    args = ["train", "--data", data / "tiny.npz", "--hidden", "4", "--iterations", "30",
            "--seed", "5", "--json", "--out"]
    _, out1, _ = run(capsys, *args, tmp_path / "r1")
    _, out2, _ = run(capsys, *args, tmp_path / "r2")
    assert json.loads(out1)["costs"] == json.loads(out2)["costs"]
    a, b = load_model(tmp_path / "r1"), load_model(tmp_path / "r2")
    for k in a.parameters:
        np.testing.assert_array_equal(a.parameters[k], b.parameters[k])


def test_train_human_readable_output(capsys, data, tmp_path):
    code, out, err = run(capsys, "train", "--data", data / "tiny.npz", "--hidden", "3",
                         "--iterations", "10", "--out", tmp_path / "h", "--no-progress")
    assert code == 0, err
    assert "train accuracy:" in out and "test accuracy:" in out
    assert "W1 b1" in out  # the summary table names the course's parameters


# -- evaluate / predict / info / gradcheck -------------------------------------------------------


def test_evaluate_json(capsys, data, binary_model):
    code, out, err = run(capsys, "evaluate", binary_model, "--data", data / "tiny_test.npz",
                         "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["m"] == 30
    assert 0.0 <= result["accuracy"] <= 1.0
    assert sum(map(sum, result["confusion_matrix"])) == 30
    # the same number through the library
    model = load_model(binary_model)
    pipe = InputPipeline.of(model)
    with np.load(data / "tiny_test.npz") as z:
        pred = np.asarray(model.predict(pipe.transform(z["x"]))).reshape(-1)
        assert result["accuracy"] == pytest.approx(np.mean(pred == z["y"]))
    code, out, _ = run(capsys, "evaluate", binary_model, "--data", data / "tiny_test.npz")
    assert code == 0 and "accuracy" in out and "confusion matrix" in out


def test_predict_array_file(capsys, data, binary_model):
    code, out, err = run(capsys, "predict", binary_model, data / "inputs.npy", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 3
    model = load_model(binary_model)
    A = np.asarray(model.predict_proba(InputPipeline.of(model).transform(
        np.load(data / "inputs.npy"))))
    for i, row in enumerate(rows):
        assert row["class"] == int(A[0, i] > 0.5)
        assert row["probability"] == pytest.approx(max(A[0, i], 1 - A[0, i]), rel=1e-6)
        assert 0.5 <= row["probability"] <= 1.0
    code, out, _ = run(capsys, "predict", binary_model, data / "inputs.npy",
                       data / "one_input.npy")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 4 and all("probability" in ln for ln in lines)


def test_predict_png_with_an_image_model(capsys, data, image_model):
    code, out, err = run(capsys, "predict", image_model, data / "bright.png", data / "dark.png",
                         "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["input"] for r in rows] == [str(data / "bright.png"), str(data / "dark.png")]
    model = load_model(image_model)
    pipe = InputPipeline.of(model)
    for row, name in zip(rows, ("bright.png", "dark.png"), strict=True):
        with Image.open(data / name) as im:
            x = np.asarray(im.convert("RGB").resize((8, 8)))[None]
        a = float(np.asarray(model.predict_proba(pipe.transform(x)))[0, 0])
        assert row["class"] == int(a > 0.5)
        assert row["label"] == ["dark", "bright"][row["class"]]
        assert row["probability"] == pytest.approx(max(a, 1 - a), rel=1e-5)
    code, out, _ = run(capsys, "predict", image_model, data / "bright.png")
    assert code == 0 and "probability" in out and "class" in out


def test_info(capsys, binary_model):
    code, out, err = run(capsys, "info", binary_model)
    assert code == 0, err
    for word in ("binary", "W1", "b3", "Dense(5, relu)", "total parameters: 47"):
        assert word in out
    code, out, _ = run(capsys, "info", binary_model, "--json")
    result = json.loads(out)
    assert result["n_parameters"] == (4 * 5 + 5) + (5 * 3 + 3) + (3 + 1) == 47
    assert result["parameters"]["W2"] == [3, 5]


def test_gradcheck_default_model_passes(capsys):
    code, out, err = run(capsys, "gradcheck")
    assert code == 0, out + err
    assert "great" in out
    assert "W1" in out


def test_gradcheck_saved_model(capsys, data, binary_model):
    code, out, err = run(capsys, "gradcheck", binary_model, "--data", data / "tiny.npz")
    assert code == 0, out + err
    assert "great" in out


def test_version_and_help(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and "glassnet" in out
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0 and "--hidden" in out and "--rng" in out


# -- bad input: one line, exit 2, no traceback ----------------------------------------------


def test_missing_file(capsys, data, tmp_path, binary_model):
    assert_bad_input(capsys, ["train", "--data", data / "nope.npz", "--out", tmp_path],
                     "nope.npz", "no such file")
    assert_bad_input(capsys, ["evaluate", binary_model, "--data", data / "nope.npz"],
                     "nope.npz")
    assert_bad_input(capsys, ["predict", binary_model, data / "missing.png"],
                     "missing.png", "no such file")
    assert_bad_input(capsys, ["evaluate", tmp_path / "no_model", "--data", data / "tiny.npz"],
                     "no_model", "no such model directory")


def test_file_not_the_claimed_format(capsys, data, tmp_path, binary_model, image_model):
    assert_bad_input(capsys, ["train", "--data", data / "fake.h5", "--out", tmp_path],
                     "fake.h5", "not an HDF5 file")
    assert_bad_input(capsys, ["train", "--data", data / "fake.npz", "--out", tmp_path],
                     "fake.npz", "npz")
    assert_bad_input(capsys, ["predict", image_model, data / "notes.png"], "notes.png")
    assert_bad_input(capsys, ["predict", binary_model, data / "bright.png"], "bright.png",
                     "not images")


def test_input_size_the_model_does_not_take(capsys, data, digits_model, binary_model):
    line = assert_bad_input(capsys, ["evaluate", digits_model, "--data", data / "tiny.npz"],
                            "shape")
    assert "8, 8" in line and "(80, 4)" in line
    assert_bad_input(capsys, ["evaluate", binary_model, "--data", data / "other.npz"],
                     "(m, 4)", "(10, 7)")
    assert_bad_input(capsys, ["predict", binary_model, data / "wide_inputs.npy"], "shape")


def test_labels_that_do_not_fit(capsys, data, tmp_path, binary_model):
    assert_bad_input(capsys, ["train", "--data", data / "three.npz", "--task", "binary",
                              "--out", tmp_path], "labels", "2")
    assert_bad_input(capsys, ["evaluate", binary_model, "--data", data / "three.npz"],
                     "labels", "2")


def test_nan_or_inf_in_the_data(capsys, data, tmp_path, binary_model):
    assert_bad_input(capsys, ["train", "--data", data / "nan.npz", "--out", tmp_path],
                     "nan.npz", "NaN")
    assert_bad_input(capsys, ["train", "--data", data / "inf.npz", "--out", tmp_path],
                     "inf.npz", "inf")
    assert_bad_input(capsys, ["predict", binary_model, data / "nan_inputs.npy"], "NaN")


def test_empty_dataset(capsys, data, tmp_path):
    assert_bad_input(capsys, ["train", "--data", data / "empty.npz", "--out", tmp_path],
                     "empty.npz", "empty")
    assert_bad_input(capsys, ["train", "--data", data / "header_only.csv", "--out", tmp_path],
                     "header_only.csv", "empty")


@pytest.mark.parametrize(
    "flags, words",
    [
        (["--learning-rate", "-0.1"], ["--learning-rate", "-0.1"]),
        (["--learning-rate", "0"], ["--learning-rate"]),
        (["--learning-rate", "nan"], ["--learning-rate"]),
        (["--iterations", "0"], ["--iterations", "0"]),
        (["--iterations", "-5"], ["--iterations"]),
        (["--hidden", "20,x,5"], ["--hidden", "20,x,5"]),
        (["--hidden", "0"], ["--hidden"]),
        (["--hidden=-3"], ["--hidden"]),
        (["--batch-size", "-2"], ["--batch-size"]),
        (["--keep-prob", "1.5"], ["--keep-prob"]),
        (["--iterations", "many"], ["--iterations", "many"]),
        (["--init", "ones"], ["--init", "ones"]),
        (["--activation", "swish"], ["activation", "swish"]),
        (["--l2", "-1"], ["--l2"]),
        (["--seed", "-1"], ["--seed"]),
        (["--dev-fraction", "1.5"], ["--dev-fraction", "1.5"]),
        (["--print-every", "0"], ["--print-every"]),
        (["--rng", "global"], ["--rng", "global"]),
    ],
)
def test_nonsensical_flag_values(capsys, data, tmp_path, flags, words):
    assert_bad_input(capsys, ["train", "--data", data / "tiny.npz", "--out", tmp_path, *flags],
                     *words)


@pytest.mark.parametrize(
    "flags, words",
    [
        (["--model", "vgg-17"], ["--model vgg-17", "unknown model", "small_convnet"]),
        (["--model", "vgg16", "--model-option", "alpha=0.5"],
         ["--model vgg16", "'alpha'", "width, fc_units"]),
        (["--model", "vgg16", "--model-option", "width=wide"],
         ["option width", "a number", "'wide'"]),
        (["--model", "mobilenet_v1", "--model-option", "batch_norm=3"],
         ["option batch_norm", "true or false"]),
        (["--model", "small_convnet", "--model-option", "width"], ["KEY=VALUE", "'width'"]),
    ],
)
def test_bad_zoo_model_or_option(capsys, data, tmp_path, flags, words):
    assert_bad_input(capsys, ["train", "--data", data / "images.npz", "--epochs", "1",
                              "--out", tmp_path, *flags], *words)


def test_gradcheck_bad_flags(capsys, binary_model):
    assert_bad_input(capsys, ["gradcheck", "--examples", "0"], "--examples")
    assert_bad_input(capsys, ["gradcheck", binary_model], "--data")


def test_usage_errors(capsys, binary_model):
    assert_bad_input(capsys, ["train", "--no-such-flag"], "--no-such-flag")
    assert_bad_input(capsys, ["evaluate", binary_model], "--data")
    assert_bad_input(capsys, ["fly"], "fly")


def test_bad_input_through_a_real_process(data, tmp_path):
    # the installed entry point, as a user runs it: one line, exit 2, no traceback
    script = Path(sys.executable).with_name("glassnet")
    commands = [[sys.executable, "-m", "glassnet.cli"]]
    if script.is_file():
        commands.append([str(script)])
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for cmd in commands:
        proc = subprocess.run(
            [*cmd, "train", "--data", str(data / "fake.h5"), "--out", str(tmp_path)],
            capture_output=True, text=True, timeout=120, env=env,
        )
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("glassnet: error: "), proc.stderr
        assert "fake.h5" in lines[0]
        assert "Traceback" not in proc.stderr + proc.stdout


# -- the main job ---------------------------------------------------------------------------


@pytest.mark.slow
def test_main_job_reaches_95_percent_on_digits(capsys, tmp_path):
    code, out, err = run(capsys, "train", "--out", tmp_path / "main", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["task"] == "multiclass"
    assert result["test_accuracy"] >= 0.95, result
    assert result["seconds"] < 60
    for name in ("architecture.json", "parameters.npz", "metrics.json", "learning_curve.png"):
        assert (tmp_path / "main" / name).is_file()


def test_a_new_run_never_replaces_an_earlier_one(tmp_path, monkeypatch):
    """The default folder is runs/train, then runs/train-2, ...; an --out that holds a run
    is refused unless --overwrite."""
    from click.testing import CliRunner

    from glassnet.cli.main import cli

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    quick = ["--epochs", "1", "--no-progress", "--hidden", "8"]
    for expected in ("runs/train", "runs/train-2"):
        result = runner.invoke(cli, ["train", *quick])
        assert result.exit_code == 0, result.output
        assert f"saved to {expected}/" in result.output
    first = (tmp_path / "runs/train/parameters.npz").read_bytes()
    result = runner.invoke(cli, ["train", *quick, "--out", "runs/train", "--seed", "5"])
    assert result.exit_code == 2
    assert "holds an earlier run; pass --overwrite" in result.output
    assert (tmp_path / "runs/train/parameters.npz").read_bytes() == first
    result = runner.invoke(cli, ["train", *quick, "--out", "runs/train", "--overwrite"])
    assert result.exit_code == 0, result.output


def test_early_stopping_says_so_and_the_curve_ends_where_it_stopped(tmp_path):
    from click.testing import CliRunner

    from glassnet.cli.main import cli

    result = CliRunner().invoke(cli, ["train", "--early-stopping", "1", "--epochs", "400",
                                      "--print-every", "100", "--no-progress",
                                      "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "early stopping: the dev cost stopped improving" in result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["stopped_early"] and metrics["best_epoch"] is not None
    last = max(int(k) for k in metrics["costs"])
    assert last == metrics["epochs_run"] - 1 and last < 399
