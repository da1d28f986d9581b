"""The console figures: cold start to the first screen, key press to screen update during a
run, and opening the history of a table with 10,000 commits.

`python -m bench.console keys` and `python -m bench.console history PATH` are the probes the
harness runs in fresh processes; the harness itself drives the cold start through tmux."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.lake import REPO, cli_argv, cli_env
from bench.landing import ensure_cache

# What the dashboard shows once it is drawn: the first step's card (sales's; another pipeline
# names its own first step) and the footer's quit key.
FIRST_SCREEN_MARKS = ("bronze_ingest", "Quit")
TEMPLATE_COMMITS = 100  # written for real by delta-rs; the rest copy the last one's shape


# The floor of a console's cold start: the smallest Textual app showing the same two marks.
TEXTUAL_FLOOR = """
from textual.app import App
from textual.widgets import Footer, Label
from textual.binding import Binding
class Floor(App):
    BINDINGS = [Binding("q", "quit", "Quit")]
    def compose(self):
        yield Label("bronze_ingest")
        yield Footer()
Floor().run()
"""


def cold_start(
    home: Path,
    repeats: int = 5,
    size: tuple[int, int] = (120, 36),
    first_step: str = FIRST_SCREEN_MARKS[0],
) -> dict[str, Any]:
    """Seconds from spawning `lakeconsole` in a real terminal (tmux) until its first screen
    is on that terminal, polled with `tmux capture-pane` every 5 ms; and the same for the
    smallest Textual app (the floor of any Textual console on this machine)."""
    if shutil.which("tmux") is None:
        return {"error": "tmux is not installed"}
    env = cli_env(home)
    variables = f"LAKECONSOLE_HOME='{env['LAKECONSOLE_HOME']}' NO_COLOR=1"
    marks = (first_step, *FIRST_SCREEN_MARKS[1:])
    ours = _first_screen_times(
        f"{variables} " + " ".join(f"'{a}'" for a in cli_argv()), repeats, size, marks
    )
    floor = _first_screen_times(
        f"'{sys.executable}' -c '{TEXTUAL_FLOOR}'", repeats, size, FIRST_SCREEN_MARKS
    )
    if not ours:
        return {"error": "the first screen never appeared within 30 s"}
    out = {
        "median_s": round(statistics.median(ours), 3),
        "min_s": round(min(ours), 3),
        "runs_s": [round(t, 3) for t in ours],
    }
    if floor:
        out["textual_floor_median_s"] = round(statistics.median(floor), 3)
    return out


def _first_screen_times(
    command: str, repeats: int, size: tuple[int, int], marks: tuple[str, ...]
) -> list[float]:
    times = []
    for k in range(repeats):
        session = f"lakeconsole-bench-{os.getpid()}-{k}"
        t0 = time.perf_counter()
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                str(size[0]),
                "-y",
                str(size[1]),
                f"cd '{REPO}' && exec env {command}",
            ],
            check=True,
        )
        try:
            seen = None
            while time.perf_counter() - t0 < 30:
                pane = subprocess.run(
                    ["tmux", "capture-pane", "-p", "-t", session],
                    capture_output=True,
                    text=True,
                ).stdout
                if all(mark in pane for mark in marks):
                    seen = time.perf_counter() - t0
                    break
                time.sleep(0.005)
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        if seen is not None:
            times.append(seen)
        time.sleep(0.3)
    return times


def key_latency(home: Path, presses: int) -> dict[str, Any]:
    """Run the key probe in a fresh process against the lake at `home`."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.console", "keys", str(presses)],
        env=cli_env(home),
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=900,
    )
    try:
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}


