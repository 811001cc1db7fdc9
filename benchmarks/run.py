#!/usr/bin/env python
"""glassnet against PyTorch and scikit-learn, side by side, on the same machine and threads.

    python benchmarks/run.py [--threads 2] [--repeats 5] [--device cpu|gpu] [--quick]
                             [--out benchmarks/results/latest.json] [--only NAME ...]

Every workload runs float32 on synthetic data drawn from a fixed seed.  Each contender is
warmed up, then timed ``--repeats`` times; the repeats of the contenders of one workload are
interleaved (round robin) so that a change in the machine's load hits all of them alike.
The table gives the median, the spread (min to max), samples per second and the ratio
glassnet / peer (below 1: glassnet is faster).  The machine's limit is measured too: the
float32 matrix-product throughput (GFLOP/s at n = 1024 and 2048); a dense workload's FLOP
efficiency is 6 * parameters * samples / time as a fraction of it.

The targets of issue 6 are printed and written to the JSON, never asserted.

This file is not part of the test suite; the peers (PyTorch, scikit-learn, psutil,
threadpoolctl) are optional: a missing one is skipped with a line saying so.
"""

from __future__ import annotations

import argparse
import os
import sys

# --------------------------------------------------------------------------------------
# threads: set before NumPy (and its BLAS) is imported
# --------------------------------------------------------------------------------------
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2, help="BLAS / PyTorch threads (default 2)")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per contender")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--quick", action="store_true",
                   help="fewer repeats and a shorter sample (for development)")
    p.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"),
                   help="where the JSON goes ('' for nowhere)")
    p.add_argument("--only", nargs="*", default=None,
                   help="run only workloads whose name contains one of these words")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-RSS measurement")
    p.add_argument("--workplace-env", default=None, metavar="VAR=VALUE,...",
                   help="after the main run (with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset, "
                   "as users have it), run again in a child process with these set and report "
                   "those ratios too (default: the values this process was started with)")
    p.add_argument("--_env-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--markdown", default=None,
                   help="also write the tables and the machine as Markdown to this file")
    # internal: one peak-RSS measurement in a fresh process
    p.add_argument("--_memory-child", nargs=3, metavar=("IMPL", "WORKLOAD", "N"),
                   help=argparse.SUPPRESS)
    return p.parse_args(argv)


ARGS = _parse()
#: variables some workplaces set for older OpenBLAS builds; they slow current NumPy, and users
#: do not have them: the main run unsets them, a second run (a child process) sets them again
WORKPLACE_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
if ARGS._env_child:
    WORKPLACE_ENV: dict[str, str] = {}
elif ARGS.workplace_env:
    WORKPLACE_ENV = dict(item.split("=", 1) for item in ARGS.workplace_env.split(",") if item)
    for _var in WORKPLACE_VARS:
        os.environ.pop(_var, None)
else:
    WORKPLACE_ENV = {v: os.environ.pop(v) for v in WORKPLACE_VARS if v in os.environ}
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

try:  # the source tree's glassnet first, so the benchmark measures this checkout
    sys.path.insert(0, os.path.join(ROOT, "src"))
    import glassnet as gn  # noqa: E402
    from glassnet.core import backend  # noqa: E402
    from glassnet.train.trainer import fit  # noqa: E402
finally:
    sys.path.pop(0)

try:
    from threadpoolctl import threadpool_limits  # noqa: E402

    _POOL_LIMIT = threadpool_limits(limits=ARGS.threads)
except ImportError:  # pragma: no cover - optional
    threadpool_limits = None

N_TRAIN = 60_000
N_FEATURES = 784
N_CLASSES = 10
BATCH = 128
LR = 1e-3
SEED = 0
MLPS = {"mlp_small": [784, 256, 128, 10], "mlp_large": [784, 1024, 1024, 10]}
TARGETS = {
    "epoch_vs_torch_fused": 0.85,  # glassnet time / PyTorch fused-Adam time
    "large_mlp_gemm_fraction": 0.65,
    "latency_1_vs_torch": 0.5,
    "peak_memory_vs_torch": 1.0,
}


