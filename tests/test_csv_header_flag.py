"""--header / --no-header say what a CSV's first row is when detection cannot tell (a header
of numbers), and are refused for files that are not CSV."""

from __future__ import annotations

import json

import numpy as np

from glassnet.cli.main import main


def _numbered_csv(path, m=100):
    rng = np.random.default_rng(0)
    x = rng.random((m, 3))
    rows = ["1,2,3,4"] + [f"{a:.3f},{b:.3f},{c:.3f},{int(a + b > 1)}" for a, b, c in x]
    path.write_text("\n".join(rows) + "\n")


def test_header_flag_takes_a_first_row_of_numbers_as_names(tmp_path, capsys):
    data = tmp_path / "nums.csv"
    _numbered_csv(data)
    assert main(["train", "--data", str(data), "--epochs", "2", "--out", str(tmp_path / "a")]) == 0
    detected = capsys.readouterr().out
    assert "3 classes" in detected  # the row 1,2,3,4 read as data: a class "4" of one row
    assert main(["train", "--data", str(data), "--header", "--epochs", "2",
                 "--out", str(tmp_path / "b")]) == 0
    assert "column '4' (4 of 4), 2 classes" in capsys.readouterr().out
    assert main(["evaluate", str(tmp_path / "b"), "--data", str(data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == "held-out test part: 20 of 100 rows"


def test_no_header_and_a_file_that_is_not_csv(tmp_path, capsys):
    data = tmp_path / "named.csv"
    data.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 2)), y=np.arange(4) % 2)
    assert main(["train", "--data", str(tmp_path / "d.npz"), "--no-header"]) == 2
    assert "--header applies to CSV files only" in capsys.readouterr().err
    assert main(["train", "--data", str(data), "--no-header", "--out", str(tmp_path / "c")]) == 2
    assert "non-numeric value 'a' at row 1" in capsys.readouterr().err  # the names read as data
