"""Saving and loading: exact round trips, refusal of unsafe or damaged files, atomic writes."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import glassnet.models.saving as persistence
from glassnet.core.atomic import atomic_write_bytes, load_npz_safely
from glassnet.core.errors import ModelFileError
from glassnet.models.builders import deep_network
from glassnet.models.saving import (
    ARCHITECTURE_FILE,
    PARAMETERS_FILE,
    load_model,
    read_architecture,
    save_model,
)


def _trained(rng: np.random.Generator, **kwargs):
    model = deep_network([6, 5, 3], seed=2, **kwargs)
    for p in model.parameters.values():
        p += rng.normal(0, 0.3, p.shape).astype(p.dtype)
    return model


@pytest.fixture
def saved(tmp_path, rng):
    model = _trained(rng)
    model.metadata["classes"] = ["a", "b", "c"]
    model.extras["input_mean"] = np.arange(6, dtype=np.float32)
    save_model(model, tmp_path / "m")
    return model, tmp_path / "m"


def _rewrite_parameters(directory, **changes):
    """Rewrite parameters.npz with some arrays replaced (value) or removed (None)."""
    with np.load(directory / PARAMETERS_FILE) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    np.savez(directory / PARAMETERS_FILE, **arrays)


# -- round trips ---------------------------------------------------------------------------

def test_round_trip_predicts_exactly_the_same(saved, rng):
    model, path = saved
    loaded = load_model(path)
    X = rng.standard_normal((6, 40)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert list(loaded.parameters) == list(model.parameters)
    for k, v in model.parameters.items():
        np.testing.assert_array_equal(loaded.parameters[k], v)
        assert loaded.parameters[k].dtype == v.dtype
    assert loaded.config() == model.config()
    assert loaded.metadata["classes"] == ["a", "b", "c"]
    np.testing.assert_array_equal(loaded.extras["input_mean"], np.arange(6))


def test_round_trip_float64_regularized_multilabel(tmp_path, rng):
    model = _trained(rng, dtype="float64", task="multilabel", hidden_activation="leaky_relu",
                     regularization={"l2": 0.1})
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    X = rng.standard_normal((6, 9))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.task == "multilabel" and loaded.dtype == np.float64
    assert loaded.layers[0].activation.name == "leaky_relu"
    assert loaded.regularizer.config() == model.regularizer.config()


def test_round_trip_keeps_batchnorm_running_averages(tmp_path, rng):
    model = deep_network([4, 5, 1], batchnorm=True, seed=0, dtype="float64")
    X = rng.standard_normal((4, 16)) * 3 + 1
    Y = (rng.random((1, 16)) > 0.5).astype(float)
    model.train_step(X, Y)  # updates the running mean and variance
    assert model.state, "batch norm should keep running averages in state"
    save_model(model, tmp_path / "bn")
    loaded = load_model(tmp_path / "bn")
    for k, v in model.state.items():
        np.testing.assert_array_equal(loaded.state[k], v)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_model_directory_holds_two_readable_files(saved):
    model, path = saved
    assert sorted(os.listdir(path)) == [ARCHITECTURE_FILE, PARAMETERS_FILE]
    arch = json.loads((path / ARCHITECTURE_FILE).read_text())
    assert arch["format"] == "glassnet-model" and arch["format_version"] == 1
    assert arch["n_parameters"] == model.n_parameters
    assert arch["parameter_shapes"]["W1"] == [5, 6]
    assert arch["model"]["layers"][0]["type"] == "dense"
    with np.load(path / PARAMETERS_FILE, allow_pickle=False) as z:
        assert set(z.files) == {"W1", "b1", "W2", "b2", "extra:input_mean"}


# -- refusals ------------------------------------------------------------------------------

_RAN = []


def _side_effect():
    _RAN.append("code ran")
    return "payload"


class _Payload:
    def __reduce__(self):
        return (_side_effect, ())


def test_pickled_parameters_are_refused_without_running_code(saved):
    _, path = saved
    evil = np.empty(1, dtype=object)
    evil[0] = _Payload()
    np.savez(path / PARAMETERS_FILE, W1=evil)  # savez pickles object arrays
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    assert str(path / PARAMETERS_FILE) in str(err.value)
    assert "pickle" in str(err.value)
    assert _RAN == []


def test_truncated_parameter_file_is_refused(saved):
    _, path = saved
    target = path / PARAMETERS_FILE
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupt") as err:
        load_model(path)
    assert str(target) in str(err.value)


def test_garbage_parameter_file_is_refused(saved):
    _, path = saved
    (path / PARAMETERS_FILE).write_text("not a zip archive at all")
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    assert str(path / PARAMETERS_FILE) in str(err.value)


def test_missing_key_is_refused_and_named(saved):
    _, path = saved
    _rewrite_parameters(path, b2=None)
    with pytest.raises(ModelFileError, match="missing key 'b2'") as err:
        load_model(path)
    assert str(path / PARAMETERS_FILE) in str(err.value)


def test_shape_mismatch_is_refused(saved):
    _, path = saved
    _rewrite_parameters(path, W1=np.zeros((5, 7), dtype=np.float32))
    with pytest.raises(ModelFileError, match=r"W1 has shape \(5, 7\).*expects \(5, 6\)") as err:
        load_model(path)
    assert str(path / PARAMETERS_FILE) in str(err.value)


def test_non_float_parameters_are_refused(saved):
    _, path = saved
    _rewrite_parameters(path, W2=np.zeros((3, 5), dtype=np.int64))
    with pytest.raises(ModelFileError, match="W2 has dtype int64"):
        load_model(path)


def test_missing_parameter_file_is_refused(saved):
    _, path = saved
    (path / PARAMETERS_FILE).unlink()
    with pytest.raises(ModelFileError, match="not found") as err:
        load_model(path)
    assert PARAMETERS_FILE in str(err.value)


def test_non_json_architecture_is_refused(saved):
    _, path = saved
    (path / ARCHITECTURE_FILE).write_text("{this is not json")
    with pytest.raises(ModelFileError, match="not valid JSON") as err:
        load_model(path)
    assert str(path / ARCHITECTURE_FILE) in str(err.value)


def test_foreign_or_newer_architecture_is_refused(saved):
    _, path = saved
    arch_path = path / ARCHITECTURE_FILE
    arch = json.loads(arch_path.read_text())
    arch_path.write_text(json.dumps({"layers": []}))
    with pytest.raises(ModelFileError, match="not a glassnet architecture file"):
        load_model(path)
    arch_path.write_text(json.dumps({**arch, "format_version": 99}))
    with pytest.raises(ModelFileError, match="newer"):
        load_model(path)
    arch_path.write_text(json.dumps({k: v for k, v in arch.items() if k != "model"}))
    with pytest.raises(ModelFileError, match="missing key 'model'"):
        load_model(path)


def test_invalid_architecture_contents_are_refused(saved):
    _, path = saved
    arch_path = path / ARCHITECTURE_FILE
    arch = json.loads(arch_path.read_text())
    arch["model"]["layers"][0]["type"] = "quantum"
    arch_path.write_text(json.dumps(arch))
    with pytest.raises(ModelFileError, match="invalid architecture") as err:
        load_model(path)
    assert str(arch_path) in str(err.value)


def test_missing_directory_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="no such model directory") as err:
        load_model(tmp_path / "nowhere")
    assert "nowhere" in str(err.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match="not a model directory"):
        read_architecture(tmp_path / "empty")


def test_load_npz_safely_reads_plain_archives(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.arange(3.0))
    arrays = load_npz_safely(tmp_path / "a.npz")
    np.testing.assert_array_equal(arrays["x"], [0.0, 1.0, 2.0])


# -- atomic writes -------------------------------------------------------------------------

def test_save_leaves_no_temporary_files(tmp_path, rng):
    model = _trained(rng)
    for _ in range(3):  # overwriting too
        save_model(model, tmp_path / "m")
    assert sorted(os.listdir(tmp_path / "m")) == [ARCHITECTURE_FILE, PARAMETERS_FILE]


def test_a_failed_write_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / "file.bin"
    atomic_write_bytes(target, b"old contents")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(persistence.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new contents")
    assert target.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["file.bin"]


def test_a_failed_model_save_keeps_the_old_model(tmp_path, monkeypatch, rng):
    old = _trained(rng)
    save_model(old, tmp_path / "m")
    new = _trained(rng)

    def broken_replace(src, dst):
        raise OSError("killed")

    monkeypatch.setattr(persistence.os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_model(new, tmp_path / "m")
    monkeypatch.undo()
    loaded = load_model(tmp_path / "m")
    for k, v in old.parameters.items():
        np.testing.assert_array_equal(loaded.parameters[k], v)
    assert sorted(os.listdir(tmp_path / "m")) == [ARCHITECTURE_FILE, PARAMETERS_FILE]
