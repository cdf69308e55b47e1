"""The Loyalty Prime adapter facing bad replies: a clear error, nothing lost, nothing guessed.

These replies are what a broken proxy or a tenant's unknown error shape would send; the
sandbox never sends them, so a transport answers them."""

from __future__ import annotations

import httpx
import pytest

from kiosk.loyalty import errors
from kiosk.loyalty.loyaltyprime import errors as prime_errors
from kiosk.loyalty.loyaltyprime.transport import template
from tests.prime_helpers import prime_encoder


def client_answering(handler):
    client = prime_encoder()
    client._get_budget = 0.5
    client._http._transport = httpx.MockTransport(handler)
    return client


@pytest.mark.parametrize("reply, expected", [
    (httpx.Response(200, content=b"<html>proxy</html>"), errors.UnusableReply),
    (httpx.Response(200, json={"data": {"key": "M1"}}), errors.UnusableReply),  # no success envelope
    (httpx.Response(200, json={"success": False, "data": None}), errors.UnusableReply),
    (httpx.Response(200, content=b"[" * 3_000_000), errors.UnusableReply),  # over 1 MB
    (httpx.Response(302, headers={"Location": "http://elsewhere/"}), errors.Redirected),
    (httpx.Response(401, json={"success": False, "error": {"code": "UNAUTHORIZED", "message": "no"}}),
     errors.NotAuthorized),
    (httpx.Response(418, json={"oops": True}), prime_errors.UnknownRefusal),
])
async def test_bad_replies_are_clear_errors(reply, expected):
    async with client_answering(lambda request: reply) as client:
        with pytest.raises(expected):
            await client.lookup_member("M100001")


def test_an_unknown_code_is_never_a_refusal_for_the_sale():
    exc = prime_errors.from_error_body(422, {"success": False, "error": {"code": "LIMIT_9", "message": "x"}})
    assert isinstance(exc, prime_errors.UnknownRefusal) and exc.status == 422
    client = prime_encoder()
    assert not client.refused_for_sale("redeem_code", exc) and not client.refused_for_sale("redeem_points", exc)
    known = prime_errors.from_error_body(422, {"success": False, "error": {"code": "VOUCHER_NOT_VALID",
                                                                           "message": "This voucher cannot be used"}})
    assert client.refused_for_sale("redeem_code", known) and known.user_message == "This voucher cannot be used"


def test_logged_routes_carry_no_member_data():
    assert template('memberships?filter=[{"property":"email","value":"ana@x.com"}]') == "memberships"
    assert template("deposits/M100001/redeem?type=BONUS") == "deposits/{key}/redeem"
    assert template("deposits/redeem/reversal") == "deposits/redeem/reversal"
    assert template("voucher/BEN15OFF/convert?client=M100002") == "voucher/{key}/convert"


def test_repr_never_shows_the_key():
    from kiosk.loyalty.loyaltyprime import LoyaltyPrimeClient

    client = LoyaltyPrimeClient(base_url="http://127.0.0.1:9/api/v10/", api_key="SECRET-KEY-8841", partner_id="P",
                                debitor_id="D", channel_key="C")
    assert "SECRET-KEY-8841" not in repr(client) and "SECRET-KEY-8841" not in str(vars(client))
