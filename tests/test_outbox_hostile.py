"""The outbox against a hostile backend over loopback: a reply must answer what was
sent, an unusable one is an unknown outcome (never "done", never "refused"), a
redirect pauses delivery, and nothing a backend says parks a write for long."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import pytest

from tests import annex_ops
from kiosk import i18n
from kiosk.config import OutboxSettings
from kiosk.events import EventHub
from kiosk.loyalty.annex import AnnexCloudClient
from kiosk.loyalty.annex.client import SANDBOX_EXTENDED
from kiosk.loyalty.models import CodeSpend, Order, OrderLine
from kiosk.outbox import events as ev
from kiosk.outbox import ops
from kiosk.outbox.engine import SyncEngine
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import open_database
from tests.helpers import wait_for
from tests.hostile import HostileBackend, Reply, json_reply
from tests.test_client_hostile import MB, bounded

ATTEMPT_S = 0.5
FAST = dict(backoff_base_s=0.02, backoff_cap_s=0.2, resume_jitter_s=0.1, settle_s=0.0, probe_interval_s=0.3)


@pytest.fixture
def hostile():
    server = HostileBackend().start()
    yield server
    server.stop()


@pytest.fixture
def outbox(tmp_path):
    db = open_database(tmp_path / "terminal.sqlite3")
    yield Outbox(db)
    db.close()


@pytest.fixture
async def engine(hostile, outbox):
    client = AnnexCloudClient(base_url=hostile.base_url, site_id="1", site_name="hostile", secret="s" * 32,
                              reads=SANDBOX_EXTENDED["reads"],
                              attempt_timeout=ATTEMPT_S, get_budget=0)
    hub = EventHub()
    engine = SyncEngine(outbox, client, OutboxSettings(**FAST), hub=hub, attempt_timeout_s=ATTEMPT_S)
    engine.seen = []
    for kind in (ev.ConnectivityChanged, ev.DeliveryPaused, ev.DeadLettered):
        hub.subscribe(kind, engine.seen.append)
    yield engine
    await engine.stop()
    engine.close()
    await client.aclose()


def _order(order_id: str = "T01-0001", member: str = "M100001") -> ops.Operation:
    return annex_ops.create_order(Order(order_id, member, Decimal("5.00"), (OrderLine("L1", "Tea", Decimal("5.00"), 1),)))


ORDER_REPLY = {"id": "T01-0001", "userId": "M100001", "orderTotal": "5.00", "pointsAwarded": 5, "status": "placed"}


def _route(request, post, get=None, probe=None):
    """POSTs and PATCHes to `post`, reads of an order or a record to `get`, the probe's user read to `probe`."""
    path = request.path.split("?")[0]
    if request.method in ("POST", "PATCH"):
        return post(request)
    if path.startswith("/api/3.0/users/"):
        return (probe or (lambda r: json_reply({"id": "guest"})))(request)
    return (get or (lambda r: json_reply({"errorCode": "AC1005", "errorMessage": "No data found"}, 404)))(request)


async def _deliver(engine: SyncEngine, op_id: int, timeout: float = 10.0):
    """The engine's drain loop in the background until the operation leaves `pending`."""
    task = asyncio.ensure_future(engine.run())
    try:
        await wait_for(lambda: engine.outbox.get(op_id)["state"] != "pending", timeout=timeout)
    finally:
        await engine.stop()
        await task
    return engine.outbox.get(op_id)


def _posts(hostile: HostileBackend) -> int:
    return sum(r.method in ("POST", "PATCH") for r in hostile.seen)


@pytest.mark.parametrize("wrong", [
    Reply(200, b"[]", {"Content-Type": "application/json"}),
    json_reply({**ORDER_REPLY, "id": "T01-9999"}),  # another order
    json_reply({**ORDER_REPLY, "userId": "M100002"}),  # another member
    json_reply({"status": "ok"}),
], ids=["empty-list", "other-order", "other-member", "no-id"])
async def test_a_reply_about_something_else_is_not_a_delivery(hostile, outbox, engine, wrong):
    replies = iter([wrong, json_reply(ORDER_REPLY)])
    hostile.answer = lambda r: _route(r, lambda _: next(replies))
    op_id, = outbox.enqueue([_order().urgent()])
    first, = await engine.deliver_now([op_id], timeout_s=0.5)
    row = outbox.get(op_id)
    assert first.state == "pending" and row["maybe_sent"] == 1  # in doubt, not done
    assert "does not match" in i18n.readable(row["last_error"])
    # Reconciled like a lost reply: the backend has no such order, so it is sent again.
    row = await _deliver(engine, op_id)
    assert row["state"] == "done" and json.loads(row["reply"]) == ORDER_REPLY
    assert "GET /api/3.0/orders/T01-0001" in hostile.paths() and _posts(hostile) == 2


