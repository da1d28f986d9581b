"""A backup target in an S3 bucket (or S3-compatible server: AWS_ENDPOINT_URL), via `aws s3`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from lakeconsole.core.backup.model import TargetError
from lakeconsole.core.backup.target import MANIFEST, SNAPSHOT_ID, BytesSink, Target, blob_key
from lakeconsole.core.backup.tools import find_tool
from lakeconsole.core.settings import Settings

# Keep command lines short: `--include` patterns per aws call.
INCLUDE_BATCH = 200


class S3Target(Target):
    kind = "s3"

    def __init__(
        self, spec: str, settings: Settings, cancel_event: threading.Event | None = None
    ) -> None:
        super().__init__(spec, settings, cancel_event)
        bucket, _, prefix = spec[len("s3://") :].partition("/")
        if not bucket:
            raise TargetError(f"S3 target '{spec}' has no bucket: write s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.exe = find_tool("aws", settings.subprocess_env())
        endpoint = settings.raw.get("AWS_ENDPOINT_URL", "").strip()
        # Fail fast when the endpoint is down instead of aws's long default timeouts.
        self.common = ["--cli-connect-timeout", "15", "--cli-read-timeout", "60"]
        if endpoint:
            self.common += ["--endpoint-url", endpoint]
        self.endpoint = endpoint
        self._keys: list[str] | None = None

    def tool_env(self) -> dict[str, str]:
        env = self.settings.subprocess_env()
        # aws's default (5 attempts, back-off) takes 10+ s to report an unreachable endpoint.
        env.setdefault("AWS_RETRY_MODE", "standard")
        env.setdefault("AWS_MAX_ATTEMPTS", "2")
        return env

    def url(self, *parts: str) -> str:
        return "s3://" + "/".join(p for p in (self.bucket, self.prefix, *parts) if p)

    def aws(
        self,
        *args: str,
        ok_codes: tuple[int, ...] = (0,),
        timeout_s: float | None = None,
        on_stdout_line: Callable[[str], None] | None = None,
    ) -> str:
        quiet = ["--only-show-errors"] if args[0] in ("cp", "sync", "rm") else []
        code, out, err = self.run(
            [self.exe, "s3", *args, *quiet, *self.common], timeout_s, on_stdout_line=on_stdout_line
        )
        if code not in ok_codes:
            raise TargetError(self.explain(err, args[0]))
        return out

    def explain(self, stderr: str, verb: str) -> str:
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        last = lines[-1] if lines else "no error text"
        where = f"{self.url()}" + (f" at {self.endpoint}" if self.endpoint else "")
        if "NoSuchBucket" in stderr:
            return f"S3 bucket '{self.bucket}' does not exist ({where}); create it: aws s3 mb s3://{self.bucket}"
        if any(
            w in stderr
            for w in (
                "InvalidAccessKeyId",
                "SignatureDoesNotMatch",
                "AccessDenied",
                "Unable to locate credentials",
                "ExpiredToken",
                "Forbidden",
            )
        ):
            return (
                f"S3 refused the credentials for {where} ({last}); fix AWS_ACCESS_KEY_ID / "
                "AWS_SECRET_ACCESS_KEY in .env or ~/.aws"
            )
        if (
            "Could not connect" in stderr
            or "Connect timeout" in stderr
            or "EndpointConnectionError" in stderr
        ):
            return f"S3 endpoint not reachable for {where}; check the network or AWS_ENDPOINT_URL"
        return f"aws s3 {verb} on {where} failed: {last}"

    def check(self) -> None:
        self.keys()  # one listing answers "reachable?" and fills the cache for what follows

    def keys(self) -> list[str]:
        """Every key under the prefix, relative to it (one `aws s3 ls`, cached until a change)."""
        if self._keys is None:
            # `ls` exits 1 on an empty prefix; errors are 255 (or 254) with text on stderr.
            out = self.aws("ls", self.url() + "/", "--recursive", ok_codes=(0, 1), timeout_s=600)
            base = f"{self.prefix}/" if self.prefix else ""
            self._keys = [
                f[3][len(base) :]
                for line in out.splitlines()
                if len(f := line.split(maxsplit=3)) == 4 and f[3].startswith(base)
            ]
        return self._keys

    def list_blobs(self) -> set[str]:
        return {key.rsplit("/", 1)[-1] for key in self.keys() if key.startswith("blobs/")}

    def list_snapshot_ids(self) -> list[str]:
        ids = {
            key.split("/")[1]
            for key in self.keys()
            if key.startswith("snapshots/") and key.endswith("/" + MANIFEST)
        }
        return sorted(i for i in ids if SNAPSHOT_ID.match(i))

    def read_manifest(self, snapshot: str) -> str:
        return self.aws("cp", self.url("snapshots", snapshot, MANIFEST), "-")

    def push(self, staging: Path, on_bytes: BytesSink | None = None) -> None:
        known, self._keys = self._keys, None
        for part in ("blobs", "snapshots"):  # blobs first: the manifest lands last
            folder = staging / part
            if folder.is_dir():
                # `cp`, not `sync`: staging holds only what to send, damaged blobs included,
                # and sync would skip a damaged blob of the same size.
                self.aws("cp", str(folder), self.url(part), "--recursive", "--no-progress")
                if on_bytes is not None:
                    on_bytes(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()))
        if known is not None:  # what is there now, without listing the bucket again
            self._keys = known + [
                p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()
            ]

    def in_batches(self, shas: Iterable[str]) -> Iterable[list[str]]:
        wanted = sorted(set(shas))
        for start in range(0, len(wanted), INCLUDE_BATCH):
            yield wanted[start : start + INCLUDE_BATCH]

    def fetch_blobs(
        self, shas: Iterable[str], dest: Path, on_bytes: BytesSink | None = None
    ) -> None:
        for batch in self.in_batches(shas):
            includes = [arg for sha in batch for arg in ("--include", blob_key(sha))]
            self.aws("cp", self.url("blobs"), str(dest), "--recursive", "--exclude", "*", *includes)

    def delete_snapshots(self, snapshots: Iterable[str]) -> None:
        # A snapshot folder holds only its manifest: one call removes every old one.
        for batch in self.in_batches(snapshots):
            self._keys = None
            includes = [arg for snapshot in batch for arg in ("--include", f"{snapshot}/*")]
            self.aws("rm", self.url("snapshots") + "/", "--recursive", "--exclude", "*", *includes)

    def delete_blobs(self, shas: Iterable[str]) -> None:
        for batch in self.in_batches(shas):
            self._keys = None
            includes = [arg for sha in batch for arg in ("--include", blob_key(sha))]
            self.aws("rm", self.url("blobs") + "/", "--recursive", "--exclude", "*", *includes)
