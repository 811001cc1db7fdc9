"""Transfer learning on real data (Course 3), with scikit-learn's 8x8 handwritten digits.

The notes: transfer from task A to task B makes sense when A has much more
data than B, both take the same input, and A's features help with B.  Two
experiments, each learning task B from only k labelled images per class:

1. A = recognise the 10 digits (on one half of the images);
   B = odd vs even (on the other half): A's features are just what B needs.
2. A = recognise the digits 0-4;  B = tell the digits 5-9 apart: A's
   features were never asked to separate 5-9, so they help much less.

Task B is learnt three ways on the same few images and scored on all the
held-out images of B, averaged over several draws of the small training set:

* from scratch: the same architecture, freshly initialized;
* transfer, frozen: A's hidden layers (W1, b1, W2, b2) kept and frozen, a new
  output layer W3, b3 trained (the notes: "retrain W[L], b[L]");
* transfer, fine-tuned: A's hidden layers as the starting point, all trained.

Run:  python examples/transfer_digits.py [--per-class 3 10 30] [--draws 5]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy

from glassnet.data import digits
from glassnet.models.builders import deep_network
from glassnet.models.sequential import Sequential
from glassnet.models.transfer import frozen_parameters, transfer
from glassnet.train.trainer import fit


def accuracy(model: Sequential, X: Any, y: Any) -> float:
    return float((numpy.asarray(model.predict(X)).reshape(-1) == y).mean())


def train_a(X: Any, y: Any, n_classes: int, name: str) -> Sequential:
    """Task A: a 64-64-32-C network trained with Adam on all of A's images."""
    started = time.perf_counter()
    model = deep_network([64, 64, 32, n_classes], seed=0)
    fit(model, X, y, optimizer="adam", learning_rate=0.005, epochs=40, batch_size=64,
        progress=False)
    print(f"\ntask {name} (m = {y.size}): train accuracy {accuracy(model, X, y):.2%} "
          f"({time.perf_counter() - started:.1f} s)")
    return model


def experiment(name: str, model_a: Sequential, Xb: Any, yb: Any, n_classes: int,
               args: argparse.Namespace, rng: numpy.random.Generator) -> None:
    """Learn task B from k examples per class: from scratch, frozen transfer, fine-tuning."""
    n_out = 1 if n_classes == 2 else n_classes
    task = "binary" if n_classes == 2 else "multiclass"
    dims = [64, 64, 32, n_out]
    opts: dict[str, Any] = dict(optimizer="adam", learning_rate=0.003, epochs=args.epochs,
                                progress=False)
    print(f"task {name}: k training images per class, tested on the other {yb.size} - "
          f"{n_classes}k; mean (std) test accuracy over {args.draws} draws")
    print(f"{'k':>4}  {'from scratch':>15}  {'transfer, frozen':>17}  "
          f"{'transfer, fine-tuned':>21}")
    for k in args.per_class:
        scores: dict[str, list[float]] = {"scratch": [], "frozen": [], "fine": []}
        for draw in range(args.draws):
            train_idx = numpy.concatenate([
                rng.choice(numpy.flatnonzero(yb == c), size=k, replace=False)
                for c in range(n_classes)
            ])
            test_mask = numpy.ones(yb.size, dtype=bool)
            test_mask[train_idx] = False
            Xs, ys = Xb[:, train_idx], yb[train_idx]
            Xt, yt = Xb[:, test_mask], yb[test_mask]

            scratch = deep_network(dims, task=task, seed=100 + draw)
            fit(scratch, Xs, ys, **opts)
            scores["scratch"].append(accuracy(scratch, Xt, yt))

            frozen = transfer(model_a, new_output=n_out, task=task, seed=100 + draw)
            before = {n: frozen.parameters[n].copy() for n in frozen_parameters(frozen)}
            fit(frozen, Xs, ys, **opts)
            assert all(numpy.array_equal(frozen.parameters[n], v) for n, v in before.items())
            scores["frozen"].append(accuracy(frozen, Xt, yt))

            fine = transfer(model_a, n_freeze=0, new_output=n_out, task=task, seed=100 + draw)
            fit(fine, Xs, ys, **opts)
            scores["fine"].append(accuracy(fine, Xt, yt))
        cells = [f"{numpy.mean(v):.2%} ({numpy.std(v):.1%})" for v in scores.values()]
        print(f"{k:>4}  {cells[0]:>15}  {cells[1]:>17}  {cells[2]:>21}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Transfer learning on the digits")
    parser.add_argument("--per-class", type=int, nargs="+", default=[3, 10, 30],
                        help="labelled examples per class of task B")
    parser.add_argument("--draws", type=int, default=5, help="draws of the small training set")
    parser.add_argument("--epochs", type=int, default=300, help="epochs on task B")
    args = parser.parse_args()

    ds = digits()
    X = (ds.x.reshape(len(ds.x), -1) / 16.0).T.astype(numpy.float32)  # (64, 1797)
    y = ds.y
    rng = numpy.random.default_rng(0)
    half = rng.permutation(y.size) < y.size // 2  # A's images; B gets the others

    # experiment 1: A = the 10 digits on half the images; B = parity on the other half
    model_a = train_a(X[:, half], y[half], 10, "A = digits 0-9 (half of the images)")
    experiment("B = odd vs even (the other half)", model_a, X[:, ~half],
               (y[~half] % 2).astype(numpy.int64), 2, args, rng)

    # experiment 2: A = digits 0-4; B = digits 5-9
    a = y < 5
    model_a = train_a(X[:, a], y[a], 5, "A = digits 0-4")
    experiment("B = digits 5-9", model_a, X[:, ~a], y[~a] - 5, 5, args, rng)
    print("\nthe frozen layers (W1, b1, W2, b2) were bit-identical after every run")


if __name__ == "__main__":
    main()
