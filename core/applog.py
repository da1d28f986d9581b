"""`logs/app.log`, rotated at midnight and kept for N days (OPS-04), secrets masked.

Several processes write one app.log (the console, cron's `run` and `maintain`). The standard
library's TimedRotatingFileHandler rotates per process: the second one to pass midnight renames
the file the first just started over the day it rotated, and a whole day's log is gone. The
handler of concurrent-log-handler rotates under a lock file shared by every writer, with the next
rollover time kept in that lock file, so exactly one process rotates and the others reopen.
"""

from __future__ import annotations

import functools
import logging
import logging.handlers
import sys
from pathlib import Path
from typing import Any

from lakeconsole.core.settings import Settings

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
ROOT = "lakeconsole"


class RedactSecrets(logging.Filter):
    """Replaces the values of secret settings with *** in every record."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def log_unwritable(path: Path, exc: BaseException | None) -> str:
    """The one line a user sees when app.log cannot be written (read-only, disk full...)."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"warning: cannot write the log {path} ({reason}); this command's log lines are dropped"


@functools.cache
def _daily_log_class() -> Any:
    """The app.log handler's class, built on first use: concurrent-log-handler imports
    portalocker and importlib.metadata (0.1 s), which the console's first frame must not
    wait for."""
    from concurrent_log_handler import ConcurrentTimedRotatingFileHandler

    class DailyLog(ConcurrentTimedRotatingFileHandler):
        """app.log, rotated at local midnight by whichever process gets there first.

        A log that cannot be written (disk full, read-only folder) must not put Python's
        "--- Logging error ---" traceback on the user's screen: one warning line, once."""

        daily_log = True

        def __init__(self, path: Path, keep_days: int) -> None:
            super().__init__(
                str(path), when="midnight", backupCount=keep_days, encoding="utf-8", maxBytes=0
            )
            self.path = path
            self.warned = False

        def handleError(self, record: logging.LogRecord) -> None:
            if not self.warned:
                self.warned = True
                print(log_unwritable(self.path, sys.exc_info()[1]), file=sys.stderr)

    return DailyLog


class PendingLog(logging.handlers.MemoryHandler):
    """The console's log lines from its start until app.log is opened (just after the first
    frame): kept in memory in order, then written to app.log by `attach_log_file`."""

    def __init__(self) -> None:
        super().__init__(capacity=1_000_000, flushLevel=logging.CRITICAL + 1)

    def shouldFlush(self, record: logging.LogRecord) -> bool:
        return False  # nowhere to flush to until app.log is open


def daily_handler(path: Path, keep_days: int) -> logging.Handler:
    """Rotates at local midnight; the runbook's daily rotation with `keep_days` files kept.

    The runbook names RotatingFileHandler, but that rotates by size; the timed variant is the
    handler that does what the rule asks (daily, delete after N days). Raises OSError when the
    log folder cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler: Any = _daily_log_class()(path, keep_days)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


class OpenedOnFirstLine(logging.Handler):
    """app.log for a CLI command, opened when the command logs its first line: one that logs
    none (a trace, a show) never imports the rotating handler (concurrent-log-handler,
    portalocker, importlib.metadata: 0.03-0.1 s of a 0.6 s trace, more on a busy machine)."""

    daily_log = True

    def __init__(self, path: Path, keep_days: int) -> None:
        """Raises OSError, as `daily_handler` does, when app.log cannot be written: a log
        folder that cannot be written is said when the command starts, logging or not."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
        super().__init__()
        self.baseFilename = str(path)
        self.keep_days = keep_days
        self.opened: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.opened is None:
            path = Path(self.baseFilename)
            try:
                self.opened = daily_handler(path, self.keep_days)
            except OSError as exc:
                print(log_unwritable(path, exc), file=sys.stderr)
                self.opened = logging.NullHandler()
        self.opened.handle(record)

    def flush(self) -> None:
        if self.opened is not None:
            self.opened.flush()

    def close(self) -> None:
        if self.opened is not None:
            self.opened.close()
        super().close()


def setup_logging(
    settings: Settings, later: bool = False, on_first_line: bool = False
) -> logging.Logger:
    """Attach the app.log handler to the `lakeconsole` logger once per process.

    `later`: keep the lines in memory until `attach_log_file` opens app.log (the console, whose
    first frame comes first). `on_first_line`: open app.log when the first line is logged (a
    CLI command; the console opens it off its UI thread instead). A log folder that cannot be
    written costs the log, never the command: one warning line."""
    logger = logging.getLogger(ROOT)
    logger.setLevel(settings.log_level)
    logger.propagate = False
    target = str(settings.log_file)
    if later:
        pending = PendingLog()
        pending.addFilter(RedactSecrets(settings.secret_values()))
        _replace_handlers(logger, pending)
        return logger
    for h in list(logger.handlers):
        if getattr(h, "daily_log", False) and getattr(h, "baseFilename", None) == target:
            return logger
    held = [r for h in logger.handlers if isinstance(h, PendingLog) for r in h.buffer]
    for h in list(logger.handlers):
        logger.removeHandler(h)
        if isinstance(h, PendingLog):
            h.buffer = []
        h.close()
    try:
        handler: logging.Handler = (
            OpenedOnFirstLine(settings.log_file, settings.log_retention_days)
            if on_first_line
            else daily_handler(settings.log_file, settings.log_retention_days)
        )
    except OSError as exc:
        print(log_unwritable(settings.log_file, exc), file=sys.stderr)
        handler = logging.NullHandler()
    handler.addFilter(RedactSecrets(settings.secret_values()))
    logger.addHandler(handler)
    for record in held:
        handler.handle(record)
    return logger


def attach_log_file(settings: Settings) -> None:
    """Open app.log for a process that started with `setup_logging(later=True)` and write the
    lines kept until now; nothing when the process did not start so (an app built by a test).
    Blocking (it imports the rotating handler): call it off the UI thread."""
    if any(isinstance(h, PendingLog) for h in logging.getLogger(ROOT).handlers):
        setup_logging(settings)


def _replace_handlers(logger: logging.Logger, handler: logging.Handler) -> None:
    for h in list(logger.handlers):
        logger.removeHandler(h)
        h.close()
    logger.addHandler(handler)
