"""Tests for glassnet.data: loaders, DataError cases, preprocessing, the course's datasets."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io
from PIL import Image

from glassnet.data import (
    DataError,
    Dataset,
    Standardizer,
    circles,
    digits,
    encode_labels,
    flatten_images,
    labels_to_row,
    load_csv,
    load_dataset,
    load_h5,
    load_idx,
    load_image_folder,
    load_mat,
    load_mnist,
    load_npz,
    load_train_test,
    moons,
    normalize_rows,
    one_hot,
    planar_flower,
    regularization_data,
    scale_pixels,
    shared_data_path,
    to_columns,
    train_dev_test_split,
)


def shared(name: str) -> Path:
    p = shared_data_path(name)
    if p is None:
        pytest.skip(f"shared data file {name} not available")
    return p


# -- small files written by the tests ------------------------------------------------------


def write_cat_h5(path: Path, m: int = 6, prefix: str = "train_set", with_test: bool = False):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(m, 4, 4, 3), dtype=np.uint8)
    y = (np.arange(m) % 2).astype(np.int64)
    with h5py.File(path, "w") as f:
        f[f"{prefix}_x"] = x
        f[f"{prefix}_y"] = y
        f["list_classes"] = np.array([b"non-cat", b"cat"])
        if with_test:
            f["test_set_x"] = x[:2]
            f["test_set_y"] = y[:2]
    return x, y


def write_idx(path: Path, arr: np.ndarray, code: int, compress: bool) -> None:
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    be = arr.astype(arr.dtype.newbyteorder(">"))
    raw = header + be.tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def write_png(path: Path, color: tuple[int, int, int], size=(10, 7), mode="RGB") -> None:
    im = Image.new("RGB", size, color)
    if mode != "RGB":
        im = im.convert(mode)
    im.save(path)


# -- HDF5 ----------------------------------------------------------------------------------


def test_h5_roundtrip(tmp_path):
    x, y = write_cat_h5(tmp_path / "train_cats.h5")
    ds = load_h5(tmp_path / "train_cats.h5")
    assert isinstance(ds, Dataset)
    assert ds.x.shape == (6, 4, 4, 3) and ds.x.dtype == np.uint8
    np.testing.assert_array_equal(ds.x, x)
    np.testing.assert_array_equal(ds.y, y)
    assert ds.classes == ["non-cat", "cat"]
    assert ds.source.endswith("train_cats.h5")
    assert len(ds) == ds.m == 6 and ds.n_classes == 2


def test_h5_both_splits_and_dispatch(tmp_path):
    x, y = write_cat_h5(tmp_path / "both.h5", with_test=True)
    train = load_dataset(tmp_path / "both.h5")
    test = load_dataset(tmp_path / "both.h5", split="test")
    assert train.m == 6 and test.m == 2
    tr, te = load_train_test(tmp_path / "both.h5")
    assert tr.m == 6 and te is not None and te.m == 2


def test_h5_single_test_file_and_sibling(tmp_path):
    write_cat_h5(tmp_path / "train_x.h5", m=6)
    write_cat_h5(tmp_path / "test_x.h5", m=3, prefix="test_set")
    # a file holding only a test set returns it for split="test" and the default split
    assert load_dataset(tmp_path / "test_x.h5", split="test").m == 3
    assert load_dataset(tmp_path / "test_x.h5").m == 3
    with pytest.raises(DataError, match="no 'test' split"):
        load_dataset(tmp_path / "train_x.h5", split="test")
    train, test = load_train_test(tmp_path / "train_x.h5")
    assert train.m == 6 and test is not None and test.m == 3
    assert test.source.endswith("test_x.h5")


def test_h5_real_cat_files():
    train, test = load_train_test(shared("train_catvnoncat.h5"))
    assert train.x.shape == (209, 64, 64, 3) and train.x.dtype == np.uint8
    assert train.y.shape == (209,) and int(train.y.sum()) == 72
    assert train.classes == ["non-cat", "cat"]
    assert test is not None and test.x.shape == (50, 64, 64, 3) and int(test.y.sum()) == 33
    X = scale_pixels(flatten_images(train.x))
    assert X.shape == (12288, 209) and X.dtype == np.float32 and float(X.max()) <= 1.0
    # the course's flattening: x.reshape(m, -1).T
    np.testing.assert_array_equal(flatten_images(train.x), train.x.reshape(209, -1).T)


# -- npz -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kx,ky", [("x", "y"), ("X", "Y"), ("train_x", "train_y")])
def test_npz_key_conventions(tmp_path, kx, ky):
    x = np.arange(24, dtype=np.float64).reshape(4, 6)
    y = np.array([0, 1, 2, 1])
    np.savez(tmp_path / "d.npz", **{kx: x, ky: y}, classes=np.array(["a", "b", "c"]))
    ds = load_npz(tmp_path / "d.npz")
    np.testing.assert_array_equal(ds.x, x)
    assert ds.y.dtype == np.int64 and ds.classes == ["a", "b", "c"]


def test_npz_train_test(tmp_path):
    rng = np.random.default_rng(1)
    np.savez(
        tmp_path / "tt.npz",
        train_x=rng.random((5, 3)),
        train_y=np.arange(5) % 2,
        test_x=rng.random((2, 3)),
        test_y=np.array([1, 0]),
    )
    train, test = load_train_test(tmp_path / "tt.npz")
    assert train.m == 5 and test is not None and test.m == 2
    assert load_dataset(tmp_path / "tt.npz", split="test").m == 2


def test_npz_single_set_has_no_test(tmp_path):
    np.savez(tmp_path / "one.npz", x=np.ones((3, 2)), y=np.array([0, 1, 0]))
    train, test = load_train_test(tmp_path / "one.npz")
    assert train.m == 3 and test is None


def test_npz_never_unpickles(tmp_path):
    obj = np.empty(2, dtype=object)
    obj[:] = [{"a": 1}, {"b": 2}]
    np.savez(tmp_path / "obj.npz", x=obj, y=np.array([0, 1]))
    with pytest.raises(DataError, match="obj.npz"):
        load_npz(tmp_path / "obj.npz")


def test_npz_real_signs():
    train, test = load_train_test(shared("signs_64x64_cs230.npz"))
    assert train.x.shape == (1080, 64, 64, 3) and train.y.shape == (1080,)
    np.testing.assert_array_equal(np.bincount(train.y), [180] * 6)
    assert test is not None and test.x.shape == (120, 64, 64, 3)
    Y = one_hot(train.y, 6)
    assert Y.shape == (6, 1080)
    np.testing.assert_array_equal(Y.sum(axis=0), 1)


# -- IDX / MNIST ---------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
def test_idx_and_mnist(tmp_path, compress):
    rng = np.random.default_rng(2)
    imgs = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    gz = ".gz" if compress else ""
    ip = tmp_path / f"train-images-idx3-ubyte{gz}"
    lp = tmp_path / f"train-labels-idx1-ubyte{gz}"
    write_idx(ip, imgs, 0x08, compress)
    write_idx(lp, labels, 0x08, compress)
    np.testing.assert_array_equal(load_idx(ip), imgs)
    ds = load_mnist(ip, lp)
    assert ds.x.shape == (5, 28, 28, 1) and ds.x.dtype == np.uint8
    np.testing.assert_array_equal(ds.y, labels)
    assert ds.classes == [str(i) for i in range(6)]
    # dispatch: the images file alone (labels found beside it), and the folder
    assert load_dataset(ip).m == 5
    assert load_dataset(tmp_path).m == 5


def test_idx_other_dtypes(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    write_idx(tmp_path / "f.idx", a, 0x0D, False)
    out = load_idx(tmp_path / "f.idx")
    assert out.dtype == np.float32 and out.dtype.isnative
    np.testing.assert_array_equal(out, a)
    b = np.array([-5, 300, 70000], dtype=np.int32)
    write_idx(tmp_path / "i.idx", b, 0x0C, True)
    np.testing.assert_array_equal(load_idx(tmp_path / "i.idx"), b)


def test_idx_errors(tmp_path):
    (tmp_path / "bad.idx").write_bytes(b"hello world")
    with pytest.raises(DataError, match="not an IDX file"):
        load_idx(tmp_path / "bad.idx")
    a = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "short.idx", a, 0x08, False)
    (tmp_path / "short.idx").write_bytes((tmp_path / "short.idx").read_bytes()[:-3])
    with pytest.raises(DataError, match="size mismatch"):
        load_idx(tmp_path / "short.idx")


# -- CSV -----------------------------------------------------------------------------------


def test_csv_without_header(tmp_path):
    (tmp_path / "d.csv").write_text("1,2,0\n3,4,1\n5,6.5,1\n")
    ds = load_csv(tmp_path / "d.csv")
    np.testing.assert_array_equal(ds.x, [[1, 2], [3, 4], [5, 6.5]])
    np.testing.assert_array_equal(ds.y, [0, 1, 1])
    assert ds.y.dtype == np.int64


def test_csv_with_header_and_named_label(tmp_path):
    (tmp_path / "d.csv").write_text("label,a,b\n1,0.5,2\n0,1.5,3\n")
    ds = load_dataset(tmp_path / "d.csv", label_column="label")
    np.testing.assert_array_equal(ds.x, [[0.5, 2], [1.5, 3]])
    np.testing.assert_array_equal(ds.y, [1, 0])
    ds0 = load_csv(tmp_path / "d.csv", label_column=0)
    np.testing.assert_array_equal(ds0.y, [1, 0])
    with pytest.raises(DataError, match="no column 'nope'"):
        load_csv(tmp_path / "d.csv", label_column="nope")


def test_csv_string_labels_and_regression_targets(tmp_path):
    (tmp_path / "s.csv").write_text("x1,x2,kind\n1,2,dog\n3,4,cat\n5,6,dog\n")
    ds = load_csv(tmp_path / "s.csv")
    assert ds.classes == ["cat", "dog"]
    np.testing.assert_array_equal(ds.y, [1, 0, 1])
    (tmp_path / "r.csv").write_text("1,2,0.5,1.5\n3,4,2.5,3.5\n")
    r = load_csv(tmp_path / "r.csv", label_column=[2, 3])
    assert r.x.shape == (2, 2) and r.y.shape == (2, 2)
    np.testing.assert_allclose(r.y, [[0.5, 1.5], [2.5, 3.5]])


def test_csv_errors(tmp_path):
    (tmp_path / "nan.csv").write_text("1,2,0\n3,,1\n")
    with pytest.raises(DataError, match="NaN"):
        load_csv(tmp_path / "nan.csv")
    (tmp_path / "text.csv").write_text("a,b,c\n1,two,0\n")
    with pytest.raises(DataError, match="non-numeric value 'two'"):
        load_csv(tmp_path / "text.csv")
    (tmp_path / "ragged.csv").write_text("1,2,0\n3,4\n")
    with pytest.raises(DataError, match="row 2 has 2 fields"):
        load_csv(tmp_path / "ragged.csv")
    (tmp_path / "hdr.csv").write_text("a,b,label\n")
    with pytest.raises(DataError, match="empty"):
        load_csv(tmp_path / "hdr.csv")


# -- image folders -------------------------------------------------------------------------


def test_image_folder(tmp_path):
    root = tmp_path / "imgs"
    (root / "dogs").mkdir(parents=True)
    (root / "cats").mkdir()
    write_png(root / "cats" / "a.png", (255, 0, 0))
    write_png(root / "cats" / "b.png", (250, 0, 0), mode="L")  # grayscale -> RGB
    write_png(root / "dogs" / "c.png", (0, 0, 255), mode="RGBA")
    (root / "dogs" / "notes.txt").write_text("not an image")
    ds = load_image_folder(root, size=(8, 6))
    assert ds.classes == ["cats", "dogs"]  # sorted by name
    assert ds.x.shape == (3, 8, 6, 3) and ds.x.dtype == np.uint8
    np.testing.assert_array_equal(ds.y, [0, 0, 1])
    assert tuple(ds.x[0, 0, 0]) == (255, 0, 0)
    assert tuple(ds.x[2, 4, 3]) == (0, 0, 255)
    g = ds.x[1, 0, 0]
    assert g[0] == g[1] == g[2]  # grayscale converted to RGB
    assert load_dataset(root).x.shape == (3, 7, 10, 3)  # their own size (all agree)


def test_image_folder_splits_and_errors(tmp_path):
    for split in ("train", "test"):
        for c in ("a", "b"):
            (tmp_path / split / c).mkdir(parents=True)
            write_png(tmp_path / split / c / "1.png", (1, 2, 3))
    train, test = load_train_test(tmp_path, size=(4, 4))
    assert train.m == 2 and test is not None and test.m == 2
    bad = tmp_path / "bad"
    (bad / "x").mkdir(parents=True)
    (bad / "x" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="broken.png"):
        load_image_folder(bad)
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    with pytest.raises(DataError, match="holds no images"):
        load_image_folder(tmp_path / "empty")
    with pytest.raises(DataError, match="no class sub-folders"):
        load_image_folder(tmp_path / "empty" / "cls")


# -- .mat ----------------------------------------------------------------------------------


def test_mat_roundtrip(tmp_path):
    rng = np.random.default_rng(3)
    scipy.io.savemat(
        tmp_path / "d.mat",
        {
            "X": rng.random((7, 2)),
            "y": (np.arange(7) % 2).reshape(7, 1).astype(np.uint8),
            "Xval": rng.random((3, 2)),
            "yval": np.array([[1], [0], [1]], dtype=np.uint8),
        },
    )
    train, test = load_train_test(tmp_path / "d.mat")
    assert train.x.shape == (7, 2) and train.y.shape == (7,) and train.y.dtype == np.int64
    assert test is not None and test.x.shape == (3, 2)
    tx, ty, vx, vy = regularization_data(tmp_path / "d.mat")
    assert tx.shape == (2, 7) and ty.shape == (1, 7) and vx.shape == (2, 3) and vy.shape == (1, 3)
    scipy.io.savemat(tmp_path / "k.mat", {"A": np.ones((2, 2))})
    with pytest.raises(DataError, match="keys present: \\['A'\\]"):
        load_mat(tmp_path / "k.mat")


def test_regularization_data_real():
    shared("data.mat")
    train_X, train_Y, test_X, test_Y = regularization_data()
    assert train_X.shape == (2, 211) and train_Y.shape == (1, 211)
    assert test_X.shape == (2, 200) and test_Y.shape == (1, 200)
    assert set(np.unique(train_Y)) == {0, 1}


# -- DataError cases -----------------------------------------------------------------------


def test_missing_file(tmp_path):
    for fn in (load_h5, load_npz, load_idx, load_csv, load_mat, load_dataset):
        with pytest.raises(DataError, match="nope"):
            fn(tmp_path / "nope.h5")
    with pytest.raises(DataError, match="no such folder"):
        load_image_folder(tmp_path / "nope")


def test_wrong_format(tmp_path):
    (tmp_path / "fake.h5").write_text("this is text, not HDF5")
    with pytest.raises(DataError, match="fake.h5: not an HDF5 file"):
        load_dataset(tmp_path / "fake.h5")
    (tmp_path / "fake.npz").write_text("text")
    with pytest.raises(DataError, match="fake.npz: a text file, not an .npz archive"):
        load_dataset(tmp_path / "fake.npz")
    (tmp_path / "fake.mat").write_text("text")
    with pytest.raises(DataError, match="fake.mat"):
        load_dataset(tmp_path / "fake.mat")
    (tmp_path / "data.xyz").write_text("1")
    with pytest.raises(DataError, match="unknown dataset format"):
        load_dataset(tmp_path / "data.xyz")


def test_missing_key_lists_keys(tmp_path):
    with h5py.File(tmp_path / "k.h5", "w") as f:
        f["images"] = np.zeros((2, 2))
        f["labels_only_y"] = np.zeros(2)
    with pytest.raises(DataError, match=r"keys present: \['images', 'labels_only_y'\]"):
        load_h5(tmp_path / "k.h5")
    np.savez(tmp_path / "k.npz", features=np.zeros((2, 2)))
    with pytest.raises(DataError, match=r"keys present: \['features'\]"):
        load_npz(tmp_path / "k.npz")


def test_empty_mismatch_nan(tmp_path):
    np.savez(tmp_path / "empty.npz", x=np.zeros((0, 3)), y=np.zeros(0))
    with pytest.raises(DataError, match="empty.npz.*empty dataset"):
        load_npz(tmp_path / "empty.npz")
    np.savez(tmp_path / "mm.npz", x=np.zeros((4, 3)), y=np.zeros(3))
    with pytest.raises(DataError, match="x has 4 examples but y has 3"):
        load_npz(tmp_path / "mm.npz")
    x = np.ones((3, 2))
    x[1, 1] = np.nan
    np.savez(tmp_path / "nan.npz", x=x, y=np.zeros(3))
    with pytest.raises(DataError, match="NaN/inf.*index \\(1, 1\\)"):
        load_npz(tmp_path / "nan.npz")
    with h5py.File(tmp_path / "inf.h5", "w") as f:
        f["train_set_x"] = np.array([[1.0, np.inf]])
        f["train_set_y"] = np.array([1])
    with pytest.raises(DataError, match="inf.h5"):
        load_h5(tmp_path / "inf.h5")
    assert issubclass(DataError, ValueError)


# -- preprocessing -------------------------------------------------------------------------


def test_normalize_rows_course_example():
    out = normalize_rows(np.array([[0, 3, 4], [1, 6, 4]]))
    np.testing.assert_allclose(
        out, [[0, 0.6, 0.8], [1 / np.sqrt(53), 6 / np.sqrt(53), 4 / np.sqrt(53)]]
    )
    out = normalize_rows(np.array([[3.0, 2, 4], [1, 8, 2]]))
    np.testing.assert_allclose(
        out,
        [[0.55708601, 0.37139068, 0.74278135], [0.12038585, 0.96308682, 0.24077171]],
        rtol=1e-7,
    )
    np.testing.assert_array_equal(normalize_rows(np.zeros((1, 3))), np.zeros((1, 3)))


def test_standardizer_reuses_train_stats():
    rng = np.random.default_rng(4)
    X_train = rng.normal(5.0, 3.0, size=(3, 500))
    X_train[2] = 7.0  # a constant feature: std 0 -> 1
    X_test = rng.normal(5.0, 3.0, size=(3, 40))
    s = Standardizer()
    Z = s.fit_transform(X_train)
    assert s.mean.shape == (3, 1) and s.std.shape == (3, 1)
    np.testing.assert_allclose(Z[:2].mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(Z[:2].std(axis=1), 1, atol=1e-12)
    np.testing.assert_array_equal(Z[2], 0)
    assert s.std[2, 0] == 1
    Zt = s.transform(X_test)
    np.testing.assert_allclose(Zt, (X_test - X_train.mean(1, keepdims=True)) / s.std)
    np.testing.assert_allclose(s.inverse_transform(Zt), X_test)
    s2 = Standardizer.from_arrays(s.to_arrays())
    np.testing.assert_array_equal(s2.transform(X_test), Zt)
    with pytest.raises(RuntimeError, match="not fitted"):
        Standardizer().transform(X_test)


def test_standardizer_per_channel_images():
    rng = np.random.default_rng(5)
    x = rng.random((10, 4, 4, 3)).astype(np.float32) * np.array([1, 10, 100], np.float32)
    s = Standardizer(axis=(0, 1, 2)).fit(x)
    assert s.mean.shape == (1, 1, 1, 3)
    z = s.transform(x)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=(0, 1, 2)), 0, atol=1e-5)


def test_layout_helpers():
    x = np.arange(2 * 3 * 2 * 1).reshape(2, 3, 2, 1)
    np.testing.assert_array_equal(flatten_images(x), x.reshape(2, -1).T)
    assert to_columns(np.zeros((5, 3))).shape == (3, 5)
    assert to_columns(x).shape == (6, 2)
    assert to_columns(np.arange(4)).shape == (1, 4)
    assert labels_to_row(np.array([[1], [0], [1]])).shape == (1, 3)
    px = scale_pixels(np.array([0, 51, 255], dtype=np.uint8))
    assert px.dtype == np.float32
    np.testing.assert_allclose(px, [0, 0.2, 1])


def test_one_hot_and_encode_labels():
    Y = one_hot(np.array([[1, 2, 3, 0, 2, 1]]), 4)
    expected = np.array(
        [[0, 0, 0, 1, 0, 0], [1, 0, 0, 0, 0, 1], [0, 1, 0, 0, 1, 0], [0, 0, 1, 0, 0, 0]]
    )
    np.testing.assert_array_equal(Y, expected)
    with pytest.raises(ValueError, match="0..2"):
        one_hot(np.array([0, 3]), 3)
    codes, classes = encode_labels(np.array(["dog", "cat", "emu", "cat"]))
    assert classes == ["cat", "dog", "emu"]
    np.testing.assert_array_equal(codes, [1, 0, 2, 0])
    np.testing.assert_array_equal(np.asarray(classes)[codes], ["dog", "cat", "emu", "cat"])


def test_split_sizes_and_seeding():
    x = np.arange(400 * 3).reshape(400, 3)
    y = np.arange(400)
    (xtr, ytr), (xd, yd), (xte, yte) = train_dev_test_split(x, y)
    assert (len(ytr), len(yd), len(yte)) == (240, 80, 80)
    # a partition of the examples, x rows still matching their labels
    np.testing.assert_array_equal(np.sort(np.concatenate([ytr, yd, yte])), y)
    np.testing.assert_array_equal(xtr[:, 0], ytr * 3)
    again = train_dev_test_split(x, y, seed=0)
    np.testing.assert_array_equal(again[0][1], ytr)
    other = train_dev_test_split(x, y, seed=1)
    assert not np.array_equal(other[0][1], ytr)
    # big data: 98/1/1
    big = np.zeros((200_000, 1), dtype=np.int8)
    parts = train_dev_test_split(big, np.zeros(200_000, dtype=np.int8))
    assert [p[0].shape[0] for p in parts] == [196_000, 2_000, 2_000]
    # course layout: examples on axis 1
    X = np.arange(2 * 10).reshape(2, 10)
    Y = np.arange(10).reshape(1, 10)
    (a, b), (c, d), (e, f) = train_dev_test_split(X, Y, fractions=(0.5, 0.3, 0.2), axis=1)
    assert a.shape == (2, 5) and b.shape == (1, 5) and c.shape == (2, 3) and e.shape == (2, 2)
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="summing to 1"):
        train_dev_test_split(x, y, fractions=(0.5, 0.5, 0.5))


# -- the course's datasets -----------------------------------------------------------------


def _course_planar() -> tuple[np.ndarray, np.ndarray]:
    """The course's generator, written against the global legacy RNG, as reference."""
    state = np.random.get_state()
    try:
        np.random.seed(1)
        N = 200
        X = np.zeros((400, 2))
        Y = np.zeros((400, 1), dtype="uint8")
        for j in range(2):
            t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
            r = 4 * np.sin(4 * t) + np.random.randn(N) * 0.2
            X[N * j : N * (j + 1)] = np.c_[r * np.sin(t), r * np.cos(t)]
            Y[N * j : N * (j + 1)] = j
    finally:
        np.random.set_state(state)
    return X.T, Y.T


