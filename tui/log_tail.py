"""Reading the end of a growing log file, new bytes only, following daily rotation (OPS-04).

No Textual here: the log panel calls `read_new()` from a thread and shows what it returns."""

from __future__ import annotations

import os
from pathlib import Path

# The first read starts this far from the end: a 2 GB log opens as fast as a small one.
FIRST_READ_BYTES = 256 * 1024
# A single read never takes more than this, so a burst of logging cannot stall the panel.
MAX_READ_BYTES = 4 * 1024 * 1024


class LogTail:
    """Remembers where it stopped in one log file; notices when the file is replaced."""

    def __init__(self, path: Path, first_read_bytes: int = FIRST_READ_BYTES) -> None:
        self.path = path
        self.first_read_bytes = first_read_bytes
        self._inode: int | None = None
        self._offset = 0
        self._partial = b""  # a line still being written
        self.rotations = 0

    def read_new(self) -> list[str]:
        """Complete lines appended since the last call (the tail of the file on the first call)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return []
        if self._inode is None:
            self._inode = stat.st_ino
            self._offset = max(0, stat.st_size - self.first_read_bytes)
            return self._read(stat.st_size, skip_first_line=self._offset > 0)
        if stat.st_ino != self._inode or stat.st_size < self._offset:
            # Rotated (renamed and recreated) or truncated: the new file is read from its start.
            self._inode, self._offset, self._partial = stat.st_ino, 0, b""
            self.rotations += 1
        return self._read(stat.st_size, skip_first_line=False)

    def _read(self, size: int, skip_first_line: bool) -> list[str]:
        if size <= self._offset:
            return []
        start = max(self._offset, size - MAX_READ_BYTES)
        skip_first_line = skip_first_line or start > self._offset
        try:
            with open(self.path, "rb") as f:
                f.seek(start)
                data = f.read(size - start)
        except FileNotFoundError:
            return []
        self._offset = start + len(data)
        if skip_first_line:
            # We started in the middle of a line: drop its tail.
            _, _, data = data.partition(b"\n")
            self._partial = b""
        data = self._partial + data
        *lines, self._partial = data.split(b"\n")
        return [line.decode("utf-8", errors="replace").rstrip("\r") for line in lines]
