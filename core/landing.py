"""What a landing file is: the one answer that bronze and the console's landing panel both ask.

A landing file is a regular file directly in the landing folder; a symbolic link to one counts,
under the link's name. Names starting with `.`, `_` or `~` are partial writes or markers and are
not listed at all. Every other entry is skipped with the reason the user is shown: a folder (its
files are not read: a file moved into `landing/archive/` must not come back as new data), a link
to nothing, a named pipe or another special file. Listing opens no file, so a FIFO never blocks.

On object storage the landing folder is a key prefix, listed (a bucket cannot be watched: the
console polls): an object directly under it is a landing file (`remote`, fetched by bronze
before it is read), a deeper prefix is a folder, skipped as on disk.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from lakeconsole.core.storage import LakePath, Location

HIDDEN = (".", "_", "~")
FOLDER_FIX = (
    "put landing files directly in landing/, or start the folder's name with _ to have it ignored"
)


@dataclass(frozen=True)
class LandingFile:
    path: Path  # on object storage: the name alone until bronze fetches it (`remote`)
    size: int
    mtime_ns: int
    remote: Location | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        """The name as the user is shown it (bytes that are not UTF-8 as \\xNN escapes)."""
        return shown_name(self.path.name)

    @property
    def name_is_utf8(self) -> bool:
        return self.name == self.path.name


@dataclass(frozen=True)
class Skipped:
    """An entry of the landing folder that is not a landing file, and why (for the user)."""

    name: str  # a folder's ends with "/"
    reason: str


@dataclass(frozen=True)
class Landing:
    files: list[LandingFile]
    skipped: list[Skipped]


def shown_name(name: str) -> str:
    """`name` printable: a name that is not UTF-8 (Python holds it with surrogates) escaped."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def scan_landing(folder: LakePath) -> Landing:
    """The landing files in name order (the order they are ingested) and the skipped entries."""
    if isinstance(folder, Location):
        return _scan_prefix(folder)
    files: list[LandingFile] = []
    skipped: list[Skipped] = []
    if not folder.is_dir():
        return Landing(files, skipped)
    for path in sorted(folder.iterdir()):
        if path.name.startswith(HIDDEN):
            continue
        try:
            entry = _classify(path)
        except FileNotFoundError:
            continue  # removed while we looked: nothing to read, nothing to say
        except OSError as exc:
            entry = Skipped(shown_name(path.name), f"cannot be examined: {_strerror(exc)}")
        (files if isinstance(entry, LandingFile) else skipped).append(entry)  # type: ignore[arg-type]
    return Landing(files, skipped)


def _scan_prefix(folder: Location) -> Landing:
    """The objects directly under a landing prefix, and its deeper prefixes as skipped folders
    (one listing; a prefix with nothing under it is an empty landing folder)."""
    files = [
        LandingFile(Path(f.name), f.size, f.mtime_ms * 1_000_000, folder / f.name)
        for f in folder.files()
        if not f.name.startswith(HIDDEN)
    ]
    skipped = [
        Skipped(
            f"{sub.name}/", f"a folder, not a landing file (its objects are not read): {FOLDER_FIX}"
        )
        for sub in folder.child_folders()
        if not sub.name.startswith(HIDDEN)
    ]
    return Landing(sorted(files, key=lambda f: f.path.name), sorted(skipped, key=lambda s: s.name))


def _classify(path: Path) -> LandingFile | Skipped:
    name = shown_name(path.name)
    own = path.lstat()
    if stat.S_ISLNK(own.st_mode):
        try:
            target = path.stat()
        except FileNotFoundError:
            return Skipped(
                name,
                f"a symbolic link to {os.readlink(path)}, which does not exist: "
                "fix or remove the link",
            )
        except OSError as exc:
            return Skipped(name, f"a symbolic link that cannot be followed ({_strerror(exc)})")
        if stat.S_ISREG(target.st_mode):
            return LandingFile(path, target.st_size, target.st_mtime_ns)
        return Skipped(
            name, f"a symbolic link to {_kind(target.st_mode)}, not a landing file: remove the link"
        )
    if stat.S_ISREG(own.st_mode):
        return LandingFile(path, own.st_size, own.st_mtime_ns)
    if stat.S_ISDIR(own.st_mode):
        return Skipped(f"{name}/", f"a folder, not a landing file ({_inside(path)}): {FOLDER_FIX}")
    return Skipped(name, f"{_kind(own.st_mode)}, not a landing file: it is never opened; remove it")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _inside(folder: Path) -> str:
    try:
        n = sum(1 for _ in os.scandir(folder))
    except OSError as exc:
        return f"its entries cannot be listed: {_strerror(exc)}"
    if n == 0:
        return "empty"
    return f"{n} entr{'y' if n == 1 else 'ies'} inside {'is' if n == 1 else 'are'} not read"


def _strerror(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()
