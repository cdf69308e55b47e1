"""Operators: cashiers and managers, PIN sign-in with a lockout, and manager approvals.

Sign-in is by operator id *and* PIN: a PIN alone would force every PIN to be
unique, and refusing a new PIN as "taken" would tell a cashier a colleague's PIN.
PINs are hashed with the standard library's scrypt (why, and the weak-PIN rule for
managers: checkout/README.md, "Operators"). Nothing here logs or audits a PIN or a hash.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Callable, NoReturn

from kiosk.checkout.audit import AuditLog
from kiosk.checkout.errors import OperatorError
from kiosk.i18n import N_, _, ngettext
from kiosk.outbox.store import Database

CASHIER, MANAGER = "cashier", "manager"
ROLES = (CASHIER, MANAGER)
MAX_FAILURES = 5
LOCK_SECONDS = 60.0
PIN_MIN, PIN_MAX = 4, 8
APPROVAL_ACTIONS = frozenset({"price_override", "void", "return", "offline_allowance", "retry_dead_letter",
                              "resolve_held_write"})
# 16 MiB and about 50 ms per check: slow for a thief's loop, unnoticeable at the till.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 16384, 8, 1
_MAXMEM = 64 * 1024 * 1024
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}")
_HASH = re.compile(r"scrypt\$n=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)")

DEMO_OPERATORS = (("C01", "Casey", CASHIER, "1111"), ("M01", "Morgan", MANAGER, "2580"))
UNKNOWN_IDS_KEPT = 1000
# One whole sentence per action a cashier's PIN can't approve, not the action's name glued
# into one: in other languages the article and the words around it change with it.
NOT_A_MANAGER = {
    "price_override": N_("{0} is a cashier; only a manager's PIN approves a price override."),
    "void": N_("{0} is a cashier; only a manager's PIN approves a void."),
    "return": N_("{0} is a cashier; only a manager's PIN approves a return."),
    "offline_allowance": N_("{0} is a cashier; only a manager's PIN approves an offline allowance."),
    "retry_dead_letter": N_("{0} is a cashier; only a manager's PIN approves a retry dead letter."),
    "resolve_held_write": N_("{0} is a cashier; only a manager's PIN approves a resolve held write."),
}


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    role: str
    active: bool
    failed_attempts: int
    locked_until: float | None
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, r: sqlite3.Row) -> "Operator":
        return cls(r["id"], r["name"], r["role"], bool(r["active"]), r["failed_attempts"], r["locked_until"],
                   r["created_at"], r["updated_at"])

    @property
    def is_manager(self) -> bool:
        return self.role == MANAGER


@dataclass(frozen=True)
class Approval:
    action: str
    manager_id: str
    requested_by: str
    subject: str
    reason: str
    at: float
    audit_id: int | None = None  # None until recorded (see AuditLog.record / record_approval)


def hash_pin(pin: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    # hashlib.scrypt: a vetted, memory-hard KDF already in the standard library, so
    # no new dependency; a random salt per operator, and the cost in the string so
    # it can be raised later without breaking the PINs already stored.
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)
    b64 = base64.b64encode
    return f"scrypt$n={n},r={r},p={p}${b64(salt).decode()}${b64(digest).decode()}"


@functools.cache
def _decoy_hash() -> str:
    """Checked against for an unknown id, so that refusal costs what a wrong PIN costs."""
    return hash_pin(secrets.token_hex(8))


def verify_pin(pin: str, stored: str) -> bool:
    match = _HASH.fullmatch(stored or "")
    if not match:
        return False
    n, r, p = (int(x) for x in match.group(1, 2, 3))
    salt, expected = base64.b64decode(match.group(4)), base64.b64decode(match.group(5))
    try:
        digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=len(expected))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(digest, expected)


def _is_weak(pin: str) -> bool:
    # Modulo 10 so runs that wrap round the keypad's digits (7890, 2109) count too.
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:])}
    return steps in ({0}, {1}, {9})


def check_pin(pin: str, role: str) -> None:
    """Refuse a PIN that is not 4 to 8 digits, or a trivially guessed one for a manager."""
    if not (isinstance(pin, str) and pin.isascii() and pin.isdigit() and PIN_MIN <= len(pin) <= PIN_MAX):
        raise OperatorError(_("A PIN is {0} to {1} digits, nothing else; choose another.").format(PIN_MIN, PIN_MAX))
    if role == MANAGER and _is_weak(pin):
        raise OperatorError(_("A manager's PIN can't be all one digit or a straight run like 1234; choose another."))


def _wait_text(seconds: float) -> str:
    """How long, as the sentences around it read it: seconds under two minutes, else minutes."""
    seconds = max(1, round(seconds))
    if seconds < 120:
        return ngettext("{0} second", "{0} seconds", seconds).format(seconds)
    minutes = round(seconds / 60)
    return ngettext("{0} minute", "{0} minutes", minutes).format(minutes)


class Operators:
    def __init__(self, db: Database, *, terminal_id: str = "T01", clock: Callable[[], float] = time.time,
                 audit: AuditLog | None = None, max_failures: int = MAX_FAILURES,
                 lock_seconds: float = LOCK_SECONDS):
        self.db = db
        self.clock = clock
        self.audit = audit or AuditLog(db, terminal_id, clock)
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        # Wrong tries at ids nobody has, oldest first: id -> (failures, locked until).
        self._unknown_tries: dict[str, tuple[int, float | None]] = {}
        self._unknown_lock = threading.Lock()  # sign-ins and approvals check in worker threads
        _decoy_hash()  # made now (~50 ms, once a process), so the first unknown id costs no more than later ones

    # -- reading -----------------------------------------------------------

    def find(self, operator_id: str) -> Operator | None:
        rows = self.db.read("SELECT * FROM operators WHERE id = ?", (operator_id,))
        return Operator.of(rows[0]) if rows else None

    def get(self, operator_id: str) -> Operator:
        found = self.find(operator_id)
        if found is None:
            raise OperatorError(_("There is no operator {0}; check the ID (`kiosk operators list`).")
                                .format(repr(operator_id)))
        return found

    def list(self) -> list[Operator]:
        return [Operator.of(r) for r in self.db.read("SELECT * FROM operators ORDER BY id")]

    # -- managing (store IT, or a manager in the app) ----------------------

    def check_new(self, operator_id: str, name: str, role: str) -> str:
        """Refuse a bad id, name or role, or a taken id; returns the tidied name."""
        name = " ".join((name or "").split())
        if not _ID.fullmatch(operator_id or ""):
            raise OperatorError(_("An operator ID is 1 to 16 letters, digits, '-' or '_', like C01."))
        if not 1 <= len(name) <= 60:
            raise OperatorError(_("An operator's name is 1 to 60 characters."))
        if role not in ROLES:
            raise OperatorError(_("The role is {0} or {1}, not {2}.").format(CASHIER, MANAGER, repr(role)))
        if self.find(operator_id):
            raise OperatorError(_("Operator {0} already exists; choose another ID.").format(operator_id))
        return name

    def add(self, operator_id: str, name: str, role: str, pin: str, *, by: str | None = None) -> Operator:
        name = self.check_new(operator_id, name, role)
        check_pin(pin, role)
        pin_hash, now = hash_pin(pin), self.clock()
        with self.db.tx() as conn:
            if conn.execute("SELECT 1 FROM operators WHERE id = ?", (operator_id,)).fetchone():
                raise OperatorError(_("Operator {0} already exists; choose another ID.").format(operator_id))
            conn.execute("INSERT INTO operators (id, name, role, pin_hash, created_at, updated_at)"
                         " VALUES (?,?,?,?,?,?)", (operator_id, name, role, pin_hash, now, now))
            self.audit.record(conn, operator_id=by, action="operator_added", subject=f"operator {operator_id}",
                              detail={"role": role})
        return self.get(operator_id)

    def set_pin(self, operator_id: str, pin: str, *, by: str | None = None) -> None:
        """A new PIN also lifts a lock: the person at the till has proved who they are to IT."""
        check_pin(pin, self.get(operator_id).role)
        pin_hash = hash_pin(pin)
        with self.db.tx() as conn:
            conn.execute("UPDATE operators SET pin_hash = ?, failed_attempts = 0, locked_until = NULL,"
                         " updated_at = ? WHERE id = ?", (pin_hash, self.clock(), operator_id))
            self.audit.record(conn, operator_id=by, action="pin_changed", subject=f"operator {operator_id}")

    def set_active(self, operator_id: str, active: bool, *, by: str | None = None) -> None:
        operator = self.get(operator_id)
        with self.db.tx() as conn:
            if not active and operator.is_manager:
                others = conn.execute("SELECT COUNT(*) FROM operators WHERE role = ? AND active = 1 AND id != ?",
                                      (MANAGER, operator_id)).fetchone()[0]
                if not others:
                    raise OperatorError(_("{0} is the last active manager; add another manager before disabling "
                                          "this one, or nobody can approve anything.").format(operator.name))
            conn.execute("UPDATE operators SET active = ?, failed_attempts = 0, locked_until = NULL,"
                         " updated_at = ? WHERE id = ?", (int(active), self.clock(), operator_id))
            self.audit.record(conn, operator_id=by, action="operator_enabled" if active else "operator_disabled",
                              subject=f"operator {operator_id}")

    def disable(self, operator_id: str, *, by: str | None = None) -> None:
        self.set_active(operator_id, False, by=by)

    def ensure_demo_operators(self) -> list[Operator]:
        """The sandbox's first operators (see checkout/README.md), only when there are none yet."""
        if self.db.read("SELECT 1 FROM operators LIMIT 1"):
            return []
        return [self.add(i, name, role, pin) for i, name, role, pin in DEMO_OPERATORS]

    # -- signing in and approving ------------------------------------------

    def _check(self, operator_id: str, pin: str, *, action: str, subject: str) -> Operator:
        """Verify id and PIN, counting failures and locking; every outcome is audited.

        An unknown id gets the same sentence, the same ~50 ms of scrypt and the same count
        and lock as a known id with a wrong PIN, so the form never tells a stranger which
        ids exist, and no operator is named before the PIN matched.
        Failures commit in a transaction of their own: a caller that rolls back on the
        error must not undo the count, or the lockout could be walked around."""
        known = self.find(operator_id) is not None
        if not (PIN_MIN <= len(pin or "") <= PIN_MAX and pin.isascii() and pin.isdigit()):
            # Not counted toward the lock: a slip of the finger, not a guess.
            self.audit.append(operator_id=operator_id if known else None, action=f"{action}_failed",
                              subject=subject, detail={"why": "not a PIN"})
            raise OperatorError(_("A PIN is {0} to {1} digits; try again.").format(PIN_MIN, PIN_MAX))
        if not known:
            self._unknown(operator_id, pin, action=action, subject=subject)
        matches = verify_pin(pin, self._hash(operator_id))  # outside the write lock: it takes ~50 ms
        error = None
        with self.db.tx() as conn:
            row = conn.execute("SELECT * FROM operators WHERE id = ?", (operator_id,)).fetchone()
            operator, now = Operator.of(row), self.clock()
            audit = {"operator_id": operator_id, "subject": subject}
            if operator.locked_until and operator.locked_until > now:
                self.audit.record(conn, action=f"{action}_failed", detail={"why": "locked"}, **audit)
                error = self._locked_text(operator.locked_until - now)
            elif not matches:
                failures = operator.failed_attempts + 1
                locked = failures >= self.max_failures
                conn.execute("UPDATE operators SET failed_attempts = ?, locked_until = ? WHERE id = ?",
                             (0 if locked else failures, now + self.lock_seconds if locked else None, operator_id))
                if locked:
                    self.audit.record(conn, action="lockout", detail={"failures": failures}, **audit)
                else:
                    self.audit.record(conn, action=f"{action}_failed",
                                      detail={"why": "wrong PIN", "failures": failures}, **audit)
                error = self._wrong_text(failures)
            elif not operator.active:
                # Said only to whoever knows the PIN: to anyone else it is one more wrong try.
                self.audit.record(conn, action=f"{action}_failed", detail={"why": "disabled"}, **audit)
                error = _("This sign-in is disabled; ask a manager.")
            else:
                if operator.failed_attempts or operator.locked_until:
                    conn.execute("UPDATE operators SET failed_attempts = 0, locked_until = NULL WHERE id = ?",
                                 (operator_id,))
                if action == "sign_in":  # an approval's success is recorded with what it approves
                    self.audit.record(conn, action="sign_in", detail={"role": operator.role}, **audit)
        if error:
            raise OperatorError(error)
        return operator

    def _unknown(self, operator_id: str, pin: str, *, action: str, subject: str) -> NoReturn:
        """A wrong try at an id nobody has: counted and locked like a known one, in memory only
        (nothing is created in the database, and the typed id, maybe a PIN, is never written)."""
        verify_pin(pin, _decoy_hash())  # the same cost as a real check: the delay tells nothing
        now = self.clock()
        with self._unknown_lock:
            failures, locked_until = self._unknown_tries.pop(operator_id, (0, None))
            if locked_until and locked_until > now:
                self._unknown_tries[operator_id] = (failures, locked_until)
                why, error = "locked", self._locked_text(locked_until - now)
            else:
                failures += 1
                locked = failures >= self.max_failures
                self._unknown_tries[operator_id] = (0, now + self.lock_seconds) if locked else (failures, None)
                why, error = ("lockout" if locked else "unknown operator id"), self._wrong_text(failures)
            while len(self._unknown_tries) > UNKNOWN_IDS_KEPT:  # typing can't grow this without bound
                self._unknown_tries.pop(next(iter(self._unknown_tries)))
        if why == "lockout":
            self.audit.append(operator_id=None, action="lockout", subject=subject,
                              detail={"why": "unknown operator id", "failures": failures})
        else:
            self.audit.append(operator_id=None, action=f"{action}_failed", subject=subject, detail={"why": why})
        raise OperatorError(error)

    def _wrong_text(self, failures: int) -> str:
        if failures >= self.max_failures:
            # Translators: {0} is how long ("60 seconds", "5 minutes"), {1} the number of wrong tries.
            return ngettext("That operator ID and PIN don't match; locked for {0} after {1} wrong try.",
                            "That operator ID and PIN don't match; locked for {0} after {1} wrong tries.",
                            failures).format(_wait_text(self.lock_seconds), failures)
        left = self.max_failures - failures
        lock = max(1, round(self.lock_seconds))
        # "a 60-second lock", "a 5-minute lock": the length is an adjective in English, a whole sentence each.
        if lock < 120:
            return ngettext("That operator ID and PIN don't match; {0} try left before a {1}-second lock.",
                            "That operator ID and PIN don't match; {0} tries left before a {1}-second lock.",
                            left).format(left, lock)
        return ngettext("That operator ID and PIN don't match; {0} try left before a {1}-minute lock.",
                        "That operator ID and PIN don't match; {0} tries left before a {1}-minute lock.",
                        left).format(left, round(lock / 60))

    def _locked_text(self, seconds: float) -> str:
        # Translators: {0} is the number of wrong tries, {1} how long ("45 seconds", "5 minutes").
        return ngettext("That operator ID is locked after {0} wrong try; try again in {1}.",
                        "That operator ID is locked after {0} wrong tries; try again in {1}.",
                        self.max_failures).format(self.max_failures, _wait_text(seconds))

    def _hash(self, operator_id: str) -> str:
        return self.db.read("SELECT pin_hash FROM operators WHERE id = ?", (operator_id,))[0][0]

    def sign_in(self, operator_id: str, pin: str) -> Operator:
        return self.get(self._check(operator_id, pin, action="sign_in", subject="").id)

    def sign_out(self, operator_id: str) -> None:
        self.audit.append(operator_id=operator_id, action="sign_out")

    def authorize(self, action: str, manager_id: str, pin: str, *, requested_by: str, subject: str = "",
                  reason: str = "") -> Approval:
        """Check a manager's approval without recording it: the caller records it with its
        own writes (`record_approval(conn, approval, detail)`), so a sale and its approval
        commit together. Refusals are audited here, in transactions of their own."""
        if action not in APPROVAL_ACTIONS:
            raise OperatorError(f"{action!r} is not something a manager approves here "
                                f"({', '.join(sorted(APPROVAL_ACTIONS))}).")
        reason = " ".join((reason or "").split())
        if not reason:
            raise OperatorError(_("Say why in a few words before asking a manager to approve."))
        requester = self.get(requested_by)
        if not requester.active:
            raise OperatorError(_("{0}'s sign-in is disabled, so they can't ask for approvals.").format(requester.name))
        manager = self._check(manager_id, pin, action="approval", subject=subject)
        if not manager.is_manager:
            self.audit.append(operator_id=requested_by, action="approval_failed", subject=subject,
                              detail={"why": "not a manager", "for": action, "asked": manager_id})
            raise OperatorError(_(NOT_A_MANAGER[action]).format(manager.name))
        return Approval(action, manager.id, requested_by, subject, reason, self.clock())

    def record_approval(self, conn: sqlite3.Connection, approval: Approval, detail: dict | None = None) -> int:
        """The audit entry of an approved action, inside the caller's transaction."""
        return self.audit.record(conn, operator_id=approval.requested_by, action=approval.action,
                                 subject=approval.subject, approver_id=approval.manager_id,
                                 detail={**(detail or {}), "reason": approval.reason})

    def approve(self, action: str, manager_id: str, pin: str, *, requested_by: str, subject: str,
                reason: str, detail: dict | None = None) -> Approval:
        """Check and record in one go, for approvals that are the whole event
        (an offline allowance, a dead letter sent again)."""
        approval = self.authorize(action, manager_id, pin, requested_by=requested_by, subject=subject,
                                  reason=reason)
        with self.db.tx() as conn:
            audit_id = self.record_approval(conn, approval, detail)
        return dataclasses.replace(approval, audit_id=audit_id)
