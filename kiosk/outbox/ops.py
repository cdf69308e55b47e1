"""Backend writes as outbox operations: an intent, its exact bytes, its key, its ordering groups.

An operation is built once, when the sale (or return) is made: the vendor's adapter
encodes the intent (kiosk.loyalty.writes) into the bytes it will send on every
attempt, and the operation keeps both. Its key is born with the intent and never
minted again: a retry sends the same key, so the backend (or our reconciliation) can
tell a repeat from a new request. Nothing here knows a path, a field name or a code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from ulid import ULID

import json
from typing import Protocol

from kiosk.loyalty import ids
from kiosk.loyalty import writes as w

BACKGROUND = "background"
URGENT = "urgent"


def new_key(terminal_id: str) -> str:
    """Terminal id + ULID: time-ordered, and unique across terminals and reinstalls
    (a counter would restart at 1 after a reinstall and collide with old orders)."""
    return ids.check("key", f"{ids.check('order', terminal_id)}-{ULID()}")


def new_member_key(terminal_id: str) -> str:
    """An enrolment's key, which a backend that lets the terminal name members (Annex Cloud)
    makes the new member's id: "M-" in front, so the member's code reads as a member
    (kiosk.scanner.payload.JOINED_MEMBER), never as a receipt's order id."""
    return ids.check("key", f"M-{new_key(terminal_id)}")


def new_order_id(terminal_id: str) -> str:
    return ids.check("order", new_key(terminal_id))


class Encoder(Protocol):
    vendor: str

    def encode(self, write: w.Write) -> bytes: ...


@dataclass(frozen=True)
class Operation:
    vendor: str
    kind: str
    key: str
    intent: str  # the intent as JSON, in the terminal's terms
    wire: bytes  # what the vendor's adapter sends, the same on every attempt
    # Operations sharing a group are delivered in the order they were queued.
    groups: tuple[str, ...]
    member_id: str | None = None
    lane: str = BACKGROUND

    def urgent(self) -> "Operation":
        return replace(self, lane=URGENT)


def of(adapter: Encoder, write: w.Write, groups: Sequence[str]) -> Operation:
    return Operation(adapter.vendor, write.kind, ids.check("key", write.key),
                     json.dumps(write.to_json(), separators=(",", ":"), ensure_ascii=False),
                     adapter.encode(write), tuple(groups), write.member)


def order_group(order_id: str) -> str:
    return f"order:{order_id}"


def code_prefix(code: str) -> str:
    """What the groups of every redemption and undo of one card start with."""
    return f"code:{code.upper()}:"


def _code_group(code: str, reference: str) -> str:
    # A redemption and its own undo, not every use of the card: a new sale's payment
    # must not wait behind another sale's payment whose reply was lost (the backend
    # checks the balance; the undo still follows the redemption it reverses).
    return code_prefix(code) + reference


def undo_after(op_id: int) -> str:
    """The group that ties an undo to the row of the redemption it reverses, queued
    while that one is still in doubt: if the redemption turns out never to have
    taken effect, its undo is cancelled with it (Outbox._close_in)."""
    return f"undo-of:{op_id}"


def create_order(adapter: Encoder, write: w.AccrueOrder) -> Operation:
    return of(adapter, write, [order_group(write.order.id)])


def full_return(adapter: Encoder, write: w.ReturnOrder) -> Operation:
    return of(adapter, write, [order_group(write.order_id)])


def return_lines(adapter: Encoder, write: w.ReturnLines) -> Operation:
    return of(adapter, write, [order_group(write.order_id)])


def points(adapter: Encoder, write: w.AwardPoints) -> Operation:
    """An award or a debit (DebitPoints)."""
    return of(adapter, write, [order_group(write.order_id)] if write.order_id else [])


def redeem_reward(adapter: Encoder, write: w.RedeemReward) -> Operation:
    return of(adapter, write, [f"reward:{write.member_id}"])


def reverse_reward(adapter: Encoder, write: w.ReverseReward) -> Operation:
    return of(adapter, write, [f"reward:{write.member_id}"])


def redeem_points(adapter: Encoder, write: w.RedeemPoints) -> Operation:
    """Points as a tender: after its sale's order, before any give-back (same group)."""
    return of(adapter, write, [order_group(write.order_id), f"points-tender:{write.order_id}"])


def reverse_points(adapter: Encoder, write: w.ReversePointsRedemption, after_op: int | None = None) -> Operation:
    """`after_op`: the outbox row of the redemption, when it is still in doubt (cancelled with it)."""
    return of(adapter, write, [order_group(write.order_id), f"points-tender:{write.order_id}"]
              + ([undo_after(after_op)] if after_op is not None else []))


def redeem_code(adapter: Encoder, write: w.SpendCode) -> Operation:
    if isinstance(write, w.UndoCode):
        raise ValueError("an undo is built with undo_code")
    return of(adapter, write, [_code_group(write.spend.code, write.spend.reference_id)])


def undo_code(adapter: Encoder, write: w.UndoCode, after_op: int | None = None) -> Operation:
    """`after_op`: the outbox row of the redemption, when it is still in doubt."""
    spend = write.spend
    groups = [_code_group(spend.code, spend.undo_of or "")] + ([undo_after(after_op)] if after_op is not None else [])
    return of(adapter, write, groups)


def redeem_codes(adapter: Encoder, write: w.SpendCodes) -> Operation:
    """Several cards at once, all or nothing. Each item keeps its own reference."""
    return of(adapter, write, sorted({_code_group(s.code, s.reference_id) for s in write.spends}))


def enrol(adapter: Encoder, write: w.EnrolMember) -> Operation:
    """A new member: its own group, so it waits behind nothing and holds nothing back."""
    return of(adapter, write, [f"enrol:{write.key}"])
