"""What the gauges report, read from the terminal's database when the collector asks.

Read at collection time, not kept from events: a terminal back from an outage (or
restarted) reports what its database holds now. The reads run on the SDK's reader
thread over a read-only connection of their own, never the app's: the GUI thread
and the outbox's writer never wait for them, and they can write nothing.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kiosk.checkout.offline import Allowances
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import Database

log = logging.getLogger(__name__)

# The gauges of one collection are read together: each callback asks, the first reads.
FRESH_S = 1.0
# Writes a manager marked as applied by hand are not an answer from the backend.
_LAST_DELIVERY = ("SELECT MAX(done_at) FROM ops WHERE state='done'"
                  " AND (reply IS NULL OR reply NOT LIKE '{\"resolved\":%')")

_ALLOWANCE = ("SELECT used_sales, used_cents FROM offline_allowances WHERE terminal_id=? AND closed=0 AND expires_at>?"
              " ORDER BY id DESC LIMIT 1")


@dataclass(frozen=True)
class Snapshot:
    pending: int
    oldest_pending_age_s: float  # 0 when nothing is pending
    held: int
    dead: int
    paused: bool
    last_delivery_at: float | None  # when the backend last confirmed one of this terminal's writes
    allowance_active: bool
    allowance_sales_used: int
    allowance_cents_used: int
    offline_redemptions_pending: int


class Readings:
    def __init__(self, db_path: Path | str, terminal_id: str, clock: Callable[[], float] = time.time):
        self.path = Path(db_path)
        self.terminal_id = terminal_id
        self.clock = clock
        self._db: Database | None = None
        self._lock = threading.Lock()
        self._last: tuple[float, Snapshot] | None = None

    def _open(self) -> Database:
        if self._db is None:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0,
                                   check_same_thread=False, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only=ON")
            self._db = Database(conn, self.path)
        return self._db

    def snapshot(self) -> Snapshot | None:
        """Now's readings (one read per collection), or None when the database can't be read."""
        with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last[0] < FRESH_S:
                return self._last[1]
            try:
                found = self._read()
            except Exception as exc:  # locked for long, damaged, removed: no reading rather than a wrong one
                log.warning("telemetry could not read the terminal database (%s)", type(exc).__name__)
                self.close_locked()
                return None
            self._last = (now, found)
            return found

    def _read(self) -> Snapshot:
        db = self._open()
        status = Outbox(db, self.clock).status()
        (last,), = db.read(_LAST_DELIVERY)
        # Open and not expired, used up or not (Allowances.active leaves out a used-up one).
        allowance = db.read(_ALLOWANCE, (self.terminal_id, self.clock()))
        used_sales, used_cents = (allowance[0][0], allowance[0][1]) if allowance else (0, 0)
        return Snapshot(status.depth, status.oldest_age_s or 0.0, status.held, status.dead, status.paused is not None,
                        last, bool(allowance), used_sales, used_cents,
                        Allowances(db, self.terminal_id, self.clock).pending())

    def close_locked(self) -> None:
        if self._db is not None:
            try:
                self._db.conn.close()
            except sqlite3.Error:
                pass
            self._db = None

    def close(self) -> None:
        with self._lock:
            self.close_locked()
