"""The sandbox's documented profile over loopback HTTP, signed as a terminal signs:
only the published routes, only the published reply fields (checked against the
vendor examples in tests/fixtures/seeds), only the published error codes.
Both-profile features are checked here too: the per-kind duplicate switches, the
unknown `action`, the Redemption Log and the line-points rule."""

from __future__ import annotations

import json
import signal
import subprocess
from datetime import datetime, timedelta

import pytest

from kiosk.sandbox import orders
from kiosk.sandbox.server import SandboxServer
from tests.helpers import ledger, raw_get, raw_send, set_faults
from tests.seed_fixtures import load_seed
from tests.test_cli import KIOSK, _env, _first_line

MEMBER, OTHER = "M100002", "M100003"


@pytest.fixture
def doc(tmp_path):
    server = SandboxServer(tmp_path / "doc.sqlite3", faults=True, profile="documented").start()
    yield server
    server.stop()


def _keys(name: str) -> set[str]:
    data = load_seed(name)
    return set(data[0] if isinstance(data, list) else data)


def _points_keys() -> set[str]:
    keys = _keys("002_points_debit_response")
    for variant in load_seed("000_points_post_response").values():
        keys |= set(variant)
    return keys


def _order(order_id: str, user: str = MEMBER, **extra) -> dict:
    return {"id": order_id, "userId": user, "orderTotal": "30.00", "source": "POS",
            "orderDetail": [{"id": "L1", "productName": "Tea", "unitPrice": "10.00", "quantity": 3,
                             "terminalNote": "x"}], **extra}


def _redeem(ref: str, code: str = "GC-1000-0002", user: str = MEMBER, **extra) -> dict:
    return {"incentiveCode": code, "userId": user, "codeValue": "1.00", "referenceId": ref, **extra}


def test_reads_answer_with_only_documented_fields(doc):
    user = raw_get(doc, f"users/{MEMBER}", MEMBER)
    assert user.status_code == 200 and set(user.json()) <= _keys("002_get_user_details")
    assert user.json()["id"] == MEMBER
    points = raw_get(doc, f"points/{MEMBER}", MEMBER).json()
    assert set(points) <= _keys("000_points_get_response") | _keys("002_get_user_points")
    assert points["availablePoints"] == 1320 and "currentTier" not in points
    rewards = raw_get(doc, f"users/{MEMBER}/reward", MEMBER).json()
    assert set(rewards) <= _keys("002_available_rewards") and rewards["rewardDetail"]
    reward_keys = set(load_seed("002_available_rewards")["rewardDetail"][0])
    assert all(set(r) <= reward_keys for r in rewards["rewardDetail"])
    codes = raw_get(doc, f"incentive/usercodedetails/{OTHER}", OTHER).json()
    assert codes["codes"] and all(set(c) <= _keys("001_updatecodedetails_response") for c in codes["codes"])
    valid = raw_get(doc, "incentive/validatecode/GC-1000-0002", "GC-1000-0002").json()
    assert set(valid) <= _keys("001_updatecodedetails_response") and valid["balanceCodeValue"] == "20.00"


