"""Error analysis: the errors of a real model, the tag sheet round trip, the ceilings."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy
import pytest
from click.testing import CliRunner
from PIL import Image

from glassnet.cli.strategy import errors as errors_command
from glassnet.core.errors import GlassnetError
from glassnet.project.error_analysis import (
    analyze,
    analyze_tagged,
    parse_tags,
    read_tag_sheet,
    summarize_tags,
    write_tag_sheet,
)
from glassnet.project.error_sheets import _mosaic, find_errors, write_contact_sheets
from glassnet.project.run import run_training


def _cat_file() -> Path | None:
    try:
        from glassnet.data import shared_data_path

        return shared_data_path("train_catvnoncat.h5")
    except ImportError:  # pragma: no cover
        return None


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    """A model trained on the cat images (or, without the shared data, synthetic images)."""
    root = tmp_path_factory.mktemp("ea")
    data = _cat_file()
    if data is None:
        rng = numpy.random.default_rng(0)

        def images(m):
            y = rng.integers(0, 2, m)
            x = rng.integers(0, 160, (m, 12, 12, 3))
            x[y == 1, 3:9, 3:9, 0] += 90  # a red square marks class 1 (mostly)
            return x.astype(numpy.uint8), y

        (tx, ty), (vx, vy) = images(150), images(60)
        data = root / "synthetic.npz"
        numpy.savez(data, train_x=tx, train_y=ty, test_x=vx, test_y=vy)
    out = root / "model"
    run_training({"preset": "course",  # full-batch GD: a model that still makes errors
                  "data": str(data), "hidden": [], "learning_rate": 0.005, "epochs": 100,
                  "seed": 1, "progress": False}, out=out)
    return out, str(data)


def test_find_errors_is_sorted_by_confidence_and_correct():
    from glassnet.models.builders import deep_network

    rng = numpy.random.default_rng(0)
    model = deep_network([3, 4], seed=0)  # softmax over 4 classes, untrained
    X = rng.standard_normal((3, 40)).astype(numpy.float32)
    A = numpy.asarray(model.predict_proba(X), dtype=numpy.float64)
    y = rng.integers(0, 4, 40)
    e = find_errors(model, X, y, classes=list("abcd"))
    pred = A.argmax(axis=0)
    assert set(e.indices.tolist()) == set(numpy.flatnonzero(pred != y).tolist())
    assert (numpy.diff(e.confidence) <= 0).all()
    numpy.testing.assert_allclose(e.confidence, A.max(axis=0)[e.indices])
    assert e.error_rate == pytest.approx((pred != y).mean())
    assert e.label(2) == "c"
    with pytest.raises(GlassnetError, match="class indices"):
        find_errors(model, X, y + 4)


def test_round_trip_on_a_real_set(image_run, tmp_path):
    model_dir, data = image_run
    out = tmp_path / "errors"
    result = analyze(model_dir, data=data, split="test", out=out,
                     tags="blurry,mislabeled,great_cat")
    e = result.errors
    assert 0 < e.n_errors < e.m
    # the CSV: a header and one row per error, tag columns empty
    with open(result.csv_path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["index", "true", "predicted", "confidence", "blurry", "mislabeled",
                       "great_cat", "comments"]
    assert len(rows) == 1 + e.n_errors
    assert [int(r[0]) for r in rows[1:]] == e.indices.tolist()
    assert all(r[4:] == ["", "", "", ""] for r in rows[1:])
    assert all(r[1] != r[2] for r in rows[1:])  # true != predicted on every row
    # the contact sheet is a real PNG
    assert len(result.sheets) == 1
    with Image.open(result.sheets[0]) as im:
        assert im.format == "PNG" and im.size[0] > 500
    meta = json.loads((out / "errors.json").read_text())
    assert meta["n_errors"] == e.n_errors and meta["m"] == e.m

    # a person fills in the sheet: 1 / x / yes / anything count, 0 / no / empty do not
    n = e.n_errors
    marks = {"blurry": ["x", "1", "yes", "0"], "mislabeled": ["", "", "no", "y"],
             "great_cat": ["", "1", "", ""]}
    for i, row in enumerate(rows[1:]):
        for col, tag in ((4, "blurry"), (5, "mislabeled"), (6, "great_cat")):
            row[col] = marks[tag][i % 4]
    rows[0].append("dog")  # a category added by hand while looking
    for row in rows[1:]:
        row.append("")
    rows[1][-1] = "x"
    filled = tmp_path / "filled.csv"
    with open(filled, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)

    summary = analyze_tagged(model_dir, filled, data=data, split="test")
    count = lambda values: sum(values[i % 4] not in ("", "0", "no") for i in range(n))  # noqa: E731
    assert summary.counts["blurry"] == count(marks["blurry"])
    assert summary.counts["mislabeled"] == count(marks["mislabeled"])
    assert summary.counts["great_cat"] == count(marks["great_cat"])
    assert summary.counts["dog"] == 1
    E = e.error_rate
    assert summary.error_rate == pytest.approx(E)
    share = summary.counts["blurry"] / n
    assert summary.share("blurry") == pytest.approx(share)
    assert summary.ceiling("blurry") == pytest.approx(E * (1 - share))
    text = str(summary)
    assert f"{E:.2%} -> {E * (1 - share):.2%}" in text
    assert "Most promising: 'blurry'" in text
    d = summary.to_dict()
    assert d["tags"]["blurry"]["ceiling"] == pytest.approx(E * (1 - share))
    assert list(d["tags"])[0] == "blurry"  # ranked by count


def test_errors_command(image_run, tmp_path):
    model_dir, data = image_run
    runner = CliRunner()
    out = tmp_path / "cli"
    res = runner.invoke(errors_command, [str(model_dir), "--data", data, "--out", str(out),
                                         "--tags", "blurry,mislabeled,great_cat"])
    assert res.exit_code == 0, res.output
    assert "misclassified" in res.output and "errors.csv" in res.output
    assert "--tagged" in res.output  # says what to run next
    sheet = out / "errors.csv"
    rows = list(csv.reader(sheet.open()))
    rows[1][4] = "x"
    with open(sheet, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    res = runner.invoke(errors_command, [str(model_dir), "--data", data, "--tagged", str(sheet)])
    assert res.exit_code == 0, res.output
    assert "blurry" in res.output and "ceiling" in res.output
    res = runner.invoke(errors_command, [str(model_dir), "--data", data, "--tagged",
                                         str(sheet), "--json"])
    assert json.loads(res.output)["tags"]["blurry"]["count"] == 1


def test_errors_on_a_file_that_holds_only_the_test_set(image_run, tmp_path):
    """``--data test_catvnoncat.h5`` (one set in the file) analyses that set, as evaluate does."""
    model_dir, data = image_run
    single = tmp_path / "only_test.npz"
    with numpy.load(data) if data.endswith(".npz") else _h5_test(data) as d:
        numpy.savez(single, x=d["test_x"], y=d["test_y"])
    res = CliRunner().invoke(errors_command, [str(model_dir), "--data", str(single),
                                              "--out", str(tmp_path / "e"), "--json"])
    assert res.exit_code == 0, res.output
    expected = 60 if data.endswith(".npz") else 50  # synthetic test set, or the cat test file
    assert json.loads(res.output)["m"] == expected


class _h5_test:
    """The cat test file's arrays under npz-like names (a context manager)."""

    def __init__(self, train_path: str) -> None:
        import h5py

        self.f = h5py.File(Path(train_path).with_name("test_catvnoncat.h5"), "r")

    def __enter__(self) -> dict:
        return {"test_x": self.f["test_set_x"][:], "test_y": self.f["test_set_y"][:]}

    def __exit__(self, *exc: object) -> None:
        self.f.close()


