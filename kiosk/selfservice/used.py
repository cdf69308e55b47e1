"""Reward passes paid with at this terminal, in its database: a pass is good for one sale.

Written by the sale's commit, in its transaction (kiosk/checkout/sales.py), not when the pass
is scanned: a pass scanned onto a sale that is voided (or fails to pay) was never used, and can
be scanned again; a paid sale always has its passes recorded, whatever happens after.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from kiosk.outbox.store import Database


@dataclass(frozen=True)
class UsedPass:
    pass_id: str
    sale_id: str
    used_at: float


class UsedPasses:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time):
        self.db, self.clock = db, clock

    def used(self, pass_id: str) -> UsedPass | None:
        rows = self.db.read("SELECT pass_id, sale_id, used_at FROM used_passes WHERE pass_id=?", (pass_id,))
        return UsedPass(rows[0]["pass_id"], rows[0]["sale_id"], rows[0]["used_at"]) if rows else None
