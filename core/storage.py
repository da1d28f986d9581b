"""Where the lake lives: a local folder or an `s3://bucket/prefix` URL, behind one interface.

A `Location` is a folder or file of the lake: join, list, read, write atomically, delete, and
what delta-rs needs to open a table there (its URI and storage options). Local locations use
os/pathlib exactly as the code did before; object-store locations use obstore (Rust
object_store, the library delta-rs itself uses: same URL and credential rules, and a
conditional put for the lease lock). obstore imports in ~5 ms against ~100 ms for pyarrow.fs,
and only object-store lakes import it.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow.fs as pafs
    from deltalake import DeltaTable
    from obstore import ListResult, ObjectMeta
    from obstore.store import S3Config

    from lakeconsole.core.settings import Settings

# Schemes we open; delta-rs knows more (gs, az, abfss...), but only S3 is tested here.
SUPPORTED_SCHEMES = ("s3",)
# Settings keys an S3 lake takes, as delta-rs and the aws CLI name them.
S3_KEYS = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ALLOW_HTTP",
)
# A landing object is copied in chunks of this size (one GET, streamed).
FETCH_CHUNK = 8 << 20
# A lake check must answer quickly: an unreachable endpoint is a usage error, not a hang.
CHECK_TIMEOUT_S = 5


class StorageError(Exception):
    """The lake's storage cannot be used; the message is one line naming the fix."""


@dataclass(frozen=True)
class FileEntry:
    """A file in a folder listing."""

    name: str
    size: int
    mtime_ms: int


class Location(ABC):
    """A folder or file of the lake, local or in an object store."""

    @abstractmethod
    def __truediv__(self, name: str) -> Location: ...

    @property
    @abstractmethod
    def name(self) -> str: ...

    @property
    @abstractmethod
    def uri(self) -> str:
        """What delta-rs opens: a local path, or `s3://bucket/key`."""

    @property
    def is_local(self) -> bool:
        return False

    @property
    def storage_options(self) -> dict[str, str] | None:
        """deltalake's storage_options for a table here (None: local, none needed)."""
        return None

    @abstractmethod
    def child_folders(self) -> list[Location]:
        """The folders directly inside (empty when this is no folder)."""

    @abstractmethod
    def files(self) -> list[FileEntry]:
        """The files directly inside; StorageError when this is no folder."""

    def names(self) -> list[str]:
        """The names of the files directly inside (no sizes or times: cheaper locally)."""
        return [f.name for f in self.files()]

    @abstractmethod
    def is_folder(self) -> bool: ...

    @abstractmethod
    def exists(self) -> bool:
        """A file or a folder is here."""

    @abstractmethod
    def read_bytes(self) -> bytes:
        """The file's bytes; StorageError when it cannot be read."""

    @abstractmethod
    def mtime_ms(self) -> int:
        """The file's modification time in ms; StorageError when it cannot be read."""

    @abstractmethod
    def write_bytes(self, data: bytes) -> None:
        """Replace the file in one step: a reader sees the old bytes or the new, never a part."""

    @abstractmethod
    def delete(self) -> None:
        """Remove the file (nothing when it is already gone)."""

    # Streaming, for backup and restore: a big data file is never held whole in memory.
    @abstractmethod
    def walk(self) -> list[FileEntry]:
        """Every file under this folder at any depth, named by its path relative to it."""

    @abstractmethod
    def read_chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The file's bytes in pieces; StorageError when it cannot be read."""

    @abstractmethod
    def upload(self, source: Path) -> None:
        """Write the local file `source` here in one step (streamed, like write_bytes)."""

    @abstractmethod
    def arrow_filesystem(self) -> pafs.FileSystem:
        """A pyarrow file system rooted here, for reading a table's data files."""

    def read_text(self) -> str:
        return self.read_bytes().decode("utf-8")

    @abstractmethod
    def read_optional(self) -> bytes | None:
        """The file's bytes, None when it does not exist; StorageError when it cannot be read."""

    # Conditional writes, for the lease lock on object storage (a local lake has the OS file
    # lock of core.lock instead). A tag names one version of the object (S3: its ETag).
    def create(self, data: bytes) -> str | None:
        """Write the file only if it does not exist; its tag, or None when it exists."""
        raise StorageError(f"conditional writes are not offered on {self.uri}")

    def read_tagged(self) -> tuple[bytes, str] | None:
        """The file's bytes and tag; None when it does not exist."""
        raise StorageError(f"conditional writes are not offered on {self.uri}")

    def replace_if(self, data: bytes, tag: str) -> str | None:
        """Replace the file only if it is still the version `tag`; the new tag, or None when
        another writer changed or removed it first."""
        raise StorageError(f"conditional writes are not offered on {self.uri}")

    def fetch_version(self, target: Path) -> tuple[FileEntry, str]:
        """One version of an object copied into the local file `target` (never a mix of two
        writes, streamed: memory stays flat), with its entry (size, time) and tag;
        FileNotFoundError when it is gone. Object storage only."""
        raise StorageError(f"versioned reads are not offered on {self.uri}")

    def tag(self) -> str | None:
        """The object's current tag (S3: its ETag); None when it is gone. Object storage only."""
        raise StorageError(f"versioned reads are not offered on {self.uri}")

    def relative_to(self, root: Location) -> str | None:
        """This location's path under `root` (`silver/orders`), None when outside it."""
        here, base = self.uri.rstrip("/"), root.uri.rstrip("/")
        if here == base:
            return ""
        return here[len(base) + 1 :] if here.startswith(base + "/") else None

    def __str__(self) -> str:
        return self.uri

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Location) and self.uri == other.uri

    def __hash__(self) -> int:
        return hash(self.uri)

    def __lt__(self, other: Location) -> bool:
        return self.uri < other.uri


