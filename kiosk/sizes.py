"""File sizes for people: the unit that fits, in decimal units as disks and downloads count them."""

from __future__ import annotations


def readable_size(size: float) -> str:
    """'512 bytes', '40.2 kB', '2.15 GB': three significant figures, never '0.0 MB'."""
    if size < 1000:
        return "1 byte" if size == 1 else f"{size:g} bytes"
    unit = "bytes"
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 999.5:
            break
    return f"{size:.3g} {unit}" if size < 100 else f"{size:,.0f} {unit}"
