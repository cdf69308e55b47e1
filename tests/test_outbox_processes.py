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
        "KIOSK_SETTINGS": str(db.parent / "settings.toml")})
    if getattr(sandbox, "profile", "extended") == "extended":
        # The extended sandbox's reads, declared as a site would (the embedded demo does this itself).
        env["KIOSK_BACKEND__READS"] = '["orders", "points_activity", "code_redemption"]'
    env.update(extra)
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


@pytest.mark.slow  # a hundred processes killed while delivering, each after its start-up: about 4 minutes
@pytest.mark.timeout(900)
def test_drainer_killed_100_times_still_delivers_every_operation_exactly_once(sandbox, tmp_path):
    db, log = tmp_path / "terminal.sqlite3", tmp_path / "drainer.log"
    operations = Workload(cards=make_gift_cards(sandbox, 6), seed=2026).operations(1000)
    enqueue_into(db, operations)
    # Latency keeps the drain slow enough that the kills land all through it.
    set_faults(sandbox, duplicate_protection=False, drop_reply_rate=0.05, error_rate=0.05, latency_ms=150, seed=5)
    env = _env(sandbox, db, KIOSK_OUTBOX__MAX_IN_FLIGHT="4")
    pending_at_kill = _kill_drainers(env, log, db, 100, seed=99)
    # The kills came while there was work, and work was done between them: the queue went
    # down across the kills and was still draining at the last third of them.
    assert pending_at_kill[66] > 0 and pending_at_kill[-1] < len(operations), pending_at_kill
    print(f"pending at the kills: {pending_at_kill[0]} ... {pending_at_kill[-1]} of {len(operations)}")
    final = _drainer(env, log)
    out, _ = final.communicate(timeout=240)
    assert final.returncode == 0, log.read_text()[-3000:]
    assert "0 pending, 0 dead" in out
    _assert_exactly_once(sandbox, db, operations)


def _sending(db: Path, pid: int) -> bool:
    """Whether the drainer `pid` holds a lease (its owner names its pid): it is delivering."""
    with sqlite3.connect(db, timeout=5) as conn:
        return conn.execute("SELECT 1 FROM ops WHERE lease_owner LIKE ? LIMIT 1",
                            (f"%:{pid}:%",)).fetchone() is not None


def _kill_drainers(env: dict, log: Path, db: Path, kills_wanted: int, seed: int, *,
                   when_sending: bool = True) -> list[int]:
    """Start a drainer, and SIGKILL it once it is delivering (a lease is held), at a random
    moment of its work: a drainer takes over a second to start here, so a kill on a fixed
    clock from its start would land before any send. `when_sending` False: on that clock
    (0.1-1.2 s), which mostly kills drainers starting up."""
    rng, kills, pending_at_kill = random.Random(seed), 0, []
    while kills < kills_wanted and (not pending_at_kill or pending_at_kill[-1] > 0):
        process = _drainer(env, log)
        if when_sending:
            deadline = time.monotonic() + 20
            while process.poll() is None and not _sending(db, process.pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.8))
        else:
            time.sleep(rng.uniform(0.1, 1.2))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(30)
        # A drainer that ended on its own must have ended well: one failing at start-up
        # would otherwise be started again and again, and never be killed.
        assert process.returncode in (0, -signal.SIGKILL), log.read_text()[-3000:]
        assert _integrity(db) == "ok", f"integrity check failed after kill {kills}"
        with sqlite3.connect(db) as conn:
            pending_at_kill.append(conn.execute("SELECT COUNT(*) FROM ops WHERE state='pending'").fetchone()[0])
    # The queue emptied before the kills wanted (a fast machine): the test killed too few.
    assert kills == kills_wanted, f"the drain ended after {kills} kills of {kills_wanted}: {pending_at_kill[-5:]}"
    return pending_at_kill


@pytest.mark.slow  # a hundred processes killed while delivering, against the documented API alone, twice
@pytest.mark.timeout(900)
@pytest.mark.parametrize("declared", ["nothing", "orders"])
def test_drainer_killed_100_times_against_the_documented_api_loses_and_doubles_nothing(tmp_path, declared):
    """Nothing declared: every in-doubt order and points write is held, none resent blindly;
    the test settles each as a manager would (reading the backend) and then all land once.
    With the orders' deduplication declared (and the provider's order protection on), no
    order is ever held."""
    from kiosk.outbox.queue import Outbox
    from kiosk.outbox.store import open_database
    from kiosk.sandbox.server import SandboxServer
    from tests.outbox_workload import ledger_counts, ledger_key
    from tests.test_contract import make_gift_cards_documented

    sandbox = SandboxServer(tmp_path / "documented.sqlite3", faults=True, profile="documented").start()
    try:
        db, log = tmp_path / "terminal.sqlite3", tmp_path / "drainer.log"
        operations = Workload(cards=make_gift_cards_documented(sandbox), seed=2027, priced_here=True).operations(600)
        enqueue_into(db, operations)
        set_faults(sandbox, duplicate_protection=False, order_protection=declared == "orders", drop_reply_rate=0.05,
                   error_rate=0.05, latency_ms=150, seed=6)
        extra = {"KIOSK_BACKEND__DEDUPLICATES": '["orders"]'} if declared == "orders" else {}
        env = _env(sandbox, db, KIOSK_OUTBOX__MAX_IN_FLIGHT="4", **extra)
        # On the clock: killed while delivering, the held writes' settling rounds take this
        # test past a quarter of an hour on this machine (measured); the extended test kills
        # drainers while delivering.
        pending = _kill_drainers(env, log, db, 100, seed=98, when_sending=False)
        assert pending[66] > 0, pending
        # The faults stay on for the drain after the kills, as in the extended test.
        final = _drainer(env, log)
        final.communicate(timeout=240)
        store = open_database(db)
        outbox = Outbox(store)
        held_kinds: dict[str, int] = {}
        try:
            counts = ledger_counts(sandbox)
            by_key = {op.key: op for op in operations}
            for round_ in range(6):  # settling one may let its group's next write go and be held in turn
                held = outbox.rows("held", 10000)
                if not held:
                    break
                if round_ == 2:
                    set_faults(sandbox, drop_reply_rate=0.0, error_rate=0.0, latency_ms=0)
                for row in held:
                    held_kinds[row["kind"]] = held_kinds.get(row["kind"], 0) + 1
                    outbox.resolve(row["id"], applied=counts[ledger_key(by_key[row["key"]])] == 1, note="ledger")
                store.close()
                final = _drainer(env, log)
                final.communicate(timeout=240)
                store = open_database(db)
                outbox = Outbox(store)
                counts = ledger_counts(sandbox)
        finally:
            store.close()
        print(f"held with {declared} declared: {held_kinds}")
        assert set(held_kinds) <= {"order", "full_return", "return_lines", "award_points", "debit_points",
                                   "redeem_code", "undo_code"}
        # Lost replies did happen, and what no declared read or deduplication can settle was held.
        assert held_kinds.get("order" if declared == "nothing" else "award_points", 0) > 0, held_kinds
        if declared == "orders":
            assert not {"order", "full_return"} & set(held_kinds)
        _assert_exactly_once(sandbox, db, operations)
    finally:
        sandbox.stop()


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
