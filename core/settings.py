"""The one settings object: built from `.env` and the environment, validated once.

Nothing else in lakeconsole reads `os.environ`; everything asks a `Settings`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dotenv import dotenv_values

if TYPE_CHECKING:
    from lakeconsole.core.storage import Location

# Keys whose values must never be logged or printed (OPS-04 logs, OPS-07 backups).
# WEBHOOK: a Slack or Teams hook URL carries its token in its path.
SECRET_PATTERN = re.compile(
    r"(SECRET|PASSWORD|TOKEN|ACCESS_KEY|_KEY$|CREDENTIAL|WEBHOOK)", re.IGNORECASE
)
# s3://, abfss://, gs://, file://...: Path() would turn "s3://b/lake" into a local folder "s3:".
URL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# data_dir of a lake on object storage: a path that can never be created (/dev/null is a file),
# so a part that still writes local paths fails loudly instead of filling a local "s3:" folder.
NO_LOCAL_DATA_DIR = Path("/dev/null/lake-is-on-object-storage")
# The pipeline when LAKECONSOLE_PIPELINE is unset: the shipped sales lakehouse (core.pipeline).
DEFAULT_PIPELINE = "lakeconsole.pipelines.sales:pipeline"
# The source checkout this code runs from, when it does: in a checkout this file is
# core/settings.py (lakeconsole/core links to it); installed, it is
# site-packages/lakeconsole/core/settings.py, whose parent holds no .env or setup.sh.
CHECKOUT = Path(__file__).resolve().parents[1]


class SettingsError(Exception):
    """A setting is invalid; the message names the key and the fix."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        super().__init__(f"Setting {key}: {problem}. {fix}")
        self.key = key


class ObjectStorageLake(SettingsError):
    """The data dir is a URL lakeconsole cannot open (a scheme not supported yet, no bucket)."""

    def __init__(self, source: str, url: str, reason: str) -> None:
        Exception.__init__(self, f"{source} is {url}: {reason}")
        self.key = "LAKECONSOLE_DATA_DIR"


class NoProject(SettingsError):
    """No project folder was found, and the command would create a lake in the working folder."""

    def __init__(self, cwd: Path) -> None:
        Exception.__init__(
            self,
            f"no lakeconsole project in {cwd} (no .env, and LAKECONSOLE_HOME is not set): "
            "make one with `lakeconsole init DIR` and cd into it, or set LAKECONSOLE_HOME "
            "to your project folder",
        )
        self.key = "LAKECONSOLE_HOME"


class FolderNotWritable(SettingsError):
    """The data or log folder cannot be created or written."""

    def __init__(self, key: str, folder: Path, reason: str) -> None:
        super().__init__(
            key,
            f"{folder} cannot be written ({reason})",
            "Point it at a folder you can write, or fix its permissions",
        )
        self.folder = folder
        self.reason = reason


