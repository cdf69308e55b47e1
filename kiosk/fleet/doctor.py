"""`kiosk doctor`'s telemetry check: on or off, installed or not, and whether the collector answers."""

from __future__ import annotations

import socket
import sqlite3
from urllib.parse import urlsplit

from kiosk.fleet import identity
from kiosk.fleet import telemetry as fleet
from kiosk.ops.doctor import FAIL, OK, WARN, Context, Result, check

CONNECT_TIMEOUT_S = 2.0


def _stored_instance(path) -> str:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            found = conn.execute("SELECT value FROM outbox_state WHERE name=?", (identity.INSTANCE_KEY,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return ""
    return found[0] if found else ""


@check("telemetry")
def _telemetry(ctx: Context) -> Result:
    from kiosk.outbox.commands import terminal_db_path

    s = ctx.settings
    running, why = fleet.state(s)
    if not s.telemetry.enabled:
        return Result("telemetry", OK, why[0].upper() + why[1:] + ".")
    if not running:
        return Result("telemetry", WARN, why, f"pip install '{fleet.EXTRA}' in Kiosk's environment, or set "
                      "telemetry.enabled = false.")
    endpoint = fleet.endpoint_of(s, ctx.env)
    parts = urlsplit(endpoint)
    path = terminal_db_path(s)
    instance = _stored_instance(path) if path.exists() else ""
    who = f" as {instance}" if instance else ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname or "localhost", port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        return Result("telemetry", WARN, f"Telemetry is on, but the collector at {fleet.shown(endpoint)} does "
                      f"not answer ({exc.strerror or type(exc).__name__}). The till sells as usual; the readings "
                      "of the time it is down are lost, the counts are sent when it is back.",
                      "Start the collector, or fix telemetry.endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT).")
    except ValueError as exc:  # a port out of range in the URL
        return Result("telemetry", FAIL, f"telemetry.endpoint {fleet.shown(endpoint)} is not usable ({exc}).",
                      "Fix telemetry.endpoint.")
    return Result("telemetry", OK, f"Telemetry is {why}{who}.")