async def test_a_wrong_reply_to_an_order_the_backend_has_is_settled_by_its_record(hostile, outbox, engine):
    hostile.answer = lambda r: _route(r, lambda _: Reply(200, b"[]"), lambda _: json_reply({
        **ORDER_REPLY, "orderDetail": [{"id": "L1", "quantity": 1, "unitPrice": "5.00"}], "discountAmount": "0.00"}))
    op_id, = outbox.enqueue([_order()])
    row = await _deliver(engine, op_id)
    assert row["state"] == "done" and _posts(hostile) == 1  # applied once; never sent again


@pytest.mark.parametrize(("op", "reply"), [
    (annex_ops.redeem_code(CodeSpend("GC-1", "M100001", "T01-R1", Decimal("5.00"))),
     {"incentiveCode": "GC-1", "userId": "M100001", "referenceId": "T01-R0", "codeValue": "5.00"}),
    (annex_ops.redeem_code(CodeSpend("GC-1", "M100001", "T01-R1", Decimal("5.00"))),
     {"incentiveCode": "GC-2", "userId": "M100001", "referenceId": "T01-R1", "codeValue": "5.00"}),
    (annex_ops.award_points("M100001", 10, "T01-P1", "goodwill"),
     {"id": "M100001", "credit": 10000, "pointsAwarded": 10000}),
    (annex_ops.debit_points("M100001", 10, "T01-P1", "fix"), {"id": "M100001", "debit": 10, "pointsDeducted": 11}),
    (annex_ops.award_points("M100001", 10, "T01-P1", "goodwill"), {"id": "M100002", "credit": 10, "pointsAwarded": 10}),
], ids=["code-other-reference", "code-other-code", "points-other-amount", "points-more-than-asked",
        "points-other-member"])
async def test_codes_and_points_check_their_reply(hostile, outbox, engine, op, reply):
    hostile.answer = lambda r: _route(r, lambda _: json_reply(reply))
    op_id, = outbox.enqueue([op.urgent()])
    first, = await engine.deliver_now([op_id], timeout_s=0.5)
    assert first.state == "pending" and outbox.get(op_id)["maybe_sent"] == 1


async def test_pay_learns_a_lost_replys_outcome_within_its_wait(hostile, outbox, engine):
    # The urgent lane settles after the attempt timeout plus a second, however long settle_s
    # is: a Pay waiting longer than that finds out, and sends again only what was not applied.
    reply = {"incentiveCode": "GC-1", "userId": "M100001", "referenceId": "T01-R1", "codeValue": "5.00"}
    replies = iter([json_reply({}, 503), json_reply(reply)])
    hostile.answer = lambda r: _route(r, lambda _: next(replies))
    engine.settings = OutboxSettings(**{**FAST, "settle_s": 30})
    engine.settle_s = 30
    op_id, = outbox.enqueue([annex_ops.redeem_code(CodeSpend("GC-1", "M100001", "T01-R1", Decimal("5.00"))).urgent()])
    started = time.monotonic()
    first, = await engine.deliver_now([op_id], timeout_s=ATTEMPT_S + 1 + 1.5)
    assert first.state == "done" and first.reply == reply
    assert ATTEMPT_S + 1 <= time.monotonic() - started < ATTEMPT_S + 1 + 1.5
    assert hostile.paths().count("GET /api/3.0/incentive/redemption/T01-R1") == 1 and _posts(hostile) == 2


async def test_a_right_reply_is_a_delivery(hostile, outbox, engine):
    reply = {"incentiveCode": "GC-1", "userId": "M100001", "referenceId": "T01-R1", "codeValue": "5.00"}
    hostile.answer = lambda r: _route(r, lambda _: json_reply(reply))
    op_id, = outbox.enqueue([annex_ops.redeem_code(CodeSpend("gc-1", "M100001", "T01-R1", Decimal("5.00"))).urgent()])
    first, = await engine.deliver_now([op_id], timeout_s=2)
    assert first.state == "done" and first.reply == reply


@pytest.mark.parametrize("endless", [False, True], ids=["50MB", "endless"])
async def test_a_huge_reply_to_a_write_is_an_unknown_outcome(hostile, outbox, engine, endless):
    huge = Reply(200, b'{"id": "', {"Content-Type": "application/json"}, filler=50 * MB, endless=endless)
    hostile.answer = lambda r: _route(r, lambda _: huge)
    op_id, = outbox.enqueue([annex_ops.redeem_code(CodeSpend("GC-1", "M100001", "T01-R1", Decimal("5.00"))).urgent()])
    with bounded(3, 15):
        first, = await engine.deliver_now([op_id], timeout_s=0.5)
    row = outbox.get(op_id)
    assert first.state == "pending" and row["maybe_sent"] == 1 and "1 MB" in i18n.readable(row["last_error"])


