"""How sizes and counts are printed, everywhere: binary units with IEC names (KiB, MiB, GiB).

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
