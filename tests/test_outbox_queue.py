"""The outbox table on its own: keys, ordering groups, leases, attempts in doubt, dead letters."""

from __future__ import annotations

import json
import random
import re
from decimal import Decimal

import pytest

from tests import annex_ops
from kiosk.loyalty import ids
from kiosk.loyalty.models import CodeSpend, Order, OrderLine, ReturnLine
from kiosk.outbox import ops
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import open_database
from tests.helpers import Clock


@pytest.fixture
def clock():
    return Clock(1_000_000.0)


@pytest.fixture
def outbox(tmp_path, clock):
    db = open_database(tmp_path / "t.sqlite3")
    yield Outbox(db, clock=clock)
    db.close()


def _order(order_id: str | None = None) -> ops.Operation:
    order_id = order_id or ops.new_order_id("T01")
    return annex_ops.create_order(Order(order_id, "M100001", Decimal("5.00"), (OrderLine("L1", "Tea", Decimal("2.50"), 2),)))


def test_keys_are_terminal_plus_time_ordered_ulid_and_fit_the_id_patterns():
    keys = [ops.new_key("T07") for _ in range(200)]
    assert len(set(keys)) == 200
    assert all(re.fullmatch(r"T07-[0-9A-HJKMNP-TV-Z]{26}", k) for k in keys)
    # Time-ordered: a later key never sorts before an earlier millisecond's.
    assert keys[0][:14] <= keys[-1][:14]
    assert ids.check("order", ops.new_order_id("T07"))
    with pytest.raises(Exception):
        ops.new_key("../etc")


def test_an_operation_keeps_the_bytes_and_key_it_was_born_with(outbox):
    op = _order()
    [op_id] = outbox.enqueue([op])
    row = outbox.claim("a", 1, 5.0)[0]
    assert (row.id, row.key, row.wire, row.vendor) == (op_id, op.key, op.wire, "annex")
    assert row.wire.startswith(b"POST orders\n")
    assert json.loads(row.wire.split(b"\n", 1)[1])["id"] == op.key
    # The intent, in the terminal's terms, is kept beside the bytes.
    assert (row.intent["kind"], row.intent["order"]["id"]) == ("order", op.key)


def test_operations_of_one_order_go_in_sequence_other_orders_in_parallel(outbox):
    first, second = ops.new_order_id("T01"), ops.new_order_id("T01")
    ids_ = outbox.enqueue([_order(first), annex_ops.full_return(first), _order(second),
                           annex_ops.return_lines("M100001", second, [ReturnLine("L1", 1)], ops.new_key("T01"))])
    claimed = outbox.claim("a", 8, 5.0)
    assert [r.id for r in claimed] == [ids_[0], ids_[2]]  # both orders; their returns wait
    assert outbox.done(ids_[0], "a", {"ok": True})
    assert [r.id for r in outbox.claim("a", 8, 5.0)] == [ids_[1]]


def test_a_redemption_goes_before_its_undo(outbox):
    redeem = CodeSpend("GC-1", "guest", "R-1", amount=Decimal("1.00"))
    undo = CodeSpend("gc-1", "guest", "R-2", undo_of="R-1")
    ids_ = outbox.enqueue([annex_ops.redeem_code(redeem), annex_ops.undo_code(undo)])
    assert [r.id for r in outbox.claim("a", 8, 5.0)] == [ids_[0]]
    outbox.later(ids_[0], "a", 0, "503", maybe_sent=True)
    # Still pending: the undo keeps waiting even while the redemption backs off.
    assert [r.id for r in outbox.claim("a", 8, 5.0)] == [ids_[0]]


def test_a_dead_operation_holds_back_its_group_until_retried(outbox):
    order_id = ops.new_order_id("T01")
    ids_ = outbox.enqueue([_order(order_id), annex_ops.full_return(order_id), _order()])
    outbox.claim("a", 8, 5.0)
    outbox.dead(ids_[0], "a", "AC1005: No data found")
    outbox.done(ids_[2], "a", {})
    # The return must not reach the backend before its order does.
    assert outbox.claim("b", 8, 5.0) == []
    assert outbox.status().blocked == 1
    outbox.retry(ids_[0])
    assert [r.id for r in outbox.claim("b", 8, 5.0)] == [ids_[0]]


