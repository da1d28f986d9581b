"""`logs/app.log`, rotated at midnight and kept for N days (OPS-04), secrets masked."""

from __future__ import annotations

import logging
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path

from core.settings import Settings

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


def daily_handler(path: Path, keep_days: int) -> TimedRotatingFileHandler:
    """Rotates at local midnight; the runbook's daily rotation with `keep_days` files kept.

    The runbook names RotatingFileHandler, but that rotates by size; the timed variant is the
    standard-library handler that does what the rule asks (daily, delete after N days)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = TimedRotatingFileHandler(
        path, when="midnight", backupCount=keep_days, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


def setup_logging(settings: Settings) -> logging.Logger:
    """Attach the app.log handler to the `lakeconsole` logger once per process."""
    logger = logging.getLogger(ROOT)
    logger.setLevel(settings.log_level)
    target = str(settings.log_file)
    for h in list(logger.handlers):
        if isinstance(h, TimedRotatingFileHandler):
            if h.baseFilename == target:
                return logger
            logger.removeHandler(h)
            h.close()
    handler = daily_handler(settings.log_file, settings.log_retention_days)
    handler.addFilter(RedactSecrets(settings.secret_values()))
    logger.addHandler(handler)
    logger.propagate = False
    return logger
