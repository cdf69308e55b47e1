"""Real drainer processes against the Loyalty Prime sandbox, SIGKILLed at random moments.

Duplicate protection is off in the sandbox, 5 % of replies are lost and 5 % answered 503:
a write sent twice would be applied twice and show in the ledger, so exactly-once here is
the outbox's and the adapter's reconciliation's doing."""

from __future__ import annotations

import os
import sqlite3

import pytest

from tests.outbox_workload import Workload, assert_exactly_once, enqueue_into
from tests.prime_helpers import prime_encoder, prime_server, set_prime_faults
from tests.test_outbox_processes import _drainer, _integrity, _kill_drainers

def _env(server, db) -> dict:
    info = server.info()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update({
        "KIOSK_BACKEND__VENDOR": "loyaltyprime", "KIOSK_BACKEND__URL": server.base_url,
        "KIOSK_BACKEND__PARTNER_ID": info["partnerId"], "KIOSK_BACKEND__DEBITOR_ID": info["debitorId"],
        "KIOSK_BACKEND__CHANNEL_KEY": info["channelKey"], "KIOSK_API_SECRET": info["apiKey"],
        "KIOSK_BACKEND__READS": '["tx_details", "deposit_statement", "voucher_info"]',
        "KIOSK_BACKEND__ATTEMPT_TIMEOUT_S": "1", "KIOSK_OUTBOX__DB_PATH": str(db),
        "KIOSK_OUTBOX__BACKOFF_BASE_S": "0.05", "KIOSK_OUTBOX__BACKOFF_CAP_S": "0.5",
        "KIOSK_OUTBOX__SETTLE_S": "1.5", "KIOSK_OUTBOX__MAX_IN_FLIGHT": "4",
        "KIOSK_SETTINGS": str(db.parent / "settings.toml")})
    return env


@pytest.mark.slow  # a hundred processes killed while delivering, each after its start-up: about four minutes
@pytest.mark.timeout(900)
def test_drainer_killed_100_times_on_loyalty_prime_delivers_every_operation_exactly_once(tmp_path):
    server = prime_server(tmp_path / "prime.sqlite3")
    try:
        db, log = tmp_path / "terminal.sqlite3", tmp_path / "drainer.log"
        operations = Workload(seed=2027, encoder=prime_encoder(), priced_here=True).operations(1500)
        enqueue_into(db, operations)
        set_prime_faults(server, duplicate_protection=False, drop_reply_rate=0.05, error_rate=0.05, latency_ms=150,
                         seed=6)
        env = _env(server, db)
        pending_at_kill = _kill_drainers(env, log, db, 100, seed=97)
        # The kills landed all through the drain: work was done between them, and some was still left.
        assert pending_at_kill[33] < len(operations) and pending_at_kill[66] > 0, pending_at_kill
        final = _drainer(env, log)
        out, _ = final.communicate(timeout=240)
        assert final.returncode == 0, log.read_text()[-3000:]
        assert "0 pending, 0 dead" in out, out
        assert _integrity(db) == "ok"
        assert_exactly_once(server, operations)
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT state, COUNT(*) FROM ops GROUP BY state").fetchall() == [("done", len(operations))]
        print(f"\nLoyalty Prime crash test: 100 SIGKILLs, {len(operations)} operations, pending at kills "
              f"{pending_at_kill[0]} -> {pending_at_kill[-1]}; {out.strip()}")
    finally:
        server.stop()