class LocalLocation(Location):
    """A local folder or file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __truediv__(self, name: str) -> LocalLocation:
        return LocalLocation(self.path / name)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def uri(self) -> str:
        return str(self.path)

    @property
    def is_local(self) -> bool:
        return True

    def child_folders(self) -> list[Location]:
        try:
            with os.scandir(self.path) as entries:
                return [LocalLocation(Path(e.path)) for e in entries if e.is_dir()]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def files(self) -> list[FileEntry]:
        try:
            with os.scandir(self.path) as entries:
                return [
                    FileEntry(e.name, (s := e.stat()).st_size, int(s.st_mtime * 1000))
                    for e in entries
                    if e.is_file()
                ]
        except OSError as exc:
            raise StorageError(f"cannot list {self.path}: {exc.strerror or exc}") from None

    def names(self) -> list[str]:
        try:
            return os.listdir(self.path)
        except OSError as exc:
            raise StorageError(f"cannot list {self.path}: {exc.strerror or exc}") from None

    def is_folder(self) -> bool:
        return self.path.is_dir()

    def exists(self) -> bool:
        return self.path.exists()

    def read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {self.path}: {exc.strerror or exc}") from None

    def read_optional(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read {self.path}: {exc.strerror or exc}") from None

    def mtime_ms(self) -> int:
        try:
            return int(self.path.stat().st_mtime * 1000)
        except OSError as exc:
            raise StorageError(f"cannot read {self.path}: {exc.strerror or exc}") from None

    def write_bytes(self, data: bytes) -> None:
        import tempfile

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())  # durable before the rename makes it the file
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)

    def walk(self) -> list[FileEntry]:
        out = []
        for folder, _, filenames in os.walk(self.path):
            for filename in filenames:
                path = Path(folder) / filename
                try:
                    st = path.stat()
                except OSError:
                    continue  # gone since the listing
                rel = path.relative_to(self.path).as_posix()
                out.append(FileEntry(rel, st.st_size, int(st.st_mtime * 1000)))
        return out

    def read_chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        try:
            with self.path.open("rb") as fh:
                while block := fh.read(size):
                    yield block
        except OSError as exc:
            raise StorageError(f"cannot read {self.path}: {exc.strerror or exc}") from None

    def upload(self, source: Path) -> None:
        import shutil
        import tempfile

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def arrow_filesystem(self) -> pafs.FileSystem:
        import pyarrow.fs as pafs

        return pafs.SubTreeFileSystem(str(self.path), pafs.LocalFileSystem())


@dataclass(frozen=True)
class S3Lake:
    """An S3 bucket and how to reach it, from the settings; holds secrets, never printed."""

    bucket: str
    options: Mapping[str, str] = field(repr=False)

    @property
    def endpoint(self) -> str:
        return self.options.get("AWS_ENDPOINT_URL", "") or "AWS S3"

    def store(self) -> Any:
        """The obstore client for the bucket (made once per lake)."""
        return _s3_store(self)

    def delta_options(self) -> dict[str, str]:
        return {k: v for k, v in self.options.items() if v}


_STORES: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}


def _s3_store(lake: S3Lake) -> Any:
    key = (lake.bucket, tuple(sorted(lake.options.items())))
    if key not in _STORES:
        from datetime import timedelta

        from obstore.store import S3Store

        opts = lake.options
        config: S3Config = {}
        if opts.get("AWS_ENDPOINT_URL"):
            config["endpoint"] = opts["AWS_ENDPOINT_URL"]
        if opts.get("AWS_ACCESS_KEY_ID"):
            config["access_key_id"] = opts["AWS_ACCESS_KEY_ID"]
        if opts.get("AWS_SECRET_ACCESS_KEY"):
            config["secret_access_key"] = opts["AWS_SECRET_ACCESS_KEY"]
        if opts.get("AWS_SESSION_TOKEN"):
            config["session_token"] = opts["AWS_SESSION_TOKEN"]
        if opts.get("AWS_REGION"):
            config["region"] = opts["AWS_REGION"]
        _STORES[key] = S3Store(
            lake.bucket,
            config=config,
            client_options={
                "allow_http": opts.get("AWS_ALLOW_HTTP", "").lower() in ("1", "true", "yes"),
                "connect_timeout": f"{CHECK_TIMEOUT_S}s",
            },
            retry_config={
                "max_retries": 2,
                "retry_timeout": timedelta(seconds=CHECK_TIMEOUT_S * 2),
                "backoff": {
                    "init_backoff": timedelta(milliseconds=100),
                    "max_backoff": timedelta(seconds=1),
                    "base": 2,
                },
            },
        )
    return _STORES[key]


class S3Location(Location):
    """A key prefix (folder) or key (file) in an S3 bucket."""

    def __init__(self, lake: S3Lake, key: str) -> None:
        self.lake = lake
        self.key = key.strip("/")

    def __truediv__(self, name: str) -> S3Location:
        return S3Location(self.lake, f"{self.key}/{name}" if self.key else name)

    @property
    def name(self) -> str:
        return PurePosixPath(self.key).name

    @property
    def uri(self) -> str:
        return f"s3://{self.lake.bucket}/{self.key}".rstrip("/")

    @property
    def storage_options(self) -> dict[str, str]:
        return self.lake.delta_options()

    def _prefix(self) -> str:
        return f"{self.key}/" if self.key else ""

    def _listing(self) -> ListResult[Sequence[ObjectMeta]]:
        import obstore

        try:
            listed = obstore.list_with_delimiter(self.lake.store(), self._prefix())
        except Exception as exc:
            raise storage_error(exc, self.lake) from None
        return listed

    def child_folders(self) -> list[Location]:
        return [S3Location(self.lake, p) for p in self._listing()["common_prefixes"]]

    def files(self) -> list[FileEntry]:
        prefix = self._prefix()
        return [
            FileEntry(o["path"][len(prefix) :], int(o["size"]), _ms(o))
            for o in self._listing()["objects"]
        ]

    def is_folder(self) -> bool:
        listed = self._listing()
        return bool(listed["objects"] or listed["common_prefixes"])

    def exists(self) -> bool:
        return self.is_folder() or self._head() is not None

    def _head(self) -> ObjectMeta | None:
        import obstore

        try:
            meta = obstore.head(self.lake.store(), self.key)
        except FileNotFoundError:  # obstore's NotFoundError is raised as one
            return None
        except Exception as exc:
            raise storage_error(exc, self.lake) from None
        return meta

    def read_bytes(self) -> bytes:
        import obstore

        try:
            return bytes(obstore.get(self.lake.store(), self.key).bytes())
        except Exception as exc:
            raise StorageError(f"cannot read {self.uri}: {one_line(exc)}") from None

    def read_optional(self) -> bytes | None:
        import obstore

        try:
            return bytes(obstore.get(self.lake.store(), self.key).bytes())
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise storage_error(exc, self.lake) from None

    def fetch_version(self, target: Path) -> tuple[FileEntry, str]:
        import obstore

        try:
            got = obstore.get(self.lake.store(), self.key)
            meta = got.meta
            with target.open("wb") as out:
                for chunk in got.stream(min_chunk_size=FETCH_CHUNK):
                    out.write(memoryview(chunk))
        except FileNotFoundError:
            raise
        except OSError:
            raise  # the local copy (a full disk): the step fails as any local write does
        except Exception as exc:
            raise storage_error(exc, self.lake) from None
        return FileEntry(self.name, int(meta["size"]), _ms(meta)), str(meta["e_tag"])

    def tag(self) -> str | None:
        meta = self._head()
        return None if meta is None else str(meta["e_tag"])

    def files_under(self) -> list[FileEntry]:
        """Every file under this prefix, at any depth (names relative to it), sorted."""
        import obstore

        prefix = self._prefix()
        try:
            found = [
                FileEntry(o["path"][len(prefix) :], int(o["size"]), _ms(o))
                for chunk in obstore.list(self.lake.store(), prefix)
                for o in chunk
            ]
        except Exception as exc:
            raise storage_error(exc, self.lake) from None
        return sorted(found, key=lambda f: f.name)

    def mtime_ms(self) -> int:
        meta = self._head()
        if meta is None:
            raise StorageError(f"cannot read {self.uri}: not found")
        return int(meta["last_modified"].timestamp() * 1000)

    def write_bytes(self, data: bytes) -> None:
        import obstore

        try:
            obstore.put(self.lake.store(), self.key, data)  # a PUT is atomic on S3
        except Exception as exc:
            raise storage_error(exc, self.lake) from None

    def delete(self) -> None:
        import obstore

        try:
            obstore.delete(self.lake.store(), self.key)
        except Exception as exc:
            raise storage_error(exc, self.lake) from None

    def walk(self) -> list[FileEntry]:
        import obstore

        prefix = self._prefix()
        try:
            return [
                FileEntry(
                    o["path"][len(prefix) :],
                    int(o["size"]),
                    int(o["last_modified"].timestamp() * 1000),
                )
                for batch in obstore.list(self.lake.store(), prefix or None, chunk_size=1000)
                for o in batch
            ]
        except Exception as exc:
            raise storage_error(exc, self.lake) from None

    def read_chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        import obstore

        try:
            for chunk in obstore.get(self.lake.store(), self.key).stream(min_chunk_size=size):
                yield bytes(chunk)
        except Exception as exc:
            raise StorageError(f"cannot read {self.uri}: {one_line(exc)}") from None

    def upload(self, source: Path) -> None:
        import obstore

        try:  # a multipart upload above 5 MB, completed in one step: never half an object
            obstore.put(self.lake.store(), self.key, source)
        except Exception as exc:
            raise storage_error(exc, self.lake) from None

    def create(self, data: bytes) -> str | None:
        import obstore
        from obstore.exceptions import AlreadyExistsError

        try:
            return obstore.put(self.lake.store(), self.key, data, mode="create")["e_tag"]
        except AlreadyExistsError:
            return None
        except Exception as exc:
            raise storage_error(exc, self.lake) from None

    def read_tagged(self) -> tuple[bytes, str] | None:
        import obstore

        try:
            got = obstore.get(self.lake.store(), self.key)
            return bytes(got.bytes()), str(got.meta["e_tag"])
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise storage_error(exc, self.lake) from None

    def replace_if(self, data: bytes, tag: str) -> str | None:
        import obstore
        from obstore.exceptions import PreconditionError

        try:
            return obstore.put(self.lake.store(), self.key, data, mode={"e_tag": tag})["e_tag"]
        except (PreconditionError, FileNotFoundError):
            return None
        except Exception as exc:
            raise storage_error(exc, self.lake) from None

    def arrow_filesystem(self) -> pafs.FileSystem:
        import pyarrow.fs as pafs

        opts = self.lake.options
        endpoint = opts.get("AWS_ENDPOINT_URL", "")
        scheme, _, host = endpoint.partition("://")
        s3 = pafs.S3FileSystem(
            access_key=opts.get("AWS_ACCESS_KEY_ID") or None,
            secret_key=opts.get("AWS_SECRET_ACCESS_KEY") or None,
            session_token=opts.get("AWS_SESSION_TOKEN") or None,
            region=opts.get("AWS_REGION") or None,
            endpoint_override=host or None,
            scheme=scheme or "https",
        )
        return pafs.SubTreeFileSystem(f"{self.lake.bucket}/{self.key}", s3)


def _ms(meta: ObjectMeta) -> int:
    """An object's modification time in whole ms, the same from a listing and from a GET."""
    return int(meta["last_modified"].timestamp() * 1000)


