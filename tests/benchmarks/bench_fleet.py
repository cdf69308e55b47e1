"""Fleet telemetry beside the till: the stall run of bench_ui_live (camera scanning with its
preview, the outbox draining a 3000-write backlog, a 5 ms LagMonitor for 10 s) without
telemetry, and with telemetry on and its collector down (a loopback port nobody listens on:
every export fails and the exporter retries), exporting every second (the default is 60 s)
so the exporter's retries and the gauges' reads run through the whole window.

The two alternate, ROUNDS runs each (KIOSK_BENCH_FLEET_ROUNDS), because on a shared
two-core machine one run's figures swing by more than the effect measured; the ticks of
each side's runs are pooled. Most ticks of a 5 ms timer are on time (a stall of 0), so
the median is small and its ratio jumpy; the mean and p99 are reported beside it.
Target: the collector being down costs the till nothing measurable: the pooled mean
stall within 15 % (or 0.25 ms) of the runs without telemetry."""

from __future__ import annotations

import os
import socket
import statistics

from tests.benchmarks import bench_ui_live as live

ROUNDS = int(os.environ.get("KIOSK_BENCH_FLEET_ROUNDS", "3"))
RATIO_TARGET = 1.15
SLACK_MS = 0.25
WITHOUT, DOWN = "without telemetry", "telemetry on, collector down"


def _down_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed on return: nothing listens there


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def run() -> list[dict]:
    runs: dict[str, list[dict]] = {WITHOUT: [], DOWN: []}
    for _ in range(ROUNDS):
        runs[WITHOUT].append(live._child("stall", 0))
        runs[DOWN].append(live._child("stall", 0, {"KIOSK_BENCH_TELEMETRY": f"http://127.0.0.1:{_down_port()}"}))
    rows, figures = [], {}
    for label, results in runs.items():
        stalls = [s for r in results for s in r["stalls_ms"]]
        figures[label] = {"median": statistics.median(stalls), "mean": statistics.fmean(stalls),
                          "p99": live._pct(stalls, 0.99), "max": max(stalls)}
        f = figures[label]
        per_run = ", ".join(f"{statistics.median(r['stalls_ms']):.2f}" for r in results)
        rows += [
            {"name": f"stall median, {label}", "value": f["median"], "unit": "ms", "target": None, "ok": None,
             "detail": f"{len(stalls)} ticks over {len(results)} runs; per-run medians {per_run}"},
            {"name": f"stall mean, {label}", "value": f["mean"], "unit": "ms", "target": None, "ok": None,
             "detail": f"p99 {f['p99']:.2f} ms, max {f['max']:.2f} ms; delivered per run "
                       f"{[r['delivered'] for r in results]} of {results[0]['queued']}"},
        ]
    base, down = figures[WITHOUT], figures[DOWN]
    for what in ("median", "mean", "p99"):
        ratio = _ratio(down[what], base[what])
        target = ok = None
        if what == "mean":
            target = f"<= {RATIO_TARGET:.2f} (or +{SLACK_MS} ms)"
            ok = down["mean"] <= base["mean"] * RATIO_TARGET or down["mean"] - base["mean"] <= SLACK_MS
        rows.append({"name": f"stall {what} ratio, collector down / without", "value": ratio, "unit": "x",
                     "target": target, "ok": ok,
                     "detail": f"{down[what]:.2f} ms vs {base[what]:.2f} ms, alternating runs, same machine"})
    return rows
