"""Fleet telemetry's parts: where it exports, what it is called, what it logs, how it stops,
and a terminal without the extra (the SDK hidden from a real interpreter)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from kiosk import config
from kiosk.checkout.audit import AuditLog
from kiosk.fleet import identity
from kiosk.fleet import telemetry as fleet
from kiosk.fleet.doctor import _telemetry
from kiosk.fleet.instruments import error_kind
from kiosk.fleet.loglimit import RateLimit
from kiosk.fleet.readings import Readings
from kiosk.loyalty import errors
from kiosk.ops.doctor import OK, WARN, Context
from kiosk.outbox.store import open_database
from tests.otlp_receiver import Receiver

ROOT = Path(__file__).resolve().parents[1]


def settings(**telemetry) -> config.Settings:
    return config.Settings(telemetry=telemetry)


def test_the_endpoint_is_the_setting_then_the_standard_variables_then_the_otlp_default():
    assert fleet.endpoint_of(settings(endpoint="http://c:4318"), {}) == "http://c:4318/v1/metrics"
    assert fleet.endpoint_of(settings(endpoint="http://c:4318/custom"), {}) == "http://c:4318/custom"
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://base:4318/"}
    assert fleet.endpoint_of(settings(), env) == "http://base:4318/v1/metrics"
    env["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = "http://only-metrics:9000/in"
    assert fleet.endpoint_of(settings(), env) == "http://only-metrics:9000/in"
    assert fleet.endpoint_of(settings(endpoint="http://mine:4318"), env) == "http://mine:4318/v1/metrics"
    assert fleet.endpoint_of(settings(), {}) == "http://localhost:4318/v1/metrics"


def test_an_endpoint_is_shown_without_a_password_written_into_it():
    assert fleet.shown("https://user:s3cret@collector:4318/v1/metrics") == "https://collector:4318/v1/metrics"
    assert "s3cret" not in _telemetry(Context(settings(enabled=True, endpoint="http://u:s3cret@127.0.0.1:9"),
                                              {})).message


def test_the_interval_is_the_setting_when_given_else_otel_metric_export_interval():
    env = {"OTEL_METRIC_EXPORT_INTERVAL": "15000"}
    assert fleet.interval_of(settings(), {}) == 60
    assert fleet.interval_of(settings(), env) == 15
    assert fleet.interval_of(settings(interval_s=30), env) == 30
    assert fleet.interval_of(settings(), {"OTEL_METRIC_EXPORT_INTERVAL": "soon"}) == 60


def test_the_export_timeout_is_the_standard_variable_in_seconds_and_bounded():
    assert fleet.timeout_of({}) == 10
    assert fleet.timeout_of({"OTEL_EXPORTER_OTLP_TIMEOUT": "4"}) == 4
    assert fleet.timeout_of({"OTEL_EXPORTER_OTLP_TIMEOUT": "4", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "3"}) == 3
    assert fleet.timeout_of({"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}) == 10
    assert fleet.timeout_of({"OTEL_EXPORTER_OTLP_TIMEOUT": "10000"}) == 60


def test_bad_telemetry_settings_are_refused_with_the_field_named():
    with pytest.raises(ValueError, match="endpoint"):
        settings(endpoint="collector:4318")
    with pytest.raises(ValueError, match="interval_s"):
        settings(interval_s=0)
    assert config.Settings().telemetry.enabled is False  # off by default


def test_the_instance_id_is_made_once_and_kept_in_the_terminal_database(tmp_path):
    db = open_database(tmp_path / "terminal.sqlite3")
    made = identity.ensure_instance_id(db, "STORE-001", "T01")
    assert made == identity.instance_id("STORE-001", "T01") != identity.instance_id("STORE-002", "T01")
    # The store renamed later: still the same series in the chain's monitoring.
    assert identity.ensure_instance_id(db, "STORE-XYZ", "T01") == made
    db.close()
    again = open_database(tmp_path / "terminal.sqlite3")
    assert identity.ensure_instance_id(again, "other", "T09") == made
    again.close()


def test_the_resource_names_the_terminal_and_nothing_else():
    s = config.Settings(backend={"site_id": "acme", "url": "https://api.example/"},
                        store={"store_id": "S-77", "terminal_id": "T03"})
    found = identity.attributes(s, "id-1", embedded=False)
    assert found["service.namespace"] == "acme" and found["service.instance.id"] == "id-1"
    assert found["kiosk.store.id"] == "S-77" and found["kiosk.terminal.id"] == "T03"
    assert found["kiosk.backend.vendor"] == "annex" and found["deployment.environment.name"] == "live"
    assert set(found) == {"service.name", "service.namespace", "service.version", "service.instance.id",
                          "deployment.environment.name", "kiosk.store.id", "kiosk.terminal.id",
                          "kiosk.terminal.mode", "kiosk.backend.vendor"}


def test_errors_get_fixed_vendor_neutral_kinds():
    assert error_kind(errors.BackendUnavailable(maybe_applied=False, reached=False)) == "unreachable"
    assert error_kind(errors.BackendUnavailable(reached=False)) == "timeout"
    assert error_kind(errors.BackendUnavailable(status=503)) == "unavailable"
    assert error_kind(errors.BackendUnavailable(status=429)) == "rate_limited"
    assert error_kind(errors.UnusableReply(status=200)) == "unusable_reply"
    assert error_kind(errors.NotAuthorized(code="AC1002")) == "not_authorized"
    assert error_kind(errors.NotFound()) == "not_found"
    assert error_kind(errors.InsufficientBalance()) == "declined"
    assert error_kind(errors.Refused()) == "refused"
    assert error_kind(ValueError("bug")) == "client_error"


def test_exporter_warnings_are_rate_limited_and_lose_their_tracebacks():
    now = [0.0]
    limit = RateLimit(period_s=300, clock=lambda: now[0])
    logger = logging.getLogger("opentelemetry.test.limited")
    logger.addFilter(limit)
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    handler = Keep()
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for _ in range(20):
            now[0] += 10
            try:
                raise ConnectionRefusedError("down")
            except ConnectionRefusedError:
                logger.exception("Exception while exporting metrics")
        now[0] += 300
        logger.exception("Exception while exporting metrics")
    finally:
        logger.removeHandler(handler)
        logger.removeFilter(limit)
    assert len(seen) == 2
    assert all(r.exc_info is None for r in seen)
    assert "ConnectionRefusedError" in seen[0].getMessage()
    assert "19 more like it" in seen[1].getMessage()


def test_the_gauges_read_a_used_up_allowance_as_open_and_say_nothing_of_a_missing_database(tmp_path):
    db = open_database(tmp_path / "terminal.sqlite3")
    now = time.time()
    with db.tx() as conn:
        conn.execute("INSERT INTO offline_allowances (terminal_id, approver_id, granted_at, expires_at, max_sales,"
                     " max_cents, used_sales, used_cents) VALUES ('T01', 'M01', ?, ?, 2, 5000, 2, 1234)",
                     (now, now + 3600))
    readings = Readings(tmp_path / "terminal.sqlite3", "T01")
    found = readings.snapshot()
    assert (found.allowance_active, found.allowance_sales_used, found.allowance_cents_used) == (True, 2, 1234)
    assert (found.pending, found.dead, found.held, found.paused, found.last_delivery_at) == (0, 0, 0, False, None)
    readings.close()
    db.close()
    assert Readings(tmp_path / "nothing-here.sqlite3", "T01").snapshot() is None


def test_a_collector_that_never_answers_does_not_hold_up_closing(tmp_path):
    # Accepts connections and never replies: the worst a collector can do.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    db = open_database(tmp_path / "terminal.sqlite3")
    till = types.SimpleNamespace(db=db, audit=AuditLog(db))
    s = settings(enabled=True, endpoint=f"http://127.0.0.1:{port}", interval_s=3600)
    telemetry = fleet.start(s, till, None, env={})
    try:
        assert telemetry is not None
        closing = telemetry.close(timeout_s=1.0)
        # Returned while the last export still waits on the silent collector: close() did not wait.
        assert closing.is_alive()
        closing.join(15)
        assert not closing.is_alive()  # bounded: the shutdown gave up on its own
        assert telemetry.close() is closing  # closing twice is harmless
    finally:
        silent.close()
        db.close()


def test_doctor_says_off_then_whether_the_collector_answers(tmp_path):
    assert _telemetry(Context(settings(), {})).state == OK
    receiver = Receiver().start()
    try:
        up = _telemetry(Context(settings(enabled=True, endpoint=receiver.endpoint), {}))
        assert up.state == OK and receiver.endpoint in up.message
    finally:
        receiver.stop()
    down = _telemetry(Context(settings(enabled=True, endpoint=receiver.endpoint), {}))
    assert down.state == WARN and "does not answer" in down.message and down.fix


def test_without_the_extra_the_terminal_says_so_and_reports_nothing(tmp_path):
    hide = tmp_path / "hide"
    hide.mkdir()
    # An interpreter on which the SDK is not importable, as after `pip install kiosk` without [fleet].
    (hide / "sitecustomize.py").write_text("import sys\nfor m in ('opentelemetry.sdk', 'opentelemetry.exporter'):\n"
                                           "    sys.modules[m] = None\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "OTEL_"))}
    env.update(PYTHONPATH=f"{hide}{os.pathsep}{ROOT}", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"),
               KIOSK_SYSTEM_SETTINGS=str(tmp_path / "none.toml"), KIOSK_TELEMETRY__ENABLED="true",
               KIOSK_SCANNER__CAMERA="", QT_QPA_PLATFORM="offscreen")
    script = ("import logging, sys\nlogging.basicConfig(stream=sys.stdout, format='%(levelname)s %(message)s')\n"
              "from kiosk import config\nfrom kiosk.fleet import telemetry\n"
              "print('started:', telemetry.start(config.load_settings(), None, None))\n"
              "import opentelemetry.sdk\n")
    ran = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert "started: None" in ran.stdout
    assert "WARNING telemetry: telemetry.enabled is true, but the OpenTelemetry SDK is not installed" in ran.stdout
    assert "kiosk[fleet]" in ran.stdout
    assert "ModuleNotFoundError" in ran.stderr  # the SDK really is out of reach there
    doctor = subprocess.run([sys.executable, "-m", "kiosk.cli", "doctor", "--json"], env=env, capture_output=True,
                            text=True, timeout=120)
    line, = [json.loads(x) for x in doctor.stdout.splitlines() if '"telemetry"' in x]
    assert line["state"] == WARN and "kiosk[fleet]" in line["message"] + line["fix"]


def test_the_app_start_exports_when_enabled_and_its_stop_does_not_wait(tmp_path, monkeypatch):
    import asyncio

    from kiosk.app import terminal as lifecycle

    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name))
    receiver = Receiver().start()
    s = config.Settings(scanner={"camera": ""}, telemetry={"enabled": True, "endpoint": receiver.endpoint,
                                                           "interval_s": 1})

    async def day():
        terminal = await lifecycle.start(_applied(s))
        try:
            assert terminal.telemetry is not None
            assert await asyncio.to_thread(receiver.wait_for, 1, 15)
        finally:
            await terminal.stop()
        return terminal

    try:
        terminal = asyncio.run(day())
        resource, metrics = receiver.metrics(receiver.requests[0])
        assert resource["service.instance.id"] == identity.instance_id("STORE-001", "T01")
        assert "kiosk.outbox.pending" in metrics
        terminal.telemetry.closing.join(10)
        assert not terminal.telemetry.closing.is_alive()
    finally:
        receiver.stop()


def _applied(s: config.Settings) -> config.Settings:
    from kiosk.ops import environments

    return environments.apply(s)


def test_an_audit_listener_hears_only_what_committed_and_after_it_is_on_disk(tmp_path):
    import sqlite3

    db = open_database(tmp_path / "terminal.sqlite3")
    audit = AuditLog(db)
    heard: list[tuple[str, int]] = []

    def listener(action, detail):
        # From another connection: the entry is on disk by the time the listener runs.
        other = sqlite3.connect(tmp_path / "terminal.sqlite3")
        (n,), = other.execute("SELECT COUNT(*) FROM audit_log WHERE action=?", (action,)).fetchall()
        other.close()
        heard.append((action, n))

    audit.listeners.append(listener)
    with pytest.raises(RuntimeError):
        with db.tx() as conn:
            audit.record(conn, operator_id="C01", action="sale", subject="sale X", detail={"offline": False})
            raise RuntimeError("the sale failed before its commit")
    assert heard == []
    with db.tx() as conn:
        audit.record(conn, operator_id="C01", action="sale", subject="sale Y", detail={"offline": True})
        assert heard == []  # not yet: still inside the transaction
    assert heard == [("sale", 1)]
    audit.append(operator_id="C01", action="sign_out")
    assert heard[-1] == ("sign_out", 1)
    db.close()