# A table or lake folder as the parts hold it: a local Path (most of the code), or a Location.
LakePath = Path | Location


def s3_options(settings_raw: Mapping[str, str]) -> dict[str, str]:
    """The S3 keys of the settings, AWS_REGION filled from AWS_DEFAULT_REGION (the aws CLI's
    name), AWS_ALLOW_HTTP set for an http:// endpoint (delta-rs refuses http without it)."""
    opts = {k: settings_raw[k].strip() for k in S3_KEYS if settings_raw.get(k, "").strip()}
    if "AWS_REGION" not in opts and "AWS_DEFAULT_REGION" in opts:
        opts["AWS_REGION"] = opts["AWS_DEFAULT_REGION"]
    opts.pop("AWS_DEFAULT_REGION", None)
    if opts.get("AWS_ENDPOINT_URL", "").startswith("http://"):
        opts.setdefault("AWS_ALLOW_HTTP", "true")
    return opts


def url_scheme(value: str) -> str | None:
    """`s3` for `s3://bucket/x`, None for a local path."""
    head, sep, _ = value.partition("://")
    return head.lower() if sep and head.replace("+", "").replace(".", "").isalnum() else None


def lake_location(url: str, settings_raw: Mapping[str, str]) -> S3Location:
    """The location of an object-store lake URL; StorageError for a scheme we do not open."""
    scheme = url_scheme(url)
    if scheme not in SUPPORTED_SCHEMES:
        raise StorageError(
            f"{scheme}:// lakes are not supported yet (only s3://bucket/prefix, including "
            "S3-compatible servers via AWS_ENDPOINT_URL); use an s3:// URL or a local folder"
        )
    rest = url.split("://", 1)[1].strip("/")
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise StorageError(f"{url} names no bucket; write it as s3://bucket/prefix")
    return S3Location(S3Lake(bucket, s3_options(settings_raw)), key)


