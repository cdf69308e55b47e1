"""Operators: PIN hashing, sign-in and its lockout, manager approvals, the schema migration."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from pathlib import Path

import pytest

from kiosk.checkout.operators import (APPROVAL_ACTIONS, OperatorError, Operators, check_pin, hash_pin,
                                      verify_pin)
from kiosk.outbox import store
from kiosk.outbox.store import open_database

FIXTURE_V1 = Path(__file__).parent / "fixtures" / "outbox_v1.sqlite3"


@pytest.fixture
def ops(db, clock):
    operators = Operators(db, clock=clock)
    operators.ensure_demo_operators()
    return operators


def _audit(ops: Operators, action: str | None = None):
    return ops.audit.entries(action=action)


# -- hashing ---------------------------------------------------------------

def test_the_same_pin_hashes_differently_and_the_hash_holds_no_pin(ops, db):
    ops.add("C02", "Ann", "cashier", "1111")
    stored = {r["id"]: r["pin_hash"] for r in db.read("SELECT id, pin_hash FROM operators")}
    assert stored["C01"] != stored["C02"]
    for value in stored.values():
        assert value.startswith("scrypt$n=16384,r=8,p=1$")
        assert "1111" not in value.split("$", 2)[1] and "2580" not in value.split("$", 2)[1]
    assert verify_pin("1111", stored["C02"]) and not verify_pin("1112", stored["C02"])


def test_a_damaged_hash_never_verifies():
    good = hash_pin("4826", n=1024)
    assert verify_pin("4826", good)
    assert not verify_pin("4826", "")
    assert not verify_pin("4826", good.replace("n=1024", "n=1000"))  # not a power of two: scrypt refuses
    assert not verify_pin("4826", good[:-8] + "AAAAAAA=")


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "12 34", "\u0661\u0662\u0663\u0664", ""])
def test_a_pin_is_4_to_8_ascii_digits(pin):
    with pytest.raises(OperatorError, match="4 to 8 digits"):
        check_pin(pin, "cashier")


@pytest.mark.parametrize("pin", ["0000", "1234", "9876", "55555", "34567890", "2109"])
def test_a_manager_pin_is_not_trivially_guessed(pin):
    check_pin(pin, "cashier")  # a cashier may choose it
    with pytest.raises(OperatorError, match="manager's PIN can't be all one digit"):
        check_pin(pin, "manager")


def test_no_pin_reaches_the_log_output(tmp_path, caplog, clock):
    caplog.set_level(logging.DEBUG)
    db = open_database(tmp_path / "t.sqlite3")
    ops = Operators(db, clock=clock)
    ops.ensure_demo_operators()
    ops.sign_in("M01", "2580")
    with pytest.raises(OperatorError):
        ops.sign_in("M01", "9731")
    assert "2580" not in caplog.text and "9731" not in caplog.text and "scrypt$" not in caplog.text
    assert not [e for e in ops.audit.entries() if "2580" in str(e) or "9731" in str(e)]


# -- operators ---------------------------------------------------------------

def test_demo_operators_only_when_there_are_none(db, clock):
    ops = Operators(db, clock=clock)
    made = ops.ensure_demo_operators()
    assert [(o.id, o.name, o.role) for o in made] == [("C01", "Casey", "cashier"), ("M01", "Morgan", "manager")]
    assert ops.ensure_demo_operators() == []
    assert [o.id for o in ops.list()] == ["C01", "M01"]


def test_adding_refuses_bad_ids_names_roles_and_taken_ids(ops):
    for args, message in [(("C 1", "Ann", "cashier"), "operator ID"), (("C02", "  ", "cashier"), "name"),
                          (("C02", "Ann", "owner"), "role"), (("C01", "Ann", "cashier"), "already exists")]:
        with pytest.raises(OperatorError, match=message):
            ops.add(*args, "4826")
    assert ops.add("C02", "  Ann   Lee ", "cashier", "4826").name == "Ann Lee"


def test_the_last_active_manager_cannot_be_disabled(ops):
    with pytest.raises(OperatorError, match="last active manager"):
        ops.disable("M01")
    ops.add("M02", "Bob", "manager", "4826")
    ops.disable("M01")
    assert not ops.get("M01").active
    assert [e.subject for e in _audit(ops, "operator_disabled")] == ["operator M01"]


# -- sign-in -----------------------------------------------------------------

def test_sign_in_with_id_and_pin(ops):
    assert ops.sign_in("C01", "1111").name == "Casey"
    [entry] = _audit(ops, "sign_in")
    assert (entry.operator_id, entry.detail) == ("C01", {"role": "cashier"})


def test_wrong_pins_count_down_then_lock_for_60_seconds_then_unlock(ops, clock):
    messages = []
    for _ in range(5):
        with pytest.raises(OperatorError) as caught:
            ops.sign_in("C01", "2222")
        messages.append(str(caught.value))
    assert messages[0] == "That operator ID and PIN don't match; 4 tries left before a 60-second lock."
    assert messages[3] == "That operator ID and PIN don't match; 1 try left before a 60-second lock."
    assert messages[4] == "That operator ID and PIN don't match; locked for 60 seconds after 5 wrong tries."

    clock.now += 15
    with pytest.raises(OperatorError, match="locked after 5 wrong tries; try again in 45 seconds"):
        ops.sign_in("C01", "1111")  # even the right PIN, while locked
    clock.now += 45.5
    assert ops.sign_in("C01", "1111").failed_attempts == 0
    actions = [e.action for e in _audit(ops) if e.operator_id == "C01"]
    assert actions == ["sign_in_failed"] * 4 + ["lockout", "sign_in_failed", "sign_in"]
    assert _audit(ops, "sign_in_failed")[-1].detail == {"why": "locked"}


def test_a_successful_sign_in_resets_the_count(ops):
    for _ in range(4):
        with pytest.raises(OperatorError):
            ops.sign_in("C01", "2222")
    ops.sign_in("C01", "1111")
    for _ in range(4):
        with pytest.raises(OperatorError, match="tr(y|ies) left"):
            ops.sign_in("C01", "2222")
    assert ops.get("C01").locked_until is None


def test_lock_length_and_count_are_settings(db, clock):
    ops = Operators(db, clock=clock, max_failures=2, lock_seconds=300)
    ops.ensure_demo_operators()
    with pytest.raises(OperatorError, match="1 try left before a 5-minute lock"):
        ops.sign_in("C01", "2222")
    with pytest.raises(OperatorError, match="locked for 5 minutes"):
        ops.sign_in("C01", "2222")


def test_a_new_pin_lifts_the_lock(ops):
    for _ in range(5):
        with pytest.raises(OperatorError):
            ops.sign_in("C01", "2222")
    ops.set_pin("C01", "4826")
    assert ops.sign_in("C01", "4826").id == "C01"
    with pytest.raises(OperatorError, match="don't match"):
        ops.sign_in("C01", "1111")


def test_disabled_operators_cannot_sign_in(ops):
    ops.disable("C01")
    with pytest.raises(OperatorError, match="This sign-in is disabled; ask a manager"):
        ops.sign_in("C01", "1111")
    ops.set_active("C01", True)
    assert ops.sign_in("C01", "1111").active


def test_unknown_id_is_refused_and_the_typed_id_not_recorded(ops):
    with pytest.raises(OperatorError, match="That operator ID and PIN don't match; 4 tries left"):
        ops.sign_in("4826", "1111")  # a PIN keyed into the ID field
    [entry] = _audit(ops, "sign_in_failed")
    assert entry.operator_id is None and "4826" not in str(entry)


def test_an_unknown_id_reads_counts_and_locks_like_a_wrong_pin_without_creating_anyone(ops, clock):
    def refusals(operator_id: str) -> list[str]:
        said = []
        for _ in range(6):
            with pytest.raises(OperatorError) as caught:
                ops.sign_in(operator_id, "2222")
            said.append(str(caught.value))
        return said

    known, unknown = refusals("C01"), refusals("C99")
    assert unknown == known
    assert known[4] == "That operator ID and PIN don't match; locked for 60 seconds after 5 wrong tries."
    assert known[5].startswith("That operator ID is locked after 5 wrong tries")
    assert [o.id for o in ops.list()] == ["C01", "M01"]
    assert [e.detail for e in _audit(ops, "lockout")] == [{"failures": 5},
                                                          {"why": "unknown operator id", "failures": 5}]
    assert all(e.operator_id is None and "C99" not in str(e) for e in _audit(ops) if e.operator_id != "C01")
    clock.now += 61
    with pytest.raises(OperatorError, match="4 tries left"):
        ops.sign_in("C99", "2222")  # the lock ran out, as a known id's does


def test_a_disabled_operator_is_named_disabled_only_to_the_right_pin(ops):
    ops.disable("C01")
    with pytest.raises(OperatorError, match="don't match; 4 tries left"):
        ops.sign_in("C01", "2222")
    with pytest.raises(OperatorError, match="This sign-in is disabled"):
        ops.sign_in("C01", "1111")


def test_a_malformed_pin_is_not_counted(ops):
    with pytest.raises(OperatorError, match="4 to 8 digits"):
        ops.sign_in("C01", "11")
    assert ops.get("C01").failed_attempts == 0
    assert _audit(ops, "sign_in_failed")[-1].detail == {"why": "not a PIN"}


# -- approvals ---------------------------------------------------------------

def _ask(ops, who="M01", pin="2580", action="price_override", **extra):
    args = {"requested_by": "C01", "subject": "sale T01-01JD3Q8Z6N5V4C2B1A0ZYXWVTS", "reason": "damaged box"}
    return ops.approve(action, who, pin, **{**args, **extra})


def test_a_manager_approves_and_both_ids_are_recorded(ops):
    approval = _ask(ops, detail={"item": "COF-001", "from": "7.99", "to": "5.00"})
    assert (approval.manager_id, approval.requested_by, approval.action) == ("M01", "C01", "price_override")
    [entry] = _audit(ops, "price_override")
    assert entry.id == approval.audit_id
    assert (entry.operator_id, entry.approver_id, entry.subject) == ("C01", "M01", approval.subject)
    assert entry.detail == {"item": "COF-001", "from": "7.99", "to": "5.00", "reason": "damaged box"}


def test_a_cashier_pin_never_approves(ops):
    ops.add("C02", "Ann", "cashier", "4826")
    with pytest.raises(OperatorError, match="Ann is a cashier; only a manager's PIN approves a void"):
        _ask(ops, "C02", "4826", "void")
    with pytest.raises(OperatorError, match="approves an offline allowance"):
        _ask(ops, "C02", "4826", "offline_allowance")
    assert _audit(ops, "void") == []
    assert _audit(ops, "approval_failed")[0].detail == {"why": "not a manager", "for": "void", "asked": "C02"}


def test_a_wrong_manager_pin_is_refused_and_counts_toward_the_lock(ops):
    with pytest.raises(OperatorError, match="That operator ID and PIN don't match; 4 tries left"):
        _ask(ops, pin="1357")
    assert ops.get("M01").failed_attempts == 1
    assert _audit(ops, "approval_failed")[-1].operator_id == "M01"


def test_unknown_actions_and_missing_reasons_are_refused(ops):
    with pytest.raises(OperatorError, match="not something a manager approves"):
        _ask(ops, action="free_lunch")
    with pytest.raises(OperatorError, match="Say why"):
        _ask(ops, reason="  ")
    assert APPROVAL_ACTIONS >= {"price_override", "void", "return", "offline_allowance", "retry_dead_letter"}


def test_a_manager_may_approve_their_own_action(ops):
    _ask(ops, requested_by="M01", action="return")
    [entry] = _audit(ops, "return")
    assert entry.operator_id == entry.approver_id == "M01"


def test_an_approval_commits_with_the_callers_writes_or_not_at_all(ops, db):
    approval = ops.authorize("void", "M01", "2580", requested_by="C01", subject="sale T01-X", reason="wrong item")
    assert _audit(ops, "void") == []  # checked, not yet recorded
    with pytest.raises(RuntimeError):
        with db.tx() as conn:
            ops.record_approval(conn, approval, {"lines": 2})
            raise RuntimeError("the sale failed")
    assert _audit(ops, "void") == []
    with db.tx() as conn:
        ops.record_approval(conn, approval, {"lines": 2})
    [entry] = _audit(ops, "void")
    assert (entry.operator_id, entry.approver_id, entry.detail) == ("C01", "M01", {"lines": 2, "reason": "wrong item"})


# -- schema ------------------------------------------------------------------

def test_a_database_from_before_operators_migrates_and_keeps_its_rows(tmp_path, monkeypatch):
    path = tmp_path / "terminal.sqlite3"
    before = store.MIGRATIONS.index(store._v3_operators)
    monkeypatch.setattr(store, "SCHEMA_VERSION", before)
    old = open_database(path)
    with old.tx() as conn:
        conn.execute("INSERT INTO outbox_state (name, value) VALUES ('paused', 'kept')")
    assert old.read("PRAGMA user_version")[0][0] == before
    assert not old.read("SELECT name FROM sqlite_master WHERE name = 'operators'")
    old.close()
    monkeypatch.undo()

    db = open_database(path)
    assert db.read("PRAGMA user_version")[0][0] == store.SCHEMA_VERSION
    assert db.read("SELECT value FROM outbox_state")[0][0] == "kept"
    assert Operators(db).ensure_demo_operators()
    assert Path(f"{path}.v{before}.bak").exists()
    db.close()


def test_the_version_1_fixture_migrates_to_operators(tmp_path):
    path = tmp_path / "terminal.sqlite3"
    shutil.copy(FIXTURE_V1, path)
    db = open_database(path)
    tables = {r[0] for r in db.read("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}
    assert {"operators", "audit_log", "audit_log_no_update", "audit_log_no_delete", "ops"} <= tables
    with pytest.raises(sqlite3.IntegrityError):
        with db.tx() as conn:
            conn.execute("INSERT INTO operators (id, name, role, pin_hash, created_at, updated_at)"
                         " VALUES ('X', 'X', 'owner', '', 0, 0)")
    db.close()