def test_planar_flower():
    X, Y = planar_flower()
    assert X.shape == (2, 400) and Y.shape == (1, 400)
    assert int(Y.sum()) == 200 and set(np.unique(Y)) == {0, 1}
    Xr, Yr = _course_planar()
    np.testing.assert_array_equal(X, Xr)  # the course's draw order, number for number
    np.testing.assert_array_equal(Y, Yr)
    X2, _ = planar_flower()
    np.testing.assert_array_equal(X, X2)
    X3, _ = planar_flower(seed=2)
    assert not np.array_equal(X, X3)
    assert np.abs(X).max() < 5  # radius at most a = 4 plus noise
    # the global random state is left alone
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    planar_flower()
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_circles_and_moons_match_course_seeding():
    from sklearn.datasets import make_circles, make_moons

    train_X, train_Y, test_X, test_Y = circles()
    assert train_X.shape == (2, 300) and train_Y.shape == (1, 300)
    assert test_X.shape == (2, 100) and test_Y.shape == (1, 100)
    state = np.random.get_state()
    try:
        np.random.seed(1)
        rx, ry = make_circles(n_samples=300, noise=0.05)
        np.random.seed(2)
        tx, _ = make_circles(n_samples=100, noise=0.05)
        np.random.seed(3)
        mx, my = make_moons(n_samples=300, noise=0.2)
    finally:
        np.random.set_state(state)
    np.testing.assert_array_equal(train_X, rx.T)
    np.testing.assert_array_equal(train_Y[0], ry)
    np.testing.assert_array_equal(test_X, tx.T)
    X, Y = moons()
    assert X.shape == (2, 300) and Y.shape == (1, 300)
    np.testing.assert_array_equal(X, mx.T)
    np.testing.assert_array_equal(Y[0], my)


def test_digits():
    ds = digits()
    assert ds.x.shape == (1797, 8, 8, 1) and ds.y.shape == (1797,)
    assert ds.classes == [str(i) for i in range(10)]
    assert float(ds.x.min()) == 0.0 and float(ds.x.max()) == 16.0


def test_shared_data_path_env(tmp_path, monkeypatch):
    (tmp_path / "thing.txt").write_text("x")
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path))
    assert shared_data_path() == tmp_path
    assert shared_data_path("thing.txt") == tmp_path / "thing.txt"
    assert shared_data_path("missing.txt") is None
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "absent"))
    assert shared_data_path() is None
    with pytest.raises(DataError, match="data.mat"):
        regularization_data()
