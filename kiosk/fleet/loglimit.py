"""The SDK's exporter warns on every retry while the collector is down: a few a minute, all day,
on a till that is otherwise fine. This keeps the first of each kind, then one a period with
how many were left out, and drops the tracebacks (a dead collector is not a bug of ours)."""

from __future__ import annotations

import logging
import threading
import time

PERIOD_S = 300.0
LOGGER = "opentelemetry"


class RateLimit(logging.Filter):
    def __init__(self, period_s: float = PERIOD_S, clock=time.monotonic):
        super().__init__()
        self.period_s = period_s
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, int], tuple[float, int]] = {}  # (logger, level) -> (last shown, left out)

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno)
        now = self.clock()
        with self._lock:
            shown_at, left_out = self._seen.get(key, (None, 0))
            if shown_at is not None and now - shown_at < self.period_s:
                self._seen[key] = (shown_at, left_out + 1)
                return False
            self._seen[key] = (now, 0)
        if record.exc_info:
            kind = record.exc_info[0].__name__ if record.exc_info[0] else "error"
            record.msg, record.args = f"{record.getMessage()} ({kind})", None
            record.exc_info, record.exc_text = None, None
        if left_out:
            record.msg, record.args = (f"{record.getMessage()} ({left_out} more like it in the last "
                                       f"{self.period_s / 60:g} min not shown)"), None
        return True

    @classmethod
    def install(cls, name: str = LOGGER) -> "RateLimit":
        """On the SDK's loggers (once): a filter on a logger applies to what it logs itself, so it
        goes on each that logs export trouble, and on the parent for any other."""
        found = [f for f in logging.getLogger(name).filters if isinstance(f, cls)]
        if found:
            return found[0]
        limit = cls()
        for logger in (name, "opentelemetry.exporter.otlp.proto.http.metric_exporter",
                       "opentelemetry.exporter.otlp.common.http", "opentelemetry.sdk.metrics._internal.export",
                       "kiosk.fleet.readings"):
            logging.getLogger(logger).addFilter(limit)
        return limit
