"""The course's datasets: generated (planar flower, circles, moons), bundled (digits), shared files.

Generated data reproduces the course's own generators draw for draw: the course
seeds NumPy's legacy global generator (``np.random.seed(s)``) and then draws
from it; here the same stream comes from a private ``numpy.random.RandomState(s)``
(identical numbers, and the caller's global random state is left alone).

Shared files (the cat HDF5 files, ``data.mat``, SIGNS) live OUTSIDE the
repository, in ``../shared/data`` beside the project root or wherever the
environment variable ``GLASSNET_DATA`` points; :func:`shared_data_path` finds them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy

from glassnet.data.formats import load_mat
from glassnet.data.records import DataError, Dataset

__all__ = [
    "DATA_ENV",
    "circles",
    "digits",
    "moons",
    "planar_flower",
    "regularization_data",
    "shared_data_path",
]

#: environment variable naming the shared data folder
DATA_ENV = "GLASSNET_DATA"


def _candidates() -> list[Path]:
    env = os.environ.get(DATA_ENV)
    if env:
        return [Path(env).expanduser()]
    found: list[Path] = []
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for ancestor in (start, *start.parents):
            cand = ancestor / "shared" / "data"
            if cand not in found:
                found.append(cand)
    return found


def shared_data_path(name: str | None = None) -> Path | None:
    """The shared data folder (or the file ``name`` in it); None when absent.

    Looks at ``$GLASSNET_DATA`` when set (and only there), else for
    ``shared/data`` in each folder above this file and above the working
    directory (that is ``<repo root>/../shared/data``).  Tests skip on None.
    """
    for folder in _candidates():
        if folder.is_dir():
            if name is None:
                return folder
            target = folder / name
            return target if target.exists() else None
    return None


def _require(name: str) -> Path:
    p = shared_data_path(name)
    if p is None:
        where = os.environ.get(DATA_ENV) or "../shared/data beside the project root"
        raise DataError(f"{name}: not found in the shared data folder ({where}); set ${DATA_ENV}")
    return p


def planar_flower(m: int = 400, seed: int = 1) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The Course 1 week 3 "flower": ``X`` ``(2, m)``, ``Y`` ``(1, m)`` uint8 (m/2 per class).

    For class ``j`` (0 red, 1 blue), ``N = m/2`` points, ``a = 4`` the maximum ray::

        t = linspace(3.12 j, 3.12 (j + 1), N) + randn(N) * 0.2     # angle
        r = a sin(4 t) + randn(N) * 0.2                              # radius
        x = (r sin t, r cos t)

    drawn class 0 then class 1, angle noise before radius noise, from the legacy
    generator seeded with ``seed`` (the course's ``np.random.seed(1)``).
    """
    if m < 2 or m % 2:
        raise ValueError(f"planar_flower needs an even m >= 2, got {m}")
    rs = numpy.random.RandomState(seed)
    N = m // 2  # points per class
    a = 4  # maximum ray of the flower
    X = numpy.zeros((m, 2))  # one example per row while building, as the course does
    Y = numpy.zeros((m, 1), dtype=numpy.uint8)
    for j in range(2):  # the two classes
        ix = slice(N * j, N * (j + 1))
        t = numpy.linspace(j * 3.12, (j + 1) * 3.12, N) + rs.randn(N) * 0.2  # theta
        r = a * numpy.sin(4 * t) + rs.randn(N) * 0.2  # radius
        X[ix] = numpy.c_[r * numpy.sin(t), r * numpy.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def _course_layout(x: numpy.ndarray, y: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """scikit-learn's ``(m, 2)``, ``(m,)`` -> the course's ``(2, m)``, ``(1, m)``."""
    return x.T, y.reshape((1, y.shape[0]))


def circles(
    seed: int = 1, test_seed: int = 2, m_train: int = 300, m_test: int = 100, noise: float = 0.05
) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """The Course 2 initialization data: ``(train_X (2, 300), train_Y (1, 300), test_X, test_Y)``.

    The course: ``np.random.seed(1); make_circles(n_samples=300, noise=.05)``, then
    ``np.random.seed(2); make_circles(n_samples=100, noise=.05)``.
    """
    from sklearn.datasets import make_circles

    train_X, train_Y = make_circles(
        n_samples=m_train, noise=noise, random_state=numpy.random.RandomState(seed)
    )
    test_X, test_Y = make_circles(
        n_samples=m_test, noise=noise, random_state=numpy.random.RandomState(test_seed)
    )
    return (*_course_layout(train_X, train_Y), *_course_layout(test_X, test_Y))


def moons(seed: int = 3, m: int = 300, noise: float = 0.2) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The Course 2 optimization data: ``train_X (2, 300)``, ``train_Y (1, 300)``.

    The course: ``np.random.seed(3); make_moons(n_samples=300, noise=.2)``.
    """
    from sklearn.datasets import make_moons

    X, Y = make_moons(n_samples=m, noise=noise, random_state=numpy.random.RandomState(seed))
    return _course_layout(X, Y)


def digits() -> Dataset:
    """scikit-learn's bundled 8x8 digits: ``x`` ``(1797, 8, 8, 1)`` float64 in 0..16.

    Kept as images (channels last, like every image here) with the raw 0..16
    intensities; scale with ``x / 16`` and flatten with ``flatten_images``.
    ``y`` ``(1797,)`` int64, ``classes`` ``"0"``..``"9"``.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = numpy.asarray(bunch.images, dtype=numpy.float64)[..., None]
    y = numpy.asarray(bunch.target, dtype=numpy.int64)
    return Dataset(x=x, y=y, classes=[str(c) for c in range(10)], source="sklearn.datasets.digits")


def regularization_data(
    path: str | Path | None = None,
) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """The Course 2 "goalkeeper" data (``data.mat``), course layout.

    ``(train_X (2, 211), train_Y (1, 211), test_X (2, 200), test_Y (1, 200))``:
    the course's ``X.T, y.T, Xval.T, yval.T``.  ``path`` defaults to the shared
    data folder's ``data.mat``.
    """
    p = Path(path) if path is not None else _require("data.mat")
    train = load_mat(p, "train")
    test = load_mat(p, "test")
    return (
        train.x.T,
        train.y.reshape(1, -1),
        test.x.T,
        test.y.reshape(1, -1),
    )