def test_writes_answer_with_only_documented_fields_and_ignore_extra_fields(doc):
    placed = raw_send(doc, "POST", "orders", _order("D-1", terminalId="T9", taxAmount="1.00",
                                                    payments=[{"type": "cash", "amount": "30.00"}]))
    assert placed.status_code == 200, placed.text
    body = placed.json()
    assert set(body) <= _keys("002_place_order_response")
    assert body["pointsAwarded"] == 30 and body["orderDetail"][0]["points"] == 30
    assert set(body["orderDetail"][0]) <= set(load_seed("002_place_order_response")["orderDetail"][0])
    assert "terminalId" not in body and "payments" not in body and "taxAmount" not in body
    debit = raw_send(doc, "POST", "points", {"id": MEMBER, "activity": "DEBIT", "actionId": "100", "debit": 10,
                                              "orderId": "D-1", "customId": "ret-1", "reason": "return",
                                              "returnLines": [{"id": "L1", "quantity": 1}]})
    assert debit.status_code == 200, debit.text
    assert set(debit.json()) <= _points_keys() and debit.json()["pointsDeducted"] == 10
    assert "returnLines" not in debit.json()
    # Just a member debit: recorded with the order id, the order's lines untouched.
    assert [(r["order_id"], r["points"]) for r in ledger(doc, "points_debit")] == [("D-1", -10)]
    assert doc.store.read("SELECT returned FROM order_lines")[0]["returned"] == 0
    credit = raw_send(doc, "POST", "points", {"id": MEMBER, "activity": "CREDIT", "actionId": "100",
                                               "credit": 5, "customId": "c-1"})
    assert set(credit.json()) <= _points_keys() and credit.json()["pointsAwarded"] == 5
    bulk = raw_send(doc, "POST", "bulkpoints", {"1": {"id": MEMBER, "activity": "CREDIT", "credit": 2}})
    assert set(bulk.json()["1"]) <= _keys("000_bulkpoints_post_response") | _points_keys()
    returned = raw_send(doc, "PATCH", "orders/D-1", {"status": "return"})
    assert returned.status_code == 200 and set(returned.json()) <= _keys("002_order_return_response")
    assert returned.json()["pointsRemoved"] == 30
    code = raw_send(doc, "PATCH", f"incentive/updatecodedetails/{MEMBER}", _redeem("r-1"))
    assert code.status_code == 200 and set(code.json()) <= _keys("001_updatecodedetails_response")
    batch = raw_send(doc, "PATCH", f"incentive/updatebatchcodedetails/{doc.store.site.site_id}", [_redeem("r-2")])
    assert batch.status_code == 200
    assert set(batch.json()[0]) <= _keys("001_updatebatchcodedetails_response")


def test_a_debit_without_debit_is_refused_when_return_lines_are_ignored(doc):
    raw_send(doc, "POST", "orders", _order("D-2"))
    reply = raw_send(doc, "POST", "points", {"id": MEMBER, "activity": "DEBIT", "orderId": "D-2",
                                              "customId": "x", "returnLines": [{"id": "L1", "quantity": 1}]})
    assert reply.status_code == 400 and reply.json()["errorCode"] == "E40001"


@pytest.mark.parametrize("method,path,body", [
    ("POST", "users", {"email": "new@example.com"}),
    ("GET", "orders/D-1", None),
    ("GET", f"points/{MEMBER}/activity?customId=x", None),
    ("GET", "incentive/redemption/r-1", None),
    ("POST", "incentive/codes", {"incentiveCode": "NEW1", "codeValue": "5"}),
    ("POST", "incentive/assigncodes", {"incentiveCode": "SAVE5", "userId": MEMBER}),
    ("GET", "pointsexpiry/M100002", None),
])
def test_undocumented_routes_are_a_missing_record(doc, method, path, body):
    raw_send(doc, "POST", "orders", _order("D-1"))
    reply = raw_get(doc, path, path.rsplit("/", 1)[-1]) if body is None else raw_send(doc, method, path, body)
    assert reply.status_code == 404
    assert reply.json() == {"errorCode": "AC1005", "errorMessage": "No data found"}


