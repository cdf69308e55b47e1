"""Both backends in one run: member lookup and Pay, each divided by one round trip.

100 ms of injected latency on each sandbox dwarfs loopback and handler time, so the
ratios count round trips. Loyalty Prime's lookup by membership key is one round trip
(details, points and vouchers at once); by card it is two (the search beside that
guess, then points and vouchers). Pay is a member's sale with a voucher (Annex
Cloud: a coupon) and cash: the redemption, then the order's points, two round trips.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from kiosk.sandbox.server import SandboxServer
from tests.checkout_env import running_till
from tests.helpers import set_faults
from tests.prime_helpers import prime_till, set_prime_faults

LATENCY_MS = 100
TARGETS = {"by key": 1.3, "by card": 2.3, "pay": 2.5}


async def _ms(work) -> float:
    started = time.perf_counter()
    await work
    return (time.perf_counter() - started) * 1000


async def _measure(till, refs: dict[str, str], coupon: str, reset, rounds: int) -> dict[str, list[float]]:
    co, backend = till.checkout, till.checkout.backend
    samples: dict[str, list[float]] = {"single": [], "pay": [], **{name: [] for name in refs}}
    view = await co.find_member(refs["by key"])
    for n in range(rounds + 2):
        single = await _ms(backend.validate_code(coupon))
        looked = {name: await _ms(backend.lookup_member(ref)) for name, ref in refs.items()}
        sale = co.new_sale("C01")
        sale.cart.add(till.catalogue.by_sku("APP-001"))
        sale.attach_member(view)
        await co.apply_coupon(sale, coupon)
        sale.start_tendering()
        sale.add_external("cash", Decimal(sale.due) / 100)
        started = time.perf_counter()
        result = await co.pay(sale)
        took = (time.perf_counter() - started) * 1000
        if not result.ok or result.points is None:
            raise RuntimeError(f"Pay did not complete: {result.message}")
        await asyncio.to_thread(reset)
        if n >= 2:  # the first two warm the pool and the databases
            samples["single"].append(single)
            samples["pay"].append(took)
            for name, value in looked.items():
                samples[name].append(value)
    return samples


def _rows(vendor: str, samples: dict[str, list[float]], rounds: int) -> list[dict]:
    single = statistics.median(samples["single"])
    rows = [{"name": f"{vendor}: one round trip (validate code), median", "value": single, "unit": "ms",
             "target": None, "ok": None, "detail": f"n={rounds}, {LATENCY_MS} ms injected latency"}]
    for name in samples:
        if name == "single":
            continue
        ratio = statistics.median(samples[name]) / single
        label = "Pay" if name == "pay" else f"lookup {name}"
        rows.append({"name": f"{vendor}: {label} median", "value": statistics.median(samples[name]), "unit": "ms",
                     "target": None, "ok": None, "detail": f"max {max(samples[name]):.1f} ms"})
        rows.append({"name": f"{vendor}: {label} / one round trip", "value": ratio, "unit": "x",
                     "target": f"<= {TARGETS[name]}", "ok": ratio <= TARGETS[name], "detail": "medians"})
    return rows


def run() -> list[dict]:
    rounds = int(os.environ.get("KIOSK_BENCH_ROUNDS", "20"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        folder = Path(tmp)
        annex = SandboxServer(folder / "annex.sqlite3", faults=True).start()
        prime = SandboxServer(folder / "prime.sqlite3", faults=True, vendor="loyaltyprime").start()
        try:
            set_faults(annex, latency_ms=LATENCY_MS)
            set_prime_faults(prime, latency_ms=LATENCY_MS)

            def reset(server, code):
                def again():
                    with server.store.tx() as conn:
                        conn.execute("UPDATE codes SET redeemed=0 WHERE code=?", (code,))
                return again

            async def go():
                (folder / "a").mkdir()
                (folder / "p").mkdir()
                async with running_till(annex, folder / "a") as till:
                    a = await _measure(till, {"by key": "M100004"}, "SAVE5", reset(annex, "SAVE5"), rounds)
                async with prime_till(prime, folder / "p") as till:
                    p = await _measure(till, {"by key": "M100004", "by card": "PC100004"}, "SAVE5",
                                       reset(prime, "SAVE5"), rounds)
                return a, p

            a, p = asyncio.run(go())
        finally:
            annex.stop()
            prime.stop()
    rows += _rows("Annex Cloud", a, rounds)
    rows += _rows("Loyalty Prime", p, rounds)
    return rows
