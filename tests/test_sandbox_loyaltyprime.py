"""The Loyalty Prime sandbox over plain HTTP: the public example bodies byte for byte, auth, envelope, faults."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kiosk.sandbox.server import SandboxServer

FIXTURES = Path(__file__).parent / "fixtures" / "loyaltyprime"


@pytest.fixture
def prime(tmp_path):
    server = SandboxServer(tmp_path / "prime.sqlite3", faults=True, vendor="loyaltyprime").start()
    yield server
    server.stop()


def call(server, method: str, path: str, body: bytes | None = None, key: str | None = "default"):
    """One request with http.client, so the path (an un-encoded filter) goes out exactly as written."""
    url = urlsplit(server.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"ApiKey {server.store.site.secret if key == 'default' else key}"
    conn.request(method, url.path.rstrip("/") + path, body=body, headers=headers)
    reply = conn.getresponse()
    data = json.loads(reply.read() or b"null")
    conn.close()
    return reply.status, data


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def balance(server, key: str) -> int:
    return call(server, "GET", f"/deposits/{key}/redeemable?type=BONUS")[1]["data"]["points"]


def test_info_line_names_the_prime_api(prime):
    info = prime.info()
    assert info["baseUrl"].endswith("/api/v10/") and info["apiKey"] == prime.store.site.secret
    assert {"key": "M100001", "alternateId": "PC100001"}.items() <= info["memberships"][0].items()


def test_example_bodies_verbatim(prime):
    status, reply = call(prime, "POST", "/memberships", fixture("enrol.json"))
    assert status == 200 and reply["success"] is True and reply["data"]["key"] == "M300001"
    status, found = call(prime, "GET", '/memberships?filter=[{"property":"key","value":"M300001"},'
                                       '{"property":"contractStatus","value":"ACTIVE"}]')
    assert status == 200 and [m["key"] for m in found["data"]] == ["M300001"]
    assert call(prime, "GET", '/memberships?filter=[{"property":"alternateIds","value":"PC300001"}]')[1][
        "data"][0]["key"] == "M300001"
    status, updated = call(prime, "PUT", "/memberships/M300001/details", fixture("update.json"))
    assert status == 200 and updated["data"]["properties"]["AdvertisingConsent"] is False

    status, earned = call(prime, "POST", "/tx", fixture("earn.json"))
    # COFFEE earns twice the site's 1 point per unit: 20.00 -> 40 points.
    assert status == 200 and earned["data"]["points"] == 40 and balance(prime, "M300001") == 40
    status, redeemed = call(prime, "POST", "/deposits/M300001/redeem?type=BONUS", fixture("redeem.json"))
    assert status == 200 and redeemed["data"]["membershipKey"] == "M300001" and balance(prime, "M300001") == 30
    status, _ = call(prime, "POST", "/deposits/redeem/reversal", fixture("redeem_reversal.json"))
    assert status == 200 and balance(prime, "M300001") == 40
    status, adjusted = call(prime, "POST", "/deposits/M300001/adjust?type=BONUS", fixture("adjust.json"))
    assert status == 200 and adjusted["data"]["points"] == -5 and balance(prime, "M300001") == 35
    status, reversed_ = call(prime, "POST", "/tx/reversal", fixture("earn_reversal.json"))
    assert status == 200 and reversed_["data"]["pointsReversed"] == 35 and balance(prime, "M300001") == 0
    status, listed = call(prime, "GET", '/tx?filter=[{"property":"clientId","value":"M300001"}]')
    assert status == 200 and [(t["txId"], t["status"]) for t in listed["data"]] == [("TX-FIXTURE-1", "REVERSED")]


def test_without_a_valid_key_401_and_nothing_changes(prime):
    before = prime.store.read("SELECT COUNT(*) FROM ledger")[0][0]
    for key in (None, "wrong", ""):
        status, reply = call(prime, "POST", "/tx", fixture("earn.json").replace(b"M300001", b"M100001"), key=key)
        assert status == 401 and reply["success"] is False and reply["error"]["code"] == "UNAUTHORIZED"
    assert prime.store.read("SELECT COUNT(*) FROM ledger")[0][0] == before
    assert balance(prime, "M100001") == 180


def test_quote_books_nothing_and_a_repeated_tx_id_applies_once(prime):
    body = fixture("earn.json").replace(b"M300001", b"M100001")
    quote = json.loads(body)
    del quote["txId"]
    status, reply = call(prime, "POST", "/tx", json.dumps(quote).encode())
    assert status == 200 and reply["data"]["points"] == 40 and reply["data"]["booked"] is False
    assert balance(prime, "M100001") == 180
    first = call(prime, "POST", "/tx", body)[1]
    assert call(prime, "POST", "/tx", body)[1] == first and balance(prime, "M100001") == 220
    status, conflict = call(prime, "POST", "/tx", body.replace(b'"20"', b'"30"'))
    assert status == 409 and conflict["error"]["code"] == "KEY_CONFLICT"


def test_errors_are_enveloped(prime):
    status, reply = call(prime, "GET", "/memberships/NOPE/details")
    assert status == 404 and reply == {"success": False, "data": None,
                                       "error": {"code": "NOT_FOUND", "message": "No membership with that key"}}
    status, reply = call(prime, "POST", "/deposits/M100005/redeem?type=BONUS", fixture("redeem.json"))
    assert status == 422 and reply["error"]["code"] == "INSUFFICIENT_POINTS"
    status, reply = call(prime, "GET", "/memberships?filter=[{oops")
    assert status == 400 and reply["success"] is False
    status, reply = call(prime, "POST", "/tx", b"{not json")
    assert status == 400 and reply["error"]["code"] == "INVALID_REQUEST"


def test_vouchers_convert_once_per_receipt_and_revoke(prime):
    status, mine = call(prime, "GET", '/voucher?filter=[{"property":"issuedTo","value":"M100002"}]')
    assert [v["token"] for v in mine["data"]] == ["BEN15OFF"] and mine["data"][0]["of"] == "PERCENT"
    body = b'{"receiptId": "S1"}'
    first = call(prime, "POST", "/voucher/BEN15OFF/convert?client=M100002", body)
    assert first[0] == 200 and call(prime, "POST", "/voucher/BEN15OFF/convert?client=M100002", body) == first
    status, again = call(prime, "POST", "/voucher/BEN15OFF/convert?client=M100002", b'{"receiptId": "S2"}')
    assert status == 422 and again["error"]["code"] == "VOUCHER_NOT_VALID"
    status, _ = call(prime, "POST", "/voucher/BEN15OFF/revoke?client=M100002",
                     b'{"receiptId": "U1", "conversionReceiptId": "S1"}')
    assert status == 200
    assert call(prime, "GET", "/voucher/BEN15OFF/info")[1]["data"]["status"] == "ISSUED"


def test_fault_switch_answers_in_the_envelope(prime):
    url = urlsplit(prime.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("PUT", "/_admin/faults", body=b'{"error_rate": 1}', headers={"Content-Type": "application/json"})
    assert conn.getresponse().status == 200
    conn.close()
    status, reply = call(prime, "POST", "/tx", fixture("earn.json").replace(b"M300001", b"M100001"))
    assert status == 503 and reply["error"]["code"] == "UNAVAILABLE"
    assert prime.store.read("SELECT COUNT(*) FROM ledger")[0][0] == 0
