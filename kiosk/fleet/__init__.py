"""Fleet telemetry: a chain's terminals report into the monitoring the chain already runs.

OpenTelemetry metrics over OTLP/HTTP (docs/fleet-telemetry.md). Optional: the SDK
comes with the extra kiosk[fleet]; without it `start` says so once and does nothing.
Off unless `telemetry.enabled`. Nothing here runs on the GUI thread: the SDK's reader
thread collects and exports, and the gauges read the terminal's database through a
read-only connection of their own.
"""

from __future__ import annotations

import importlib.util

EXTRA = "kiosk[fleet]"


def missing() -> str:
    """What of the extra is not installed ("" when all is)."""
    for module in ("opentelemetry.sdk.metrics", "opentelemetry.exporter.otlp.proto.http.metric_exporter"):
        try:
            if importlib.util.find_spec(module) is None:
                return module
        except ModuleNotFoundError:
            return module
    return ""
