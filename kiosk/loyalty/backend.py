"""The backend contract, in the terminal's terms: reads, writes, and what a backend can do.

Checkout, the outbox and the UI talk to this, never to a vendor's paths. Annex Cloud
(kiosk.loyalty.annex) is the first adapter; another vendor's platform is another
adapter behind the same contract.

Writes are intents (kiosk.loyalty.writes). An adapter turns one into exact bytes once
(`encode`, when it is queued), sends those bytes (`send_write`), says whether a 2xx
reply answers what was sent (`reply_problems`), and, after a lost reply, finds out
what its vendor holds (`reconcile`) with only the reads the site declared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.loyalty.models import CodeInfo, Member, MemberView, NewMember, OrderResult
from kiosk.loyalty.writes import Write, WriteResult

# What a backend can do beyond the common ground; checkout and the UI ask before they offer.
ENROL = "enrol"  # new members at the till
CARDS = "cards"  # gift and store cards with a balance, spent in parts
REWARD_REVERSAL = "reward_reversal"  # a redeemed reward given back (a failed sale, a return)
PRICED_LINE_RETURNS = "priced_line_returns"  # the backend prices returned lines itself
ORDER_DETAILS = "order_details"  # another terminal can read an order back, with the till's own fields
POINTS_PREVIEW = "points_preview"  # points an order would earn, before it is sent
# Points as a tender: the backend refuses a redemption the member's points don't cover.
# (A debit that stops at zero instead would give the tender's value for nothing.)
POINTS_TENDER = "points_tender"


@dataclass(frozen=True)
class Capabilities:
    features: frozenset[str] = frozenset()
    # The families of writes (kiosk.loyalty.writes.FAMILIES) whose outcome can be
    # checked after a lost reply, with a read, or because the provider deduplicates.
    verifiable: frozenset[str] = frozenset()
    deduplicated: frozenset[str] = frozenset()

    def has(self, feature: str) -> bool:
        return feature in self.features


@dataclass(frozen=True)
class WriteRecord:
    """A queued write, as the outbox hands it back to the adapter that encoded it."""

    kind: str
    key: str
    wire: bytes
    intent: dict[str, Any]
    member_id: str | None
    sent_at: float | None  # when the attempt in doubt left (epoch seconds)
    # This terminal's other writes of the same card and member whose attempts overlap
    # this one's window: a count in a log is only this write's when there are none.
    overlapping: int = 0
    # This terminal's uses of that card and member in the window known to be applied.
    known_applied: int = 0
    # The window a count in a log is asked about (epoch seconds), set by the outbox.
    window: tuple[float, float] | None = None


# A count in a log is asked about this much around the attempt: wide enough for a
# backend clock a little off ours, narrow enough that the card's other uses rarely fall in it.
LOG_MARGIN_S = 30.0


@dataclass(frozen=True)
class Verdict:
    applied: bool
    reply: Any = None  # the backend's record, when applied
    differences: tuple[str, ...] = ()  # non-empty: the backend holds something else under our key
    held: Any = None
    # The backend answered with a record that does not say what it is: ask again later.
    unknown: bool = False
    # Nothing the site declared can tell whether it was applied: a person decides,
    # unless the provider deduplicates this kind of write.
    unverifiable: str = ""

    @property
    def mismatch(self) -> bool:
        return bool(self.differences)


NOT_APPLIED = Verdict(False)
UNKNOWN = Verdict(False, unknown=True)


def unverifiable(why: str) -> Verdict:
    return Verdict(False, unverifiable=why)


@dataclass(frozen=True)
class Evidence:
    """What a manager needs to judge a held write: from documented reads, as of `at`."""

    at: float
    facts: dict[str, str] = field(default_factory=dict)


class WriteAdapter(Protocol):
    vendor: str
    capabilities: Capabilities

    def encode(self, write: Write) -> bytes: ...
    async def send_write(self, kind: str, wire: bytes) -> Any: ...
    def reply_problems(self, kind: str, wire: bytes, reply: Any) -> tuple[str, ...]: ...
    async def reconcile(self, record: WriteRecord) -> Verdict: ...
    def refused_for_sale(self, kind: str, exc: Exception) -> bool: ...
    def result(self, kind: str, reply: Any) -> WriteResult: ...
    async def evidence(self, record: WriteRecord) -> Evidence: ...
    async def probe(self, member: str) -> None: ...


class LoyaltyBackend(WriteAdapter, Protocol):
    """Everything checkout and the UI call. Writes go only through the outbox, as intents."""

    async def lookup_member(self, ref: str) -> MemberView: ...
    async def search_member(self, *, email: str | None = None, phone: str | None = None) -> Member: ...
    async def enrol_member(self, new: NewMember) -> Member: ...  # only with ENROL
    async def validate_code(self, code: str, user_id: str | None = None) -> CodeInfo: ...
    async def member_codes(self, member: str) -> tuple[CodeInfo, ...]: ...
    async def get_order(self, order_id: str) -> OrderResult: ...  # only with ORDER_DETAILS
    async def aclose(self) -> None: ...
