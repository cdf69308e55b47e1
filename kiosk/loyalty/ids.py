"""Allow-lists for every value that goes into a URL path.

httpx normalises ``.`` and ``..`` segments, so percent-escaping alone would let
an id such as ``..`` climb out of its route. Each kind of id has a pattern; a
value that does not match is refused before any request is built.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from kiosk.loyalty.errors import InvalidIdentifier

# Member ids are card numbers, emails or phone numbers on Annex Cloud. A leading
# character class without "." rules out "." and ".." and hidden-file lookalikes.
PATTERNS: dict[str, re.Pattern[str]] = {
    "member": re.compile(r"[A-Za-z0-9_+\-][A-Za-z0-9_@.+\-]{0,127}"),
    "code": re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}"),
    "order": re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,79}"),
    "site": re.compile(r"[0-9]{1,20}"),
    "reward": re.compile(r"[0-9A-Za-z_\-]{1,40}"),
    # customId / referenceId: the terminal mints them (terminal id + ULID + suffix).
    "key": re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,99}"),
}

_LABELS = {
    "member": "member id",
    "code": "code",
    "order": "order id",
    "site": "site id",
    "reward": "reward id",
    "key": "reference",
}


def check(kind: str, value: object) -> str:
    """Return `value` if it is a valid id of this kind, else raise InvalidIdentifier."""
    pattern = PATTERNS[kind]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidIdentifier(f"That {_LABELS[kind]} is not valid: use letters, digits and - _ only"
                                + (" (and @ . + for members)." if kind == "member" else "."))
    return value


def segment(kind: str, value: object) -> str:
    """A checked id, escaped for use as exactly one path segment."""
    # "@" and "+" are legal in a path segment; escaping them would change what
    # the backend sees compared to the documented examples (users/{user@domain.com}).
    return quote(check(kind, value), safe="@+")


def path(template: str, **ids: tuple[str, object]) -> str:
    """Fill a route template: path("/users/{id}/reward", id=("member", x))."""
    return template.format(**{name: segment(kind, value) for name, (kind, value) in ids.items()})
