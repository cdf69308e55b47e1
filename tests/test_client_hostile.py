"""The client against a hostile backend over loopback: every reply is checked and
bounded, in time and in memory, and reported as the client's own error."""

from __future__ import annotations

import email.utils
import time
import tracemalloc
from contextlib import contextmanager
from decimal import Decimal
from typing import Iterator

import pytest

from kiosk.loyalty import errors
from kiosk.loyalty.annex import AnnexCloudClient
from kiosk.loyalty.models import CodeSpend
from tests.hostile import HostileBackend, Reply, json_reply

MB = 2**20


@pytest.fixture
def hostile():
    server = HostileBackend().start()
    yield server
    server.stop()


def client_of(server: HostileBackend, **kwargs) -> AnnexCloudClient:
    kwargs.setdefault("get_budget", 0)
    kwargs.setdefault("attempt_timeout", 5.0)
    return AnnexCloudClient(base_url=server.base_url, site_id="1", site_name="hostile", secret="s" * 32, **kwargs)


@contextmanager
def bounded(seconds: float, megabytes: float) -> Iterator[None]:
    """The block ends within `seconds` and allocates at most `megabytes` at its peak."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < megabytes * MB, f"peak {peak / MB:.0f} MB"


POINTS = {"id": "M100001", "availablePoints": "120", "lifetimePoints": "900"}


@pytest.mark.parametrize("value", ["1e999999999", "-5", 1e300, "12345678901"])
async def test_points_out_of_range_are_refused_quickly(hostile, value):
    hostile.answer = lambda r: json_reply({**POINTS, "availablePoints": value})
    async with client_of(hostile) as client:
        with bounded(2, 20), pytest.raises(errors.UnusableReply) as caught:
            await client.get_points("M100001")
    assert "availablePoints" in caught.value.detail


@pytest.mark.parametrize("value", ["1e999999999", "-1.00", "12.345", "10000000.01"])
async def test_money_out_of_range_is_the_clients_own_error(hostile, value):
    hostile.answer = lambda r: json_reply({"incentiveCode": "GC-1", "incentiveType": "giftcard",
                                           "codeValue": "50.00", "balanceCodeValue": value, "valid": "YES"})
    async with client_of(hostile) as client:
        with bounded(2, 20), pytest.raises(errors.UnusableReply) as caught:
            await client.validate_code("GC-1")
    assert "balanceCodeValue" in caught.value.detail


async def test_numbers_in_range_still_read(hostile):
    hostile.answer = lambda r: json_reply({**POINTS, "availablePoints": "1000000000", "spendToNextTier": "9999999.99"})
    async with client_of(hostile) as client:
        points = await client.get_points("M100001")
    assert points.available == 10**9 and points.spend_to_next_tier == Decimal("9999999.99")


@pytest.mark.parametrize("reply", [
    Reply(200, b'{"id": "M100001", "pad": "', {"Content-Type": "application/json"}, filler=50 * MB),
    Reply(200, b'{"id": "M100001", "pad": "', {"Content-Type": "application/json"}, endless=True),
], ids=["50MB", "endless"])
async def test_a_huge_or_endless_read_reply_stops_at_one_megabyte(hostile, reply):
    hostile.answer = lambda r: reply
    async with client_of(hostile) as client:
        with bounded(3, 12), pytest.raises(errors.UnusableReply) as caught:
            await client.get_member("M100001")
    assert "1 MB" in caught.value.user_message
    assert hostile.paths() == ["GET /api/3.0/users/M100001"]  # an error, not retried


async def test_a_reply_that_trickles_in_ends_with_the_attempt(hostile):
    # Never silent long enough for a read timeout, never finished.
    hostile.answer = lambda r: Reply(200, b"", {"Content-Type": "application/json"}, endless=True, trickle_s=0.05)
    async with client_of(hostile, attempt_timeout=0.5) as client:
        with bounded(2, 12), pytest.raises(errors.BackendUnavailable) as caught:
            await client.get_member("M100001")
    assert "in time" in caught.value.user_message


def _in(seconds: float) -> str:
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


@pytest.mark.parametrize(("header", "expected"), [
    ("999999999", 300.0), ("inf", None), ("nan", None), ("-5", None), ("soon", None), ("1e999", None),
    # A fixed far date, not one made from the clock: both test workers must collect the same ids.
    ("Sat, 01 Jan 2300 00:00:00 GMT", 300.0), ("Mon, 99 Foo 2026 99:99:99 GMT", None), ("7", 7.0),
])
async def test_retry_after_is_capped_and_odd_values_mean_the_backoff(hostile, header, expected):
    hostile.answer = lambda r: json_reply({"errorCode": "", "errorMessage": ""}, 429, **{"Retry-After": header})
    async with client_of(hostile) as client:
        with pytest.raises(errors.BackendUnavailable) as caught:
            await client.award_points("M100001", 5, "T01-K1", "test")
    assert caught.value.retry_after == expected


async def test_retry_after_as_a_date_in_the_near_future(hostile):
    hostile.answer = lambda r: json_reply({}, 503, **{"Retry-After": _in(20)})
    async with client_of(hostile) as client:
        with pytest.raises(errors.BackendUnavailable) as caught:
            await client.award_points("M100001", 5, "T01-K1", "test")
    assert 15 <= caught.value.retry_after <= 20


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_reported_as_one_and_not_followed(hostile, status):
    elsewhere = HostileBackend().start()
    try:
        hostile.answer = lambda r: Reply(status, b"", {"Location": elsewhere.base_url + r.path.split("/api/3.0/")[1]})
        async with client_of(hostile) as client:
            with pytest.raises(errors.Redirected) as caught:
                await client.get_member("M100001")
            with pytest.raises(errors.Redirected):
                await client.redeem_code(CodeSpend("GC-1", "M100001", "T01-R1", Decimal("5.00")))
        assert "redirects; check backend.url" in caught.value.user_message
        assert elsewhere.seen == []
    finally:
        elsewhere.stop()


async def test_a_huge_error_text_with_escapes_is_cut_and_cleaned(hostile):
    message = "Insufficient balance \x1b[2J\x1b]0;owned\x07<b>now</b>\r\n" + "A" * 200_000
    hostile.answer = lambda r: json_reply({"errorCode": "AC2021", "errorMessage": message}, 422)
    async with client_of(hostile) as client:
        with pytest.raises(errors.InsufficientBalance) as caught:
            await client.redeem_code(CodeSpend("GC-1", "M100001", "T01-R1", Decimal("5.00")))
    for text in (caught.value.user_message, caught.value.detail):
        assert len(text) <= 200
        assert text.startswith("Insufficient balance now AAA")
        assert not any(ch in text for ch in "\x1b\x07\r\n<>")


async def test_a_read_keeps_its_overall_budget(hostile):
    # Every attempt is answered too late: the last one may not run past the budget.
    hostile.answer = lambda r: json_reply(POINTS, delay_s=10)
    async with client_of(hostile, get_budget=2.0, attempt_timeout=1.5) as client:
        started = time.perf_counter()
        with pytest.raises(errors.BackendUnavailable):
            await client.get_points("M100001")
        elapsed = time.perf_counter() - started
    assert elapsed < 2.0 + 0.4, elapsed
    assert len(hostile.seen) >= 2  # it did try again within the budget


@pytest.mark.parametrize("body", [b"<html>login</html>", b"[" * 100_000, b'{"id": 1' + b"9" * 5000 + b"}"],
                         ids=["html", "nested", "long-int"])
async def test_a_reply_that_is_not_json_is_the_clients_own_error(hostile, body):
    hostile.answer = lambda r: Reply(200, body, {"Content-Type": "application/json"})
    async with client_of(hostile) as client:
        with bounded(2, 12), pytest.raises(errors.UnusableReply) as caught:
            await client.get_member("M100001")
    assert "not JSON" in caught.value.user_message
