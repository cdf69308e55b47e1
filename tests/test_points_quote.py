"""The cart's points quote against the Loyalty Prime sandbox: debounced, one in flight, the
newest cart wins, and nothing shown when the backend is slower than the limit."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from kiosk.checkout.points_quote import PointsQuote
from kiosk.loyalty.models import Order, OrderLine
from tests.prime_helpers import prime_client, prime_encoder, prime_server, set_prime_faults


@pytest.fixture
def prime(tmp_path):
    server = prime_server(tmp_path / "prime.sqlite3")
    yield server
    server.stop()


def cart(*prices: str) -> Order:
    lines = tuple(OrderLine(f"L{n}", "x", Decimal(p), 1) for n, p in enumerate(prices))
    return Order("T01-QUOTE", "M100001", sum((line.unit_price for line in lines), Decimal(0)), lines)


class Counting:
    """The real quote, with how many were asked at once."""

    def __init__(self, client):
        self.client, self.now, self.most, self.orders = client, 0, 0, []

    async def __call__(self, order):
        self.now += 1
        self.most = max(self.most, self.now)
        self.orders.append(order)
        try:
            return await self.client.quote_points(order, timeout=5)
        finally:
            self.now -= 1


async def test_typing_fast_asks_once_for_the_newest_cart(prime):
    shown = []
    async with prime_client(prime) as client:
        asking = Counting(client)
        quote = PointsQuote(asking, shown.append, debounce_s=0.05)
        for n in range(1, 8):
            quote.update(cart(*["10.00"] * n))
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)
    assert shown == [70] and len(asking.orders) == 1


async def test_one_quote_in_flight_and_a_stale_answer_is_never_shown(prime):
    shown = []
    set_prime_faults(prime, latency_ms=300)
    async with prime_client(prime) as client:
        asking = Counting(client)
        quote = PointsQuote(asking, shown.append, debounce_s=0.02, limit_s=2.0)
        quote.update(cart("10.00"))
        await asyncio.sleep(0.1)  # the first is in flight now
        quote.update(cart("10.00", "5.00"))
        await asyncio.sleep(1.5)
    assert asking.most == 1 and len(asking.orders) == 2
    assert shown == [15]  # the first cart's 10 points were dropped: the cart had changed


async def test_a_slow_or_absent_backend_shows_nothing(prime, tmp_path):
    shown = []
    set_prime_faults(prime, latency_ms=1500)
    async with prime_client(prime) as client:
        quote = PointsQuote(client.quote_points, shown.append, debounce_s=0.01, limit_s=1.0)
        quote.update(cart("10.00"))
        await asyncio.sleep(1.3)
    assert shown == [None]
    set_prime_faults(prime, latency_ms=0)
    async with prime_client(prime) as client:
        quote = PointsQuote(client.quote_points, shown.append, debounce_s=0.01)
        quote.update(cart("10.00"))
        await asyncio.sleep(0.3)
        quote.update(None)  # the member left the sale
    assert shown == [None, 10, None]
    async with prime_encoder() as offline:  # nothing listens on its port
        quote = PointsQuote(offline.quote_points, shown.append, debounce_s=0.01)
        quote.update(cart("10.00"))
        await asyncio.sleep(0.5)
        await quote.close()
    assert shown == [None, 10, None, None]
