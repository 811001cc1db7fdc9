"""``glassnet predict`` reads what ``train`` reads (issue 15 item 7): a CSV with a header (the
training file itself, its label column dropped, or the features alone), a folder of images,
single images, arrays; ``--out`` writes one row per input; bad input is one line naming the
file and what was expected against what was found."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from glassnet.cli.main import main
from glassnet.cli.predict import read_inputs
from glassnet.data.formats import load_csv
from glassnet.data.pipeline import InputPipeline
from glassnet.models.saving import load_model

SPECIES = ("setosa", "versicolor", "virginica")
HEADER = "sepal_length,sepal_width,petal_length,petal_width"


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_error_line(capsys, args, *words: str) -> str:
    code, out, err = run(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("glassnet: error: "), err
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("predict")
    rng = np.random.default_rng(0)
    c = np.arange(45) % 3
    x = rng.normal(c[:, None], 0.3, (45, 4)) + [5, 3, 1, 0.2]
    rows = [",".join([*(f"{v:.2f}" for v in xi), SPECIES[ci]])
            for xi, ci in zip(x, c, strict=True)]
    (d / "iris.csv").write_text(f"{HEADER},species\n" + "\n".join(rows) + "\n")
    (d / "features.csv").write_text(HEADER + "\n" + "\n".join(r.rsplit(",", 1)[0] for r in rows))
    (d / "no_header.csv").write_text("\n".join(r.rsplit(",", 1)[0] for r in rows[:5]) + "\n")
    (d / "label_first.csv").write_text(
        f"species,{HEADER}\n" + "\n".join(",".join([r.rsplit(",", 1)[1], r.rsplit(",", 1)[0]])
                                          for r in rows[:5]) + "\n")
    (d / "three_columns.csv").write_text("a,b,c\n1,2,3\n")
    y = x @ [1.0, -2.0, 0.5, 3.0]
    (d / "regression.csv").write_text(f"{HEADER},target\n" + "\n".join(
        ",".join(f"{v:.3f}" for v in (*xi, yi)) for xi, yi in zip(x, y, strict=True)) + "\n")
    for name, lo in (("dark", 0), ("bright", 160)):
        folder = d / "shapes" / name
        folder.mkdir(parents=True)
        for i in range(5):
            pixels = rng.integers(lo, lo + 90, (8, 8, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{i}.png")
    (d / "new" / "deeper").mkdir(parents=True)
    Image.fromarray(np.full((12, 12, 3), 230, np.uint8)).save(d / "new" / "a.png")
    Image.fromarray(np.full((8, 8, 3), 20, np.uint8)).save(d / "new" / "deeper" / "b.jpg")
    (d / "new" / "notes.txt").write_text("not an image: skipped in a folder")
    (d / "empty").mkdir()
    np.save(d / "wide.npy", np.zeros((2, 9)))
    return d


@pytest.fixture(scope="module")
def iris_run(files, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "iris"
    assert main(["train", "--data", str(files / "iris.csv"), "--epochs", "5", "--hidden", "8",
                 "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def image_run(files, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "shapes"
    assert main(["train", "--data", str(files / "shapes"), "--epochs", "5", "--hidden", "4",
                 "--out", str(out)]) == 0
    return out


def library_probabilities(run_dir: Path, x: np.ndarray) -> np.ndarray:
    model = load_model(run_dir)
    return np.asarray(model.predict_proba(InputPipeline.of(model).transform(x)))


def test_predict_reads_the_training_csv_with_its_header_and_label(capsys, files, iris_run):
    code, out, err = run(capsys, "predict", iris_run, files / "iris.csv", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 45 and rows[0]["input"] == f"{files / 'iris.csv'}[0]"
    A = library_probabilities(iris_run, load_csv(files / "iris.csv").x)
    for i, row in enumerate(rows):
        assert row["class"] == int(A[:, i].argmax())
        assert row["label"] == SPECIES[row["class"]]
        assert row["probability"] == pytest.approx(A[row["class"], i], rel=1e-6)


def test_a_features_only_csv_gives_the_same_predictions(capsys, files, iris_run):
    _, whole, _ = run(capsys, "predict", iris_run, files / "iris.csv", "--json")
    code, out, err = run(capsys, "predict", iris_run, files / "features.csv", "--json")
    assert code == 0, err
    strip = [{k: v for k, v in r.items() if k != "input"} for r in json.loads(out)]
    assert strip == [{k: v for k, v in r.items() if k != "input"} for r in json.loads(whole)]
    code, out, err = run(capsys, "predict", iris_run, files / "no_header.csv")
    assert code == 0, err
    assert len(out.strip().splitlines()) == 5 and "probability" in out


def test_out_writes_one_row_per_input(capsys, files, iris_run, tmp_path):
    target = tmp_path / "predictions.csv"
    code, out, err = run(capsys, "predict", iris_run, files / "iris.csv", "--out", target)
    assert code == 0, err
    assert out.strip() == f"45 predictions written to {target}"
    with target.open() as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["input", "label", "class", "probability"]
    assert len(table) == 46
    assert all(r[1] in SPECIES and r[1] == SPECIES[int(r[2])] and 0 < float(r[3]) <= 1
               for r in table[1:])
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]  # no temporary left


def test_the_runs_label_column_is_dropped_wherever_it_is(files, iris_run):
    pipe = InputPipeline.of(load_model(iris_run))
    x, names = read_inputs((str(files / "label_first.csv"),), pipe, label="species")
    np.testing.assert_array_equal(x, load_csv(files / "iris.csv").x[:5])
    assert names[0].endswith("label_first.csv[0]")
    x, _ = read_inputs((str(files / "iris.csv"),), pipe,
                       features=["petal_width", "sepal_length", "sepal_width", "petal_length"])
    np.testing.assert_array_equal(x, load_csv(files / "iris.csv").x[:, [3, 0, 1, 2]])


def test_a_folder_of_images_and_single_images(capsys, files, image_run, tmp_path):
    code, out, err = run(capsys, "predict", image_run, files / "new", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [Path(r["input"]).name for r in rows] == ["a.png", "b.jpg"]  # recursive, sorted
    assert all(r["label"] in ("bright", "dark") for r in rows)
    code, out, err = run(capsys, "predict", image_run, files / "new" / "a.png")
    assert code == 0 and out.startswith(f"{files / 'new' / 'a.png'}: "), err
    target = tmp_path / "shapes.csv"
    code, out, err = run(capsys, "predict", image_run, files / "shapes", "--out", target)
    assert code == 0, err
    table = list(csv.reader(target.open()))
    assert len(table) == 11 and table[1][0].endswith("0.png")  # one level of class folders


def test_regression_writes_the_value(capsys, files, tmp_path):
    run_dir = tmp_path / "reg"
    assert main(["train", "--data", str(files / "regression.csv"), "--task", "regression",
                 "--epochs", "5", "--hidden", "4", "--out", str(run_dir)]) == 0
    capsys.readouterr()
    target = tmp_path / "values.csv"
    code, _, err = run(capsys, "predict", run_dir, files / "regression.csv", "--out", target)
    assert code == 0, err
    table = list(csv.reader(target.open()))
    assert table[0] == ["input", "value"] and len(table) == 46
    A = library_probabilities(run_dir, load_csv(files / "regression.csv").x)
    assert float(table[1][1]) == pytest.approx(float(A[0, 0]), rel=1e-4, abs=1e-5)


def test_bad_inputs_are_one_line_naming_the_file(capsys, files, iris_run, image_run):
    line = assert_one_error_line(capsys, ["predict", iris_run, files / "three_columns.csv"],
                                 "three_columns.csv", "3 columns (a, b, c)", "4 feature columns")
    assert "label" in line
    assert_one_error_line(capsys, ["predict", iris_run, files / "new"], "new", "not images",
                          "(4,)")
    assert_one_error_line(capsys, ["predict", image_run, files / "empty"], "empty", "no images")
    assert_one_error_line(capsys, ["predict", iris_run, files / "wide.npy"], "wide.npy",
                          "(2, 9)", "(4,)")
    assert_one_error_line(capsys, ["predict", iris_run, files / "missing.csv"], "missing.csv",
                          "no such file")
    assert_one_error_line(capsys, ["predict", image_run, files / "iris.csv"], "iris.csv",
                          "5 columns", "192 feature columns")
    assert_one_error_line(capsys, ["predict", iris_run, files / "iris.csv", "--out",
                                   files / "nowhere" / "p.csv"], "nowhere", "no such folder")


def test_a_decompression_bomb_is_one_line(capsys, image_run, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    Image.new("RGB", (30, 30)).save(tmp_path / "bomb.png")  # 900 pixels: over twice the limit
    assert_one_error_line(capsys, ["predict", image_run, tmp_path / "bomb.png"],
                          "bomb.png", "decompression bomb")
