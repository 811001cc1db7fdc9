"""The input pipeline: fitted on the training set only, saved with the model, reused as is."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError, ShapeError
from glassnet.data.pipeline import InputPipeline
from glassnet.models.builders import deep_network
from glassnet.models.saving import load_model, save_model


def test_uint8_images_are_scaled_and_flattened_to_columns(rng):
    x = rng.integers(0, 256, size=(5, 4, 3, 2), dtype=np.uint8)  # (m, H, W, C)
    with pytest.warns(UserWarning, match="far from zero mean"):
        pipe = InputPipeline(mode="scale").fit(x)
    assert pipe.scale == pytest.approx(1 / 255) and not pipe.standardize
    X = pipe.transform(x)
    assert X.shape == (4 * 3 * 2, 5) and X.dtype == np.float32
    # (m, H, W, C) -> (H*W*C, m): column i is example i, flattened in C order, / 255
    np.testing.assert_allclose(X[:, 2], x[2].reshape(-1) / 255, rtol=1e-6)
    assert pipe.input_shape == (24,)


def test_float_features_are_standardized_with_training_statistics(rng):
    train = rng.normal(5, 3, size=(200, 4))
    test = rng.normal(-1, 1, size=(50, 4))
    pipe = InputPipeline(dtype="float64").fit(train)
    assert pipe.standardize and pipe.scale is None
    X = pipe.transform(train)
    np.testing.assert_allclose(X.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=1), 1, rtol=1e-12)
    # the test set uses the TRAINING mean and std, not its own
    Xt = pipe.transform(test)
    np.testing.assert_allclose(Xt, ((test - train.mean(0)) / train.std(0)).T, rtol=1e-12)
    assert abs(Xt.mean()) > 0.5


def test_constant_feature_does_not_divide_by_zero(rng):
    x = np.c_[rng.normal(size=(10, 2)), np.full(10, 7.0)]
    pipe = InputPipeline(dtype="float64").fit(x)
    X = pipe.transform(x)
    assert np.isfinite(X).all()
    np.testing.assert_array_equal(X[2], 0.0)


def test_explicit_modes(rng):
    x = rng.integers(0, 256, size=(6, 3), dtype=np.uint8)
    both = InputPipeline(mode="scale+standardize", dtype="float64").fit(x)
    assert both.scale is not None and both.standardize
    np.testing.assert_allclose(both.transform(x).mean(axis=1), 0, atol=1e-12)
    with pytest.warns(UserWarning, match="far from zero mean"):
        none = InputPipeline(mode="none").fit(x)
    np.testing.assert_array_equal(none.transform(x), x.T.astype(np.float32))


def test_image_layout_keeps_examples_first_and_standardizes_per_channel(rng):
    x = rng.normal(size=(8, 5, 5, 3)) * np.array([1.0, 10.0, 100.0])
    pipe = InputPipeline(layout="image", dtype="float64").fit(x)
    assert pipe.input_shape == (5, 5, 3)
    X = pipe.transform(x)
    assert X.shape == (8, 5, 5, 3)
    np.testing.assert_allclose(X.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=(0, 1, 2)), 1, rtol=1e-12)


def test_sequence_layout_gives_features_time_columns(rng):
    """Raw (m, T_x, n_x) -> the model's (n_x, m, T_x), standardized per feature over all t."""
    x = rng.normal(size=(6, 5, 3)) * np.array([1.0, 10.0, 100.0])
    pipe = InputPipeline(layout="sequence", dtype="float64").fit(x)
    assert pipe.input_shape == (3, 5)  # one example of (n_x, m, T_x)
    X = pipe.transform(x)
    assert X.shape == (3, 6, 5)
    np.testing.assert_allclose(X.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=(1, 2)), 1, rtol=1e-12)
    # x<t>(i) is column i of time step t
    np.testing.assert_allclose(X[:, 2, 4], (x[2, 4] - x.mean(axis=(0, 1))) / x.std(axis=(0, 1)))
    with pytest.raises(GlassnetError, match=r"\(m, T_x, n_x\)"):
        InputPipeline(layout="sequence").fit(rng.normal(size=(4, 3)))


def test_bad_inputs_are_refused(rng):
    pipe = InputPipeline().fit(rng.normal(size=(10, 4)))
    with pytest.raises(ShapeError, match=r"takes examples of shape \(m, 4\), got \(3, 5\)"):
        pipe.transform(np.zeros((3, 5)), "test data")
    bad = np.zeros((3, 4))
    bad[1, 2] = np.nan
    with pytest.raises(GlassnetError, match="test data: contains NaN or inf"):
        pipe.transform(bad, "test data")
    bad[1, 2] = np.inf
    with pytest.raises(GlassnetError, match="NaN or inf"):
        pipe.transform(bad)
    with pytest.raises(GlassnetError, match="m > 0"):
        InputPipeline().fit(np.zeros((0, 4)))
    with pytest.raises(GlassnetError, match="not fitted"):
        _ = InputPipeline().input_shape
    with pytest.raises(ValueError, match="layout"):
        InputPipeline(layout="tokens")  # index arrays are not scaled or standardized
    with pytest.raises(ValueError, match="preprocess"):
        InputPipeline(mode="whiten")


def test_metadata_round_trip_through_a_saved_model(tmp_path, rng):
    train = rng.normal(3, 2, size=(30, 4))
    pipe = InputPipeline().fit(train)
    model = deep_network([4, 3, 1], seed=0)
    pipe.attach(model)
    assert model.metadata["preprocessing"]["layout"] == "dense"
    assert set(model.extras) == {"input_mean", "input_std"}
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    again = InputPipeline.of(loaded)
    new = rng.normal(size=(7, 4))
    np.testing.assert_array_equal(again.transform(new), pipe.transform(new))
    assert again.example_shape == (4,)
    np.testing.assert_array_equal(loaded.predict_proba(again.transform(new)),
                                  model.predict_proba(pipe.transform(new)))


def test_model_without_pipeline_and_broken_metadata():
    model = deep_network([4, 1])
    assert InputPipeline.of(model) is None
    with pytest.raises(GlassnetError, match="metadata is invalid"):
        InputPipeline.from_metadata({"mode": "auto"}, {})
    meta = {"layout": "dense", "standardize": True, "example_shape": [4]}
    with pytest.raises(GlassnetError, match="lacks"):
        InputPipeline.from_metadata(meta, {})
