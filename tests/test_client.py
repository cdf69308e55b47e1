"""The client's transport: timeouts, retries, faults, lost replies, logs. Real sandbox, real sockets."""

import asyncio
import logging
import socket
import threading
import time
from decimal import Decimal

import httpx
import pytest
import respx

from kiosk.loyalty import errors
from kiosk.loyalty.models import CodeSpend, Order, OrderLine
from kiosk.sandbox.server import SandboxServer
from tests.helpers import CountingTransport, client_for, ledger, set_faults


def _order(order_id="T01-0001"):
    return Order(order_id, "M100002", Decimal("20.00"), (OrderLine("L1", "Mug", Decimal("20.00"), 1),))


async def test_injected_latency_is_real(sandbox, client):
    set_faults(sandbox, latency_ms=200)
    started = time.perf_counter()
    await client.get_points("M100002")
    assert time.perf_counter() - started >= 0.2


async def test_lookup_is_concurrent_not_sequential(sandbox, client):
    await client.lookup_member("M100002")  # open connections first
    set_faults(sandbox, latency_ms=300)
    started = time.perf_counter()
    view = await client.lookup_member("M100002")
    elapsed = time.perf_counter() - started
    assert view.points is not None
    # Three sequential calls would take >= 0.9 s; generous guard, the benchmark measures the ratio.
    assert elapsed < 0.85, elapsed


async def test_write_is_sent_once_and_nothing_applied_on_503(sandbox):
    transport = CountingTransport()
    set_faults(sandbox, error_rate=1.0)
    async with client_for(sandbox, transport=transport) as client:
        with pytest.raises(errors.BackendUnavailable) as caught:
            await client.create_order(_order())
    assert caught.value.status == 503 and caught.value.transient
    assert transport.sent == ["POST /api/3.0/orders"]
    assert ledger(sandbox) == []


async def test_get_retries_within_its_budget_then_gives_up(sandbox):
    transport = CountingTransport()
    set_faults(sandbox, error_rate=1.0)
    async with client_for(sandbox, transport=transport, get_budget=0.6) as client:
        started = time.perf_counter()
        with pytest.raises(errors.BackendUnavailable):
            await client.get_member("M100002")
        elapsed = time.perf_counter() - started
    assert len(transport.sent) >= 2
    assert elapsed < 0.6 + 2.5  # the budget, plus at most one last backoff and attempt


async def test_get_recovers_when_the_backend_comes_back(sandbox):
    transport = CountingTransport()
    set_faults(sandbox, error_rate=1.0)
    threading.Timer(0.4, set_faults, args=(sandbox,), kwargs={"error_rate": 0.0}).start()
    async with client_for(sandbox, transport=transport, get_budget=5.0) as client:
        member = await client.get_member("M100002")
    assert member.first_name == "Ben"
    assert len(transport.sent) >= 2


async def test_a_lost_reply_is_an_unknown_outcome_and_the_backend_can_be_read(sandbox, client):
    set_faults(sandbox, drop_reply_rate=1.0)
    with pytest.raises(errors.BackendUnavailable):
        await client.create_order(_order("T01-LOST"))
    # Applied on the backend although the terminal never heard back.
    assert [row["order_id"] for row in ledger(sandbox, "order_create")] == ["T01-LOST"]
    set_faults(sandbox, drop_reply_rate=0.0)
    found = await client.get_order("T01-LOST")
    assert found.points_awarded == 20
    # Sending the same order again is answered from the first application.
    again = await client.create_order(_order("T01-LOST"))
    assert again.points_awarded == 20
    assert len(ledger(sandbox, "order_create")) == 1


async def test_without_duplicate_protection_a_resend_applies_twice(sandbox, client):
    set_faults(sandbox, duplicate_protection=False)
    await client.create_order(_order("T01-DUP"))
    await client.create_order(_order("T01-DUP"))
    assert len(ledger(sandbox, "order_create")) == 2
    spend = CodeSpend("GC-1000-0001", "M100002", "ref-dup", Decimal("5.00"))
    await client.redeem_code(spend)
    await client.redeem_code(spend)
    assert (await client.validate_code("GC-1000-0001")).balance == Decimal("40.00")


def test_admin_routes_exist_only_with_faults(tmp_path):
    plain = SandboxServer(tmp_path / "plain.sqlite3").start()
    try:
        admin = plain.base_url.replace("/api/3.0/", "/_admin/faults")
        assert httpx.get(admin).status_code == 404
        assert httpx.put(admin, json={"error_rate": 1}).status_code in (404, 405)
    finally:
        plain.stop()


async def test_a_dead_network_is_a_clear_transient_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    from kiosk.loyalty.annex import AnnexCloudClient

    async with AnnexCloudClient(base_url=f"http://127.0.0.1:{port}/api/3.0/", site_id="1", site_name="x",
                                secret="s" * 32, get_budget=0.3) as client:
        with pytest.raises(errors.BackendUnavailable) as caught:
            await client.get_member("M100001")
    assert "cannot be reached" in caught.value.user_message


