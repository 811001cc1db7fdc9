"""The model-folder reader refuses every hostile or broken folder with one line, before it
allocates (issue 16 items 1, 3, 7), and round-trips every layer type exactly."""

from __future__ import annotations

import json
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from glassnet import layers as L
from glassnet.core.atomic import load_npz_safely
from glassnet.core.errors import GlassnetError, MemoryBudgetError, ModelFileError
from glassnet.core.limits import set_memory_budget
from glassnet.core.npz_reader import npz_shapes
from glassnet.models.architecture_check import MAX_ARCHITECTURE_BYTES, MAX_DEPTH
from glassnet.models.builders import deep_network
from glassnet.models.saving import (
    ARCHITECTURE_FILE,
    PARAMETERS_FILE,
    load_model,
    read_architecture,
    save_model,
)
from glassnet.models.sequential import Sequential


@pytest.fixture
def folder(tmp_path):
    model = deep_network([4, 3, 2], seed=1)
    model.metadata["classes"] = ["no", "yes"]
    save_model(model, tmp_path / "m")
    return tmp_path / "m"


def _arch(folder: Path) -> dict:
    return json.loads((folder / ARCHITECTURE_FILE).read_text())


def _write_arch(folder: Path, arch: dict | str) -> None:
    text = arch if isinstance(arch, str) else json.dumps(arch)
    (folder / ARCHITECTURE_FILE).write_text(text)


def assert_refused(folder: Path, match: str) -> str:
    with pytest.raises(ModelFileError, match=match) as err:
        load_model(folder)
    line = str(err.value)
    assert "\n" not in line and str(folder) in line
    return line


# -- round trips of every layer type ----------------------------------------------------------

_MODELS = {
    "dense+batchnorm+dropout": (lambda: [L.Dense(5), L.BatchNorm(), L.Dropout(0.7),
                                         L.Dense(3, activation="softmax")], (4,)),
    "conv": (lambda: [L.Conv2D(2, 3, padding="same", activation="relu"), L.MaxPool2D(2),
                      L.DepthwiseConv2D(3, padding=1), L.Conv2DTranspose(2, 2, stride=2),
                      L.GlobalAvgPool2D(), L.Dense(3, activation="softmax")], (6, 6, 2)),
    "conv1d/3d": (lambda: [L.Conv1D(2, 3), L.AvgPool1D(2), L.Flatten(),
                           L.Dense(3, activation="softmax")], (8, 2)),
    "blocks": (lambda: [L.ResidualBlock(4, batch_norm=True), L.InceptionModule(1, 1, 2, 1, 1, 1),
                        L.MobileNetV2Block(4, batch_norm=True), L.SeparableConv2D(3),
                        L.Flatten(), L.Dense(3, activation="softmax")], (6, 6, 4)),
    "recurrent": (lambda: [L.LSTM(3), L.Bidirectional(L.GRU(2)),
                           L.TimeDistributed(L.Dense(2, activation="softmax"))], (4, 5)),
}


@pytest.mark.parametrize("name", list(_MODELS))
def test_every_layer_type_round_trips_exactly(tmp_path, name):
    make, shape = _MODELS[name]
    model = Sequential(make(), loss="categorical_crossentropy").build(shape, seed=3)
    rng = np.random.default_rng(0)
    for p in model.parameters.values():
        p += rng.normal(0, 0.1, p.shape).astype(p.dtype)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert list(loaded.parameters) == list(model.parameters)
    for k, v in {**model.parameters, **model.state}.items():
        np.testing.assert_array_equal({**loaded.parameters, **loaded.state}[k], v)


def test_a_loaded_models_dropout_draws_as_before(tmp_path):
    """The watched build uses the same random stream as a plain build (seed 0)."""
    model = Sequential([L.Dense(3), L.Dropout(0.5), L.Dense(1, activation="sigmoid")])
    model.build((4,), seed=7)
    save_model(model, tmp_path / "m")
    plain = Sequential.from_config(model.config())
    loaded = load_model(tmp_path / "m")
    assert loaded.layers[1].rng.random() == plain.layers[1].rng.random()


# -- 1(a): architecture.json validated before anything is built ------------------------------

