"""core/npz_reader: every .npz either reads exactly as numpy.load would, or raises glassnet's
own error naming the file and the member, before allocating what a member declares."""

from __future__ import annotations

import zipfile

import numpy
import pytest

from glassnet.core.errors import GlassnetError, MemoryBudgetError, ModelFileError
from glassnet.core.limits import set_memory_budget
from glassnet.core.npz_reader import npz_members, read_npz


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "a.npz"
    arrays = {
        "W1": numpy.arange(6.0).reshape(2, 3),
        "b1": numpy.zeros((3, 0), numpy.float32),
        "F": numpy.asfortranarray(numpy.arange(6).reshape(2, 3)),
        "names": numpy.array(["ab", "c"]),
        "scalar": numpy.float64(3),
    }
    numpy.savez(path, **arrays)
    return path, arrays


def test_reads_what_numpy_reads(archive):
    path, arrays = archive
    got = read_npz(path)
    assert list(got) == list(arrays)
    for k, v in arrays.items():
        assert got[k].dtype == numpy.asarray(v).dtype
        numpy.testing.assert_array_equal(got[k], v)
    assert npz_members(path) == list(arrays)


def test_reads_only_the_members_asked_for(archive):
    path, _ = archive
    assert list(read_npz(path, ["W1"])) == ["W1"]
    with pytest.raises(ModelFileError, match="no array 'W9'.*arrays present"):
        read_npz(path, ["W9"])


def test_compressed(tmp_path):
    numpy.savez_compressed(tmp_path / "c.npz", x=numpy.linspace(0, 1, 1000))
    numpy.testing.assert_array_equal(read_npz(tmp_path / "c.npz")["x"], numpy.linspace(0, 1, 1000))


@pytest.mark.parametrize(
    "content, said",
    [
        (b"", "empty file"),
        (b"x,y\n1,2\n", "text file"),
        (b"\x89HDF\r\n\x1a\n" + bytes(100), "HDF5"),
        (b"\x80\x04K\x01.", "pickle"),
        (b"\x1f\x8b\x08\x00" + bytes(20), "gzip"),
    ],
)
def test_other_files_are_named_for_what_they_are(tmp_path, content, said):
    path = tmp_path / "p.npz"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=said):
        read_npz(path)


def test_a_lone_npy(tmp_path):
    numpy.save(tmp_path / "x.npy", numpy.ones(3))
    (tmp_path / "x.npy").rename(tmp_path / "parameters.npz")
    with pytest.raises(ModelFileError, match="single .npy array"):
        read_npz(tmp_path / "parameters.npz")


def test_object_arrays_are_refused(tmp_path):
    numpy.savez(tmp_path / "o.npz", o=numpy.array([{}, 1], dtype=object))
    with pytest.raises(ModelFileError, match="Python objects"):
        read_npz(tmp_path / "o.npz")


def test_member_that_is_not_npy(tmp_path):
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match="'readme.txt' is not a .npy"):
        read_npz(tmp_path / "z.npz")


def test_damage_is_one_error_naming_the_member(archive):
    path, _ = archive
    data = path.read_bytes()
    for i in range(0, len(data), 7):  # every 7th byte flipped, one at a time
        bad = bytearray(data)
        bad[i] ^= 0xFF
        path.write_bytes(bytes(bad))
        try:
            read_npz(path)
        except GlassnetError as exc:
            assert str(path) in str(exc)
    for n in range(0, len(data), 37):  # truncated
        path.write_bytes(data[:n])
        with pytest.raises(GlassnetError, match=str(path)):
            read_npz(path)


def test_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, z.open("x.npy", "w") as f:
        numpy.lib.format.write_array(f, numpy.zeros((64, 1024, 1024), numpy.uint8))
    assert path.stat().st_size < 2**20
    with pytest.raises(ModelFileError, match="decompression bomb"):
        read_npz(path)


def test_memory_budget(archive):
    path, _ = archive
    set_memory_budget(16)
    try:
        with pytest.raises(MemoryBudgetError, match="memory budget.*--max-memory"):
            read_npz(path, ["W1"])
    finally:
        set_memory_budget(None)
