"""Course 1, week 2: logistic regression (a one-neuron network) on cat vs non-cat.

The course's setting: pixels / 255, w and b initialized to zeros, batch gradient
descent with learning rate 0.005 for 2000 iterations, the cost printed every 100.
Published: cost 0.693 -> 0.141 (0.140872 at iteration 1900), train 99.04%, test 70%.

    python examples/logistic_cat.py [--out runs/examples/logistic_cat]
"""

from __future__ import annotations

import _common as c

import glassnet as gn
from glassnet.train.trainer import fit


def main() -> None:
    args = c.parse_args("logistic_cat", __doc__.splitlines()[0])
    X, Y, X_test, Y_test = c.load_cat()
    model = gn.logistic_regression(X.shape[0], dtype="float64")  # zero init: nothing random
    print(f"logistic regression on {X.shape[1]} images of {X.shape[0]} values: "
          f"{model.n_parameters:,} parameters")
    with c.Timer() as t:
        hist = fit(model, X, Y, optimizer="gd", learning_rate=0.005, epochs=2000,
                   record_every=100, progress=False)
    for it in (0, 1000, 1900):
        print(f"cost after iteration {it}: {hist.costs[it]:.6f}")
    train, test = c.accuracy(model, X, Y), c.accuracy(model, X_test, Y_test)
    print(c.row("logistic regression", train, test, "train 99.04%, test 70%"))
    print(f"trained in {t.seconds:.1f} s")
    c.plot_costs({"lr 0.005": hist.costs}, args.out / "learning_curve.png",
                 "logistic regression, cat vs non-cat", "iteration")
    c.write_results(args.out, {
        "train_accuracy": train, "test_accuracy": test, "n_parameters": model.n_parameters,
        "costs": {str(k): v for k, v in hist.costs.items()}, "seconds": t.seconds,
    })


if __name__ == "__main__":
    main()