async def _probe_keys(presses: int) -> dict[str, Any]:
    """Start a run with `r`, then open and close the help with `?`/escape while it goes, timing
    each key from the press to the first frame the compositor hands to the driver that shows
    the new screen."""
    from textual import events

    from lakeconsole.core.pipeline import load_pipeline
    from lakeconsole.core.settings import load_settings
    from lakeconsole.tui.app import ConsoleApp
    from lakeconsole.tui.help import HelpScreen

    settings = load_settings()
    app = ConsoleApp(settings, load_pipeline(settings))
    frames: list[tuple[float, bool]] = []
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            frames.append((time.perf_counter(), isinstance(app.screen, HelpScreen)))

    app._display = timed_display  # type: ignore[method-assign]
    latencies: list[float] = []
    state = {"during_run": False}

    async def drive(pilot: Any) -> None:
        await pilot.press("r")
        for _ in range(200):
            if app.run_active:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.0)  # into the run's heavy part
        for _ in range(presses):
            if not app.run_active:
                break
            for key, char, want_help in (("question_mark", "?", True), ("escape", None, False)):
                t0 = time.perf_counter()
                # Straight to the driver, as a terminal's key would arrive: Pilot.press also
                # waits for the app to be idle, which during a run can take seconds a key.
                press = events.Key(key, char)
                press.set_sender(app)
                app._driver.send_message(press)
                while not any(t > t0 and shown == want_help for t, shown in frames):
                    if time.perf_counter() - t0 > 10:
                        break
                    await asyncio.sleep(0.0005)
                hit = [t for t, shown in frames if t > t0 and shown == want_help]
                if hit:
                    latencies.append(hit[0] - t0)
                await asyncio.sleep(0.2)
        state["during_run"] = app.run_active
        app.action_cancel_run()
        for _ in range(600):
            if not app.run_active:
                break
            await asyncio.sleep(0.05)

    app_error = None
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await drive(pilot)
    except Exception as exc:  # the console failed: report it with whatever was timed
        app_error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    if not latencies:
        return {"error": app_error or "the run ended before any key could be timed"}
    ms = sorted(x * 1000 for x in latencies)
    return {
        "presses": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "max_ms": round(ms[-1], 1),
        "run_still_going_at_end": state["during_run"],
        **({"app_error": app_error} if app_error else {}),
    }


def _nice_runs() -> None:
    """The experiment behind the README's key-latency figures: the console's run thread
    lowers its own priority (Linux renices one thread; threads it starts inherit it)."""

    import lakeconsole.tui.app

    original = lakeconsole.tui.app.run_pipeline

    def niced(*args: Any, **kwargs: Any) -> Any:
        os.setpriority(os.PRIO_PROCESS, 0, 10)
        return original(*args, **kwargs)

    lakeconsole.tui.app.run_pipeline = niced


def history_table(commits: int) -> Path:
    """A table with `commits` commits, built once and cached under bench/.cache.

    The first TEMPLATE_COMMITS are real delta-rs appends of one row (checkpoints included);
    the rest copy the last commit's exact shape with a new data file (a hard link) and time,
    which takes seconds instead of the ~10 minutes of 10,000 real appends on 2 cores. A
    checkpoint is written at the end, as delta-rs would have every 100 commits."""
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    path = ensure_cache() / f"history-{commits}"
    if (path / ".complete").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    row = pa.table({"id": pa.array([1], pa.int64()), "note": ["x"]})
    for _ in range(min(commits, TEMPLATE_COMMITS)):
        write_deltalake(str(path), row, mode="append")
    log = path / "_delta_log"
    last = TEMPLATE_COMMITS - 1
    template = (log / f"{last:020d}.json").read_text().splitlines()
    info, add = json.loads(template[0]), json.loads(template[1])
    data_file = path / add["add"]["path"]
    for version in range(TEMPLATE_COMMITS, commits):
        stamp = info["commitInfo"]["timestamp"] + (version - last) * 1000
        name = f"part-00000-bench-{version:08d}-c000.snappy.parquet"
        os.link(data_file, path / name)
        info["commitInfo"]["timestamp"] = stamp
        add["add"].update(path=name, modificationTime=stamp)
        (log / f"{version:020d}.json").write_text(json.dumps(info) + "\n" + json.dumps(add) + "\n")
    if commits > TEMPLATE_COMMITS:
        DeltaTable(str(path)).create_checkpoint()
    (path / ".complete").write_text("")
    return path


def history_open(path: Path) -> dict[str, Any]:
    """Run the history probe in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.console", "history", str(path)],
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}


def _probe_history(path: Path) -> dict[str, Any]:
    """What the console does when a table's history is opened: the newest page of commits."""
    t0 = time.perf_counter()
    from lakeconsole.core.explorer.history import history_page

    imported = time.perf_counter()
    page = history_page(path)
    first = time.perf_counter()
    older = history_page(path, before=page.next_before) if page.next_before is not None else None
    second = time.perf_counter()
    return {
        "commits": page.latest + 1,
        "first_page_s": round(first - imported, 4),
        "first_page_with_import_s": round(first - t0, 4),
        "next_page_s": round(second - first, 4) if older is not None else None,
        "page_size": len(page.commits),
    }


def main() -> None:
    what = sys.argv[1]
    if what == "keys":
        if sys.argv[3:4] == ["nice"]:
            _nice_runs()
        print(json.dumps(asyncio.run(_probe_keys(int(sys.argv[2])))))
    elif what == "history":
        print(json.dumps(_probe_history(Path(sys.argv[2]))))
    else:
        raise SystemExit(
            f"usage: python -m bench.console keys N [nice] | history PATH (not {what!r})"
        )


if __name__ == "__main__":
    main()
