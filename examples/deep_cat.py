"""Course 1, week 4: the L-layer network [LINEAR->RELU]x3 -> LINEAR->SIGMOID on cat vs non-cat.

The course's setting: 12288-20-7-5-1, ``np.random.seed(1)`` then, per layer, W[l] =
randn(n[l], n[l-1]) / sqrt(n[l-1]) and b[l] = 0 (glassnet: ``rng="course", seed=1,
init="xavier"``), learning rate 0.0075, 2500 iterations of batch gradient descent.
Published: cost 0.771749 at iteration 0 and 0.092878 at 2400, train 98.56%, test 80%.

    python examples/deep_cat.py [--out runs/examples/deep_cat]
"""

from __future__ import annotations

import _common as c
import numpy as np

import glassnet as gn
from glassnet.train.trainer import fit


def main() -> None:
    args = c.parse_args("deep_cat", __doc__.splitlines()[0])
    X, Y, X_test, Y_test = c.load_cat()
    model = gn.deep_network([X.shape[0], 20, 7, 5, 1], hidden_activation="relu", init="xavier",
                            seed=1, rng="course", dtype="float64")
    print(model.summary())
    with c.Timer() as t:
        hist = fit(model, X, Y, optimizer="gd", learning_rate=0.0075, epochs=2500,
                   record_every=100, progress=False)
    for it in (0, 1000, 2000, 2400):
        print(f"cost after iteration {it}: {hist.costs[it]:.6f}")
    train, test = c.accuracy(model, X, Y), c.accuracy(model, X_test, Y_test)
    print(c.row("L-layer 12288-20-7-5-1", train, test, "train 98.56%, test 80%"))
    print(f"trained in {t.seconds:.1f} s")
    wrong = np.flatnonzero(np.asarray(model.predict(X_test)).ravel() != Y_test.ravel())
    print(f"mislabeled test images: {len(wrong)} (indices {wrong.tolist()})")
    c.plot_costs({"lr 0.0075": hist.costs}, args.out / "learning_curve.png",
                 "L-layer network, cat vs non-cat", "iteration")
    c.write_results(args.out, {
        "train_accuracy": train, "test_accuracy": test, "n_parameters": model.n_parameters,
        "costs": {str(k): v for k, v in hist.costs.items()}, "seconds": t.seconds,
        "mislabeled_test_indices": wrong.tolist(),
    })


if __name__ == "__main__":
    main()
