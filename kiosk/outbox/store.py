"""The terminal's one SQLite database: opening, pragmas, schema migrations, storage errors.

The outbox and the sales live in this one file so that a sale and all of its
backend operations commit in a single transaction (a transaction spanning
attached WAL databases is not atomic). WAL with synchronous=FULL: a commit that
returned is on disk even if the power goes a moment later.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from kiosk import private
from kiosk.outbox.errors import StorageBusy, StorageCorrupt, StorageError, StorageFull

log = logging.getLogger(__name__)


WAL_LIMIT_BYTES = 512 * 1024

FULL_MESSAGE = ("The terminal's disk is full, so this was not saved and nothing was sent. "
                "Free some space (or call IT) and try again.")


def _corrupt_message(path: Path | str) -> str:
    return (f"The terminal's database {path} is damaged. Nothing has been deleted: stop the app, "
            "keep the file and call IT (`kiosk queue status` shows the problem).")


def _script(conn: sqlite3.Connection, sql: str) -> None:
    # Not executescript(): it commits first, which would split a migration in two.
    for statement in sql.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    _script(conn, """
        CREATE TABLE ops (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            body BLOB NOT NULL,
            member_id TEXT,
            sale_id TEXT,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            maybe_sent INTEGER NOT NULL DEFAULT 0,
            next_at REAL NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_until REAL,
            created_at REAL NOT NULL,
            sent_at REAL,
            done_at REAL,
            last_error TEXT,
            reply TEXT
        );
        CREATE INDEX ops_state ON ops (state, id);
        CREATE TABLE op_groups (
            grp TEXT NOT NULL,
            op_id INTEGER NOT NULL REFERENCES ops (id) ON DELETE CASCADE,
            PRIMARY KEY (grp, op_id)
        );
        CREATE INDEX op_groups_op ON op_groups (op_id);
        CREATE TABLE outbox_state (name TEXT PRIMARY KEY, value TEXT);
    """)


def _v2(conn: sqlite3.Connection) -> None:
    # The urgent lane (redemptions at Pay) and the backend's side of a mismatch.
    conn.execute("ALTER TABLE ops ADD COLUMN lane TEXT NOT NULL DEFAULT 'background'")
    conn.execute("ALTER TABLE ops ADD COLUMN backend_view TEXT")
    conn.execute("CREATE INDEX ops_lane ON ops (state, lane, id)")


def _v3_operators(conn: sqlite3.Connection) -> None:
    # Operators and the audit log live here so that a sale and the audit entry
    # naming its cashier and approving manager commit in one transaction.
    _script(conn, """
        CREATE TABLE operators (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('cashier', 'manager')),
            pin_hash TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            locked_until REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            terminal_id TEXT NOT NULL,
            operator_id TEXT,
            action TEXT NOT NULL,
            subject TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}',
            approver_id TEXT
        );
        CREATE INDEX audit_log_at ON audit_log (at);
        CREATE INDEX audit_log_operator ON audit_log (operator_id, id);
        CREATE INDEX audit_log_action ON audit_log (action, id)
    """)
    # Append-only in the database itself, not only in the API: a record a person
    # relies on must not be quietly editable by a later bug. One statement each,
    # as _script would cut a trigger body at its semicolons.
    for verb in ("UPDATE", "DELETE"):
        conn.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                     "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


def _v4_sales(conn: sqlite3.Connection) -> None:
    # A redemption abandoned at Pay is cancelled if it never took effect (see Outbox.cancel).
    conn.execute("ALTER TABLE ops ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0")
    _script(conn, """
        CREATE TABLE sales (
            id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            terminal_id TEXT NOT NULL,
            store_id TEXT,
            operator_id TEXT NOT NULL,
            member_id TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            snapshot TEXT NOT NULL,
            order_op INTEGER,
            offline INTEGER NOT NULL DEFAULT 0,
            outcome TEXT
        );
        CREATE INDEX sales_state ON sales (state, updated_at);
        CREATE TABLE sale_redemptions (
            id INTEGER PRIMARY KEY,
            sale_id TEXT NOT NULL REFERENCES sales (id),
            attempt INTEGER NOT NULL,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            user_id TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,
            amount_cents INTEGER NOT NULL DEFAULT 0,
            op_id INTEGER NOT NULL,
            state TEXT NOT NULL,
            undo_key TEXT,
            undo_op INTEGER,
            reply TEXT,
            offline INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX sale_redemptions_sale ON sale_redemptions (sale_id);
        CREATE INDEX sale_redemptions_state ON sale_redemptions (state);
        CREATE TABLE returns (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            terminal_id TEXT NOT NULL,
            operator_id TEXT NOT NULL,
            approver_id TEXT NOT NULL,
            created_at REAL NOT NULL,
            whole INTEGER NOT NULL,
            snapshot TEXT NOT NULL
        );
        CREATE INDEX returns_order ON returns (order_id);
        CREATE TABLE offline_allowances (
            id INTEGER PRIMARY KEY,
            terminal_id TEXT NOT NULL,
            approver_id TEXT NOT NULL,
            granted_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            max_sales INTEGER NOT NULL,
            max_cents INTEGER NOT NULL,
            used_sales INTEGER NOT NULL DEFAULT 0,
            used_cents INTEGER NOT NULL DEFAULT 0,
            closed INTEGER NOT NULL DEFAULT 0
        );
    """)


def _v5_retention(conn: sqlite3.Connection) -> None:
    # The audit log stays append-only, except for entries past their retention: the
    # pruning transaction names its cut-off in outbox_state (kiosk/checkout/retention.py).
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN OLD.at >= COALESCE("
                 "(SELECT CAST(value AS REAL) FROM outbox_state WHERE name = 'audit_prune_before'), 0) "
                 "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


def _v6_intents(conn: sqlite3.Connection) -> None:
    # Writes as intents: each row keeps its vendor, its intent in the terminal's terms,
    # and the adapter's bytes ("wire"), opaque here. Rows queued before are Annex
    # Cloud's: their method, path and body become its wire bytes, unchanged, and their
    # intent is read back from the body by that adapter (for the queue's people and sums).
    from kiosk.loyalty.annex.writes import legacy_intent

    conn.execute("ALTER TABLE ops ADD COLUMN vendor TEXT NOT NULL DEFAULT 'annex'")
    conn.execute("ALTER TABLE ops ADD COLUMN intent TEXT")
    conn.execute("ALTER TABLE ops ADD COLUMN wire BLOB")
    conn.execute("ALTER TABLE ops ADD COLUMN evidence TEXT")
    for row in conn.execute("SELECT id, kind, method, path, body FROM ops").fetchall():
        body = bytes(row["body"])
        conn.execute("UPDATE ops SET wire=?, intent=? WHERE id=?",
                     (f"{row['method']} {row['path']}\n".encode() + body,
                      json.dumps(legacy_intent(row["kind"], body)), row["id"]))
    for column in ("method", "path", "body"):
        conn.execute(f"ALTER TABLE ops DROP COLUMN {column}")


def _v7_selfservice(conn: sqlite3.Connection) -> None:
    # The self-service kiosk: wrong guesses and the locks they set (kept here so a lock
    # survives a restart), and the reward passes paid with (so one is refused the second time).
    _script(conn, """
        CREATE TABLE wrong_guesses (
            id INTEGER PRIMARY KEY,
            entry TEXT NOT NULL,
            at REAL NOT NULL
        );
        CREATE INDEX wrong_guesses_entry ON wrong_guesses (entry, at);
        CREATE TABLE entry_locks (
            entry TEXT PRIMARY KEY,
            locked_at REAL NOT NULL,
            locked_until REAL NOT NULL
        );
        CREATE TABLE used_passes (
            pass_id TEXT PRIMARY KEY,
            sale_id TEXT NOT NULL,
            member_id TEXT NOT NULL,
            reward_id TEXT NOT NULL,
            used_at REAL NOT NULL
        )
    """)


# Index i brings the schema from version i to i + 1. Later issues append here
# (receipts, ...), never edit an entry that has shipped.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3_operators, _v4_sales, _v5_retention,
                                                       _v6_intents, _v7_selfservice]
SCHEMA_VERSION = len(MIGRATIONS)


def _translate(exc: sqlite3.Error, path: Path | str) -> StorageError | None:
    # Python 3.11 names the SQLite result code; the message is the fallback.
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith("SQLITE_FULL") or "full" in text:
        return StorageFull(FULL_MESSAGE)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return StorageCorrupt(_corrupt_message(path))
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StorageBusy(f"The terminal's database {path} stayed locked by another program; trying again.")
    return None


class Database:
    """One connection per process and thread-safe through a lock: the outbox's
    writes are short, and one writer at a time is what SQLite does anyway."""

    def __init__(self, conn: sqlite3.Connection, path: Path | str):
        self.conn = conn
        self.path = path
        self.lock = threading.RLock()
        self._after: list[Callable[[], None]] = []

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; storage failures come out as StorageError."""
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _translate(exc, self.path) or exc
            self._after = []
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as exc:
                self._after = []
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise (_translate(exc, self.path) or exc) from None
                raise
            after, self._after = self._after, []
        for fn in after:
            try:
                fn()
            except Exception:  # an observer's bug must not fail what was committed
                log.exception("after-commit callback failed")

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Call `fn` once the transaction in progress has committed (never, if it rolls back):
        what observers count (kiosk/fleet) is then only what is on disk."""
        with self.lock:
            if self.conn.in_transaction:
                self._after.append(fn)
                return
        fn()

    def read(self, sql: str, args: tuple | dict = ()) -> list[sqlite3.Row]:
        with self.lock:
            try:
                return self.conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise (_translate(exc, self.path) or exc) from None

    def wal_bytes(self) -> int:
        try:
            return os.path.getsize(f"{self.path}-wal")
        except OSError:
            return 0

    def checkpoint(self) -> bool:
        """Copy the journal into the database and empty it (the file shrinks to nothing).
        False when a reader elsewhere (`kiosk queue drain`) kept part of it; the next try finishes."""
        with self.lock:
            try:
                busy, _, _ = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error as exc:
                raise (_translate(exc, self.path) or exc) from None
        return not busy

    def integrity(self) -> str:
        return self.read("PRAGMA integrity_check")[0][0]

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def open_database(path: Path | str, *, busy_timeout_s: float = 10.0) -> Database:
    """Open (or create) the terminal database and bring its schema up to date."""
    path = Path(path)
    try:
        private.create_file(path)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                               timeout=busy_timeout_s)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        # SQLite checkpoints the journal itself every ~4 MB but keeps the file at its
        # largest; past this size it is cut back (and the engine empties it after a drain).
        conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        conn.execute("PRAGMA foreign_keys=ON")
        db = Database(conn, path)
        _migrate(db)
        return db
    except sqlite3.Error as exc:
        raise (_translate(exc, path) or StorageError(f"The terminal's database {path} can't be opened: {exc}")) \
            from None
    except OSError as exc:
        raise StorageError(f"The terminal's database {path} can't be opened: {exc.strerror}") from None


def _migrate(db: Database) -> None:
    version = db.read("PRAGMA user_version")[0][0]
    if version > SCHEMA_VERSION:
        raise StorageError(f"The terminal's database {db.path} was written by a newer Kiosk "
                           f"(schema {version}, this one knows {SCHEMA_VERSION}). Update Kiosk.")
    if version == SCHEMA_VERSION:
        return
    if version > 0:
        _backup(db, version)
    with db.tx() as conn:
        # Read again under the write lock: the app and `kiosk queue drain` may start
        # together, and only one of them may run the steps. user_version commits with
        # them, so a crash mid-way leaves the old schema whole.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in range(version, SCHEMA_VERSION):
            MIGRATIONS[step](conn)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    log.info("terminal database schema %s -> %s", version, SCHEMA_VERSION)


def _backup(db: Database, version: int) -> None:
    """A copy of the old file before changing it, taken through SQLite so WAL contents are included."""
    target = Path(f"{db.path}.v{version}.bak")
    if target.exists():
        return
    try:
        private.create_file(target)
        with sqlite3.connect(target) as copy:
            db.conn.backup(copy)
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise (_translate(exc, db.path) or exc) from None
