"""Member lookup: three concurrent GETs should cost one round trip, not three.

100 ms of injected latency dwarfs loopback and handler time, so the ratios
show whether the requests really overlap end to end (client, pool, server).
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

from kiosk.sandbox.server import SandboxServer
from tests.helpers import client_for, set_faults

MEMBER = "M100002"
LATENCY_MS = 100
LOOKUP_TARGET = 1.3


class _ConnectCounter(logging.Handler):
    """httpcore logs every new TCP connection at DEBUG; counting them proves the measured loop reused the pool."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        if record.getMessage().startswith("connect_tcp.started"):
            self.count += 1


async def _timed(make) -> float:
    started = time.perf_counter()
    await make()
    return (time.perf_counter() - started) * 1000


async def _measure(client, rounds: int) -> tuple[dict[str, list[float]], int]:
    async def single():
        await client.get_points(MEMBER)

    async def lookup():
        view = await client.lookup_member(MEMBER)
        # A part that timed out would make the lookup look fast; that is not a result.
        if view.missing:
            raise RuntimeError(f"lookup came back without {view.missing}")

    async def sequential():
        await client.get_member(MEMBER)
        await client.get_points(MEMBER)
        await client.get_rewards(MEMBER)

    # Concurrent lookups first, so the pool holds three open connections before timing starts.
    for _ in range(3):
        await asyncio.gather(lookup(), lookup())
    await single()
    await sequential()

    logger = logging.getLogger("httpcore.connection")
    counter, old_level, old_propagate = _ConnectCounter(), logger.level, logger.propagate
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    samples: dict[str, list[float]] = {"single": [], "lookup": [], "sequential": []}
    try:
        for _ in range(rounds):
            samples["single"].append(await _timed(single))
            samples["lookup"].append(await _timed(lookup))
            samples["sequential"].append(await _timed(sequential))
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
    return samples, counter.count


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def run() -> list[dict]:
    rounds = int(os.environ.get("KIOSK_BENCH_ROUNDS", "30"))
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        server = SandboxServer(Path(tmp) / "sandbox.sqlite3", faults=True).start()
        try:
            set_faults(server, latency_ms=LATENCY_MS)

            async def go():
                async with client_for(server) as client:
                    return await _measure(client, rounds)

            samples, connects = asyncio.run(go())
        finally:
            server.stop()

    labels = {"single": "single GET (get_points)", "lookup": "lookup_member (3 concurrent GETs)",
              "sequential": "sequential member+points+rewards"}
    detail = f"n={rounds}, injected latency {LATENCY_MS} ms"
    rows = []
    for key, label in labels.items():
        rows.append({"name": f"{label} median", "value": statistics.median(samples[key]), "unit": "ms",
                     "target": None, "ok": None, "detail": detail})
        rows.append({"name": f"{label} p95", "value": _p95(samples[key]), "unit": "ms",
                     "target": None, "ok": None, "detail": f"max {max(samples[key]):.1f} ms"})
    single = statistics.median(samples["single"])
    lookup_ratio = statistics.median(samples["lookup"]) / single
    sequential_ratio = statistics.median(samples["sequential"]) / single
    rows += [
        {"name": "lookup / single (medians)", "value": lookup_ratio, "unit": "x",
         "target": f"<= {LOOKUP_TARGET}", "ok": lookup_ratio <= LOOKUP_TARGET,
         "detail": "1.0 means the three GETs fully overlap"},
        {"name": "sequential / single (medians)", "value": sequential_ratio, "unit": "x",
         "target": None, "ok": None, "detail": "informational; about 3 expected"},
        {"name": "new TCP connections while measuring", "value": connects, "unit": "count",
         "target": "0", "ok": connects == 0, "detail": "after warm-up the pool is reused"},
    ]
    return rows
