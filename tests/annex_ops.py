"""Outbox operations built from intents with an Annex Cloud encoder, in one call each:
for the outbox's own tests, which are about queueing and delivery, not about the intents."""

from __future__ import annotations

from typing import Sequence

from kiosk.loyalty import writes as w
from kiosk.loyalty.models import CodeSpend, Order, ReturnLine
from kiosk.outbox import ops
from tests.helpers import annex_encoder

ENCODER = annex_encoder()


def create_order(order: Order) -> ops.Operation:
    return ops.create_order(ENCODER, w.AccrueOrder(order))


def full_return(order_id: str, member_id: str | None = None) -> ops.Operation:
    return ops.full_return(ENCODER, w.ReturnOrder(order_id, member_id))


def return_lines(member: str, order_id: str, lines: Sequence[ReturnLine], key: str,
                 points: Sequence[int] | None = None) -> ops.Operation:
    returned = tuple(w.ReturnedLine(line.line_id, line.quantity, None if points is None else points[i])
                     for i, line in enumerate(lines))
    return ops.return_lines(ENCODER, w.ReturnLines(member, order_id, returned, key))


def award_points(member: str, points: int, key: str, reason: str, order_id: str | None = None) -> ops.Operation:
    return ops.points(ENCODER, w.AwardPoints(member, points, key, reason, order_id))


def debit_points(member: str, points: int, key: str, reason: str, order_id: str | None = None) -> ops.Operation:
    return ops.points(ENCODER, w.DebitPoints(member, points, key, reason, order_id))


def redeem_reward(member: str, reward_id: str, key: str, order_id: str | None = None) -> ops.Operation:
    return ops.redeem_reward(ENCODER, w.RedeemReward(member, reward_id, key, order_id))


def reverse_reward(member: str, reward_code: str, key: str) -> ops.Operation:
    return ops.reverse_reward(ENCODER, w.ReverseReward(member, reward_code, key))


def redeem_code(spend: CodeSpend) -> ops.Operation:
    return ops.redeem_code(ENCODER, w.SpendCode(spend))


def undo_code(spend: CodeSpend, after_op: int | None = None) -> ops.Operation:
    return ops.undo_code(ENCODER, w.UndoCode(spend), after_op)


def redeem_codes(site_id: str, spends: Sequence[CodeSpend], key: str) -> ops.Operation:
    return ops.redeem_codes(annex_encoder(site_id), w.SpendCodes(tuple(spends), key))
