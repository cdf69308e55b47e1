"""One terminal's checkout, wired from settings: the database, the outbox and its
engine, operators and the audit log, the catalogue, sales, returns, the offline
allowance. The UI builds one Till; so do the end-to-end tests.

Start and stop in order: `start()` resolves what a crash left authorizing and
starts delivery; `close()` stops delivery, then closes the database.

Built with `delivery_client` (the app passes Connection.new_client), delivery runs
on its own loop in a worker thread with a client of its own (kiosk/outbox/worker.py),
and `engine` is that thread's front (EngineThread). Without it (tests, tools), the
engine runs on the caller's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kiosk import config
from kiosk.checkout import retention
from kiosk.checkout.approvals import Approvals
from kiosk.checkout.audit import AuditLog
from kiosk.checkout.catalogue import Catalogue, default_path
from kiosk.checkout.catalogue_import import ensure_demo_catalogue
from kiosk.checkout.offline import Allowances
from kiosk.checkout.operators import Operators
from kiosk.checkout.pay import Payer, TerminalIds
from kiosk.checkout.returns import Returns
from kiosk.checkout.sales import Sales
from kiosk.checkout.service import Checkout
from kiosk.events import EventHub
from kiosk.outbox.commands import terminal_db_path
from kiosk.outbox.engine import SyncEngine
from kiosk.outbox.queue import Outbox
from kiosk.outbox.worker import EngineThread
from kiosk.outbox.store import Database, open_database
from kiosk.scanner.payload import JOINED_MEMBER

log = logging.getLogger(__name__)


@dataclass
class Till:
    db: Database
    outbox: Outbox
    engine: SyncEngine | EngineThread
    audit: AuditLog
    operators: Operators
    catalogue: Catalogue
    sales: Sales
    allowances: Allowances
    checkout: Checkout
    returns: Returns
    notices: list[str] = field(default_factory=list)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    async def start(self) -> list[str]:
        """Resolve interrupted sales (their notices are returned), then deliver in the background."""
        self.notices = await self.checkout.recover()
        if isinstance(self.engine, EngineThread):
            await self.engine.start()  # a failure leaves no thread behind
            self._tasks = [asyncio.ensure_future(self.checkout.watch())]
        else:
            self._tasks = [asyncio.ensure_future(self.engine.run()), asyncio.ensure_future(self.checkout.watch())]
        return self.notices

    async def close(self) -> None:
        """Delivery stops first (on its loop: in-flight sends finish, its client closes, its
        thread is joined), then the tasks on this loop, then the database."""
        drain = None if isinstance(self.engine, EngineThread) else (self._tasks[0] if self._tasks else None)
        await self.engine.stop()
        for task in self._tasks:
            if not task.done() and task is not drain:
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        self.checkout.close()
        self.engine.close()
        self.catalogue.close()
        self.db.close()


def _same_vendor(outbox: Outbox, vendor: str, db: Database) -> None:
    """Writes queued for one vendor's backend are never sent to another's: a terminal whose
    backend.vendor changed while some are still waiting does not start."""
    others = sorted(set(outbox.vendors_waiting()) - {vendor})
    if others:
        db.close()
        raise config.ConfigError(
            f"This terminal still has writes queued for the {', '.join(others)} backend, but backend.vendor is now "
            f"{vendor!r}. Nothing was sent. Set backend.vendor back until `kiosk queue status` shows none pending, "
            "held or dead, then switch.")


def build(settings: config.Settings, backend, *, site_id: str, hub: EventHub | None = None,
          db_path: Path | None = None, catalogue_path: Path | None = None, demo: bool = False,
          clock: Callable[[], float] = time.time, delivery_client: Callable[[], object] | None = None) -> Till:
    """`demo`: seed the demo operators and catalogue when there are none (the embedded sandbox).
    `delivery_client`: makes the client delivery uses on its own thread (see the module's doc)."""
    hub = hub or EventHub()
    terminal_id = settings.store.terminal_id
    db = open_database(db_path or terminal_db_path(settings))
    outbox = Outbox(db, clock)
    _same_vendor(outbox, getattr(backend, "vendor", settings.backend.vendor), db)
    engine = SyncEngine(outbox, backend, settings.outbox, hub=hub,
                        attempt_timeout_s=settings.backend.attempt_timeout_s,
                        probe_member=settings.loyalty.guest_user_id, clock=clock,
                        housekeeping=[functools.partial(retention.prune, db, settings.checkout.keep_records_days)])
    if delivery_client is not None:
        engine = EngineThread(engine, delivery_client, front=backend)
    audit = AuditLog(db, terminal_id, clock)
    operators = Operators(db, terminal_id=terminal_id, clock=clock, audit=audit)
    catalogue_file = catalogue_path or default_path(settings)
    if demo:
        operators.ensure_demo_operators()
        ensure_demo_catalogue(catalogue_file, settings.tax.rates.keys())
    catalogue = Catalogue.open(catalogue_file)
    terminal = TerminalIds(terminal_id, settings.store.store_id, site_id, settings.loyalty.guest_user_id)
    sales = Sales(db, outbox, terminal_id, settings.store.store_id, clock)
    payer = Payer(sales, outbox, engine, terminal, authorize_timeout_s=settings.checkout.authorize_timeout_s,
                  points_wait_s=settings.checkout.points_wait_s, audit=audit.record)
    inclusive = settings.tax.mode == "inclusive"
    # One register of used approvals: an approval serves one action, once.
    approvals = Approvals(clock)
    allowances = Allowances(db, terminal_id, clock, audit=audit.record, approvals=approvals)
    checkout = Checkout(backend, payer, hub, inclusive_tax=inclusive, tax_rates=dict(settings.tax.rates),
                        points_after_tax=settings.checkout.points_basis == "after_tax", allowances=allowances,
                        audit=audit.record, record_approval=operators.record_approval,
                        member_patterns=(settings.scanner.member_id_pattern, settings.scanner.member_card_pattern,
                                         JOINED_MEMBER),
                        approvals=approvals)
    checkout.max_quantity = settings.checkout.max_quantity
    returns = Returns(db, outbox, engine, backend, terminal, inclusive_tax=inclusive,
                      record_approval=operators.record_approval, approvals=approvals,
                      points_wait_s=settings.checkout.points_wait_s, refund_to=settings.returns.refund_to,
                      clock=clock)
    return Till(db, outbox, engine, audit, operators, catalogue, sales, allowances, checkout, returns)
