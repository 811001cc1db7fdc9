"""The update engine behind every optimizer: how one step is carried out fast.

The rules (:mod:`glassnet.optim.optimizers`) write the step of one array; this module decides
how the arrays are visited.

Implementation: state arrays are allocated on the first step (zeros of the
parameter's shape and dtype: float32 stays float32) and every update is a
sequence of in-place ufuncs writing into preallocated scratch buffers, so a
step allocates nothing.  Small parameters (biases, gamma, beta, small weights)
are updated together, multi-tensor style: their states are views into one flat
array per slot, their gradients are gathered into one flat buffer, and the rule
runs once over all of them.  On the CPU, large parameters are processed in
chunks that fit in the cache, so the passes each rule makes run from cache
rather than from main memory, and when a step has more than ``_PARALLEL_MIN``
elements the chunks can be shared out over ``set_num_threads(n)`` threads (a
persistent pool; NumPy's ufuncs release the GIL).  Every chunk is updated on its own,
so the result is the same, bit for bit, on any number of threads.  The default is one
thread (``GLASSNET_NUM_THREADS`` changes it): see :func:`get_num_threads` for why.

With numba installed, Momentum, RMSProp and Adam hand a large NumPy parameter (and the
flat group of small ones) to :mod:`glassnet.fused` instead: the same update compiled into
one pass that reads W, dW and the state once, bit for bit the result of the in-place
sequence above (``GLASSNET_FUSED=0`` turns it off).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy

from glassnet.core.backend import get_xp
from glassnet.core.kernels import optimizer_kernels as fused_kernels

# elements per chunk for the cache-blocked CPU path (64 Ki float32 = 256 KiB per array: the
# five arrays a rule touches, W, dW, v, s and the scratch, stay in a core's L2 cache)
_CHUNK = 1 << 16
# parameters up to this size are updated together, as one flat group
_SMALL = 1 << 16
# below this many elements in one step, the update runs on the calling thread only
_PARALLEL_MIN = 1 << 16


# elements per chunk for the cache-blocked CPU path (64 Ki float32 = 256 KiB per array: the
# five arrays a rule touches, W, dW, v, s and the scratch, stay in a core's L2 cache)
_CHUNK = 1 << 16

# parameters up to this size are updated together, as one flat group
_SMALL = 1 << 16

# below this many elements in one step, the update runs on the calling thread only
_PARALLEL_MIN = 1 << 16

def _is_numpy(a: Any) -> bool:
    return isinstance(a, numpy.ndarray)

# --------------------------------------------------------------------------------------
# threads for the CPU update (NumPy's ufuncs release the GIL, so chunks run in parallel)
# --------------------------------------------------------------------------------------
_threads: int | None = None

_pool: ThreadPoolExecutor | None = None

_pool_pid: int | None = None

_pool_lock = threading.Lock()

def _default_threads() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    value = os.environ.get("GLASSNET_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return min(int(value), cores)
    # One by default: measured on 2 cores with NumPy's OpenBLAS, a second thread halves the
    # update alone (8.0 -> 5.7 ms for 1.9M parameters) but gains nothing in training, because
    # the update follows a matrix product and OpenBLAS's worker keeps spinning on the other core
    return 1

def get_num_threads() -> int:
    """Threads the optimizers split a large CPU update over.

    Default: ``GLASSNET_NUM_THREADS`` (at most the available cores), else 1.
    """
    global _threads
    if _threads is None:
        _threads = _default_threads()
    return _threads

def set_num_threads(n: int) -> None:
    """Use ``n`` threads (1: the calling thread only) for the optimizers' CPU updates."""
    global _threads
    if int(n) < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    _threads = int(n)

