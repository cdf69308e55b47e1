"""Points as a tender: the money rules, and the new intents delivered by both adapters."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kiosk.checkout.points_tender import PointsTender, given_back, tender, value_of
from kiosk.loyalty import writes as w
from kiosk.outbox import ops
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import open_database
from kiosk.sandbox.server import SandboxServer
from tests.helpers import client_for, ledger, set_faults
from tests.test_outbox_delivery import drain, engine_for

RATE = Decimal("0.01")


def test_a_tender_pays_at_most_the_amount_due_in_whole_cents():
    assert tender(180, RATE, Decimal("12.34")) == PointsTender(180, Decimal("1.80"))
    assert tender(5000, RATE, Decimal("12.34")) == PointsTender(1234, Decimal("12.34"))
    assert tender(5000, RATE, Decimal("12.34"), wanted=100) == PointsTender(100, Decimal("1.00"))
    # One point is worth 0.003: 10 points pay 0.03, rounded down; the 11th would pay nothing more.
    assert tender(11, Decimal("0.003"), Decimal("5.00")) == PointsTender(10, Decimal("0.03"))
    assert tender(2, Decimal("0.003"), Decimal("5.00")) == PointsTender(0, Decimal("0.00"))
    assert tender(0, RATE, Decimal("5.00")).points == 0


@given(available=st.integers(0, 10**6), rate=st.decimals("0.001", "2", places=3),
       due=st.decimals("0.01", "10000", places=2))
def test_tender_rules_hold_for_any_rate(available, rate, due):
    t = tender(available, rate, due)
    assert t.amount <= due and t.points <= available
    assert t.amount == t.amount.quantize(Decimal("0.01"))
    assert t.amount <= value_of(t.points, rate)
    assert (t.points == 0) == (t.amount == 0)


@given(points=st.integers(1, 5000), cents=st.integers(1, 10**6), steps=st.lists(st.integers(1, 100), min_size=1,
                                                                                 max_size=6))
def test_a_sale_returned_in_steps_gives_back_exactly_what_was_taken(points, cents, steps):
    total = Decimal(cents) / 100
    used = PointsTender(points, value_of(points, RATE).min(total))
    weights = sum(steps)
    returned, back = Decimal("0.00"), PointsTender(0, Decimal("0.00"))
    for n, step in enumerate(steps):
        now = total - returned if n == len(steps) - 1 else (total * step / weights).quantize(Decimal("0.01"))
        part = given_back(used, total, now, returned, back)
        assert part.points >= 0 and part.amount >= 0
        returned += now
        back = PointsTender(back.points + part.points, back.amount + part.amount)
        # Never more than the returned share, rounded down, until the end.
        if returned < total:
            assert back.points <= int(points * returned / total)
    assert back == used


async def test_annex_cloud_serves_the_points_tender_and_its_give_back(tmp_path):
    server = SandboxServer(tmp_path / "s.sqlite3", faults=True).start()
    db = open_database(tmp_path / "t.sqlite3")
    outbox = Outbox(db)
    try:
        async with client_for(server, attempt_timeout=2.0) as client:
            sale = ops.new_order_id("T01")
            paid = ops.redeem_points(client, w.RedeemPoints("M100002", sale, 300, Decimal("3.00")))
            [paid_id] = outbox.enqueue([paid])
            # Lost reply, no deduplication: found again by its key with the declared points read.
            set_faults(server, drop_reply_rate=1.0, duplicate_protection=False)
            await engine_for(outbox, client).deliver_now([paid_id], timeout_s=3)
            set_faults(server, drop_reply_rate=0.0)
            await drain(outbox, client)
            back = ops.reverse_points(client, w.ReversePointsRedemption("M100002", sale, 100, Decimal("1.00"),
                                                                        ops.new_key("T01")))
            outbox.enqueue([back])
            status = await drain(outbox, client)
            points = await client.get_points("M100002")
        assert (status.depth, status.dead, status.held) == (0, 0, 0)
        assert outbox.get(paid_id)["state"] == "done"
        assert points.available == 1320 - 300 + 100
        assert [e["reference"] for e in ledger(server) if e["reference"] in (paid.key, back.key)] == \
            [paid.key, back.key]
        assert json.loads(paid.intent)["amount"] == "3.00"
    finally:
        db.close()
        server.stop()



def test_the_queue_counts_points_given_back_beside_card_money(tmp_path, capsys):
    """`kiosk queue status` told a manager what undelivered give-backs hold on cards, and left
    the points of a failed points payment out of both the count and the sums."""
    from kiosk.loyalty.models import CodeSpend
    from kiosk.outbox.commands import _status
    from tests import annex_ops

    db = open_database(tmp_path / "t.sqlite3")
    outbox = Outbox(db)
    try:
        sale = ops.new_order_id("T01")
        spend = CodeSpend("GC-1000-0001", "M100002", ops.new_key("T01"), Decimal("4.50"), sale,
                          undo_of=ops.new_key("T01"))
        outbox.enqueue([annex_ops.undo_code(spend),
                        ops.reverse_points(annex_ops.ENCODER,
                                           w.ReversePointsRedemption("M100002", sale, 250, Decimal("2.50")))])
        back = outbox.giving_back()
        assert (back.undos, back.on_cards, back.points) == (2, Decimal("4.50"), 250)
        assert _status(outbox, tmp_path / "t.sqlite3") == 0
        assert "giving back: 2 redemption(s) of failed sales or returns, 4.50 of it on cards and 250 points" \
            in capsys.readouterr().out
    finally:
        db.close()
