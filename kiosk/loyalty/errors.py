"""Errors a caller can act on.

Every backend failure becomes one of these. `user_message` is a sentence a
cashier can read, in the screen's language; `transient` tells the outbox whether trying again later can
help. Each adapter maps its vendor's error replies to these (Annex Cloud's:
kiosk.loyalty.annex.errors).
"""

from __future__ import annotations

import html
import re
import unicodedata

from kiosk.i18n import N_, _

# What of a backend's own wording reaches a person: a sentence, not a page.
SHOWN_CHARS = 200
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_])")
_TAGS = re.compile(r"<[^>]*>?")
_SPACES = re.compile(r"\s+")


def shown_text(value: object, limit: int = SHOWN_CHARS) -> str:
    """A backend's text made safe to show: no terminal escapes or other control
    characters, no markup (Qt labels render rich text), at most `limit` characters."""
    text = str(value)[:limit * 20]  # enough to fill `limit` after stripping; a 200 kB message is not scanned
    text = _ESCAPES.sub("", text)
    text = _TAGS.sub(" ", html.unescape(_TAGS.sub(" ", text)))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


class LoyaltyError(Exception):
    """Base class. `code` is the backend's errorCode when there is one."""

    transient = False
    # Who may read its sentence (kiosk.i18n.Audience): "cashier" for what only staff can act on.
    audience = "everyone"
    default_message = N_("The loyalty service refused the request.")

    def __init__(self, message: str | None = None, *, code: str = "", status: int | None = None,
                 detail: str = ""):
        # Translated here, not where defined: a subclass's default reads in the screen's language too.
        self.user_message = message or _(self.default_message)
        self.by_default = message is None  # says its class's sentence: storable as that message (kiosk.i18n)
        self.code = code
        self.status = status
        # The backend's own wording, for the log; user_message is for people.
        self.detail = detail
        super().__init__(self.user_message if not code else f"{code}: {self.user_message}")


class InvalidIdentifier(LoyaltyError):
    """An id that may not go into a URL path; raised before anything is sent."""

    default_message = N_("That code or id has characters the loyalty service cannot accept.")


class NotAuthorized(LoyaltyError):
    """AC1002: the terminal's credentials were refused. Pause writes; call IT."""

    audience = "cashier"
    default_message = N_("The loyalty service refused this terminal's credentials. Ask IT to check the API secret.")


class NotFound(LoyaltyError):
    """AC1005: no such member, order or code."""

    default_message = N_("No matching record was found.")


class PointsLimitReached(LoyaltyError):
    """AC1026 / AC1028: the program's points limits."""

    default_message = N_("Points cannot be awarded now: the member has reached a points limit.")


class InsufficientPoints(LoyaltyError):
    default_message = N_("The member does not have enough points for that.")


class RewardNotAvailable(LoyaltyError):
    default_message = N_("That reward is not available to this member.")


class CodeNotUsable(LoyaltyError):
    """Expired, inactive, used up, or not assigned to this member."""

    default_message = N_("That code cannot be used.")


class InsufficientBalance(LoyaltyError):
    default_message = N_("The card does not have enough balance for that amount.")


class Conflict(LoyaltyError):
    """A key (order id, referenceId) was already used for a different request."""

    default_message = N_("That request conflicts with one already recorded.")


class InvalidRequest(LoyaltyError):
    default_message = N_("The loyalty service rejected the request as invalid.")


class Refused(InvalidRequest):
    """A 4xx whose code the terminal does not know: the backend said no, for a reason of its own."""

    default_message = N_("The loyalty service refused it.")


class AlreadyExists(LoyaltyError):
    default_message = N_("A member with that email, phone or id already exists.")


class Redirected(LoyaltyError):
    """A 3xx: the configured URL is not the API. Nothing is followed: a write sent
    to wherever a redirect points could land on the wrong service."""

    audience = "cashier"
    default_message = N_("The backend URL redirects; check backend.url.")


class BackendUnavailable(LoyaltyError):
    """Network trouble, timeout, 5xx or 429: nothing is known to have happened."""

    transient = True
    default_message = N_("The loyalty service cannot be reached right now.")

    def __init__(self, message: str | None = None, *, code: str = "", status: int | None = None,
                 detail: str = "", retry_after: float | None = None, maybe_applied: bool = True,
                 reached: bool = True):
        super().__init__(message, code=code, status=status, detail=detail)
        self.retry_after = retry_after
        # False only when the request surely never took effect (no connection was
        # made, or 429). Otherwise a write must be reconciled before it is re-sent.
        self.maybe_applied = maybe_applied
        # False when nothing answered at all (no connection, or silence until the
        # timeout): what tells "offline" from a backend that is up but failing.
        self.reached = reached


class UnusableReply(BackendUnavailable):
    """The backend answered, but not with something the terminal can use: not JSON,
    too large, a number out of range, or a reply about another request. For a read
    it is an error (asking again gets the same); for a write the outcome is unknown,
    so the outbox reconciles it like a lost reply."""

    default_message = N_("The loyalty service sent a reply the terminal cannot use.")