def test_refusals_answer_codes_the_terminal_cannot_know(doc):
    low = raw_send(doc, "PATCH", f"incentive/updatecodedetails/{MEMBER}",
                   _redeem("r-1", code="GC-1000-0003", codeValue="5.00"))
    assert (low.status_code, low.json()["errorCode"]) == (422, "E42202")
    assert "balance" in low.json()["errorMessage"]
    inactive = raw_send(doc, "PATCH", f"incentive/updatecodedetails/{MEMBER}", _redeem("r-2", code="GC-1000-0099"))
    assert (inactive.status_code, inactive.json()["errorCode"]) == (422, "E42201")
    poor = raw_send(doc, "POST", "points", {"id": "M100001", "activity": "DEBIT", "actionId": "107",
                                             "rewardId": "29662", "customId": "p"})
    assert (poor.status_code, poor.json()["errorCode"]) == (422, "E42203")
    raw_send(doc, "POST", "points", {"id": MEMBER, "activity": "CREDIT", "credit": 1, "customId": "k"})
    reused = raw_send(doc, "POST", "points", {"id": MEMBER, "activity": "CREDIT", "credit": 2, "customId": "k"})
    assert (reused.status_code, reused.json()["errorCode"]) == (409, "E40901")
    limit = raw_send(doc, "POST", "points", {"id": MEMBER, "activity": "CREDIT", "credit": 10**7})
    assert (limit.status_code, limit.json()["errorCode"]) == (422, "AC1026")
    junk = raw_send(doc, "POST", "points", b"{not json")
    assert (junk.status_code, junk.json()["errorCode"]) == (400, "E40001")
    bulk = raw_send(doc, "POST", "bulkpoints", {"1": {"id": MEMBER, "activity": "SIDEWAYS"}})
    assert bulk.json()["1"]["errorCode"] == "E40001"
    for reply in (low, inactive, poor, reused, junk):
        assert not reply.json()["errorCode"].startswith("AC")


@pytest.mark.parametrize("profile", ["documented", "extended"])
def test_an_unknown_action_is_refused_and_spends_nothing(tmp_path, profile):
    with SandboxServer(tmp_path / "a.sqlite3", profile=profile) as server:
        raw_send(server, "PATCH", f"incentive/updatecodedetails/{MEMBER}", _redeem("r-1"))
        reply = raw_send(server, "PATCH", f"incentive/updatecodedetails/{MEMBER}",
                         _redeem("r-2", action="UNDOO", originalReferenceId="r-1"))
        assert reply.status_code == 400
        assert len(ledger(server, "code_redeem")) == 1 and not ledger(server, "code_undo")
        undo = raw_send(server, "PATCH", f"incentive/updatecodedetails/{MEMBER}",
                        _redeem("r-3", action="UNDO", originalReferenceId="r-1"))
        assert undo.status_code == 200 and len(ledger(server, "code_undo")) == 1


def test_protection_switches_per_kind_of_write(doc):
    shown = set_faults(doc, points_protection=False)
    assert shown["points_protection"] is False and shown["duplicate_protection"] is False
    assert shown["order_protection"] is True and shown["code_protection"] is True
    credit = {"id": MEMBER, "activity": "CREDIT", "credit": 3, "customId": "same"}
    raw_send(doc, "POST", "points", credit)
    raw_send(doc, "POST", "points", credit)
    assert len(ledger(doc, "points_credit")) == 2  # points unprotected: applied twice
    raw_send(doc, "POST", "orders", _order("D-9"))
    raw_send(doc, "POST", "orders", _order("D-9"))
    assert len(ledger(doc, "order_create")) == 1  # orders still protected
    raw_send(doc, "PATCH", f"incentive/updatecodedetails/{MEMBER}", _redeem("r-1"))
    again = raw_send(doc, "PATCH", f"incentive/updatecodedetails/{MEMBER}", _redeem("r-1"))
    assert again.status_code == 200 and len(ledger(doc, "code_redeem")) == 1
    set_faults(doc, code_protection=False, order_protection=False)
    raw_send(doc, "POST", "orders", _order("D-9"))
    assert len(ledger(doc, "order_create")) == 2
    raw_send(doc, "PATCH", f"incentive/updatecodedetails/{MEMBER}", _redeem("r-1"))
    assert len(ledger(doc, "code_redeem")) == 2
    shown = set_faults(doc, duplicate_protection=True)
    assert all(shown[k] for k in ("order_protection", "points_protection", "code_protection",
                                  "duplicate_protection"))
    assert doc.store.duplicate_protection is True


def _log(server, **body):
    return raw_send(server, "POST", "incentive/getredemptionlog", body)


