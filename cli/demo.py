"""`lakeconsole demo`: write deterministic sample landing files (sales order lines)."""

from __future__ import annotations

import argparse

from lakeconsole.core.exit_codes import FAILED, OK, USAGE
from lakeconsole.core.settings import Settings

COMMAND = "demo"
ORDER = 5
HELP = "write deterministic sample landing CSV files (sales order lines)"
DESCRIPTION = """\
Write CSV files of sales order lines into data/landing/: order_id, line_no, order_ts,
customer_id, product_id, region, price, qty, tax, currency. The same --rows/--files/--seed
always give the same bytes. With realistic dirt: about 1% of each file's lines are re-sent in
the next file with a changed qty, and about 0.5% are malformed (price not a number, missing
order_id, negative qty, unparseable timestamp)."""
EPILOG = """\
examples:
  lakeconsole demo                          20,000 lines in 4 files
  lakeconsole demo --rows 1000000 --files 10
  lakeconsole demo --prefix next --after 20000 --rows 5000 --files 1
                                            the next day's file after the default demo
  lakeconsole demo --if-empty               the sample setup.sh puts in a new lake"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rows", type=int, default=20_000, help="order lines in all (default 20000)")
    p.add_argument("--files", type=int, default=4, help="how many files (default 4)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--prefix", default="orders", help="file name prefix (default 'orders')")
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
    from lakeconsole.core.lake import landing_dir

    if args.rows < 1 or args.files < 1 or args.files > args.rows:
        error("demo: --rows and --files must be at least 1, and --files at most --rows")
        return USAGE
    from lakeconsole.pipelines.sales.demo import write_demo

    folder = landing_dir(settings.data_dir)
    if args.if_empty and _lake_has_data(settings):
        print(f"demo: the lake in {settings.data_dir} already has data; no sample written")
        return OK
    try:
        written = write_demo(
            folder,
            rows=args.rows,
            files=args.files,
            seed=args.seed,
            prefix=args.prefix,
            after=max(args.after, 0),
        )
    except OSError as exc:
        error(
            f"demo: cannot write into {folder}: {exc.strerror or exc}. "
            "Check the folder's permissions"
        )
        return FAILED
    if args.json:
        print_json(
            [
                {"file": str(f.path), "rows": f.rows, "resent": f.resent, "malformed": f.malformed}
                for f in written
            ]
        )
        return OK
    for f in written:
        print(f"wrote {f.path}: {f.rows} lines ({f.resent} re-sent, {f.malformed} malformed)")
    total = sum(f.rows for f in written)
    print(f"{total} lines in {len(written)} file(s) in {folder}. Next: lakeconsole run")
    return OK


def _lake_has_data(settings: Settings) -> bool:
    from lakeconsole.core.lake import landing_dir

    landing = landing_dir(settings.data_dir)
    has_files = landing.is_dir() and any(not p.name.startswith(".") for p in landing.iterdir())
    return has_files or (settings.data_dir / "bronze" / "sales_orders_raw" / "_delta_log").is_dir()
