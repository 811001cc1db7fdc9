"""Course 2, week 3: batch normalization, trained and gradient-checked.

``deep_network(..., batchnorm=True)`` puts a batch norm on each hidden layer's Z (the Dense
before it has no b: beta takes its role), then the activation.  On the digits (80/20 split,
standardized), the network 64-64-64-64-10 (ReLU, He init), mini-batch gradient descent with
batches of 64 for 10 epochs is trained at several learning rates with and without batch
norm: at a large rate the plain network diverges, the normalized one trains.

Then the notes' gradient check, in float64, on the batch-norm network in training mode
(mini-batch statistics, the full backward pass through mu and sigma^2) and in test mode
(running averages).

    python examples/batchnorm.py [--out runs/examples/batchnorm]
"""

from __future__ import annotations

from typing import Any

import _common as c
import numpy as np

import glassnet as gn
from glassnet.core.errors import TrainingDiverged
from glassnet.gradcheck import gradient_check, numerical_gradients, relative_difference
from glassnet.train.trainer import fit

LEARNING_RATES = (0.05, 0.5, 2.0)


def gradient_check_training_mode(model: Any, X: Any, y: Any) -> tuple[float, str]:
    """The notes' relative difference over all of theta, with the forward pass in training
    mode (batch statistics), which :func:`glassnet.gradcheck.gradient_check` does not use.

    J(theta) = the model's cost on (X, Y); the analytic gradient comes from one
    ``train_step``.  Returns (difference, the parameter with the largest difference)."""
    Y = model.prepare_labels(y)
    model.train_step(X, Y)
    grads = model.grads
    params = model.parameters
    analytic = {k: np.asarray(grads["d" + k]).ravel().copy() for k in params}

    def cost() -> float:
        return float(model.compute_cost(model.forward(X, training=True), Y))

    numeric = numerical_gradients(cost, params)
    per = {k: relative_difference(analytic[k], numeric[k][1]) for k in params}
    total = relative_difference(np.concatenate([analytic[k] for k in params]),
                                np.concatenate([numeric[k][1] for k in params]))
    return total, max(per, key=per.get)


def main() -> None:
    args = c.parse_args("batchnorm", __doc__.splitlines()[0])
    X, y, X_test, y_test = c.digits_data()
    results: dict[str, Any] = {"training": {}}
    curves = {}
    for lr in LEARNING_RATES:
        for bn in (False, True):
            label = f"lr {lr}, {'batch norm' if bn else 'plain'}"
            model = gn.deep_network([X.shape[0], 64, 64, 64, 10], hidden_activation="relu",
                                    init="he", batchnorm=bn, seed=1, dtype="float64")
            try:
                with c.Timer() as t, np.errstate(over="ignore", invalid="ignore"):
                    hist = fit(model, X, y, optimizer="gd", learning_rate=lr, epochs=10,
                               batch_size=64, record_every=1, progress=False, seed=0)
            except TrainingDiverged as exc:
                print(f"{label:<24} diverged: {exc}")
                results["training"][label] = {"diverged": str(exc)}
                continue
            train_acc, test_acc = c.accuracy(model, X, y), c.accuracy(model, X_test, y_test)
            costs = [hist.costs[e] for e in sorted(hist.costs)]
            print(c.row(label, train_acc, test_acc)
                  + f"   cost per epoch {' '.join(f'{v:.3f}' for v in costs)}"
                  + f"   [{t.seconds:.1f} s]")
            results["training"][label] = {"train_accuracy": train_acc, "test_accuracy": test_acc,
                                          "costs": costs, "seconds": t.seconds}
            curves[label] = hist.costs
    c.plot_costs(curves, args.out / "learning_curves.png",
                 "digits, 64-64-64-64-10, mini-batch GD", "epoch")

    model = gn.deep_network([X.shape[0], 16, 16, 10], hidden_activation="relu", init="he",
                            batchnorm=True, seed=2, dtype="float64")
    fit(model, X, y, optimizer="gd", learning_rate=0.1, epochs=3, batch_size=64,
        progress=False)  # move gamma, beta and the running averages away from 1, 0
    Xs, ys = X[:, :64], y[:64]
    diff_train, worst = gradient_check_training_mode(model, Xs, ys)
    print(f"gradient check, batch norm, training mode: {diff_train:.3e} (worst {worst})")
    check = gradient_check(model, Xs, model.prepare_labels(ys))
    print(f"gradient check, batch norm, test mode:     {check.difference:.3e} "
          f"(worst {check.worst}) -> {check.verdict}")
    results["gradient_check"] = {"training_mode": diff_train, "training_mode_worst": worst,
                                 "test_mode": check.difference}
    c.write_results(args.out, results)


if __name__ == "__main__":
    main()