def _stamp(row_created: str, seconds: int = 0) -> str:
    when = datetime.strptime(row_created, "%Y-%m-%dT%H:%M:%S+0000") + timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("profile", ["documented", "extended"])
def test_redemption_log_counts_redemptions_and_undos_in_the_window(tmp_path, profile):
    with SandboxServer(tmp_path / "l.sqlite3", profile=profile) as server:
        path = f"incentive/updatecodedetails/{MEMBER}"
        raw_send(server, "PATCH", path, _redeem("r-1"))
        raw_send(server, "PATCH", path, _redeem("r-2", code="SAVE5"))
        raw_send(server, "PATCH", path, _redeem("r-3", action="UNDO", originalReferenceId="r-1"))
        rows = server.store.read("SELECT reference_id, created FROM code_redemptions ORDER BY created")
        first, last = rows[0]["created"], rows[-1]["created"]
        window = {"fromDate": _stamp(first), "toDate": _stamp(last)}
        whole = _log(server, **window)
        assert whole.status_code == 200, whole.text
        assert whole.json() == {"incentiveCode": "", "userId": "", **window,
                                "redemptionCount": 2, "undoRedemptionCount": 1}
        one = _log(server, incentiveCode="GC-1000-0002", userId=MEMBER, **window).json()
        assert (one["redemptionCount"], one["undoRedemptionCount"]) == (1, 1)
        assert _log(server, userId=OTHER, **window).json()["redemptionCount"] == 0
        # Both ends inclusive: a window of the last second alone still holds the undo.
        edge = _log(server, fromDate=_stamp(last), toDate=_stamp(last)).json()
        assert edge["undoRedemptionCount"] == 1
        after = _log(server, fromDate=_stamp(last, 1), toDate=_stamp(last, 60)).json()
        assert (after["redemptionCount"], after["undoRedemptionCount"]) == (0, 0)
        before = _log(server, fromDate=_stamp(first, -60), toDate=_stamp(first, -1)).json()
        assert before["redemptionCount"] == 0
        for bad in ({"toDate": window["toDate"]}, {**window, "fromDate": "yesterday"}):
            assert _log(server, **bad).status_code == 400


@pytest.mark.parametrize("line_points,bought", [(7, 3), (10, 4), (1, 5), (0, 2), (99, 1)])
def test_line_points_function_is_what_partial_return_gives_back(tmp_path, line_points, bought):
    steps = [1] * bought if bought < 4 else [1, bought - 1]
    expected, before_units, before_points = [], 0, 0
    for qty in steps:
        share = orders.returned_line_points(line_points, bought, before_units, before_points, qty)
        expected.append(share)
        before_units, before_points = before_units + qty, before_points + share
    assert sum(expected) == line_points
    with SandboxServer(tmp_path / "p.sqlite3") as server:
        # orderTotal sets the order's points (1 a unit of currency) so the line carries line_points.
        body = {"id": "P-1", "userId": "M100004", "orderTotal": str(line_points),
                "orderDetail": [{"id": "L1", "unitPrice": "1.00", "quantity": bought}]}
        assert raw_send(server, "POST", "orders", body).json()["orderDetail"][0]["points"] == line_points
        got = []
        for n, qty in enumerate(steps):
            reply = raw_send(server, "POST", "points", {"id": "M100004", "activity": "DEBIT", "orderId": "P-1",
                                                         "customId": f"r{n}",
                                                         "returnLines": [{"id": "L1", "quantity": qty}]})
            got.append(reply.json()["debit"])
        assert got == expected
    with pytest.raises(ValueError):
        orders.returned_line_points(5, 2, 2, 5, 1)


def test_kiosk_sandbox_profile_documented_starts(tmp_path):
    proc = subprocess.Popen([KIOSK, "sandbox", "--port", "0", "--profile", "documented",
                             "--db", str(tmp_path / "sb.sqlite3")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path))
    try:
        info = json.loads(_first_line(proc))
        assert info["profile"] == "documented"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
