"""One run at a time per lake. An OS file lock, so a killed run's lock frees itself."""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType


@dataclass(frozen=True)
class LockHolder:
    pid: int
    run_id: str
    started_at: float
    command: str


class RunLocked(Exception):
    """Another process is running the pipeline on this lake."""

    def __init__(self, holder: LockHolder | None, path: Path) -> None:
        who = (
            f"process {holder.pid} ({holder.command}, run {holder.run_id}, "
            f"since {time.strftime('%H:%M:%S', time.localtime(holder.started_at))})"
            if holder
            else "another process"
        )
        super().__init__(
            f"A run is already going on this lake: {who}. Wait for it to finish, "
            f"or stop it (kill {holder.pid if holder else '<pid>'}) if it hangs"
        )
        self.holder = holder
        self.path = path


def read_holder(path: Path) -> LockHolder | None:
    try:
        info = json.loads(path.read_text())
        return LockHolder(
            int(info["pid"]), str(info["run_id"]), float(info["started_at"]), str(info["command"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def lock_path(state_dir: Path) -> Path:
    return state_dir / "run.lock"


def current_holder(state_dir: Path) -> LockHolder | None:
    """Who is running now, or None. A lock file left by a dead process counts as free."""
    path = lock_path(state_dir)
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return read_holder(path)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class RunLock:
    """`with RunLock(state_dir, run_id, command):` — raises RunLocked if another run holds it."""

    def __init__(self, state_dir: Path, run_id: str, command: str) -> None:
        self.path = lock_path(state_dir)
        self.run_id = run_id
        self.command = command
        self.stale: LockHolder | None = None  # set when we took over a dead run's lock
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunLocked(read_holder(self.path), self.path) from None
        previous = read_holder(self.path)
        if previous and previous.pid != os.getpid():
            self.stale = previous
        info = {
            "pid": os.getpid(),
            "run_id": self.run_id,
            "started_at": time.time(),
            "command": self.command,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