def test_a_row_in_doubt_is_looked_up_only_after_it_settled(outbox, clock):
    [op_id] = outbox.enqueue([_order()])
    outbox.claim("a", 1, 1.0)  # sent, then the drainer died
    clock.now += 1.5  # the lease is over ...
    assert outbox.claim("b", 1, 1.0, settle_s=30) == []  # ... but the request may still be in flight
    assert outbox.next_due(clock.now, 30) == pytest.approx(clock.now - 1.5 + 30)
    clock.now += 29
    assert [r.id for r in outbox.claim("b", 1, 1.0, settle_s=30)] == [op_id]


def test_two_owners_never_hold_the_same_row_and_a_lease_expires(outbox, clock):
    outbox.enqueue([_order() for _ in range(5)])
    a = outbox.claim("a", 3, 5.0)
    b = outbox.claim("b", 8, 5.0)
    assert len(a) == 3 and len(b) == 2 and not {r.id for r in a} & {r.id for r in b}
    assert outbox.claim("c", 8, 5.0) == []
    clock.now += 5.1  # a and b were killed: their leases run out
    taken = outbox.claim("c", 8, 5.0)
    assert len(taken) == 5
    # Every one of them had an attempt recorded: c must reconcile before sending.
    assert all(r.maybe_sent and r.attempts == 1 for r in taken)
    # A late answer from a's attempt can't overwrite c's lease.
    assert not outbox.done(a[0].id, "a", {})
    assert outbox.done(a[0].id, "c", {})


def test_an_attempt_is_on_disk_before_the_request_leaves(outbox, tmp_path):
    [op_id] = outbox.enqueue([_order()])
    outbox.claim("a", 1, 5.0)
    other = open_database(tmp_path / "t.sqlite3")  # what a process restarted after a crash would read
    row = other.read("SELECT maybe_sent, attempts, sent_at FROM ops WHERE id=?", (op_id,))[0]
    assert (row["maybe_sent"], row["attempts"]) == (1, 1) and row["sent_at"] is not None
    other.close()


def test_refused_connection_clears_the_doubt_a_timeout_keeps_it(outbox, clock):
    ids_ = outbox.enqueue([_order(), _order()])
    outbox.claim("a", 2, 5.0)
    outbox.later(ids_[0], "a", 2.0, "cannot connect", maybe_sent=False)
    outbox.later(ids_[1], "a", 2.0, "timed out", maybe_sent=True)
    assert outbox.claim("a", 2, 5.0) == []  # both back off
    clock.now += 2.01
    rows = {r.id: r for r in outbox.claim("a", 2, 5.0)}
    assert not rows[ids_[0]].maybe_sent and rows[ids_[1]].maybe_sent
    # The first is sent again at once; the second is reconciled first, so no new attempt yet.
    assert [outbox.get(i)["attempts"] for i in ids_] == [2, 1]


def test_urgent_lane_is_claimed_first(outbox):
    background = outbox.enqueue([_order() for _ in range(3)])
    [urgent] = outbox.enqueue([annex_ops.redeem_code(CodeSpend("GC-9", "guest", "R-9", amount=Decimal("1")))
                               .urgent()])
    assert outbox.claim("a", 1, 5.0)[0].id == urgent
    assert [r.id for r in outbox.claim("a", 8, 5.0, ids=[background[2]])] == [background[2]]


