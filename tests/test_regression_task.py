"""Regression that works (issue 15 item 3): targets standardized with the training set's
mean and std for training, the scaling folded into the linear output layer so the saved
model predicts in the targets' units; RMSE, MAE, R^2 and the mean baseline in ``train`` and
``evaluate``; and an MLP that beats predicting the mean (scikit-learn's diabetes, slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from glassnet.cli.main import main
from glassnet.data.pipeline import InputPipeline
from glassnet.data.targets import TargetScaler
from glassnet.functions.metrics import mae, r2_score, regression_report, rmse
from glassnet.models.saving import load_model
from glassnet.project.run import run_training

# -- the scaling -------------------------------------------------------------------------------


def test_target_scaler_standardizes_and_inverts_in_float64():
    y = np.array([25, 100, 346, 151], dtype=np.int64)
    s = TargetScaler.fit(y)
    assert s.mean[0] == pytest.approx(y.mean()) and s.std[0] == pytest.approx(y.std())
    z = s.transform(y)
    assert z.dtype == np.float64
    assert z.mean() == pytest.approx(0, abs=1e-12) and z.std() == pytest.approx(1)
    np.testing.assert_allclose(s.inverse(z), y, rtol=1e-12)
    assert TargetScaler.fit(np.full(5, 7.0)).std[0] == 1.0  # a constant target: nothing to scale
    off = TargetScaler.fit(y, active=False)
    assert off.transform(y) is y and off.metadata()["target_scaling"] == "none"


def test_folding_into_the_output_layer_is_exact():
    rng = np.random.default_rng(0)
    y = rng.normal([100.0, -3.0], [40.0, 0.01], size=(50, 2))
    s = TargetScaler.fit(y)
    W, b, h = rng.normal(size=(2, 6)), rng.normal(size=(2, 1)), rng.normal(size=(6, 9))
    W2, b2 = s.fold(W, b)
    np.testing.assert_allclose(W2 @ h + b2, s.inverse((W @ h + b).T).T, rtol=1e-12)
    with pytest.raises(Exception, match="does not fit 2 targets"):
        s.fold(W[:1], b[:1])


# -- the metrics -------------------------------------------------------------------------------


def test_rmse_mae_r2():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.5, 2.0, 2.0, 5.0])
    assert rmse(y, p) == pytest.approx(np.sqrt((0.25 + 0 + 1 + 1) / 4))
    assert mae(y, p) == pytest.approx(2.5 / 4)
    assert r2_score(y, p) == pytest.approx(1 - 2.25 / 5)
    assert r2_score(y, y) == 1.0 and r2_score(y, np.full(4, y.mean())) == pytest.approx(0.0)
    report = regression_report(y, p, baseline=[2.5])
    assert report["baseline_rmse"] == pytest.approx(np.sqrt(5 / 4))
    assert set(report) == {"rmse", "mae", "r2", "baseline_rmse", "baseline_mae"}
    with pytest.raises(ValueError, match="shape"):
        rmse(y, p[:3])


def test_metrics_agree_with_scikit_learn_for_several_outputs():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    y = rng.normal(size=(40, 3)) * [1, 10, 100]
    p = y + rng.normal(size=(40, 3))
    assert r2_score(y, p) == pytest.approx(skm.r2_score(y, p))
    assert mae(y, p) == pytest.approx(skm.mean_absolute_error(y, p))
    assert rmse(y, p) == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)))


# -- runs --------------------------------------------------------------------------------------


def _integer_targets(m: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Targets of a few hundred, stored as integers (as diabetes stores them)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, 3))
    y = np.round(200 + 50 * x[:, 0] - 30 * x[:, 1] + 10 * x[:, 2] ** 2 + rng.normal(0, 5, m))
    return x, y.astype(np.int64)


def _write_csv(path, x, y) -> None:
    lines = ["a,b,c,target"]
    lines += [",".join(f"{v:.5f}" for v in r) + f",{t}" for r, t in zip(x, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")


def test_train_regression_beats_the_mean_and_reports_in_the_targets_units(tmp_path, capsys):
    x, y = _integer_targets()
    data, out = tmp_path / "quantity.csv", tmp_path / "run"
    _write_csv(data, x, y)
    code = main(["train", "--data", str(data), "--task", "regression", "--out", str(out),
                 "--epochs", "400"])
    text = capsys.readouterr().out
    assert code == 0
    assert "regression targets standardized with the training set's mean" in text
    assert "test: RMSE " in text and "(predicting the training mean: RMSE " in text
    metrics = json.loads((out / "metrics.json").read_text())
    test = metrics["test"]
    assert test["rmse"] < 0.5 * test["baseline_rmse"] and test["r2"] > 0.75
    assert metrics["test_rmse"] == test["rmse"]
    assert test["cost"] == pytest.approx(test["rmse"] ** 2, rel=1e-4)  # the L2 cost: MSE
    model = load_model(out)
    train_y = y[np.isin(np.arange(len(y)), _train_rows(model, x, y))]
    assert model.metadata["target_mean"][0] == pytest.approx(train_y.mean())
    assert model.metadata["target_std"][0] == pytest.approx(train_y.std())
    # the saved model predicts in the targets' units with nothing extra to apply
    pred = np.asarray(model.predict(InputPipeline.of(model).transform(x))).reshape(-1)
    assert abs(pred.mean() - y.mean()) < 0.2 * y.std()
    # evaluate the same file: the held-out test rows, the same numbers
    assert main(["evaluate", str(out), "--data", str(data), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["m"] == 40 and got["rows"] == "held-out test part: 40 of 200 rows"
    for key in ("rmse", "mae", "r2", "baseline_rmse"):
        assert got[key] == pytest.approx(test[key], rel=1e-6)
    assert main(["evaluate", str(out), "--data", str(data)]) == 0
    text = capsys.readouterr().out
    assert "rmse" in text and "r2" in text and "predicting the training targets' mean" in text


def _train_rows(model, x, y) -> np.ndarray:
    from glassnet.data.records import Dataset
    from glassnet.project.splits import test_part_of

    return test_part_of(Dataset(x, y), model.metadata["split"])[1]


def test_float_targets_of_several_outputs_are_scaled_per_output(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(150, 4))
    y = np.c_[1000 + 300 * x[:, 0], 0.01 * x[:, 1] - 0.5]  # very different scales
    data = tmp_path / "two.npz"
    np.savez(data, x=x, y=y)
    result = run_training({"data": str(data), "hidden": [16], "epochs": 300,
                           "learning_rate": 0.05, "progress": False})
    model, test = result.model, result.metrics["test"]
    assert model.task == "regression" and model.n_outputs == 2
    assert model.metadata["target_std"][0] > 100 and model.metadata["target_std"][1] < 0.1
    assert test["r2"] > 0.8 and test["rmse"] < test["baseline_rmse"]


def test_a_non_linear_output_keeps_targets_unscaled_and_says_so(tmp_path):
    x, y = _integer_targets(m=60)
    data = tmp_path / "quantity.csv"
    _write_csv(data, x, y)
    result = run_training({"data": str(data), "task": "regression", "output_activation": "relu",
                           "hidden": [4], "epochs": 2, "learning_rate": 1e-6, "progress": False})
    assert any("left unscaled" in note for note in result.metrics["notes"])
    assert result.model.metadata["target_scaling"] == "none"
    assert "baseline_rmse" in result.metrics["test"]


# -- scikit-learn's diabetes (slow) -------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # scikit-learn's ConvergenceWarning
def test_diabetes_at_the_default_settings_beats_the_mean(tmp_path, capsys):
    datasets = pytest.importorskip("sklearn.datasets")
    neural = pytest.importorskip("sklearn.neural_network")
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    d = datasets.load_diabetes(scaled=False)
    data, out = tmp_path / "diabetes.csv", tmp_path / "run"
    rows = [",".join([*d.feature_names, "target"])]
    rows += [",".join(f"{v:g}" for v in r) + f",{int(t)}"
             for r, t in zip(d.data, d.target, strict=True)]
    data.write_text("\n".join(rows) + "\n")
    assert main(["train", "--data", str(data), "--task", "regression", "--out", str(out)]) == 0
    capsys.readouterr()
    test = json.loads((out / "metrics.json").read_text())["test"]
    assert test["rmse"] < test["baseline_rmse"] and test["r2"] > 0.2
    # scikit-learn's MLPRegressor (its defaults) on the same split, inputs and targets
    # standardized as glassnet does
    model = load_model(out)
    y = d.target.astype(np.int64)
    train = _train_rows(model, d.data, y)
    test_rows = np.setdiff1d(np.arange(len(y)), train)
    mlp = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), neural.MLPRegressor(random_state=0)),
        transformer=StandardScaler())
    mlp.fit(d.data[train], d.target[train])
    sk_rmse = rmse(d.target[test_rows], mlp.predict(d.data[test_rows]))
    print(f"diabetes test RMSE: glassnet {test['rmse']:.2f}, MLPRegressor {sk_rmse:.2f}, "
          f"mean {test['baseline_rmse']:.2f}")
    assert sk_rmse < test["baseline_rmse"]
    assert test["rmse"] < 1.25 * sk_rmse  # in the same league as scikit-learn's
