"""The queue as a manager handles it: what waits, what could not be sent, and the two
business transactions on it, with their approvals.

- `read(till)` reads everything the queue screen shows in one go (call it in a thread).
  Reasons have the row's member id and anything that looks like contact data taken out
  (`scrub`); bodies and paths are never shown, they carry member ids. A kiosk enrolment's
  dead letter carries its consent record (marketing yes/no, wording, time) and the contact
  masked, read from its stored intent, never from the bytes that were sent.
- `send_again(...)`: a dead letter is queued again once a manager approves
  ("retry_dead_letter"); the approval is recorded in the audit log and delivery is woken.
- `settle_held(...)`: a write whose reply was lost, on a backend that can't be asked, is
  settled by a manager's word ("resolve_held_write"): it went through, or it is sent again.

A screen supplies the approval prompt (`approve`, as People.ask_approval in
kiosk/app/people.py) and shows the outcome.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Sequence

from kiosk.checkout.offline import Refusal
from kiosk.checkout.sales import Redemption
from kiosk import formats, i18n
from kiosk.scanner.payload import JOINED_MEMBER, MEMBER_ID

# approve(action, subject, details=lines the manager reads) -> the Approval, or None
Approve = Callable[..., Awaitable[Any]]

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_MEMBER_ID = re.compile(rf"\b(?:{JOINED_MEMBER}|{MEMBER_ID})\b")


def scrub(text: str | None, *known: str | None) -> str:
    """A backend's reason without member data: the known ids, then anything that looks like
    an email, a phone number or a member id, become "…"."""
    text = text or ""
    for value in known:
        if value:
            text = text.replace(value, "…")
    text = _EMAIL.sub("…", text)
    text = _PHONE.sub("…", text)
    return _MEMBER_ID.sub("…", text)


@dataclass(frozen=True)
class ConsentRecord:
    """A kiosk enrolment's consent, as the shopper gave it: marketing yes/no, the wording
    they saw, and when (ISO 8601, UTC)."""

    marketing: bool
    wording: str
    given_at: str


@dataclass(frozen=True)
class DeadLetter:
    op_id: int
    kind: str
    attempts: int
    created: str
    reason: str
    # Held: its reply was lost and this backend can't be asked; a manager says what happened.
    held: bool = False
    # An enrolment: its consent record, and the contact masked (a•••@e•••.com), nothing more.
    consent: ConsentRecord | None = None
    contact: str = ""


def _enrolment(intent: str | None) -> dict:
    try:
        found = json.loads(intent or "{}")
    except ValueError:
        return {}
    if not isinstance(found, dict) or found.get("kind") != "enrol" or not isinstance(found.get("consent"), dict):
        return {}
    given = found["consent"]
    return {"consent": ConsentRecord(bool(given.get("marketing")), str(given.get("wording") or ""),
                                     str(given.get("given_at") or "")),
            "contact": str(found.get("contact") or "")}


@dataclass(frozen=True)
class Waiting:
    op_id: int
    kind: str
    sale_id: str | None
    attempts: int
    created: str
    held: bool  # held back behind something of the same sale or card that could not be sent


@dataclass(frozen=True)
class QueueView:
    depth: int
    oldest: str
    dead: int
    blocked: int
    paused: str | None
    letters: tuple[DeadLetter, ...]
    problems: tuple[Redemption, ...]
    refusals: tuple[Refusal, ...]
    waiting: tuple[Waiting, ...]


def _when(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M")


def read(till: Any) -> QueueView:
    """Everything the queue screen shows, read in one go (in a worker thread)."""
    status = till.outbox.status()
    letters = tuple(DeadLetter(r["id"], r["kind"], r["attempts"], _when(r["created_at"]),
                               scrub(i18n.readable(r["last_error"]), r["member_id"]), **_enrolment(r["intent"]))
                    for r in till.outbox.rows("dead", 200))
    letters += tuple(DeadLetter(r["id"], r["kind"], r["attempts"], _when(r["created_at"]),
                                scrub(_with_evidence(i18n.readable(r["last_error"]), r["evidence"]), r["member_id"]), held=True)
                     for r in till.outbox.rows("held", 200))
    waiting = tuple(Waiting(r["id"], r["kind"], r["sale_id"], r["attempts"], _when(r["created_at"]), bool(r["held"]))
                    for r in till.outbox.waiting(200))
    return QueueView(status.depth, formats.duration(status.oldest_age_s), status.dead, status.blocked, status.paused,
                     letters, tuple(till.sales.problems()), tuple(till.allowances.report()), waiting)


def _with_evidence(reason: str | None, evidence: str | None) -> str:
    facts = json.loads(evidence) if evidence else {}
    shown = "; ".join(f"{k}: {v}" for k, v in facts.items() if k != "at")
    if facts.get("at"):
        shown += f" (read {_when(facts['at'])})"
    return (reason or "") + (f" Now: {shown}." if shown else "")


async def send_again(till: Any, approve: Approve, op_id: int, details: Sequence[str]) -> bool | None:
    """Queue dead letter `op_id` again once a manager approves: True when it was queued again,
    False when it already had been (by another hand), None when nobody approved."""
    approval = await approve("retry_dead_letter", str(op_id), details=details)
    if approval is None:
        return None
    again = await asyncio.to_thread(_send_again_now, till, approval, op_id)
    if again:
        till.engine.wake()
    return again


def _send_again_now(till: Any, approval: Any, op_id: int) -> bool:
    till.checkout.approvals.use(approval, "retry_dead_letter", str(op_id), approval.requested_by,
                                i18n._("Sending it again needs a manager's approval."))
    if not till.outbox.retry(op_id):
        return False
    if getattr(approval, "audit_id", None) is None:  # not recorded yet by whoever approved
        with till.db.tx() as conn:
            till.operators.record_approval(conn, approval, {"op": op_id})
    return True


async def settle_held(till: Any, approve: Approve, op_id: int, applied: bool, details: Sequence[str]) -> str | None:
    """Settle held write `op_id` as a manager says (`applied`: it went through). Returns its
    state now ("done", "pending": queued again, "cancelled": its sale was given up), "" when
    it was settled meanwhile, or None when nobody approved."""
    approval = await approve("resolve_held_write", str(op_id), details=details)
    if approval is None:
        return None
    state = await asyncio.to_thread(_settle_now, till, approval, op_id, applied)
    till.engine.wake()
    return state or ""


def _settle_now(till: Any, approval: Any, op_id: int, applied: bool) -> str | None:
    till.checkout.approvals.use(approval, "resolve_held_write", str(op_id), approval.requested_by,
                                i18n._("Settling it needs a manager's approval."))
    with till.db.tx() as conn:
        state = till.outbox.resolve_in(conn, op_id, applied, "settled in the queue window")
        if state is not None and getattr(approval, "audit_id", None) is None:
            till.operators.record_approval(conn, approval, {"op": op_id, "applied": applied, "now": state})
    return state
