"""Fleet telemetry end to end: a till process exports to an OTLP/HTTP receiver on loopback
after a scripted day; the resource, every gauge against the terminal database, the counters,
no member, order or card data anywhere; then the collector goes away, the till sells on, and
the export after it returns carries the cumulative counts."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path


from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import Database
from tests.otlp_receiver import Receiver

ROOT = Path(__file__).resolve().parents[1]
INTERVAL_S = 1.0
GAUGES = ("kiosk.outbox.pending", "kiosk.outbox.oldest_age", "kiosk.outbox.held", "kiosk.outbox.dead",
          "kiosk.outbox.paused", "kiosk.backend.since_answer", "kiosk.offline_allowance.active",
          "kiosk.offline_allowance.sales_used", "kiosk.offline_allowance.used", "kiosk.offline_allowance.pending")
ALLOWED_KEYS = {"kiosk.sale.offline", "kiosk.return.whole", "kiosk.redemption.kind", "kiosk.scan.source",
                "kiosk.backend.operation", "error.type"}


class Child:
    def __init__(self, tmp: Path, endpoint: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "OTEL_"))}
        env.update(XDG_DATA_HOME=str(tmp / "data"), XDG_CONFIG_HOME=str(tmp / "config"),
                   XDG_STATE_HOME=str(tmp / "state"), KIOSK_SYSTEM_SETTINGS=str(tmp / "none.toml"),
                   KIOSK_TELEMETRY__ENABLED="true", KIOSK_TELEMETRY__ENDPOINT=endpoint,
                   KIOSK_TELEMETRY__INTERVAL_S=str(INTERVAL_S), KIOSK_TELEMETRY__CHAIN="acme-stores",
                   KIOSK_SCANNER__CAMERA="", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
        self.process = subprocess.Popen([sys.executable, "-m", "tests.fleet_day_child"], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)

    def expect(self, tag: str) -> dict:
        for line in self.process.stdout:
            if line.startswith(tag + " "):
                return json.loads(line[len(tag) + 1:])
        raise AssertionError(f"the till process ended before {tag}: {self.process.stderr.read()[-4000:]}")

    def send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()


def read_db(path: str) -> dict:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    status = Outbox(Database(conn, path)).status()
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    facts = {"pending": status.depth, "oldest": status.oldest_age_s or 0.0, "held": status.held,
             "dead": status.dead, "paused": int(status.paused is not None),
             "sales": one("SELECT COUNT(*) FROM audit_log WHERE action='sale'"),
             "returns": one("SELECT COUNT(*) FROM audit_log WHERE action='return'"),
             "redemptions": one("SELECT COUNT(*) FROM ops WHERE kind IN ('redeem_code','redeem_codes',"
                                "'redeem_reward') AND state='done'"),
             "allowance": conn.execute("SELECT used_sales, used_cents FROM offline_allowances WHERE closed=0"
                                       " ORDER BY id DESC LIMIT 1").fetchone()}
    conn.close()
    return facts


def total(points: list) -> float:
    return sum(value for _, value in points)


def by(points: list, key: str) -> dict:
    out: dict = {}
    for attrs, value in points:
        out[attrs.get(key)] = out.get(attrs.get(key), 0) + value
    return out


def latest_after(receiver: Receiver, seen: int, timeout: float):
    assert receiver.wait_for(seen + 1, timeout), "no export arrived"
    return receiver.metrics(receiver.requests[-1])


def every_value(request) -> list[str]:
    resource, metrics = Receiver.metrics(request)
    return [str(v) for v in resource.values()] + [str(v) for points in metrics.values() for attrs, _ in points
                                                   for v in attrs.values()] + list(metrics)


def test_a_till_reports_its_day_and_its_counts_survive_a_collector_outage(tmp_path):
    receiver = Receiver().start()
    child = Child(tmp_path, receiver.endpoint)
    try:
        ready = child.expect("READY")
        # The second export from now: the first may have been collected just before READY.
        seen = len(receiver.requests) + 1
        resource, metrics = latest_after(receiver, seen, 10 * INTERVAL_S)
        facts = read_db(ready["db"])
        now = time.time()

        assert resource["service.name"] == "kiosk"
        assert resource["service.namespace"] == "acme-stores"
        assert resource["service.instance.id"] == ready["instance"]
        assert resource["service.version"]
        assert (resource["kiosk.store.id"], resource["kiosk.terminal.id"]) == ("STORE-001", "T01")
        assert resource["kiosk.terminal.mode"] == "cashier"
        assert resource["deployment.environment.name"] == "demo"
        assert ready["instance"] == str(uuid.uuid5(uuid.UUID("4d63009a-8d0f-11ee-aad7-4c796ed8e320"), "STORE-001/T01"))

        for name in GAUGES:
            assert name in metrics, name
        value = {name: total(metrics[name]) for name in GAUGES}
        # The backend is down: nothing moves in the outbox between the export and this read.
        assert value["kiosk.outbox.pending"] == facts["pending"] >= 1
        assert value["kiosk.outbox.dead"] == facts["dead"] == 1
        assert value["kiosk.outbox.held"] == facts["held"] == 0
        assert value["kiosk.outbox.paused"] == facts["paused"] == 0
        assert abs(value["kiosk.outbox.oldest_age"] - facts["oldest"]) <= 3 * INTERVAL_S + 1
        assert value["kiosk.offline_allowance.active"] == 1
        assert (value["kiosk.offline_allowance.sales_used"], value["kiosk.offline_allowance.used"]) \
            == tuple(facts["allowance"]) == (0, 0)
        since = value["kiosk.backend.since_answer"]
        assert now - ready["backend_down_at"] - 3 * INTERVAL_S - 1 <= since <= now - ready["backend_down_at"] + 5

        assert total(metrics["kiosk.sales"]) == facts["sales"] == 6
        assert total(metrics["kiosk.returns"]) == facts["returns"] == 2
        assert by(metrics["kiosk.returns"], "kiosk.return.whole") == {True: 2}
        assert total(metrics["kiosk.redemptions"]) == facts["redemptions"] >= 3
        assert total(metrics["kiosk.enrolments"]) == 3
        assert by(metrics["kiosk.scans"], "kiosk.scan.source") == {"camera": 3, "serial": 2, "wedge": 1}
        kinds = by(metrics["kiosk.backend.errors"], "error.type")
        assert kinds.get("not_found", 0) >= 2 and kinds.get("unreachable", 0) >= 1, kinds
        durations = {attrs["kiosk.backend.operation"] for attrs, _ in metrics["kiosk.backend.duration"]}
        assert {"order", "get_member", "enrol_member", "validate_code"} <= durations

        keys = {k for points in metrics.values() for attrs, _ in points for k in attrs}
        assert keys <= ALLOWED_KEYS, keys
        private = set(ready["sales"]) | set(ready["codes"]) | set(ready["contacts"]) | {
            "M100001", "M100002", "M100004", "ben.okafor@example.com", "555-010-0003", "M999999",
            "nobody@example.com"}
        for request in receiver.requests:
            for text in every_value(request):
                assert not any(p.lower() in text.lower() for p in private), text

        # The collector goes away; the till sells on, and what it counted meanwhile arrives later.
        receiver.stop()
        child.send("sell")
        sold = child.expect("SOLD")
        assert sold["sale"]
        time.sleep(3 * INTERVAL_S)
        receiver.start()
        seen = len(receiver.requests)
        # The first to arrive may be a retry of a batch collected before that sale (the exporter
        # retries for up to its timeout); each carries the totals as of its collection.
        deadline = time.monotonic() + 30 * INTERVAL_S
        sales = []
        while not sales or sales[-1] < 7:
            assert time.monotonic() < deadline, f"no export carried the sale made while the collector was down: {sales}"
            assert receiver.wait_for(seen + len(sales) + 1, 30 * INTERVAL_S), "no export arrived after the outage"
            _, metrics = receiver.metrics(receiver.requests[seen + len(sales)])
            sales.append(total(metrics["kiosk.sales"]))
        assert all(n >= 6 for n in sales)  # nothing counted before the outage was lost
        assert sales[-1] == read_db(ready["db"])["sales"] == 7
        assert total(metrics["kiosk.returns"]) == 2 and total(metrics["kiosk.enrolments"]) == 3

        child.send("quit")
        closed = child.expect("CLOSED")
        assert child.process.wait(30) == 0
        assert closed["close_s"] < 1.0  # returned at once; the last export ran on its own thread
    finally:
        if child.process.poll() is None:
            child.process.kill()
        receiver.stop()
