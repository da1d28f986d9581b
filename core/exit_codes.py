"""Every exit code of the `lakeconsole` CLI: one meaning per number, for cron and scripts.

The numbers follow sysexits.h where one fits (69 EX_UNAVAILABLE, 75 EX_TEMPFAIL) and the shell's
128+SIGINT for Ctrl+C, so a wrapper script can tell "fix the command" from "try again later"."""

from __future__ import annotations

OK = 0
# The command ran and failed, or found what it looks for (check's findings, a drill's problems).
FAILED = 1
FINDINGS = FAILED
# The command line or the settings are wrong (bad option, unknown table): nothing was done.
USAGE = 2
# A backup target or an external tool (rclone, aws) cannot be reached.
UNAVAILABLE = 69
# Refused before changing anything: another process holds the lake's lock, or a safety rule
# (retention under 168 h, a non-empty destination, no confirmation) needs a flag; the message
# names it. Waiting for the run, or adding the flag, and re-running is the fix.
REFUSED = 75
# Ctrl+C: the work stopped at a safe point.
CANCELLED = 130
# The reader of the output went away (`lakeconsole runs | head`): 128 + SIGPIPE, as `yes | head`.
CLOSED_PIPE = 141

MEANINGS = {
    OK: "done",
    FAILED: "failed, or check / a restore drill found problems",
    USAGE: "bad arguments or settings, or an unknown table: nothing was done",
    UNAVAILABLE: "a backup target or tool (rclone, aws) cannot be reached",
    REFUSED: "refused, nothing changed: a run holds the lake's lock, or a safety rule needs a "
    "flag (--force, --yes)",
    CANCELLED: "cancelled with Ctrl+C",
    CLOSED_PIPE: "the output's reader closed it early (e.g. `| head`): stopped quietly",
}


def epilog(*codes: int) -> str:
    """The exit codes a command can end with (default: all), for its `--help`."""
    shown = codes or tuple(MEANINGS)
    return "\n".join(["exit codes:"] + [f"  {code:<4} {MEANINGS[code]}" for code in shown])
