"""A backup target through rclone: any remote `rclone config` knows (S3, B2, Drive, SFTP...)."""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from lakeconsole.core.backup.model import TargetError
from lakeconsole.core.backup.target import MANIFEST, SNAPSHOT_ID, BytesSink, Target, blob_key
from lakeconsole.core.backup.tools import find_tool
from lakeconsole.core.settings import Settings

# Fail fast on an unreachable remote instead of rclone's long default retries.
NETWORK_FLAGS = [
    "--contimeout",
    "15s",
    "--timeout",
    "60s",
    "--retries",
    "2",
    "--low-level-retries",
    "3",
]
DIR_NOT_FOUND = 3  # rclone's exit code for "directory not found"


class RcloneTarget(Target):
    kind = "rclone"

    def __init__(
        self, spec: str, settings: Settings, cancel_event: threading.Event | None = None
    ) -> None:
        super().__init__(spec, settings, cancel_event)
        if ":" not in spec:
            raise TargetError(f"rclone target '{spec}' needs a remote name: rclone:REMOTE:path")
        self.root = spec
        self.exe = find_tool("rclone", settings.subprocess_env())
        self._files: list[str] | None = None

    def __str__(self) -> str:
        return f"rclone:{self.root}"

    def path(self, *parts: str) -> str:
        base = self.root if self.root.endswith(":") else self.root.rstrip("/") + "/"
        return base + "/".join(parts)

    def rclone(
        self,
        *args: str,
        ok_codes: tuple[int, ...] = (0,),
        timeout_s: float | None = None,
        on_stderr_line: Callable[[str], None] | None = None,
    ) -> str:
        code, out, err = self.run([self.exe, *args, *NETWORK_FLAGS], timeout_s, on_stderr_line)
        if code not in ok_codes:
            raise TargetError(self.explain(err, args[0]))
        return out

    def explain(self, stderr: str, verb: str) -> str:
        lines = [
            ln
            for ln in stderr.splitlines()
            if ln.strip() and "NOTICE" not in ln and '"level"' not in ln
        ]
        last = lines[-1].split(": ", 1)[-1] if lines else "no error text"
        remote = self.root.split(":", 1)[0]
        if "didn't find section in config file" in stderr:
            return (
                f"rclone remote '{remote}' is not configured: run `rclone config` "
                f"(or set RCLONE_CONFIG_{remote.upper()}_TYPE=...)"
            )
        if any(
            w in stderr
            for w in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "401", "403")
        ):
            return (
                f"rclone {verb} on {self}: credentials rejected ({last}); "
                "fix them with `rclone config`"
            )
        return f"rclone {verb} on {self} failed: {last}. Check that the remote is reachable"

    def check(self) -> None:
        self.rclone("mkdir", self.root, timeout_s=120)
        self._files = None
        self.files()

    def files(self) -> list[str]:
        """All files under the root, relative to it (one `rclone lsf -R`, cached until a change)."""
        if self._files is None:
            out = self.rclone(
                "lsf", "-R", "--files-only", self.root, ok_codes=(0, DIR_NOT_FOUND), timeout_s=600
            )
            self._files = [line.strip() for line in out.splitlines() if line.strip()]
        return self._files

    def list_blobs(self) -> set[str]:
        return {f.rsplit("/", 1)[-1] for f in self.files() if f.startswith("blobs/")}

    def list_snapshot_ids(self) -> list[str]:
        ids = {
            f.split("/")[1]
            for f in self.files()
            if f.startswith("snapshots/") and f.endswith("/" + MANIFEST)
        }
        return sorted(i for i in ids if SNAPSHOT_ID.match(i))

    def read_manifest(self, snapshot: str) -> str:
        return self.rclone("cat", self.path("snapshots", snapshot, MANIFEST))

    def push(self, staging: Path, on_bytes: BytesSink | None = None) -> None:
        sent = [0]

        def stats(line: str) -> None:
            # With --use-json-log, rclone's periodic stats carry the bytes transferred so far.
            if on_bytes is None or '"stats"' not in line:
                return
            try:
                done = int(json.loads(line)["stats"]["bytes"])
            except (ValueError, KeyError, TypeError):
                return
            if done > sent[0]:
                on_bytes(done - sent[0])
                sent[0] = done

        # Blobs first, manifests after: a snapshot is visible only once its blobs are all there.
        known, self._files = self._files, None
        for part in ("blobs", "snapshots"):
            if (staging / part).is_dir():
                sent[0] = 0  # each rclone call counts from zero
                # --ignore-times: staging holds only what to send (damaged blobs included), and a
                # damaged blob can match in size and time.
                self.rclone(
                    "copy",
                    str(staging / part),
                    self.path(part),
                    "--ignore-times",
                    "--use-json-log",
                    "--stats",
                    "1s",
                    "--stats-log-level",
                    "NOTICE",
                    on_stderr_line=stats,
                )
        if known is not None:  # what is there now, without listing the remote again
            self._files = known + [
                p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()
            ]

    def with_list(self, shas: Iterable[str]) -> tempfile._TemporaryFileWrapper[str]:
        """A temporary list of blob paths for `--files-from-raw`; the caller closes it."""
        listing = tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="lakeconsole-")  # noqa: SIM115
        listing.write("".join(blob_key(s) + "\n" for s in sorted(set(shas))))
        listing.flush()
        return listing

    def fetch_blobs(
        self, shas: Iterable[str], dest: Path, on_bytes: BytesSink | None = None
    ) -> None:
        with self.with_list(shas) as listing:
            self.rclone(
                "copy",
                self.path("blobs"),
                str(dest),
                "--files-from-raw",
                listing.name,
                "--no-traverse",
            )

    def blob_hashes(
        self, sizes: dict[str, int], on_done: Callable[[int], None] | None = None
    ) -> dict[str, str]:
        # `hashsum --download` streams each blob through a local hash: works on any remote.
        wanted = set(sizes)
        with self.with_list(wanted) as listing:
            out = self.rclone(
                "hashsum",
                "sha256",
                "--download",
                self.path("blobs"),
                "--files-from-raw",
                listing.name,
                ok_codes=(0, 1, DIR_NOT_FOUND),
            )
        found: dict[str, str] = {}
        for line in out.splitlines():
            digest, _, name = line.strip().partition("  ")
            sha = name.rsplit("/", 1)[-1]
            if sha in wanted and len(digest) == 64:
                found[sha] = digest
        if on_done is not None:
            on_done(len(wanted))
        return found

    def delete_snapshots(self, snapshots: Iterable[str]) -> None:
        self._files = None
        for snapshot in snapshots:
            self.rclone(
                "deletefile",
                self.path("snapshots", snapshot, MANIFEST),
                ok_codes=(0, DIR_NOT_FOUND, 4),
            )
            self.rclone("purge", self.path("snapshots", snapshot), ok_codes=(0, DIR_NOT_FOUND, 4))

    def delete_blobs(self, shas: Iterable[str]) -> None:
        shas = list(shas)
        if not shas:
            return
        self._files = None
        with self.with_list(shas) as listing:
            self.rclone("delete", self.path("blobs"), "--files-from-raw", listing.name)
