"""A day at one till with fleet telemetry on, as its own process (the SDK's reader thread and
the exit behave as in the app). tests/test_fleet_export.py drives it over stdin/stdout:

- it runs the day (tests/ops_day_child's sales, returns and enrolments, unknown members,
  scans from each source), waits for the deliveries, opens an offline allowance, queues a
  write the backend refuses (a dead letter), then stops the embedded backend and sells once
  more (that order stays pending); prints `READY {json}`;
- `sell`: one more cash sale; prints `SOLD {json}`;
- `quit`: closes telemetry (timed), the till and the backend; prints `CLOSED {json}`.

argv: none; the environment (XDG_*, KIOSK_TELEMETRY__*) says where and what.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from decimal import Decimal

from kiosk import config, logs, private
from kiosk.checkout import till as tills
from kiosk.connect import connect
from kiosk.fleet import telemetry as fleet
from kiosk.loyalty import errors
from kiosk.loyalty import writes as w
from kiosk.loyalty.models import NewMember
from kiosk.checkout.session import CheckoutError
from kiosk.outbox import ops
from kiosk.scanner.events import Scanned
from kiosk.scanner.payload import parse
from tests.ops_day_child import SALES, _find

SCANS = {"camera": 3, "serial": 2}
WEDGE_SCANS = 1


def say(tag: str, data: dict) -> None:
    print(f"{tag} {json.dumps(data)}", flush=True)


async def cash_sale(till, cashier_id: str) -> str:
    co = till.checkout
    sale = co.new_sale(cashier_id)
    sale.cart.add(till.catalogue.by_sku("COF-001"))
    sale.start_tendering()
    sale.add_external("cash", Decimal(sale.due) / 100)
    result = await co.pay(sale)
    assert result.ok, result.message
    return sale.sale_id


async def day() -> None:
    settings = config.load_settings()
    connection = await asyncio.to_thread(connect, settings)
    till = await asyncio.to_thread(tills.build, settings, connection.client, site_id=connection.client.site_id,
                                   demo=True)
    await till.start()
    telemetry = await asyncio.to_thread(fleet.start, settings, till, till.engine.hub, embedded=True)
    assert telemetry is not None, "telemetry did not start"
    co = till.checkout
    cashier = till.operators.sign_in("C01", "1111")
    sold, codes = [], []
    for ref, skus, card in SALES:
        sale = co.new_sale(cashier.id)
        for sku in skus:
            sale.cart.add(till.catalogue.by_sku(sku))
        if ref:
            sale.attach_member(await _find(co, ref))
        if ref == "M100001":
            await co.apply_coupon(sale, "SAVE5")
            codes.append("SAVE5")
        sale.start_tendering()
        if card:
            await co.add_card(sale, card)
            codes.append(card)
        if sale.due:
            sale.add_external("cash", Decimal(sale.due) / 100)
        result = await co.pay(sale)
        assert result.ok, result.message
        sold.append(sale.sale_id)
    for sale_id in sold[:2]:
        order = await till.returns.find("R:" + sale_id)
        approval = till.operators.authorize("return", "M01", "2580", requested_by=cashier.id, subject=sale_id,
                                            reason="day")
        await till.returns.give_back(order, None, approval, cashier.id)
    contacts = []
    for n in range(3):
        new = NewMember(email=f"fleet-{uuid.uuid4().hex[:6]}@example.com", phone=f"555-010-08{n}{n}",
                        first_name="Fleur", opted_in=True)
        member = await co.enrol(new)
        contacts += [new.email, new.phone, member.member_id]
    for bad in ("M999999", "nobody@example.com"):
        try:
            await _find(co, bad)
        except (errors.LoyaltyError, CheckoutError):
            pass
    for source, n in SCANS.items():
        for _ in range(n):
            till.engine.hub.publish(Scanned(parse("M100002", "QRCode" if source == "camera" else None), None, source))
    for _ in range(WEDGE_SCANS):
        telemetry.scanned("wedge")
    for _ in range(300):
        if not till.outbox.status().depth:
            break
        await asyncio.sleep(0.1)
    approval = till.operators.authorize("offline_allowance", "M01", "2580", requested_by=cashier.id,
                                        subject=till.allowances.terminal_id, reason="day")
    till.allowances.grant(approval, max_sales=5, max_amount=Decimal("50"), hours=2, operator_id=cashier.id)
    # Points for a member the backend does not know: refused for good, a dead letter.
    till.outbox.enqueue([ops.points(connection.client, w.AwardPoints("M999999", 10, ops.new_key("T01"), "day"))])
    till.engine.wake()
    for _ in range(300):
        if till.outbox.status().dead:
            break
        await asyncio.sleep(0.1)
    server, connection.sandbox = connection.sandbox, None
    await asyncio.to_thread(server.stop)  # the backend goes away
    down_at = time.time()
    sold.append(await cash_sale(till, cashier.id))  # its order waits in the outbox
    say("READY", {"sales": sold, "codes": codes, "contacts": contacts, "backend_down_at": down_at,
                  "instance": telemetry.attributes["service.instance.id"], "db": str(till.db.path)})
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line == "sell":
                started = time.monotonic()
                sale_id = await cash_sale(till, cashier.id)
                say("SOLD", {"sale": sale_id, "seconds": time.monotonic() - started})
            elif line in ("quit", ""):
                break
    finally:
        started = time.monotonic()
        closing = telemetry.close()
        took = time.monotonic() - started
        await till.close()
        await connection.aclose()
        say("CLOSED", {"close_s": took, "shutdown_alive": closing.is_alive()})


def main() -> int:
    logs.setup()
    private.restrict_umask()
    logs.set_level(config.load_settings().log.level)
    asyncio.run(day())
    return 0


if __name__ == "__main__":
    sys.exit(main())
