"""Every file under a folder of the lake, local or in a bucket, in one pass.

A table's health check, its vacuum and its crash-leftover sweep need the size and age of many
files at once; on object storage one recursive LIST answers for all of them (a HEAD per file
would be one request each).
"""

from __future__ import annotations

import os
from urllib.parse import unquote

from lakeconsole.core.storage import FileEntry, LocalLocation, Location, S3Location, StorageError

LIST_CHUNK = 1000  # objects per LIST page (S3's own maximum)


def walk_files(where: Location) -> dict[str, FileEntry]:
    """Every file under `where` (recursive), by its path relative to it; {} when nothing is
    there. StorageError when the store cannot be listed."""
    if isinstance(where, S3Location):
        return _walk_bucket(where)
    if isinstance(where, LocalLocation):
        return _walk_folder(where)
    raise StorageError(f"cannot list {where}: unknown storage")


def _walk_folder(where: LocalLocation) -> dict[str, FileEntry]:
    root = str(where.path)
    found: dict[str, FileEntry] = {}
    for folder, _dirs, names in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        for name in names:
            rel = name if rel_folder == "." else f"{rel_folder}/{name}".replace(os.sep, "/")
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:  # gone since the listing
                continue
            found[rel] = FileEntry(rel, stat.st_size, int(stat.st_mtime * 1000))
    return found


def _walk_bucket(where: S3Location) -> dict[str, FileEntry]:
    import obstore

    from lakeconsole.core.storage import storage_error

    prefix = f"{where.key}/" if where.key else ""
    found: dict[str, FileEntry] = {}
    try:
        for page in obstore.list(where.lake.store(), prefix, chunk_size=LIST_CHUNK):
            for meta in page:
                rel = meta["path"][len(prefix) :]
                found[rel] = FileEntry(
                    rel, int(meta["size"]), int(meta["last_modified"].timestamp() * 1000)
                )
    except Exception as exc:
        raise storage_error(exc, where.lake) from None
    return found


def logged_file(table: Location, logged: str) -> str:
    """A path as a Delta log writes it (relative and URL-encoded, or a full URI under the
    table) as a path relative to the table; a URI elsewhere is returned whole (matches none)."""
    if "://" not in logged:
        return unquote(logged)
    base = table.uri.rstrip("/") + "/"
    text = unquote(logged)
    for candidate in (text, text.removeprefix("file://")):
        if candidate.startswith(base):
            return candidate[len(base) :]
    return text
