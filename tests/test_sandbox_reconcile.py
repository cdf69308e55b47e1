"""The sandbox's reconciliation reads, and what the client says about a failed attempt."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kiosk.loyalty import errors
from kiosk.loyalty.models import CodeSpend
from tests.helpers import client_for, raw_get, set_faults


async def test_points_activity_shows_the_request_applied_under_a_custom_id(client):
    assert await client.find_points_activity("M100001", "K-1") is None
    await client.award_points("M100001", 25, "K-1", "goodwill")
    found = await client.find_points_activity("ana.lima@example.com", "K-1")
    assert found["id"] == "M100001" and found["customId"] == "K-1"
    assert (found["request"]["credit"], found["request"]["activity"]) == (25, "CREDIT")
    assert found["reply"]["pointsAwarded"] == 25
    # Another member's key space: not found.
    assert await client.find_points_activity("M100002", "K-1") is None


def test_points_activity_needs_a_custom_id(sandbox):
    response = raw_get(sandbox, "points/M100001/activity", "M100001")
    assert response.status_code == 400 and response.json()["errorCode"] == "AC2001"


async def test_code_redemption_by_reference_follows_redeem_and_undo(client):
    assert await client.find_code_redemption("R-1") is None
    await client.redeem_code(CodeSpend("GC-1000-0001", "guest", "R-1", amount=Decimal("12.50")))
    held = await client.find_code_redemption("R-1")
    assert (held["incentiveCode"], held["codeValue"], held["action"], held["undoneBy"]) == \
        ("GC-1000-0001", "12.50", "REDEEM", "")
    await client.undo_code(CodeSpend("GC-1000-0001", "guest", "R-2", undo_of="R-1"))
    assert (await client.find_code_redemption("R-1"))["undoneBy"] == "R-2"
    undo = await client.find_code_redemption("R-2")
    assert (undo["action"], undo["originalReferenceId"]) == ("UNDO", "R-1")


async def test_a_reference_that_could_escape_its_path_is_refused_before_sending(counted):
    client, transport = counted
    with pytest.raises(errors.InvalidIdentifier):
        await client.find_code_redemption("../users/M100001")
    assert transport.sent == []


async def test_a_refused_connection_surely_changed_nothing():
    async with client_for_port(9) as client:
        with pytest.raises(errors.BackendUnavailable) as caught:
            await client.send_write("order", b"POST orders\n{}")
    assert (caught.value.maybe_applied, caught.value.reached) == (False, False)


async def test_a_timeout_may_have_applied_and_a_503_reached_the_backend(sandbox):
    async with client_for(sandbox, attempt_timeout=0.3) as client:
        set_faults(sandbox, latency_ms=1000)
        with pytest.raises(errors.BackendUnavailable) as slow:
            await client.send_write("award_points", b"POST points\n{}")
        set_faults(sandbox, latency_ms=0, error_rate=1.0)
        with pytest.raises(errors.BackendUnavailable) as failing:
            await client.send_write("award_points", b"POST points\n{}")
    assert (slow.value.maybe_applied, slow.value.reached) == (True, False)
    assert (failing.value.maybe_applied, failing.value.reached, failing.value.code) == (True, True, "AC5003")


def client_for_port(port: int):
    from kiosk.loyalty.annex import AnnexCloudClient

    return AnnexCloudClient(base_url=f"http://127.0.0.1:{port}/api/3.0/", site_id="900100", site_name="x",
                            secret="s" * 32)
