"""A real till for end-to-end checkout tests: the sandbox over loopback HTTP, the
terminal's own SQLite database, the outbox engine delivering in the background."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import AsyncIterator

from kiosk import config
from kiosk.checkout import till as tills
from kiosk.checkout.operators import Approval
from kiosk.events import EventHub
from kiosk.sandbox.server import SandboxServer
from tests.helpers import client_for

CASHIER, MANAGER = ("C01", "1111"), ("M01", "2580")
FAST_OUTBOX = dict(backoff_base_s=0.05, backoff_cap_s=0.3, resume_jitter_s=0.2, settle_s=0.2, probe_interval_s=0.3)


def settings_for(folder: Path, terminal_id: str = "T01", *, returns: dict | None = None,
                 **checkout) -> config.Settings:
    return config.Settings(
        returns=returns or {},
        store={"store_id": "STORE-001", "terminal_id": terminal_id},
        outbox={**FAST_OUTBOX, "db_path": str(folder / f"{terminal_id}.sqlite3")},
        catalogue={"db_path": str(folder / "catalogue.sqlite3")},
        backend={"attempt_timeout_s": 2.0},
        checkout={"authorize_timeout_s": 3.0, "points_wait_s": 3.0, **checkout},
    )


@contextlib.asynccontextmanager
async def running_till(sandbox: SandboxServer, folder: Path, terminal_id: str = "T01", *,
                       returns: dict | None = None, **checkout) -> AsyncIterator[tills.Till]:
    settings = settings_for(folder, terminal_id, returns=returns, **checkout)
    # A documented-profile sandbox is talked to as a live site with nothing declared.
    declared = {"reads": (), "features": ()} if getattr(sandbox, "profile", "extended") == "documented" else {}
    async with client_for(sandbox, attempt_timeout=2.0, **declared) as client:
        till = tills.build(settings, client, site_id=sandbox.store.site.site_id, hub=EventHub(), demo=True)
        await till.start()
        try:
            yield till
        finally:
            await till.close()


def approve(till: tills.Till, action: str, subject: str = "", reason: str = "test") -> Approval:
    return till.operators.authorize(action, MANAGER[0], MANAGER[1], requested_by=CASHIER[0], subject=subject,
                                    reason=reason)
