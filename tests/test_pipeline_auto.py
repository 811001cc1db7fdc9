"""The input pipeline's defaults and statistics: uint8 pixels for a dense network are scaled
AND standardized, statistics are float64 (features near 1e20 stay usable), a constant
feature does not divide by zero, overflow names the feature, and a model file whose saved
statistics are broken is refused (issue 15 item 15, issue 16 item 7)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError, ModelFileError
from glassnet.data.pipeline import InputPipeline, PreprocessingWarning
from glassnet.data.preprocessing import Standardizer
from glassnet.models.builders import deep_network
from glassnet.models.saving import load_model, save_model


def test_auto_scales_and_standardizes_uint8_pixels_for_a_dense_network(rng):
    x = rng.integers(0, 256, size=(40, 4, 4, 3), dtype=np.uint8)
    pipe = InputPipeline().fit(x)  # auto, dense
    assert pipe.scale == pytest.approx(1 / 255) and pipe.standardize
    X = pipe.transform(x)
    assert X.shape == (48, 40) and X.dtype == np.float32
    np.testing.assert_allclose(X.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(X.std(axis=1), 1, rtol=1e-4)
    # the statistics are those of the scaled pixels: (x / 255 - mu) / sigma
    flat = x.reshape(40, -1) / 255.0
    np.testing.assert_allclose(X[:, 3], (flat[3] - flat.mean(0)) / flat.std(0), rtol=1e-5)


def test_auto_only_scales_uint8_pixels_for_a_convolutional_network(rng):
    x = rng.integers(0, 256, size=(6, 4, 4, 3), dtype=np.uint8)
    pipe = InputPipeline(layout="image").fit(x)
    assert pipe.scale is not None and not pipe.standardize
    np.testing.assert_allclose(pipe.transform(x), x / 255.0, rtol=1e-6)


def test_unstandardized_dense_inputs_far_from_zero_mean_give_a_warning(rng):
    x = rng.integers(100, 200, size=(30, 5), dtype=np.uint8)
    with pytest.warns(PreprocessingWarning, match="far from zero mean.*preprocess='none'"):
        pipe = InputPipeline(mode="none").fit(x)
    assert pipe.notes and "scale+standardize" in pipe.notes[0]
    centered = rng.normal(size=(30, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert InputPipeline(mode="none").fit(centered).notes == []


def test_features_near_1e20_are_standardized_in_float64(rng):
    """float32 squares of 1e20 overflow: sigma used to be inf and every feature became 0."""
    x = (rng.normal(size=(200, 3)) * 1e20).astype(np.float32)
    pipe = InputPipeline().fit(x)  # float32 compute dtype
    assert np.isfinite(pipe.std).all() and (pipe.std > 0).all()
    X = pipe.transform(x)
    assert X.dtype == np.float32 and np.isfinite(X).all()
    np.testing.assert_allclose(X.std(axis=1), 1, rtol=1e-4)
    # Standardizer (the course's) accumulates in float64 too
    s = Standardizer(axis=0).fit(x)
    assert np.isfinite(s.std).all() and s.std.dtype == np.float32
    assert np.isfinite(s.transform(x)).all()


def test_constant_feature_standardizes_to_zero_in_float32(rng):
    x = np.c_[rng.normal(size=(10, 2)), np.full(10, 1e20)].astype(np.float32)
    pipe = InputPipeline().fit(x)
    assert pipe.std[2] == 1.0
    X = pipe.transform(x)
    np.testing.assert_array_equal(X[2], 0.0)


@pytest.mark.filterwarnings("ignore:the inputs are far from zero mean")
def test_values_that_overflow_the_compute_dtype_name_the_feature(rng):
    pipe = InputPipeline().fit(rng.normal(size=(20, 4)))
    dev = rng.normal(size=(5, 4))
    dev[3, 2] = 1e39  # finite in float64, beyond float32 after standardization
    with pytest.raises(GlassnetError, match=r"dev data: feature 2 of example 3 overflows "
                                            r"float32 after standardization.*--dtype float64"):
        pipe.transform(dev, "dev data")
    raw = np.full((4, 2), 5e38)
    with pytest.raises(GlassnetError, match=r"overflows float32 \(max \|x\| = 5e\+38"):
        InputPipeline(mode="none").fit(raw).transform(raw, "training data")
    assert np.isfinite(InputPipeline(mode="none", dtype="float64").fit(raw).transform(raw)).all()


def test_image_features_are_named_in_overflow_and_nan_errors(rng):
    pipe = InputPipeline().fit(rng.normal(size=(6, 2, 3)))  # dense, examples (2, 3)
    bad = rng.normal(size=(2, 2, 3))
    bad[1, 1, 2] = np.nan
    with pytest.raises(GlassnetError, match=r"contains NaN or inf \(feature \(1, 2\) of "
                                            r"example 1\)"):
        pipe.transform(bad, "test data")


def _saved_model_with(tmp_path, rng, **arrays):
    pipe = InputPipeline().fit(rng.normal(3, 2, size=(30, 4)))
    model = deep_network([4, 3, 1], seed=0)
    pipe.attach(model)
    model.extras.update(arrays)
    save_model(model, tmp_path / "m")
    return load_model(tmp_path / "m")


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("input_std", np.array([1.0, 0.0, 2.0, 1.0]), r"input_std is 0.0 for feature 1"),
        # non-finite statistics are refused by load_model already (like any non-finite array)
        ("input_std", np.array([1.0, 1.0, np.inf, 1.0]),
         r"input_std (is inf for feature 2|holds 1 NaN or inf)"),
        ("input_mean", np.array([np.nan, 0, 0, 0]),
         r"input_mean (is nan for feature 0|holds 1 NaN or inf)"),
        ("input_std", np.ones(3), r"input_std has 3 values; its inputs have 4 features"),
    ],
)
def test_a_model_file_with_broken_statistics_is_refused(tmp_path, rng, key, value, match):
    with pytest.raises(ModelFileError, match=match):
        InputPipeline.of(_saved_model_with(tmp_path, rng, **{key: value}))


def test_a_good_model_file_still_loads(tmp_path, rng):
    loaded = _saved_model_with(tmp_path, rng)
    pipe = InputPipeline.of(loaded)
    assert pipe is not None and pipe.std.dtype == np.float64