def test_deeply_nested_json_is_refused(folder):
    _write_arch(folder, "[" * 100_000 + "]" * 100_000)
    assert_refused(folder, f"nested 100000 deep, more than {MAX_DEPTH}")


@pytest.mark.parametrize("change, match", [
    (lambda a: a["model"].__setitem__("layers", [1]), r"layers\[0\]: expected a layer"),
    (lambda a: a["model"]["layers"][0]["config"].__setitem__("units", -3),
     r"units: -3 is not an integer from 1"),
    (lambda a: a["model"]["layers"][0]["config"].__setitem__("units", "5"),
     r"units: expected int, got str"),
    (lambda a: a["model"]["layers"][0]["config"].__setitem__("units", 2.5),
     r"units: expected int, got float"),
    (lambda a: a["model"]["layers"][0]["config"].__setitem__("units", True),
     r"units: expected int, got bool"),
    (lambda a: a["model"]["layers"][0]["config"].__setitem__("colour", "red"),
     r"dense has no setting 'colour'"),
    (lambda a: a["model"]["layers"][0]["config"].pop("units"), r"needs the setting 'units'"),
    (lambda a: a["model"]["layers"][1].__setitem__("type", "quantum"),
     r"unknown layer type 'quantum'"),
    (lambda a: a["model"].__setitem__("input_shape", [4, 0]), r"input_shape\[1\]: 0"),
    (lambda a: a["model"].__setitem__("dtype", "int8"), r"model.dtype: 'int8'"),
    (lambda a: a["model"].__setitem__("loss", 5), r"model.loss: expected"),
    (lambda a: a.__setitem__("metadata", {"classes": "no,yes"}),
     r"metadata.classes: expected list or null, got str"),
    (lambda a: a.__setitem__("metadata", {"classes": [["a"]]}), r"metadata.classes\[0\]"),
    (lambda a: a.__setitem__("metadata", [1]), r"metadata: expected a table"),
])
def test_architecture_fields_of_the_wrong_type_are_refused(folder, change, match):
    arch = _arch(folder)
    change(arch)
    _write_arch(folder, arch)
    assert_refused(folder, match)


def test_numbers_out_of_range_are_refused(folder):
    text = (folder / ARCHITECTURE_FILE).read_text()
    _write_arch(folder, text.replace('"units": 3', '"units": 1e400', 1))
    assert_refused(folder, r"not valid JSON \(the number 1e400 is out of range")
    _write_arch(folder, text.replace('"units": 3', '"units": ' + "9" * 5000, 1))
    assert_refused(folder, r"not valid JSON \(the integer 9+\.\.\. has more than")
    _write_arch(folder, text.replace('"init_scale": 0.01', '"init_scale": NaN', 1))
    assert_refused(folder, r"NaN is not a number")


def test_an_oversized_architecture_file_is_refused(folder):
    _write_arch(folder, " " * (MAX_ARCHITECTURE_BYTES + 1) + "{}")
    assert_refused(folder, "more than an architecture file may have")


def test_architecture_that_is_not_utf8_is_refused(folder):
    (folder / ARCHITECTURE_FILE).write_bytes(b'{"format": "\xff"}')
    assert_refused(folder, "not UTF-8")


# -- 1(b): the architecture's sizes against the parameter file's directory, before allocating --

def _huge_dense(folder: Path, units: int = 10**6, n_x: int = 10**6) -> None:
    arch = _arch(folder)
    arch["model"]["input_shape"] = [n_x]
    arch["model"]["layers"] = [{"type": "dense", "config": {"units": units}}]
    text = json.dumps(arch)
    assert len(text) < 1024
    _write_arch(folder, text)


