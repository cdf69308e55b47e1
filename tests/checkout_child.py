"""A till in its own process, for the crash test: it pays a sale with two gift cards,
says REDEEMED once the backend has applied both redemptions, and then waits to be
SIGKILLed before it can commit. Run as `python -m tests.checkout_child FOLDER`, with
the sandbox's address and secret in the environment (KIOSK_BACKEND__URL, ...)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

from kiosk.checkout import till as tills
from kiosk.loyalty.annex import AnnexCloudClient
from kiosk.loyalty.annex.client import SANDBOX_EXTENDED
from tests.checkout_env import settings_for


async def main(folder: Path) -> None:
    env = os.environ
    client = AnnexCloudClient(base_url=env["KIOSK_BACKEND__URL"], site_id=env["KIOSK_BACKEND__SITE_ID"],
                              site_name=env["KIOSK_BACKEND__SITE_NAME"], secret=env["KIOSK_API_SECRET"],
                              attempt_timeout=2.0, **SANDBOX_EXTENDED)
    till = tills.build(settings_for(folder), client, site_id=env["KIOSK_BACKEND__SITE_ID"], demo=True)
    await till.start()
    sale = till.checkout.new_sale("C01")
    sale.cart.add(till.catalogue.by_sku("APP-001"))
    sale.cart.add(till.catalogue.by_sku("HOM-001"))
    sale.attach_member(await till.checkout.find_member("M100001"))
    sale.start_tendering()
    await till.checkout.add_card(sale, "GC-1000-0003")
    await till.checkout.add_card(sale, "GC-1000-0002")
    sale.add_external("cash", Decimal(sale.due) / 100)
    print("SALE", sale.sale_id, flush=True)
    deliver = till.engine.deliver_now

    async def deliver_then_hang(op_ids, timeout_s):
        outcomes = await deliver(op_ids, timeout_s)
        print("REDEEMED", ",".join(o.state for o in outcomes), flush=True)
        time.sleep(60)  # blocks the loop: nothing more happens before the kill
        return outcomes

    till.engine.deliver_now = deliver_then_hang
    await till.checkout.pay(sale)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
