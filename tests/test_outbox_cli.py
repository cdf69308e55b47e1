"""`kiosk queue status | list | retry ID | drain`, as store IT runs them."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests import annex_ops
from kiosk import cli
from kiosk.loyalty.models import Order, OrderLine
from kiosk.outbox import ops
from tests.helpers import ledger
from tests.outbox_workload import enqueue_into


@pytest.fixture
def terminal(tmp_path, monkeypatch, sandbox):
    db = tmp_path / "terminal.sqlite3"
    site = sandbox.store.site
    for name, value in {"KIOSK_OUTBOX__DB_PATH": str(db), "KIOSK_BACKEND__URL": sandbox.base_url,
                        "KIOSK_BACKEND__READS": '["orders", "points_activity", "code_redemption"]',
                        "KIOSK_BACKEND__SITE_ID": site.site_id, "KIOSK_BACKEND__SITE_NAME": site.site_name,
                        "KIOSK_API_SECRET": site.secret, "KIOSK_SETTINGS": str(tmp_path / "settings.toml"),
                        "KIOSK_OUTBOX__BACKOFF_BASE_S": "0.02"}.items():
        monkeypatch.setenv(name, value)
    return db


def _queue(db, *operations) -> list[int]:
    return enqueue_into(db, operations)


def _order(member: str = "M100001") -> ops.Operation:
    return annex_ops.create_order(Order(ops.new_order_id("T01"), member, Decimal("3.00"),
                                  (OrderLine("L1", "Tea", Decimal("3.00"), 1),)))


def test_status_of_a_new_terminal(terminal, capsys):
    assert cli.main(["queue", "status"]) == 0
    out = capsys.readouterr().out
    assert "(ok)" in out and "pending:    0" in out and "delivery:   running" in out


def test_drain_then_list_and_retry_a_dead_letter(terminal, capsys, sandbox):
    good, bad = _order(), _order(member="M999999")
    ids = _queue(terminal, good, bad)
    assert cli.main(["queue", "drain"]) == 0
    assert "1 delivered by this run, 0 pending, 1 dead" in capsys.readouterr().out
    assert [e["order_id"] for e in ledger(sandbox, "order_create")] == [good.key]

    assert cli.main(["queue", "list", "--state", "dead"]) == 0
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert (line["id"], line["kind"], line["attempts"]) == (ids[1], "order", 1)
    assert line["reason"].startswith("AC1005")
    assert "M999999" not in json.dumps(line)  # bodies (member data) are not listed

    assert cli.main(["queue", "status"]) == 0
    assert "dead:       1" in capsys.readouterr().out
    assert cli.main(["queue", "retry", str(ids[1])]) == 0
    assert "queued again" in capsys.readouterr().out
    assert cli.main(["queue", "retry", str(ids[1])]) == 1
    assert "not dead-lettered" in capsys.readouterr().err


def test_drain_with_refused_credentials_says_so_and_keeps_everything(terminal, capsys, monkeypatch):
    _queue(terminal, _order(), _order())
    monkeypatch.setenv("KIOSK_API_SECRET", "wrong-secret")
    assert cli.main(["queue", "drain"]) == 1
    assert "refused this terminal's credentials" in capsys.readouterr().err
    assert cli.main(["queue", "status"]) == 0
    out = capsys.readouterr().out
    assert "pending:    2" in out and "dead:       0" in out and "PAUSED" in out


def test_drain_gives_up_after_max_seconds_when_the_backend_is_away(terminal, capsys, monkeypatch):
    _queue(terminal, _order())
    monkeypatch.setenv("KIOSK_BACKEND__URL", "http://127.0.0.1:9/api/3.0/")
    assert cli.main(["queue", "drain", "--max-seconds", "1.5"]) == 1
    assert "stopped after 1.5 s with 1 pending (connection: offline)" in capsys.readouterr().err


def test_a_damaged_database_is_reported_not_replaced(terminal, capsys):
    terminal.write_bytes(b"garbage" * 1000)
    assert cli.main(["queue", "status"]) == 1
    assert "damaged" in capsys.readouterr().err
    assert terminal.read_bytes().startswith(b"garbage")