def test_a_1kb_architecture_declaring_dense_1e6_is_refused_before_allocating(folder):
    _huge_dense(folder)
    tracemalloc.start()
    try:
        with pytest.raises(GlassnetError) as err:
            load_model(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, peak
    line = str(err.value)
    assert "layer 1 (Dense(1000000, relu))" in line and "refused before allocating" in line


def test_a_large_dense_layer_needs_what_the_parameter_file_holds(folder):
    _huge_dense(folder, units=20_000, n_x=20_000)  # 1.6 GB of float32 W, 1 KB of file
    tracemalloc.start()
    try:
        line = assert_refused(folder, r"needs more parameters than parameters.npz holds")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20 and "the file has 23)" in line


@pytest.mark.parametrize("shape, layers", [
    ([10**5], [{"type": "dense", "config": {"units": 10**5, "init": "zeros"}}]),
    ([10**5, 3], [{"type": "lstm", "config": {"units": 10**5}}]),
    ([8, 8, 3], [{"type": "residual_block", "config": {"filters": 2**31 - 1}}]),
    ([8, 8, 3], [{"type": "inception_module", "config": {
        "f_1x1": 2**20, "f_3x3_reduce": 2**20, "f_3x3": 2**20, "f_5x5_reduce": 1, "f_5x5": 1,
        "f_pool_proj": 1}}]),
    ([2**31 - 1, 2**31 - 1, 3], [{"type": "flatten", "config": {}},
                                 {"type": "dense", "config": {"units": 1}}]),
    ([2**24], [{"type": "dense", "config": {"units": 2}}, {"type": "batchnorm", "config": {}}]),
])
def test_huge_layers_of_every_kind_are_refused_before_allocating(folder, shape, layers):
    arch = _arch(folder)
    arch["model"]["input_shape"], arch["model"]["layers"] = shape, layers
    _write_arch(folder, arch)
    tracemalloc.start()
    try:
        assert_refused(folder, "needs more parameters than parameters.npz holds")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, peak


def test_the_memory_budget_is_asked_first(folder):
    set_memory_budget(100)
    try:
        with pytest.raises(MemoryBudgetError, match="over the memory budget of 100 B"):
            load_model(folder)
    finally:
        set_memory_budget(None)


def test_npz_shapes_reads_headers_only(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros((3, 4), np.float32), y=np.arange(5))
    shapes = npz_shapes(tmp_path / "a.npz")
    assert shapes == {"x": ((3, 4), np.dtype(np.float32)), "y": ((5,), np.dtype(np.int64))}


# -- 1(c): only the model's members are read ----------------------------------------------------

def _declare_size(path: Path, member: str, size: int) -> None:
    """Rewrite the zip directory so that ``member`` declares ``size`` bytes uncompressed
    (nothing of that size is written)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for sig, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = data.find(sig)
        while at >= 0:
            name_at = at + (46 if sig == b"PK\x01\x02" else 30)
            if data[name_at:name_at + len(name)] == name:
                struct.pack_into("<I", data, at + offset, size)
            at = data.find(sig, at + 4)
    path.write_bytes(bytes(data))


def _add_member(path: Path, name: str, payload: bytes, method=zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "a", compression=method) as z:
        z.writestr(name, payload)


#: the .npy header of 3 GiB of float32
_HEADER_3GIB = (b"\x93NUMPY\x01\x00v\x00"
                b"{'descr': '<f4', 'fortran_order': False, 'shape': (805306368,), }")


def test_an_extra_3gib_member_is_refused_by_name_without_inflating(folder):
    target = folder / PARAMETERS_FILE
    header = _HEADER_3GIB
    _add_member(target, "junk.npy", header.ljust(128, b" ") + bytes(3 * 2**20))
    _declare_size(target, "junk.npy", 3 * 2**30)
    assert zipfile.ZipFile(target).getinfo("junk.npy").file_size == 3 * 2**30
    tracemalloc.start()
    try:
        assert_refused(folder, r"member 'junk' inflates \d+ bytes to 3221225472 \(ratio over 200\)")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def test_an_extra_member_the_model_does_not_use_is_refused_unread(folder):
    _add_member(folder / PARAMETERS_FILE, "junk.npy", _npy_bytes(np.zeros(1000, np.float32)))
    assert_refused(folder, r"member 'junk' is not an array of this model \(its arrays: W1, b1, W2, "
                     r"b2; extra:NAME\); refused unread")


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_an_extra_array_declaring_3gib_is_refused_as_a_bomb(folder):
    target = folder / PARAMETERS_FILE
    header = _HEADER_3GIB
    _add_member(target, "extra:huge.npy", header.ljust(128, b" ") + bytes(2**20))
    _declare_size(target, "extra:huge.npy", 3 * 2**30 + 128)
    with pytest.raises(GlassnetError, match="extra:huge|memory budget") as err:
        load_model(folder)
    assert "\n" not in str(err.value)


# -- 1(d): damaged parameter files are one line naming the file ---------------------------------

def _data_start(data: bytes, info: zipfile.ZipInfo) -> int:
    """Where ``info``'s data begins (the local header's own name and extra lengths)."""
    n_name, n_extra = struct.unpack_from("<HH", data, info.header_offset + 26)
    return info.header_offset + 30 + n_name + n_extra


def _corrupt_member(path: Path, member: str, at: int) -> None:
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(member)
    data[_data_start(data, info) + at] ^= 0xFF
    path.write_bytes(bytes(data))


def _deflated(folder: Path) -> Path:
    with np.load(folder / PARAMETERS_FILE) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez_compressed(folder / PARAMETERS_FILE, **arrays)
    return folder / PARAMETERS_FILE


@pytest.mark.parametrize("damage, match", [
    ("npy", "a single .npy array, not an .npz archive"),
    ("not-npy", "member 'notes.txt' is not a .npy array"),
    ("crc", "member 'W1' is damaged"),
    ("deflate", "member 'W1' is damaged"),
    ("encrypted", "member 'W1.npy' is encrypted"),
    ("truncated", "truncated or corrupt|is truncated|damaged"),
    ("cut-member", "damaged|truncated"),
    ("empty", "an empty file"),
])
def test_damaged_parameter_files_are_one_line(folder, damage, match, capsys):
    target = folder / PARAMETERS_FILE
    if damage == "npy":
        np.save(folder / "x.npy", np.zeros(3))
        (folder / "x.npy").replace(target)
    elif damage == "not-npy":
        _add_member(target, "notes.txt", b"hello")
    elif damage == "crc":
        _corrupt_member(target, "W1.npy", 140)  # in the data of a stored member
    elif damage == "deflate":
        _corrupt_member(_deflated(folder), "W1.npy", 3)
    elif damage == "encrypted":
        data = bytearray(target.read_bytes())
        at = data.find(b"PK\x01\x02")
        struct.pack_into("<H", data, at + 8, 1)
        target.write_bytes(bytes(data))
    elif damage == "truncated":
        target.write_bytes(target.read_bytes()[:-30])
    elif damage == "cut-member":
        info = zipfile.ZipFile(target).getinfo("W1.npy")
        data = target.read_bytes()
        start = _data_start(data, info)
        target.write_bytes(data[:start + 100] + data[start + info.compress_size:])
    elif damage == "empty":
        target.write_bytes(b"")
    line = assert_refused(folder, match)
    assert str(target) in line
    from glassnet.cli.main import main

    assert main(["info", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("glassnet: error: ") and "aborted" not in err[0]


def test_a_member_with_an_empty_name_is_refused(folder):
    """Found by the fuzz test: zipfile's ZipInfo.is_dir() raised IndexError on it."""
    with zipfile.ZipFile(folder / PARAMETERS_FILE, "a") as z:
        z.writestr(zipfile.ZipInfo(""), b"x")
    assert_refused(folder, "member '' is not a .npy array")


