"""Course 2, week 1: L2 regularization and dropout on the "goalkeeper" data (data.mat).

The course's setting: 211 training and 200 test points, the network 2-20-3-1 with
ReLU, ReLU, sigmoid, ``np.random.seed(3)`` then W[l] = randn(n[l], n[l-1]) / sqrt(n[l-1])
(glassnet ``init="xavier", rng="course", seed=3``), batch gradient descent with learning
rate 0.3 for 30,000 iterations.  Published (train / test):

* no regularization: 94.8% / 91.5%;
* L2, lambda = 0.7: 93.8% / 93%;
* inverted dropout, keep_prob 0.86 on both hidden layers: 92.9% / 95%.

About the dropout figure: the notebook's ``forward_propagation_with_dropout`` starts with
``np.random.seed(1)``, so it draws the SAME masks D1 = rand(20, 211) < 0.86 and
D2 = rand(3, 211) < 0.86 at every iteration.  Fixing those masks with
``Dropout.set_mask`` reproduces 92.9% / 95% exactly; fresh masks every iteration (what
dropout is meant to do, and what glassnet does by default) give a different figure,
printed too.

Also runs the notes' gradient check with L2 on and dropout off.

    python examples/regularization.py [--out runs/examples/regularization]
"""

from __future__ import annotations

import _common as c
import matplotlib.pyplot as plt
import numpy as np

import glassnet as gn
from glassnet.data import regularization_data
from glassnet.gradcheck import gradient_check
from glassnet.layers.dropout import Dropout
from glassnet.train.trainer import fit

KEEP_PROB = 0.86


def build(**kwargs):
    return gn.deep_network([2, 20, 3, 1], hidden_activation="relu", init="xavier", seed=3,
                           rng="course", dtype="float64", **kwargs)


def course_masks(model, m: int, seed: int = 1) -> None:
    """Fix each dropout layer's mask to the course's draws: seed 1, D1 then D2, rand < keep."""
    rs = np.random.RandomState(seed)
    for layer in model.layers:
        if isinstance(layer, Dropout):
            n = layer.input_shape[0]
            layer.set_mask(rs.rand(n, m) < layer.keep_prob)


def main() -> None:
    args = c.parse_args("regularization", __doc__.splitlines()[0])
    X, Y, X_test, Y_test = regularization_data()
    runs = {
        "none": ({}, "94.8% / 91.5%"),
        "L2 lambda 0.7": ({"regularization": {"l2": 0.7}}, "93.8% / 93%"),
        "dropout 0.86 (course masks)": ({"keep_prob": [KEEP_PROB, KEEP_PROB]}, "92.9% / 95%"),
        "dropout 0.86 (fresh masks)": ({"keep_prob": [KEEP_PROB, KEEP_PROB]}, ""),
    }
    results = {}
    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 4.5))
    for ax, (label, (kwargs, published)) in zip(axes, runs.items(), strict=True):
        model = build(**kwargs)
        if "course masks" in label:
            course_masks(model, X.shape[1])
        with c.Timer() as t:
            hist = fit(model, X, Y, optimizer="gd", learning_rate=0.3, epochs=30_000,
                       record_every=10_000, progress=False)
        train_acc, test_acc = c.accuracy(model, X, Y), c.accuracy(model, X_test, Y_test)
        print(f"--- {label} ({t.seconds:.1f} s)")
        for it in sorted(hist.costs):
            print(f"cost after iteration {it}: {hist.costs[it]:.6f}")
        print(c.row(label, train_acc, test_acc, published))
        results[label] = {"train_accuracy": train_acc, "test_accuracy": test_acc,
                          "costs": {str(k): v for k, v in hist.costs.items()},
                          "seconds": t.seconds}
        title = f"{label}: {train_acc:.1f}% / {test_acc:.1f}%"
        c.decision_boundary(ax, model, X, Y, title)
        slug = label.split(" (")[0].replace(" ", "_").replace(".", "")
        if "fresh" in label:
            slug += "_fresh"
        c.save_boundary(model, X, Y, args.out / f"boundary_{slug}.png", title)
    fig.tight_layout()
    fig.savefig(args.out / "boundaries.png", dpi=80)
    plt.close(fig)

    # the notes: gradient checking with L2 on and dropout off
    model = build(regularization={"l2": 0.7}).astype("float64")
    check = gradient_check(model, X, Y)
    print(f"gradient check, L2 lambda 0.7, no dropout: difference {check.difference:.3e} "
          f"(worst {check.worst}) -> {check.verdict}")
    results["gradient_check_l2"] = {"difference": check.difference, "worst": check.worst}
    c.write_results(args.out, results)


if __name__ == "__main__":
    main()
