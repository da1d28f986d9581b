"""What the console cannot read yet on a lake on object storage (issue 16).

The core readers behind these still take local folders only: the quality ledger, the mart
READMEs, the alert state, a gold row's lineage. On an `s3://` lake the console says so in one
line instead of opening a view that would read this machine's files and show nothing, or stale
data. When core reads one from the bucket, drop its entry here and pass the view's core call
`state_home(settings)` or `settings.lake_root` where it passes `state_dir` or `data_dir` today
(tui/screens/quality.py, marts.py; trace.py passes settings and needs nothing).
"""

from __future__ import annotations

from lakeconsole.core.settings import Settings

# view or panel → (what the user calls it, what is read from local files, the command)
NOT_YET: dict[str, tuple[str, str, str]] = {
    "quality": ("Quality", "the quality ledger", "lakeconsole quality"),
    "marts": ("Mart docs", "the mart READMEs", "lakeconsole marts"),
    "alerts": ("alerts", "the alert state", "lakeconsole alerts"),
    "trace": ("Trace", "a gold row's lineage", "lakeconsole trace"),
}


def not_yet_here(settings: Settings, area: str) -> str | None:
    """One line saying `area` is not on object storage yet; None when it works on this lake."""
    if not settings.on_object_storage or area not in NOT_YET:
        return None
    label, what, command = NOT_YET[area]
    return (
        f"{label}: not yet on object storage (lakeconsole reads {what} from local files only; "
        f"{command} refuses too). This lake is {settings.lake_url}"
    )
