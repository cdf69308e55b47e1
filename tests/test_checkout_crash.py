"""A till killed while authorizing: the next start gives back what was redeemed and says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from kiosk.checkout.session import State
from tests.checkout_env import running_till
from tests.helpers import ledger, wait_for
from tests.test_checkout_flows import balance

ROOT = Path(__file__).resolve().parents[1]


def _child(sandbox, folder: Path) -> subprocess.Popen:
    site = sandbox.store.site
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update({"KIOSK_BACKEND__URL": sandbox.base_url, "KIOSK_BACKEND__SITE_ID": site.site_id,
                "KIOSK_BACKEND__SITE_NAME": site.site_name, "KIOSK_API_SECRET": site.secret})
    return subprocess.Popen([sys.executable, "-m", "tests.checkout_child", str(folder)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)


async def test_kill_during_authorize_then_restart_gives_everything_back(sandbox, tmp_path):
    child = _child(sandbox, tmp_path)
    try:
        sale_id = child.stdout.readline().split()[1]
        assert child.stdout.readline().split() == ["REDEEMED", "done,done"]
        assert balance(sandbox, "GC-1000-0003") == 0 and balance(sandbox, "GC-1000-0002") < Decimal("20.00")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()

    async with running_till(sandbox, tmp_path) as till:
        assert len(till.notices) == 1 and sale_id in till.notices[0] and "interrupted" in till.notices[0]
        await wait_for(lambda: balance(sandbox, "GC-1000-0003") == Decimal("4.20")
                       and balance(sandbox, "GC-1000-0002") == Decimal("20.00"), timeout=15)
        undone = sorted(r["code"] for r in ledger(sandbox, "code_undo") if r["order_id"] == sale_id)
        assert undone == ["GC-1000-0002", "GC-1000-0003"]
        assert not [r for r in ledger(sandbox, "order_create") if r["order_id"] == sale_id]
        assert till.sales.get(sale_id)["state"] == "tendering"

        # The cashier resumes the sale where it was and pays again.
        sale = await till.checkout.resume(sale_id)
        assert sale.state == State.TENDERING and [c.code for c in sale.cards] == ["GC-1000-0003", "GC-1000-0002"]
        result = await till.checkout.pay(sale)
        assert result.ok, result.message
        assert balance(sandbox, "GC-1000-0003") == 0
        assert len([r for r in ledger(sandbox, "order_create") if r["order_id"] == sale_id]) == 1
