"""The MNIST IDX format: one array per file, optionally gzipped; images and labels paired."""

from __future__ import annotations

import gzip
import os
import re
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy

from glassnet.core.limits import check_size
from glassnet.data.records import (
    DataError,
    Dataset,
    PathLike,
    _check_class_count,
    _check_file,
    _finish,
)

_IDX_DTYPES = {
    0x08: numpy.dtype(numpy.uint8),
    0x09: numpy.dtype(numpy.int8),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}


#: bytes a gzip stream may inflate to beyond what its IDX header declares (trailing data)
_GZIP_SLACK = 0
#: deflate cannot inflate one byte to more than ~1032 bytes
_MAX_DEFLATE_RATIO = 1032


def _read_exact(fh: BinaryIO, n: int) -> bytes:
    out = fh.read(n)
    return out if isinstance(out, bytes) else b""


def _open_idx(p: Path) -> tuple[BinaryIO, bool]:
    """The file, or a bounded gzip reader of it; ``True`` when gzipped."""
    fh = open(p, "rb")  # noqa: SIM115 - closed by load_idx
    magic = fh.read(2)
    fh.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh, mode="rb"), True  # type: ignore[return-value]
    return fh, False


def load_idx(path: PathLike) -> numpy.ndarray:
    """One IDX file (MNIST's format), gzipped or not.

    Header: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, then each
    dimension as a big-endian uint32; then the data, big-endian, row-major.

    The header is read first: the size it declares is checked against the memory
    budget and the file's length (for a gzipped file, against what deflate can hold)
    before the data is read; a gzip stream is inflated only up to the declared size,
    and one that holds more, or less, is refused.
    """
    p = _check_file(path)
    file_size = os.path.getsize(p)
    try:
        fh, gzipped = _open_idx(p)
    except OSError as exc:
        raise DataError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    try:
        with fh:
            return _read_idx(fh, p, gzipped, file_size)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        if not gzipped:
            raise DataError(f"{p}: cannot read the file ({exc})") from None
        raise DataError(f"{p}: corrupt gzip stream ({exc})") from None


def _read_idx(fh: BinaryIO, p: Path, gzipped: bool, file_size: int) -> numpy.ndarray:
    raw = _read_exact(fh, 4)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{p}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    dtype = _IDX_DTYPES[raw[2]]
    ndim = raw[3]
    dim_bytes = _read_exact(fh, 4 * ndim)
    header = 4 + 4 * ndim
    if len(dim_bytes) < 4 * ndim:
        raise DataError(f"{p}: IDX header truncated ({4 + len(dim_bytes)} bytes for {ndim} "
                        "dimensions)")
    dims = tuple(int(d) for d in numpy.frombuffer(dim_bytes, dtype=">u4", count=ndim))
    count = 1
    for d in dims:
        count *= d
    nbytes = count * dtype.itemsize
    expected = header + nbytes
    shown = str(dims) if ndim <= 8 else f"{ndim} dimensions {dims[:4]}..."
    limit = file_size * _MAX_DEFLATE_RATIO if gzipped else file_size
    if expected > limit or (not gzipped and expected != file_size):
        raise DataError(
            f"{p}: IDX size mismatch: header says {shown} of {dtype} ({expected} bytes), "
            f"file holds {'at most ' + str(limit) if gzipped else file_size} bytes"
        )
    check_size(nbytes, f"{p}: IDX array of shape {shown} {dtype}")
    flat = numpy.empty(count, dtype=dtype)
    view = memoryview(flat).cast("B")
    got = 0
    while got < nbytes:
        n = fh.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    if got < nbytes or _read_exact(fh, 1 + _GZIP_SLACK):
        held = header + got if got < nbytes else f"more than {expected}"
        raise DataError(
            f"{p}: IDX size mismatch: header says {shown} of {dtype} ({expected} bytes), "
            f"the {'inflated stream' if gzipped else 'file'} holds {held} bytes"
        )
    return flat.reshape(dims).astype(dtype.newbyteorder("="), copy=False)


def load_mnist(images_path: PathLike, labels_path: PathLike) -> Dataset:
    """MNIST-style IDX images ``(m, 28, 28)`` and labels ``(m,)``.

    Images come back as ``(m, n_H, n_W, 1)`` (channels last, as every image here).
    """
    ip, lp = Path(images_path), Path(labels_path)
    y = load_idx(lp)  # the small file first: a damaged one fails before the images are read
    if y.ndim != 1:
        raise DataError(f"{lp}: expected 1-D IDX labels, got shape {y.shape}")
    classes = None
    if y.size and numpy.issubdtype(y.dtype, numpy.integer):
        _check_class_count(y, lp)
        classes = [str(c) for c in range(max(int(y.max()) + 1, 0))]
    x = load_idx(ip)
    if x.ndim == 3:
        x = x[..., None]
    elif x.ndim != 4:
        raise DataError(f"{ip}: expected IDX images of 3 dimensions, got shape {x.shape}")
    if x.shape[0] != y.shape[0]:
        raise DataError(f"{ip}: {x.shape[0]} images but {lp.name} holds {y.shape[0]} labels")
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
