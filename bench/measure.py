"""Run one approach in its own process and measure it: wall time, peak RSS, RSS over time.

Peak RSS is the kernel's `ru_maxrss` of that child alone (os.wait4), so approaches never share
a figure; RSS is also sampled from /proc every 20 ms so a layer's peak can be read from the
samples that fall inside its start and end times.

Linux starts a child's `ru_maxrss` at the parent's high-water mark (exec keeps the larger of the
old and the new memory's peak, and the old one is the parent's), so after the bench has compared
10M-row tables every small run "peaked" at the bench's own ~580 MB. When `ru_maxrss` is not above
the parent's peak at spawn, the child's own `VmHWM` (sampled from /proc) is reported instead."""

from __future__ import annotations

import os
import resource
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
    parent_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
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
    high_water_path = f"/proc/{proc.pid}/status"
    own_peak_kb = [0]  # the child's VmHWM: its own memory's peak, nothing inherited
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
            own_peak_kb[0] = max(own_peak_kb[0], _high_water_kb(high_water_path))
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
        peak_rss_mb=_own_peak_kb(rusage.ru_maxrss, parent_peak_kb, own_peak_kb[0], samples) / 1024,  # type: ignore[attr-defined]
        cpu_s=rusage.ru_utime + rusage.ru_stime,  # type: ignore[attr-defined]
        stdout=out.get("stdout", ""),
        stderr=out.get("stderr", ""),
        started_at=started_at,
        samples=samples,
    )


def _high_water_kb(status_path: str) -> int:
    with open(status_path) as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _own_peak_kb(
    maxrss_kb: int, parent_peak_kb: int, sampled_hwm_kb: int, samples: list[tuple[float, float]]
) -> float:
    """The child's peak: `ru_maxrss` when it is above what it inherited from us, else the
    largest of its sampled VmHWM and RSS (a peak in its last 20 ms may be missed then)."""
    if maxrss_kb > parent_peak_kb:
        return maxrss_kb
    sampled_rss_kb = max((mb * 1024 for _, mb in samples), default=0.0)
    return max(float(sampled_hwm_kb), sampled_rss_kb) or float(maxrss_kb)
