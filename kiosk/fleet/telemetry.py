"""Starting and stopping the export: the SDK's meter provider, its OTLP/HTTP exporter and reader.

The OpenTelemetry SDK does the collecting, the encoding and the sending on its own
PeriodicExportingMetricReader thread; it is the standard's reference implementation, so
Kiosk writes none of that. Kiosk adds what a till needs around it:
- counters are cumulative (the OTLP default), so what a down collector missed arrives
  in the next export that gets through; only gauge samples of the outage are lost;
- the exporter's warnings, one per retry while the collector is down, are rate-limited;
- closing never waits for the network: the SDK's shutdown (a last export, bounded) runs
  on a thread of its own, and the SDK's own exit hook is off, so quitting never hangs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from kiosk import config
from kiosk.fleet import EXTRA, identity, missing
from kiosk.fleet.loglimit import RateLimit
from kiosk.fleet.readings import Readings

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "http://localhost:4318/v1/metrics"
# One export attempt (with the exporter's own retries) gives up after this: a till that
# can't reach its collector drops the batch, and the next one carries the counts again.
EXPORT_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 2.0


def endpoint_of(settings: config.Settings, env: Mapping[str, str] = os.environ) -> str:
    """telemetry.endpoint, else OTEL_EXPORTER_OTLP_METRICS_ENDPOINT (as given), else
    OTEL_EXPORTER_OTLP_ENDPOINT, else the OTLP default; a base URL gets /v1/metrics."""
    given = settings.telemetry.endpoint or env.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "")
    if given:
        return given if urlsplit(given).path not in ("", "/") else given.rstrip("/") + "/v1/metrics"
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
    return base.rstrip("/") + "/v1/metrics" if base else DEFAULT_ENDPOINT


def shown(url: str) -> str:
    """The endpoint as it may be printed: without a user or password written into it."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


def interval_of(settings: config.Settings, env: Mapping[str, str] = os.environ) -> float:
    """Seconds between exports: telemetry.interval_s when set, else OTEL_METRIC_EXPORT_INTERVAL (ms)."""
    if "interval_s" not in settings.telemetry.model_fields_set and env.get("OTEL_METRIC_EXPORT_INTERVAL"):
        try:
            return max(float(env["OTEL_METRIC_EXPORT_INTERVAL"]) / 1000, 1.0)
        except ValueError:
            log.warning("OTEL_METRIC_EXPORT_INTERVAL is not a number of milliseconds; using telemetry.interval_s")
    return settings.telemetry.interval_s


def timeout_of(env: Mapping[str, str] = os.environ) -> float:
    """Seconds one export may take, retries included: OTEL_EXPORTER_OTLP_[METRICS_]TIMEOUT as this
    SDK reads it (seconds), else 10."""
    raw = env.get("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT") or env.get("OTEL_EXPORTER_OTLP_TIMEOUT")
    try:
        return min(max(float(raw), 0.5), 60.0) if raw else EXPORT_TIMEOUT_S
    except ValueError:
        log.warning("OTEL_EXPORTER_OTLP_TIMEOUT is not a number of seconds; using %g s", EXPORT_TIMEOUT_S)
        return EXPORT_TIMEOUT_S


def state(settings: config.Settings) -> tuple[bool, str]:
    """Whether telemetry runs with these settings, and a sentence saying why (for doctor and the log)."""
    if not settings.telemetry.enabled:
        return False, "off (telemetry.enabled is false)"
    lacking = missing()
    if lacking:
        return False, (f"telemetry.enabled is true, but the OpenTelemetry SDK is not installed ({lacking} is "
                       f"missing): nothing is reported. Install the extra {EXTRA}.")
    return True, f"exporting every {interval_of(settings):g} s to {shown(endpoint_of(settings))}"


@dataclass
class Telemetry:
    provider: Any
    instruments: Any
    readings: Readings
    attributes: dict[str, str]
    endpoint: str
    _stops: list[Callable[[], None]] = field(default_factory=list)
    closing: threading.Thread | None = None

    def scanned(self, source: str) -> None:
        """A scan the core's hub does not see (the window's hand-scanner filter)."""
        self.instruments.scanned(source)

    def close(self, timeout_s: float = SHUTDOWN_TIMEOUT_S) -> threading.Thread:
        """Stop counting at once; the last export and the SDK's shutdown run on a daemon thread,
        bounded by `timeout_s`, so the caller (the window closing) never waits for the network."""
        if self.closing is not None:
            return self.closing
        for stop in self._stops:
            stop()
        self._stops.clear()

        def shut() -> None:
            try:
                self.provider.shutdown(timeout_millis=timeout_s * 1000)
            except Exception as exc:
                log.warning("telemetry shutdown: %s", type(exc).__name__)
            finally:
                self.readings.close()

        self.closing = threading.Thread(target=shut, name="telemetry-shutdown", daemon=True)
        self.closing.start()
        return self.closing


def start(settings: config.Settings, till: Any, hub: Any, *, embedded: bool = False,
          env: Mapping[str, str] = os.environ) -> Telemetry | None:
    """Export this till's metrics, or say (once, in the log) why not and return None.
    Blocking (imports, the instance id's write): call it off the GUI thread."""
    running, why = state(settings)
    if not running:
        (log.warning if settings.telemetry.enabled else log.info)("telemetry: %s", why)
        return None
    try:
        return _start(settings, till, hub, embedded, env)
    except Exception as exc:  # reporting is never a reason for a till not to sell
        log.error("telemetry could not start (%s: %s); the till runs without it", type(exc).__name__, exc)
        return None


def _start(settings: config.Settings, till: Any, hub: Any, embedded: bool, env: Mapping[str, str]) -> Telemetry:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    from kiosk.events import EventHub
    from kiosk.fleet.instruments import Instruments
    from kiosk.loyalty import calls
    from kiosk.outbox import events as ev
    from kiosk.scanner.events import Scanned

    RateLimit.install()
    instance = identity.ensure_instance_id(till.db, settings.store.store_id, settings.store.terminal_id)
    attributes = identity.attributes(settings, instance, embedded=embedded)
    endpoint = endpoint_of(settings, env)
    timeout = timeout_of(env)
    # Headers, compression and certificates come from the OTEL_EXPORTER_OTLP_* variables, read by the SDK.
    exporter = OTLPMetricExporter(endpoint=endpoint, timeout=timeout)
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=interval_of(settings, env) * 1000,
                                           export_timeout_millis=(timeout + 5) * 1000)
    provider = MeterProvider(resource=Resource.create(attributes), metric_readers=[reader], shutdown_on_exit=False)
    readings = Readings(Path(till.db.path), settings.store.terminal_id, time.time)
    instruments = Instruments(provider.get_meter("kiosk"), readings)
    hub = hub if hub is not None else EventHub()
    stops = [hub.subscribe(ev.Delivered, instruments.on_delivered), hub.subscribe(Scanned, instruments.on_scanned),
             calls.listen(instruments.on_call)]
    till.audit.listeners.append(instruments.on_audit)
    stops.append(lambda: till.audit.listeners.remove(instruments.on_audit))
    log.info("telemetry: exporting every %g s to %s as %s", interval_of(settings, env), shown(endpoint), instance)
    return Telemetry(provider, instruments, readings, attributes, endpoint, stops)
