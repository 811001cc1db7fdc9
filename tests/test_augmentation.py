"""Tests for glassnet.data.augmentation: shapes, seeding, flip and crop correctness."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from glassnet.data import Augmenter, color_shift, gaussian_noise, horizontal_flip, random_crop


@pytest.fixture
def batch() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.random((16, 9, 7, 3)).astype(np.float32)


def test_flip_correctness(batch):
    out = horizontal_flip(batch, np.random.default_rng(1), p=0.5)
    assert out.shape == batch.shape and out.dtype == batch.dtype
    flipped = np.array([np.array_equal(o, b[:, ::-1, :]) for o, b in zip(out, batch, strict=True)])
    kept = np.array([np.array_equal(o, b) for o, b in zip(out, batch, strict=True)])
    assert np.all(flipped ^ kept)  # every image is either mirrored or untouched
    assert 0 < flipped.sum() < len(batch)
    # the coins are exactly rng.random(m) < p
    coins = np.random.default_rng(1).random(16) < 0.5
    np.testing.assert_array_equal(flipped, coins)
    np.testing.assert_array_equal(horizontal_flip(batch, 0, p=1.0), batch[:, :, ::-1, :])
    np.testing.assert_array_equal(horizontal_flip(batch, 0, p=0.0), batch)


def test_crop_stays_within_padded_image(batch):
    pad = 3
    out = random_crop(batch, np.random.default_rng(2), padding=pad)
    assert out.shape == batch.shape and out.dtype == batch.dtype
    padded = np.pad(batch, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    m, H, W, C = batch.shape
    # all windows of size H x W of each padded image: (m, 2p+1, 2p+1, C, H, W)
    windows = sliding_window_view(padded, (H, W), axis=(1, 2))
    offsets = []
    for i in range(m):
        match = [
            (oy, ox)
            for oy in range(2 * pad + 1)
            for ox in range(2 * pad + 1)
            if np.array_equal(windows[i, oy, ox].transpose(1, 2, 0), out[i])
        ]
        assert match, f"example {i} is not a window of its padded image"
        offsets.append(match[0])
    # offsets vary across the batch and come from rng.integers as documented
    g = np.random.default_rng(2)
    oy = g.integers(0, 2 * pad + 1, size=m)
    ox = g.integers(0, 2 * pad + 1, size=m)
    assert offsets == list(zip(oy.tolist(), ox.tolist(), strict=True))
    assert len(set(offsets)) > 1
    # padding=0 is the identity
    np.testing.assert_array_equal(random_crop(batch, 0, padding=0), batch)


def test_crop_reflect_mode_has_no_zeros():
    x = np.full((4, 5, 5, 1), 7, dtype=np.uint8)
    out = random_crop(x, 3, padding=2, mode="reflect")
    assert np.all(out == 7)
    out0 = random_crop(x, 3, padding=2)
    assert out0.dtype == np.uint8 and set(np.unique(out0)) <= {0, 7}


def test_noise_and_color_shift(batch):
    n = gaussian_noise(batch, np.random.default_rng(3), std=0.1)
    assert n.shape == batch.shape and n.dtype == np.float32
    d = n - batch
    assert 0.08 < float(d.std()) < 0.12 and abs(float(d.mean())) < 0.02
    c = color_shift(batch, np.random.default_rng(4), max_shift=0.2)
    shift = c - batch  # constant over each image's pixels, per channel
    np.testing.assert_allclose(shift, np.broadcast_to(shift[:, :1, :1, :], shift.shape), atol=1e-6)
    assert np.all(np.abs(shift) <= 0.2 + 1e-6)
    assert np.unique(np.round(shift[:, 0, 0, :], 6)).size > 10
    np.testing.assert_array_equal(gaussian_noise(batch, 0, std=0), batch)


def test_uint8_images_keep_dtype_and_range():
    x = np.array([0, 128, 255], dtype=np.uint8).reshape(1, 1, 3, 1).repeat(8, axis=0)
    out = gaussian_noise(x, 0, std=30.0)
    assert out.dtype == np.uint8
    out = color_shift(x, 0, max_shift=100.0)
    assert out.dtype == np.uint8 and out.min() >= 0 and out.max() <= 255


def test_determinism_by_seed(batch):
    aug = Augmenter({"flip": True, "crop": 4, "noise": 0.01, "color_shift": 0.1})
    a = aug(batch, np.random.default_rng(7))
    b = aug(batch, np.random.default_rng(7))
    c = aug(batch, np.random.default_rng(8))
    assert a.shape == batch.shape and a.dtype == batch.dtype
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # one generator across batches gives a different draw each batch
    g = np.random.default_rng(7)
    first, second = aug(batch, g), aug(batch, g)
    np.testing.assert_array_equal(first, a)
    assert not np.array_equal(first, second)


def test_augmenter_config_roundtrip():
    cfg = {"flip": True, "crop": 4, "noise": 0.01, "color_shift": 0.1}
    aug = Augmenter(cfg)
    assert aug.config() == cfg
    assert Augmenter(aug.config()).config() == cfg
    assert Augmenter.from_config({"flip": 0.3}).config()["flip"] == 0.3
    assert Augmenter(crop=2).config() == {
        "flip": False,
        "crop": 2,
        "noise": 0.0,
        "color_shift": 0.0,
    }
    assert not Augmenter().active and aug.active
    x = np.ones((2, 3, 3, 1))
    np.testing.assert_array_equal(Augmenter()(x, 0), x)
    with pytest.raises(ValueError, match="unknown augmentation option"):
        Augmenter({"rotate": 10})
    with pytest.raises(ValueError, match="flip probability"):
        Augmenter({"flip": 2})


def test_rejects_non_image_input():
    with pytest.raises(ValueError, match=r"\(m, n_H, n_W, n_C\)"):
        horizontal_flip(np.zeros((3, 4)), 0)


def test_crop_fancy_index_path_matches_window_path(batch):
    """A namespace without sliding_window_view takes the fancy-indexing gather."""
    import types

    from glassnet.core import backend

    class NoWindows(types.ModuleType):
        def __getattr__(self, name):
            if name == "lib":
                raise AttributeError(name)
            return getattr(np, name)

    expected = random_crop(batch, 5, padding=3)
    backend.set_namespace(NoWindows("numpy_without_windows"))
    try:
        got = random_crop(batch, 5, padding=3)
    finally:
        backend.use("numpy")
    np.testing.assert_array_equal(got, expected)