def test_sheet_from_another_model_is_refused(image_run, tmp_path):
    model_dir, data = image_run
    sheet = tmp_path / "other.csv"
    sheet.write_text("index,true,predicted,confidence,blurry\n100000,cat,non-cat,0.9,x\n")
    with pytest.raises(GlassnetError, match="not misclassified"):
        analyze_tagged(model_dir, sheet, data=data)


def test_tag_sheet_reading_errors(tmp_path):
    p = tmp_path / "s.csv"
    with pytest.raises(GlassnetError, match="no such"):
        read_tag_sheet(p)
    p.write_text("")
    with pytest.raises(GlassnetError, match="empty"):
        read_tag_sheet(p)
    p.write_text("true,predicted,blurry\n1,0,x\n")
    with pytest.raises(GlassnetError, match="'index'"):
        read_tag_sheet(p)
    p.write_text("index,true,predicted,confidence,comments\n3,1,0,0.9,\n")
    with pytest.raises(GlassnetError, match="no tag columns"):
        read_tag_sheet(p)
    p.write_text("index,blurry\nseven,x\n")
    with pytest.raises(GlassnetError, match="line 2"):
        read_tag_sheet(p)
    p.write_text("index,blurry\n3,x\n3,\n")
    with pytest.raises(GlassnetError, match="twice"):
        read_tag_sheet(p)
    # semicolon-separated (a spreadsheet in some locales) reads too
    p.write_text("index;blurry;dog\n3;x;\n5;;yes\n8;;\n")
    idx, tags = read_tag_sheet(p)
    assert idx.tolist() == [3, 5, 8]
    assert tags["blurry"].tolist() == [True, False, False]
    s = summarize_tags(p, 0.10)
    assert s.untagged == 1 and s.n_examined == 3
    assert s.ceiling("dog") == pytest.approx(0.10 * (1 - 1 / 3))
    with pytest.raises(GlassnetError):
        summarize_tags(p, 10)


