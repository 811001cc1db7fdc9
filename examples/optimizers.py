"""Course 2, week 2: mini-batch gradient descent, Momentum and Adam, with and without
learning-rate decay, on the moons data.

The course's setting: ``make_moons`` 300 points, noise 0.2 (``np.random.seed(3)``), the
network 2-5-2-1 with ReLU, ReLU, sigmoid, He initialization after ``np.random.seed(3)``
(glassnet ``init="he", rng="course", seed=3``), mini-batches of 64, 5000 epochs, Momentum
beta 0.9, Adam beta1 0.9, beta2 0.999, epsilon 1e-8.  Published training accuracies:

* learning rate 0.0007, no decay: gradient descent 71.7%, Momentum 71.7%, Adam 94.3%;
* decay alpha0 / (1 + floor(epoch / 1000)) (decay_rate 1, time_interval 1000), with the
  notebook's learning rates 0.1 for gradient descent and Momentum and 0.01 for Adam:
  gradient descent 94.3%, Momentum 95.3%, Adam 94%.  (With 0.0007 and decay, gradient
  descent only slows down further: this script shows it.)

Each configuration runs twice:

* ``glassnet``: ``fit`` as is, mini-batches reshuffled every epoch by glassnet's seeded
  generator, decay applied from the epoch number e as alpha0 / (1 + floor(e / 1000));
* ``course``: the same ``Trainer`` with the notebook's mini-batch order
  (``np.random.seed(10 + epoch + 1); np.random.permutation(m)``) and its decay timing
  (the notebook updates the rate after epoch i with i, so epoch e trains with
  floor((e - 1) / 1000)).  This reproduces the published figures exactly.

    python examples/optimizers.py [--out runs/examples/optimizers] [--only glassnet|course]
"""

from __future__ import annotations

from typing import Any

import _common as c
import matplotlib.pyplot as plt
import numpy as np

import glassnet as gn
from glassnet.data import moons
from glassnet.optim.schedules import InverseTimeDecay
from glassnet.train.trainer import Trainer

# (label, optimizer, learning rate, decay?, published training accuracy %)
RUNS = [
    ("gd", "gd", 0.0007, False, 71.7),
    ("momentum", "momentum", 0.0007, False, 71.7),
    ("adam", "adam", 0.0007, False, 94.3),
    ("gd + decay", "gd", 0.1, True, 94.3),
    ("momentum + decay", "momentum", 0.1, True, 95.3),
    ("adam + decay", "adam", 0.01, True, 94.0),
    ("gd + decay, small rate", "gd", 0.0007, True, None),
]


class CourseDecay(InverseTimeDecay):
    """The notebook's timing of alpha0 / (1 + decay_rate floor(i / interval)): it sets the rate
    after epoch i, so epoch e (0-based) trains with i = e - 1 (epoch 0 with alpha0)."""

    def steps(self, epoch: int) -> int:
        return max(int(epoch) - 1, 0) // self.time_interval


class CourseShuffleTrainer(Trainer):
    """A Trainer whose mini-batch order is the notebook's: at epoch e it calls
    ``np.random.seed(10 + e + 1); np.random.permutation(m)`` (``random_mini_batches``).

    It replaces ``Trainer._seed_epoch``, which returns the generator whose
    ``permutation(m)`` orders the epoch's examples; a private hook of glassnet's loop."""

    def _seed_epoch(self, epoch: int) -> Any:
        super()._seed_epoch(epoch)  # keeps the per-layer streams as in a plain Trainer
        return np.random.RandomState(10 + epoch + 1)


def train(X, Y, optimizer: str, lr: float, decay: bool, shuffle: str, epochs: int = 5000):
    model = gn.deep_network([X.shape[0], 5, 2, 1], hidden_activation="relu", init="he",
                            seed=3, rng="course", dtype="float64")
    if shuffle == "course":
        schedule = CourseDecay(decay_rate=1.0, time_interval=1000) if decay else None
        trainer: Trainer = CourseShuffleTrainer(
            model, optimizer=optimizer, learning_rate=lr, epochs=epochs, batch_size=64,
            schedule=schedule, record_every=1000, progress=False)
    else:
        schedule = {"name": "inverse_time", "decay_rate": 1, "time_interval": 1000}
        trainer = Trainer(model, optimizer=optimizer, learning_rate=lr, epochs=epochs,
                          batch_size=64, schedule=schedule if decay else None,
                          record_every=1000, progress=False, seed=0)
    hist = trainer.fit(X, Y)
    return model, hist


def main() -> None:
    def extra(p):
        p.add_argument("--only", choices=("glassnet", "course"), default=None,
                       help="run one of the two mini-batch orders only")

    args = c.parse_args("optimizers", __doc__.splitlines()[0], extra)
    X, Y = moons()
    shuffles = [args.only] if args.only else ["glassnet", "course"]
    results: dict[str, Any] = {}
    for shuffle in shuffles:
        print(f"=== mini-batch order: {shuffle}")
        fig, axes = plt.subplots(2, 4, figsize=(18, 8))
        curves = {}
        for ax, (label, opt, lr, decay, published) in zip(axes.ravel(), RUNS, strict=False):
            with c.Timer() as t:
                model, hist = train(X, Y, opt, lr, decay, shuffle)
            acc = c.accuracy(model, X, Y)
            pub = f"{published}%" if published is not None else ""
            print(c.row(f"{label} (lr {lr})", acc, published=pub)
                  + f"   cost {hist.costs[0]:.6f} -> {hist.costs[4000]:.6f} at epoch 4000"
                  + f"   [{t.seconds:.1f} s]")
            results[f"{shuffle}: {label}"] = {
                "optimizer": opt, "learning_rate": lr, "decay": decay,
                "train_accuracy": acc, "published": published,
                "costs": {str(k): v for k, v in hist.costs.items()}, "seconds": t.seconds,
            }
            curves[label] = hist.costs
            c.decision_boundary(ax, model, X, Y, f"{label}: {acc:.2f}%")
        axes.ravel()[-1].axis("off")
        fig.tight_layout()
        fig.savefig(args.out / f"boundaries_{shuffle}.png", dpi=80)
        plt.close(fig)
        c.plot_costs(curves, args.out / f"learning_curves_{shuffle}.png",
                     f"moons, mini-batch 64 ({shuffle} order)", "epoch")
    c.write_results(args.out, results)


if __name__ == "__main__":
    main()
