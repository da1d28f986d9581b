"""Backup targets: where snapshots go. A folder, an rclone remote, or an S3 bucket.

Layout in every target (a content-addressed store, so unchanged files are sent once):
    blobs/<first two hex>/<sha256>          one file per distinct content
    snapshots/<UTC timestamp>/manifest.json  one per snapshot, written last
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import urlparse

from lakeconsole.core.backup.model import NoTargetError, TargetError
from lakeconsole.core.backup.status import backup_state_dir
from lakeconsole.core.backup.tools import call_tool, find_tool
from lakeconsole.core.settings import Settings

MANIFEST = "manifest.json"
SNAPSHOT_ID = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")
BytesSink = Callable[[int], None]  # bytes sent/fetched so far


def blob_key(sha: str) -> str:
    """Path of a blob inside `blobs/`."""
    return f"{sha[:2]}/{sha}"


def blob_batches(
    sizes: dict[str, int], max_count: int = 500, max_bytes: int = 2 << 30
) -> Iterator[list[str]]:
    """Blobs in groups bounded in number and bytes: the temporary space a download needs."""
    batch: list[str] = []
    used = 0
    for sha in sorted(sizes):
        if batch and (len(batch) >= max_count or used + sizes[sha] > max_bytes):
            yield batch
            batch, used = [], 0
        batch.append(sha)
        used += sizes[sha]
    if batch:
        yield batch


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class Target(ABC):
    """One place snapshots are kept. Every method raises TargetError with the fix on failure."""

    kind: str = ""
    reads_in_place = False  # True when blobs are local files (no download before a restore)

    def __init__(
        self, spec: str, settings: Settings, cancel_event: threading.Event | None = None
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.cancel_event = cancel_event

    def __str__(self) -> str:
        return self.spec

    @abstractmethod
    def check(self) -> None:
        """Make sure the target is reachable and writable (creates its folder if needed)."""

    @abstractmethod
    def list_blobs(self) -> set[str]:
        """SHA-256 names of the blobs the target has."""

    @abstractmethod
    def list_snapshot_ids(self) -> list[str]:
        """Snapshots with a manifest (complete ones), oldest first."""

    @abstractmethod
    def read_manifest(self, snapshot: str) -> str:
        """The manifest's text, read from the target itself."""

    def manifest_cache(self, snapshot: str) -> Path:
        key = hashlib.sha256(str(self).encode()).hexdigest()[:16]
        return backup_state_dir(self.settings) / "manifests" / key / f"{snapshot}.json"

    def read_manifest_cached(self, snapshot: str) -> str:
        """The manifest, from a local copy when there is one: snapshots never change once written,
        so pruning and listing need not download every manifest each time."""
        cached = self.manifest_cache(snapshot)
        try:
            return cached.read_text()
        except OSError:
            text = self.read_manifest(snapshot)
        # Only beside records the lake already has: reading (a listing, a refused restore, a
        # lost lake) must not create its backup folder.
        if backup_state_dir(self.settings).is_dir():
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(text)
        return text

    @abstractmethod
    def push(self, staging: Path, on_bytes: BytesSink | None = None) -> None:
        """Copy the staging tree (blobs/..., snapshots/...) into the target; existing files stay."""

    @abstractmethod
    def fetch_blobs(
        self, shas: Iterable[str], dest: Path, on_bytes: BytesSink | None = None
    ) -> None:
        """Download blobs to `dest/<blob_key>`."""

    @abstractmethod
    def delete_snapshots(self, snapshots: Iterable[str]) -> None: ...

    @abstractmethod
    def delete_blobs(self, shas: Iterable[str]) -> None: ...

    def local_blob(self, sha: str) -> Path | None:
        """The blob as a local file when the target is a folder (no download needed)."""
        return None

    def blob_hashes(
        self, sizes: dict[str, int], on_done: Callable[[int], None] | None = None
    ) -> dict[str, str]:
        """Re-read blobs (name → size) and hash them: name → actual SHA-256 (absent = missing)."""
        out: dict[str, str] = {}
        work = backup_state_dir(self.settings)
        work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=work, prefix="verify-") as tmp:
            for batch in blob_batches(sizes):
                self.fetch_blobs(batch, Path(tmp))
                for sha in batch:
                    path = Path(tmp) / blob_key(sha)
                    if path.is_file():
                        out[sha] = file_sha256(path)
                        path.unlink()
                    if on_done is not None:
                        on_done(1)
        return out

    def run(
        self,
        argv: list[str],
        timeout_s: float | None = None,
        on_stderr_line: Callable[[str], None] | None = None,
        on_stdout_line: Callable[[str], None] | None = None,
    ) -> tuple[int, str, str]:
        """Call a tool with the settings' environment; stderr is returned redacted."""
        result = call_tool(
            argv, self.tool_env(), self.cancel_event, timeout_s, on_stderr_line, on_stdout_line
        )
        return result.returncode, result.stdout, self.redact(result.stderr)

    def tool_env(self) -> dict[str, str]:
        """The environment for the tool: the settings' (with .env credentials), never logged."""
        return self.settings.subprocess_env()

    def redact(self, text: str) -> str:
        for secret in self.settings.secret_values():
            text = text.replace(secret, "***")
        return text


def parse_target(
    spec: str, settings: Settings, cancel_event: threading.Event | None = None
) -> Target:
    """The target named by `spec` (BACKUP_TARGET or --target)."""
    from lakeconsole.core.backup.target_local import LocalTarget
    from lakeconsole.core.backup.target_rclone import RcloneTarget
    from lakeconsole.core.backup.target_s3 import S3Target

    spec = spec.strip()
    if not spec:
        raise NoTargetError(
            "No backup target: set BACKUP_TARGET in .env (a folder, rclone:REMOTE:path "
            "or s3://bucket/prefix) or pass --target"
        )
    if spec.startswith("s3://"):
        return S3Target(spec, settings, cancel_event)
    if spec.startswith("rclone:"):
        return RcloneTarget(spec[len("rclone:") :], settings, cancel_event)
    if spec.startswith("file://"):
        return LocalTarget(urlparse(spec).path, settings, cancel_event)
    head, colon, _ = spec.partition(":")
    if colon and "/" not in head and not spec.startswith(("/", "~", ".")):
        # `REMOTE:path` is an rclone remote only when rclone knows the remote.
        if head in rclone_remotes(settings):
            return RcloneTarget(spec, settings, cancel_event)
        raise TargetError(
            f"Backup target '{spec}': '{head}' is not a configured rclone remote. "
            f"Run `rclone config` to add it, or write rclone:{spec} / a folder path"
        )
    return LocalTarget(spec, settings, cancel_event)


def rclone_remotes(settings: Settings) -> set[str]:
    """Names of the rclone remotes configured (config file or RCLONE_CONFIG_* environment)."""
    env = settings.subprocess_env()
    exe = find_tool("rclone", env)
    result = call_tool([exe, "listremotes"], env, timeout_s=30)
    return {line.strip().rstrip(":") for line in result.stdout.splitlines() if line.strip()}


def copy_file_atomic(src: Path, dest: Path) -> None:
    """Copy so that a reader never sees half a file: write beside, then rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        shutil.copyfile(src, tmp)
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full drive keeps no half copy, and gets its space back
        raise
