"""One writer at a time per lake. An OS file lock, so a killed process's lock frees itself.

`lake_lock(settings, command)` is the one way in: run, vacuum, optimize, lake restore and table
RESTORE all take it, so none of them writes while another does. It picks by the lake's kind:
a local lake's OS file lock, or on object storage the lease object of core.lease (renewed
while held, so it holds across machines and frees itself when its holder dies).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakeconsole.core.lease import Lease
    from lakeconsole.core.settings import Settings

log = logging.getLogger("lakeconsole.lock")


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


class LockFileBroken(RunLocked):
    """The lock file cannot be used (a folder, unreadable, a dangling link): nothing can start.

    A RunLocked, so every command that refuses to start on a held lock refuses with this line."""

    def __init__(self, path: Path, problem: str, fix: str) -> None:
        Exception.__init__(self, f"The lake's lock file {path} {problem}: {fix}, then try again")
        self.holder = None
        self.path = path


def broken_lock_file(path: Path, exc: OSError) -> LockFileBroken:
    """Why the lock file at `path` could not be opened, and the fix, in one line."""
    odd = not_a_file(path)
    if odd:
        return odd
    if isinstance(exc, PermissionError):
        return LockFileBroken(
            path,
            "cannot be opened for writing (permission denied)",
            f"give this user read and write access (chmod u+rw {path}) or remove it",
        )
    problem = f"cannot be opened ({exc.strerror or exc})"
    return LockFileBroken(path, problem, f"remove it (rm {path})")


_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
}


def not_a_file(path: Path) -> LockFileBroken | None:
    """The refusal for a lock file that is not a plain file, or None (a file, or nothing there).

    Looked at without following a link or opening it: opening a FIFO blocks until a writer
    comes, and writing through a link overwrites whatever it points at."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError:
        return None  # the open that follows says why
    if stat.S_ISREG(mode):
        return None
    rm = f"remove it (rm {path})"
    if stat.S_ISLNK(mode):
        target = os.readlink(path)
        gone = "" if os.path.exists(path) else ", which does not exist"
        return LockFileBroken(path, f"is a link to {target}{gone}", rm)
    if stat.S_ISDIR(mode):
        return LockFileBroken(path, "is a folder", f"remove it (rmdir {path})")
    kind = _KINDS.get(stat.S_IFMT(mode), "something other than a file")
    return LockFileBroken(path, f"is {kind}, not a file", rm)


def open_lock_file(path: Path, flags: int) -> int:
    """The lock file opened with `flags`, never through a link and never blocking; raises
    LockFileBroken when it is not a plain file (checked again on the open file: it may have
    been swapped since it was looked at)."""
    odd = not_a_file(path)
    if odd:
        raise odd
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise broken_lock_file(path, exc) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise not_a_file(path) or LockFileBroken(path, "is not a file", f"remove it (rm {path})")
    return fd


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (it may not be the one that wrote the lock)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OSError:
        return False
    return True


def takeover_message(stale: LockHolder) -> str:
    """The truth about a lock left behind: its process died, or the pid now names another."""
    if pid_alive(stale.pid) and stale.pid != os.getpid():
        why = (
            f"process {stale.pid} no longer holds the lock (it was restarted or the pid was reused)"
        )
    else:
        why = f"process {stale.pid} is gone"
    return f"took over the lock of run {stale.run_id} ({why})"


def read_holder(fd: int) -> LockHolder | None:
    """Who the open lock file says holds it (read from the file descriptor, never by path)."""
    try:
        info = json.loads(os.pread(fd, 64 * 1024, 0))
        return LockHolder(
            int(info["pid"]), str(info["run_id"]), float(info["started_at"]), str(info["command"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def lock_path(state_dir: Path) -> Path:
    return state_dir / "run.lock"


def current_holder(state_dir: Path) -> LockHolder | None:
    """Who is running now, or None. A lock file left by a dead process counts as free."""
    try:
        fd = open_lock_file(lock_path(state_dir), os.O_RDONLY)
    except LockFileBroken:
        return None  # nothing can hold it; the next writer says why in one line
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return read_holder(fd)
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
        fd = open_lock_file(self.path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(fd)
            os.close(fd)
            raise RunLocked(holder, self.path) from None
        previous = read_holder(fd)
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


@contextmanager
def lake_lock(
    settings: Settings,
    command: str,
    run_id: str | None = None,
    on_lost: Callable[[str], None] | None = None,
    ttl_s: float | None = None,
) -> Iterator[RunLock | Lease]:
    """Hold the lake's lock for `command` (raises RunLocked when another process holds it):
    the file lock of a local lake, the lease of a lake on object storage. `on_lost` is called
    with why if the lease is taken by another process meanwhile (a file lock cannot be); `ttl_s`
    is the lease's life between renewals (default core.lease's)."""
    from lakeconsole.core.runs import (
        new_run_id,  # core.runs reads the lock: imported here, not at the top
    )

    if settings.on_object_storage:
        from lakeconsole.core.lease import held_lease

        with held_lease(
            settings.lake, command, run_id or new_run_id(), ttl_s, on_lost=on_lost
        ) as lease:
            yield lease
        return
    lock = RunLock(settings.state_dir, run_id or new_run_id(), command)
    with lock:
        if lock.stale:
            log.warning(takeover_message(lock.stale))
        yield lock
