"""Course 2, week 3: softmax regression (one softmax layer, C classes) on the digits and SIGNS.

The model is ``deep_network([n_x, C])``: Z = W X + b, y_hat = softmax(Z), the categorical
cross-entropy cost, and dZ = y_hat - y (one-hot labels built from the integer labels).

* scikit-learn's 8x8 digits (1797 images, 10 classes), an 80/20 seeded split, standardized
  with the training set's mean and standard deviation; batch gradient descent, learning
  rate 0.5, 300 iterations;
* SIGNS (1080 training, 120 test images of 64x64x3, 6 classes), flattened to 12288 values and
  scaled /255; Adam, learning rate 0.0005, mini-batches of 64, 300 epochs.  (The course
  trained a 3-layer 25-12-6 network on it with TensorFlow; there is no published figure for
  plain softmax regression.)

    python examples/softmax_regression.py [--out runs/examples/softmax_regression]
        [--signs-epochs 300]
"""

from __future__ import annotations

import _common as c
import numpy as np

import glassnet as gn
from glassnet.data import flatten_images, load_train_test
from glassnet.functions.metrics import confusion_matrix
from glassnet.train.trainer import fit


def signs_data():
    """SIGNS as (12288, m) columns scaled /255 in float64, labels 0..5."""
    train, test = load_train_test(c.require_shared("signs_64x64_cs230.npz"))
    assert test is not None
    X = flatten_images(train.x).astype(np.float64) / 255.0
    X_test = flatten_images(test.x).astype(np.float64) / 255.0
    return X, train.y, X_test, test.y


def main() -> None:
    def extra(p):
        p.add_argument("--signs-epochs", type=int, default=300)

    args = c.parse_args("softmax_regression", __doc__.splitlines()[0], extra)
    results = {}

    X, y, X_test, y_test = c.digits_data()
    model = gn.deep_network([X.shape[0], 10], init="zeros", dtype="float64")
    print(f"digits: X {X.shape}, softmax regression with {model.n_parameters} parameters "
          f"(output {model.output_activation}, loss {model.loss.name})")
    with c.Timer() as t:
        hist = fit(model, X, y, optimizer="gd", learning_rate=0.5, epochs=300, record_every=50,
                   progress=False)
    train_acc, test_acc = c.accuracy(model, X, y), c.accuracy(model, X_test, y_test)
    print(c.row("digits, softmax regression", train_acc, test_acc) + f"   [{t.seconds:.1f} s]")
    cm = confusion_matrix(y_test, np.asarray(model.predict(X_test)).ravel(), n_classes=10)
    print("test confusion matrix (rows: true digit, columns: predicted):")
    print(np.asarray(cm))
    results["digits"] = {"train_accuracy": train_acc, "test_accuracy": test_acc,
                         "costs": {str(k): v for k, v in hist.costs.items()},
                         "seconds": t.seconds}
    curves = {"digits (GD, lr 0.5)": hist.costs}

    X, y, X_test, y_test = signs_data()
    model = gn.deep_network([X.shape[0], 6], init="zeros", dtype="float64")
    print(f"SIGNS: X {X.shape}, softmax regression with {model.n_parameters:,} parameters")
    with c.Timer() as t:
        hist = fit(model, X, y, optimizer="adam", learning_rate=0.0005, batch_size=64,
                   epochs=args.signs_epochs, record_every=25, progress=False, seed=0)
    train_acc, test_acc = c.accuracy(model, X, y), c.accuracy(model, X_test, y_test)
    print(c.row("SIGNS, softmax regression", train_acc, test_acc) + f"   [{t.seconds:.1f} s]")
    results["signs"] = {"train_accuracy": train_acc, "test_accuracy": test_acc,
                        "costs": {str(k): v for k, v in hist.costs.items()},
                        "seconds": t.seconds, "epochs": args.signs_epochs}
    curves["SIGNS (Adam, lr 0.0005, batch 64)"] = hist.costs
    c.plot_costs(curves, args.out / "learning_curves.png", "softmax regression",
                 "iteration (digits) / epoch (SIGNS)")
    c.write_results(args.out, results)


if __name__ == "__main__":
    main()
