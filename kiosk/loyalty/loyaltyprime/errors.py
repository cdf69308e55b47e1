"""Loyalty Prime's error replies mapped to the terminal's errors.

Nothing public documents Prime's error bodies. The terminal reads the envelope
`{"success": false, "error": {"code", "message"}}` with the codes below (those the
project's sandbox answers, docs/loyaltyprime.md). A code not listed is not guessed
at: it is an `UnknownRefusal` with the raw status, which the outbox dead-letters for a
person, never "refused, the card is still usable".
"""

from __future__ import annotations

from kiosk.i18n import N_
from kiosk.loyalty.errors import (
    AlreadyExists, BackendUnavailable, CodeNotUsable, Conflict, InsufficientPoints, InvalidRequest, LoyaltyError,
    NotAuthorized, NotFound, RewardNotAvailable, shown_text,
)


class UnknownRefusal(LoyaltyError):
    """A 4xx the terminal cannot read: what the backend did or did not do is for a person."""

    default_message = N_("The loyalty service answered with an error the terminal does not know.")


CODE_CLASSES: dict[str, type[LoyaltyError]] = {
    "UNAUTHORIZED": NotAuthorized,
    "NOT_FOUND": NotFound,
    "INVALID_REQUEST": InvalidRequest,
    "KEY_CONFLICT": Conflict,
    "ALREADY_REVERSED": Conflict,
    "NOTHING_TO_REVOKE": Conflict,
    "MEMBERSHIP_EXISTS": AlreadyExists,
    "INSUFFICIENT_POINTS": InsufficientPoints,
    "MEMBERSHIP_NOT_ACTIVE": RewardNotAvailable,
    "VOUCHER_NOT_VALID": CodeNotUsable,
    "UNAVAILABLE": BackendUnavailable,
}
# Refusals whose message is a sentence about this request, fit for a cashier.
SHOWN = frozenset({"INSUFFICIENT_POINTS", "VOUCHER_NOT_VALID", "MEMBERSHIP_NOT_ACTIVE", "MEMBERSHIP_EXISTS"})


def from_error_body(status: int, body: object) -> LoyaltyError:
    code = message = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = shown_text(body["error"].get("code") or "", 32)
        message = shown_text(body["error"].get("message") or "")
    cls = CODE_CLASSES.get(code)
    if cls is None:
        if status in (401, 403):
            cls = NotAuthorized
        elif status == 429 or status >= 500:
            cls = BackendUnavailable
        else:
            cls = UnknownRefusal
    shown = message if code in SHOWN and message else None
    detail = message or f"HTTP {status}"
    return cls(shown, code=code or f"HTTP {status}", status=status, detail=detail)
