"""Real drainer processes: SIGKILLed at random moments, and two at once on one database.

The sandbox runs with its own duplicate protection OFF, so a write sent twice
is applied twice and shows in its ledger: exactly-once here is the outbox's doing.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import set_faults
from tests.outbox_workload import Workload, assert_exactly_once, enqueue_into, make_gift_cards

ROOT = Path(__file__).resolve().parents[1]


def _env(sandbox, db: Path, **extra: str) -> dict:
    site = sandbox.store.site
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update({
        "KIOSK_BACKEND__URL": sandbox.base_url, "KIOSK_BACKEND__SITE_ID": site.site_id,
        "KIOSK_BACKEND__SITE_NAME": site.site_name, "KIOSK_API_SECRET": site.secret,
        "KIOSK_BACKEND__ATTEMPT_TIMEOUT_S": "1", "KIOSK_OUTBOX__DB_PATH": str(db),
        "KIOSK_OUTBOX__BACKOFF_BASE_S": "0.05", "KIOSK_OUTBOX__BACKOFF_CAP_S": "0.5",
        # Loopback with at most 150 ms of latency: an attempt has settled well within this.
        "KIOSK_OUTBOX__SETTLE_S": "1.5",
        "KIOSK_SETTINGS": str(db.parent / "settings.toml"), **extra})
    return env


def _drainer(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kiosk.cli", "queue", "drain"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=log.open("ab"), text=True)


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _assert_exactly_once(sandbox, db: Path, operations) -> None:
    assert_exactly_once(sandbox, operations)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state, COUNT(*) FROM ops GROUP BY state").fetchall() == [("done", len(operations))]


@pytest.mark.slow  # a hundred processes killed and restarted: about two minutes
def test_drainer_killed_100_times_still_delivers_every_operation_exactly_once(sandbox, tmp_path):
    db, log = tmp_path / "terminal.sqlite3", tmp_path / "drainer.log"
    operations = Workload(cards=make_gift_cards(sandbox, 6), seed=2026).operations(1000)
    enqueue_into(db, operations)
    # Latency keeps the drain slow enough that the kills land all through it.
    set_faults(sandbox, duplicate_protection=False, drop_reply_rate=0.05, error_rate=0.05, latency_ms=150, seed=5)
    env = _env(sandbox, db, KIOSK_OUTBOX__MAX_IN_FLIGHT="4")
    rng, kills, pending_at_kill = random.Random(99), 0, []
    while kills < 100:
        process = _drainer(env, log)
        time.sleep(rng.uniform(0.1, 1.2))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(30)
        assert _integrity(db) == "ok", f"integrity check failed after kill {kills}"
        with sqlite3.connect(db) as conn:
            pending_at_kill.append(conn.execute("SELECT COUNT(*) FROM ops WHERE state='pending'").fetchone()[0])
    # The kills came while there was work: the queue was still draining at the last third of them.
    assert pending_at_kill[66] > 0, pending_at_kill
    final = _drainer(env, log)
    out, _ = final.communicate(timeout=240)
    assert final.returncode == 0, log.read_text()[-3000:]
    assert "0 pending, 0 dead" in out
    _assert_exactly_once(sandbox, db, operations)


@pytest.mark.slow  # two drainer processes racing over a real queue
def test_two_drainers_on_one_database_send_nothing_twice(sandbox, tmp_path):
    db, log = tmp_path / "terminal.sqlite3", tmp_path / "drainer.log"
    operations = Workload(cards=make_gift_cards(sandbox, 4), seed=42).operations(300)
    enqueue_into(db, operations)
    set_faults(sandbox, duplicate_protection=False, drop_reply_rate=0.05, latency_ms=40, seed=8)
    env = _env(sandbox, db)
    first, second = _drainer(env, log), _drainer(env, log)
    outputs = [p.communicate(timeout=240)[0] for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], log.read_text()[-3000:]
    delivered = [int(out.split("queue drained: ")[1].split()[0]) for out in outputs]
    # Both took part, and together they delivered each operation once.
    assert all(n > 0 for n in delivered) and sum(delivered) == len(operations), delivered
    _assert_exactly_once(sandbox, db, operations)
