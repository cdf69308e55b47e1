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
from decimal import Decimal
from pathlib import Path
from typing import Callable

from kiosk import config
from kiosk.connect import connect
from kiosk.loyalty import errors
from kiosk.loyalty.models import CodeSpend, NewMember, Order, OrderLine, ReturnLine


def _key(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


async def run(client, say: Callable[[str], None], terminal_id: str) -> None:
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

    say("4. Sell: 2 x Mug 12.50 + 1 x Coffee beans 17.00 = 42.00, reward 10off, gift card GC-1000-0003")
    order_id = f"{terminal_id}-{uuid.uuid4().hex[:12].upper()}"
    redemption = await client.redeem_reward("M100002", "29660", _key("rw"), order_id)
    due = Decimal("42.00") - Decimal("10.00")
    card = await client.validate_code("GC-1000-0003")
    take = min(card.balance or Decimal(0), due)
    spent = await client.redeem_code(CodeSpend("GC-1000-0003", "M100002", _key("gc"), take, order_id))
    due -= take
    say(f"   reward code {redemption.reward_code} (-{redemption.points_deducted} pts); gift card paid {take}, "
        f"balance now {spent.balance_after}; {due} still due in cash")
    order = await client.create_order(Order(
        id=order_id, member_id="M100002", total=Decimal("42.00"), discount=Decimal("10.00"),
        lines=(OrderLine("L1", "Mug", Decimal("12.50"), 2), OrderLine("L2", "Coffee beans", Decimal("17.00"), 1)),
        coupons=(redemption.reward_code,)))
    say(f"   order {order.order_id}: +{order.points_awarded} points, now {order.available_after}")

    say("5. Return one mug")
    back = await client.return_lines("M100002", order_id, [ReturnLine("L1", 1)], _key("ret"))
    say(f"   {back.points_removed} points taken back, now {back.available_after}")

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
            await run(conn.client, say, settings.store.terminal_id)
            say("Done.")
            return 0
        except errors.LoyaltyError as exc:
            say(f"Stopped: {exc.user_message}")
            return 1
        finally:
            await conn.aclose()


def run_sync() -> int:
    return asyncio.run(main())
