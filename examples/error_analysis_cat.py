"""Bias / variance diagnosis and error analysis on the cat vs non-cat images (Course 3).

1. Train the course's deep network (12288-20-7-5-1) on the cat training set,
   holding out a train-dev set (same distribution, not trained on).
2. Diagnose it against human-level error: avoidable bias, variance, data
   mismatch (the test images are the "dev/test distribution").
3. Write the misclassified test images: a contact sheet to look at and a CSV
   with a column per category (blurry, mislabeled, great_cat) to fill in.
4. Given the filled CSV (--tagged), count the categories and print the
   ceiling each puts on the error, as the notes do.

Run:   python examples/error_analysis_cat.py [--out runs/examples/error_analysis_cat]
Then:  fill in OUT/errors/errors.csv and run again with --tagged OUT/errors/errors.csv
       (or: glassnet errors OUT/model --tagged OUT/errors/errors.csv)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from glassnet.data import shared_data_path
from glassnet.project.error_analysis import analyze, analyze_tagged
from glassnet.project.run import run_training


def main() -> None:
    parser = argparse.ArgumentParser(description="Diagnosis and error analysis on cat images")
    parser.add_argument("--out", default="runs/examples/error_analysis_cat")
    parser.add_argument("--iterations", type=int, default=2500)
    parser.add_argument("--human-error", type=float, default=0.02,
                        help="human-level error, the Bayes-error proxy (a fraction)")
    parser.add_argument("--tagged", help="the filled-in errors.csv")
    args = parser.parse_args()

    data = shared_data_path("train_catvnoncat.h5")
    if data is None:
        raise SystemExit("train_catvnoncat.h5 not found: set GLASSNET_DATA to the data folder")
    out = Path(args.out)
    model_dir = out / "model"
    if args.tagged:
        print(analyze_tagged(model_dir, args.tagged, data=str(data), split="test"))
        return

    config = {
        "preset": "course",  # full-batch gradient descent, as the notebook
        "data": str(data), "hidden": [20, 7, 5], "init": "xavier", "learning_rate": 0.0075,
        "epochs": args.iterations, "rng": "course", "seed": 1, "train_dev_fraction": 0.1,
        "human_error": args.human_error, "progress": None,
    }
    result = run_training(config, out=model_dir)
    m = result.metrics
    for name in ("train", "train_dev", "test"):
        print(f"{name:>9} accuracy: {m[f'{name}_accuracy']:.2%}")
    print()
    print(m["diagnosis"]["text"])
    print()
    analysis = analyze(model_dir, data=str(data), split="test", out=out / "errors",
                       tags="blurry,mislabeled,great_cat")
    print(analysis)
    print(f"then: python examples/error_analysis_cat.py --out {out} "
          f"--tagged {analysis.csv_path}")


if __name__ == "__main__":
    main()
