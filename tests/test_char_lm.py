"""Character language models from the command line: train, sample, evaluate, info, resume,
and bad input answered by one line and exit 2."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data

from glassnet.cli.main import main
from glassnet.data.text import TextError, one_hot, read_text, split_tail, windows
from glassnet.models.saving import load_model, save_model
from glassnet.project.text_run import char_model
from glassnet.text.charlm import vocabulary_of
from glassnet.text.generate import generate

TEXT = ("the quick brown fox jumps over the lazy dog.\n"
        "a lazy dog sleeps; the brown fox runs.\n") * 12

TINY = ["--seq-length", "12", "--units", "8", "--batch-size", "16", "--epochs", "3",
        "--no-progress"]


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_bad_input(capsys, args, *words: str) -> str:
    code, _, err = run(capsys, *args)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def text_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("text") / "tiny.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def lstm_run(text_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "char_lstm"
    code = main(["train", "--model", "char_lstm", "--data", str(text_file), *TINY,
                 "--num-layers", "2", "--dropout", "0.1", "--out", str(out), "--json"])
    assert code == 0
    return out


# -- the text pipeline ------------------------------------------------------------------
def test_windows_are_the_text_and_the_text_one_on():
    X, Y = windows(np.arange(9), 4)
    np.testing.assert_array_equal(X, [[0, 1, 2, 3], [4, 5, 6, 7]])
    np.testing.assert_array_equal(Y, [[1, 2, 3, 4], [5, 6, 7, 8]])
    H = one_hot(X, 9)
    assert H.shape == (9, 2, 4) and H[5, 1, 1] == 1 and H.sum() == 8
    with pytest.raises(TextError, match="longer than"):
        windows(np.arange(4), 4)
    assert split_tail("abcdefghij", 0.2) == ("abcdefgh", "ij")


def test_read_text_refuses_binary_empty_and_non_utf8(tmp_path):
    (tmp_path / "b.bin").write_bytes(b"\x89PNG\x00\x00\x01")
    (tmp_path / "e.txt").write_text("  \n\n")
    (tmp_path / "l.txt").write_bytes(b"caf\xe9")
    with pytest.raises(TextError, match="binary"):
        read_text(tmp_path / "b.bin")
    with pytest.raises(TextError, match="empty"):
        read_text(tmp_path / "e.txt")
    with pytest.raises(TextError, match="UTF-8"):
        read_text(tmp_path / "l.txt")


@pytest.mark.parametrize("kind", ["char_rnn", "char_gru", "char_lstm"])
def test_each_kind_trains_from_python(kind, text_file):
    from glassnet.project.run import run_training

    result = run_training({"model": kind, "data": str(text_file), "seq_length": 12,
                           "units": 8, "epochs": 2, "progress": False})
    m = result.metrics
    assert m["task"] == "language_model" and m["vocab_size"] == len(set(TEXT))
    assert m["dev_bits_per_char"] == pytest.approx(m["dev_nats_per_char"] / math.log(2))
    assert m["dev_perplexity"] == pytest.approx(math.exp(m["dev_nats_per_char"]))
    assert m["dev_bits_per_char"] < m["uniform_bits_per_char"] + 0.5


# -- train, sample, evaluate, info from the command line ---------------------------------
def test_train_writes_the_run(lstm_run):
    for name in ("architecture.json", "parameters.npz", "vocabulary.json", "metrics.json",
                 "learning_curve.png", "history.json"):
        assert (lstm_run / name).is_file(), name
    metrics = json.loads((lstm_run / "metrics.json").read_text())
    for key in ("dev_nats_per_char", "dev_bits_per_char", "dev_perplexity"):
        assert math.isfinite(metrics[key])
    vocab = json.loads((lstm_run / "vocabulary.json").read_text())
    assert vocab == load_model(lstm_run).metadata["vocabulary"]


def test_sample_is_reproducible_and_uses_the_vocabulary(capsys, lstm_run):
    args = ("sample", lstm_run, "--prime", "the ", "--length", "60", "--seed", "3")
    code, out1, _ = run(capsys, *args)
    code2, out2, _ = run(capsys, *args)
    assert code == code2 == 0 and out1 == out2
    assert out1.startswith("the ") and len(out1.rstrip("\n")) >= 4 + 60 - 2
    assert set(out1) <= set(TEXT) | {"\n"}
    _, other, _ = run(capsys, *args[:-1], "4")
    assert other != out1


def test_generate_from_python_and_temperature(lstm_run):
    model = load_model(lstm_run)
    vocab = vocabulary_of(model)
    cold = generate(model, vocab, "the ", 40, temperature=1e-4, seed=0)
    assert cold == generate(model, vocab, "the ", 40, temperature=1e-4, seed=1)  # ~argmax
    assert len(generate(model, vocab, "", 30, seed=0)) == 30
    with pytest.raises(ValueError, match="outside"):
        generate(model, vocab, "the Q", 5)


def test_evaluate_and_info(capsys, lstm_run, text_file):
    code, out, err = run(capsys, "evaluate", lstm_run, "--data", text_file, "--json")
    assert code == 0, err
    res = json.loads(out)
    metrics = json.loads((lstm_run / "metrics.json").read_text())
    assert res["bits_per_char"] == pytest.approx(metrics["dev_bits_per_char"], rel=1e-5)
    code, out, _ = run(capsys, "evaluate", lstm_run, "--data", text_file)
    assert code == 0 and "bits/char" in out and "perplexity" in out
    code, out, _ = run(capsys, "info", lstm_run)
    assert code == 0 and "LSTM(8)" in out and "char_lstm" in out
    code, out, _ = run(capsys, "info", lstm_run, "--json")
    assert code == 0 and json.loads(out)["metadata"]["text_model"] == "char_lstm"


def test_save_load_round_trip_gives_identical_predictions(tmp_path):
    model = char_model("char_gru", 7, 5, units=6, num_layers=2, seed=3)
    X = one_hot(np.random.default_rng(0).integers(0, 7, (4, 5)), 7)
    save_model(model, tmp_path / "m")
    again = load_model(tmp_path / "m")
    np.testing.assert_array_equal(model.predict_proba(X), again.predict_proba(X))


# -- bad input: one line, exit 2 ------------------------------------------------------------
def test_bad_training_input(capsys, tmp_path, text_file):
    (tmp_path / "b.bin").write_bytes(bytes(range(256)))
    (tmp_path / "e.txt").write_text("")
    assert_bad_input(capsys, ["train", "--model", "char_lstm", "--data", tmp_path / "b.bin",
                       "--out", tmp_path / "r"], "binary")
    assert_bad_input(capsys, ["train", "--model", "char_rnn", "--data", tmp_path / "e.txt",
                       "--out", tmp_path / "r"], "empty")
    assert_bad_input(capsys, ["train", "--model", "char_gru", "--data", text_file,
                       "--seq-length", "100000", "--out", tmp_path / "r"],
              "--seq-length", "longer than")
    assert_bad_input(capsys, ["train", "--model", "char_gru", "--data", text_file, "--dropout", "1",
                       "--out", tmp_path / "r"], "--dropout")


def test_bad_sampling_input(capsys, lstm_run, tmp_path):
    assert_bad_input(capsys, ["sample", lstm_run, "--prime", "the Zé"], "outside", "'Z'", "'é'")
    assert_bad_input(capsys, ["sample", lstm_run, "--temperature", "0"], "--temperature")
    assert_bad_input(capsys, ["sample", lstm_run, "--temperature", "-1"], "--temperature")
    assert_bad_input(capsys, ["sample", lstm_run, "--length", "0"], "--length")
    assert_bad_input(capsys, ["sample", tmp_path], "not a model directory")
    digits = tmp_path / "digits"
    assert main(["train", "--hidden", "4", "--iterations", "1", "--out", str(digits),
                 "--json"]) == 0
    capsys.readouterr()
    assert_bad_input(capsys, ["sample", digits], "not a text model")


# -- checkpoints ------------------------------------------------------------------------------
def test_resume_after_a_checkpoint_gives_the_uninterrupted_parameters(capsys, text_file,
                                                                      tmp_path):
    from glassnet.project.run import run_training

    settings = {"model": "char_lstm", "data": str(text_file), "seq_length": 12, "units": 6,
                "batch_size": 16, "epochs": 4, "checkpoint_every": 1, "progress": False,
                "dropout": 0.2, "num_layers": 2}
    whole = run_training(settings, out=tmp_path / "whole")
    run_training({**settings, "epochs": 2}, out=tmp_path / "killed")  # "killed" after 2
    config = json.loads((tmp_path / "killed" / "run.json").read_text())["config"]
    config["epochs"] = 4
    (tmp_path / "killed" / "run.json").write_text(json.dumps({"config": config}))
    code, _, err = run(capsys, "train", "--resume", tmp_path / "killed")
    assert code == 0, err
    resumed = load_model(tmp_path / "killed")
    for name, value in whole.model.parameters.items():
        np.testing.assert_array_equal(value, resumed.parameters[name], err_msg=name)


# -- a real text ---------------------------------------------------------------------------
@pytest.mark.slow
def test_char_lstm_learns_dinosaur_names(tmp_path):
    from glassnet.project.run import run_training

    path = shared_data("dinos.txt")
    started = time.perf_counter()
    result = run_training({"model": "char_lstm", "data": str(path), "seq_length": 25,
                           "units": 64, "batch_size": 32, "epochs": 12, "progress": False},
                          out=tmp_path / "dinos")
    m = result.metrics
    assert m["dev_nats_per_char"] < 0.7 * math.log(m["vocab_size"]), m["dev_nats_per_char"]
    assert time.perf_counter() - started < 120


def test_info_of_a_recurrent_model_saved_from_python(capsys, tmp_path):
    from glassnet.layers import Dense
    from glassnet.layers.recurrent import GRU
    from glassnet.models.sequential import Sequential

    model = Sequential([GRU(5, return_sequences=False), Dense(3, "softmax")],
                       loss="categorical_crossentropy").build((4, 6), seed=0)
    save_model(model, tmp_path / "gru")
    code, out, err = run(capsys, "info", tmp_path / "gru")
    assert code == 0, err
    assert "GRU(5)" in out
