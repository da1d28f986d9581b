"""`lakeconsole check`: the governance lint (OPS-03, OPS-05, OPS-06, OPS-07) for CI and cron."""

from __future__ import annotations

import argparse

from lakeconsole.cli.lake_use import on_object_storage, reads_only
from lakeconsole.cli.output import GREEN, RED, paint, print_json
from lakeconsole.core import exit_codes
from lakeconsole.core.settings import Settings

COMMAND = "check"
ORDER = 30
HELP = "governance lint: damaged tables, mart READMEs, contracts, upkeep, git (exit 1 on findings)"
DESCRIPTION = """\
Check the lake and the project against the runbook and print one line per finding:
  DAMAGE  a table whose log has an empty, unreadable or missing commit or checkpoint, or whose
          live data files are gone or truncated (with the fix: a restore, or `lakeconsole repair`)
  OPS-05  a gold mart without README.md, a required section (Business Definition, Owner,
          Refresh Rate) missing or empty, a column dictionary out of step with the schemas
  OPS-06  a silver/gold table whose schema differs from its contract in the pipeline
          definition, a version not bumped enough for the change, no version recorded
  OPS-05  a Refresh Rate that is not a schedule lakeconsole can read (it names the forms)
  OPS-09  a mart not refreshed on time: a due time of its Refresh Rate passed, plus
          FRESHNESS_GRACE_MINUTES, with no successful run since (`lakeconsole status`)
  OPS-03  vacuum overdue; a table whose delta.deletedFileRetentionDuration is under 168 h
  OPS-07  backup overdue; data, logs or .env tracked by git; uncommitted changes in the
          project's repository (only when the project folder is a git repository)
On a lake in a bucket (s3://) every check runs: the tables and the engine's state are read from
the bucket, the mart READMEs from the project folder (data/gold/<mart>/README.md). A check that
could not run there would be named on stderr (and in `not_checked` in --json).
Exit code: 0 when all is well, 1 when there are findings, 2 for a usage error."""
EPILOG = """\
examples:
  lakeconsole check
  lakeconsole check --json | jq '.findings[].code'"""


lake_use = reads_only
object_storage = on_object_storage


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--json", action="store_true", help="print {ok, findings: [{code, subject, message}]}"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    import sys

    from lakeconsole.core.governance import findings, not_checked

    found = findings(settings)
    skipped = not_checked(settings)
    if args.json:
        extra = {"not_checked": skipped} if skipped else {}
        print_json({"ok": not found, "findings": [f.as_dict() for f in found], **extra})
        return exit_codes.FINDINGS if found else exit_codes.OK
    if skipped:
        print(f"not checked on object storage yet: {', '.join(skipped)}", file=sys.stderr)
    no_color = "NO_COLOR" in settings.raw
    if not found:
        print(paint("✓ Governance check passed: no findings", GREEN, sys.stdout, no_color))
        return exit_codes.OK
    for finding in found:
        code = paint(finding.code, RED, sys.stdout, no_color)
        print(f"{code} {finding.subject}: {finding.message}")
    print(f"✗ {len(found)} finding(s)", file=sys.stderr)
    return exit_codes.FINDINGS