# --------------------------------------------------------------------------------------
# peers (optional)
# --------------------------------------------------------------------------------------
def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(ARGS.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    return torch


def _import_sklearn() -> Any:
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None
    return MLPClassifier, ConvergenceWarning


# --------------------------------------------------------------------------------------
# data and devices
# --------------------------------------------------------------------------------------
class Device:
    """Where the arrays live: NumPy on the CPU, CuPy (and torch CUDA) on a GPU."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cupy = None
        if name == "gpu":
            backend.use("cupy")  # raises when CuPy or the GPU is missing
            import cupy

            self.cupy = cupy

    def to_xp(self, a: np.ndarray) -> Any:
        return self.cupy.asarray(a) if self.cupy is not None else a

    def sync(self) -> None:
        if self.cupy is not None:
            self.cupy.cuda.Device().synchronize()


def make_data(n: int = N_TRAIN, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic MNIST-sized data, examples first: X_rows (n, 784) float32, y (n,) int64.

    Labels come from a fixed random linear teacher so that there is something to learn.
    glassnet is given ``X_rows.T`` (the course's (n_x, m) layout, a view: no copy);
    PyTorch and scikit-learn ``X_rows``: all three train on the same buffer.
    """
    rng = np.random.default_rng(seed)
    X_rows = rng.standard_normal((n, N_FEATURES), dtype=np.float32)
    teacher = rng.standard_normal((N_FEATURES, N_CLASSES), dtype=np.float32)
    y = (X_rows @ teacher).argmax(axis=1).astype(np.int64)
    return X_rows, y


def make_images(n: int, shape: tuple[int, int, int], seed: int = SEED) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, *shape), dtype=np.float32)
    y = rng.integers(0, N_CLASSES, n).astype(np.int64)
    return X, y


def mlp_parameters(dims: list[int]) -> int:
    return sum(a * b + b for a, b in zip(dims[:-1], dims[1:], strict=True))


# --------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------
def summarize(samples: list[float], work: float | None = None) -> dict[str, Any]:
    """Median, spread (min / max, quartiles) of seconds; ``work`` samples per run."""
    s = sorted(samples)
    q = statistics.quantiles(s, n=4) if len(s) >= 2 else [s[0]] * 3
    out: dict[str, Any] = {
        "median_s": statistics.median(s),
        "min_s": s[0],
        "max_s": s[-1],
        "q1_s": q[0],
        "q3_s": q[2],
        "samples_s": samples,
    }
    if work:
        out["samples_per_s"] = work / out["median_s"]
    return out


def interleaved(contenders: dict[str, Callable[[], Any]], repeats: int, warmup: int,
                sync: Callable[[], None], warm: dict[str, Callable[[], Any]] | None = None
                ) -> dict[str, list[float]]:
    """Run each contender ``warmup`` times (or its ``warm`` function), then time
    ``repeats`` rounds, one run of every contender per round."""
    for name, fn in contenders.items():
        w = (warm or {}).get(name, fn)
        for _ in range(warmup):
            w()
        sync()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            sync()
            t0 = time.perf_counter()
            timed = fn()
            sync()
            elapsed = time.perf_counter() - t0
            # a self-timed sampler (see per_call) returns its own seconds per call
            times[name].append(timed if isinstance(timed, float) else elapsed)
    return times


def per_call(fn: Callable[[], Any], sync: Callable[[], None], budget_s: float = 0.15
             ) -> Callable[[], float]:
    """A sampler of the mean time of one call, over enough calls to fill ``budget_s``."""
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < 0.05:
        fn()
        n += 1
    sync()
    per = (time.perf_counter() - t0) / n
    calls = max(1, int(budget_s / max(per, 1e-9)))

    def sample() -> float:
        sync()
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        return (time.perf_counter() - t) / calls

    return sample


# --------------------------------------------------------------------------------------
# the machine's limit
# --------------------------------------------------------------------------------------
def gemm_limit(device: Device, torch: Any, repeats: int) -> dict[str, Any]:
    """float32 GEMM GFLOP/s (2 n^3 flops) at n = 1024 and 2048: NumPy's BLAS and PyTorch's."""
    out: dict[str, Any] = {}
    rng = np.random.default_rng(1)
    for n in (1024, 2048):
        A = device.to_xp(rng.standard_normal((n, n), dtype=np.float32))
        B = device.to_xp(rng.standard_normal((n, n), dtype=np.float32))
        xp = backend.get_xp()
        C = xp.empty((n, n), dtype=xp.float32)
        xp.matmul(A, B, out=C)
        samples = []
        for _ in range(max(3, repeats)):
            device.sync()
            t = time.perf_counter()
            xp.matmul(A, B, out=C)
            device.sync()
            samples.append(time.perf_counter() - t)
        flops = 2.0 * n**3
        out[f"numpy_{n}"] = {"gflops_best": flops / min(samples) / 1e9,
                             "gflops_median": flops / statistics.median(samples) / 1e9}
        if torch is not None:
            dev = "cuda" if device.name == "gpu" else "cpu"
            tA = torch.as_tensor(backend.to_numpy(A)).to(dev)
            tB = torch.as_tensor(backend.to_numpy(B)).to(dev)
            tC = torch.empty((n, n), device=dev)
            torch.matmul(tA, tB, out=tC)
            ts = []
            for _ in range(max(3, repeats)):
                _torch_sync(torch, dev)
                t = time.perf_counter()
                torch.matmul(tA, tB, out=tC)
                _torch_sync(torch, dev)
                ts.append(time.perf_counter() - t)
            out[f"torch_{n}"] = {"gflops_best": flops / min(ts) / 1e9,
                                 "gflops_median": flops / statistics.median(ts) / 1e9}
    # the limit glassnet runs against: the best its own array library reaches
    out["limit_gflops"] = max(out["numpy_1024"]["gflops_best"], out["numpy_2048"]["gflops_best"])
    return out


