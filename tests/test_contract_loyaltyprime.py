"""The backend contract on Loyalty Prime, over loopback HTTP to its sandbox: every intent is
delivered and classified; a lost reply is reconciled with the declared reads or held; nothing
is lost and nothing is applied twice."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from kiosk import i18n
from kiosk.loyalty import backend as contract
from kiosk.loyalty import writes as w
from kiosk.loyalty.models import CodeSpend, Order, OrderLine
from kiosk.outbox import ops
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import open_database
from tests.helpers import ledger
from tests.outbox_workload import Workload, assert_exactly_once, ledger_counts, ledger_key
from tests.prime_helpers import prime_client, prime_server, set_prime_faults
from tests.test_outbox_delivery import drain, engine_for


@pytest.fixture
def backend(tmp_path):
    server = prime_server(tmp_path / "prime.sqlite3")
    yield server
    server.stop()


@pytest.fixture
def outbox(tmp_path):
    db = open_database(tmp_path / "terminal.sqlite3")
    yield Outbox(db)
    db.close()


def _order(client, member="M100001") -> ops.Operation:
    order = Order(ops.new_order_id("T01"), member, Decimal("12.00"),
                  (OrderLine("L1", "Tea", Decimal("4.00"), 2, sku="COF-001"), OrderLine("L2", "Cup", Decimal("4.00"), 1)),
                  store_id="STORE-001")
    return ops.create_order(client, w.AccrueOrder(order))


async def test_capabilities_are_declared_honestly(backend):
    async with prime_client(backend) as client:
        caps = client.capabilities
        assert not caps.has(contract.CARDS) and not caps.has(contract.REWARD_REVERSAL)
        assert not caps.has(contract.PRICED_LINE_RETURNS)
        assert caps.has(contract.ENROL) and caps.has(contract.POINTS_PREVIEW)
        assert not caps.has(contract.ORDER_DETAILS)  # tx details lack the till's lines
        assert caps.verifiable == {w.ORDERS, w.POINTS, w.CODES, w.MEMBERS}
    async with prime_client(backend, reads=()) as bare:
        # Enrolments need no declared read: the membership search finds them by alternate id.
        assert bare.capabilities.verifiable == {w.MEMBERS}
    with pytest.raises(TypeError):
        bare.encode(w.RedeemReward("M100002", "29660", ops.new_key("T01")))
    with pytest.raises(ValueError):
        prime_client(backend, reads=("orders",))  # Annex Cloud's read, not Prime's


async def test_every_intent_is_delivered(backend, outbox):
    async with prime_client(backend) as client:
        order = _order(client, "M100002")
        award = ops.points(client, w.AwardPoints("M100002", 30, ops.new_key("T01"), "goodwill"))
        debit = ops.points(client, w.DebitPoints("M100002", 5, ops.new_key("T01"), "correction"))
        tender = ops.redeem_points(client, w.RedeemPoints("M100002", order.key, 500, Decimal("5.00")))
        voucher = ops.redeem_code(client, w.SpendCode(CodeSpend("BEN15OFF", "M100002", ops.new_key("T01"))))
        ids = outbox.enqueue([order, award, debit, tender, voucher])
        status = await drain(outbox, client)
        assert (status.depth, status.dead, status.held) == (0, 0, 0)
        rows = [outbox.get(i) for i in ids]
        assert {r["state"] for r in rows} == {"done"}
        result = client.result("order", json.loads(rows[0]["reply"]))
        # Tea is COF-001 -> Coffee -> COFFEE, which earns double: 8.00 x 2 + 4.00 = 20 points.
        assert result.points == 20 and result.line_points == {"L1": 16, "L2": 4}
        assert client.result("redeem_points", json.loads(rows[3]["reply"])).available_after == 1320 + 20 + 30 - 5 - 500

        lines = ops.return_lines(client, w.ReturnLines("M100002", order.key, (w.ReturnedLine("L2", 1, 4),),
                                                       ops.new_key("T01")))
        back_part = ops.reverse_points(client, w.ReversePointsRedemption("M100002", order.key, 100, Decimal("1.00"),
                                                                         ops.new_key("T01")))
        undo = ops.undo_code(client, w.UndoCode(CodeSpend("BEN15OFF", "M100002", ops.new_key("T01"),
                                                          undo_of=voucher.key)))
        later = outbox.enqueue([lines, back_part, undo])
        status = await drain(outbox, client)
        assert (status.depth, status.dead, status.held) == (0, 0, 0)
        back_all = ops.reverse_points(client, w.ReversePointsRedemption("M100002", order.key, 500, Decimal("5.00")))
        ret = ops.full_return(client, w.ReturnOrder(order.key, "M100002"))
        last = outbox.enqueue([back_all, ret])
        status = await drain(outbox, client)
        assert (status.depth, status.dead, status.held) == (0, 0, 0)
        assert {outbox.get(i)["state"] for i in later + last} == {"done"}
        view = await client.lookup_member("M100002")
    assert_exactly_once(backend, [order, award, debit, tender, voucher, lines, back_part, undo, back_all, ret])
    # 1320 + 20 + 30 - 5 - 500 - 4 + 100 + 500 - (20 - 4) = 1445
    assert view.points.available == 1445


async def test_a_points_tender_without_the_points_is_refused_for_the_sale(backend, outbox):
    async with prime_client(backend) as client:
        op = ops.redeem_points(client, w.RedeemPoints("M100001", ops.new_order_id("T01"), 5000, Decimal("50.00")))
        [op_id] = outbox.enqueue([op.urgent()])
        outcome, = await engine_for(outbox, client).deliver_now([op_id], timeout_s=5)
    assert outcome.state == "refused" and "180 points" in outcome.error


async def test_an_error_body_the_adapter_does_not_know_is_a_dead_letter_with_its_status(outbox):
    """A Prime tenant's own error shape cannot be produced by our sandbox: a transport answers it."""
    def reply(request):
        return httpx.Response(422, json={"status": "error", "reason": "LIMIT_EXCEEDED_42"})

    from tests.prime_helpers import prime_encoder

    client = prime_encoder()
    client._http._transport = httpx.MockTransport(reply)
    op = ops.redeem_code(client, w.SpendCode(CodeSpend("SAVE5", "M100001", ops.new_key("T01"))))
    [op_id] = outbox.enqueue([op.urgent()])
    outcome, = await engine_for(outbox, client).deliver_now([op_id], timeout_s=5)
    await client.aclose()
    row = outbox.get(op_id)
    assert outcome.state == "dead" and row["state"] == "dead" and "HTTP 422" in i18n.readable(row["last_error"])


