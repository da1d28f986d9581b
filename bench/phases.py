"""Where a pipeline run spends its time: the real `lakeconsole run`, in-process, with timers
around the calls that matter (Delta writes and MERGEs, table reads, cleaning, dedupe).

`python -m bench.phases` with LAKECONSOLE_HOME pointing at a lake with landing files; prints
one line per phase: calls, wall seconds, process CPU seconds. Timers wrap functions by name and
skip any that the pipeline no longer has, so the tool survives refactoring."""

from __future__ import annotations

import functools
import importlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

# module:function pairs, as the pipeline modules hold them.
WRAPPED = (
    "lakeconsole.core.blocks.silver:query",
    "lakeconsole.core.blocks.keys:query",
    "lakeconsole.core.blocks.silver:clean",
    "lakeconsole.core.blocks.silver:keep_latest",
    "lakeconsole.core.blocks.silver:add_pending",
    "lakeconsole.core.blocks.silver:write_state",
    "lakeconsole.core.blocks.silver:pending_segments",
    "lakeconsole.core.blocks.silver:plan_batch",
    "lakeconsole.core.blocks.silver:delete_moved",
    "lakeconsole.core.blocks.gold:query",
    "lakeconsole.core.blocks.gold:_compute",
    "lakeconsole.core.blocks.bronze:content_hash",
    "lakeconsole.core.blocks.bronze:_sort_landing",
    "lakeconsole.core.blocks.silver:stamp_when_current",
    "lakeconsole.core.blocks.gold:stamp_when_current",
)

totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])


def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        w, c = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            entry = totals[label]
            entry[0] += 1
            entry[1] += time.perf_counter() - w
            entry[2] += time.process_time() - c

    return wrapper


def caller() -> str:
    """The innermost pipeline function on the stack, e.g. `silver._merge`."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if "/core/" in path:
            return f"{path.rsplit('/', 1)[-1][:-3]}.{frame.f_code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


def install() -> None:
    import deltalake
    from deltalake.table import TableMerger

    for name in WRAPPED:
        module_name, _, attr = name.partition(":")
        module = importlib.import_module(module_name)
        if hasattr(module, attr):
            setattr(
                module,
                attr,
                timed(f"{module_name.rsplit('.', 1)[-1]}.{attr}", getattr(module, attr)),
            )
    write = deltalake.write_deltalake

    def write_deltalake(*args: Any, **kwargs: Any) -> Any:
        return timed(f"write_deltalake from {caller()}", write)(*args, **kwargs)

    deltalake.write_deltalake = write_deltalake
    execute = TableMerger.execute
    clauses: dict[int, list[str]] = defaultdict(list)
    for clause in (
        "when_matched_update_all",
        "when_not_matched_insert_all",
        "when_matched_update",
        "when_not_matched_insert",
        "when_matched_delete",
    ):
        original = getattr(TableMerger, clause)

        def tag(self: Any, *a: Any, _orig: Any = original, _name: str = clause, **k: Any) -> Any:
            clauses[id(self)].append(_name.replace("when_", "").replace("_all", ""))
            return _orig(self, *a, **k)

        setattr(TableMerger, clause, tag)

    def merge_execute(self: Any) -> Any:
        label = f"MERGE {'+'.join(clauses.pop(id(self), []))} from {caller()}"
        return timed(label, execute)(self)

    TableMerger.execute = merge_execute  # type: ignore[method-assign]


def main() -> None:
    install()
    from lakeconsole.cli.main import main as cli_main

    w, c = time.perf_counter(), time.process_time()
    code = cli_main(["run", "--quiet"])
    total = ("whole run", time.perf_counter() - w, time.process_time() - c)
    rows = sorted(totals.items(), key=lambda kv: -kv[1][1])
    width = max((len(k) for k in totals), default=10)
    print(f"{'phase':<{width}}  calls   wall s    CPU s")
    for label, (calls, wall, cpu) in rows:
        print(f"{label:<{width}}  {int(calls):>5}  {wall:7.2f}  {cpu:7.2f}")
    print(f"{total[0]:<{width}}         {total[1]:7.2f}  {total[2]:7.2f}")
    print(json.dumps({"exit": code, "phases": {k: v for k, v in totals.items()}}))


if __name__ == "__main__":
    main()
