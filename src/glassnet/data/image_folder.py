"""Image folders (one sub-folder per class) and single images, read with Pillow.

Every image's header is read first (Pillow reads the size without decoding): a
decompression bomb (more pixels than ``PIL.Image.MAX_IMAGE_PIXELS``) is refused
there, the common size is found, and the whole stack ``m x H x W x C`` is checked
against the memory budget before one image is decoded.  Any failure of a file
becomes one :class:`DataError` naming it.

    >>> ds = load_image_folder("digits/", grayscale=True)       # doctest: +SKIP
    >>> ds.x.shape                                               # doctest: +SKIP
    (120, 28, 28, 1)
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.errors import GlassnetError
from glassnet.core.limits import check_size
from glassnet.data.records import IMAGE_EXTENSIONS, DataError, Dataset, PathLike, _finish

#: the size images of different sizes are resized to when none is asked for
DEFAULT_SIZE = (64, 64)


def _class_dirs(folder: Path) -> list[Path]:
    return sorted(
        (d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".")),
        key=lambda d: d.name,
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _open(path: Path) -> Any:
    """``PIL.Image.open(path)`` with bombs and unreadable files turned into DataError."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataError(f"{path}: refused as a decompression bomb ({exc})") from None
    except Exception as exc:  # Pillow raises many types on a damaged file
        raise DataError(f"{path}: not a readable image ({_reason(exc)})") from None
    w, h = im.size
    if w < 1 or h < 1:
        im.close()
        raise DataError(f"{path}: an image of {w}x{h} pixels")
    return im


def image_size_of(path: PathLike) -> tuple[int, int]:
    """``(n_H, n_W)`` of the image at ``path`` from its header (nothing decoded)."""
    return _header(Path(path))[:2]


def _header(p: Path) -> tuple[int, int, bool]:
    """``(n_H, n_W, grey)`` from the image's header."""
    with _open(p) as im:
        w, h = im.size
        grey = im.mode in ("1", "L", "LA", "I", "I;16", "F")
    return int(h), int(w), grey


def read_image(path: PathLike, size: tuple[int, int] | None = None,
               grayscale: bool = False) -> numpy.ndarray:
    """One image as uint8 ``(n_H, n_W, C)``: C = 1 when ``grayscale`` else 3 (RGB).

    ``size`` ``(n_H, n_W)`` resizes (bilinear); None keeps the image's own size.
    Bombs, damaged files and images over the memory budget raise DataError.
    """
    p = Path(path)
    im = _open(p)
    try:
        w, h = im.size
        check_size(w * h * 4, f"{p}: an image of {w}x{h} pixels")
        try:
            im.load()
            im = im.convert("L" if grayscale else "RGB")
            if size is not None and im.size != (int(size[1]), int(size[0])):
                from PIL import Image

                im = im.resize((int(size[1]), int(size[0])), Image.Resampling.BILINEAR)
            arr = numpy.asarray(im, dtype=numpy.uint8)
        except GlassnetError:
            raise
        except Exception as exc:  # truncated data, bad palettes, unsupported modes, ...
            raise DataError(f"{p}: not a readable image ({_reason(exc)})") from None
    finally:
        im.close()
    return arr[..., None] if arr.ndim == 2 else arr


def load_image_folder(path: PathLike, size: tuple[int, int] | None = None, *,
                      grayscale: bool = False) -> Dataset:
    """One sub-folder per class; images read with Pillow as RGB (or grey), resized.

    ``size`` ``(n_H, n_W)``; None: the images' own size when they all agree, else
    64x64 (a note says so).  Classes are the sub-folder names, sorted; ``x`` is
    uint8 ``(m, n_H, n_W, 3)``, or ``(m, n_H, n_W, 1)`` with ``grayscale``.
    """
    folder = Path(path)
    if not folder.exists():
        raise DataError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    dirs = _class_dirs(folder)
    if not dirs:
        raise DataError(f"{folder}: empty dataset (no class sub-folders)")
    files: list[Path] = []
    labels: list[int] = []
    for c, d in enumerate(dirs):
        found = sorted(
            f for f in d.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS
        )
        if not found:
            raise DataError(f"{folder}: class folder {d.name!r} holds no images")
        files += found
        labels += [c] * len(found)
    headers = [_header(f) for f in files]  # nothing decoded yet
    sizes = {(h, w) for h, w, _ in headers}
    channels = "grey" if grayscale else "RGB"
    if not grayscale and all(grey for _, _, grey in headers):
        channels += " (every image is grey: --grayscale reads one channel)"
    if size is not None:
        n_H, n_W = int(size[0]), int(size[1])
        how = f"resized to {n_H}x{n_W}" if sizes != {(n_H, n_W)} else f"of {n_H}x{n_W}"
    elif len(sizes) == 1:
        n_H, n_W = next(iter(sizes))
        how = f"of {n_H}x{n_W} (their own size)"
    else:
        n_H, n_W = DEFAULT_SIZE
        how = (f"of {len(sizes)} different sizes, all resized to {n_H}x{n_W} (choose with "
               "--image-size)")
    notes = [f"images: {len(files)} {how}, {channels}"]
    n_C = 1 if grayscale else 3
    check_size(len(files) * n_H * n_W * n_C,
               f"{folder}: {len(files)} images of {n_H}x{n_W}x{n_C}")
    x = numpy.empty((len(files), n_H, n_W, n_C), dtype=numpy.uint8)
    for i, f in enumerate(files):  # file IO, one image at a time
        x[i] = read_image(f, (n_H, n_W), grayscale)
    y = numpy.asarray(labels, dtype=numpy.int64)
    ds = _finish(x, y, [d.name for d in dirs], folder)
    ds.notes.extend(notes)
    return ds
