"""Regression tests of the dataset loaders on hostile and unusual files (issue 16 items 1-3,
7, 8; issue 15 items 1 and 8): every file is written here, small, and each must be refused
in one line naming it - before anything sized by it is allocated - or load as wanted."""

from __future__ import annotations

import base64
import gzip
import signal
import struct
import zipfile
import zlib

import h5py
import numpy as np
import pytest
from PIL import Image

from glassnet.core.errors import GlassnetError, MemoryBudgetError
from glassnet.core.limits import set_memory_budget
from glassnet.data import (
    DataError,
    load_csv,
    load_dataset,
    load_h5,
    load_idx,
    load_image_folder,
    load_mat,
    load_mnist,
    load_npz,
    mat_format,
    one_hot,
)
from glassnet.data.image_folder import read_image
from glassnet.project.config import RunConfig
from glassnet.project.config_checks import ConfigError
from glassnet.project.splits import load_splits


@pytest.fixture
def budget():
    """Set the memory budget for one test (and put it back)."""
    yield set_memory_budget
    set_memory_budget(None)


def idx_bytes(type_code: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    return struct.pack(f">BBBB{len(dims)}I", 0, 0, type_code, len(dims), *dims) + payload


def test_data_error_is_a_glassnet_error():
    assert issubclass(DataError, GlassnetError) and issubclass(DataError, ValueError)


# -- IDX ------------------------------------------------------------------------------------


def test_idx_label_of_400_million_builds_no_class_names(tmp_path):
    labels = tmp_path / "train-labels-idx1-ubyte"
    labels.write_bytes(idx_bytes(0x0C, (2,), struct.pack(">2i", 400_000_000, 3)))
    assert labels.stat().st_size == 16
    images = tmp_path / "train-images-idx3-ubyte"
    images.write_bytes(idx_bytes(0x08, (2, 28, 28), bytes(2 * 784)))
    with pytest.raises(DataError, match=r"label 400000000 would mean 400000001 classes, over"):
        load_mnist(images, labels)
    with pytest.raises(DataError, match="train-labels-idx1-ubyte"):
        load_dataset(images)


def test_idx_counts_checked_against_the_file_before_reading(tmp_path):
    p = tmp_path / "big-images-idx3-ubyte"
    p.write_bytes(idx_bytes(0x08, (60000, 28, 28), bytes(100)))
    with pytest.raises(DataError, match=r"IDX size mismatch.*\(60000, 28, 28\)"):
        load_idx(p)


def test_gzip_of_zeros_over_the_budget_is_refused_before_inflating(tmp_path, budget):
    budget("1M")
    p = tmp_path / "zeros-images-idx3-ubyte.gz"
    p.write_bytes(gzip.compress(idx_bytes(0x08, (4000, 28, 28), bytes(4000 * 784))))
    assert p.stat().st_size < 10_000
    with pytest.raises(MemoryBudgetError, match=r"zeros-images-idx3-ubyte.gz.*over the memory "
                       r"budget of 1.0 MiB \(raise it with --max-memory or GLASSNET_MAX_MEMORY"):
        load_idx(p)


def test_gzip_inflating_past_its_declared_size_is_refused(tmp_path):
    p = tmp_path / "long-images-idx3-ubyte.gz"
    p.write_bytes(gzip.compress(idx_bytes(0x08, (2, 28, 28), bytes(8 * 2**20))))
    with pytest.raises(DataError, match="inflated stream holds more than 1584 bytes"):
        load_idx(p)
    q = tmp_path / "huge-images-idx3-ubyte.gz"  # more than deflate could hold in the file
    q.write_bytes(gzip.compress(idx_bytes(0x08, (2**31, 28, 28), bytes(100))))
    with pytest.raises(DataError, match="IDX size mismatch"):
        load_idx(q)


def test_corrupt_gzip_is_one_data_error(tmp_path):
    good = gzip.compress(idx_bytes(0x08, (3, 4), bytes(range(12))))
    p = tmp_path / "bad-images-idx3-ubyte.gz"
    p.write_bytes(good[:12] + bytes([good[12] ^ 0xFF]) + good[13:])
    with pytest.raises(DataError, match="bad-images-idx3-ubyte.gz: corrupt gzip stream"):
        load_idx(p)
    p.write_bytes(good[:-4] + b"\0\0\0\0")  # wrong length in the trailer
    with pytest.raises(DataError, match="corrupt gzip stream"):
        load_idx(p)
    p.write_bytes(good)
    np.testing.assert_array_equal(load_idx(p), np.arange(12).reshape(3, 4))


def test_one_hot_does_not_build_an_identity_of_c_by_c(budget):
    budget("1M")
    with pytest.raises(MemoryBudgetError, match="one-hot labels"):
        one_hot(np.array([0, 3]), 400_000_000)
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 1], [0, 0], [1, 0]])


