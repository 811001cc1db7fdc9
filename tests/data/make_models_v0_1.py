"""How tests/data/models_v0_1/ was made: model folders written by glassnet 0.1 (commit ac6dbf4).

Run once, against that release (``PYTHONPATH=<0.1 checkout>/src python make_models_v0_1.py``);
it uses 0.1's module paths, so it does not run against later code, and it is not collected by
pytest. Each folder holds the model and ``expected.npz``: inputs ``X`` and 0.1's
``predict_proba(X)`` and ``predict(X)``, which tests/test_compatibility.py holds later releases to.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.layers import (
    BatchNorm,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    InceptionModule,
    MaxPool2D,
    MobileNetV2Block,
    ResidualBlock,
)
from glassnet.models import Sequential
from glassnet.multitask import multitask_network

OUT = Path(__file__).resolve().parent / "models_v0_1"
rng = np.random.default_rng(0)


def expected(model, X, folder):
    np.savez(folder / "expected.npz", X=X, proba=model.predict_proba(X), predict=model.predict(X))


# 1. a deep dense network, trained a little, batch norm and dropout inside
X = rng.standard_normal((6, 40)).astype(np.float32)
Y = (X[0:1] + X[1:2] > 0).astype(np.float32)
deep = gn.deep_network([6, 8, 5, 1], batchnorm=True, keep_prob=0.8, seed=3)
gn.fit(deep, X, Y, optimizer="adam", learning_rate=0.01, epochs=30, batch_size=16)
gn.save_model(deep, OUT / "dense_binary")
expected(deep, X[:, :10], OUT / "dense_binary")

# 2. a small convolutional network with the blocks (residual, inception, MobileNet v2 with
#    relu6), pooling, a depthwise convolution and a softmax output
layers = [
    Conv2D(4, 3, padding="same", activation="relu"),
    ResidualBlock(4, batch_norm=True),
    InceptionModule(2, 2, 2, 1, 2, 2),
    MobileNetV2Block(6, 2, expansion=2, batch_norm=True),
    DepthwiseConv2D(3, padding="same"),
    MaxPool2D(2),
    GlobalAvgPool2D(),
    Dense(3, activation="softmax"),
]
conv = Sequential(layers, loss="categorical_crossentropy").build((8, 8, 3), seed=0)
Xi = rng.standard_normal((5, 8, 8, 3)).astype(np.float32)
Yi = np.eye(3, dtype=np.float32)[:, rng.integers(0, 3, 5)]
for _ in range(3):
    conv.train_step(Xi, Yi)  # batch-norm running averages away from their start
gn.save_model(conv, OUT / "conv_blocks")
expected(conv, Xi, OUT / "conv_blocks")

# 3. a multi-task network (masked BCE) and a flatten + dropout image model
mt = multitask_network(6, [7], 3, seed=1)
gn.save_model(mt, OUT / "multitask")
expected(mt, X[:, :10], OUT / "multitask")
img = Sequential([Flatten(), Dense(5, activation="tanh"), Dropout(0.9), BatchNorm(),
                  Dense(1, activation="sigmoid")], loss="binary_crossentropy").build((4, 4, 2), seed=2)
Xf = rng.standard_normal((6, 4, 4, 2)).astype(np.float32)
gn.save_model(img, OUT / "flatten_image")
expected(img, Xf, OUT / "flatten_image")

# 4. a run folder written by the command line, from a CSV with a header and class names
csv = OUT / "iris_like.csv"
rows = ["f1,f2,f3,label"] + [
    f"{a:.3f},{b:.3f},{c:.3f},{['setosa', 'versicolor', 'virginica'][k]}"
    for a, b, c, k in zip(*rng.standard_normal((3, 60)), rng.integers(0, 3, 60))
]
csv.write_text("\n".join(rows) + "\n")
subprocess.run([sys.executable, "-m", "glassnet.cli", "train", "--data", str(csv), "--hidden", "6",
                "--epochs", "5", "--seed", "0", "--out", str(OUT / "cli_run")], check=True)
