"""The MNIST IDX format: one array per file, optionally gzipped; images and labels paired."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy

from glassnet.data.records import DataError, Dataset, PathLike, _check_file, _finish

_IDX_DTYPES = {
    0x08: numpy.dtype(numpy.uint8),
    0x09: numpy.dtype(numpy.int8),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}


def _read_maybe_gzip(p: Path) -> bytes:
    with open(p, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{p}: corrupt gzip stream ({exc})") from None
    return raw


def load_idx(path: PathLike) -> numpy.ndarray:
    """One IDX file (MNIST's format), gzipped or not.

    Header: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, then each
    dimension as a big-endian uint32; then the data, big-endian, row-major.
    """
    p = _check_file(path)
    raw = _read_maybe_gzip(p)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{p}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    dtype = _IDX_DTYPES[raw[2]]
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{p}: IDX header truncated ({len(raw)} bytes for {ndim} dimensions)")
    dims = tuple(int(d) for d in numpy.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    count = int(numpy.prod(dims, dtype=numpy.int64)) if dims else 1
    expected = header + count * dtype.itemsize
    if len(raw) != expected:
        raise DataError(
            f"{p}: IDX size mismatch: header says {dims} of {dtype} ({expected} bytes), "
            f"file holds {len(raw)} bytes"
        )
    data = numpy.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="), copy=True)


def load_mnist(images_path: PathLike, labels_path: PathLike) -> Dataset:
    """MNIST-style IDX images ``(m, 28, 28)`` and labels ``(m,)``.

    Images come back as ``(m, n_H, n_W, 1)`` (channels last, as every image here).
    """
    x = load_idx(images_path)
    y = load_idx(labels_path)
    ip = Path(images_path)
    if x.ndim == 3:
        x = x[..., None]
    elif x.ndim != 4:
        raise DataError(f"{ip}: expected IDX images of 3 dimensions, got shape {x.shape}")
    if y.ndim != 1:
        raise DataError(f"{Path(labels_path)}: expected 1-D IDX labels, got shape {y.shape}")
    classes = None  # names for labels that are class indices 0..C-1 (not a count of 400M)
    if y.size and int(y.min()) >= 0 and int(y.max()) < 2 * len(numpy.unique(y)):
        classes = [str(c) for c in range(int(y.max()) + 1)]
    return _finish(x, y, classes, ip, f"labels {Path(labels_path).name}")


_IDX_NAME = re.compile(r"idx\d-ubyte(\.gz)?$")


def _is_idx_name(p: Path) -> bool:
    return bool(_IDX_NAME.search(p.name))


def _mnist_pair_in(folder: Path, split: str) -> tuple[Path, Path] | None:
    """``train-images-idx3-ubyte[.gz]`` + labels (``t10k-`` for the test split)."""
    prefixes = ("train",) if split == "train" else ("t10k", "test") if split == "test" else (split,)
    for prefix in prefixes:
        for gz in ("", ".gz"):
            imgs = folder / f"{prefix}-images-idx3-ubyte{gz}"
            labs = folder / f"{prefix}-labels-idx1-ubyte{gz}"
            if imgs.is_file() and labs.is_file():
                return imgs, labs
    return None


def _labels_beside(images: Path) -> Path:
    name = images.name.replace("images", "labels").replace("idx3", "idx1")
    return images.with_name(name)
