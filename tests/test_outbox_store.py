"""The terminal database: pragmas, migrations from an older schema, a full disk, a damaged file."""

from __future__ import annotations

import json
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.loyalty.models import Order, OrderLine
from tests import annex_ops
from kiosk.outbox import ops
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import SCHEMA_VERSION, StorageCorrupt, StorageError, StorageFull, open_database

FIXTURE_V1 = Path(__file__).parent / "fixtures" / "outbox_v1.sqlite3"


def _order(n: int = 1) -> ops.Operation:
    lines = tuple(OrderLine(f"L{i}", "Tea", Decimal("2.50"), 2) for i in range(n))
    return annex_ops.create_order(Order(ops.new_order_id("T01"), "M100001", Decimal("5.00") * n, lines))


def test_new_database_is_wal_full_sync_at_current_schema(tmp_path):
    db = open_database(tmp_path / "t.sqlite3")
    assert db.read("PRAGMA journal_mode")[0][0] == "wal"
    assert db.read("PRAGMA synchronous")[0][0] == 2  # FULL
    assert db.read("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    assert db.integrity() == "ok"


def test_reopening_keeps_rows_and_does_not_migrate_again(tmp_path):
    db = open_database(tmp_path / "t.sqlite3")
    Outbox(db).enqueue([_order()])
    db.close()
    again = open_database(tmp_path / "t.sqlite3")
    assert Outbox(again).status().depth == 1
    assert not list(tmp_path.glob("*.bak"))


def test_version_1_database_with_pending_rows_migrates_and_loses_none(tmp_path):
    path = tmp_path / "terminal.sqlite3"
    shutil.copy(FIXTURE_V1, path)
    with sqlite3.connect(path) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1
        before = old.execute("SELECT id, key, kind, method, path, body, state, maybe_sent FROM ops ORDER BY id"
                             ).fetchall()
        assert "lane" not in [c[1] for c in old.execute("PRAGMA table_info(ops)")]
    assert len([r for r in before if r[6] == "pending"]) >= 3

    db = open_database(path)
    after = [tuple(r) for r in db.read("SELECT id, key, kind, wire, state, maybe_sent, vendor FROM ops ORDER BY id")]
    # The queued Annex Cloud bytes are carried over unchanged: method, path and body, as sent.
    assert after == [(i, key, kind, f"{method} {path}\n".encode() + bytes(body), state, sent, "annex")
                     for i, key, kind, method, path, body, state, sent in before]
    # Their intents are read back for the queue's people and sums.
    intents = [json.loads(r["intent"]) for r in db.read("SELECT intent FROM ops ORDER BY id")]
    assert [i["kind"] for i in intents] == [r[2] for r in before]
    assert {r["lane"] for r in db.read("SELECT lane FROM ops")} == {"background"}
    assert db.read("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    # The old file was copied aside before it was changed.
    backup = Path(f"{path}.v1.bak")
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA user_version").fetchone()[0] == 1
        assert copy.execute("SELECT COUNT(*) FROM ops").fetchone()[0] == len(before)
    # The migrated rows are deliverable in their recorded order, groups intact.
    rows = Outbox(db).claim("me", 10, 5.0)
    # The return of lines waits for its order; the delivered row is not sent again.
    assert [(r.id, r.kind, r.maybe_sent) for r in rows] == [(1, "order", True), (2, "award_points", False)]


def test_database_from_a_newer_kiosk_is_refused(tmp_path):
    path = tmp_path / "t.sqlite3"
    open_database(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError, match="newer Kiosk"):
        open_database(path)


def test_full_disk_refuses_the_sale_whole_with_a_clear_message(tmp_path):
    db = open_database(tmp_path / "t.sqlite3")
    outbox = Outbox(db)
    outbox.enqueue([_order()])
    pages = db.read("PRAGMA page_count")[0][0]
    db.conn.execute(f"PRAGMA max_page_count={pages}")
    # A sale of four operations, each large enough to need new pages.
    sale = [_order(200) for _ in range(4)]
    with pytest.raises(StorageFull, match="disk is full.*not saved"):
        outbox.enqueue(sale, sale_id="S-1")
    assert db.read("SELECT COUNT(*) FROM ops")[0][0] == 1
    assert db.read("SELECT COUNT(*) FROM op_groups")[0][0] == 1
    assert db.integrity() == "ok"
    # Once there is room again the same sale goes through.
    db.conn.execute("PRAGMA max_page_count=1073741823")
    assert len(outbox.enqueue(sale, sale_id="S-1")) == 4


def test_damaged_file_is_a_clear_message_and_is_kept(tmp_path):
    path = tmp_path / "t.sqlite3"
    path.write_bytes(b"this is not a database, it is a damaged file" * 100)
    with pytest.raises(StorageCorrupt, match="damaged. Nothing has been deleted"):
        open_database(path)
    assert path.read_bytes().startswith(b"this is not a database")


def test_an_unwritable_folder_is_a_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="can't be opened"):
        open_database(blocker / "sub" / "t.sqlite3")
