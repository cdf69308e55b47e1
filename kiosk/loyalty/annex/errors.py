"""Annex Cloud's error replies mapped to the terminal's errors.

`{"errorCode": "AC1005", "errorMessage": "No data found"}`: the documents name AC1002,
AC1005, AC1026 and AC1028. The AC2xxx codes and AC5003 are the extended sandbox's own
(kiosk/sandbox/README.md), each a sentence about this very request. Any other code is
unknown here: it is judged by its HTTP status alone, and its text is kept as detail.
"""

from __future__ import annotations

from kiosk.loyalty.errors import (
    AlreadyExists, BackendUnavailable, CodeNotUsable, Conflict, InsufficientBalance, InsufficientPoints,
    InvalidRequest, LoyaltyError, NotAuthorized, NotFound, PointsLimitReached, Refused, RewardNotAvailable,
    shown_text,
)

# The codes the documents name, plus the ones the sandbox adds where they are
# silent (kiosk/sandbox/README.md lists each with its meaning).
CODE_CLASSES: dict[str, type[LoyaltyError]] = {
    "AC1002": NotAuthorized,
    "AC1005": NotFound,
    "AC1026": PointsLimitReached,
    "AC1028": PointsLimitReached,
    "AC2001": InvalidRequest,
    "AC2002": Conflict,
    "AC2003": AlreadyExists,
    "AC2010": InsufficientPoints,
    "AC2011": RewardNotAvailable,
    "AC2020": CodeNotUsable,
    "AC2021": InsufficientBalance,
    "AC2022": Conflict,
    "AC2030": InvalidRequest,
    "AC5003": BackendUnavailable,
}


def from_error_body(status: int, body: object) -> LoyaltyError:
    """Turn an HTTP error reply into the matching exception."""
    code = message = ""
    if isinstance(body, dict):
        code = shown_text(body.get("errorCode") or "", 32)
        message = shown_text(body.get("errorMessage") or "")
    cls = CODE_CLASSES.get(code)
    if cls is None:
        if status in (401, 403):
            cls = NotAuthorized
        elif status == 404:
            cls = NotFound
        elif status == 429 or status >= 500:
            cls = BackendUnavailable
        elif status == 409:
            cls = Conflict
        elif code:
            cls = Refused  # a code of the backend's own: a refusal, its text says why
        else:
            cls = InvalidRequest
    # The documented codes carry terse developer texts ("No data found"); the
    # sandbox's AC2xxx codes carry a sentence about this very request
    # ("Insufficient balance: 4.20 left") that a cashier can act on.
    shown = message if code.startswith("AC2") and message else None
    return cls(shown, code=code, status=status, detail=message)