def merge_gemm(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two GEMM measurements (start and end of the run) as one: for each size the better
    best and the better median (``measurements`` keeps both)."""
    out: dict[str, Any] = {"measurements": [first, second]}
    for key, a in first.items():
        b = second.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out[key] = {"gflops_best": max(a["gflops_best"], b["gflops_best"]),
                        "gflops_median": max(a["gflops_median"], b["gflops_median"])}
    out["limit_gflops"] = max(first["limit_gflops"], second["limit_gflops"])
    return out


def _torch_sync(torch: Any, dev: str) -> None:
    if dev == "cuda":
        torch.cuda.synchronize()


# --------------------------------------------------------------------------------------
# contenders: one epoch of an MLP
# --------------------------------------------------------------------------------------
def glassnet_mlp(dims: list[int], dtype: str = "float32") -> Any:
    return gn.deep_network(dims, hidden_activation="relu", init="he", seed=SEED, dtype=dtype)


def glassnet_epoch(model: Any, X: Any, y: np.ndarray) -> Callable[[], None]:
    def run() -> None:
        fit(model, X, y, optimizer="adam", learning_rate=LR, batch_size=BATCH, epochs=1,
            progress=False)

    return run


def torch_mlp(torch: Any, dims: list[int]) -> Any:
    torch.manual_seed(SEED)
    layers: list[Any] = []
    for a, b in zip(dims[:-2], dims[1:-1], strict=True):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(dims[-2], dims[-1]))
    return torch.nn.Sequential(*layers)


def torch_adam(torch: Any, net: Any, kind: str) -> tuple[Any, str]:
    """Adam with ``kind`` default / fused; a fused Adam that the build refuses falls back
    to foreach (the returned label says which ran)."""
    params = list(net.parameters())
    if kind == "default":
        return torch.optim.Adam(params, lr=LR), "default"
    try:
        opt = torch.optim.Adam(params, lr=LR, fused=True)
        # one real step proves the fused kernel exists for this device
        for p in params:
            p.grad = torch.zeros_like(p)
        opt.step()
        opt.zero_grad(set_to_none=True)
        opt = torch.optim.Adam(params, lr=LR, fused=True)
        return opt, "fused"
    except (RuntimeError, TypeError, ValueError):
        for p in params:
            p.grad = None
        return torch.optim.Adam(params, lr=LR, foreach=True), "foreach"


def torch_epoch(torch: Any, net: Any, opt: Any, X: Any, y: Any, n: int,
                batch: int = BATCH) -> Callable[[], None]:
    """The loop a careful PyTorch user writes: reshuffle, gather rows, step, read the loss."""
    F = torch.nn.functional
    gen = torch.Generator().manual_seed(SEED)

    def run() -> None:
        order = torch.randperm(n, generator=gen).to(X.device)
        total = 0.0
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            loss = F.cross_entropy(net(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)

    return run


def sklearn_epoch(MLPClassifier: Any, ConvergenceWarning: Any, dims: list[int],
                  X_rows: np.ndarray, y: np.ndarray) -> Callable[[], None]:
    def run() -> None:
        clf = MLPClassifier(hidden_layer_sizes=tuple(dims[1:-1]), activation="relu",
                            solver="adam", alpha=0.0, batch_size=BATCH, learning_rate_init=LR,
                            max_iter=1, shuffle=True, random_state=SEED, tol=0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_rows, y)
        run.dtype = str(clf.coefs_[0].dtype)  # type: ignore[attr-defined]

    return run


# --------------------------------------------------------------------------------------
# workloads
# --------------------------------------------------------------------------------------
def bench_mlp(name: str, device: Device, torch: Any, sk: Any, gemm: dict, repeats: int,
              n: int, data: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
    dims = MLPS[name]
    X_rows, y = data
    X_rows, y = X_rows[:n], y[:n]
    params = mlp_parameters(dims)
    flops = 6.0 * params * n
    contenders: dict[str, Callable[[], None]] = {}
    warm: dict[str, Callable[[], None]] = {}
    notes: dict[str, str] = {}
    n_warm = max(BATCH * 20, n // 10)  # a short warm-up epoch: every buffer and kernel is hot

    model = glassnet_mlp(dims)
    X_gn = device.to_xp(X_rows).T  # (784, m): the course's layout, a view of the same rows
    contenders["glassnet"] = glassnet_epoch(model, X_gn, y)
    warm["glassnet"] = glassnet_epoch(model, X_gn[:, :n_warm], y[:n_warm])
    if torch is not None:
        dev = "cuda" if device.name == "gpu" else "cpu"
        Xt = torch.from_numpy(X_rows).to(dev)
        yt = torch.from_numpy(y).to(dev)
        for kind in ("default", "fused"):
            net = torch_mlp(torch, dims).to(dev)
            opt, label = torch_adam(torch, net, kind)
            key = f"torch_adam_{kind}"
            contenders[key] = torch_epoch(torch, net, opt, Xt, yt, n)
            warm[key] = torch_epoch(torch, net, opt, Xt[:n_warm], yt[:n_warm], n_warm)
            notes[key] = f"torch.optim.Adam ({label})"
    else:
        print("  PyTorch not installed: skipped (pip install torch==2.13.0)")
    if sk is not None and device.name == "cpu":
        run = sklearn_epoch(*sk, dims, X_rows, y)
        contenders["sklearn"] = run
        warm["sklearn"] = sklearn_epoch(*sk, dims, X_rows[:n_warm], y[:n_warm])
    elif sk is None:
        print("  scikit-learn not installed: skipped")

    # scikit-learn is much slower: time it fewer times
    slow = {k: contenders.pop(k) for k in ["sklearn"] if k in contenders}
    times = interleaved(contenders, repeats, 1, device.sync, warm)
    if slow:
        times.update(interleaved(slow, max(1, min(repeats, 2)), 1, device.sync, warm))
        notes["sklearn"] = (f"MLPClassifier(solver='adam', batch_size={BATCH}, max_iter=1, "
                            f"alpha=0), weights {getattr(slow['sklearn'], 'dtype', '?')}")
    results = {}
    for key, samples in times.items():
        r = summarize(samples, n)
        r["gflops"] = flops / r["median_s"] / 1e9
        r["gemm_fraction"] = r["gflops"] / gemm["limit_gflops"]
        if key in notes:
            r["note"] = notes[key]
        results[key] = r
    return {"workload": name, "kind": "train_epoch", "dims": dims, "parameters": params,
            "samples": n, "batch": BATCH, "flops": flops, "results": results}


def bench_inference(device: Device, torch: Any, repeats: int, data: tuple[np.ndarray, Any]
                    ) -> list[dict[str, Any]]:
    dims = MLPS["mlp_small"]
    X_rows, _ = data
    model = glassnet_mlp(dims)
    net = None
    dev = "cuda" if device.name == "gpu" else "cpu"
    if torch is not None:
        net = torch_mlp(torch, dims).to(dev).eval()
    out = []
    for m in (1, 1000):
        X_gn = device.to_xp(np.ascontiguousarray(X_rows[:m].T))  # (784, m)
        samplers = {"glassnet": per_call(lambda X=X_gn: model.predict_proba(X), device.sync)}
        if net is not None:
            Xt = torch.from_numpy(np.ascontiguousarray(X_rows[:m])).to(dev)

            def tfn(Xt: Any = Xt) -> Any:
                with torch.inference_mode():
                    return net(Xt).softmax(dim=1)

            samplers["torch"] = per_call(tfn, lambda: _torch_sync(torch, dev))
        times = interleaved(samplers, max(repeats, 7), 0, lambda: None)
        out.append({"workload": f"mlp_small_infer_{m}", "kind": "inference", "dims": dims,
                    "samples": m,
                    "results": {k: summarize(v, m) for k, v in times.items()}})
    return out


def _vgg_layers(classes: int = N_CLASSES) -> list[Any]:
    from glassnet.layers.conv.conv import Conv2D
    from glassnet.layers.conv.pooling import MaxPool2D
    from glassnet.layers.dense import Dense
    from glassnet.layers.flatten import Flatten

    return [
        Conv2D(32, 3, 1, "same", activation="relu"),
        Conv2D(32, 3, 1, "same", activation="relu"),
        MaxPool2D(2, 2),
        Conv2D(64, 3, 1, "same", activation="relu"),
        Conv2D(64, 3, 1, "same", activation="relu"),
        MaxPool2D(2, 2),
        Flatten(),
        Dense(classes, activation="softmax", init="xavier"),
    ]


def _torch_vgg(torch: Any) -> Any:
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 8 * 64, N_CLASSES))


def _torch_lenet(torch: Any) -> Any:
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, N_CLASSES))


def conv_available() -> bool:
    try:
        from glassnet.layers.conv.conv import Conv2D  # noqa: F401
        from glassnet.models import zoo  # noqa: F401
    except ImportError:
        return False
    return hasattr(zoo, "lenet5")


def bench_conv(device: Device, torch: Any, repeats: int, steps: int) -> list[dict[str, Any]]:
    """Train-step time (forward, backward, Adam) of LeNet-5 (28x28x1, batch 128) and a
    VGG-style net (32x32x3, batch 64), ``steps`` steps per timed run."""
    if not conv_available():
        print("  glassnet.zoo.lenet5 / Conv2D not there yet: conv workloads skipped")
        return []
    from glassnet.models import zoo
    from glassnet.models.sequential import Sequential
    from glassnet.optim.optimizers import Adam

    specs = [
        ("lenet5", (28, 28, 1), 128, lambda: zoo.lenet5((28, 28, 1), N_CLASSES),
         _torch_lenet),
        ("vgg_small", (32, 32, 3), 64, _vgg_layers, _torch_vgg),
    ]
    out = []
    dev = "cuda" if device.name == "gpu" else "cpu"
    for name, shape, batch, gn_layers, t_net in specs:
        Xn, yn = make_images(batch, shape)
        model = Sequential(gn_layers(), loss="categorical_crossentropy")
        model.build(shape, seed=SEED, dtype="float32")
        Xb = device.to_xp(Xn)
        Yb = model.prepare_labels(yn)
        opt = Adam(LR)

        def gn_steps(model: Any = model, Xb: Any = Xb, Yb: Any = Yb, opt: Any = opt) -> None:
            for _ in range(steps):
                model.train_step(Xb, Yb)
                opt.step(model.parameters, model.grads)

        contenders = {"glassnet": gn_steps}
        notes = {}
        if torch is not None:
            torch.manual_seed(SEED)
            net = t_net(torch).to(dev)
            topt, label = torch_adam(torch, net, "fused")
            Xt = torch.from_numpy(np.ascontiguousarray(Xn.transpose(0, 3, 1, 2))).to(dev)
            yt = torch.from_numpy(yn).to(dev)
            F = torch.nn.functional

            def t_steps(net: Any = net, topt: Any = topt, Xt: Any = Xt, yt: Any = yt,
                        F: Any = F) -> None:
                for _ in range(steps):
                    loss = F.cross_entropy(net(Xt), yt)
                    topt.zero_grad(set_to_none=True)
                    loss.backward()
                    topt.step()
                    loss.item()

            contenders["torch_adam_fused"] = t_steps
            notes["torch_adam_fused"] = f"torch.optim.Adam ({label}), NCHW"
        times = interleaved(contenders, repeats, 1, device.sync)
        results = {}
        for k, v in times.items():
            r = summarize([t / steps for t in v], batch)
            if k in notes:
                r["note"] = notes[k]
            results[k] = r
        out.append({"workload": f"{name}_train_step", "kind": "train_step",
                    "input": list(shape), "batch": batch, "parameters": model.n_parameters,
                    "samples": batch, "results": results})
    return out


# --------------------------------------------------------------------------------------
# peak memory: one training epoch in a fresh process
# --------------------------------------------------------------------------------------
def _rss_peak_mib() -> float:
    """This process's peak resident set size, MiB.

    /proc/self/status's VmHWM belongs to the process's own address space; getrusage's
    ru_maxrss (the fallback) carries the parent's peak across fork and exec on Linux.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def memory_child(impl: str, workload: str, n: str) -> None:
    """Peak RSS of one epoch, above the peak after imports and data (printed as JSON)."""
    dims = MLPS[workload]
    n_train = int(n)
    if impl == "torch":
        torch = _import_torch()
        if torch is None:
            print(json.dumps({"skipped": "torch not installed"}))
            return
    kernels: dict[str, float] = {}
    if impl.startswith("glassnet"):
        # numba and glassnet's compiled optimizer kernels are loaded before the baseline, as
        # torch's kernels are by its import; what they cost is reported on its own
        before = _rss_peak_mib()
        from glassnet.core.kernels import optimizer_kernels as fused

        if fused.load((np.float32,)):
            kernels = {"kernels_mib": _rss_peak_mib() - before}
    if impl == "glassnet_c_order":  # X made C-ordered (n_x, m): fit keeps an examples-first copy
        rng = np.random.default_rng(SEED)
        X = rng.standard_normal((N_FEATURES, n_train), dtype=np.float32)
        y = rng.integers(0, N_CLASSES, n_train)
        base = _rss_peak_mib()
        glassnet_epoch(glassnet_mlp(dims), X, y)()
        peak = _rss_peak_mib()
        print(json.dumps({"baseline_mib": base, "peak_mib": peak, "extra_mib": peak - base,
                          **kernels}))
        return
    X_rows, y = make_data(n_train)
    base = _rss_peak_mib()
    if impl == "glassnet":
        model = glassnet_mlp(dims)
        glassnet_epoch(model, X_rows.T, y)()
    else:
        net = torch_mlp(torch, dims)
        opt, _ = torch_adam(torch, net, "fused")
        torch_epoch(torch, net, opt, torch.from_numpy(X_rows), torch.from_numpy(y), n_train)()
    peak = _rss_peak_mib()
    print(json.dumps({"baseline_mib": base, "peak_mib": peak, "extra_mib": peak - base,
                      **kernels}))


def bench_memory(torch: Any, n: int) -> list[dict[str, Any]]:
    out = []
    impls = ["glassnet", "glassnet_c_order"] + (["torch"] if torch is not None else [])
    for workload in ("mlp_small", "mlp_large"):
        results = {}
        for impl in impls:
            cmd = [sys.executable, os.path.abspath(__file__), "--threads", str(ARGS.threads),
                   "--_memory-child", impl, workload, str(n)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            try:
                results[impl] = json.loads(proc.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                results[impl] = {"error": (proc.stderr or proc.stdout)[-500:]}
        out.append({"workload": f"{workload}_peak_rss", "kind": "memory", "samples": n,
                    "results": results})
    return out


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------
def machine_info(torch: Any) -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "threads": ARGS.threads,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "glassnet": getattr(gn, "__version__", "?"),
        "torch": getattr(torch, "__version__", None),
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
        "device": ARGS.device,
    }
    try:
        import sklearn

        info["sklearn"] = sklearn.__version__
    except ImportError:
        info["sklearn"] = None
    if threadpool_limits is not None:
        from threadpoolctl import threadpool_info

        info["blas"] = [{k: d.get(k) for k in ("internal_api", "version", "num_threads",
                                                "architecture")}
                        for d in threadpool_info() if d.get("user_api") == "blas"]
    return info


def ratios(entry: dict[str, Any]) -> dict[str, float]:
    res = entry["results"]
    if entry["kind"] == "memory":
        out = {}
        for key, name in (("extra_mib", "glassnet/torch"),
                          ("peak_mib", "glassnet/torch process peak")):
            g = res.get("glassnet", {}).get(key)
            t = res.get("torch", {}).get(key)
            if g is not None and t:
                out[name] = g / t
        return out
    g = res.get("glassnet", {}).get("median_s")
    if g is None:
        return {}
    return {f"glassnet/{k}": g / v["median_s"] for k, v in res.items()
            if k != "glassnet" and "median_s" in v}


def check_targets(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by = {e["workload"]: e for e in entries}
    out = []

    def add(name: str, value: float | None, target: float, better: str) -> None:
        if value is None:
            out.append({"target": name, "value": None, "goal": f"{better} {target}",
                        "met": None})
            return
        met = value <= target if better == "<=" else value >= target
        out.append({"target": name, "value": value, "goal": f"{better} {target}", "met": met})

    for w in ("mlp_small", "mlp_large"):
        e = by.get(w)
        add(f"{w} epoch time / torch fused Adam",
            e["ratios"].get("glassnet/torch_adam_fused") if e else None,
            TARGETS["epoch_vs_torch_fused"], "<=")
    e = by.get("mlp_large")
    add("mlp_large glassnet FLOP efficiency (fraction of GEMM limit)",
        e["results"]["glassnet"]["gemm_fraction"] if e else None,
        TARGETS["large_mlp_gemm_fraction"], ">=")
    e = by.get("mlp_small_infer_1")
    add("1-example inference latency / torch",
        e["ratios"].get("glassnet/torch") if e else None, TARGETS["latency_1_vs_torch"], "<=")
    for w in ("mlp_small", "mlp_large"):
        e = by.get(f"{w}_peak_rss")
        add(f"{w} epoch peak RSS / torch", e["ratios"].get("glassnet/torch") if e else None,
            TARGETS["peak_memory_vs_torch"], "<=")
        add(f"{w} whole-process peak RSS / torch",
            e["ratios"].get("glassnet/torch process peak") if e else None,
            TARGETS["peak_memory_vs_torch"], "<=")
    return out


def _fmt_t(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} us"


def table(entries: list[dict[str, Any]]) -> str:
    head = ("workload", "contender", "median", "spread (min-max)", "samples/s", "GFLOP/s",
            "% GEMM", "glassnet/this")
    rows = [head]
    for e in entries:
        g = e["results"].get("glassnet", {})
        for k, r in e["results"].items():
            if e["kind"] == "memory":
                if "extra_mib" not in r:
                    rows.append((e["workload"], k, "error", "", "", "", "", ""))
                    continue
                ratio = (g.get("extra_mib", 0) / r["extra_mib"]
                         if k != "glassnet" and r["extra_mib"] else None)
                kern = (f"; kernels {r['kernels_mib']:.0f} MiB before"
                        if "kernels_mib" in r else "")
                rows.append((e["workload"], k, f"{r['extra_mib']:.1f} MiB",
                             f"(peak {r['peak_mib']:.0f} MiB{kern})", "", "", "",
                             f"{ratio:.2f}" if ratio is not None else ""))
                continue
            ratio = g["median_s"] / r["median_s"] if (g and k != "glassnet") else None
            rows.append((
                e["workload"], k, _fmt_t(r["median_s"]),
                f"{_fmt_t(r['min_s'])} - {_fmt_t(r['max_s'])}",
                f"{r.get('samples_per_s', 0):,.0f}",
                f"{r['gflops']:.1f}" if "gflops" in r else "",
                f"{100 * r['gemm_fraction']:.0f}%" if "gemm_fraction" in r else "",
                f"{ratio:.2f}" if ratio is not None else "",
            ))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    lines = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def gemm_table(gemm: dict[str, Any]) -> str:
    lines = ["| GEMM float32 | best GFLOP/s | median GFLOP/s |", "|---|---|---|"]
    for k, v in gemm.items():
        if isinstance(v, dict):
            lines.append(f"| {k.replace('_', ' n=')} | {v['gflops_best']:.1f} | "
                         f"{v['gflops_median']:.1f} |")
    lines.append(f"| limit used (NumPy best) | {gemm['limit_gflops']:.1f} | |")
    return "\n".join(lines)


def targets_table(targets: list[dict[str, Any]]) -> str:
    lines = ["| target | measured | goal | met |", "|---|---|---|---|"]
    for t in targets:
        v = "n/a" if t["value"] is None else f"{t['value']:.2f}"
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {v} | {t['goal']} | {met} |")
    return "\n".join(lines)


def markdown_report(command: str, info: dict[str, Any], gemm: dict[str, Any],
                    entries: list[dict[str, Any]], targets: list[dict[str, Any]]) -> str:
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']})"
                     for b in info.get("blas", [])) or "?"
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {info['cpu']}, {info['logical_cpus']} logical CPUs, {info['threads']} "
        f"threads for NumPy's BLAS and PyTorch; Python {info['python']}, NumPy {info['numpy']} "
        f"(BLAS: {blas}), PyTorch {info['torch']}, scikit-learn {info['sklearn']}; "
        f"load average {info['load_average_at_start'][0]:.2f} at the start, "
        f"{info['load_average_at_end'][0]:.2f} at the end; {info['seconds']:.0f} s in all.",
        "",
        "Times are medians of the timed repeats (after a warm-up), spread min - max; "
        "`glassnet/this` below 1 means glassnet is faster.  Memory rows: peak RSS of one "
        "training epoch above the process's peak after imports and data (for glassnet also "
        "after numba and its compiled optimizer kernels, whose cost is shown), and in "
        "brackets the whole process's peak.",
        "",
        table(entries),
        "",
        gemm_table(gemm),
        "",
        targets_table(targets),
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
def run_with_workplace_env() -> dict[str, Any] | None:
    """This benchmark again in a child process with :data:`WORKPLACE_ENV` set: its ratios
    table and the BLAS kernel that ran (None if the child failed)."""
    out = (ARGS.out or os.path.join(HERE, "results", "latest.json")) + ".workplace-env.json"
    argv = [a for a in sys.argv[1:]]
    for flag in ("--out", "--markdown", "--workplace-env"):
        while flag in argv:
            i = argv.index(flag)
            del argv[i:i + 2]
    cmd = [sys.executable, os.path.abspath(__file__), *argv, "--_env-child", "--no-memory",
           "--out", out]
    env = {**os.environ, **WORKPLACE_ENV}
    print(f"\n[again with {WORKPLACE_ENV} set, in a child process] ...", flush=True)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0 or not os.path.exists(out):
        print(f"the run with {WORKPLACE_ENV} failed:\n{done.stderr[-2000:]}")
        return None
    with open(out) as f:
        child = json.load(f)
    blas = child["machine"].get("blas") or [{}]
    return {"env": WORKPLACE_ENV, "blas_kernel": blas[0].get("architecture"),
            "table_markdown": child["table_markdown"],
            "ratios": {e["workload"]: e.get("ratios") for e in child["workloads"]}}


def main() -> int:
    if ARGS._memory_child:
        memory_child(*ARGS._memory_child)
        return 0
    repeats = 2 if ARGS.quick and ARGS.repeats == 5 else ARGS.repeats
    n = 6_400 if ARGS.quick else N_TRAIN
    try:
        device = Device(ARGS.device)
    except RuntimeError as exc:
        print(f"--device gpu: skipped ({exc})")
        return 0
    torch = _import_torch()
    if torch is None:
        print("PyTorch not installed: its columns are skipped (pip install torch==2.13.0)")
    elif ARGS.device == "gpu" and not torch.cuda.is_available():
        print("PyTorch has no CUDA here: PyTorch skipped on the GPU")
        torch = None
    sk = _import_sklearn()
    info = machine_info(torch)
    print(f"glassnet benchmarks: {info['cpu']}, {info['logical_cpus']} logical CPUs, "
          f"{ARGS.threads} threads, numpy {info['numpy']}, torch {info['torch']}, "
          f"load {info['load_average_at_start'][0]:.2f}")

    def wanted(name: str) -> bool:
        return ARGS.only is None or any(w in name for w in ARGS.only)

    started = time.perf_counter()
    gemm = gemm_limit(device, torch, repeats)
    print(gemm_table(gemm), flush=True)
    entries: list[dict[str, Any]] = []
    data = make_data()
    for name in MLPS:
        if wanted(name):
            print(f"[{name}] one epoch of {n:,} samples ...", flush=True)
            entries.append(bench_mlp(name, device, torch, sk, gemm, repeats, n, data))
    if wanted("infer"):
        print("[inference] ...", flush=True)
        entries += bench_inference(device, torch, repeats, data)
    if wanted("conv") or wanted("lenet") or wanted("vgg"):
        print("[conv] ...", flush=True)
        entries += bench_conv(device, torch, repeats, steps=2 if ARGS.quick else 10)
    if wanted("rnn") or wanted("gru") or wanted("lstm"):
        print("[recurrent] ...", flush=True)
        sys.path.insert(0, HERE)
        from recurrent import bench_recurrent

        sys.path.pop(0)
        entries += bench_recurrent(device, torch, repeats, 2 if ARGS.quick else 5, LR, SEED,
                                   interleaved, summarize, torch_adam,
                                   lambda n: ARGS.only is None or any(w in n for w in ARGS.only),
                                   memory=not ARGS.no_memory, threads=ARGS.threads)
    # the limit again at the end: on a shared machine one measurement can fall in a slow
    # spell, and the FLOP efficiencies are against the best the machine showed in the run
    gemm = merge_gemm(gemm, gemm_limit(device, torch, repeats))
    for e in entries:
        for r in e["results"].values():
            if "gflops" in r:
                r["gemm_fraction"] = r["gflops"] / gemm["limit_gflops"]
    if not ARGS.no_memory and device.name == "cpu" and wanted("memory"):
        print("[memory] peak RSS of one epoch, each in a fresh process ...", flush=True)
        entries += bench_memory(torch, n)
    for e in entries:
        e["ratios"] = ratios(e)
    targets = check_targets(entries)
    info["workplace_env"] = {v: os.environ.get(v) for v in WORKPLACE_VARS}
    with_env = run_with_workplace_env() if WORKPLACE_ENV else None
    info["load_average_at_end"] = list(os.getloadavg())
    info["seconds"] = time.perf_counter() - started
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    print()
    print(table(entries))
    print()
    print(targets_table(targets))
    kernels = ", ".join(f"{b.get('internal_api')} {b.get('version')} {b.get('architecture')}"
                        for b in info.get("blas", [])) or "unknown (no threadpoolctl)"
    print(f"\nBLAS kernel: {kernels}; "
          + ", ".join(f"{k}={v}" for k, v in info["workplace_env"].items()))
    if with_env is not None:
        print(f"\nthe same with {with_env['env']} set (a child process; "
              f"BLAS kernel {with_env['blas_kernel']}):")
        print(with_env["table_markdown"])
    print(f"\n{info['seconds']:.0f} s; load average "
          f"{info['load_average_at_end'][0]:.2f} at the end")
    if ARGS.markdown:
        with open(ARGS.markdown, "w") as f:
            f.write(markdown_report(command.strip(), info, gemm, entries, targets))
        print(f"wrote {ARGS.markdown}")
    if ARGS.out:
        os.makedirs(os.path.dirname(os.path.abspath(ARGS.out)), exist_ok=True)
        with open(ARGS.out, "w") as f:
            json.dump({"command": command.strip(), "machine": info, "gemm": gemm,
                       "workloads": entries, "targets": targets,
                       "with_workplace_env": with_env,
                       "table_markdown": table(entries), "targets_markdown":
                       targets_table(targets), "gemm_markdown": gemm_table(gemm)},
                      f, indent=1)
        print(f"wrote {ARGS.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
