"""What a shared screen may show of a member's contact details: enough for the member to
know it is theirs, not enough for the next shopper to learn it."""

from __future__ import annotations

DOT = "\u2022"  # •


def mask_email(email: str) -> str:
    """"ana@example.com" -> "a•••@e•••.com": the first letter of each part and the top-level domain."""
    local, at, domain = (email or "").strip().rpartition("@")
    if not at or not local or not domain:
        return DOT * 3
    name, dot, top = domain.rpartition(".")
    if not dot or not name:
        return f"{local[0]}{DOT * 3}@{DOT * 3}"
    return f"{local[0]}{DOT * 3}@{name[0]}{DOT * 3}.{top}"


def mask_phone(phone: str) -> str:
    """"+15550001" -> "•••• 0001": the last four digits only (none when there are no more than four)."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    return f"{DOT * 4} {digits[-4:]}" if len(digits) > 4 else DOT * 4
