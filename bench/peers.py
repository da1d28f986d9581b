"""The peers: what a skilled engineer would write instead of lakeconsole for the sales pipeline
(polars + deltalake, DuckDB + deltalake), from the peers folder (default ../shared/bench-peers).

They need `polars duckdb deltalake==1.6.6 pyarrow`, which are not lakeconsole's dependencies, so
they run in a venv of their own: one given (--peers-python or LAKECONSOLE_BENCH_PEERS_PYTHON), or
bench/.cache/peers-venv, created once with pip. A peer that is absent or cannot be installed is
skipped with the reason; nothing here raises for that."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.lake import REPO
from bench.landing import CACHE, ensure_cache
from bench.measure import measured_env, run_measured


def _default_dir() -> Path:
    """../shared/bench-peers of the repo; from a git worktree, of its main checkout."""
    here = REPO.parent / "shared" / "bench-peers"
    if here.is_dir():
        return here
    try:
        common = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return here
    main = Path(common).parent.parent / "shared" / "bench-peers" if common else here
    return main if main.is_dir() else here


DEFAULT_DIR = _default_dir()
DIR_ENV = "LAKECONSOLE_BENCH_PEERS_DIR"
PYTHON_ENV = "LAKECONSOLE_BENCH_PEERS_PYTHON"
VENV = CACHE / "peers-venv"
REQUIREMENTS = ["polars", "duckdb", "deltalake==1.6.6", "pyarrow"]
# peer name -> (script, modules it imports); compare.py is needed to check any of them.
SCRIPTS = {
    "polars": ("peer_polars.py", ["polars", "deltalake", "pyarrow"]),
    "duckdb": ("peer_duckdb.py", ["duckdb", "deltalake", "pyarrow"]),
}
COMPARE = ("compare.py", ["duckdb", "deltalake", "pyarrow"])
NAMES = tuple(SCRIPTS)


@dataclass
class Peers:
    """Which peers can run: their scripts and interpreter, or why each is skipped."""

    folder: Path | None
    python: str | None
    runnable: dict[str, Path] = field(default_factory=dict)  # peer name -> its script
    skipped: dict[str, str] = field(default_factory=dict)  # peer name -> why
    compare: Path | None = None
    compare_skipped: str | None = None
    versions: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder) if self.folder else None,
            "python": self.python,
            "versions": self.versions,
            "runnable": sorted(self.runnable),
            "skipped": self.skipped,
            "compare_skipped": self.compare_skipped,
        }


def skipped_all(why: str, folder: Path | None = None) -> Peers:
    return Peers(folder, None, skipped={name: why for name in NAMES}, compare_skipped=why)


def folder_of(given: Path | None) -> Path:
    """--peers-dir, else LAKECONSOLE_BENCH_PEERS_DIR, else ../shared/bench-peers of the repo."""
    if given is not None:
        return given
    return Path(os.environ[DIR_ENV]) if os.environ.get(DIR_ENV) else DEFAULT_DIR


def prepare(folder: Path, python: str | None, say: Any) -> Peers:
    """Find the peers' scripts and an interpreter that imports what each needs."""
    if not folder.is_dir():
        return skipped_all(f"the peers folder {folder} does not exist", folder)
    missing = {n: s for n, (s, _) in SCRIPTS.items() if not (folder / s).is_file()}
    python = python or os.environ.get(PYTHON_ENV) or None
    why_no_python = None
    if python is None:
        python, why_no_python = ensure_venv(say)
    elif not Path(python).exists():
        python, why_no_python = None, f"the peers' python {python} does not exist"
    peers = Peers(folder, python)
    if python is None:
        peers.skipped = {n: why_no_python or "no python" for n in NAMES}
        peers.compare_skipped = why_no_python
        return peers
    found = importable(python, sorted({m for _, ms in [*SCRIPTS.values(), COMPARE] for m in ms}))
    peers.versions = {m: v for m, v in found.items() if v is not None}
    for name, (script, modules) in SCRIPTS.items():
        absent = [m for m in modules if found.get(m) is None]
        if name in missing:
            peers.skipped[name] = f"{folder / missing[name]} does not exist"
        elif absent:
            peers.skipped[name] = f"{python} cannot import {', '.join(absent)}"
        else:
            peers.runnable[name] = folder / script
    absent = [m for m in COMPARE[1] if found.get(m) is None]
    if not (folder / COMPARE[0]).is_file():
        peers.compare_skipped = f"{folder / COMPARE[0]} does not exist"
    elif absent:
        peers.compare_skipped = f"{python} cannot import {', '.join(absent)}"
    else:
        peers.compare = folder / COMPARE[0]
    return peers


