"""The run remembers its split and ``evaluate`` scores the held-out part (issue 15 item 9):
stratified, deterministic hold-outs; ``glassnet evaluate RUN --data TRAINING_FILE`` scores the
rows the run held out as its test set and says so; ``--split all`` scores every row;
``--split train`` the rest; any other file is scored whole, saying why."""

from __future__ import annotations

import json

import numpy as np
import pytest

from glassnet.cli.main import main
from glassnet.models.saving import load_model
from glassnet.project.config import RunConfig
from glassnet.project.splits import held_out, load_splits

# -- the hold-outs -----------------------------------------------------------------------------


def test_stratified_hold_out_keeps_each_class_share():
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    held, rest = held_out(len(y), 0.2, np.random.default_rng(3), y)
    assert len(held) == 20 and len(rest) == 80
    assert np.bincount(y[held]).tolist() == [12, 6, 2]
    assert sorted(np.r_[held, rest].tolist()) == list(range(100))
    again, _ = held_out(len(y), 0.2, np.random.default_rng(3), y)
    np.testing.assert_array_equal(held, again)  # deterministic given the seed


def test_largest_remainder_gives_the_exact_count():
    y = np.array([0] * 7 + [1] * 7 + [2] * 7)
    held, _ = held_out(len(y), 0.3, np.random.default_rng(0), y)
    counts = np.bincount(y[held], minlength=3)
    assert counts.sum() == round(0.3 * 21) and counts.max() - counts.min() <= 1


def test_without_strata_the_hold_out_is_the_permutation_head():
    held, rest = held_out(50, 0.2, np.random.default_rng(5))
    order = np.random.default_rng(5).permutation(50)
    np.testing.assert_array_equal(held, order[:10])
    np.testing.assert_array_equal(rest, order[10:])


def _classes_csv(path, m_per_class=(50, 50, 50), seed=0) -> None:
    rng = np.random.default_rng(seed)
    names = ["setosa", "versicolor", "virginica"]
    lines = ["a,b,c,d,species"]
    for c, m in enumerate(m_per_class):
        x = rng.normal(loc=2.0 * c, size=(m, 4))
        lines += [",".join(f"{v:.4f}" for v in row) + f",{names[c]}" for row in x]
    path.write_text("\n".join(lines) + "\n")


def test_load_splits_stratifies_test_and_dev_and_records_the_split(tmp_path):
    data = tmp_path / "uneven.csv"
    _classes_csv(data, (100, 40, 20))
    splits = load_splits(RunConfig(data=str(data), dev_fraction=0.25))
    assert np.bincount(splits.test[1]).tolist() == [20, 8, 4]
    assert np.bincount(splits.dev[1]).tolist() == [20, 8, 4]
    assert np.bincount(splits.train[1]).tolist() == [60, 24, 12]
    record = splits.record
    assert record["n_rows"] == 160 and record["n_test"] == 32 and record["stratified"]
    assert record["split_seed"] == 0 and not record["test_given"]
    assert any("stratified by class" in n for n in splits.notes)
    other = load_splits(RunConfig(data=str(data), split_seed=1))
    assert not np.array_equal(other.test[0], splits.test[0])


def test_regression_hold_outs_are_not_stratified(tmp_path):
    data = tmp_path / "values.csv"
    rng = np.random.default_rng(0)
    data.write_text("a,y\n" + "\n".join(f"{v:.4f},{v * 3 + 0.5:.4f}" for v in rng.normal(size=50)))
    splits = load_splits(RunConfig(data=str(data)))
    assert not splits.record["stratified"] and len(splits.test[0]) == 10


# -- evaluate ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("iris")
    data = d / "iris_like.csv"
    _classes_csv(data)
    out = d / "run"
    assert main(["train", "--data", str(data), "--out", str(out), "--epochs", "100",
                 "--hidden", "8", "-a", "0.05"]) == 0
    return data, out


