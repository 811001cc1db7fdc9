"""Loaders of the course's HDF5 files and ``.npz`` archives (CSV, image folders and ``.mat``
have their own modules, re-exported here).

Both check what the file declares before a byte of array data is allocated: the
shape x itemsize of each array wanted against the memory budget
(:func:`glassnet.core.limits.check_size`) and against what the file can hold; only
the arrays wanted (``x``, ``y``, ``classes``) are read.  Every failure of the file,
whatever the library underneath raises, becomes one :class:`DataError` naming it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from glassnet.core.errors import GlassnetError
from glassnet.core.limits import check_size
from glassnet.core.npz_reader import MAX_RATIO, RATIO_FREE_BYTES, npz_members, read_npz
from glassnet.data.csv_format import load_csv
from glassnet.data.image_folder import _class_dirs, load_image_folder
from glassnet.data.mat_format import load_mat
from glassnet.data.records import (
    DataError,
    Dataset,
    PathLike,
    _check_file,
    _classes_from,
    _finish,
    _no_split,
    _pairs,
    _pick,
)

__all__ = ["_class_dirs", "load_csv", "load_h5", "load_image_folder", "load_mat", "load_npz"]

#: what h5py / libhdf5 raise on a damaged file (turned into DataError)
_H5_ERRORS = (OSError, KeyError, ValueError, RuntimeError, TypeError, AttributeError,
              IndexError, OverflowError, MemoryError, SystemError, UnicodeDecodeError)


def _h5_dataset(f: Any, key: str, p: Path, numeric: bool) -> Any:
    """``f[key]`` as an h5py Dataset, after checking its link, storage and declared size."""
    import h5py

    link = f.get(key, getlink=True)
    if not isinstance(link, h5py.HardLink):
        raise DataError(f"{p}: {key!r} is a link to another place or file ({type(link).__name__}),"
                        " refused")
    ds = f[key]
    if not isinstance(ds, h5py.Dataset):
        raise DataError(f"{p}: {key!r} is a group, not a dataset")
    if ds.is_virtual or ds.external:
        raise DataError(f"{p}: {key!r} keeps its data in other files (virtual or external "
                        "storage), refused")
    dtype = ds.dtype
    if numeric and dtype.kind not in "biuf":
        raise DataError(f"{p}: {key!r} has non-numeric dtype {dtype}")
    shape = tuple(int(d) for d in (ds.shape or ()))
    count = 1
    for d in shape:
        count *= d
    nbytes = count * dtype.itemsize
    check_size(nbytes, f"{p}: dataset {key!r} of shape {shape} {dtype}")
    stored = int(ds.id.get_storage_size())
    size = os.path.getsize(p)
    if nbytes and stored == 0:
        raise DataError(f"{p}: dataset {key!r} declares shape {shape} but none of it was "
                        "ever written (no storage allocated)")
    if stored > size:
        raise DataError(f"{p}: dataset {key!r} claims {stored} bytes of storage, more than "
                        f"the file's {size} (truncated or damaged)")
    if ds.chunks is None and dtype.kind in "biuf" and stored < nbytes:
        raise DataError(f"{p}: dataset {key!r} declares {nbytes} bytes but stores {stored}")
    if nbytes > RATIO_FREE_BYTES and nbytes > MAX_RATIO * stored:
        raise DataError(f"{p}: dataset {key!r} inflates {stored} stored bytes to {nbytes} "
                        f"(ratio over {MAX_RATIO}): refused as a decompression bomb")
    return ds


def load_h5(path: PathLike, split: str | None = None) -> Dataset:
    """The course's HDF5 files: ``train_set_x``/``train_set_y`` (any ``*_x``/``*_y`` pair).

    ``list_classes`` (bytes) becomes ``classes`` (str).  ``split`` picks the pair
    whose prefix names it (``"test"`` -> ``test_set_x``); a file holding a single
    pair returns it for ``split`` None or ``"train"``.  Links to other files,
    virtual or external datasets, datasets declared but never written and
    declared sizes over the memory budget are refused before reading.
    """
    import h5py

    p = _check_file(path)
    try:
        f = h5py.File(p, "r")
    except _H5_ERRORS as exc:
        raise DataError(f"{p}: not an HDF5 file, or a damaged one ({_first_line(exc)})") from None
    try:
        with f:
            keys = [str(k) for k in f.keys()]
            pairs = _pairs(keys)
            picked = _pick(pairs, split, p, keys)
            if picked is None:
                raise _no_split(p, str(split), pairs)
            prefix, (kx, ky) = picked
            x = _h5_dataset(f, kx, p, numeric=True)[()]
            y = _h5_dataset(f, ky, p, numeric=True)[()]
            classes = None
            for ck in ("list_classes", "classes", f"{prefix}_classes"):
                if ck in f:
                    classes = _classes_from(_h5_dataset(f, ck, p, numeric=False)[()], p, ck)
                    break
    except GlassnetError:
        raise
    except _H5_ERRORS as exc:
        raise DataError(f"{p}: a damaged HDF5 file ({type(exc).__name__}: "
                        f"{_first_line(exc)})") from None
    return _finish(x, y, classes, p, f"{kx}/{ky}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def load_npz(path: PathLike, split: str | None = None) -> Dataset:
    """An ``.npz`` holding ``x``/``y``, ``X``/``Y``, or ``train_x``/``train_y`` (+ ``test_*``).

    Read with :func:`glassnet.core.npz_reader.read_npz`: no pickles (a file cannot
    run code), each member's declared size and compression ratio checked before it
    is inflated, and only ``x``, ``y`` and an optional ``classes`` array read.
    """
    p = _check_file(path)
    keys = npz_members(p, error=DataError, what="dataset")
    pairs = _pairs(keys)
    picked = _pick(pairs, split, p, keys)
    if picked is None:
        raise _no_split(p, str(split), pairs)
    prefix, (kx, ky) = picked
    ck = next((k for k in ("classes", f"{prefix}_classes", "list_classes") if k in keys), None)
    arrays = read_npz(p, [kx, ky] + ([ck] if ck else []), error=DataError, what="dataset")
    classes = _classes_from(arrays[ck], p, ck) if ck else None
    return _finish(arrays[kx], arrays[ky], classes, p, f"{kx}/{ky}")
