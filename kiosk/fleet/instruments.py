"""The metrics: gauges read from the database, counters and a histogram fed by the core's events.

The counters listen where the core already tells what happened: the audit log's
entries once committed (sales, returns), the outbox's Delivered events (redemptions
the backend applied), the scanners' Scanned events, and kiosk.loyalty.calls (latency,
errors, enrolments). Attributes are small fixed vocabularies: never a member, an
order, a card or a code (docs/fleet-telemetry.md lists them all).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, Iterable, Mapping

from kiosk.fleet.readings import Readings, Snapshot
from kiosk.loyalty import calls, errors

# Seconds: a loopback sandbox answers in a few ms, a store's link to the cloud in 50-500 ms,
# and an attempt gives up at backend.attempt_timeout_s (5 s by default).
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REDEMPTION_KINDS = {"redeem_reward": "reward", "redeem_code": "code", "redeem_codes": "code"}
SCAN_SOURCES = frozenset({"camera", "wedge", "serial"})
# The backend's own no, for a reason of the member's, card's or reward's: an answer, counted by kind.
_DECLINED = (errors.InsufficientBalance, errors.CodeNotUsable, errors.InsufficientPoints, errors.RewardNotAvailable,
             errors.PointsLimitReached, errors.AlreadyExists)


def error_kind(exc: BaseException) -> str:
    """A fixed, vendor-neutral name for what went wrong (the `error.type` attribute)."""
    if isinstance(exc, errors.UnusableReply):
        return "unusable_reply"
    if isinstance(exc, errors.BackendUnavailable):
        if not exc.reached:
            return "unreachable" if exc.maybe_applied is False else "timeout"
        return "rate_limited" if exc.status == 429 else "unavailable"
    for kind, name in ((errors.NotAuthorized, "not_authorized"), (errors.Redirected, "redirected"),
                       (errors.NotFound, "not_found"), (errors.Conflict, "conflict"), (_DECLINED, "declined"),
                       (errors.LoyaltyError, "refused")):
        if isinstance(exc, kind):
            return name
    return "client_error"  # a bug or an unexpected exception in the exchange itself


class Instruments:
    def __init__(self, meter: Any, readings: Readings, clock: Callable[[], float] = time.time):
        from opentelemetry.metrics import Observation

        self._observation = Observation
        self.readings = readings
        self.clock = clock
        self.answered_at: float | None = None  # wall clock: compared with the database's done_at
        self.sales = meter.create_counter("kiosk.sales", unit="{sale}", description="Sales completed at this till")
        self.returns = meter.create_counter("kiosk.returns", unit="{return}", description="Returns recorded")
        self.redemptions = meter.create_counter("kiosk.redemptions", unit="{redemption}",
                                                description="Redemptions the backend applied")
        self.enrolments = meter.create_counter("kiosk.enrolments", unit="{member}",
                                               description="Members enrolled at this till")
        self.scans = meter.create_counter("kiosk.scans", unit="{scan}", description="Codes scanned, by source")
        self.errors = meter.create_counter("kiosk.backend.errors", unit="{error}",
                                           description="Failed exchanges with the loyalty backend, by kind")
        self.latency = meter.create_histogram("kiosk.backend.duration", unit="s",
                                              description="Time of one exchange with the loyalty backend",
                                              explicit_bucket_boundaries_advisory=LATENCY_BUCKETS_S)
        gauges = [
            ("kiosk.outbox.pending", "{write}", "Writes waiting to be delivered", lambda s: s.pending),
            ("kiosk.outbox.oldest_age", "s", "Age of the oldest pending write (0: none)",
             lambda s: s.oldest_pending_age_s),
            ("kiosk.outbox.held", "{write}", "Writes held for a manager to settle", lambda s: s.held),
            ("kiosk.outbox.dead", "{write}", "Writes that failed for good", lambda s: s.dead),
            ("kiosk.outbox.paused", "1", "1 while delivery is paused (credentials refused)", lambda s: int(s.paused)),
            ("kiosk.offline_allowance.active", "1", "1 while an offline allowance is open",
             lambda s: int(s.allowance_active)),
            ("kiosk.offline_allowance.sales_used", "{sale}", "Sales taken under the open allowance",
             lambda s: s.allowance_sales_used),
            ("kiosk.offline_allowance.used", "{cent}", "Money taken on trust under the open allowance, in cents",
             lambda s: s.allowance_cents_used),
            ("kiosk.offline_allowance.pending", "{redemption}", "Redemptions taken offline not yet delivered",
             lambda s: s.offline_redemptions_pending),
        ]
        for name, unit, description, read in gauges:
            meter.create_observable_gauge(name, callbacks=[self._gauge(read)], unit=unit, description=description)
        meter.create_observable_gauge("kiosk.backend.since_answer", callbacks=[self._since_answer], unit="s",
                                      description="Seconds since the loyalty backend last answered")

    # -- gauges (the SDK's reader thread) ------------------------------------------------------

    def _gauge(self, read: Callable[[Snapshot], float]) -> Callable[[Any], Iterable[Any]]:
        def callback(_options: Any) -> Iterable[Any]:
            snapshot = self.readings.snapshot()
            return [] if snapshot is None else [self._observation(read(snapshot))]
        return callback

    def _since_answer(self, _options: Any) -> Iterable[Any]:
        snapshot = self.readings.snapshot()
        known = [t for t in (self.answered_at, snapshot.last_delivery_at if snapshot else None) if t is not None]
        if not known:
            return []  # never answered, as far as this terminal knows: no reading rather than a made-up one
        return [self._observation(max(self.clock() - max(known), 0.0))]

    # -- counters (the publisher's thread) ---------------------------------------------------------

    def on_audit(self, action: str, detail: Mapping[str, Any]) -> None:
        if action == "sale":
            self.sales.add(1, {"kiosk.sale.offline": bool(detail.get("offline"))})
        elif action == "return":
            self.returns.add(1, {"kiosk.return.whole": bool(detail.get("whole"))})

    def on_delivered(self, event: Any) -> None:
        kind = REDEMPTION_KINDS.get(event.kind)
        if kind is not None:
            self.redemptions.add(1, {"kiosk.redemption.kind": kind})

    def on_scanned(self, event: Any) -> None:
        self.scanned(event.origin)

    def scanned(self, source: str) -> None:
        self.scans.add(1, {"kiosk.scan.source": source if source in SCAN_SOURCES else "other"})

    def on_call(self, call: calls.Call) -> None:
        if isinstance(call.error, asyncio.CancelledError):
            return  # given up by the caller: says nothing about the backend
        if call.answered:
            self.answered_at = self.clock()
        attributes = {"kiosk.backend.operation": call.operation}
        if call.error is not None:
            attributes["error.type"] = error_kind(call.error)
            self.errors.add(1, attributes)
        elif call.operation == "enrol_member":
            self.enrolments.add(1)
        self.latency.record(call.seconds, attributes)
