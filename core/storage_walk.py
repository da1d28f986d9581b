"""Every file under a folder of the lake, local or in a bucket, in one pass.

A table's health check, its vacuum and its crash-leftover sweep need the size and age of many
files at once; on object storage one recursive LIST answers for all of them (a HEAD per file
would be one request each).
"""

from __future__ import annotations

from urllib.parse import unquote

from lakeconsole.core.storage import FileEntry, Location


def walk_files(where: Location) -> dict[str, FileEntry]:
    """Every file under `where` (recursive), by its path relative to it; {} when nothing is
    there. StorageError when the store cannot be listed. (Location.walk, keyed by path.)"""
    return {entry.name: entry for entry in where.walk()}


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
