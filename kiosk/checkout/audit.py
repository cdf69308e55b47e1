"""The audit log: who did what at this terminal, and which manager approved it.

Append-only: there is no update or delete here, and triggers in the schema refuse
both, so an entry once committed stays as written. `record` writes inside the
caller's transaction, so a sale (or a return) and the entry naming its cashier and
approver commit together or not at all.

Never written here: a PIN or a PIN hash, and member data other than the member
id (no email, phone, name or address). `record` refuses a detail that looks like
either, so a careless caller fails in its tests instead of leaking into the log.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable, Mapping

from kiosk.outbox.store import Database

_ACTION = re.compile(r"[a-z][a-z0-9_]{1,39}")
# Keys that name member contact data or a secret: fragments anywhere in the key,
# whole words (so "shipping" is not a "pin"), and whole keys.
_FORBIDDEN_FRAGMENTS = ("email", "phone", "mobile", "password", "secret", "birth")
_FORBIDDEN_WORDS = {"pin", "pins", "address", "token", "dob"}
_FORBIDDEN_KEYS = {"first_name", "last_name", "full_name", "member_name", "customer_name"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Seven or more digits with the punctuation of a phone number; ids and prices have letters or a decimal point.
_PHONE = re.compile(r"\+?[\d\s().\-/]{7,}")


class AuditError(ValueError):
    """A caller tried to write something the audit log must not hold (a programming error)."""


@dataclass(frozen=True)
class Entry:
    id: int
    at: float
    terminal_id: str
    operator_id: str | None
    action: str
    subject: str
    detail: dict = field(default_factory=dict)
    approver_id: str | None = None

    @classmethod
    def of(cls, r: sqlite3.Row) -> "Entry":
        return cls(r["id"], r["at"], r["terminal_id"], r["operator_id"], r["action"], r["subject"],
                   json.loads(r["detail"] or "{}"), r["approver_id"])


def _check_detail(value: Any, where: str = "detail") -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            lowered = str(key).lower()
            if (any(bad in lowered for bad in _FORBIDDEN_FRAGMENTS) or lowered in _FORBIDDEN_KEYS
                    or _FORBIDDEN_WORDS.intersection(re.split(r"[^a-z0-9]+", lowered))):
                raise AuditError(f"audit {where}: the key {key!r} names member contact data or a secret; "
                                 "record the member id only, never a PIN")
            _check_detail(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for n, item in enumerate(value):
            _check_detail(item, f"{where}[{n}]")
    elif isinstance(value, str):
        if _EMAIL.search(value):
            raise AuditError(f"audit {where}: looks like an email address; record the member id instead")
        stripped = value.strip()
        if _PHONE.fullmatch(stripped) and sum(c.isdigit() for c in stripped) >= 7:
            raise AuditError(f"audit {where}: looks like a phone or card number; record the member id instead")


def _encode(detail: Mapping[str, Any] | None) -> str:
    detail = dict(detail or {})
    _check_detail(detail)
    # default=str: Decimal amounts are written as their exact text ("5.00"), not floats.
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _since(value: float | date | datetime | None) -> float | None:
    if value is None or isinstance(value, (int, float)):
        return value
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)  # local midnight
    return value.timestamp()


class AuditLog:
    def __init__(self, db: Database, terminal_id: str = "T01", clock: Callable[[], float] = time.time):
        self.db = db
        self.terminal_id = terminal_id
        self.clock = clock
        # Called with (action, detail) once an entry's transaction commits (kiosk/fleet counts sales and returns).
        self.listeners: list[Callable[[str, Mapping[str, Any]], None]] = []

    def record(self, conn: sqlite3.Connection, *, operator_id: str | None, action: str, subject: str = "",
               detail: Mapping[str, Any] | None = None, approver_id: str | None = None) -> int:
        """Append one entry inside the caller's transaction; returns its id.

        `subject` names what was acted on, kind first: "sale T01-01J...", "operator C01".
        `operator_id` None means store IT at the command line (or an unknown id at sign-in)."""
        if not _ACTION.fullmatch(action):
            raise AuditError(f"audit action {action!r} must be a lower_case word")
        for listener in self.listeners:
            self.db.after_commit(functools.partial(listener, action, dict(detail or {})))
        return conn.execute(
            "INSERT INTO audit_log (at, terminal_id, operator_id, action, subject, detail, approver_id)"
            " VALUES (?,?,?,?,?,?,?)",
            (self.clock(), self.terminal_id, operator_id, action, subject, _encode(detail), approver_id),
        ).lastrowid

    def append(self, **entry: Any) -> int:
        """`record` in a transaction of its own, for events that stand alone."""
        with self.db.tx() as conn:
            return self.record(conn, **entry)

    def entries(self, since: float | date | datetime | None = None, operator_id: str | None = None,
                action: str | None = None, limit: int = 200) -> list[Entry]:
        """The newest `limit` entries that match, oldest first (the order a person reads them)."""
        where, args = [], []
        if since is not None:
            where.append("(at >= ?)")
            args.append(_since(since))
        if operator_id is not None:
            where.append("(operator_id = ? OR approver_id = ?)")
            args += [operator_id, operator_id]
        if action is not None:
            where.append("action = ?")
            args.append(action)
        sql = (f"SELECT * FROM (SELECT * FROM audit_log {'WHERE ' + ' AND '.join(where) if where else ''}"
               " ORDER BY id DESC LIMIT ?) ORDER BY id")
        return [Entry.of(r) for r in self.db.read(sql, (*args, max(0, limit)))]

    def operator_names(self) -> dict[str, tuple[str, str]]:
        # Operators are disabled, never deleted, so every id in the log still has a name.
        return {r["id"]: (r["name"], r["role"]) for r in self.db.read("SELECT id, name, role FROM operators")}

    def lines(self, entries: Iterable[Entry]) -> list[str]:
        names = self.operator_names()
        return [format_entry(e, names) for e in entries]


def _who(operator_id: str | None, names: Mapping[str, tuple[str, str]]) -> str:
    if operator_id is None:
        return "store IT"
    if operator_id in names:
        name, role = names[operator_id]
        return f"{name} ({role} {operator_id})"
    return operator_id


def _detail_text(detail: Mapping[str, Any]) -> str:
    rest = dict(detail)
    parts = []
    if "item" in rest and "from" in rest and "to" in rest:
        parts.append(f"{rest.pop('item')} {rest.pop('from')} -> {rest.pop('to')}")
    reason = rest.pop("reason", None)
    parts += [f"{k}={v if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False)}"
              for k, v in sorted(rest.items())]
    if reason:
        parts.append(json.dumps(str(reason), ensure_ascii=False))
    return " ".join(parts)


def format_entry(entry: Entry, names: Mapping[str, tuple[str, str]] | None = None) -> str:
    """One line a person can read, e.g.
    `2026-12-01 16:40:02  T01  Casey (cashier C01)  price_override  sale T01-01J...  COF-001 7.99 -> 5.00
    "damaged box"  approved by Morgan (manager M01)`."""
    names = names or {}
    when = datetime.fromtimestamp(entry.at).strftime("%Y-%m-%d %H:%M:%S")
    parts = [when, entry.terminal_id, _who(entry.operator_id, names), entry.action]
    if entry.subject:
        parts.append(entry.subject)
    text = _detail_text(entry.detail)
    if text:
        parts.append(text)
    if entry.approver_id:
        parts.append(f"approved by {_who(entry.approver_id, names)}")
    return "  ".join(parts)