# -- HDF5 -----------------------------------------------------------------------------------


def test_h5_declared_but_never_written_is_refused(tmp_path):
    p = tmp_path / "train_empty.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("train_set_x", shape=(200_000, 64, 64, 3), dtype="u1")
        f["train_set_y"] = np.zeros(200_000, dtype="i8")
    assert p.stat().st_size < 2_000_000
    with pytest.raises(DataError, match=r"'train_set_x' declares shape \(200000, 64, 64, 3\) "
                       "but none of it was ever written"):
        load_h5(p)


def test_h5_shape_over_the_budget_and_links_refused(tmp_path, budget):
    p = tmp_path / "d.h5"
    with h5py.File(p, "w") as f:
        f["x"] = np.zeros((300, 1000))
        f["y"] = np.zeros(300)
    budget("1M")
    with pytest.raises(MemoryBudgetError, match=r"d.h5: dataset 'x' of shape \(300, 1000\)"):
        load_h5(p)
    budget(None)
    q = tmp_path / "link.h5"
    with h5py.File(q, "w") as f:
        f["x"] = h5py.ExternalLink(str(p), "/x")
        f["y"] = np.zeros(300)
    with pytest.raises(DataError, match="'x' is a link to another place or file"):
        load_h5(q)


def test_h5_damage_and_bad_classes_are_data_errors(tmp_path):
    p = tmp_path / "c.h5"
    with h5py.File(p, "w") as f:
        f["x"] = np.zeros((2, 3))
        f["y"] = np.array([0, 1])
        f["list_classes"] = np.array([[b"a", b"b"], [b"c", b"d"]])
    with pytest.raises(DataError, match=r"list_classes must be a 1-D list of names"):
        load_h5(p)
    data = bytearray(p.read_bytes())
    data[len(data) // 3: len(data) // 3 + 64] = b"\xff" * 64
    p.write_bytes(bytes(data))
    with pytest.raises(DataError, match="c.h5"):
        load_h5(p)


# -- npz ------------------------------------------------------------------------------------


def test_npz_reads_only_the_members_it_needs(tmp_path, budget):
    p = tmp_path / "extra.npz"
    np.savez_compressed(p, x=np.ones((4, 2)), y=np.array([0, 1, 0, 1]),
                        junk=np.zeros(32 * 2**20, dtype=np.uint8))
    budget("4M")
    ds = load_npz(p)
    assert ds.x.shape == (4, 2)
    q = tmp_path / "bomb.npz"
    np.savez_compressed(q, x=np.zeros(32 * 2**20, dtype=np.uint8), y=np.zeros(1))
    with pytest.raises(MemoryBudgetError, match="bomb.npz: member 'x'"):
        load_npz(q)


def test_npz_that_is_text_or_hdf5_says_so_not_pickled(tmp_path):
    (tmp_path / "t.npz").write_text("x,y\n1,2\n")
    with pytest.raises(DataError, match="t.npz: a text file, not an .npz archive") as e:
        load_dataset(tmp_path / "t.npz")
    assert "pickle" not in str(e.value)
    with h5py.File(tmp_path / "h.npz", "w") as f:
        f["x"] = np.zeros(2)
    with pytest.raises(DataError, match="h.npz: an HDF5 file, not an .npz archive"):
        load_dataset(tmp_path / "h.npz")
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as z:
        z.writestr("x.npy", b"garbage")
    with pytest.raises(DataError, match="z.npz"):
        load_npz(tmp_path / "z.npz")


@pytest.mark.parametrize("classes", [np.array("abc"), np.array([["a", "b"], ["c", "d"]]),
                                     np.array([1 + 2j, 3j])])
def test_classes_that_are_not_a_list_of_names(tmp_path, classes):
    p = tmp_path / "c.npz"
    np.savez(p, x=np.zeros((2, 2)), y=np.array([0, 1]), classes=classes)
    with pytest.raises(DataError, match="c.npz: classes"):
        load_npz(p)


# -- MAT ------------------------------------------------------------------------------------

# a 592-byte fuzzed v5 file that makes scipy.io.loadmat segfault (scipy 1.17), zlib+base64
SEGFAULTING_MAT = (
    "eNrzdQzx8XVSMNUzUPB1DNFNy8xJVQjISSxJyy/KtVIoyC/OrNBRcC5KTSxJTVHIz7NSCMkoVXBJTVZQMFYwsLQyNL"
    "EyNVUwMjAyYyADMHr68gGpCUDMBsQcUBoEWJH4TCClQBgBpDmBOAGIl55/+rnP8o/96pNKQZcC39vfst1Y0/Lwr/3L"
    "qUaX5dPf2UduOfGjJ2fX/rcPV/GyFhyyD95x5pfOnJv2foaPMyPfMjo09Sx1uuP6fr9Zy2XPNfGH96dppn+wc79l/7"
    "31r/cWl+/2fFB78LmLEequSqi7DOAe+2CPSuMCH8D2FOCxhwXufxaGiLLEHM4+BgYHIP90qVKoY8Yde+uZvqX7n39X"
    "bZnIKOvLecXeymrDm9YclgNPpj6d8Drqqv22rA0OC5xO7f/QWjftQMhroD/zuwtfPQHbG0DAXkaovZUge4FsBZz+Q9"
    "AAG2h9EA=="
)


def test_mat_that_crashes_scipy_is_one_data_error(tmp_path):
    p = tmp_path / "crash.mat"
    p.write_bytes(zlib.decompress(base64.b64decode(SEGFAULTING_MAT)))
    with pytest.raises(DataError, match="crash.mat"):
        load_mat(p)


def _die(path, split, out_dir):
    import faulthandler
    import os

    faulthandler.disable()
    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_dying_mat_reader_costs_one_line(tmp_path, monkeypatch):
    import scipy.io

    p = tmp_path / "ok.mat"
    scipy.io.savemat(p, {"X": np.ones((3, 2)), "y": np.zeros((3, 1))})
    assert load_mat(p).x.shape == (3, 2)
    monkeypatch.setattr(mat_format, "_child_read", _die)
    with pytest.raises(DataError, match=r"ok.mat: scipy's MAT reader crashed on this file "
                       r"\(killed by signal 11\)"):
        load_mat(p)


def test_mat_v4_header_declaring_a_huge_matrix(tmp_path, budget):
    p = tmp_path / "v4.mat"
    p.write_bytes(struct.pack("<5i", 0, 100_000, 100_000, 0, 2) + b"X\0" + bytes(16))
    with pytest.raises(GlassnetError, match=r"v4.mat: MAT v4 matrix (of|at byte 0 declares) "
                       "100000x100000"):
        load_mat(p)
    p.write_bytes(struct.pack("<5i", 0, 1000, 1000, 0, 2) + b"X\0" + bytes(16))
    with pytest.raises(DataError, match=r"declares 1000x1000 \(8000000 bytes\) but the file "
                       "has 16 left"):
        load_mat(p)


def test_mat_v73_and_text_are_named(tmp_path):
    head = b"MATLAB 7.3 MAT-file".ljust(116) + bytes(8) + b"\x00\x02IM"
    (tmp_path / "n.mat").write_bytes(head + b"\x89HDF\r\n\x1a\n")
    with pytest.raises(DataError, match="n.mat: a MATLAB v7.3 file"):
        load_mat(tmp_path / "n.mat")


# -- CSV ------------------------------------------------------------------------------------


def test_csv_field_over_the_csv_module_limit(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text('a,b\n1,"' + "x" * 200_000 + '"\n')
    with pytest.raises(DataError, match="long.csv: not a readable CSV file .a field longer than"):
        load_csv(p)
    p.write_text("a,b\n1," + "9" * 100_000 + "x\n")  # under the limit: named, not copied
    with pytest.raises(DataError, match=r"non-numeric label|non-numeric value") as e:
        load_csv(p, label_column=0)
    assert len(str(e.value)) < 300


def test_csv_not_utf8_and_nul(tmp_path):
    p = tmp_path / "bin.csv"
    p.write_bytes(b"a,b\n1,\xff\xfe\n")
    with pytest.raises(DataError, match="bin.csv: not a text CSV file"):
        load_csv(p)
    p.write_bytes(b"a,b\n\x001,2\n")
    with pytest.raises(DataError, match="bin.csv"):
        load_csv(p)


def test_float_targets_too_big_for_int64_stay_float(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("a,t\n1,1e30\n2,-3e20\n3,4\n")
    y = load_csv(p).y
    assert y.dtype == np.float64 and y[0] == 1e30 and y[1] == -3e20
    p.write_text("a,t\n1,3\n2,-4.0\n3,9007199254740991\n")
    y = load_csv(p).y
    assert y.dtype == np.int64 and list(y) == [3, -4, 2**53 - 1]


def _bc_like(path, n=40):
    rs = np.random.RandomState(0)
    rows = ["diagnosis,radius,texture,area"]
    for i in range(n):
        d = "M" if i % 3 == 0 else "B"
        rows.append(f"{d},{rs.rand() * 20:.3f},{rs.rand() * 30:.3f},{rs.rand() * 900:.1f}")
    path.write_text("\n".join(rows) + "\n")


def test_label_first_csv_with_label_flag(tmp_path):
    p = tmp_path / "bc_label_first.csv"
    _bc_like(p)
    splits = load_splits(RunConfig.from_dict({"data": str(p), "label": "diagnosis"}))
    assert splits.train[0].shape[1] == 3 and splits.classes == ["B", "M"]
    assert "label: column 'diagnosis' (1 of 4), 2 classes (B, M); 3 feature columns" \
        in splits.notes
    by_index = load_csv(p, label_column=0, features=["area", 1])
    np.testing.assert_array_equal(by_index.x[:, 1], load_csv(p, label_column=0).x[:, 0])
    assert by_index.notes == ["label: column 'diagnosis' (1 of 4), 2 classes (B, M); "
                              "2 feature columns"]
    with pytest.raises(DataError, match="column 'diagnosis' is both a feature and the label"):
        load_csv(p, label_column=0, features=["diagnosis"])
    with pytest.raises(DataError, match="no column 'nope'"):
        load_csv(p, label_column=0, features=["nope"])


def test_label_and_features_flags_refused_for_other_formats(tmp_path):
    p = tmp_path / "d.h5"
    with h5py.File(p, "w") as f:
        f["x"], f["y"] = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    for key, value in (("label", "0"), ("features", "1,2"), ("grayscale", True)):
        with pytest.raises(ConfigError, match=rf"^{key} applies to (CSV files|image folders) "
                           "only, not to .*d.h5 \\(HDF5\\)") as e:
            load_splits(RunConfig.from_dict({"data": str(p), key: value}))
        assert e.value.field == key
    with pytest.raises(DataError, match="the option label_column= applies to csv data"):
        load_dataset(p, label_column=0)


@pytest.mark.parametrize("text, header", [
    ("1,2,3,label\n0.5,1,2,0\n1.5,2,3,1\n", True),       # numeric-looking names
    ("5.1,3.5,setosa\n4.9,3.0,setosa\n6.2,2.9,virginica\n", False),  # text labels, no header
    ("f1,f2,kind\n1,2,cat\n3,4,dog\n5,6,cat\n", True),
    ("x,y,kind\ncat,dog,cat\n", False),  # text everywhere: data, and then refused
])
def test_header_detection(tmp_path, text, header):
    p = tmp_path / "h.csv"
    p.write_text(text)
    try:
        ds = load_csv(p)
    except DataError as exc:
        assert not header and "non-numeric value" in str(exc)
        return
    n_rows = text.count("\n") - (1 if header else 0)
    assert ds.m == n_rows and (("no header row" in ds.notes[0]) != header)


# -- image folders --------------------------------------------------------------------------


def test_decompression_bomb_is_a_data_error(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    root = tmp_path / "imgs"
    (root / "a").mkdir(parents=True)
    Image.new("L", (15, 10)).save(root / "a" / "warn.png")  # over the limit: a warning
    with pytest.raises(DataError, match=r"warn.png: refused as a decompression bomb"):
        load_image_folder(root)
    Image.new("L", (30, 30)).save(root / "a" / "bomb.png")  # over twice the limit: an error
    with pytest.raises(DataError, match=r"bomb.png: refused as a decompression bomb"):
        read_image(root / "a" / "bomb.png")


def _digits_folder(root, sizes=((28, 28),)):
    rs = np.random.RandomState(0)
    for c in ("0", "1"):
        (root / c).mkdir(parents=True)
        for i in range(3):
            h, w = sizes[i % len(sizes)]
            Image.fromarray(rs.randint(0, 256, (h, w)).astype(np.uint8), "L").save(
                root / c / f"{i}.png")


def test_grey_digits_folder_keeps_its_size(tmp_path):
    root = tmp_path / "digits"
    _digits_folder(root)
    splits = load_splits(RunConfig.from_dict({"data": str(root), "grayscale": True,
                                              "test_fraction": 0}))
    x = splits.train[0]
    assert x.shape[1:] == (28, 28, 1) and int(np.prod(x.shape[1:])) == 784
    assert "images: 6 of 28x28 (their own size), grey" in splits.notes
    ds = load_dataset(root, size=(14, 12))
    assert ds.x.shape == (6, 14, 12, 3)
    assert ds.notes == ["images: 6 resized to 14x12, RGB (every image is grey: --grayscale "
                        "reads one channel)"]
    mixed = tmp_path / "mixed"
    _digits_folder(mixed, sizes=((28, 28), (30, 20)))
    ds = load_image_folder(mixed, grayscale=True)
    assert ds.x.shape == (6, 64, 64, 1)
    assert ds.notes == ["images: 6 of 2 different sizes, all resized to 64x64 (choose with "
                        "--image-size), grey"]


def test_image_stack_checked_against_the_budget_first(tmp_path, budget):
    root = tmp_path / "digits"
    _digits_folder(root)
    budget("4K")
    with pytest.raises(MemoryBudgetError, match=r"digits: 6 images of 28x28x3"):
        load_image_folder(root)
