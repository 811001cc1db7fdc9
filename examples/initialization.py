"""Course 2, week 1: the initialization comparison on the circles data.

The course's setting: ``make_circles`` 300 training and 100 test points (noise 0.05,
``np.random.seed(1)`` and ``np.random.seed(2)``), the network 2-10-5-1 with
ReLU, ReLU, sigmoid, batch gradient descent with learning rate 0.01 for 15,000 iterations.
Initializations (``np.random.seed(3)`` before the random and He draws, glassnet
``rng="course", seed=3``):

* zeros: every weight 0.  Published: train 50%, test 50% (every unit stays identical);
* random x10: W = randn * 10.  Published: train 83%, test 86% (cost inf at iteration 0);
* He: W = randn * sqrt(2 / n[l-1]).  Published: train 99.3%, test 96%.

The course's cost is ``nansum`` of the logistic loss without clipping, so a saturated
sigmoid gives ``inf``; glassnet clips A into [1e-12, 1 - 1e-12] before the logarithm
(finite costs), which caps each example's loss at 27.6.  The gradients (dZ = A - Y) are
untouched, so the trajectory and the accuracies are the course's; the costs printed
here are recomputed with the course's formula alongside glassnet's.

    python examples/initialization.py [--out runs/examples/initialization]
"""

from __future__ import annotations

import _common as c
import matplotlib.pyplot as plt
import numpy as np

import glassnet as gn
from glassnet.data import circles
from glassnet.train.callbacks import Callback
from glassnet.train.trainer import fit

INITS = {
    # name: (glassnet init, init_scale, published train/test)
    "zeros": ("zeros", 0.01, "train 50%, test 50%"),
    "random x10": ("random", 10.0, "train 83%, test 86%"),
    "he": ("he", 0.01, "train 99.3%, test 96%"),
}


def course_cost(A: np.ndarray, Y: np.ndarray) -> float:
    """The notebook's compute_loss: 1/m nansum(-Y log A - (1 - Y) log(1 - A)), no clipping."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logprobs = -np.log(A) * Y - np.log(1 - A) * (1 - Y)
    return float(np.nansum(logprobs) / Y.shape[1])


class CourseCost(Callback):
    """Record the course's (unclipped) cost every ``every`` iterations, as the notebook prints
    it: the cost of iteration i is computed before that iteration's update."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, every: int = 1000) -> None:
        self.X, self.Y, self.every = X, Y, every
        self.costs: dict[int, float] = {}

    def on_train_begin(self, trainer) -> None:
        self.costs[0] = course_cost(np.asarray(trainer.model.predict_proba(self.X)), self.Y)

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        if (epoch + 1) % self.every == 0 and epoch + 1 < trainer.epochs:
            A = np.asarray(trainer.model.predict_proba(self.X))
            self.costs[epoch + 1] = course_cost(A, self.Y)


def train(init: str, scale: float, X, Y, iterations: int = 15_000):
    model = gn.deep_network([X.shape[0], 10, 5, 1], hidden_activation="relu", init=init,
                            init_scale=scale, seed=3, rng="course", dtype="float64")
    cb = CourseCost(X, Y)
    hist = fit(model, X, Y, optimizer="gd", learning_rate=0.01, epochs=iterations,
               record_every=1000, progress=False, callbacks=[cb])
    return model, hist, cb.costs


def main() -> None:
    args = c.parse_args("initialization", __doc__.splitlines()[0])
    X, Y, X_test, Y_test = circles()
    results = {}
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    curves = {}
    for ax, (label, (init, scale, published)) in zip(axes, INITS.items(), strict=True):
        with c.Timer() as t:
            model, hist, ccosts = train(init, scale, X, Y)
        train_acc, test_acc = c.accuracy(model, X, Y), c.accuracy(model, X_test, Y_test)
        print(f"--- {label} ({t.seconds:.1f} s)")
        for it in (0, 1000, 14000):
            print(f"cost after iteration {it}: glassnet {hist.costs[it]:.6f}   "
                  f"course formula {ccosts[it]:.6f}")
        print(c.row(label, train_acc, test_acc, published))
        W1 = np.asarray(model.parameters["W1"])
        identical = bool(np.all(W1 == W1[:1]))
        print(f"all rows of W1 identical: {identical}")
        results[label] = {
            "train_accuracy": train_acc, "test_accuracy": test_acc,
            "costs": {str(k): v for k, v in hist.costs.items()},
            "course_costs": {str(k): v for k, v in ccosts.items()},
            "W1_rows_identical": identical, "seconds": t.seconds,
        }
        curves[label] = hist.costs
        title = f"{label}: train {train_acc:.1f}%, test {test_acc:.1f}%"
        c.decision_boundary(ax, model, X, Y, title)
        c.save_boundary(model, X, Y, args.out / f"boundary_{init}.png", title)
    fig.tight_layout()
    fig.savefig(args.out / "boundaries.png", dpi=80)
    plt.close(fig)
    c.plot_costs(curves, args.out / "learning_curves.png", "initialization, circles", "iteration")
    c.write_results(args.out, results)


if __name__ == "__main__":
    main()
