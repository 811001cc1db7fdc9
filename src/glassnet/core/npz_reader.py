"""A reader of ``.npz`` archives that cannot run code, inflate a bomb or crash on a bad file.

``numpy.load`` trusts the archive: it inflates whatever a member declares and lets
``zipfile``, ``zlib`` and the ``.npy`` parser raise their own exceptions.  Here, before a
byte of array data is allocated:

1. the file is identified by its first bytes (a lone ``.npy``, HDF5, text: said so);
2. the zip directory is read; each member must be a plain ``.npy`` (no encryption, stored
   or deflated), its declared size within the memory budget
   (:func:`glassnet.core.limits.check_size`) and, for large members, its compression ratio
   plausible (deflate of real data rarely exceeds ``MAX_RATIO``; zeros reach ~1000);
3. each wanted member's ``.npy`` header is parsed first: no object dtype (pickles), and
   shape x itemsize must match the declared size;

and only then is the array read, with CRC, deflate and truncation errors turned into one
line naming the file and the member.  Only the members asked for are read.

    >>> arrays = read_npz("parameters.npz", names=["W1", "b1"])      # doctest: +SKIP
    >>> names = npz_members("parameters.npz")                         # doctest: +SKIP
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy
from numpy.lib import format as npy_format

from glassnet.core.errors import GlassnetError, ModelFileError
from glassnet.core.limits import check_size

#: uncompressed / compressed size above which a large member is taken for a bomb
MAX_RATIO = 200
#: members up to this size are never refused for their ratio (small sparse arrays compress well)
RATIO_FREE_BYTES = 16 * 2**20

_MAGIC = {
    b"\x93NUMPY": "a single .npy array, not an .npz archive of named arrays",
    b"\x89HDF\r\n": "an HDF5 file, not an .npz archive",
    b"\x1f\x8b": "a gzip file, not an .npz archive",
    b"\x80": "a Python pickle, refused (it could run code on loading)",
}


def _identify(path: Path, head: bytes) -> str | None:
    """Why ``head`` (the file's first bytes) is not a zip archive, or None if it may be one."""
    if head.startswith(b"PK"):
        return None
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return what
    if not head:
        return "an empty file, not an .npz archive"
    try:
        head.decode("utf-8")
        return "a text file, not an .npz archive"
    except UnicodeDecodeError:
        return "not an .npz archive (no zip signature)"


#: what zipfile, zlib and the .npy parser raise on a damaged archive or member (fuzzing
#: found IndexError and struct.error from zipfile's parsing of a damaged directory)
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError,
           RuntimeError, LookupError, SyntaxError, TypeError, OverflowError, MemoryError,
           struct.error, AttributeError)