@dataclass(frozen=True)
class Settings:
    """Every knob of lakeconsole, with the defaults documented in `.env.template`."""

    home: Path
    data_dir: Path
    log_dir: Path
    log_level: str = "INFO"
    log_retention_days: int = 14
    vacuum_retention_hours: int = 168
    vacuum_interval_days: int = 7
    backup_target: str = ""
    backup_keep: int = 8
    backup_interval_days: int = 7
    latency_creep_runs: int = 3
    latency_creep_factor: float = 1.5
    silver_batch_rows: int = 250_000
    auto_run_on_landing: bool = False
    # How often the console lists an object-store lake's landing prefix (it cannot be watched).
    landing_poll_seconds: int = 30
    # A mart is stale this long after a due time of its Refresh Rate passed unserved.
    freshness_grace_minutes: int = 60
    # Console key remaps, "binding_id=keys;binding_id=keys" (e.g. "run=R;quit=ctrl+q").
    console_keymap: str = ""
    pipeline: str = DEFAULT_PIPELINE
    # False when no project folder was found (home is then just the working folder): nothing
    # may be created there (NoProject).
    in_project: bool = True
    # Everything from .env and the environment, for tools we call (aws, rclone) and redaction.
    raw: Mapping[str, str] = field(default_factory=dict, repr=False)
    # `s3://bucket/prefix` for a lake on object storage (data_dir is then NO_LOCAL_DATA_DIR).
    lake_url: str = ""
    # A Spark Connect endpoint for heavy steps (sc://host:15002; core/engines), and which
    # layers or steps run there (empty: silver and gold).
    spark_remote: str = field(default="", repr=False)
    spark_steps: str = ""

    @property
    def on_object_storage(self) -> bool:
        return bool(self.lake_url)

    @property
    def lake(self) -> Location:
        """The lake's root in the storage layer: the local data dir, or the object-store URL
        reached with the AWS_* settings."""
        from lakeconsole.core.storage import LocalLocation, lake_location

        if self.lake_url:
            return lake_location(self.lake_url, self.raw)
        return LocalLocation(self.data_dir)

    @property
    def lake_root(self) -> Path | Location:
        """Where table lookups start: the local data dir as a Path (the form every local part
        holds), or the object-store Location."""
        return self.lake if self.lake_url else self.data_dir

    @property
    def lake_name(self) -> str:
        """The lake as a user names it: its folder, or its URL."""
        return self.lake_url or str(self.data_dir)

    @property
    def state_dir(self) -> Path:
        """Where the engine keeps its own state (runs, lock, ledgers)."""
        return self.data_dir / "_lakeconsole"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "app.log"

    def secret_values(self) -> list[str]:
        """Values of secret-looking keys, for redaction."""
        from lakeconsole.core.engines.remote import remote_secrets

        found = [v for k, v in self.raw.items() if SECRET_PATTERN.search(k) and len(v) >= 4]
        return found + remote_secrets(self.spark_remote)

    def subprocess_env(self) -> dict[str, str]:
        """Environment for external tools (aws, rclone): the process env plus `.env` keys."""
        return {k: str(v) for k, v in self.raw.items() if v != ""}

    def with_data_dir(self, data_dir: Path | str) -> Settings:
        """These settings on another lake: a folder, or an object-store URL."""
        if URL_PATTERN.match(str(data_dir).strip()):
            url = _lake_url("--data-dir", str(data_dir), self.raw)
            return replace(self, data_dir=NO_LOCAL_DATA_DIR, lake_url=url)
        return replace(self, data_dir=Path(data_dir).expanduser().resolve(), lake_url="")


def find_project(environ: Mapping[str, str]) -> Path | None:
    """The project folder: LAKECONSOLE_HOME, else the working folder if it has a `.env`, else
    the source checkout this code runs from when the working folder is inside it (its own .env
    or setup.sh); None when there is none. A checkout's lakeconsole run from another folder
    finds no project there rather than quietly using the checkout's lake."""
    if environ.get("LAKECONSOLE_HOME"):
        return Path(environ["LAKECONSOLE_HOME"]).expanduser().resolve()
    cwd = Path.cwd().resolve()
    if (cwd / ".env").exists():
        return cwd
    in_checkout = cwd.is_relative_to(CHECKOUT)
    if in_checkout and ((CHECKOUT / ".env").exists() or (CHECKOUT / "setup.sh").exists()):
        return CHECKOUT
    return None


def find_home(environ: Mapping[str, str]) -> Path:
    """The project folder, or the working folder when there is none."""
    return find_project(environ) or Path.cwd()


def require_project(settings: Settings) -> None:
    """Raise NoProject when no project folder was found: a lake must not appear in whatever
    folder lakeconsole happens to run from."""
    if not settings.in_project:
        raise NoProject(settings.home)


