"""Request signing (Annex Cloud's JWT guide) and the sandbox's refusal of bad tokens."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from kiosk.loyalty import auth
from tests.helpers import ledger, raw_get, raw_send

SECRET = "golden-secret-for-kiosk-tests-0001"
BODY = b'{"id":"M100001","actionId":100,"activity":"CREDIT","credit":50}'
GOLDEN_POST = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJraW9zay1zYW5kYm94IiwiZXhwIjoxNzAwMDAwMzAwLCJzaXRlX2lkIjoiOTAwMTAwIiwiaG1hYyI6Im1WbUNsamVzQ2wxTTRSU2V6amdJOUo3cGpabzBHeXRvR2NFOHFvOWNldVE9In0.S7nKTbOb6OPO3kVIZ0UqjoKvZl4-f18f_NvCT2Mdxb4"
GOLDEN_GET = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJraW9zay1zYW5kYm94IiwiZXhwIjoxNzAwMDAwMzAwLCJzaXRlX2lkIjoiOTAwMTAwIiwiaG1hYyI6InpqT2prYUcyK3lxaXBmbUJ2eXQ4T2NGUlR6RHFKT2hEV0NaenI4dlNYT1E9In0.vwcIIQOzDgi6fPPRjCFLM7W9X7EFLyyjWq_jU5YFjLg"


def _claims(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_golden_tokens_are_pinned():
    assert auth.make_token(secret=SECRET, site_id="900100", site_name="kiosk-sandbox", payload=BODY,
                           now=1_700_000_000) == GOLDEN_POST
    assert auth.make_token(secret=SECRET, site_id="900100", site_name="kiosk-sandbox",
                           payload=auth.get_payload("user@domain.com"), now=1_700_000_000) == GOLDEN_GET


def test_hmac_claim_follows_the_published_recipe():
    # Recomputed here by hand: base64(HMAC-SHA256(secret, base64(payload))).
    expected = base64.b64encode(hmac.new(SECRET.encode(), base64.b64encode(BODY), hashlib.sha256).digest()).decode()
    claims = _claims(GOLDEN_POST)
    assert claims == {"sub": "kiosk-sandbox", "exp": 1_700_000_300, "site_id": "900100", "hmac": expected}
    # A GET signs its identifier as a JSON string literal, quotes included.
    assert auth.get_payload("user@domain.com") == b'"user@domain.com"'
    get_expected = base64.b64encode(hmac.new(SECRET.encode(), base64.b64encode(b'"user@domain.com"'),
                                             hashlib.sha256).digest()).decode()
    assert _claims(GOLDEN_GET)["hmac"] == get_expected


def test_verify_accepts_the_token_it_made():
    claims = auth.verify_token(GOLDEN_POST, secret=SECRET, site_id="900100", payload=BODY, now=1_700_000_100)
    assert claims["sub"] == "kiosk-sandbox"


@pytest.mark.parametrize("change", ["expired", "secret", "site", "payload", "garbage", "alg_none"])
def test_verify_refuses(change):
    token, secret, site, payload, now = GOLDEN_POST, SECRET, "900100", BODY, 1_700_000_100
    if change == "expired":
        now = 1_700_000_300 + 31  # past exp and the 30 s leeway
    elif change == "secret":
        secret = "another-secret-of-sufficient-length-00"
    elif change == "site":
        site = "900101"
    elif change == "payload":
        payload = BODY.replace(b"50", b"5000")
    elif change == "garbage":
        token = "not.a.jwt"
    elif change == "alg_none":
        header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        token = header + "." + GOLDEN_POST.split(".")[1] + "."
    with pytest.raises(auth.AuthError):
        auth.verify_token(token, secret=secret, site_id=site, payload=payload, now=now)


def test_bearer_header_parsing():
    assert auth.bearer("Bearer abc") == "abc"
    for bad in (None, "", "Basic abc", "Bearer "):
        with pytest.raises(auth.AuthError):
            auth.bearer(bad)


# --- the sandbox refuses, with AC1002 and HTTP 401, and changes nothing ---------

AWARD = {"id": "M100001", "actionId": 100, "activity": "CREDIT", "credit": 50, "customId": "k1"}


def _refused(response):
    assert response.status_code == 401
    assert response.json() == {"errorCode": "AC1002", "errorMessage": "Request Not Authorized"}


def test_sandbox_accepts_a_signed_request(sandbox):
    response = raw_send(sandbox, "POST", "points", AWARD)
    assert response.status_code == 200, response.text
    assert response.json()["pointsAwarded"] == 50


@pytest.mark.parametrize("case", ["missing", "expired", "wrong_secret", "tampered", "wrong_site", "not_bearer"])
def test_sandbox_refuses_bad_auth_on_writes_and_changes_nothing(sandbox, case):
    kwargs = {}
    headers = None
    if case == "expired":
        kwargs["now"] = time.time() - 3600
    elif case == "wrong_secret":
        kwargs["secret"] = "not-the-sandbox-secret-but-long-enough"
    elif case == "tampered":
        kwargs["signed_body"] = AWARD
        body = {**AWARD, "credit": 5000}
    elif case == "wrong_site":
        kwargs["site_id"] = "123"
    if case == "missing":
        headers = {"Authorization": ""}
    elif case == "not_bearer":
        headers = {"Authorization": "Basic dXNlcjpwYXNz"}
    response = raw_send(sandbox, "POST", "points", body if case == "tampered" else AWARD, headers=headers, **kwargs)
    _refused(response)
    assert ledger(sandbox) == []
    points = raw_get(sandbox, "points/M100001", "M100001").json()
    assert points["availablePoints"] == 180


def test_sandbox_refuses_a_get_signed_for_another_id(sandbox):
    headers = {"Authorization": "Bearer " + auth.make_token(
        secret=sandbox.store.site.secret, site_id=sandbox.store.site.site_id,
        site_name=sandbox.store.site.site_name, payload=auth.get_payload("M100002"), now=time.time())}
    import httpx
    _refused(httpx.get(sandbox.base_url + "users/M100001", headers=headers))
    assert raw_get(sandbox, "users/M100001", "M100001").status_code == 200


async def test_client_with_the_wrong_secret_gets_not_authorized(sandbox):
    from kiosk.loyalty import errors
    from tests.helpers import client_for

    async with client_for(sandbox) as good:
        pass
    bad = type(good)(base_url=sandbox.base_url, site_id=sandbox.store.site.site_id,
                     site_name=sandbox.store.site.site_name, secret="wrong-secret-but-long-enough-000000")
    async with bad:
        with pytest.raises(errors.NotAuthorized) as caught:
            await bad.get_member("M100001")
    assert caught.value.code == "AC1002"
    assert "credentials" in caught.value.user_message