def test_parse_tags():
    assert parse_tags(" blurry, great_cat ,") == ["blurry", "great_cat"]
    with pytest.raises(GlassnetError, match="fixed column"):
        parse_tags("index")
    with pytest.raises(GlassnetError, match="repeated"):
        parse_tags("a,a")


def test_non_image_data_gets_no_contact_sheet(tmp_path):
    from glassnet.data import moons

    X, Y = moons(m=200)
    data = tmp_path / "moons.csv"
    rows = numpy.column_stack([X.T, Y.T])
    data.write_text("x1,x2,label\n" + "\n".join(f"{a:.5f},{b:.5f},{int(c)}" for a, b, c in rows))
    out = tmp_path / "model"
    run_training({"preset": "course", "data": str(data), "hidden": [2], "epochs": 30,
                  "learning_rate": 0.1,
                  "progress": False}, out=out)
    # no --data: the run's own held-out test set is rebuilt from run.json
    result = analyze(out, split="test", out=tmp_path / "e")
    assert result.sheets == []
    assert result.errors.m == 40  # 20% of 200 held out
    if result.errors.n_errors:
        assert "not images" in str(result)
    with pytest.raises(GlassnetError, match="no dev set"):
        analyze(out, split="dev")
    with pytest.raises(GlassnetError, match="train_dev"):
        analyze(out, data=str(data), split="train_dev")


def test_mosaic_places_each_image_under_its_band():
    img = numpy.zeros((5, 4, 3, 3))
    for k in range(5):
        img[k] = k / 10
    sheet = _mosaic(img, columns=2, band=2, gap=1)
    assert sheet.shape == (3 * (2 + 4 + 1), 2 * (3 + 1), 3)
    cell = lambda r, c: sheet[r * 7 + 2:r * 7 + 6, c * 4:c * 4 + 3]  # noqa: E731
    for k in range(5):
        assert numpy.all(cell(*divmod(k, 2)) == k / 10)
    assert numpy.all(cell(2, 1) == 1.0)  # the empty slot is white


def test_write_functions_directly(tmp_path):
    from glassnet.project.error_sheets import Misclassified

    e = Misclassified(indices=numpy.array([4, 1]), true=numpy.array([1, 0]),
                      predicted=numpy.array([0, 1]), confidence=numpy.array([0.9, 0.6]), m=10,
                      classes=["non-cat", "cat"])
    write_tag_sheet(e, tmp_path / "t.csv", ["blurry"])
    assert (tmp_path / "t.csv").read_text().splitlines()[1] == "4,cat,non-cat,0.9000,,"
    x = numpy.random.default_rng(0).random((10, 8, 8, 1))
    paths = write_contact_sheets(x, e, tmp_path, per_page=1)
    assert [p.name for p in paths] == ["errors_sheet_1.png", "errors_sheet_2.png"]
    assert write_contact_sheets(numpy.zeros((10, 5)), e, tmp_path / "flat") == []