async def _lose_first_reply(server, outbox, client, op_id):
    engine = engine_for(outbox, client)
    try:
        set_prime_faults(server, drop_reply_rate=1.0, duplicate_protection=False)
        await engine.deliver_now([op_id], timeout_s=3)
        set_prime_faults(server, drop_reply_rate=0.0)
        await engine.run(until_empty=True)
    finally:
        engine.close()
    return outbox.get(op_id)


@pytest.mark.parametrize("kind", ["order", "points", "tender", "voucher"])
async def test_a_lost_reply_is_reconciled_by_the_declared_read(backend, outbox, kind):
    async with prime_client(backend) as client:
        if kind == "order":
            op = _order(client)
        elif kind == "points":
            op = ops.points(client, w.AwardPoints("M100001", 7, ops.new_key("T01"), "goodwill"))
        elif kind == "tender":
            op = ops.redeem_points(client, w.RedeemPoints("M100001", ops.new_order_id("T01"), 80, Decimal("0.80")))
        else:
            op = ops.redeem_code(client, w.SpendCode(CodeSpend("SAVE5", "M100001", ops.new_key("T01"))))
        [op_id] = outbox.enqueue([op])
        row = await _lose_first_reply(backend, outbox, client, op_id)
    assert row["state"] == "done"
    assert ledger_counts(backend)[ledger_key(op)] == 1


async def test_without_declared_reads_a_lost_reply_is_held_with_evidence(backend, outbox):
    async with prime_client(backend, reads=()) as client:
        op = _order(client)
        [op_id] = outbox.enqueue([op])
        row = await _lose_first_reply(backend, outbox, client, op_id)
    assert (row["state"], row["attempts"]) == ("held", 1)
    assert "backend.reads" in i18n.readable(row["last_error"]) and "tx_details" in i18n.readable(row["last_error"])
    assert "available" in json.loads(row["evidence"])["member's points"]
    assert ledger_counts(backend)[ledger_key(op)] == 1


async def test_lost_replies_and_503s_lose_and_double_nothing(backend, outbox):
    async with prime_client(backend) as client:
        workload = Workload(seed=11, encoder=client, priced_here=True)
        operations = workload.operations(120)
        outbox.enqueue(operations)
        set_prime_faults(backend, duplicate_protection=False, drop_reply_rate=0.05, error_rate=0.05, seed=4)
        status = await drain(outbox, client)
        set_prime_faults(backend, drop_reply_rate=0.0, error_rate=0.0)
    assert (status.depth, status.dead, status.held) == (0, 0, 0)
    assert_exactly_once(backend, operations)
    assert len(ledger(backend, "order_create")) == sum(op.kind == "order" for op in operations)


async def test_a_member_is_found_by_key_card_email_or_phone(backend):
    from kiosk.loyalty import errors

    async with prime_client(backend) as client:
        for ref in ("M100002", "PC100002", "Ben.Okafor@example.com", "555-010-0002"):
            view = await client.lookup_member(ref)
            assert (view.member_id, view.points.available, view.missing) == ("M100002", 1320, ()), ref
            assert view.points.currency_ratio == Decimal("0.01") and view.points.tier == "Silver"
        assert [c.code for c in await client.member_codes("M100002")] == ["BEN15OFF"]
        for unknown in ("M999999", "PC999999", "nobody@example.com"):
            with pytest.raises(errors.NotFound):
                await client.lookup_member(unknown)
        assert (await client.search_member(phone="(555) 010-0003")).id == "M100003"


async def test_the_probe_for_a_guest_nobody_enrolled_logs_no_info_line_on_loyalty_prime(backend, caplog):
    import logging

    from kiosk.loyalty import errors
    from kiosk.loyalty.loyaltyprime import requests as rq

    client = prime_client(backend)
    try:
        caplog.set_level(logging.INFO, logger="kiosk.loyalty")
        await client.probe("guest")
        assert [r for r in caplog.records if "answered" in r.getMessage()] == []
        with pytest.raises(errors.NotFound):
            await client.read_once(rq.details("999999999"))  # a member's details, as a look-up reads them
        assert [r.levelno for r in caplog.records if "answered 404" in r.getMessage()] == [logging.INFO]
    finally:
        await client.aclose()
