"""Fleet telemetry beside the till: the stall run of bench_ui_live (camera scanning with its
preview, the outbox draining a 3000-write backlog, a 5 ms LagMonitor for 10 s) without
telemetry, then with telemetry on and its collector down (a loopback port nobody listens
on: every export fails and the exporter retries), exporting every second (the default is
60 s) so the exporter's retries run through the whole window. Target: the collector being
down costs the till nothing: median stall within 10 % (or 0.5 ms) of the run without, and
the max within the 16 ms frame target."""

from __future__ import annotations

import socket
import statistics

from tests.benchmarks import bench_ui_live as live

RATIO_TARGET = 1.10
SLACK_MS = 0.5


def _down_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed on return: nothing listens there


def run() -> list[dict]:
    plain = live._child("stall", 0)
    down = live._child("stall", 0, {"KIOSK_BENCH_TELEMETRY": f"http://127.0.0.1:{_down_port()}"})
    rows = []
    medians = {}
    for label, result in (("without telemetry", plain), ("telemetry on, collector down", down)):
        stalls = result["stalls_ms"]
        medians[label] = statistics.median(stalls)
        rows += [
            {"name": f"event-loop stall median, {label}", "value": medians[label], "unit": "ms", "target": None,
             "ok": None, "detail": f"p99 {live._pct(stalls, 0.99):.2f} ms; {len(stalls)} ticks; "
                                   f"{result['delivered']} of {result['queued']} delivered meanwhile"},
            {"name": f"event-loop stall max, {label}", "value": max(stalls), "unit": "ms",
             "target": f"<= {live.STALL_TARGET_MS}", "ok": max(stalls) <= live.STALL_TARGET_MS,
             "detail": f"{result['frames']} frames decoded, member shown: {result['member']}"},
        ]
    base, with_down = medians["without telemetry"], medians["telemetry on, collector down"]
    ratio = with_down / base if base else float("inf")
    ok = with_down <= base * RATIO_TARGET or with_down - base <= SLACK_MS
    rows.append({"name": "stall median ratio, collector down / without", "value": ratio, "unit": "x",
                 "target": f"<= {RATIO_TARGET:.2f} (or +{SLACK_MS} ms)", "ok": ok,
                 "detail": f"{with_down:.2f} ms vs {base:.2f} ms, one run each, same machine"})
    return rows
