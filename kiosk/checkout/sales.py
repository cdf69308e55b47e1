"""Sales and their redemptions in the terminal's database, beside the outbox.

A sale and the backend operations it needs are written in one transaction, so
there is never a sale without its operations nor an operation without its sale.

Sale states: 'authorizing' (redemptions sent, waiting), 'tendering' (an authorize
failed or was interrupted: the sale can be paid again), 'committed', 'voided'.
Redemption states: 'authorizing', 'applied' (part of a committed sale),
'undo_wanted' (the sale failed; the redemption took effect or may have),
'undo_queued' (its undo is in the outbox), 'void' (it never took effect),
'returned' (given back by a return), 'needs_person' (took effect, and can't be
undone automatically: see problems()).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from kiosk.checkout.errors import CheckoutError
from kiosk.outbox.ops import Operation
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import Database


@dataclass(frozen=True)
class Redemption:
    id: int
    sale_id: str
    attempt: int
    kind: str  # reward | coupon | card
    ref: str  # reward id, or the code
    user_id: str
    key: str  # customId / referenceId of the redemption
    amount_cents: int
    op_id: int
    state: str
    undo_key: str | None
    undo_op: int | None
    reply: Any
    offline: bool
    op_state: str | None = None

    @classmethod
    def of(cls, r: sqlite3.Row) -> "Redemption":
        keys = r.keys()
        return cls(r["id"], r["sale_id"], r["attempt"], r["kind"], r["ref"], r["user_id"], r["key"],
                   r["amount_cents"], r["op_id"], r["state"], r["undo_key"], r["undo_op"],
                   json.loads(r["reply"]) if r["reply"] else None, bool(r["offline"]),
                   r["op_state"] if "op_state" in keys else None)


@dataclass(frozen=True)
class PlannedRedemption:
    kind: str
    ref: str
    user_id: str
    key: str
    amount_cents: int
    op: Operation


class Sales:
    def __init__(self, db: Database, outbox: Outbox, terminal_id: str, store_id: str | None,
                 clock: Callable[[], float] = time.time):
        self.db = db
        self.outbox = outbox
        self.terminal_id = terminal_id
        self.store_id = store_id
        self.clock = clock

    # -- at Pay ----------------------------------------------------------------------

    def begin(self, sale_id: str, operator_id: str, member_id: str | None, snapshot: dict,
              planned: Sequence[PlannedRedemption], *, offline: bool = False) -> list[int]:
        """Write the sale as 'authorizing' with its redemptions and their operations, all at once."""
        now = self.clock()
        with self.db.tx() as conn:
            row = conn.execute("SELECT state FROM sales WHERE id=?", (sale_id,)).fetchone()
            if row is not None and row["state"] != "tendering":
                raise CheckoutError(_not_payable(row["state"]))
            conn.execute(
                "INSERT INTO sales (id, state, terminal_id, store_id, operator_id, member_id, created_at,"
                " updated_at, snapshot, offline) VALUES (?, 'authorizing', ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET state='authorizing', operator_id=excluded.operator_id,"
                " member_id=excluded.member_id, updated_at=excluded.updated_at, snapshot=excluded.snapshot,"
                " offline=excluded.offline, outcome=NULL",
                (sale_id, self.terminal_id, self.store_id, operator_id, member_id, now, now,
                 json.dumps(snapshot), int(offline)))
            (attempt,), = conn.execute("SELECT COALESCE(MAX(attempt), 0) + 1 FROM sale_redemptions"
                                       " WHERE sale_id=?", (sale_id,)).fetchall()
            op_ids = []
            for p in planned:
                op_id = self.outbox.add(conn, p.op, sale_id)
                conn.execute("INSERT INTO sale_redemptions (sale_id, attempt, kind, ref, user_id, key,"
                             " amount_cents, op_id, state, offline) VALUES (?,?,?,?,?,?,?,?,?,?)",
                             (sale_id, attempt, p.kind, p.ref, p.user_id, p.key, p.amount_cents, op_id,
                              "authorizing", int(offline)))
                op_ids.append(op_id)
            return op_ids

    def commit(self, sale_id: str, snapshot: dict, order_op: Operation, replies: dict[int, Any],
               audit: Callable[[sqlite3.Connection], None] | None = None) -> int:
        """The sale is final: its order operation is queued with it."""
        with self.db.tx() as conn:
            op_id = self.outbox.add(conn, order_op, sale_id)
            changed = conn.execute("UPDATE sales SET state='committed', updated_at=?, snapshot=?, order_op=?,"
                                   " outcome=NULL WHERE id=? AND state='authorizing'",
                                   (self.clock(), json.dumps(snapshot), op_id, sale_id)).rowcount
            if changed != 1:
                raise ValueError(f"sale {sale_id} is not authorizing")
            conn.execute("UPDATE sale_redemptions SET state='applied' WHERE sale_id=? AND state='authorizing'",
                         (sale_id,))
            for op, reply in replies.items():
                conn.execute("UPDATE sale_redemptions SET reply=? WHERE op_id=?", (json.dumps(reply), op))
            # Reward passes from the self-service kiosk that this sale paid with: used, with it.
            for reward in snapshot.get("rewards", ()):
                if reward.get("pass_id"):
                    conn.execute("INSERT OR IGNORE INTO used_passes (pass_id, sale_id, member_id, reward_id, used_at)"
                                 " VALUES (?,?,?,?,?)", (reward["pass_id"], sale_id, snapshot.get("member_id") or "",
                                                         reward["reward_id"], self.clock()))
            if audit is not None:
                audit(conn)
            return op_id

    def fail(self, sale_id: str, outcome: str, verdicts: dict[int, tuple[str, Any]],
             undo: Callable[[Redemption], Operation | None]) -> list[Redemption]:
        """Back to tendering. `verdicts` maps each redemption's op id to (new state, reply);
        a redemption that took effect gets its undo queued here, in the same transaction."""
        with self.db.tx() as conn:
            conn.execute("UPDATE sales SET state='tendering', updated_at=?, outcome=? WHERE id=?",
                         (self.clock(), outcome, sale_id))
            for op_id, (state, reply) in verdicts.items():
                conn.execute("UPDATE sale_redemptions SET state=?, reply=? WHERE op_id=? AND sale_id=?",
                             (state, json.dumps(reply) if reply is not None else None, op_id, sale_id))
            self._queue_undos(conn, undo, sale_id)
            return [Redemption.of(r) for r in conn.execute(
                "SELECT * FROM sale_redemptions WHERE sale_id=? ORDER BY id", (sale_id,))]

    def settle_undos(self, undo: Callable[[Redemption], Operation | None]) -> int:
        """Redemptions of failed sales whose outcome is now known: undo those that took effect."""
        # Checked every few seconds: a read when nothing waits, not an fsync'd transaction.
        if not self.db.read("SELECT 1 FROM sale_redemptions r JOIN ops o ON o.id = r.op_id"
                            " WHERE (r.state='undo_wanted' AND o.state IN ('done', 'refused', 'cancelled'))"
                            " OR (r.state='undo_queued' AND o.state IN ('refused', 'cancelled')) LIMIT 1"):
            return 0
        with self.db.tx() as conn:
            for r in conn.execute("SELECT r.id, o.state FROM sale_redemptions r JOIN ops o ON o.id = r.op_id"
                                  " WHERE r.state IN ('undo_wanted', 'undo_queued')"
                                  " AND o.state IN ('refused', 'cancelled')").fetchall():
                conn.execute("UPDATE sale_redemptions SET state='void' WHERE id=?", (r["id"],))
            for r in conn.execute("SELECT r.id, o.reply FROM sale_redemptions r JOIN ops o ON o.id = r.op_id"
                                  " WHERE r.state='undo_wanted' AND o.state='done' AND r.reply IS NULL"
                                  ).fetchall():
                conn.execute("UPDATE sale_redemptions SET reply=? WHERE id=?", (r["reply"], r["id"]))
            return self._queue_undos(conn, undo, None)

    def _queue_undos(self, conn: sqlite3.Connection, undo: Callable[[Redemption], Operation | None],
                     sale_id: str | None) -> int:
        # Taken effect; or, for a card or coupon of the sale failing now, maybe: its undo is
        # queued at once, behind it and cancelled with it if it never took effect, so that
        # `kiosk queue drain` alone gives the money back and `kiosk queue status` shows it
        # held. (A reward's reversal needs the reward code from its reply: it waits.)
        rows = conn.execute("SELECT r.*, o.state AS op_state FROM sale_redemptions r JOIN ops o"
                            " ON o.id = r.op_id WHERE r.state='undo_wanted' AND (o.state='done'"
                            " OR (r.sale_id = ? AND r.kind != 'reward' AND o.state IN ('pending', 'dead', 'held')))"
                            " AND (? IS NULL OR r.sale_id = ?)", (sale_id, sale_id, sale_id)).fetchall()
        queued = 0
        for r in rows:
            op = undo(Redemption.of(r))
            if op is None:
                # It took effect and can't be given back automatically: listed by problems().
                conn.execute("UPDATE sale_redemptions SET state='needs_person' WHERE id=?", (r["id"],))
                continue
            op_id = self.outbox.add(conn, op, r["sale_id"])
            conn.execute("UPDATE sale_redemptions SET state='undo_queued', undo_key=?, undo_op=? WHERE id=?",
                         (op.key, op_id, r["id"]))
            queued += 1
        return queued

    def void(self, sale_id: str) -> None:
        with self.db.tx() as conn:
            conn.execute("UPDATE sales SET state='voided', updated_at=? WHERE id=? AND state='tendering'",
                         (self.clock(), sale_id))

    # -- reading -------------------------------------------------------------------------

    def get(self, sale_id: str) -> sqlite3.Row | None:
        found = self.db.read("SELECT * FROM sales WHERE id=?", (sale_id,))
        return found[0] if found else None

    def redemptions(self, sale_id: str, state: str | None = None) -> list[Redemption]:
        sql = ("SELECT r.*, o.state AS op_state FROM sale_redemptions r JOIN ops o ON o.id = r.op_id"
               " WHERE r.sale_id=?")
        args: tuple = (sale_id,)
        if state:
            sql += " AND r.state=?"
            args += (state,)
        return [Redemption.of(r) for r in self.db.read(sql + " ORDER BY r.id", args)]

    def problems(self) -> list[Redemption]:
        """Redemptions of failed sales that a person has to look at: one that took effect
        but can't be undone automatically, or one whose operation was dead-lettered
        (retrying it from the queue lets the till finish the job)."""
        return [Redemption.of(r) for r in self.db.read(
            "SELECT r.*, o.state AS op_state FROM sale_redemptions r JOIN ops o ON o.id = r.op_id"
            " WHERE r.state='needs_person' OR (r.state IN ('undo_wanted', 'undo_queued') AND o.state='dead')"
            " ORDER BY r.id")]

    def interrupted(self) -> list[sqlite3.Row]:
        """Sales a crash (or a kill) left while authorizing."""
        return self.db.read("SELECT * FROM sales WHERE state='authorizing' ORDER BY created_at")


def _not_payable(state: str) -> str:
    if state == "authorizing":
        return ("The last payment of this sale was interrupted and is still being resolved; "
                "restart the till if this message stays.")
    return f"This sale is {state}; start a new one."