def test_status_counts_depth_age_and_dead_and_retry_requeues(outbox, clock):
    ids_ = outbox.enqueue([_order(), _order()])
    clock.now += 42
    outbox.claim("a", 2, 5.0)
    outbox.dead(ids_[0], "a", "AC2001: orderTotal is not a number", {"held": "x"})
    status = outbox.status()
    assert (status.depth, status.dead, round(status.oldest_age_s)) == (1, 1, 42)
    dead = outbox.rows("dead")
    assert [(r["id"], r["last_error"]) for r in dead] == [(ids_[0], "AC2001: orderTotal is not a number")]
    assert outbox.retry(ids_[0]) and not outbox.retry(ids_[0])
    assert outbox.status().dead == 0


def test_pause_is_shared_through_the_database(outbox, tmp_path):
    outbox.pause("credentials refused")
    other = Outbox(open_database(tmp_path / "t.sqlite3"))
    assert other.status().paused == "credentials refused"
    other.resume()
    assert outbox.paused() is None


def test_after_an_outage_everything_waiting_is_due_within_the_jitter(outbox, clock):
    ids_ = outbox.enqueue([_order() for _ in range(20)])
    outbox.claim("a", 20, 5.0)
    for op_id in ids_:
        outbox.later(op_id, "a", 300.0, "offline", maybe_sent=False)
    assert outbox.wake_all(3.0, random.Random(1)) == 20
    assert outbox.next_due(clock.now) <= clock.now + 3.0
    clock.now += 3.0
    assert len(outbox.claim("a", 50, 5.0)) == 20


def test_enqueue_inside_a_caller_transaction_commits_with_it(outbox):
    with pytest.raises(RuntimeError):
        with outbox.db.tx() as conn:
            outbox.add(conn, _order())
            raise RuntimeError("the sale failed half way")
    assert outbox.status().depth == 0


class _Reader:
    """Backend records as a provider might shape them; the rule under test is reconcile's."""

    def __init__(self, record):
        self.record = record

    async def find_order(self, order_id):
        return self.record

    async def find_points_activity(self, member, key):
        return self.record

    async def find_code_redemption(self, reference):
        return self.record


def _record(row):
    from kiosk.loyalty.backend import WriteRecord

    return WriteRecord(row.kind, row.key, row.wire, row.intent, row.member_id, row.sent_at)


ALL_READS = frozenset({"orders", "points_activity", "code_redemption"})


@pytest.mark.parametrize("record", [{}, {"status": "placed"}, {"id": "someone-else", "orderTotal": "5.00"}])
async def test_a_record_that_does_not_name_our_order_is_not_taken_as_applied(outbox, record):
    from kiosk.loyalty.annex.reconcile import reconcile

    [op_id] = outbox.enqueue([_order()])
    [row] = outbox.claim("a", 1, 5.0)
    verdict = await reconcile(_Reader(record), _record(row), ALL_READS)
    assert not verdict.applied and verdict.unknown


async def test_points_and_codes_need_their_key_in_the_record(outbox):
    from kiosk.loyalty.annex.reconcile import reconcile

    award = annex_ops.award_points("M100001", 5, "K-1", "goodwill")
    redeem = annex_ops.redeem_code(CodeSpend("GC-1", "guest", "R-1", amount=Decimal("1.00")))
    outbox.enqueue([award, redeem])
    rows = outbox.claim("a", 2, 5.0)
    assert (await reconcile(_Reader({"reply": {"pointsAwarded": 5}}), _record(rows[0]), ALL_READS)).unknown
    held = {"customId": "K-1", "request": {**json.loads(award.wire.split(b"\n", 1)[1])}, "reply": {"pointsAwarded": 5}}
    assert (await reconcile(_Reader(held), _record(rows[0]), ALL_READS)).applied
    held["request"]["credit"] = 50
    assert "credit" in (await reconcile(_Reader(held), _record(rows[0]), ALL_READS)).differences[0]
    assert (await reconcile(_Reader({"codeValue": "1.00"}), _record(rows[1]), ALL_READS)).unknown
    assert (await reconcile(_Reader({"referenceId": "R-1", "incentiveCode": "GC-1", "userId": "guest",
                                     "codeValue": "1.00", "action": "REDEEM", "orderId": ""}), _record(rows[1]), ALL_READS)).applied