def test_load_npz_safely_reads_only_the_names_asked(tmp_path):
    np.savez(tmp_path / "t.npz", a=np.arange(3.0), b=np.ones(2))
    assert list(load_npz_safely(tmp_path / "t.npz", "trainer state", names=["b"])) == ["b"]
    (tmp_path / "t.npz").write_bytes(b"\x80\x04junk")
    with pytest.raises(ModelFileError, match="pickle"):
        load_npz_safely(tmp_path / "t.npz", "trainer state")


# -- 1(e): non-finite parameters ------------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("key", ["W2", "b1", "extra:input_std"])
def test_non_finite_arrays_are_refused_naming_the_array(folder, bad, key):
    with np.load(folder / PARAMETERS_FILE) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.setdefault(key, np.ones(4, np.float32))
    arrays[key] = arrays[key].copy()
    arrays[key].flat[0] = bad
    np.savez(folder / PARAMETERS_FILE, **arrays)
    assert_refused(folder, rf"{key} holds 1 NaN or infinite value\(s\)")


def test_read_architecture_checks_too(folder):
    arch = _arch(folder)
    arch["metadata"] = {"classes": 5}
    _write_arch(folder, arch)
    with pytest.raises(ModelFileError, match="metadata.classes"):
        read_architecture(folder)
