"""Request signing (Annex Cloud's JWT guide): the client's tokens and the sandbox's check,
each held against the rules as tests/stdlib_jwt.py writes them with the standard library."""

import time

import httpx
import pytest

from kiosk.loyalty import auth
from kiosk.sandbox import signing
from tests import stdlib_jwt
from tests.helpers import ledger, raw_get, raw_send

SECRET = "vector-secret-for-kiosk-tests-0001"
BODY = b'{"id":"M100001","actionId":100,"activity":"CREDIT","credit":50}'
NOW = 1_700_000_000


@pytest.mark.parametrize("payload", [BODY, stdlib_jwt.get_payload("user@domain.com"),
                                     stdlib_jwt.get_payload('odd "quoted" \\ id')])
def test_the_client_signs_by_the_published_rules(payload):
    token = auth.make_token(secret=SECRET, site_id="900100", site_name="kiosk-sandbox", payload=payload, now=NOW)
    header, claims = stdlib_jwt.read(token, SECRET)  # the HS256 signature checked with hmac alone
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims == {"sub": "kiosk-sandbox", "exp": NOW + 300, "site_id": "900100",
                      "hmac": stdlib_jwt.payload_hmac(SECRET, payload)}


def test_a_get_signs_its_identifier_as_a_json_string_with_its_quotes():
    assert auth.get_payload("user@domain.com") == b'"user@domain.com"' == stdlib_jwt.get_payload("user@domain.com")
    assert auth.get_payload('a"b') == stdlib_jwt.get_payload('a"b') == b'"a\\"b"'


def _vector(**changes):
    args = {"secret": SECRET, "site_id": "900100", "site_name": "kiosk-sandbox", "payload": BODY, "exp": NOW + 300}
    return stdlib_jwt.token(**{**args, **changes})


def test_the_sandbox_accepts_a_token_made_by_the_rules():
    claims = signing.check(_vector(), secret=SECRET, site_id="900100", payload=BODY, now=NOW + 100)
    assert claims["sub"] == "kiosk-sandbox"


@pytest.mark.parametrize("change", ["expired", "secret", "site", "payload", "garbage", "alg_none", "alg_hs512"])
def test_the_sandbox_refuses(change):
    token, secret, site, payload, now = _vector(), SECRET, "900100", BODY, NOW + 100
    if change == "expired":
        now = NOW + 300 + signing.LEEWAY_S + 1
    elif change == "secret":
        secret = "another-secret-of-sufficient-length-00"
    elif change == "site":
        site = "900101"
    elif change == "payload":
        payload = BODY.replace(b"50", b"5000")
    elif change == "garbage":
        token = "not.a.jwt"
    elif change == "alg_none":
        token = _vector(header={"alg": "none", "typ": "JWT"}).rsplit(".", 1)[0] + "."
    elif change == "alg_hs512":
        token = _vector(header={"alg": "HS512", "typ": "JWT"})
    with pytest.raises(signing.Unauthorized):
        signing.check(token, secret=secret, site_id=site, payload=payload, now=now)


def test_the_sandbox_wants_a_bearer_token():
    assert signing.token_from("Bearer abc") == "abc"
    for bad in (None, "", "Basic abc", "Bearer "):
        with pytest.raises(signing.Unauthorized):
            signing.token_from(bad)


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
    site = sandbox.store.site
    headers = {"Authorization": "Bearer " + stdlib_jwt.token(
        secret=site.secret, site_id=site.site_id, site_name=site.site_name,
        payload=stdlib_jwt.get_payload("M100002"), exp=int(time.time()) + 300)}
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
