"""MATLAB ``.mat`` files, read so that a hostile file can neither exhaust memory nor crash.

SciPy's MAT reader is trusted with nothing: a 430-byte fuzzed v5 file makes it
segfault (seen; the whole process died).  So :func:`load_mat`

1. walks the file's own structure first (:func:`check_mat_structure`): the v5
   128-byte header and each top-level element's tag (type, byte count within the
   file, array dimensions against the bytes that hold them; a compressed element
   inflated in a bounded way, only counted), or each v4 matrix header (type code,
   rows x cols x item size against the bytes left) - every declared size against
   the memory budget;
2. then calls ``scipy.io.loadmat`` in a child process (fork where available) whose
   address space is capped, which hands back only plain numeric arrays through an
   ``.npz`` read with :func:`glassnet.core.npz_reader.read_npz`.  A child that dies
   (SIGSEGV, memory) costs one :class:`DataError` line, not the command.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import struct
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

from glassnet.core.limits import check_size, memory_budget
from glassnet.core.npz_reader import read_npz
from glassnet.data.records import DataError, Dataset, PathLike, _check_file, _finish, _NoSplit

_MAT_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "train": (("X", "y"), ("X", "Y"), ("x", "y"), ("Xtrain", "ytrain"), ("X_train", "y_train")),
    "test": (("Xtest", "ytest"), ("X_test", "y_test"), ("Xval", "yval"), ("X_val", "y_val")),
    "dev": (("Xval", "yval"), ("X_val", "y_val"), ("Xdev", "ydev")),
}
_MAT_KEYS["val"] = _MAT_KEYS["dev"]
#: v4 type code P -> bytes per element (double, single, int32, int16, uint16, uint8)
_V4_ITEMSIZE = {0: 8, 1: 4, 2: 4, 3: 2, 4: 2, 5: 1}
_MI_MATRIX, _MI_COMPRESSED = 14, 15
_SPARSE_CLASS = 5
#: seconds the child may take to read one file
CHILD_TIMEOUT = 300


def _v4_header(raw: bytes, pos: int, p: Path) -> tuple[int, int]:
    """The v4 matrix header at ``pos`` -> (header + name bytes, data bytes), checked."""
    if pos + 20 > len(raw):
        raise DataError(f"{p}: MAT v4 matrix header at byte {pos} truncated")
    for order in "<>":
        mopt, rows, cols, imagf, namlen = struct.unpack_from(order + "5i", raw, pos)
        if 0 <= mopt <= 5000:
            break
    else:
        raise DataError(f"{p}: not a MATLAB .mat file (bad v4 type code at byte {pos})")
    m_code, rest = divmod(mopt, 1000)
    o_code, rest = divmod(rest, 100)
    p_code, t_code = divmod(rest, 10)
    if m_code not in (0, 1) or o_code != 0 or p_code not in _V4_ITEMSIZE or t_code not in (0, 1, 2):
        raise DataError(f"{p}: MAT v4 matrix at byte {pos} has an unknown type code {mopt}")
    if rows < 0 or cols < 0 or not 1 <= namlen <= len(raw) - pos - 20:
        raise DataError(f"{p}: MAT v4 matrix at byte {pos} declares {rows}x{cols} with a "
                        f"{namlen}-byte name: damaged header")
    nbytes = rows * cols * _V4_ITEMSIZE[p_code] * (2 if imagf == 1 else 1)
    check_size(nbytes, f"{p}: MAT v4 matrix of {rows}x{cols}")
    if pos + 20 + namlen + nbytes > len(raw):
        raise DataError(f"{p}: MAT v4 matrix at byte {pos} declares {rows}x{cols} "
                        f"({nbytes} bytes) but the file has {len(raw) - pos - 20 - namlen} left")
    return 20 + namlen, nbytes


def _check_matrix(head: bytes, nbytes: int, p: Path, where: str, endian: str) -> None:
    """A v5 miMATRIX element's body (its first bytes ``head``): flags and dimensions
    against the ``nbytes`` that hold them and the memory budget."""
    if nbytes == 0:
        return  # an empty element; scipy skips it
    if len(head) < 16:
        raise DataError(f"{p}: MAT variable at {where} is truncated")
    _, _, flags = struct.unpack_from(endian + "III", head, 0)
    mclass = flags & 0xFF
    if len(head) < 24:
        return
    dtype, dsize = struct.unpack_from(endian + "II", head, 16)
    if dtype >> 16:  # small element: dims inside the tag
        dsize, dtype = dtype >> 16, dtype & 0xFFFF
        dims_at = 20
    else:
        dims_at = 24
    if dtype != 5 or dsize % 4 or dsize > nbytes:
        raise DataError(f"{p}: MAT variable at {where} has damaged dimensions")
    dims = struct.unpack_from(endian + f"{dsize // 4}i", head, dims_at) \
        if dims_at + dsize <= len(head) else ()
    count = 1
    for d in dims:
        if d < 0:
            raise DataError(f"{p}: MAT variable at {where} declares a negative dimension {d}")
        count *= d
    if mclass != _SPARSE_CLASS:
        check_size(count * 8, f"{p}: MAT variable at {where} of dimensions {tuple(dims)}")
        if count > nbytes:
            raise DataError(f"{p}: MAT variable at {where} declares dimensions {tuple(dims)} "
                            f"but holds {nbytes} bytes")


def _inflated(raw: bytes, pos: int, nbytes: int, p: Path) -> tuple[bytes, int]:
    """A compressed element inflated in a bounded way: (its first 4 KiB, its full size)."""
    d = zlib.decompressobj()
    head, total = b"", 0
    data = raw[pos:pos + nbytes]
    try:
        while data:
            out = d.decompress(data, 1 << 20)
            data = d.unconsumed_tail
            if len(head) < 4096:
                head += out[:4096 - len(head)]
            total += len(out)
            check_size(total, f"{p}: compressed MAT variable at byte {pos - 8}, inflated")
            if not out and not data:
                break
        total += len(d.flush())
    except zlib.error as exc:
        raise DataError(f"{p}: compressed MAT variable at byte {pos - 8} is damaged "
                        f"({exc})") from None
    return head, total


def check_mat_structure(p: Path) -> None:
    """Walk the top level of the ``.mat`` file at ``p`` (see the module's doc)."""
    size = os.path.getsize(p)
    check_size(size, f"{p}: MAT file")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    if len(raw) < 128 and (len(raw) < 4 or 0 not in raw[:4]):
        raise DataError(f"{p}: not a MATLAB .mat file (truncated: {len(raw)} bytes)")
    if raw[:128].count(0) == min(len(raw), 128):
        raise DataError(f"{p}: not a MATLAB .mat file (the header is all zeros)")
    if 0 in raw[:4]:  # v4: a sequence of matrices
        pos = 0
        while pos < len(raw):
            head, nbytes = _v4_header(raw, pos, p)
            pos += head + nbytes
        return
    endian_mark = raw[126:128]
    if endian_mark not in (b"IM", b"MI"):
        raise DataError(f"{p}: not a MATLAB .mat file (no v5 endian mark at byte 126)")
    endian = "<" if endian_mark == b"IM" else ">"
    (version,) = struct.unpack_from(endian + "H", raw, 124)
    if version == 0x0200:
        raise DataError(f"{p}: a MATLAB v7.3 file (HDF5 inside), which scipy cannot read; "
                        "save with -v7, or read it as an .h5 file")
    if version != 0x0100:
        raise DataError(f"{p}: not a MATLAB .mat file (unknown version {version:#06x})")
    pos = 128
    while pos + 8 <= len(raw):
        mdtype, nbytes = struct.unpack_from(endian + "II", raw, pos)
        if mdtype not in (_MI_MATRIX, _MI_COMPRESSED):
            raise DataError(f"{p}: MAT element at byte {pos} has type {mdtype}, expected a "
                            "matrix or a compressed matrix")
        if pos + 8 + nbytes > len(raw):
            raise DataError(f"{p}: MAT element at byte {pos} declares {nbytes} bytes but the "
                            f"file has {len(raw) - pos - 8} left (truncated?)")
        if mdtype == _MI_MATRIX:
            _check_matrix(raw[pos + 8:pos + 8 + 4096], nbytes, p, f"byte {pos}", endian)
        else:
            head, total = _inflated(raw, pos + 8, nbytes, p)
            if len(head) < 8:
                raise DataError(f"{p}: compressed MAT element at byte {pos} is too short")
            itype, inbytes = struct.unpack_from(endian + "II", head, 0)
            if itype != _MI_MATRIX or inbytes + 8 > total:
                raise DataError(f"{p}: compressed MAT element at byte {pos} does not hold a "
                                "matrix of the size it declares")
            _check_matrix(head[8:], inbytes, p, f"byte {pos} (compressed)", endian)
        pos += 8 + nbytes


def _limit_address_space() -> None:
    """Cap this (child) process's address space at its present size + 2 x the budget."""
    try:
        import resource

        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = used + 2 * memory_budget() + 2**30
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, OSError, ValueError):  # not Linux: no cap, the checks above hold
        pass


