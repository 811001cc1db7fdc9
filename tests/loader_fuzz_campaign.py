"""A bigger fuzz campaign of the dataset loaders than tests/test_loader_fuzz.py runs in CI
(not a test: run it by hand).  Per loader it mutates a small valid file N times (seeded
``random``), loads each in a child process capped by RLIMIT_AS, and counts: loaded,
refused with glassnet's DataError/GlassnetError, other exceptions (by type), crashes
(the child killed by a signal) and MemoryError.

    PYTHONPATH=src python tests/loader_fuzz_campaign.py OUT_DIR N [LOADER ...]
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
from pathlib import Path

CHILD = r'''
import json, os, random, resource, struct, sys, traceback, warnings
warnings.simplefilter("ignore")
kind, base, start, n, seed, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5]), sys.argv[6]
import glassnet.data as gd
try:
    from glassnet.core.limits import set_memory_budget
    set_memory_budget("64M")
except ImportError:
    pass
with open("/proc/self/statm") as fh:
    used = int(fh.read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (used + 2 * 2**30, resource.RLIM_INFINITY))
data = open(base, "rb").read()
suffix = {"idx": "-idx3-ubyte", "idxgz": "-idx3-ubyte.gz", "h5": ".h5", "npz": ".npz",
          "mat5": ".mat", "mat5z": ".mat", "mat4": ".mat", "csv": ".csv", "png": ".png",
          "jpg": ".jpg"}[kind]
work = os.path.dirname(out)
folder = os.path.join(work, "folder-" + kind)
os.makedirs(os.path.join(folder, "a"), exist_ok=True)
path = os.path.join(folder, "a", "f" + suffix) if kind in ("png", "jpg") else \
    os.path.join(work, "fuzzed-" + kind + suffix)
load = {"idx": gd.load_idx, "idxgz": gd.load_idx, "h5": gd.load_h5, "npz": gd.load_npz,
        "mat5": gd.load_mat, "mat5z": gd.load_mat, "mat4": gd.load_mat, "csv": gd.load_csv,
        "png": lambda p: gd.load_image_folder(folder),
        "jpg": lambda p: gd.load_image_folder(folder)}[kind]
SIZES = [0, 1, 0xFF, 0x7FFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 400_000_000, 200_000]
for i in range(start, n):
    r = random.Random(seed * 1_000_003 + i)
    b = bytearray(data)
    for _ in range(r.randint(1, 6)):
        k = r.randrange(max(len(b), 1)); op = r.random()
        if op < 0.45 and b: b[k] = r.randrange(256)
        elif op < 0.6: del b[k:k + r.randint(1, 64)]
        elif op < 0.75: b[k:k] = bytes(r.randrange(256) for _ in range(r.randint(1, 16)))
        elif op < 0.95: b[k:k + 4] = struct.pack(r.choice("<>") + "I", r.choice(SIZES))
        else: del b[k:]
    open(path, "wb").write(b)
    with open(out, "a") as fh:
        fh.write(json.dumps({"i": i, "status": "started"}) + "\n")
    try:
        load(path); status = "loaded"
    except gd.DataError:
        status = "refused"
    except MemoryError:
        status = "MemoryError"
    except Exception as exc:
        mod = getattr(sys.modules.get("glassnet.core.errors"), "GlassnetError", None)
        status = "refused" if mod and isinstance(exc, mod) else "other:" + type(exc).__name__
        if status != "refused":
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            status += f" ({os.path.basename(tb.filename)}:{tb.lineno})"
    with open(out, "a") as fh:
        fh.write(json.dumps({"i": i, "status": status}) + "\n")
'''


def campaign(kind: str, base: Path, n: int, out_dir: Path, seed: int = 1) -> dict[str, int]:
    """Run loader ``kind`` on ``n`` mutants of ``base``; restart after a crash."""
    log = out_dir / f"{kind}.jsonl"
    log.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    start = 0
    while start < n:
        proc = subprocess.run([sys.executable, "-c", CHILD, kind, str(base), str(start), str(n),
                               str(seed), str(log)], capture_output=True, timeout=3600)
        lines = [json.loads(x) for x in log.read_text().splitlines()]
        done = {d["i"]: d["status"] for d in lines if d["status"] != "started"}
        started = [d["i"] for d in lines if d["status"] == "started"]
        if proc.returncode != 0:
            last = started[-1] if started else start
            if last not in done:
                done[last] = f"crash (signal {-proc.returncode})" if proc.returncode < 0 \
                    else f"crash (exit {proc.returncode})"
                with open(log, "a") as fh:
                    fh.write(json.dumps({"i": last, "status": done[last]}) + "\n")
            start = last + 1
        else:
            start = n
    for d in (json.loads(x) for x in log.read_text().splitlines()):
        if d["status"] != "started":
            counts[d["status"]] = counts.get(d["status"], 0) + 1
    return counts


def make_files(d: Path) -> dict[str, Path]:
    """The valid small files mutated (as in tests/test_loader_fuzz.py)."""
    import gzip
    import struct

    import h5py
    import numpy as np
    import scipy.io
    from PIL import Image

    rs = np.random.RandomState(0)
    files = {}
    imgs = rs.randint(0, 256, (3, 6, 5)).astype(np.uint8)
    idx = struct.pack(">BBBB3I", 0, 0, 8, 3, 3, 6, 5) + imgs.tobytes()
    (d / "v.idx").write_bytes(idx)
    files["idx"] = d / "v.idx"
    (d / "v.idx.gz").write_bytes(gzip.compress(idx, mtime=0))
    files["idxgz"] = d / "v.idx.gz"
    with h5py.File(d / "v.h5", "w") as f:
        f["train_set_x"] = rs.randint(0, 256, (4, 3, 3, 3)).astype(np.uint8)
        f["train_set_y"] = np.array([0, 1, 1, 0])
        f["list_classes"] = np.array([b"non-cat", b"cat"])
    files["h5"] = d / "v.h5"
    np.savez_compressed(d / "v.npz", x=rs.randn(4, 3), y=np.array([0, 1, 2, 1]),
                        classes=np.array(["a", "b", "c"]))
    files["npz"] = d / "v.npz"
    mat = {"X": rs.randn(5, 2), "y": np.array([[0.0], [1], [1], [0], [1]])}
    for name, kw in (("mat5", {}), ("mat5z", {"do_compression": True}), ("mat4", {"format": "4"})):
        scipy.io.savemat(d / f"{name}.mat", mat, **kw)
        files[name] = d / f"{name}.mat"
    (d / "v.csv").write_bytes(b"a,b,label\n1.5,2,cat\n3,4e1,dog\n5,-6,cat\n")
    files["csv"] = d / "v.csv"
    Image.fromarray(rs.randint(0, 256, (6, 5, 3)).astype(np.uint8)).save(d / "v.png")
    files["png"] = d / "v.png"
    Image.fromarray(rs.randint(0, 256, (6, 5)).astype(np.uint8)).save(d / "v.jpg")
    files["jpg"] = d / "v.jpg"
    return files


if __name__ == "__main__":
    out_dir, n = Path(sys.argv[1]), int(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    files = make_files(out_dir)
    kinds = sys.argv[3:] or list(files)
    results = {}
    for kind in kinds:
        results[kind] = campaign(kind, files[kind], n, out_dir)
        print(kind, json.dumps(results[kind]), flush=True)
    (out_dir / "summary.json").write_text(json.dumps(results, indent=1))
    del os, random, resource