class _Archive:
    """An opened, checked archive: ``members`` maps array name -> ZipInfo."""

    def __init__(self, path: Path, error: type[GlassnetError], what: str) -> None:
        self.path, self.error, self.what = path, error, what
        if not path.is_file():
            raise error(f"{path}: {what} not found")
        try:
            with open(path, "rb") as fh:
                head = fh.read(8)
        except OSError as exc:
            raise error(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
        why = _identify(path, head)
        if why is not None:
            raise error(f"{path}: {why}")
        try:
            self.zip = zipfile.ZipFile(path)
        except (*_DAMAGE, zipfile.LargeZipFile) as exc:
            raise error(f"{path}: a damaged (truncated or corrupt) zip archive, not a readable "
                        f"{what} ({exc})") from None
        self.members: dict[str, zipfile.ZipInfo] = {}
        size = os.path.getsize(path)
        for info in self.zip.infolist():
            name = info.filename
            if name.endswith("/"):  # a folder entry (ZipInfo.is_dir fails on an empty name)
                continue
            if not name.endswith(".npy"):
                self.close()
                raise error(f"{path}: member {name!r} is not a .npy array")
            if info.flag_bits & 0x1:
                self.close()
                raise error(f"{path}: member {name!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                self.close()
                raise error(f"{path}: member {name!r} uses an unsupported compression "
                            f"(method {info.compress_type}); save with numpy.savez")
            if info.compress_size > size:
                self.close()
                raise error(f"{path}: member {name!r} declares {info.compress_size} bytes, more "
                            f"than the file's {size} (truncated?)")
            self.members[name[:-4]] = info

    def close(self) -> None:
        self.zip.close()

    def _header(self, fh, name: str) -> tuple[tuple[int, ...], bool, numpy.dtype, int]:
        """(shape, fortran order, dtype, nbytes) of member ``name`` from its ``.npy`` header,
        checked against the member's declared size; ``fh`` is left at the array data."""
        p, error, info = self.path, self.error, self.members[name]
        version = npy_format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = npy_format.read_array_header_2_0(fh)
        else:  # pragma: no cover - read_magic refuses unknown versions
            raise ValueError(f"unsupported .npy version {version}")
        if dtype.hasobject:
            raise error(f"{p}: member {name!r} holds Python objects (pickled data), "
                        "refused: loading it could run code")
        if any(int(d) < 0 for d in shape):
            raise error(f"{p}: member {name!r} declares a negative shape {shape}")
        count = 1
        for d in shape:
            count *= int(d)
        nbytes = count * dtype.itemsize
        if nbytes > info.file_size:
            raise error(f"{p}: member {name!r} declares shape {shape} {dtype} "
                        f"({nbytes} bytes) but holds {info.file_size} bytes")
        return tuple(int(d) for d in shape), bool(fortran), dtype, nbytes

    def _damaged(self, name: str, exc: BaseException) -> GlassnetError:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return self.error(f"{self.path}: member {name!r} is damaged ({reason})")

    def shape(self, name: str) -> tuple[tuple[int, ...], numpy.dtype]:
        """(shape, dtype) of member ``name`` from its header alone (no array data is read),
        after the checks of its declared size that :meth:`read` makes."""
        self._check_declared(name)
        try:
            with self.zip.open(self.members[name]) as fh:
                shape, _, dtype, _ = self._header(fh, name)
        except GlassnetError:
            raise
        except _DAMAGE as exc:
            raise self._damaged(name, exc) from None
        return shape, dtype

    def _check_declared(self, name: str) -> None:
        """Refuse member ``name`` if its declared size is over the budget or its
        compression ratio is a bomb's (from the zip directory: nothing is inflated)."""
        info, p = self.members[name], self.path
        check_size(info.file_size, f"{p}: member {name!r}")
        if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(
                info.compress_size, 1):
            raise self.error(f"{p}: member {name!r} inflates {info.compress_size} bytes to "
                             f"{info.file_size} (ratio over {MAX_RATIO}): refused as a "
                             "decompression bomb")

    def read(self, name: str) -> numpy.ndarray:
        """The array of member ``name``, checked before it is allocated."""
        info = self.members[name]
        p, error = self.path, self.error
        self._check_declared(name)
        try:
            with self.zip.open(info) as fh:
                shape, fortran, dtype, nbytes = self._header(fh, name)
                check_size(nbytes, f"{p}: member {name!r} of shape {shape}")
                count = 1
                for d in shape:
                    count *= d
                flat = numpy.empty(count, dtype=dtype)
                got = fh.readinto(memoryview(flat).cast("B")) if nbytes else 0
                if got != nbytes:
                    raise error(f"{p}: member {name!r} is truncated ({got} of {nbytes} bytes)")
                fh.read()  # to the end: zipfile checks the CRC there
                return flat.reshape(shape, order="F" if fortran else "C")
        except GlassnetError:
            raise
        except _DAMAGE as exc:
            raise self._damaged(name, exc) from None


def npz_members(path: str | os.PathLike, *, error: type[GlassnetError] = ModelFileError,
                what: str = "file") -> list[str]:
    """The array names of an ``.npz`` archive (its directory only; nothing is inflated)."""
    archive = _Archive(Path(path), error, what)
    try:
        return list(archive.members)
    finally:
        archive.close()


def _each(path: str | os.PathLike, names: Iterable[str] | None,
          error: type[GlassnetError], what: str, fn: Callable[[_Archive, str], Any]
          ) -> dict[str, Any]:
    """``{name: fn(archive, name)}`` for the members ``names`` (default: all); a missing
    name raises ``error`` naming the members present."""
    archive = _Archive(Path(path), error, what)
    try:
        wanted = list(archive.members) if names is None else list(names)
        missing = [n for n in wanted if n not in archive.members]
        if missing:
            raise error(f"{path}: no array {missing[0]!r} in the {what} "
                        f"(arrays present: {sorted(archive.members)})")
        return {n: fn(archive, n) for n in wanted}
    finally:
        archive.close()


def read_npz(path: str | os.PathLike, names: Iterable[str] | None = None, *,
             error: type[GlassnetError] = ModelFileError,
             what: str = "file") -> dict[str, numpy.ndarray]:
    """The arrays ``names`` (default: all) of an ``.npz`` archive, each checked before it is
    read; a missing name raises ``error`` naming the members present.

    ``error``: the GlassnetError subclass raised (a loader passes DataError); ``what``
    names the file in messages ("parameter file").
    """
    return _each(path, names, error, what, _Archive.read)


def npz_shapes(path: str | os.PathLike, names: Iterable[str] | None = None, *,
               error: type[GlassnetError] = ModelFileError,
               what: str = "file") -> dict[str, tuple[tuple[int, ...], numpy.dtype]]:
    """``{name: (shape, dtype)}`` of the members ``names`` (default: all), from the zip
    directory and each member's ``.npy`` header only: no array data is inflated, so a
    caller can compare the shapes it expects (and their total size) before reading.  Each
    member's declared size is checked as :func:`read_npz` checks it (memory budget,
    compression ratio), so the shapes given are ones the file can really hold."""
    return _each(path, names, error, what, _Archive.shape)