@pytest.mark.parametrize("header", ["999999999", "inf", "nan", "-1", "Fri, 31 Dec 9999 23:59:59 GMT"])
async def test_no_retry_after_parks_a_write_for_long(hostile, outbox, engine, header):
    hostile.answer = lambda r: _route(r, lambda _: json_reply({}, 429, **{"Retry-After": header}))
    op_id, = outbox.enqueue([_order().urgent()])
    first, = await engine.deliver_now([op_id], timeout_s=2)
    wait = outbox.get(op_id)["next_at"] - time.time()
    assert first.state == "pending" and wait <= 300


async def test_a_redirect_pauses_delivery_and_sends_nothing_elsewhere(hostile, outbox, engine):
    elsewhere = HostileBackend().start()
    try:
        hostile.answer = lambda r: Reply(307, b"", {"Location": elsewhere.base_url + "orders"})
        op_id, = outbox.enqueue([_order()])
        task = asyncio.ensure_future(engine.run())
        await wait_for(lambda: outbox.paused() is not None, timeout=5)
        await engine.stop()
        await task
        assert "check backend.url" in outbox.paused()
        assert any(isinstance(e, ev.DeliveryPaused) and "redirects" in e.reason for e in engine.seen)
        assert outbox.get(op_id)["state"] == "pending" and outbox.status().dead == 0
        assert elsewhere.seen == []
    finally:
        elsewhere.stop()


async def test_a_backend_error_text_reaches_the_dead_letter_cut_and_clean(hostile, outbox, engine):
    text = "\x1b[31mNo\x1b[0m <script>alert(1)</script>" + "B" * 200_000
    hostile.answer = lambda r: _route(r, lambda _: json_reply({"errorCode": "AC2001", "errorMessage": text}, 400))
    op_id, = outbox.enqueue([annex_ops.award_points("M100001", 10, "T01-P1", "goodwill")])
    row = await _deliver(engine, op_id)
    assert row["state"] == "dead"
    reason = i18n.readable(row["last_error"])  # stored as a message; its words are what a person reads
    assert len(reason) < 260 and "\x1b" not in reason and "<" not in reason
    assert "No alert(1) BBB" in reason


async def test_a_refused_background_return_is_a_dead_letter(hostile, outbox, engine):
    from kiosk.loyalty.models import ReturnLine

    hostile.answer = lambda r: _route(r, lambda _: json_reply(
        {"errorCode": "AC2030", "errorMessage": "More returned than is left on the order"}, 422))
    op_id, = outbox.enqueue([annex_ops.return_lines("M100001", "T01-0001", [ReturnLine("L1", 1)], "T01-RET1")])
    row = await _deliver(engine, op_id)
    assert row["state"] == "dead" and outbox.status().dead == 1
    assert outbox.retry(op_id)  # a manager can send it again


async def test_a_lost_reply_is_looked_up_only_after_the_attempt_could_have_ended(hostile, outbox, engine):
    # settle_s is 0 here: the engine still waits the attempt timeout plus a second.
    hostile.answer = lambda r: _route(r, lambda _: json_reply({}, 503), lambda _: json_reply(ORDER_REPLY))
    times: dict[str, float] = {}
    answer = hostile.answer

    def timed(request):
        if "/users/" not in request.path:  # not the probe
            times.setdefault(request.method, time.monotonic())
        return answer(request)

    hostile.answer = timed
    op_id, = outbox.enqueue([_order()])
    assert engine.settle_s >= ATTEMPT_S + 1
    row = await _deliver(engine, op_id)
    assert row["state"] == "done" and _posts(hostile) == 1
    assert times["GET"] - times["POST"] >= ATTEMPT_S + 1 - 0.05


async def test_the_offline_event_says_why_when_the_probe_times_out(hostile, outbox):
    # The client would wait its usual 5 s; the health check gives up sooner, on its own clock.
    hostile.answer = lambda r: json_reply({}, delay_s=30)  # nothing ever answers in time
    hub, seen = EventHub(), []
    hub.subscribe(ev.ConnectivityChanged, seen.append)
    async with AnnexCloudClient(base_url=hostile.base_url, site_id="1", site_name="hostile", secret="s" * 32) as client:
        engine = SyncEngine(outbox, client, OutboxSettings(**FAST), hub=hub)
        task = asyncio.ensure_future(engine.run())
        try:
            await wait_for(lambda: engine.state == ev.OFFLINE, timeout=15)
        finally:
            await engine.stop()
            await task
            engine.close()
    offline = [e for e in seen if e.state == ev.OFFLINE]
    assert offline and "no answer" in offline[0].detail
