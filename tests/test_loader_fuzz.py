"""Fuzz tests of every dataset loader: a mutated file either loads or raises glassnet's own
error (GlassnetError: DataError, MemoryBudgetError), within a memory cap.

Each loader gets a small valid file, and hypothesis mutates its bytes (flips,
truncations, insertions, cuts, and 4-byte size fields set to 0 / 2**31 / 400,000,000 /
0xFFFFFFFF).  The memory budget is 32 MiB and the process's address space is capped
(RLIMIT_AS) at its present size + 768 MiB while a test runs, so a loader that
allocates what a file declares fails with MemoryError instead of passing quietly.
``derandomize=True`` keeps CI runs reproducible; the bigger runs are marked slow.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassnet.core.errors import GlassnetError
from glassnet.core.limits import set_memory_budget
from glassnet.data import load_csv, load_h5, load_idx, load_image_folder, load_mat, load_npz
from glassnet.data.image_folder import read_image

resource = pytest.importorskip("resource")

FAST, SLOW = 120, 2000
_SIZES = [0, 1, 0xFF, 0x7FFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 400_000_000, 200_000]

_MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.floats(0, 1, exclude_max=True), st.integers(1, 64)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("int"), st.floats(0, 1, exclude_max=True), st.sampled_from(_SIZES)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(0)),
)
MUTATIONS = st.lists(_MUTATION, min_size=1, max_size=6)


def mutate(data: bytes, ops: list[tuple]) -> bytes:
    """``data`` with the mutations ``ops`` applied in order."""
    b = bytearray(data)
    for kind, where, arg in ops:
        k = min(int(where * len(b)), max(len(b) - 1, 0))
        if kind == "flip" and b:
            b[k] = arg
        elif kind == "cut":
            del b[k:k + arg]
        elif kind == "insert":
            b[k:k] = arg
        elif kind == "int":
            order = ">" if arg % 2 else "<"
            b[k:k + 4] = struct.pack(order + "I", arg)
        elif kind == "truncate":
            del b[k:]
    return bytes(b)


@pytest.fixture(scope="module")
def capped():
    """A 32 MiB memory budget and an address-space cap for the module's tests."""
    with open("/proc/self/statm") as fh:
        used = int(fh.read().split()[0]) * resource.getpagesize()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = used + 768 * 2**20
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    set_memory_budget("32M")
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        set_memory_budget(None)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    """A small valid file of each format, as bytes."""
    d = tmp_path_factory.mktemp("valid")
    rs = np.random.RandomState(0)
    out: dict[str, bytes] = {}
    imgs = rs.randint(0, 256, (3, 6, 5)).astype(np.uint8)
    idx = struct.pack(">BBBB3I", 0, 0, 8, 3, 3, 6, 5) + imgs.tobytes()
    out["idx"] = idx
    out["idx.gz"] = gzip.compress(idx, mtime=0)
    with h5py.File(d / "a.h5", "w") as f:
        f["train_set_x"] = rs.randint(0, 256, (4, 3, 3, 3)).astype(np.uint8)
        f["train_set_y"] = np.array([0, 1, 1, 0])
        f["list_classes"] = np.array([b"non-cat", b"cat"])
    out["h5"] = (d / "a.h5").read_bytes()
    np.savez_compressed(d / "a.npz", x=rs.randn(4, 3), y=np.array([0, 1, 2, 1]),
                        classes=np.array(["a", "b", "c"]))
    out["npz"] = (d / "a.npz").read_bytes()
    import scipy.io

    mat = {"X": rs.randn(5, 2), "y": np.array([[0.0], [1], [1], [0], [1]])}
    for name, kw in (("mat5", {}), ("mat5z", {"do_compression": True}), ("mat4", {"format": "4"})):
        scipy.io.savemat(d / f"{name}.mat", mat, **kw)
        out[name] = (d / f"{name}.mat").read_bytes()
    out["csv"] = b"a,b,label\n1.5,2,cat\n3,4e1,dog\n5,-6,cat\n"
    from PIL import Image

    Image.fromarray(rs.randint(0, 256, (6, 5, 3)).astype(np.uint8)).save(d / "a.png")
    out["png"] = (d / "a.png").read_bytes()
    Image.fromarray(rs.randint(0, 256, (6, 5)).astype(np.uint8)).save(d / "a.jpg")
    out["jpg"] = (d / "a.jpg").read_bytes()
    return out


def assert_loads_or_refuses(load: Callable[[Path], object], path: Path) -> None:
    """``load(path)`` returns, or raises a GlassnetError; anything else fails the test."""
    try:
        load(path)
    except GlassnetError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip(), f"not one line: {exc!r}"


_FUZZ = dict(deadline=None, derandomize=True, database=None,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_fuzzed_files_load_or_refuse(kind: str, suffix: str, load: Callable[[Path], object],
                                       n: int, tmp: Path) -> None:
    """``n`` mutants of the ``kind`` file each load or raise one GlassnetError line."""
    tried = []

    @settings(max_examples=n, **_FUZZ)
    @given(ops=MUTATIONS)
    def run(ops):
        path = tmp / f"fuzzed{suffix}"
        path.write_bytes(mutate(FILES[kind], ops))
        tried.append(1)
        assert_loads_or_refuses(load, path)

    run()
    assert tried, f"no {kind} file was fuzzed"


FILES: dict[str, bytes] = {}


CASES = {  # kind -> (the file's suffix, the loader)
    "idx": ("-idx3-ubyte", load_idx),
    "idx.gz": ("-idx3-ubyte.gz", load_idx),
    "h5": (".h5", load_h5),
    "npz": (".npz", load_npz),
    "mat5": (".mat", load_mat),
    "mat5z": (".mat", load_mat),
    "mat4": (".mat", load_mat),
    "csv": (".csv", load_csv),
    "png": (".png", read_image),
    "jpg": (".jpg", read_image),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_fuzzed_files_load_or_raise_glassnet_errors(kind, files, capped, tmp_path):
    FILES.update(files)
    suffix, load = CASES[kind]
    n = FAST if not kind.startswith("mat") else FAST // 2
    assert_fuzzed_files_load_or_refuse(kind, suffix, load, n, tmp_path)


def test_fuzzed_image_in_a_folder(files, capped, tmp_path):
    FILES.update(files)
    (tmp_path / "c" / "a").mkdir(parents=True)
    (tmp_path / "c" / "b").mkdir()
    (tmp_path / "c" / "b" / "ok.png").write_bytes(files["png"])
    assert_fuzzed_files_load_or_refuse("png", ".png", lambda p: load_image_folder(tmp_path / "c"),
                                       FAST // 2, tmp_path / "c" / "a")


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(CASES))
def test_fuzzed_files_many(kind, files, capped, tmp_path):
    FILES.update(files)
    suffix, load = CASES[kind]
    assert_fuzzed_files_load_or_refuse(kind, suffix, load, SLOW, tmp_path)
