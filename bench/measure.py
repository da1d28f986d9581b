"""Run one approach in its own process and measure it: wall time, peak RSS, RSS over time.

Peak RSS is the kernel's `ru_maxrss` of that child alone (os.wait4), so approaches never share
a figure; RSS is also sampled from /proc every 20 ms so a layer's peak can be read from the
samples that fall inside its start and end times."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SAMPLE_EVERY_S = 0.02
# This machine sets it, a user's shell does not: with it every run recompiles its modules
# (~0.1 s), so no measured process inherits it.
NOT_INHERITED = ("PYTHONDONTWRITEBYTECODE",)
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Measured:
    """One finished process: how long it took and how much memory it held at most."""

    returncode: int
    wall_s: float
    peak_rss_mb: float
    cpu_s: float  # user + system time of the child: less sensitive than wall time to a busy box
    stdout: str
    stderr: str
    started_at: float  # time.time() at spawn, to line up with times the child reports
    samples: list[tuple[float, float]] = field(default_factory=list)  # (time.time(), RSS MB)

    def peak_between(self, start: float, end: float) -> float | None:
        """Peak sampled RSS (MB) between two wall-clock times; None if no sample fell inside."""
        inside = [mb for t, mb in self.samples if start <= t <= end]
        return max(inside) if inside else None


def measured_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) without the variables a user's shell would not have."""
    base = os.environ if env is None else env
    return {k: v for k, v in base.items() if k not in NOT_INHERITED}


def run_measured(
    argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | None = None
) -> Measured:
    """Run `argv` to completion, sampling its RSS; stdout and stderr are captured. The child
    never gets PYTHONDONTWRITEBYTECODE (see NOT_INHERITED)."""
    started_at = time.time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        env=measured_env(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    samples: list[tuple[float, float]] = []
    out: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda: out.__setitem__("stdout", proc.stdout.read()))  # type: ignore[union-attr]
    ]
    readers.append(
        threading.Thread(target=lambda: out.__setitem__("stderr", proc.stderr.read()))  # type: ignore[union-attr]
    )
    for reader in readers:
        reader.start()
    status_path = f"/proc/{proc.pid}/statm"
    ended = threading.Event()
    result: dict[str, object] = {}

    def reap() -> None:
        # wait4 gives this child's own rusage; a blocking reaper stops the clock on exit.
        _, status, rusage = os.wait4(proc.pid, 0)
        result.update(end=time.perf_counter(), status=status, rusage=rusage)
        ended.set()

    threading.Thread(target=reap, daemon=True).start()
    while not ended.is_set():
        try:
            with open(status_path) as fh:
                resident_pages = int(fh.read().split()[1])
            samples.append((time.time(), resident_pages * PAGE_KB / 1024))
        except (OSError, ValueError, IndexError):
            pass
        ended.wait(SAMPLE_EVERY_S)
    wall = float(result["end"]) - t0  # type: ignore[arg-type]
    rusage = result["rusage"]
    proc.returncode = os.waitstatus_to_exitcode(int(result["status"]))  # type: ignore[call-overload]
    for reader in readers:
        reader.join()
    return Measured(
        returncode=proc.returncode,
        wall_s=wall,
        peak_rss_mb=rusage.ru_maxrss / 1024,  # type: ignore[attr-defined]
        cpu_s=rusage.ru_utime + rusage.ru_stime,  # type: ignore[attr-defined]
        stdout=out.get("stdout", ""),
        stderr=out.get("stderr", ""),
        started_at=started_at,
        samples=samples,
    )
