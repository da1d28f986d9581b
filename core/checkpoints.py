"""A checkpoint for a pipeline table every CHECKPOINT_EVERY commits, not delta-rs's 100.

Every opening of a table replays its commits since the last checkpoint: silver at 10M lines,
42 commits after its first run, opened in 19 ms, and in 5 ms from a checkpoint (quarantine 17
and 3 ms). A run opens silver two or three times (its step, gold, the damage checks read its
log too), so the first daily run after a full run paid ~40 ms for commits no reader needs one
by one. Writing a checkpoint costs an opening and 10-20 ms, once every ten commits of a table.
A checkpoint is written whole or not at all (a new file, then `_last_checkpoint`): a kill
during it leaves the table as it was. delta-rs's create_checkpoint deletes no log file (seen
with 1.6.6: commits 40 days old stayed; its own checkpoint every 100 commits may clean up past
`delta.logRetentionDuration`), so time travel keeps every version it had.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from lakeconsole.core.backup.lake_files import COMMIT, checkpoint_file
from lakeconsole.core.storage import LakePath, StorageError, as_location

CHECKPOINT_EVERY = 10
log = logging.getLogger(__name__)


def commits_since_checkpoint(path: LakePath) -> int:
    """How many commits a reader of the table's latest version replays (0 without a log)."""
    try:
        names = (as_location(path) / "_delta_log").names()
    except StorageError:
        return 0
    commits = [int(m[1]) for n in names if (m := COMMIT.match(n))]
    checkpoints = [int(m[1]) for n in names if (m := checkpoint_file(n))]
    if not commits:
        return 0
    return max(commits) - max(checkpoints, default=-1)


def checkpoint_when_due(lake: LakePath, tables: Iterable[str]) -> None:
    """After a step wrote `tables`: a checkpoint for each that has CHECKPOINT_EVERY commits or
    more since its last one. A checkpoint that cannot be written is only a slower next
    opening: logged, never the step's failure."""
    from lakeconsole.core.table_health import carry_over, delta_table, scan_log, table_damage

    for name in tables:
        path = lake / name
        if commits_since_checkpoint(path) < CHECKPOINT_EVERY:
            continue
        # The damage check's cache brought to this state (the step's commits replayed), so that
        # it holds after the checkpoint too; and no checkpoint over a damaged table.
        if table_damage(path, remember=True):
            continue
        before = scan_log(path)[1]
        try:
            delta_table(path).create_checkpoint()
        except Exception as exc:  # any delta-rs error: the table stays as it was
            log.warning("no checkpoint for %s: %s", name, " ".join(str(exc).split())[:200])
            continue
        carry_over(path, before)  # the damage check's cache: same live files, new log
