"""A lock on a run folder: one process writes a run at a time.

``with RunLock(folder): ...`` creates ``folder/.lock`` (``O_CREAT | O_EXCL``) holding the
owner's process id and host.  A second run into the same folder gets
:class:`~glassnet.core.errors.RunLockedError` ("runs/x: in use by the run of process
1234 ..."); a lock whose process is dead (a killed run) is taken over.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from types import TracebackType

from glassnet.core.errors import RunLockedError

LOCK_NAME = ".lock"


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's living process
        return True
    return True


class RunLock:
    """An exclusive lock on ``folder`` (created if missing) for this process."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.held = False

    def _owner(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def acquire(self) -> RunLock:
        """Take the lock, taking over a dead process's; RunLockedError if a living one holds it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        me = json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode()
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                pid, host = owner.get("pid"), owner.get("host")
                if pid == os.getpid() and host == socket.gethostname():
                    raise RunLockedError(f"{self.folder}: already locked by this process") from None
                same_host = host in (None, socket.gethostname())
                if isinstance(pid, int) and (_alive(pid) or not same_host):
                    raise RunLockedError(
                        f"{self.folder}: in use by the run of process {pid} on {host}; wait for "
                        "it to finish or choose another --out") from None
                try:  # a stale lock (its process is dead, or the file is unreadable)
                    self.path.unlink()
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "wb") as fh:
                fh.write(me)
                fh.flush()
                os.fsync(fh.fileno())
            self.held = True
            return self
        raise RunLockedError(f"{self.folder}: could not take the run lock ({self.path})")

    def release(self) -> None:
        """Give the lock back (only if this process holds it)."""
        if self.held:
            self.held = False
            if self._owner().get("pid") == os.getpid():
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    pass

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
