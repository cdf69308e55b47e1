"""Guessing locked out: too many wrong codes of one kind at this kiosk lock that entry a while.

By analogy with PCI DSS 8.3.4's account lock-out: `max_guesses` wrong gift-card codes (or
one-time codes) within `window_s` lock that entry on this kiosk for `lock_minutes`. Guesses
and locks live in the terminal database, so closing the app does not reopen the entry.
Locking and lifting go to the audit log with the reason; the guessed codes never do (nor
anywhere else: only the time of each wrong guess is kept).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable

from kiosk import formats
from kiosk.i18n import N_, _
from kiosk.checkout.audit import AuditLog
from kiosk.checkout.errors import CheckoutError
from kiosk.outbox.store import Database

GIFT_CARD = "gift_card"
ONE_TIME_CODE = "one_time_code"
ENTRIES = (GIFT_CARD, ONE_TIME_CODE)
# Whole sentences per entry, so that each language words its own.
_LOCKED = {GIFT_CARD: N_("Gift card balance checks are paused on this kiosk after too many wrong codes. "
                         "They open again at {0}, or ask a member of staff."),
           ONE_TIME_CODE: N_("One-time codes are paused on this kiosk after too many wrong codes. "
                             "They open again at {0}, or ask a member of staff.")}


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def locked_sentence(entry: str, until: datetime) -> str:
    """What the screen says while `entry` is locked: when it opens again, in the kiosk's local time."""
    return _(_LOCKED.get(entry, _LOCKED[GIFT_CARD])).format(formats.clock(until))


class Lockouts:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time, audit: AuditLog | None = None, *,
                 max_guesses: int = 5, window_s: float = 300.0, lock_minutes: float = 30.0,
                 operator_id: str | None = None):
        self.db, self.clock, self.audit = db, clock, audit
        self.max_guesses, self.window_s, self.lock_s = max_guesses, window_s, lock_minutes * 60
        self.operator_id = operator_id  # who the lock's audit line names: the kiosk (KIOSK-<terminal id>)

    @classmethod
    def from_settings(cls, db: Database, settings, clock: Callable[[], float] = time.time,
                      audit: AuditLog | None = None, operator_id: str | None = None) -> "Lockouts":
        s = settings.selfservice
        return cls(db, clock, audit, max_guesses=s.max_guesses, window_s=s.guess_window_s,
                   lock_minutes=s.lock_minutes, operator_id=operator_id)

    @staticmethod
    def _check(entry: str) -> None:
        if entry not in ENTRIES:
            raise ValueError(f"unknown lock-out entry {entry!r}; known: {', '.join(ENTRIES)}")

    def locked_until(self, entry: str) -> datetime | None:
        self._check(entry)
        rows = self.db.read("SELECT locked_until FROM entry_locks WHERE entry=? AND locked_until>?",
                            (entry, self.clock()))
        return _at(rows[0]["locked_until"]) if rows else None

    def failed(self, entry: str) -> datetime | None:
        """A wrong guess at `entry`; the lock's end when this guess locks it, else None."""
        self._check(entry)
        now = self.clock()
        with self.db.tx() as conn:
            row = conn.execute("SELECT locked_until FROM entry_locks WHERE entry=? AND locked_until>?",
                               (entry, now)).fetchone()
            if row is not None:
                return None  # locked already: the guess was not even tried
            # Guesses older than the window no longer count: they go, so the table stays small.
            conn.execute("DELETE FROM wrong_guesses WHERE entry=? AND at<=?", (entry, now - self.window_s))
            conn.execute("INSERT INTO wrong_guesses (entry, at) VALUES (?, ?)", (entry, now))
            (count,), = conn.execute("SELECT COUNT(*) FROM wrong_guesses WHERE entry=?", (entry,)).fetchall()
            if count < self.max_guesses:
                return None
            until = now + self.lock_s
            conn.execute("INSERT INTO entry_locks (entry, locked_at, locked_until) VALUES (?, ?, ?)"
                         " ON CONFLICT (entry) DO UPDATE SET locked_at=excluded.locked_at,"
                         " locked_until=excluded.locked_until", (entry, now, until))
            conn.execute("DELETE FROM wrong_guesses WHERE entry=?", (entry,))
            if self.audit is not None:
                self.audit.record(conn, operator_id=self.operator_id, action="entry_locked", subject=f"entry {entry}",
                                  detail={"until": _at(until).isoformat(timespec="seconds"), "guesses": count,
                                          "reason": f"{count} wrong codes within {self.window_s:g} s"})
            return _at(until)

    def lift(self, entry: str, operator_id: str) -> bool:
        """Staff open `entry` again (the screen checked their PIN); False when it was not locked."""
        self._check(entry)
        if not operator_id:
            raise CheckoutError("A member of staff has to sign for lifting a lock.")
        now = self.clock()
        with self.db.tx() as conn:
            lifted = conn.execute("DELETE FROM entry_locks WHERE entry=? AND locked_until>?",
                                  (entry, now)).rowcount
            conn.execute("DELETE FROM entry_locks WHERE entry=?", (entry,))
            conn.execute("DELETE FROM wrong_guesses WHERE entry=?", (entry,))
            if lifted and self.audit is not None:
                self.audit.record(conn, operator_id=operator_id, action="entry_unlocked", subject=f"entry {entry}",
                                  detail={"reason": "lifted by staff"})
        return bool(lifted)
