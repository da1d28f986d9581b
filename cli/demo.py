"""`lakeconsole demo`: write the loaded pipeline's deterministic sample landing files."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from lakeconsole.cli.lake_use import on_object_storage
from lakeconsole.core.exit_codes import FAILED, OK, USAGE
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.api import Pipeline
    from lakeconsole.core.tables import TableSpec

COMMAND = "demo"
ORDER = 5
object_storage = on_object_storage
HELP = "write the pipeline's deterministic sample landing files"
DESCRIPTION = """\
Write sample landing files into data/landing/ with the demo generator the pipeline declares
(Pipeline(..., demo=...)). The same --rows/--files/--seed always give the same bytes, and a
generator writes realistic dirt (re-sent and malformed lines) so quarantine has work to do.

The shipped sales pipeline writes CSV files of order lines (order_id, line_no, order_ts,
customer_id, product_id, region, price, qty, tax, currency): about 1% of each file's lines are
re-sent in the next file with a changed qty, and about 0.5% are malformed (price not a number,
missing order_id, negative qty, unparseable timestamp).

On a lake on object storage the files are written locally first, then each is uploaded (one PUT)
under the lake's landing/ prefix."""
EPILOG = """\
examples:
  lakeconsole demo                          20,000 lines in 4 files
  lakeconsole demo --rows 1000000 --files 10
  lakeconsole demo --prefix next --after 20000 --rows 5000 --files 1
                                            the next day's file after the default demo
  lakeconsole demo --if-empty               the sample setup.sh puts in a new lake"""
# What a generator's file may say about the dirt it holds, as the summary line words it.
DIRT = {"resent": "re-sent", "malformed": "malformed"}
NO_DEMO = (
    "demo: the pipeline {name} declares no demo generator: pass demo=write_demo (a function, "
    "or 'module:function') to Pipeline('{name}', ...), or put your own files in {folder}"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rows", type=int, default=20_000, help="order lines in all (default 20000)")
    p.add_argument("--files", type=int, default=4, help="how many files (default 4)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument(
        "--prefix", default=None, help="file name prefix (default: the generator's, sales 'orders')"
    )
    p.add_argument(
        "--after",
        type=int,
        default=0,
        metavar="N",
        help="continue an earlier demo of N lines (same --seed): new orders, later dates",
    )
    p.add_argument(
        "--if-empty",
        action="store_true",
        help="write only into an empty lake (no landing files, no bronze table): for setup.sh",
    )
    p.add_argument("--json", action="store_true", help="print what was written as JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.cli.output import error, print_json
    from lakeconsole.core.dag import PipelineError
    from lakeconsole.core.lake import landing_dir
    from lakeconsole.core.pipeline import load_pipeline

    if args.rows < 1 or args.files < 1 or args.files > args.rows:
        error("demo: --rows and --files must be at least 1, and --files at most --rows")
        return USAGE
    folder = landing_dir(settings.lake_root)
    try:
        loaded = load_pipeline(settings)
        write_demo = demo_of(loaded.declared)
    except PipelineError as exc:
        error(f"demo: {exc}")
        return USAGE
    if write_demo is None:
        error(NO_DEMO.format(name=loaded.name, folder=folder))
        return USAGE
    if args.if_empty and _lake_has_data(settings, loaded.tables):
        print(f"demo: the lake in {settings.lake_name} already has data; no sample written")
        return OK
    options: dict[str, Any] = {"rows": args.rows, "files": args.files, "seed": args.seed}
    options["after"] = max(args.after, 0)
    if args.prefix is not None:
        options["prefix"] = args.prefix
    try:
        written = _write(write_demo, folder, options)
    except OSError as exc:
        error(
            f"demo: cannot write into {folder}: {exc.strerror or exc}. "
            "Check the folder's permissions"
        )
        return FAILED
    if args.json:
        print_json([{"file": str(f.path), **_counts(f)} for f in written])
        return OK
    for f in written:
        counts = _counts(f)
        dirt = ", ".join(f"{n} {DIRT[k]}" for k, n in counts.items() if k in DIRT)
        print(f"wrote {f.path}: {counts.get('rows', '?')} lines" + (f" ({dirt})" if dirt else ""))
    total = sum(int(getattr(f, "rows", 0)) for f in written)
    print(f"{total} lines in {len(written)} file(s) in {folder}. Next: lakeconsole run")
    return OK


def _write(write_demo: Callable[..., Any], folder: Any, options: dict[str, Any]) -> list[Any]:
    """The generator's files in `folder`; on object storage written into a temporary folder and
    uploaded under the landing prefix (each file named there by its object's URI)."""
    from pathlib import Path

    if isinstance(folder, Path):
        return list(write_demo(folder, **options))
    import tempfile
    from types import SimpleNamespace

    with tempfile.TemporaryDirectory(prefix="lakeconsole-demo-") as spool:
        written = list(write_demo(Path(spool), **options))
        for f in written:
            (folder / f.path.name).write_bytes(f.path.read_bytes())
    return [SimpleNamespace(**_counts(f), path=folder / f.path.name) for f in written]


def demo_of(declared: Pipeline | None) -> Callable[..., Any] | None:
    """The pipeline's demo generator: its function, or its "module:function" imported now
    (a generator usually needs pyarrow or numpy, which declaring a pipeline must not import)."""
    from lakeconsole.core.dag import PipelineError

    demo = getattr(declared, "demo", None)
    if demo is None or callable(demo):
        return demo
    module_name, _, attr = str(demo).partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attr or "write_demo")
    except (ImportError, AttributeError) as exc:
        raise PipelineError(
            f"its demo '{demo}' cannot be imported ({type(exc).__name__}: {exc}); "
            "name it as module:function"
        ) from None
    if not callable(found):
        raise PipelineError(f"its demo '{demo}' is not a function")
    return found


def _counts(f: Any) -> dict[str, int]:
    """What a generator says about a file it wrote: rows, and the dirt it put in."""
    return {k: int(getattr(f, k)) for k in ("rows", "resent", "malformed") if hasattr(f, k)}


def _lake_has_data(settings: Settings, tables: Mapping[str, TableSpec]) -> bool:
    from lakeconsole.core.lake import landing_dir
    from lakeconsole.core.landing import scan_landing
    from lakeconsole.core.storage import table_exists

    has_files = bool(scan_landing(landing_dir(settings.lake_root)).files)
    bronze = [name for name, spec in tables.items() if spec.layer == "bronze"]
    return has_files or any(table_exists(settings.lake_root / b) for b in bronze)