def as_location(where: Path | Location) -> Location:
    """A Location for a path or a location (callers that still hold local Paths)."""
    return where if isinstance(where, Location) else LocalLocation(where)


def check_reachable(lake: Location) -> bool:
    """Whether the lake prefix holds anything; StorageError when the bucket is missing, the
    endpoint unreachable or the credentials refused (one line naming the fix)."""
    return lake.is_folder()


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split("\n\nDebug source:")[0].split())[:200]


def storage_error(exc: BaseException, lake: S3Lake) -> StorageError:
    """An obstore failure said as the fix: missing bucket, unreachable endpoint, access."""
    text = str(exc)
    if "NoSuchBucket" in text:
        return StorageError(
            f"bucket '{lake.bucket}' does not exist at {lake.endpoint}: create it "
            f"(aws s3 mb s3://{lake.bucket}) or fix LAKECONSOLE_DATA_DIR"
        )
    if "error sending request" in text or "Connection refused" in text or "dns" in text.lower():
        return StorageError(
            f"cannot reach {lake.endpoint} for bucket '{lake.bucket}': check AWS_ENDPOINT_URL "
            "and that the server is up"
        )
    if any(s in text for s in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch")):
        return StorageError(
            f"{lake.endpoint} refused the credentials for bucket '{lake.bucket}': check "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in .env"
        )
    return StorageError(f"object store error on bucket '{lake.bucket}': {one_line(exc)}")


# -- Delta tables at a location: the one home of how delta-rs is told where a table is ------
# Every part of the run path opens, creates and writes its tables through these, with the
# lake's local Path or its object-store Location alike; delta-rs gets the URI and the
# storage options (credentials, endpoint) from here and nowhere else.


def delta_uri(where: LakePath) -> str:
    return str(where) if isinstance(where, Path) else where.uri


def delta_options(where: LakePath) -> dict[str, str] | None:
    return None if isinstance(where, Path) else where.storage_options


def table_exists(where: LakePath) -> bool:
    """A Delta table is at `where` (it has a `_delta_log` folder)."""
    if isinstance(where, Path):
        return (where / "_delta_log").is_dir()
    return (where / "_delta_log").is_folder()


def open_delta(where: LakePath, version: int | None = None) -> DeltaTable:
    from deltalake import DeltaTable

    return DeltaTable(delta_uri(where), version=version, storage_options=delta_options(where))


def write_delta(where: LakePath, data: Any, **how: Any) -> None:
    """deltalake.write_deltalake at `where`, with its storage options."""
    from deltalake import write_deltalake

    write_deltalake(delta_uri(where), data, storage_options=delta_options(where), **how)


def create_delta(where: LakePath, schema: Any, **how: Any) -> DeltaTable:
    """DeltaTable.create at `where` (its local folder made first)."""
    from deltalake import DeltaTable

    if isinstance(where, Path):
        where.mkdir(parents=True, exist_ok=True)
    return DeltaTable.create(delta_uri(where), schema, storage_options=delta_options(where), **how)


def open_checked(where: LakePath) -> DeltaTable:
    """The table opened for writing on: locally refused with TableDamaged when its log or a
    live file is damaged (core.table_health); on object storage opened as it is (those checks
    read local files, and do not run there yet)."""
    if isinstance(where, Path):
        from lakeconsole.core.table_health import open_healthy

        return open_healthy(where)
    return open_delta(where)


def log_names(where: LakePath) -> list[str]:
    """The names in the table's `_delta_log` folder; [] when there is none (or it cannot be
    listed: the caller then opens the table, which says why)."""
    try:
        if isinstance(where, Path):
            return os.listdir(where / "_delta_log")
        return (where / "_delta_log").names()
    except (OSError, StorageError):
        return []


def state_home(settings: Settings) -> LakePath:
    """The engine's state folder (`_lakeconsole`: ledgers, watermarks, run records, lease):
    a local Path, or under the lake's prefix on object storage."""
    if settings.on_object_storage:
        return settings.lake / "_lakeconsole"
    return settings.state_dir


def read_optional(where: LakePath) -> bytes | None:
    """A state file's bytes, None when it is missing; OSError or StorageError otherwise."""
    if isinstance(where, Path):
        try:
            return where.read_bytes()
        except FileNotFoundError:
            return None
    return where.read_optional()


def write_whole(where: LakePath, data: bytes) -> None:
    """Replace a state file in one step, durable before returning: a crash leaves the old
    bytes or the new, never a part (local: temp file, fsync, rename; S3: one PUT)."""
    as_location(where).write_bytes(data)


# Tries of the conditional rewrite of an object-store ledger before giving up.
APPEND_TRIES = 20


def append_line(where: LakePath, line: bytes) -> None:
    """Add one line to a state ledger (maintenance, quality), durable before returning.
    Locally one write to an O_APPEND file: concurrent appends never mix, and after a crash's
    torn last line a newline comes first. In a bucket (no appends there) the object is
    rewritten with the line added only if no one rewrote it since it was read (a conditional
    put), so no other writer's line is lost either."""
    if isinstance(where, Path | LocalLocation):
        _append_file(where if isinstance(where, Path) else where.path, line)
    else:
        _append_object(where, line)


def _append_file(path: Path, line: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # after a crash's torn line: do not glue this record to it
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _append_object(ledger: Location, line: bytes) -> None:
    for _ in range(APPEND_TRIES):
        current = ledger.read_tagged()
        if current is None:
            if ledger.create(line) is not None:
                return
            continue
        data, tag = current
        if data and not data.endswith(b"\n"):
            data += b"\n"
        if ledger.replace_if(data + line, tag) is not None:
            return
    raise StorageError(f"cannot append to {ledger}: other writers kept changing it; try again")
