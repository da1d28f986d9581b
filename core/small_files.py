"""What a small file is: the one answer for the tables list's flag, the maintenance view and the
latency watch (and the help texts that quote it, so it imports nothing heavy)."""

from __future__ import annotations

from lakeconsole.core.units import MIB

# delta-rs OPTIMIZE rewrites every file under its 100 MiB target, but a file of 50 MiB costs a
# reader little more than one of 100; under about a third of the target the per-file cost (open,
# footer, log entry) dominates and one compaction merges three or more files into one.
SMALL_FILE_BYTES = 32 * MIB
# "Many small files": more than this many files beyond one per partition, averaging under
# SMALL_FILE_BYTES. Past that every read opens many files for little data; OPTIMIZE is the fix.
SMALL_FILES_MIN_COUNT = 50
