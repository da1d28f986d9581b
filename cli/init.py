"""`lakeconsole init DIR`: make a new project folder that runs with the installed lakeconsole."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from lakeconsole.core.exit_codes import OK, USAGE
from lakeconsole.core.settings import Settings

COMMAND = "init"
ORDER = 1
# It makes a project, so it needs none: main runs it without settings.
NEEDS_PROJECT = False
HELP = "make a new project folder: .env, a pipeline to edit, a mart README, sample data"
DESCRIPTION = """\
Make a new lakeconsole project in DIR (created if missing): .env naming the pipeline and the lake
(DIR/data), DIR/<name>_pipeline.py declaring one CSV landing source, one silver table with two
rules and one gold table in the mart 'orders', DIR/marts/orders.md (the mart's README template),
.gitignore, and a small landing file so the first run has data. <name> is DIR's name as
lowercase letters, digits and _. Edit the pipeline module, then run it: every command checks the
declaration and names the table and the fix for a mistake (guide: docs/pipelines.md).

A DIR that is not empty is refused unless --force, which only adds the missing files: a file
that exists is never overwritten (each one kept is listed)."""
EPILOG = """\
example:
  lakeconsole init shop             make ./shop with shop_pipeline.py
  cd shop && lakeconsole run        bronze → silver → gold on the sample file
  lakeconsole                       the console on the new lake"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR", help="the project folder to make")
    p.add_argument(
        "--force",
        action="store_true",
        help="add the missing files to a folder that is not empty (never overwrites a file)",
    )


def run(args: argparse.Namespace, settings: Settings | None) -> int:
    from lakeconsole.cli.output import error
    from lakeconsole.core.project import ProjectError, scaffold

    try:
        done = scaffold(Path(args.dir), force=args.force)
    except ProjectError as exc:
        error(f"init: {exc}")
        return USAGE
    for path in done.created:
        print(f"created {path.relative_to(done.folder)}")
    for path in done.kept:
        print(f"kept {path.relative_to(done.folder)} (it exists; not overwritten)")
    print(f"Project '{done.name}' ready in {done.folder}. Next:")
    print(f"  cd {shlex.quote(args.dir)}")
    print("  lakeconsole run")
    print("  lakeconsole")
    return OK
