"""The cart's "this sale earns N points", asked of the backend while the sale is built.

Qt-free. Every change of the cart hands the newest order to `update`; after a short
pause (debounce) one quote is asked, never two at once, and only the answer to the
newest order is shown: a quote whose cart changed while it was asked is dropped and
the newest is asked next. Offline, refused, or slower than `limit_s`: nothing is shown
(None), rather than a number that may be wrong. It runs on the event loop as a task,
so the UI never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Awaitable, Callable

from kiosk.checkout import money
from kiosk.loyalty.errors import LoyaltyError
from kiosk.loyalty.models import Order, OrderLine

log = logging.getLogger(__name__)

DEBOUNCE_S = 0.3
LIMIT_S = 1.0


def order_for_quote(session, store_id: str | None = None) -> Order | None:
    """The order the sale would send now, for a quote; None without a member or lines."""
    if not session.member_id or not session.cart.lines:
        return None
    priced = session.priced()
    lines = tuple(OrderLine(line.line_id, line.name, money.to_money(line.unit_cents), line.quantity,
                            sku=line.sku, discount=money.to_money(p.discount))
                  for line, p in zip(session.cart.lines, priced.lines))
    return Order(id=session.sale_id, member_id=session.member_id, total=money.to_money(priced.order_total),
                 lines=lines, discount=money.to_money(priced.discount),
                 ordered_at=datetime.now(timezone.utc).replace(microsecond=0), store_id=store_id)


class PointsQuote:
    def __init__(self, quote: Callable[[Order], Awaitable[int]], shown: Callable[[int | None], None], *,
                 debounce_s: float = DEBOUNCE_S, limit_s: float = LIMIT_S):
        self._quote, self._shown = quote, shown
        self.debounce_s, self.limit_s = debounce_s, limit_s
        self._latest: Order | None = None
        self._generation = 0
        self._runner: asyncio.Task | None = None
        self.asked = 0  # quotes sent, for tests and the log

    def update(self, order: Order | None) -> None:
        """The cart changed: `order` is what it would send now (None: nothing to quote)."""
        self._latest = order
        self._generation += 1
        if order is None:
            self._shown(None)
            return
        if self._runner is None or self._runner.done():
            self._runner = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            generation = self._generation
            await asyncio.sleep(self.debounce_s)
            if generation != self._generation:
                continue  # still changing: wait for a pause
            order = self._latest
            if order is None:
                return
            self.asked += 1
            try:
                points: int | None = await asyncio.wait_for(self._quote(order), self.limit_s)
            except (LoyaltyError, TimeoutError) as exc:
                log.debug("points quote not shown (%s)", type(exc).__name__)
                points = None
            if generation == self._generation:
                self._shown(points)
                return
            # The cart changed while this quote was asked: ask again for the newest.

    async def close(self) -> None:
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()
            try:
                await self._runner
            except asyncio.CancelledError:
                pass
