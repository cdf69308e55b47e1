"""The audit log: written with the caller's transaction, append-only, filtered, readable, no member data."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

import pytest

from kiosk.checkout.audit import AuditError, AuditLog, Entry, format_entry
from kiosk.checkout.operators import Operators
from tests.helpers import Clock

T0 = datetime(2026, 12, 1, 16, 40, 2).timestamp()


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def audit(db, clock):
    return AuditLog(db, "T01", clock)


def test_an_entry_commits_with_the_callers_transaction_or_not_at_all(db, audit):
    with pytest.raises(RuntimeError):
        with db.tx() as conn:
            audit.record(conn, operator_id="C01", action="sale", subject="sale T01-A", detail={"total": "9.50"})
            raise RuntimeError("payment failed")
    assert audit.entries() == []
    with db.tx() as conn:
        entry_id = audit.record(conn, operator_id="C01", action="sale", subject="sale T01-A",
                                detail={"total": "9.50", "member_id": "M100001"})
    [entry] = audit.entries()
    assert entry == Entry(entry_id, T0, "T01", "C01", "sale", "sale T01-A", {"total": "9.50", "member_id": "M100001"})


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"])
def test_the_log_is_append_only(db, audit, statement):
    audit.append(operator_id="C01", action="sign_in")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with db.tx() as conn:
            conn.execute(statement)
    assert [e.action for e in audit.entries()] == ["sign_in"]
    assert not hasattr(audit, "delete") and not hasattr(audit, "update")


@pytest.mark.parametrize("detail", [
    {"email": "x@y.com"}, {"member_email": "M100001"}, {"phone": "5550100"}, {"note": "call ann@example.org"},
    {"contact": "+1 (555) 010-0199"}, {"card": "4000123412341234"}, {"pin": "1111"}, {"new_pin": "x"},
    {"pin_hash": "x"}, {"first_name": "Ann"}, {"lines": [{"address": "1 Main St"}]},
])
def test_member_contact_data_and_secrets_are_refused(audit, detail):
    with pytest.raises(AuditError):
        audit.append(operator_id="C01", action="sale", detail=detail)
    assert audit.entries() == []


def test_ids_prices_and_ordinary_words_are_fine(audit):
    detail = {"member_id": "M100001", "shipping": "none", "item": "COF-001", "from": "7.99", "to": "5.00",
              "order": "T01-01JD3Q8Z6N5V4C2B1A0ZYXWVTS", "points": 1250, "spinach": True}
    audit.append(operator_id="C01", action="price_override", detail=detail)
    assert audit.entries()[0].detail == detail


def test_actions_are_lower_case_words(audit):
    with pytest.raises(AuditError):
        audit.append(operator_id="C01", action="Price Override")


def test_entries_filter_by_day_operator_action_and_limit(audit, clock):
    for n, (who, action, approver) in enumerate([("C01", "sign_in", None), ("C02", "sign_in", None),
                                                 ("C01", "void", "M01"), ("C02", "return", "M01")]):
        clock.now = T0 + n * 86_400
        audit.append(operator_id=who, action=action, subject=f"n{n}", approver_id=approver)
    subjects = lambda entries: [e.subject for e in entries]  # noqa: E731
    assert subjects(audit.entries()) == ["n0", "n1", "n2", "n3"]
    assert subjects(audit.entries(since=date(2026, 12, 3))) == ["n2", "n3"]
    assert subjects(audit.entries(since=T0 + 86_400)) == ["n1", "n2", "n3"]
    assert subjects(audit.entries(operator_id="C01")) == ["n0", "n2"]
    assert subjects(audit.entries(operator_id="M01")) == ["n2", "n3"]  # what a manager approved
    assert subjects(audit.entries(action="sign_in")) == ["n0", "n1"]
    assert subjects(audit.entries(limit=2)) == ["n2", "n3"]  # the newest, oldest first


def test_a_line_a_person_can_read(db, audit):
    ops = Operators(db, clock=audit.clock, audit=audit)
    ops.ensure_demo_operators()
    ops.approve("price_override", "M01", "2580", requested_by="C01", subject="sale T01-01JD3Q8Z6N",
                reason="damaged box", detail={"item": "COF-001", "from": "7.99", "to": "5.00"})
    [entry] = audit.entries(action="price_override")
    assert audit.lines([entry]) == [
        '2026-12-01 16:40:02  T01  Casey (cashier C01)  price_override  sale T01-01JD3Q8Z6N  '
        'COF-001 7.99 -> 5.00 "damaged box"  approved by Morgan (manager M01)']
    assert audit.lines(audit.entries(action="operator_added"))[0] == (
        "2026-12-01 16:40:02  T01  store IT  operator_added  operator C01  role=cashier")


def test_an_unknown_operator_id_still_reads(audit):
    entry = Entry(1, T0, "T02", "C77", "sign_out", "", {}, None)
    assert format_entry(entry) == "2026-12-01 16:40:02  T02  C77  sign_out"