def _evaluate(capsys, *args) -> tuple[int, str, str]:
    code = main(["evaluate", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_evaluate_on_the_training_file_scores_the_held_out_rows(iris_run, capsys):
    data, out = iris_run
    capsys.readouterr()
    code, text, err = _evaluate(capsys, out, "--data", data)
    assert code == 0, err
    assert text.splitlines()[0] == f"{data}: held-out test part: 30 of 150 rows"
    code, text, _ = _evaluate(capsys, out, "--data", data, "--json")
    got = json.loads(text)
    metrics = json.loads((out / "metrics.json").read_text())
    assert got["m"] == 30 and got["rows"] == "held-out test part: 30 of 150 rows"
    assert got["accuracy"] == metrics["test_accuracy"]
    assert got["confusion_matrix"] == metrics["test"]["confusion_matrix"]
    assert [sum(r) for r in got["confusion_matrix"]] == [10, 10, 10]  # stratified
    # the same through --split test
    code, text, _ = _evaluate(capsys, out, "--data", data, "--split", "test", "--json")
    assert json.loads(text)["confusion_matrix"] == got["confusion_matrix"]


def test_evaluate_split_all_and_train(iris_run, capsys):
    data, out = iris_run
    capsys.readouterr()
    code, text, _ = _evaluate(capsys, out, "--data", data, "--split", "all", "--json")
    assert code == 0 and json.loads(text)["m"] == 150
    assert json.loads(text)["rows"] == "all 150 rows"
    code, text, _ = _evaluate(capsys, out, "--data", data, "--split", "train", "--json")
    got = json.loads(text)
    metrics = json.loads((out / "metrics.json").read_text())
    assert got["m"] == 120 and got["rows"].startswith("rows outside the held-out test part")
    assert got["accuracy"] == metrics["train_accuracy"]


def test_evaluate_on_another_file_scores_it_whole_and_says_why(iris_run, capsys, tmp_path):
    data, out = iris_run
    other = tmp_path / "other.csv"
    _classes_csv(other, (10, 10, 10), seed=7)
    capsys.readouterr()
    code, text, _ = _evaluate(capsys, out, "--data", other)
    assert code == 0
    assert text.splitlines()[0] == f"{other}: all 30 rows (not the file the model was trained on)"
    code, _, err = _evaluate(capsys, out, "--data", other, "--split", "test")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "no test part to score" in lines[0] and "--split all" in lines[0]


def test_a_model_without_a_recorded_split_scores_every_row(iris_run, capsys, tmp_path):
    from glassnet.models.saving import save_model

    data, out = iris_run
    model = load_model(out)
    del model.metadata["split"]
    save_model(model, tmp_path / "old")
    capsys.readouterr()
    code, text, _ = _evaluate(capsys, tmp_path / "old", "--data", data)
    assert code == 0
    assert "all 150 rows (the model does not record its split)" in text


def test_a_run_with_its_own_test_file_scores_the_training_file_whole(tmp_path, capsys):
    train, test = tmp_path / "fit.csv", tmp_path / "holdout.csv"
    _classes_csv(train, (20, 20, 20), seed=1)
    _classes_csv(test, (5, 5, 5), seed=2)
    out = tmp_path / "run"
    assert main(["train", "--data", str(train), "--test-data", str(test), "--out", str(out),
                 "--epochs", "5", "--hidden", "4"]) == 0
    meta = load_model(out).metadata["split"]
    assert meta["test_given"] and meta["n_test"] == 15
    capsys.readouterr()
    code, text, _ = _evaluate(capsys, out, "--data", train)
    assert code == 0 and "all 60 rows (the run was tested on" in text
    code, text, _ = _evaluate(capsys, out, "--data", test)
    assert code == 0 and "all 15 rows" in text
    # a training file with a test file beside it (train_x.csv, test_x.csv): that test file
    (tmp_path / "train_x.csv").write_text(train.read_text())
    (tmp_path / "test_x.csv").write_text(test.read_text())
    code, text, _ = _evaluate(capsys, out, "--data", tmp_path / "train_x.csv")
    assert code == 0 and f"test part ({tmp_path / 'test_x.csv'}): 15 rows" in text


def test_a_changed_training_file_is_scored_whole(tmp_path, capsys):
    data, out = tmp_path / "fit.csv", tmp_path / "run"
    _classes_csv(data, (10, 10, 10), seed=3)
    assert main(["train", "--data", str(data), "--out", str(out), "--epochs", "2",
                 "--hidden", "4"]) == 0
    _classes_csv(data, (10, 10, 10), seed=4)  # other rows under the same name
    capsys.readouterr()
    code, text, _ = _evaluate(capsys, out, "--data", data)
    assert code == 0
    assert "all 30 rows (the file changed since the model was trained on it)" in text


def test_split_all_joins_a_files_train_and_test_parts(tmp_path, capsys):
    rng = np.random.default_rng(0)
    data = tmp_path / "parts.npz"
    np.savez(data, train_x=rng.normal(size=(40, 3)), train_y=np.arange(40) % 2,
             test_x=rng.normal(size=(12, 3)), test_y=np.arange(12) % 2)
    out = tmp_path / "run"
    assert main(["train", "--data", str(data), "--out", str(out), "--epochs", "2"]) == 0
    capsys.readouterr()
    code, text, _ = _evaluate(capsys, out, "--data", data, "--json")
    assert code == 0 and json.loads(text)["rows"] == "test part: 12 rows"
    code, text, _ = _evaluate(capsys, out, "--data", data, "--split", "all", "--json")
    assert code == 0 and json.loads(text)["m"] == 52
    code, text, _ = _evaluate(capsys, out, "--data", data, "--split", "train", "--json")
    assert code == 0 and json.loads(text)["rows"] == "train part: 40 rows"


def test_evaluate_reads_the_file_with_the_runs_label_and_feature_columns(tmp_path, capsys):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 3))
    y = np.where(x[:, 0] > 0, "yes", "no")
    data = tmp_path / "label_first.csv"
    data.write_text("answer,a,b,c,noise\n" + "".join(
        f"{yi},{a:.4f},{b:.4f},{c:.4f},{rng.normal():.4f}\n"
        for yi, (a, b, c) in zip(y, x, strict=True)))
    out = tmp_path / "run"
    assert main(["train", "--data", str(data), "--label", "answer", "--features", "a,b,c",
                 "--out", str(out), "--epochs", "5"]) == 0
    capsys.readouterr()
    code, text, err = _evaluate(capsys, out, "--data", data, "--json")
    assert code == 0, err
    got = json.loads(text)
    assert got["rows"] == "held-out test part: 24 of 120 rows"
    assert got["accuracy"] == json.loads((out / "metrics.json").read_text())["test_accuracy"]
