"""The outbox table: enqueue, lease, record attempts and outcomes, list, retry.

Every state change is one committed transaction, and an attempt is committed
(maybe_sent = 1) before its request leaves, so after a crash the next drainer
knows to ask the backend what happened instead of sending blindly.
Rows are leased: two drainers (the app and `kiosk queue drain`) never hold the
same row, and a lease left by a killed process expires on its own.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, Sequence

from kiosk import i18n
from kiosk.i18n import N_
from kiosk.outbox import ops
from kiosk.outbox.ops import BACKGROUND, URGENT, Operation, undo_after
from kiosk.outbox.store import Database

PENDING, DONE, DEAD = "pending", "done", "dead"
# In doubt, and nothing the site declared can tell whether it was applied: a person
# decides (`kiosk queue resolve`). It holds its groups back, like a dead letter.
HELD = "held"
# Final states that hold nothing back: the backend said no to a redemption at
# Pay (REFUSED), or a redemption abandoned at Pay never took effect (CANCELLED).
REFUSED, CANCELLED = "refused", "cancelled"
NEVER_APPLIED = i18n.stored(i18n.Message(N_("cancelled at the till; it never took effect")))
_NOW = object()  # stands for the clock's reading inside the transaction
# True for a pending row `o` that an earlier dead operation of one of its groups holds back.
_HELD = ("EXISTS (SELECT 1 FROM op_groups g JOIN op_groups e ON e.grp = g.grp AND e.op_id < g.op_id"
         " JOIN ops p ON p.id = e.op_id AND p.state IN ('dead', 'held') WHERE g.op_id = o.id)")


@dataclass(frozen=True)
class Row:
    id: int
    key: str
    kind: str
    vendor: str
    intent: dict
    wire: bytes
    member_id: str | None
    sale_id: str | None
    lane: str
    state: str
    attempts: int
    # As it was before this claim: True means the last attempt is in doubt and
    # must be reconciled before anything is sent.
    maybe_sent: bool
    created_at: float
    last_error: str | None
    lease: str = ""  # the token of the claim that holds this row
    cancel_requested: bool = False
    sent_at: float | None = None

    @classmethod
    def of(cls, r: sqlite3.Row, lease: str = "") -> "Row":
        return cls(r["id"], r["key"], r["kind"], r["vendor"], json.loads(r["intent"] or "{}"), bytes(r["wire"]),
                   r["member_id"], r["sale_id"], r["lane"], r["state"], r["attempts"], bool(r["maybe_sent"]),
                   r["created_at"], r["last_error"], lease, bool(r["cancel_requested"]), r["sent_at"])


@dataclass(frozen=True)
class QueueStatus:
    depth: int  # operations not yet delivered (dead ones not counted)
    oldest_age_s: float | None
    dead: int
    paused: str | None  # why delivery is paused, when it is
    blocked: int = 0  # pending, but held back by a dead or held operation of the same order or code
    held: int = 0  # in doubt and unverifiable: waiting for a person to say whether it was applied


@dataclass(frozen=True)
class GivingBack:
    undos: int  # give-backs not yet delivered
    on_cards: Decimal  # money they hold on gift and store cards
    points: int  # points they hold from members


# When a row in doubt may be asked about: `settle_s` after its attempt was sent
# (the urgent lane's own, shorter, settle for what a Pay waits for).
_SETTLED_AT = "COALESCE(o.sent_at, 0) + CASE WHEN o.lane = 'urgent' THEN ? ELSE ? END"


def _eligible(conn: sqlite3.Connection, now: float, limit: int, settle: tuple[float, float], *,
              lane: str | None = None, only: Sequence[int] | None = None,
              exclude: Sequence[int] = ()) -> list[sqlite3.Row]:
    """Pending, due, unleased rows that are the oldest undelivered one in each of their groups.

    A row in doubt waits to settle (`settle`: urgent, background) after its attempt
    was sent, so that request can no longer be in flight when the backend is asked about it."""
    where = ["o.state = 'pending'", "o.next_at <= ?", "(o.lease_until IS NULL OR o.lease_until < ?)",
             f"(o.maybe_sent = 0 OR {_SETTLED_AT} <= ?)"]
    args: list = [now, now, *settle, now]
    if lane is not None:
        where.append("o.lane = ?")
        args.append(lane)
    if only is not None:
        where.append(f"o.id IN ({','.join('?' * len(only))})")
        args += only
    if exclude:
        where.append(f"o.id NOT IN ({','.join('?' * len(exclude))})")
        args += exclude
    # A dead operation still holds its group: its successors wait for a person to act.
    sql = f"""SELECT * FROM ops o WHERE {' AND '.join(where)}
              AND NOT EXISTS (SELECT 1 FROM op_groups g
                              JOIN op_groups e ON e.grp = g.grp AND e.op_id < g.op_id
                              JOIN ops p ON p.id = e.op_id AND p.state IN ('pending', 'dead', 'held')
                              WHERE g.op_id = o.id)
              ORDER BY o.id LIMIT ?"""
    return conn.execute(sql, (*args, limit)).fetchall()


class Outbox:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time):
        self.db = db
        self.clock = clock

    # -- writing operations ------------------------------------------------

    def add(self, conn: sqlite3.Connection, op: Operation, sale_id: str | None = None) -> int:
        """Queue inside the caller's transaction (a sale and its operations commit together)."""
        op_id = conn.execute(
            "INSERT INTO ops (key, kind, vendor, intent, wire, member_id, sale_id, lane, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (op.key, op.kind, op.vendor, op.intent, op.wire, op.member_id, sale_id, op.lane, self.clock()),
        ).lastrowid
        conn.executemany("INSERT INTO op_groups (grp, op_id) VALUES (?, ?)", [(g, op_id) for g in op.groups])
        return op_id

    def enqueue(self, ops: Sequence[Operation], sale_id: str | None = None) -> list[int]:
        """All or none, durable when this returns."""
        with self.db.tx() as conn:
            return [self.add(conn, op, sale_id) for op in ops]

    # -- leasing -----------------------------------------------------------

    def claim(self, owner: str, limit: int, lease_s: float, *, settle_s: float = 0.0,
              urgent_settle_s: float | None = None, ids: Iterable[int] | None = None,
              exclude: Iterable[int] = ()) -> list[Row]:
        """Lease up to `limit` deliverable rows, urgent lane first. `owner` is the lease token.

        A row with no attempt in doubt is marked as being sent in the same commit;
        a row whose last attempt is in doubt is only leased (it is reconciled first)."""
        skip = list(exclude)
        settle = (settle_s if urgent_settle_s is None else urgent_settle_s, settle_s)
        with self.db.tx() as conn:
            now = self.clock()  # after the write lock: waiting for it must not eat the lease
            if ids is not None:
                wanted = list(ids)
                rows = _eligible(conn, now, limit, settle, only=wanted, exclude=skip) if wanted else []
            else:
                rows = _eligible(conn, now, limit, settle, lane=URGENT, exclude=skip)
                if len(rows) < limit:
                    rows += _eligible(conn, now, limit - len(rows), settle, lane=BACKGROUND, exclude=skip)
            unsent_cancelled = [r["id"] for r in rows if r["cancel_requested"] and not r["maybe_sent"]]
            for op_id in unsent_cancelled:
                self._close_in(conn, op_id, CANCELLED, NEVER_APPLIED, "1")
            rows = [r for r in rows if r["id"] not in unsent_cancelled]
            for r in rows:
                if r["maybe_sent"]:
                    conn.execute("UPDATE ops SET lease_owner=?, lease_until=? WHERE id=?",
                                 (owner, now + lease_s, r["id"]))
                else:
                    conn.execute("UPDATE ops SET lease_owner=?, lease_until=?, maybe_sent=1,"
                                 " attempts=attempts+1, sent_at=? WHERE id=?",
                                 (owner, now + lease_s, now, r["id"]))
        return [Row.of(r, owner) for r in rows]

    def mark_sending(self, op_id: int, owner: str, lease_s: float) -> bool:
        """Record an attempt that is about to leave (after a reconciliation said 'not applied')."""
        with self.db.tx() as conn:
            now = self.clock()
            return conn.execute("UPDATE ops SET maybe_sent=1, attempts=attempts+1, sent_at=?, lease_until=?"
                                " WHERE id=? AND lease_owner=? AND state='pending'",
                                (now, now + lease_s, op_id, owner)).rowcount == 1

    def done(self, op_id: int, owner: str, reply: object) -> bool:
        with self.db.tx() as conn:
            changed = conn.execute(
                "UPDATE ops SET state='done', reply=?, done_at=?, maybe_sent=0, lease_owner=NULL,"
                " lease_until=NULL, last_error=NULL WHERE id=? AND lease_owner=? AND state='pending'",
                (json.dumps(reply), self.clock(), op_id, owner)).rowcount == 1
            if changed:
                conn.execute("DELETE FROM op_groups WHERE op_id=?", (op_id,))
            return changed

    def dead(self, op_id: int, owner: str, reason: str, backend_view: object = None) -> bool:
        with self.db.tx() as conn:
            return conn.execute(
                "UPDATE ops SET state='dead', last_error=?, backend_view=?, lease_owner=NULL, lease_until=NULL"
                " WHERE id=? AND lease_owner=? AND state='pending'",
                (reason, None if backend_view is None else json.dumps(backend_view), op_id, owner)).rowcount == 1

    def hold(self, op_id: int, owner: str, reason: str, evidence: object = None) -> bool:
        """In doubt, and nothing declared can tell: a person decides. It keeps its doubt."""
        with self.db.tx() as conn:
            return conn.execute(
                "UPDATE ops SET state='held', last_error=?, evidence=?, lease_owner=NULL, lease_until=NULL"
                " WHERE id=? AND lease_owner=? AND state='pending'",
                (reason, None if evidence is None else json.dumps(evidence), op_id, owner)).rowcount == 1

    def resolve(self, op_id: int, applied: bool, note: str) -> str | None:
        """A person's answer for a held write: it was applied (done), or it was not (sent
        again with its own key; or cancelled, when its sale had been given up meanwhile).
        Returns the state it ends in, None when it is not held."""
        with self.db.tx() as conn:
            return self.resolve_in(conn, op_id, applied, note)

    def resolve_in(self, conn: sqlite3.Connection, op_id: int, applied: bool, note: str) -> str | None:
        """`resolve` inside the caller's transaction (with the manager's approval)."""
        row = conn.execute("SELECT cancel_requested FROM ops WHERE id=? AND state='held'", (op_id,)).fetchone()
        if row is None:
            return None
        if applied:
            conn.execute("UPDATE ops SET state='done', reply=?, done_at=?, maybe_sent=0, last_error=NULL"
                         " WHERE id=?", (json.dumps({"resolved": "applied", "note": note}), self.clock(), op_id))
            conn.execute("DELETE FROM op_groups WHERE op_id=?", (op_id,))
            return DONE
        conn.execute("UPDATE ops SET state='pending', maybe_sent=0, next_at=0, last_error=NULL WHERE id=?",
                     (op_id,))
        if row["cancel_requested"]:
            self._close_in(conn, op_id, CANCELLED, NEVER_APPLIED, "1")
            return CANCELLED
        return PENDING

    def overlapping(self, row: Row, start: float, end: float, attempt_s: float) -> tuple[int, int]:
        """This terminal's other uses of the same card by the same member that a count in a log
        over [start, end] may include: (how many leave it ambiguous, how many it surely includes).
        One applied surely inside is known; one in doubt, or whose attempt (sent_at up to
        sent_at + attempt_s) straddles an edge of the window, makes the count ambiguous."""
        if row.kind not in ("redeem_code", "undo_code", "redeem_codes"):
            return 0, 0
        # From the intents, not the groups: a delivered row no longer holds its groups.
        spends = [row.intent.get("spend")] if "spend" in row.intent else list(row.intent.get("spends") or [])
        codes = sorted({str(spend.get("code", "")) for spend in spends if isinstance(spend, dict)} - {""})
        if not codes:
            return 0, 0
        kinds = ("undo_code",) if row.kind == "undo_code" else ("redeem_code", "redeem_codes")
        found = self.db.read(
            f"SELECT o.id, o.state, o.maybe_sent, o.sent_at FROM ops o"
            f" WHERE o.id != ? AND o.member_id IS ? AND o.kind IN ({','.join('?' * len(kinds))})"
            f" AND o.sent_at BETWEEN ? AND ? AND ({' OR '.join(['o.intent LIKE ?'] * len(codes))})",
            (row.id, row.member_id, *kinds, start - attempt_s, end,
             *[f'%"code":{json.dumps(code)}%' for code in codes]))
        ambiguous = applied = 0
        for r in found:
            inside = start <= r["sent_at"] and r["sent_at"] + attempt_s <= end
            if r["state"] == DONE and inside:
                applied += 1
            elif r["state"] in (PENDING, HELD) and r["maybe_sent"] or (r["state"] == DONE and not inside):
                ambiguous += 1
        return ambiguous, applied

    def vendors_waiting(self) -> list[str]:
        """The vendors of writes not yet delivered (pending, held or dead)."""
        return [r[0] for r in self.db.read("SELECT DISTINCT vendor FROM ops WHERE state IN ('pending', 'held', 'dead')")]

    def refuse(self, op_id: int, owner: str, reason: str) -> bool:
        """The backend said no to a redemption: final, and nothing of it holds its group."""
        return self._close(op_id, REFUSED, reason, "lease_owner=?", owner)

    def cancelled(self, op_id: int, owner: str) -> bool:
        """A row whose cancel was requested turned out never to have taken effect."""
        return self._close(op_id, CANCELLED, NEVER_APPLIED, "lease_owner=? AND cancel_requested=1", owner)

    def _close(self, op_id: int, state: str, reason: str, condition: str, *args: object) -> bool:
        with self.db.tx() as conn:
            return self._close_in(conn, op_id, state, reason, condition, *args)

    def _close_in(self, conn: sqlite3.Connection, op_id: int, state: str, reason: str, condition: str,
                  *args: object) -> bool:
        """A final state inside the caller's transaction; the row no longer holds its groups."""
        now = self.clock()
        changed = conn.execute(
            f"UPDATE ops SET state=?, last_error=?, done_at=?, lease_owner=NULL, lease_until=NULL"
            f" WHERE id=? AND state='pending' AND {condition}",
            (state, reason, now, op_id, *[now if a is _NOW else a for a in args])).rowcount == 1
        if changed:
            conn.execute("DELETE FROM op_groups WHERE op_id=?", (op_id,))
            if state in (CANCELLED, REFUSED):
                # It never took effect: an undo queued for it while it was in doubt has nothing to undo.
                for (undo_id,) in conn.execute("SELECT op_id FROM op_groups WHERE grp=?",
                                               (undo_after(op_id),)).fetchall():
                    self._close_in(conn, undo_id, CANCELLED, "what it would undo never took effect", "1")
        return changed

    def cancel(self, op_id: int) -> str:
        """Take back an operation that should no longer happen (a redemption of a sale
        that failed at Pay). Returns its state: 'cancelled' when it surely never took
        effect; otherwise the request is recorded and the row stays pending, to be
        cancelled if it turns out not applied, or delivered ('done') so that the
        caller can undo it."""
        if self._close(op_id, CANCELLED, NEVER_APPLIED,
                       "(lease_owner IS NULL OR lease_until < ?) AND maybe_sent=0", _NOW):
            return CANCELLED
        with self.db.tx() as conn:
            conn.execute("UPDATE ops SET cancel_requested=1 WHERE id=? AND state IN ('pending', 'held')", (op_id,))
            row = conn.execute("SELECT state FROM ops WHERE id=?", (op_id,)).fetchone()
        return row["state"] if row else CANCELLED

    def later(self, op_id: int, owner: str, delay_s: float, error: str, *, maybe_sent: bool) -> bool:
        """A transient failure: try again after `delay_s`. `maybe_sent` False when the
        request surely had no effect, so the next attempt need not reconcile first."""
        with self.db.tx() as conn:
            if not maybe_sent and self._cancel_unsent(conn, op_id, owner):
                return True
            return conn.execute(
                "UPDATE ops SET next_at=?, last_error=?, maybe_sent=?, lease_owner=NULL, lease_until=NULL"
                " WHERE id=? AND lease_owner=? AND state='pending'",
                (self.clock() + delay_s, error, int(maybe_sent), op_id, owner)).rowcount == 1

    def release(self, op_id: int, owner: str, *, maybe_sent: bool) -> bool:
        """Give a row back without a verdict (delivery paused, or the app is closing)."""
        with self.db.tx() as conn:
            if not maybe_sent and self._cancel_unsent(conn, op_id, owner):
                return True
            return conn.execute("UPDATE ops SET lease_owner=NULL, lease_until=NULL, maybe_sent=?"
                                " WHERE id=? AND lease_owner=? AND state='pending'",
                                (int(maybe_sent), op_id, owner)).rowcount == 1

    def _cancel_unsent(self, conn: sqlite3.Connection, op_id: int, owner: str) -> bool:
        """Inside the caller's transaction: a row whose cancel was requested, and that
        surely never took effect, ends here instead of going back to the queue."""
        return self._close_in(conn, op_id, CANCELLED, NEVER_APPLIED, "lease_owner=? AND cancel_requested=1", owner)

    def wake_all(self, jitter_s: float, rng: random.Random | None = None) -> int:
        """The backend is back: everything pending (backing off, or queued while offline)
        is spread over the next `jitter_s`, so a store's terminals don't all send at once."""
        rng = rng or random.Random()
        with self.db.tx() as conn:
            now = self.clock()
            waiting = conn.execute("SELECT id FROM ops WHERE state='pending' AND (lease_until IS NULL OR lease_until < ?)",
                                   (now,)).fetchall()
            conn.executemany("UPDATE ops SET next_at=? WHERE id=?",
                             [(now + rng.uniform(0, jitter_s), r["id"]) for r in waiting])
        return len(waiting)

    # -- what people see -----------------------------------------------------

    def status(self) -> QueueStatus:
        (depth, oldest), = self.db.read("SELECT COUNT(*), MIN(created_at) FROM ops WHERE state='pending'")
        (dead,), = self.db.read("SELECT COUNT(*) FROM ops WHERE state='dead'")
        (held,), = self.db.read("SELECT COUNT(*) FROM ops WHERE state='held'")
        blocked = 0
        if dead or held:
            (blocked,), = self.db.read(f"SELECT COUNT(*) FROM ops o WHERE o.state='pending' AND {_HELD}")
        return QueueStatus(depth, None if oldest is None else max(self.clock() - oldest, 0.0), dead,
                           self.paused(), blocked, held)

    def giving_back(self) -> GivingBack:
        """Undos (of failed sales, of card or points payments returned) not yet delivered: how
        many, the money they hold on cards and the points they hold from members."""
        rows = self.db.read("SELECT kind, intent FROM ops WHERE state IN ('pending', 'dead', 'held')"
                            " AND kind IN ('undo_code', 'reverse_reward', 'reverse_points')")
        held, points = Decimal("0.00"), 0
        for kind, intent in rows:
            data = json.loads(intent or "{}")
            if kind == "reverse_points":
                points += int(data.get("points") or 0)
                continue
            value = (data.get("spend") or {}).get("amount")
            held += Decimal(str(value)) if value is not None else 0
        return GivingBack(len(rows), held, points)

    def rows(self, state: str | None = None, limit: int = 100) -> list[sqlite3.Row]:
        if state:
            return self.db.read("SELECT * FROM ops WHERE state=? ORDER BY id LIMIT ?", (state, limit))
        return self.db.read("SELECT * FROM ops WHERE state!='done' ORDER BY id LIMIT ?", (limit,))

    def waiting(self, limit: int = 100) -> list[sqlite3.Row]:
        """Pending rows, oldest first, each with `held`: 1 when a dead operation of its order
        or code holds it back. No bodies: they carry member data."""
        return self.db.read(f"SELECT o.id, o.kind, o.sale_id, o.attempts, o.created_at, {_HELD} AS held"
                            " FROM ops o WHERE o.state='pending' ORDER BY o.id LIMIT ?", (limit,))

    def get(self, op_id: int) -> sqlite3.Row | None:
        found = self.db.read("SELECT * FROM ops WHERE id=?", (op_id,))
        return found[0] if found else None

    def next_due(self, after: float, settle_s: float = 0.0, urgent_settle_s: float | None = None,
                 ids: Sequence[int] | None = None, lane: str | None = None) -> float | None:
        """The next moment after `after` when a pending row's (of `ids`, of `lane`: one of
        those rows') backoff, lease or settling ends."""
        only = "" if ids is None else f" AND o.id IN ({','.join('?' * len(ids))})"
        if lane is not None:
            only += f" AND o.lane = '{URGENT if lane == URGENT else BACKGROUND}'"
        (at,), = self.db.read(
            "SELECT MIN(t) FROM (SELECT MAX(o.next_at, COALESCE(o.lease_until, 0),"
            f" CASE WHEN o.maybe_sent THEN {_SETTLED_AT} ELSE 0 END) AS t"
            f" FROM ops o WHERE o.state='pending'{only}) WHERE t > ?",
            (settle_s if urgent_settle_s is None else urgent_settle_s, settle_s, *(ids or ()), after))
        return at

    def code_settles_in(self, code: str, settle_s: float, urgent_settle_s: float | None = None) -> float | None:
        """Seconds until every payment or undo of this card still queued is settled (a lost
        reply looked up, an undo sent), roughly; None when none is queued."""
        prefix = ops.code_prefix(code)
        (count, last), = self.db.read(
            f"SELECT COUNT(*), MAX(MAX(o.next_at, CASE WHEN o.maybe_sent THEN {_SETTLED_AT} ELSE 0 END))"
            " FROM ops o JOIN op_groups g ON g.op_id = o.id"
            " WHERE o.state='pending' AND substr(g.grp, 1, length(?)) = ?",
            (settle_s if urgent_settle_s is None else urgent_settle_s, settle_s, prefix, prefix))
        return max(last - self.clock(), 0.0) if count else None

    def retry(self, op_id: int) -> bool:
        """A person sends a dead operation again. If its last attempt is in doubt it is
        still reconciled first: a retry never risks applying it twice."""
        with self.db.tx() as conn:
            return conn.execute("UPDATE ops SET state='pending', next_at=0, last_error=NULL, backend_view=NULL"
                                " WHERE id=? AND state='dead'", (op_id,)).rowcount == 1

    def prune(self, older_than_s: float) -> int:
        with self.db.tx() as conn:
            return conn.execute("DELETE FROM ops WHERE state IN ('done', 'refused', 'cancelled') AND done_at < ?",
                                (self.clock() - older_than_s,)).rowcount

    # -- pause (authorization refused) -------------------------------------------

    def paused(self) -> str | None:
        found = self.db.read("SELECT value FROM outbox_state WHERE name='paused'")
        return found[0][0] if found else None

    def pause(self, reason: str) -> None:
        with self.db.tx() as conn:
            conn.execute("INSERT OR REPLACE INTO outbox_state VALUES ('paused', ?)", (reason,))

    def resume(self) -> None:
        with self.db.tx() as conn:
            conn.execute("DELETE FROM outbox_state WHERE name='paused'")