def ensure_venv(say: Any) -> tuple[str | None, str | None]:
    """bench/.cache/peers-venv's python, created and installed once; or None and why not."""
    python = VENV / "bin" / "python"
    ready = VENV / ".installed"
    if ready.exists() and python.exists():
        return str(python), None
    ensure_cache()
    say(f"peers: creating {VENV} and installing {' '.join(REQUIREMENTS)} (once)")
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--clear", str(VENV)], capture_output=True, text=True
    )
    if made.returncode != 0:
        return None, f"python -m venv failed: {_last(made.stderr)}"
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    whole = _pip(pip + REQUIREMENTS)
    if whole is not None:  # one failed: install the others alone, the probe names what is absent
        say(f"peers: pip install failed ({whole}); trying each package alone")
        for requirement in REQUIREMENTS:
            _pip([*pip, requirement])
    else:
        ready.write_text("")
    return str(python), None


def _pip(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return "timed out after 900 s"
    return None if done.returncode == 0 else _last(done.stderr or done.stdout)


def importable(python: str, modules: list[str]) -> dict[str, str | None]:
    """Each module's version as `python` imports it, None when it cannot."""
    code = (
        "import importlib, json, sys\nout = {}\nfor m in sys.argv[1:]:\n"
        "    try:\n        out[m] = getattr(importlib.import_module(m), '__version__', '?')\n"
        "    except Exception:\n        out[m] = None\nprint(json.dumps(out))"
    )
    done = subprocess.run(
        [python, "-c", code, *modules], capture_output=True, text=True, env=measured_env()
    )
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return dict.fromkeys(modules)
    return {m: found.get(m) for m in modules}


def warm_up(python: str) -> None:
    """Byte-compile the peers' venv once, so no measured round pays for it (the measured runs
    do not inherit PYTHONDONTWRITEBYTECODE, as in a user's shell)."""
    code = (
        "import compileall, sysconfig\n"
        "compileall.compile_dir(sysconfig.get_paths()['purelib'], quiet=2)"
    )
    subprocess.run([python, "-c", code], capture_output=True, env=measured_env())


def run_peer(python: str, script: Path, data: Path, rows: int) -> dict[str, Any]:
    """One run of a peer on `data` (its landing folder inside), measured like the others."""
    from bench.pipeline import _json_line, _layers, approach_figures

    m = run_measured([python, str(script), str(data)], env=measured_env(), cwd=str(data.parent))
    report = _json_line(m.stdout)
    figures = approach_figures(m, int(report.get("rows", rows) or rows), _layers(report))
    figures["phases"] = report.get("phases", {})
    figures["peer_rows"] = report.get("rows")
    return figures


def compare(python: str, script: Path, ours: Path, theirs: Path) -> dict[str, Any]:
    """compare.py lakeconsole's lake against a peer's: equal or not, with its output."""
    done = subprocess.run(
        [python, str(script), str(ours), str(theirs)],
        capture_output=True,
        text=True,
        env=measured_env(),
    )
    try:
        tables = json.loads(done.stdout)
    except ValueError:
        tables = None
    out: dict[str, Any] = {"equal": done.returncode == 0 and tables is not None}
    if tables is not None:
        out["tables"] = tables
    else:
        out["error"] = _last(done.stderr) or f"exit {done.returncode}"
    return out


def _last(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
