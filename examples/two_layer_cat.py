"""Course 1, week 4: the two-layer network LINEAR->RELU->LINEAR->SIGMOID on cat vs non-cat.

The course's setting: 12288-7-1, ``np.random.seed(1)`` then W1 = randn(7, 12288) * 0.01,
b1 = 0, W2 = randn(1, 7) * 0.01, b2 = 0 (glassnet: ``rng="course", seed=1, init="random"``),
learning rate 0.0075, 2500 iterations of batch gradient descent.
Published: cost 0.693050 at iteration 0 and 0.048555 at 2400, train 100%, test 72%.

    python examples/two_layer_cat.py [--out runs/examples/two_layer_cat]
"""

from __future__ import annotations

import _common as c

import glassnet as gn
from glassnet.train.trainer import fit


def main() -> None:
    args = c.parse_args("two_layer_cat", __doc__.splitlines()[0])
    X, Y, X_test, Y_test = c.load_cat()
    model = gn.deep_network([X.shape[0], 7, 1], hidden_activation="relu", init="random",
                            init_scale=0.01, seed=1, rng="course", dtype="float64")
    print(model.summary())
    with c.Timer() as t:
        hist = fit(model, X, Y, optimizer="gd", learning_rate=0.0075, epochs=2500,
                   record_every=100, progress=False)
    for it in (0, 1000, 2000, 2400):
        print(f"cost after iteration {it}: {hist.costs[it]:.6f}")
    train, test = c.accuracy(model, X, Y), c.accuracy(model, X_test, Y_test)
    print(c.row("2-layer 12288-7-1", train, test, "train 100%, test 72%"))
    print(f"trained in {t.seconds:.1f} s")
    c.plot_costs({"lr 0.0075": hist.costs}, args.out / "learning_curve.png",
                 "2-layer network, cat vs non-cat", "iteration")
    c.write_results(args.out, {
        "train_accuracy": train, "test_accuracy": test, "n_parameters": model.n_parameters,
        "costs": {str(k): v for k, v in hist.costs.items()}, "seconds": t.seconds,
    })


if __name__ == "__main__":
    main()
