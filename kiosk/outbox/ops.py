"""Backend writes as outbox operations: exact bytes, an idempotency key from birth, ordering groups.

An operation is built once, when the sale (or return) is made, and stored with
the bytes it will send on every attempt. Its key is minted here and never again:
a retry sends the same key, so the backend (or our reconciliation) can tell a
repeat from a new request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from ulid import ULID

from kiosk.loyalty import ids
from kiosk.loyalty.annex import requests as rq
from kiosk.loyalty.models import CodeSpend, Order, ReturnLine

BACKGROUND = "background"
URGENT = "urgent"


def new_key(terminal_id: str) -> str:
    """Terminal id + ULID: time-ordered, and unique across terminals and reinstalls
    (a counter would restart at 1 after a reinstall and collide with old orders)."""
    return ids.check("key", f"{ids.check('order', terminal_id)}-{ULID()}")


def new_order_id(terminal_id: str) -> str:
    return ids.check("order", new_key(terminal_id))


@dataclass(frozen=True)
class Operation:
    kind: str
    key: str
    method: str
    path: str
    body: bytes
    # Operations sharing a group are delivered in the order they were queued.
    groups: tuple[str, ...]
    member_id: str | None = None
    lane: str = BACKGROUND

    def urgent(self) -> "Operation":
        return replace(self, lane=URGENT)


def _op(kind: str, key: str, request: rq.ApiRequest, groups: Sequence[str],
        member_id: str | None = None) -> Operation:
    return Operation(kind, ids.check("key", key), request.method, request.path, request.encoded() or b"",
                     tuple(groups), member_id)


def _order_group(order_id: str) -> str:
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


def create_order(order: Order) -> Operation:
    return _op("order", order.id, rq.create_order(order), [_order_group(order.id)], order.member_id)


def full_return(order_id: str) -> Operation:
    # The order id is the backend's key for a full return; ours only has to be unique here.
    return _op("full_return", f"{order_id}-RETURN", rq.return_order(order_id), [_order_group(order_id)])


def return_lines(member: str, order_id: str, lines: Sequence[ReturnLine], key: str,
                 store_id: str | None = None) -> Operation:
    return _op("return_lines", key, rq.return_lines(member, order_id, lines, key, store_id),
               [_order_group(order_id)], member)


def award_points(member: str, points: int, key: str, reason: str, *, order_id: str | None = None,
                 store_id: str | None = None) -> Operation:
    request = rq.adjust_points(member, points, key, credit=True, reason=reason, order_id=order_id,
                               store_id=store_id)
    return _op("award_points", key, request, [_order_group(order_id)] if order_id else [], member)


def debit_points(member: str, points: int, key: str, reason: str, *, order_id: str | None = None,
                 store_id: str | None = None) -> Operation:
    request = rq.adjust_points(member, points, key, credit=False, reason=reason, order_id=order_id,
                               store_id=store_id)
    return _op("debit_points", key, request, [_order_group(order_id)] if order_id else [], member)


def redeem_reward(member: str, reward_id: str, key: str, *, order_id: str | None = None,
                  store_id: str | None = None) -> Operation:
    return _op("redeem_reward", key, rq.redeem_reward(member, reward_id, key, order_id, store_id),
               [f"reward:{member}"], member)


def reverse_reward(member: str, reward_code: str, key: str, store_id: str | None = None) -> Operation:
    return _op("reverse_reward", key, rq.reverse_reward(member, reward_code, key, store_id),
               [f"reward:{member}"], member)


def redeem_code(spend: CodeSpend) -> Operation:
    if spend.undo_of:
        raise ValueError("an undo is built with undo_code")
    return _op("redeem_code", spend.reference_id, rq.update_code(spend),
               [_code_group(spend.code, spend.reference_id)], spend.user_id)


def undo_code(spend: CodeSpend, after_op: int | None = None) -> Operation:
    """`after_op`: the outbox row of the redemption, when it is still in doubt."""
    if not spend.undo_of:
        raise ValueError("an undo names the redemption it reverses (undo_of)")
    groups = [_code_group(spend.code, spend.undo_of)] + ([undo_after(after_op)] if after_op is not None else [])
    return _op("undo_code", spend.reference_id, rq.update_code(spend), groups, spend.user_id)


def redeem_codes(site_id: str, spends: Sequence[CodeSpend], key: str) -> Operation:
    """Several cards at once, all or nothing. Each item keeps its own referenceId."""
    if not spends:
        raise ValueError("a batch needs at least one code")
    groups = sorted({_code_group(spend.code, spend.reference_id) for spend in spends})
    return _op("redeem_codes", key, rq.update_codes(site_id, spends), groups, spends[0].user_id)
