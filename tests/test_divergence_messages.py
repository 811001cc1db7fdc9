"""Say what happened (issue 16 item 8): a diverged run names the epoch/iteration and the
layer whose output or gradient first became NaN/inf and suggests a lower learning rate;
finite data beyond float32 is reported as an overflow with its largest value, not as
"contains NaN or inf"."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli.main import main
from glassnet.core.errors import GlassnetError, TrainingDiverged
from glassnet.train.trainer import fit

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflows themselves


def _classes(m=200, seed=0):
    rng = np.random.default_rng(seed)
    return np.abs(rng.normal(size=(2, m))).astype(np.float32), rng.integers(0, 3, m)


def test_the_first_layer_whose_output_overflows_is_named_with_where_and_what_to_do():
    X, y = _classes()
    model = gn.deep_network([2, 4, 3], seed=0)
    model.parameters["W1"][...] = 1e30
    with pytest.raises(TrainingDiverged) as err:
        fit(model, X * 1e19, y, learning_rate=0.1, epochs=3, progress=False)
    msg = str(err.value)
    assert msg.startswith("training diverged at iteration 1/3: the output of layer 1 "
                          "(Dense(4, relu)) is the first that is not finite")
    assert "lower the learning rate (now 0.1, try 0.01)" in msg
    assert "check the labels" not in msg


def test_mini_batch_runs_name_the_epoch_and_the_iteration():
    X, y = _classes()
    model = gn.deep_network([2, 4, 3], seed=0)
    model.parameters["W1"][...] = 1e18
    model.parameters["W2"][...] = 1e-37  # finite first step; its update overflows layer 2
    with pytest.raises(TrainingDiverged, match=r"at epoch 1/3, iteration 2 of 4: the output "
                                               r"of layer 2 \(Dense\(3, softmax\)\)"):
        fit(model, X * 1e19, y, learning_rate=0.1, epochs=3, batch_size=64, progress=False)


def test_a_gradient_that_overflows_with_a_finite_cost_is_named():
    rng = np.random.default_rng(0)
    X = np.abs(rng.normal(size=(2, 50))).astype(np.float32)
    y = rng.normal(size=50).astype(np.float32)
    model = gn.deep_network([2, 4, 1], seed=0, task="regression")
    model.parameters["W1"][...] = 1e21  # hidden units ~1e21, outputs ~1e17: cost finite
    model.parameters["W2"][...] = 1e-4
    with pytest.raises(TrainingDiverged) as err:
        fit(model, X, y, learning_rate=0.1, epochs=3, progress=False)
    msg = str(err.value)
    assert msg.startswith("training diverged at iteration 1/3: the cost is finite but the "
                          "gradient dW2 of layer 2 (Dense(1, linear)) is not")
    assert "lower the learning rate" in msg and "scale the targets" in msg


def test_finite_outputs_whose_loss_overflows_say_so():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 240)).astype(np.float32) * 1e6
    y = rng.normal(size=240).astype(np.float32)
    model = gn.deep_network([2, 16, 1], hidden_activation="relu", seed=0, task="regression")
    with pytest.raises(TrainingDiverged, match=r"every layer's output is finite but the cost "
                                               r"is not finite .* reaches \|A\| = "):
        fit(model, X, y, learning_rate=10.0, epochs=50, progress=False)


def test_finite_data_beyond_float32_is_an_overflow_with_its_largest_value():
    X, y = _classes(m=10)
    X = X.astype(np.float64)
    X[1, 3] = -1e40
    with pytest.raises(GlassnetError, match=r"training data: values overflow float32 "
                                            r"\(max \|x\| = 1e\+40.*--dtype float64"):
        fit(gn.deep_network([2, 4, 3], seed=0), X, y, progress=False)
    X[1, 3] = np.nan
    with pytest.raises(GlassnetError, match=r"contains NaN or inf \(at index \(1, 3\)"):
        fit(gn.deep_network([2, 4, 3], seed=0), X, y, progress=False)
    dev = X.copy()
    dev[1, 3] = 1e39
    X[1, 3] = 0.0
    with pytest.raises(GlassnetError, match=r"dev data: values overflow float32"):
        fit(gn.deep_network([2, 4, 3], seed=0), X, y, dev, y, progress=False)
    # the same data in float64 trains
    fit(gn.deep_network([2, 4, 3], seed=0, dtype="float64"), X, y, epochs=1, progress=False)


def test_cli_divergence_is_one_line_naming_the_layer(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3)) * 1e3
    np.savez(tmp_path / "reg.npz", x=x, y=x @ np.array([1e3, -2e3, 5e2]))
    code = main(["train", "--preset", "course", "--data", str(tmp_path / "reg.npz"),
                 "--task", "regression",
                 "--hidden", "8", "--epochs", "50", "--learning-rate", "50", "--preprocess",
                 "none", "--no-progress", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("glassnet: error: training diverged at iteration ")
    assert "layer" in err[0] and "lower the learning rate (now 50" in err[0]
