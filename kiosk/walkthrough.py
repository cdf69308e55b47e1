"""A command-line walk-through of the loyalty flows (Search, Inquiry, Redeem,
Accrue, Reverse) against the configured backend or the embedded sandbox.

It is what `kiosk` runs until the cashier screen lands, and a quick way for
store IT to see that a terminal can talk to its backend.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable

from kiosk import config
from kiosk.checkout import money
from kiosk.checkout import receipt as receipts
from kiosk.checkout import till as tills
from kiosk.checkout.session import CheckoutError
from kiosk.connect import connect
from kiosk.loyalty import errors
from kiosk.loyalty.models import NewMember
from kiosk.outbox.store import StorageError


async def _sell_and_return(client, say: Callable[[str], None], settings: config.Settings, folder: Path) -> None:
    """Steps 4 and 5 through the checkout itself: catalogue, reward, coupon, gift cards, Pay, receipt, return."""
    settings = settings.model_copy(update={
        "outbox": settings.outbox.model_copy(update={"db_path": str(folder / "terminal.sqlite3")}),
        "catalogue": settings.catalogue.model_copy(update={"db_path": str(folder / "catalogue.sqlite3")})})
    till = tills.build(settings, client, site_id=client.site_id, demo=True)
    await till.start()
    try:
        co = till.checkout
        cashier = till.operators.sign_in("C01", "1111")
        sale = co.new_sale(cashier.id)
        for sku in ("HOM-001", "HOM-001", "COF-001", "BOK-001"):
            sale.cart.add(till.catalogue.by_sku(sku))
        say("4. Sell: 2 x " + till.catalogue.by_sku("HOM-001").name + ", coffee beans and a book, to M100002")
        view = await co.find_member("M100002")
        sale.attach_member(view)
        sale.select_reward(next(r for r in view.usable_rewards if r.discount == Decimal("10.00")))
        await co.apply_coupon(sale, "SAVE5")
        for code in ("GC-1000-0003", "GC-1000-0002"):
            card = await co.add_card(sale, code)
            say(f"   gift card {code} pays {money.to_money(card.amount)}, "
                f"{money.to_money(card.left)} left on it; {money.to_money(sale.due)} still due")
        if sale.due:
            sale.add_external("cash", money.to_money(sale.due))
        result = await co.pay(sale)
        say("   " + result.message)
        if result.ok:
            text = receipts.build(result.receipt, store_id=settings.store.store_id,
                                  terminal_id=settings.store.terminal_id,
                                  tax_inclusive=settings.tax.mode == "inclusive", at=datetime.now()).text()
            say("\n".join("   | " + line for line in text.splitlines()))

            say("5. Return one mug (a manager approves)")
            order = await till.returns.find(receipts.RECEIPT_PREFIX + sale.sale_id)
            mug = next(line for line in order.lines if line.sku == "HOM-001")
            approval = till.operators.authorize("return", "M01", "2580", requested_by=cashier.id,
                                                subject=sale.sale_id, reason="walk-through")
            done = await till.returns.give_back(order, {mug.line_id: 1}, approval, cashier.id)
            say("   " + done.message)
    finally:
        await till.close()


async def run(client, say: Callable[[str], None], settings: config.Settings, folder: Path) -> None:
    say("1. Scan a member card: M100002")
    started = time.perf_counter()
    view = await client.lookup_member("M100002")
    say(f"   {view.member.display_name} | tier {view.points.tier} | {view.points.available} points "
        f"(worth {view.points.currency_value}) | {view.points.points_to_next_tier} to {view.points.next_tier}"
        f" | shown in {(time.perf_counter() - started) * 1000:.0f} ms")
    for reward in view.rewards:
        mark = "can use" if reward in view.usable_rewards else "not yet"
        say(f"   reward {reward.name:6} {reward.credit_required:>5} pts  {reward.discount} off  [{mark}]")

    say("2. Look a member up by phone: 555-010-0003")
    found = await client.search_member(phone="555-010-0003")
    say(f"   found {found.display_name} ({found.id})")

    say("3. Check codes")
    for code in ("WELCOME10", "GC-1000-0003", "SPRING20"):
        info = await client.validate_code(code)
        balance = f", balance {info.balance}" if info.balance is not None else ""
        say(f"   {code}: {info.kind}, {'usable' if info.usable else 'refused'} ({info.reason}){balance}")

    await _sell_and_return(client, say, settings, folder)

    say("6. Enrol a shopper at the till")
    try:
        member = await client.enrol_member(NewMember(email=f"new-{uuid.uuid4().hex[:6]}@example.com",
                                                     first_name="Sam", opted_in=True))
        say(f"   enrolled {member.display_name} as {member.id}")
    except errors.LoyaltyError as exc:
        say(f"   enrolment refused: {exc.user_message}")


async def main(say: Callable[[str], None] = print) -> int:
    settings = config.load_settings()
    with tempfile.TemporaryDirectory(prefix="kiosk-walkthrough-") as tmp:
        # A fresh sandbox each time, so the walk-through always tells the same story.
        conn = connect(settings, sandbox_db=Path(tmp) / "sandbox.sqlite3")
        try:
            if conn.embedded:
                say(f"No backend configured: embedded sandbox with demo data at {conn.client.base_url}")
            else:
                say(f"Backend: {conn.client.base_url}")
            await run(conn.client, say, settings, Path(tmp))
            say("Done.")
            return 0
        except errors.LoyaltyError as exc:
            say(f"Stopped: {exc.user_message}")
            return 1
        except (CheckoutError, StorageError) as exc:
            say(f"Stopped: {exc}")
            return 1
        finally:
            await conn.aclose()


def run_sync() -> int:
    return asyncio.run(main())
