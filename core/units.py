"""How sizes, counts and ages are printed, everywhere: binary units with IEC names (KiB, MiB, GiB).

Binary because the numbers are divided by 1024; IEC names because "KB" would claim 1000."""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_bytes(n: float | None) -> str:
    """1536 → '1.5 KiB'; None (unknown) → ''."""
    if n is None:
        return ""
    for unit in UNITS:
        if abs(n) < KIB or unit == UNITS[-1]:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= KIB
    raise AssertionError("unreachable")  # the loop returns at the last unit


def count(n: int) -> str:
    """500000 → '500,000'."""
    return f"{n:,}"


def age(s: float, short: bool = False) -> str:
    """How long ago: '40 s', '3 min', '2 h', '1 day', '5 days' (short: 40s, 3m, 2h, 5d)."""
    s = max(0.0, s)
    if s >= 86400:
        days = int(s // 86400)
        return f"{days}d" if short else f"{days} day{'s' if days != 1 else ''}"
    for size, long_unit, short_unit in ((3600, " h", "h"), (60, " min", "m")):
        if s >= size:
            return f"{int(s // size)}{short_unit if short else long_unit}"
    return f"{int(s)}{'s' if short else ' s'}"


def ago(s: float) -> str:
    """'just now', '3 min ago', '2 h ago', '5 days ago': when something last happened."""
    return "just now" if s < 1 else f"{age(s)} ago"