async def test_a_slow_backend_times_out_per_attempt(sandbox):
    set_faults(sandbox, latency_ms=1500)
    async with client_for(sandbox, attempt_timeout=0.3) as client:
        started = time.perf_counter()
        with pytest.raises(errors.BackendUnavailable) as caught:
            await client.create_order(_order())
    assert time.perf_counter() - started < 1.2
    assert "in time" in caught.value.user_message


@respx.mock
async def test_429_carries_retry_after():
    # The sandbox has no rate limit to trip, so this one reply is mocked.
    respx.post("https://api.example.com/api/3.0/orders").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "7"}, json={"errorCode": "", "errorMessage": ""}))
    from kiosk.loyalty.annex import AnnexCloudClient

    async with AnnexCloudClient(base_url="https://api.example.com/api/3.0", site_id="1", site_name="x",
                                secret="s" * 32) as client:
        with pytest.raises(errors.BackendUnavailable) as caught:
            await client.create_order(_order())
    assert caught.value.retry_after == 7.0 and caught.value.status == 429


async def test_a_missing_part_still_gives_a_usable_view(sandbox):
    # Only the rewards read is made to answer AC1005; everything else goes to the real sandbox.
    with respx.mock(assert_all_called=False) as mock:
        mock.get(url__regex=r".*/users/M100002/reward$").mock(
            return_value=httpx.Response(404, json={"errorCode": "AC1005", "errorMessage": "No data found"}))
        mock.route().pass_through()
        async with client_for(sandbox) as client:
            view = await client.lookup_member("M100002")
    assert view.member.first_name == "Ben" and view.points.available == 1320
    assert view.rewards == () and view.missing == ("rewards",)


async def test_unknown_member_is_not_found(client):
    with pytest.raises(errors.NotFound) as caught:
        await client.lookup_member("M999999")
    assert caught.value.user_message == "No member found for that card, email or phone."


async def test_member_data_and_secret_never_reach_the_log(sandbox, client, caplog):
    caplog.set_level(logging.DEBUG)
    await client.lookup_member("ben.okafor@example.com")
    await client.redeem_code(CodeSpend("GC-1000-0002", "M100002", "ref-log", Decimal("1.00")))
    with pytest.raises(errors.NotFound):
        await client.get_member("nobody@example.com")
    await client.create_order(_order("T01-LOG"))
    text = caplog.text
    assert "users/{id}" in text  # the route template is logged...
    for secret_or_pii in ("ben.okafor", "M100002", "Okafor", "nobody@example.com", sandbox.store.site.secret):
        assert secret_or_pii not in text  # ...never the member or the secret
    assert sandbox.store.site.secret not in repr(client)


async def test_a_client_belongs_to_one_loop(sandbox, client):
    await client.get_member("M100001")
    errors_seen = []

    def other_loop():
        try:
            asyncio.run(client.get_member("M100001"))
        except RuntimeError as exc:
            errors_seen.append(str(exc))

    thread = threading.Thread(target=other_loop)
    thread.start()
    thread.join()
    assert errors_seen and "event loop" in errors_seen[0]


def test_sandbox_socket_is_declared_tcp_so_replies_are_not_delayed(sandbox):
    # asyncio turns on TCP_NODELAY only for sockets whose proto is TCP; without
    # it every reply waited ~40 ms for a delayed ACK (see server._bind).
    assert sandbox._sock.proto == socket.IPPROTO_TCP


@respx.mock
@pytest.mark.parametrize(("reply", "expected"), [
    (httpx.Response(503, headers={"Retry-After": "soon"}, text="<html>busy</html>"), "retry_after_none"),
    (httpx.Response(200, text="<html>proxy login page</html>"), "not_json"),
])
async def test_malformed_replies_are_a_clear_transient_error(reply, expected):
    # A captive portal or a broken proxy answers like this; the sandbox never does.
    respx.get("https://api.example.com/api/3.0/users/M100001").mock(return_value=reply)
    from kiosk.loyalty.annex import AnnexCloudClient

    async with AnnexCloudClient(base_url="https://api.example.com/api/3.0", site_id="1", site_name="x",
                                secret="s" * 32, get_budget=0) as client:
        with pytest.raises(errors.BackendUnavailable) as caught:
            await client.get_member("M100001")
    if expected == "retry_after_none":
        assert caught.value.retry_after is None and caught.value.status == 503
    else:
        assert "not JSON" in caught.value.user_message


async def test_the_probe_for_a_guest_nobody_enrolled_logs_no_info_line_but_a_missing_member_does(client, caplog):
    """The health probe asks for the guest every few seconds; that the guest doesn't exist
    is the answer it wants, so a store's log isn't filled with "answered 404" lines."""
    caplog.set_level(logging.INFO, logger="kiosk.loyalty")
    for _ in range(3):
        await client.probe("guest")  # the demo backend has no such user
    assert [r for r in caplog.records if "answered" in r.getMessage()] == []
    with pytest.raises(errors.NotFound):
        await client.get_member("M999999")
    assert [r.levelno for r in caplog.records if "answered 404" in r.getMessage()] == [logging.INFO]
