"""A scripted day at one till, run as its own process the way an entry point runs:
logging set up as kiosk.cli does it (a log file for the run, hooks), the embedded
sandbox, sales to members found by id, email and phone, coupons and gift cards,
returns, enrolments, refusals. tests/test_ops_logs.py greps the log afterwards.

argv: none; the environment (XDG_*, KIOSK_LOG__LEVEL) says where and how loud.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from decimal import Decimal

from kiosk import config, logs, private
from kiosk.checkout import till as tills
from kiosk.checkout.session import CheckoutError
from kiosk.connect import connect
from kiosk.loyalty import errors
from kiosk.loyalty.models import NewMember
from kiosk.ops import hooks, logfiles

SALES = [("M100001", ("HOM-001", "COF-001"), None), ("ben.okafor@example.com", ("BOK-001",), "GC-1000-0003"),
         ("555-010-0003", ("APP-001", "APP-001"), "SC-2000-0001"), ("M100004", ("HOM-001",), "GC-1000-0002"),
         (None, ("COF-001",), None)]


async def _find(co, ref: str):
    if "@" in ref:
        return await co.search_member(email=ref)
    if ref.startswith("555"):
        return await co.search_member(phone=ref)
    return await co.find_member(ref)


async def day() -> None:
    settings = config.load_settings()
    connection = await asyncio.to_thread(connect, settings)
    till = await asyncio.to_thread(tills.build, settings, connection.client, site_id=connection.client.site_id,
                                   demo=True)
    await till.start()
    try:
        co = till.checkout
        cashier = till.operators.sign_in("C01", "1111")
        done = []
        for ref, skus, card in SALES:
            sale = co.new_sale(cashier.id)
            for sku in skus:
                sale.cart.add(till.catalogue.by_sku(sku))
            if ref:
                sale.attach_member(await _find(co, ref))
            if ref == "M100001":
                await co.apply_coupon(sale, "SAVE5")
            sale.start_tendering()
            if card:
                await co.add_card(sale, card)
            if sale.due:
                sale.add_external("cash", Decimal(sale.due) / 100)
            result = await co.pay(sale)
            assert result.ok, result.message
            done.append(sale.sale_id)
        for sale_id in done[:2]:
            order = await till.returns.find("R:" + sale_id)
            approval = till.operators.authorize("return", "M01", "2580", requested_by=cashier.id, subject=sale_id,
                                                reason="day")
            await till.returns.give_back(order, None, approval, cashier.id)
        for n in range(3):
            await co.enrol(NewMember(email=f"day-{uuid.uuid4().hex[:6]}@example.com", phone=f"555-010-07{n}{n}",
                                     first_name="Dayna", opted_in=True))
        for bad in ("M999999", "nobody@example.com"):
            try:
                await _find(co, bad)
            except (errors.LoyaltyError, CheckoutError):
                pass
        try:
            till.operators.sign_in("M01", "0000")  # a wrong PIN
        except CheckoutError:
            pass
        for _ in range(200):  # the orders and returns delivered, so their lines are in the log too
            if not till.outbox.status().depth:
                break
            await asyncio.sleep(0.1)
    finally:
        await till.close()
        await connection.aclose()


def main() -> int:
    logs.setup()
    private.restrict_umask()
    logfiles.start("day")
    hooks.install()
    logs.set_level(config.load_settings().log.level)
    asyncio.run(day())
    print(logfiles.current().baseFilename)
    return 0


if __name__ == "__main__":
    sys.exit(main())