def load_settings(
    environ: Mapping[str, str] | None = None,
    data_dir: str | Path | None = None,
    check_writable: bool = True,
) -> Settings:
    """Build settings: defaults < `.env` < environment < `--data-dir`.

    With `check_writable` the data and log folders are created and test-written (commands that
    write the lake), and NoProject is raised outside a project; without it nothing is created
    (commands that only read it)."""
    env = dict(os.environ if environ is None else environ)
    project = find_project(env)
    home = project or Path.cwd()
    merged: dict[str, str] = {}
    dotenv = home / ".env"
    if dotenv.exists():
        merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    merged.update(env)
    configured = (merged.get("LAKECONSOLE_DATA_DIR") or "").strip()
    lake_url = ""
    if data_dir is None and URL_PATTERN.match(configured):
        lake_url = _lake_url("LAKECONSOLE_DATA_DIR", configured, merged)

    def path(key: str, default: str) -> Path:
        p = Path(merged.get(key) or default).expanduser()
        return (p if p.is_absolute() else home / p).resolve()

    settings = Settings(
        home=home,
        data_dir=NO_LOCAL_DATA_DIR if lake_url else path("LAKECONSOLE_DATA_DIR", "data"),
        log_dir=path("LAKECONSOLE_LOG_DIR", "logs"),
        log_level=_choice(merged, "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
        log_retention_days=_int(merged, "LOG_RETENTION_DAYS", 14, minimum=1),
        vacuum_retention_hours=_int(merged, "VACUUM_RETENTION_HOURS", 168, minimum=0),
        vacuum_interval_days=_int(merged, "VACUUM_INTERVAL_DAYS", 7, minimum=1),
        backup_target=merged.get("BACKUP_TARGET", "").strip(),
        backup_keep=_int(merged, "BACKUP_KEEP", 8, minimum=1),
        backup_interval_days=_int(merged, "BACKUP_INTERVAL_DAYS", 7, minimum=1),
        latency_creep_runs=_int(merged, "LATENCY_CREEP_RUNS", 3, minimum=1),
        latency_creep_factor=_float(merged, "LATENCY_CREEP_FACTOR", 1.5, minimum=1.0),
        silver_batch_rows=_int(merged, "SILVER_BATCH_ROWS", 250_000, minimum=1000),
        auto_run_on_landing=_bool(merged, "AUTO_RUN_ON_LANDING", False),
        landing_poll_seconds=_int(merged, "LANDING_POLL_SECONDS", 30, minimum=1),
        freshness_grace_minutes=_int(merged, "FRESHNESS_GRACE_MINUTES", 60, minimum=0),
        console_keymap=merged.get("CONSOLE_KEYMAP", "").strip(),
        pipeline=merged.get("LAKECONSOLE_PIPELINE", "").strip() or DEFAULT_PIPELINE,
        in_project=project is not None,
        raw=merged,
        lake_url=lake_url,
        spark_remote=merged.get("LAKECONSOLE_SPARK_REMOTE", "").strip(),
        spark_steps=merged.get("LAKECONSOLE_SPARK_STEPS", "").strip(),
    )
    if data_dir is not None:
        settings = settings.with_data_dir(data_dir)
    if check_writable:
        require_project(settings)
        check_folders_writable(settings)
    return settings


def check_folders_writable(settings: Settings) -> None:
    """Create the data and log folders and test-write them (FolderNotWritable); a lake on
    object storage has no local data folder."""
    if not settings.on_object_storage:
        _check_writable("LAKECONSOLE_DATA_DIR", settings.data_dir)
    _check_writable("LAKECONSOLE_LOG_DIR", settings.log_dir)


def _lake_url(source: str, value: str, raw: Mapping[str, str]) -> str:
    """The object-store lake URL, checked without the network (scheme, bucket)."""
    from lakeconsole.core.storage import StorageError, lake_location

    url = value.strip().rstrip("/")
    try:
        lake_location(url, raw)
    except StorageError as exc:
        raise ObjectStorageLake(source, url, str(exc)) from None
    return url


def _int(env: Mapping[str, str], key: str, default: int, minimum: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(
            key, f"'{raw}' is not a whole number", f"Set it to a number such as {default} in .env"
        ) from None
    if value < minimum:
        raise SettingsError(key, f"{value} is below {minimum}", f"Use {minimum} or more")
    return value


def _float(env: Mapping[str, str], key: str, default: float, minimum: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(
            key, f"'{raw}' is not a number", f"Set it to a number such as {default} in .env"
        ) from None
    if value < minimum:
        raise SettingsError(key, f"{value} is below {minimum}", f"Use {minimum} or more")
    return value


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(key, f"'{raw}' is not true or false", "Use true or false")


def _choice(env: Mapping[str, str], key: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(key, "").strip().upper() or default
    if raw not in choices:
        raise SettingsError(key, f"'{raw}' is not one of {', '.join(choices)}", "Pick one of them")
    return raw


def _check_writable(key: str, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise FolderNotWritable(key, folder, str(exc.strerror or exc)) from None