def _child_read(path: str, split: str, out_dir: str) -> None:
    """In the child: loadmat, pick the split's arrays, write them to ``out_dir``."""
    import faulthandler

    import numpy

    faulthandler.disable()  # a crash here is reported by the parent, in one line
    _limit_address_space()
    result: dict[str, Any]
    try:
        import scipy.io

        mat = scipy.io.loadmat(path)
        keys = [k for k in mat if not k.startswith("__")]
        result = {"keys": keys}
        for kx, ky in _MAT_KEYS.get(split, ((f"X{split}", f"y{split}"),)):
            if kx in mat and ky in mat:
                arrays = {"x": mat[kx], "y": mat[ky]}
                for k, a in arrays.items():
                    if not isinstance(a, numpy.ndarray) or a.dtype.kind not in "biuf":
                        kind = a.dtype if isinstance(a, numpy.ndarray) else type(a).__name__
                        raise TypeError(f"{kx if k == 'x' else ky!r} is not a numeric array "
                                        f"({kind})")
                numpy.savez(os.path.join(out_dir, "arrays.npz"), **arrays)
                result.update(kx=kx, ky=ky)
                break
    except MemoryError:
        result = {"error": "reading it needs more memory than the budget allows"}
    except Exception as exc:  # scipy's reader raises many types on a damaged file
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        result = {"error": f"{type(exc).__name__}: {text}" if text else type(exc).__name__}
    with open(os.path.join(out_dir, "result.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and
                                       sys.platform != "darwin" else "spawn")


def _read_in_child(p: Path, split: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="glassnet-mat-") as out:
        child = _context().Process(target=_child_read, args=(str(p), split, out), daemon=True)
        child.start()
        child.join(CHILD_TIMEOUT)
        if child.is_alive():
            child.kill()
            child.join()
            raise DataError(f"{p}: scipy's MAT reader did not finish in {CHILD_TIMEOUT} s")
        res_path = Path(out) / "result.json"
        if child.exitcode != 0 or not res_path.is_file():
            code = child.exitcode
            why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit {code}"
            raise DataError(f"{p}: scipy's MAT reader crashed on this file ({why}): a damaged "
                            ".mat file")
        result: dict[str, Any] = json.loads(res_path.read_text(encoding="utf-8"))
        if "kx" in result:
            result["arrays"] = read_npz(Path(out) / "arrays.npz", ["x", "y"], error=DataError,
                                        what="MAT arrays")
        return result


def load_mat(path: PathLike, split: str | None = None) -> Dataset:
    """A MATLAB file (``scipy.io.loadmat``, in a child process): ``X``/``y`` is train,
    ``Xval``/``yval`` test.

    The course's ``data.mat``: ``X`` (211, 2), ``y`` (211, 1); ``Xval`` (200, 2),
    ``yval`` (200, 1).  The file's structure and declared sizes are checked first.
    """
    p = _check_file(path)
    check_mat_structure(p)
    split = split or "train"
    result = _read_in_child(p, split)
    if "error" in result:
        raise DataError(f"{p}: not a MATLAB .mat file readable by scipy ({result['error']})")
    if "kx" not in result:
        raise _NoSplit(f"{p}: no {split!r} arrays (like X/y or Xval/yval); keys present: "
                       f"{result['keys']}")
    arrays = result["arrays"]
    return _finish(arrays["x"], arrays["y"], None, p, f"{result['kx']}/{result['ky']}")
