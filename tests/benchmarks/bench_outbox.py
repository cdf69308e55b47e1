"""Outbox: durable enqueue of a sale, and draining 5,000 operations after an outage.

The sandbox runs as its own process (as a backend would), with 100 ms of
injected latency, so the drainer's own overhead is what the ratio to the ideal
shows: operations x latency / in-flight = 62.5 s for 5,000 at 8 in flight.
The engine is unpaced here (drain_per_s 0, as `kiosk queue drain` runs it): this is
its capacity. The app's background drain is paced (outbox.drain_per_s, default 20 a
second, kiosk/outbox/pace.py), so after an outage it takes longer by design.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from kiosk.config import OutboxSettings
from kiosk.loyalty import auth
from kiosk.loyalty.annex import AnnexCloudClient
from kiosk.loyalty.annex.client import SANDBOX_EXTENDED
from kiosk.outbox.engine import SyncEngine
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import open_database
from tests.outbox_workload import Workload

SALES = 500
DRAIN_OPS = 5000
LATENCY_MS = 100
IN_FLIGHT = 8
# 70% orders, 15% returns, 10% points, 5% code redemptions.
MIX = (("order", 70), ("return", 15), ("points", 10), ("code", 5))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _start_sandbox(folder: Path) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "sandbox", "--port", "0", "--faults", "--fresh",
         "--db", str(folder / "sandbox.sqlite3")], stdout=subprocess.PIPE, text=True)
    info = json.loads(process.stdout.readline())
    return process, info


def _client(info: dict) -> AnnexCloudClient:
    return AnnexCloudClient(base_url=info["baseUrl"], site_id=info["siteId"], site_name=info["siteName"],
                            secret=info["secret"], **SANDBOX_EXTENDED)


def _post(info: dict, path: str, body: object) -> None:
    content = json.dumps(body).encode()
    jwt = auth.make_token(secret=info["secret"], site_id=info["siteId"], site_name=info["siteName"],
                          payload=content, now=time.time())
    httpx.post(info["baseUrl"] + path, content=content, timeout=5,
               headers={"Authorization": f"Bearer {jwt}", "Content-Type": "application/json"}).raise_for_status()


def _enqueue_sales(folder: Path) -> list[float]:
    db = open_database(folder / "enqueue.sqlite3")
    outbox, workload, times = Outbox(db), Workload(seed=5), []
    for n in range(SALES):
        sale = [workload.next("order"), workload.next("points"), workload.next("points"), workload.next("points")]
        started = time.perf_counter()
        outbox.enqueue(sale, sale_id=f"S-{n}")
        times.append((time.perf_counter() - started) * 1000)
    db.close()
    return times


async def _drain(folder: Path, info: dict, cards: list[str]) -> tuple[float, list[float], int]:
    db = open_database(folder / "drain.sqlite3")
    outbox = Outbox(db)
    workload = Workload(seed=9, cards=cards)
    # Queued during the outage: in batches, as the tills would have.
    operations = workload.operations(DRAIN_OPS, mix=MIX)
    for start in range(0, DRAIN_OPS, 100):
        outbox.enqueue(operations[start:start + 100])
    httpx.put(info["baseUrl"].replace("/api/3.0/", "/_admin/faults"), json={"latency_ms": LATENCY_MS},
              timeout=5).raise_for_status()
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            samples.append(_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    async with _client(info) as client:
        engine = SyncEngine(outbox, client, OutboxSettings(max_in_flight=IN_FLIGHT, drain_per_s=0), attempt_timeout_s=5.0)
        started = time.perf_counter()
        status = await engine.run(until_empty=True)
        elapsed = time.perf_counter() - started
        engine.close()
    stop.set()
    sampler.join()
    db.close()
    return elapsed, samples, status.dead


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp:
        folder = Path(tmp)
        enqueue = _enqueue_sales(folder)
        process, info = _start_sandbox(folder)
        try:
            codes = [f"GC-BENCH-{n:03d}" for n in range(20)]
            _post(info, "incentive/codes", [{"incentiveCode": c, "incentiveType": "giftcard",
                                             "codeValue": "100000.00"} for c in codes])
            elapsed, rss, dead = asyncio.run(_drain(folder, info, codes))
        finally:
            process.terminate()
            process.wait(10)
    ideal = DRAIN_OPS * LATENCY_MS / 1000 / IN_FLIGHT
    enqueue.sort()
    tenth, last = rss[len(rss) // 10], rss[-1]
    return [
        {"name": "enqueue sale of 4 ops, median", "value": statistics.median(enqueue), "unit": "ms",
         "target": "<= 2", "ok": statistics.median(enqueue) <= 2.0, "detail": f"{SALES} sales, WAL + FULL sync"},
        {"name": "enqueue sale of 4 ops, p99", "value": enqueue[int(len(enqueue) * 0.99) - 1], "unit": "ms",
         "target": None, "ok": None, "detail": ""},
        {"name": f"drain {DRAIN_OPS} ops", "value": elapsed, "unit": "s", "target": f"ideal {ideal:g}",
         "ok": None, "detail": f"{DRAIN_OPS / elapsed:.1f} ops/s, {LATENCY_MS} ms latency, {IN_FLIGHT} in flight,"
                               f" {dead} dead"},
        {"name": "drain ratio to ideal", "value": elapsed / ideal, "unit": "x", "target": "<= 1.5",
         "ok": elapsed / ideal <= 1.5 and dead == 0, "detail": "70% orders, 15% returns, 10% points, 5% codes"},
        {"name": "RSS while draining, last / at 10%", "value": last / tenth, "unit": "x", "target": "flat (<= 1.1)",
         "ok": last / tenth <= 1.1, "detail": f"{tenth:.1f} MB -> {last:.1f} MB, peak {max(rss):.1f} MB"},
    ]