def _executor(workers: int) -> ThreadPoolExecutor:
    """The persistent pool (re-created after a fork, whose child has no pool threads)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid() or _pool._max_workers < workers:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="glassnet-opt")
            _pool_pid = os.getpid()
        return _pool



class UpdateEngine:
    """The mechanics of ``step`` (mixed into :class:`~glassnet.optim.optimizers.Optimizer`).

    It calls the rule's ``_constants`` and ``_direction`` and keeps the scratch buffers,
    arenas and state slots.
    """

    # -- the update ---------------------------------------------------------------------
    def step(self, parameters: Mapping[str, Any], grads: Mapping[str, Any]) -> None:
        """One update of every parameter that has a gradient (t := t + 1).

        ``parameters[key]`` is updated in place from ``grads["d" + key]``;
        parameters without a gradient (frozen) are skipped.
        """
        self.t += 1
        c = self._constants(float(self.learning_rate), self.t)
        # the one-pass kernels for a large enough step (glassnet.fused)
        use_fused = self.fused and (
            sum(int(W.size) for W in parameters.values()) >= fused_kernels.MIN_ELEMENTS
        )
        small: list[tuple[str, Any, Any]] = []
        # units of work of the cache-blocked CPU path: (W, dW, state) chunks of <= _CHUNK
        units: list[tuple[Any, Any, list[Any]]] = []
        for key, W in parameters.items():
            gkey = "d" + key
            dW = grads.get(gkey)
            if dW is None:
                continue
            if dW.shape != W.shape:
                raise ValueError(
                    f"{type(self).__name__}: gradient {gkey} has shape {tuple(dW.shape)} but "
                    f"parameter {key} has shape {tuple(W.shape)}"
                )
            if self.slots and W.size <= _SMALL:
                small.append((gkey, W, dW))
                continue
            state = [self._slot(slot, gkey, W) for slot in self.slots]
            if use_fused and fused_kernels.update(self.name, W, dW, state, c):
                continue  # the same update in one compiled pass (glassnet.fused)
            if (
                W.size > _CHUNK
                and _is_numpy(W)
                and _is_numpy(dW)
                and W.flags.c_contiguous
                and dW.flags.c_contiguous
                and all(a.flags.c_contiguous for a in state)
            ):
                self._chunk(units, W, dW, state)
            else:
                self._apply(W, dW, state, c)
        tails: list[tuple[Any, Any]] = []
        if small:
            tails = self._group_units(small, units, c, use_fused)
        if units:
            self._run(units, c)
        for W, step in tails:  # the grouped parameters: W -= their slice of the step
            W -= step

    @staticmethod
    def _chunk(units: list, W: Any, dW: Any, state: list[Any]) -> None:
        """Append W's blocks of _CHUNK elements (flat views: no copies) to ``units``."""
        n = W.size
        Wf, dWf = W.reshape(-1), dW.reshape(-1)
        flat = [a.reshape(-1) for a in state]
        for i in range(0, n, _CHUNK):
            j = min(i + _CHUNK, n)
            units.append((Wf[i:j], dWf[i:j], [a[i:j] for a in flat]))

    def _update(self, W: Any, dW: Any, state: list[Any], tmp: Any, c: tuple[float, ...]) -> None:
        """W -= step, with the state updated in place (``tmp``: scratch of W's shape).

        ``W`` is None for a group of small parameters: the step is left in ``tmp``.
        """
        self._direction(dW, state, tmp, c)
        if W is not None:
            W -= tmp

    def _apply(self, W: Any, dW: Any, state: list[Any], c: tuple[float, ...]) -> None:
        """W -= step for one whole array (the GPU, or a non-contiguous array)."""
        n = W.size
        tmp = self._buffer(W.dtype, n)[:n].reshape(W.shape)
        self._update(W, dW, state, tmp, c)

    def _run(self, units: list[tuple[Any, Any, list[Any]]], c: tuple[float, ...]) -> None:
        """Run the units, split over the threads when there is enough work.

        Every unit touches its own elements only, so the split changes nothing in the
        result: it is the same, bit for bit, on any number of threads.
        """
        total = sum(u[1].size for u in units)
        threads = min(get_num_threads(), len(units))
        if threads <= 1 or total < _PARALLEL_MIN:
            self._run_part(units, c, 0)
            return
        # contiguous parts of about total / threads elements each
        parts: list[list] = [[] for _ in range(threads)]
        per, done = total / threads, 0
        for u in units:
            parts[min(int(done / per), threads - 1)].append(u)
            done += u[1].size
        pool = _executor(threads - 1)
        futures = [pool.submit(self._run_part, part, c, k) for k, part in enumerate(parts[1:], 1)]
        try:
            self._run_part(parts[0], c, 0)
        finally:
            for f in futures:
                f.result()

    def _run_part(self, units: list[tuple[Any, Any, list[Any]]], c: tuple[float, ...],
                  worker: int) -> None:
        bufs: dict[Any, Any] = {}
        for W, dW, state in units:
            if W is None:  # a slice of a group: its own slice of the group's scratch
                self._update(None, dW, state[:-1], state[-1], c)
                continue
            tmp = bufs.get(dW.dtype)
            if tmp is None:
                tmp = bufs[dW.dtype] = self._buffer(dW.dtype, _CHUNK, worker)
            self._update(W, dW, state, tmp[: dW.size], c)

    def _group_units(self, items: list[tuple[str, Any, Any]], units: list,
                     c: tuple[float, ...], use_fused: bool = False) -> list[tuple[Any, Any]]:
        """Multi-tensor update of the small parameters: one pass of the rule over all of them.

        Their state lives in one flat array per slot (``v["db1"]`` etc. are views
        into it) and their gradients are gathered into one flat buffer, so the
        rule costs a handful of array operations per step instead of a handful
        per parameter.  The rule's blocks join ``units`` (or run now on the GPU);
        the returned (W, step view) pairs are applied, W -= step, once they have run.
        """
        by_dtype: dict[Any, list[tuple[str, Any, Any]]] = {}
        for item in items:
            by_dtype.setdefault(item[1].dtype, []).append(item)
        xp = get_xp()
        tails: list[tuple[Any, Any]] = []
        for dtype, group in by_dtype.items():
            arena = self._arena(dtype, group)
            g, tmp, states, gviews, tviews = arena[1:6]
            for (_, _, dW), gv in zip(group, gviews, strict=True):
                xp.copyto(gv, dW, casting="same_kind")
            n = g.size
            if use_fused and fused_kernels.direction(self.name, tmp, g, states, c):
                pass  # the rule in one compiled pass: tmp holds the step (glassnet.fused)
            elif _is_numpy(g):
                for i in range(0, n, _CHUNK):
                    j = min(i + _CHUNK, n)
                    units.append((None, g[i:j], [a[i:j] for a in states] + [tmp[i:j]]))
            else:
                self._update(None, g, states, tmp, c)
            tails.extend((W, tv) for (_, W, _), tv in zip(group, tviews, strict=True))
        return tails

    def _arena(self, dtype: Any, group: list[tuple[str, Any, Any]]) -> tuple:
        """The flat buffers of a group of small parameters, rebuilt when the group changes."""
        signature = tuple((gkey, tuple(W.shape)) for gkey, W, _ in group)
        arena = self._arenas.get(dtype)
        if arena is not None and arena[0] == signature:
            views = arena[6]
            if all(
                self.state[slot].get(gkey) is views[k][i]
                for k, slot in enumerate(self.slots)
                for i, (gkey, _, _) in enumerate(group)
            ):
                return arena
        xp = get_xp()
        sizes = [int(W.size) for _, W, _ in group]
        offsets = numpy.concatenate([[0], numpy.cumsum(sizes)]).astype(int)
        total = int(offsets[-1])

        def split(flat: Any) -> list[Any]:
            return [
                flat[offsets[i] : offsets[i + 1]].reshape(W.shape)
                for i, (_, W, _) in enumerate(group)
            ]

        states = [xp.zeros(total, dtype=dtype) for _ in self.slots]
        state_views = [split(flat) for flat in states]
        for k, slot in enumerate(self.slots):
            d = self.state[slot]
            for i, (gkey, W, _) in enumerate(group):
                old = d.get(gkey)
                if old is not None:  # carry the state over (resumed, or the group changed)
                    if tuple(old.shape) != tuple(W.shape):
                        raise ValueError(
                            f"{type(self).__name__}: state {slot}[{gkey}] has shape "
                            f"{tuple(old.shape)} but the parameter has shape {tuple(W.shape)}"
                        )
                    state_views[k][i][...] = xp.asarray(old)
                d[gkey] = state_views[k][i]
        g = xp.empty(total, dtype=dtype)
        tmp = xp.empty(total, dtype=dtype)
        arena = (signature, g, tmp, states, split(g), split(tmp), state_views)
        self._arenas[dtype] = arena
        return arena

    def _buffer(self, dtype: Any, size: int, worker: int = 0) -> Any:
        """A flat scratch array of at least ``size`` elements of ``dtype``, reused across steps
        (one per worker thread)."""
        key = f"{dtype}/{worker}"
        buf = self._scratch.get(key)
        if buf is None or buf.size < size:
            buf = get_xp().empty(size, dtype=dtype)
            self._scratch[key] = buf
        return buf

    def init_state(self, parameters: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Create every slot of every parameter as zeros of its shape (the notes' v = s = 0).

        Returns the state, ``{"v": {"dW1": ...}, "s": {...}}`` (the slots this rule keeps).
        """
        for key, W in parameters.items():
            for slot in self.slots:
                self._slot(slot, "d" + key, W)
        return self.state

    def _slot(self, slot: str, gkey: str, W: Any) -> Any:
        """State array ``slot[gkey]``, created as zeros on first use (the notes' v = s = 0)."""
        d = self.state[slot]
        a = d.get(gkey)
        if a is None:
            a = get_xp().zeros_like(W)
            d[gkey] = a
        elif a.shape != W.shape:
            raise ValueError(
                f"{type(self).__name__}: state {slot}[{gkey}] has shape {tuple(a.shape)} but the "
                f"parameter has shape {tuple(W.shape)}"
            )
        elif a.dtype != W.dtype or type(a) is not type(W):
            a = get_xp().asarray(a, dtype=W.dtype)
            d[gkey] = a
        return a
