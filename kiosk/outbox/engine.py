"""The sync engine: drains the outbox in the background, delivers urgent operations now.

One asyncio task leases due rows and runs up to `max_in_flight` deliveries at
once. SQLite work runs on one worker thread, so the event loop (in the app, the
Qt thread) never waits on the disk. Connectivity is judged from every reply and
from an idle probe; it is published on the event hub with the queue's depth.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import logging
import os
import random
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from kiosk import i18n
from kiosk.config import OutboxSettings
from kiosk.events import EventHub
from kiosk.loyalty import errors
from kiosk.outbox import events as ev
from kiosk.outbox.delivery import Deliveries
from kiosk.outbox.ops import URGENT
from kiosk.outbox.pace import Pace
from kiosk.outbox.queue import Outbox, QueueStatus, Row
from kiosk.loyalty.backend import WriteAdapter
from kiosk.outbox.store import WAL_LIMIT_BYTES, StorageError

log = logging.getLogger(__name__)

LEASE_GRACE_S = 1.0
PROBE_TIMEOUT_S = 2.5
# "Slow" holds this long after the last trouble, then the next normal answer clears it:
# long enough that one good reply amid 503s does not flap the cashier's banner, short
# enough that a recovered backend reads "online" within seconds, not half a minute.
SLOW_HOLD_S = 2.0
PRUNE_EVERY_S = 3600.0


Backend = WriteAdapter  # the engine needs only the write half of the contract


@dataclass(frozen=True)
class Outcome:
    op_id: int
    state: str  # done | dead | refused | cancelled | pending (still queued: outcome unknown, or unreachable)
    reply: Any = None
    error: str | None = None


class SyncEngine(Deliveries):
    def __init__(self, outbox: Outbox, backend: Backend, settings: OutboxSettings, *,
                 hub: EventHub | None = None, attempt_timeout_s: float = 5.0, probe_member: str = "guest",
                 rng: random.Random | None = None, clock: Callable[[], float] = time.time,
                 housekeeping: Sequence[Callable[[float], object]] = ()):
        self.outbox = outbox
        self.backend = backend
        self.settings = settings
        self.hub = hub or EventHub()
        self.lease_s = attempt_timeout_s + LEASE_GRACE_S
        # An attempt in doubt is looked up only once it can no longer be in flight:
        # never sooner than our own attempt could still be waiting for its reply.
        self.settle_s = max(settings.settle_s, self.lease_s)
        # What a Pay waits for settles sooner, so Pay can still finish when a reply is lost.
        self.urgent_settle_s = min(max(settings.pay_settle_s, self.lease_s), self.settle_s)
        self.probe_member = probe_member
        self.rng = rng or random.Random()
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._claims = 0
        self.pace = Pace(settings.drain_per_s)
        self._held_by_pace = False
        self.state = ev.ONLINE
        self._fail_streak = 0
        self._server_trouble_at = float("-inf")
        self._last_contact = 0.0
        self._next_probe = 0.0
        self._paused: str | None = None
        self._inflight: dict[int, asyncio.Task] = {}
        self._awaited: collections.Counter[int] = collections.Counter()  # ids someone waits for in deliver_now
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop run() runs on
        self._stopping = False
        self._last_status: QueueStatus | None = None
        self._status_at = 0.0
        self.delivered = 0  # by this engine, since it was made
        self._delivered_at_checkpoint = 0
        self._next_prune = 0.0
        # Pruning of the records kept beside the outbox (sales, returns, the audit log),
        # run on the database thread with the outbox's own, given the clock's reading.
        self.housekeeping = tuple(housekeeping)
        # One thread for SQLite: commits fsync, and a busy database can wait for a lock.
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-db")

    # -- plumbing ----------------------------------------------------------------

    async def _claim(self, limit: int, ids: list[int] | None = None) -> list[Row]:
        # A token per claim: a row re-claimed after its lease ran out can't be
        # finished by the task that held it before.
        self._claims += 1
        return await self._io(self.outbox.claim, f"{self.owner}#{self._claims}", limit, self.lease_s,
                              settle_s=self.settle_s, urgent_settle_s=self.urgent_settle_s, ids=ids, exclude=list(self._inflight))

    async def _io(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._db, functools.partial(fn, *args, **kwargs))

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll. Safe from any
        thread: the engine may run on a loop of its own (kiosk/outbox/worker.py)."""
        event, loop = self._wake, self._loop
        if event is None or loop is None:
            return
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is loop:
            event.set()
            return
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:
            pass  # that loop is closed: nothing runs to be woken

    def close(self) -> None:
        self._db.shutdown(wait=True)

    # -- connectivity --------------------------------------------------------------

    def _contact(self, *, reached: bool, trouble: bool = False, detail: str = "") -> None:
        now = self.clock()
        if reached:
            self._fail_streak = 0
            self._last_contact = now
            if trouble:
                self._server_trouble_at = now
        else:
            self._fail_streak += 1
            self._server_trouble_at = now
        if self._fail_streak >= 2:
            state = ev.OFFLINE
        elif self._fail_streak == 1 or now - self._server_trouble_at < SLOW_HOLD_S:
            state = ev.DEGRADED
        else:
            state = ev.ONLINE
        if state != self.state:
            was, self.state = self.state, state
            log.warning("loyalty service %s (was %s)%s", state, was, f": {detail}" if detail else "")
            self.hub.publish(ev.ConnectivityChanged(state, detail))
            if was == ev.OFFLINE:
                self._resume_after_outage()
        self._schedule_probe()

    def _schedule_probe(self) -> None:
        interval = self.settings.probe_interval_s
        if self.state == ev.OFFLINE:
            # Jittered, so a store's terminals don't probe (and resume) in step.
            delay = self.rng.uniform(0.4, 2.0) * interval
        elif self.state == ev.DEGRADED:
            # Looked at again as soon as the hold is over, so "slow" never outlives the trouble.
            delay = min(interval / 2, max(self._server_trouble_at + SLOW_HOLD_S - self.clock(), 0.1))
        else:
            delay = interval
        self._next_probe = self.clock() + delay

    def _resume_after_outage(self) -> None:
        task = asyncio.ensure_future(self._io(self.outbox.wake_all, self.settings.resume_jitter_s, self.rng))
        task.add_done_callback(self._after_wake_all)

    def _after_wake_all(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("could not reschedule the queue after the outage: %s", task.exception())
        self.wake()

    async def _probe(self) -> None:
        try:
            async with asyncio.timeout(min(PROBE_TIMEOUT_S, self.lease_s)):
                await self.backend.probe(self.probe_member)
        except TimeoutError:
            self._contact(reached=False, trouble=True,
                          detail=f"no answer to a health check within {min(PROBE_TIMEOUT_S, self.lease_s):g} s")
        except errors.BackendUnavailable as exc:
            self._contact(reached=exc.reached, trouble=True, detail=str(exc))
        except (errors.NotAuthorized, errors.Redirected) as exc:
            self._contact(reached=True)
            await self._pause(exc)
        except errors.LoyaltyError:
            self._contact(reached=True)
        else:
            self._contact(reached=True)
            if self._paused:
                await self._io(self.outbox.resume)
                self._paused = None
                log.warning("loyalty service accepts our credentials again: delivery resumed")
                self.hub.publish(ev.DeliveryResumed())

    async def _pause(self, exc: errors.LoyaltyError) -> None:
        if isinstance(exc, errors.Redirected):
            reason = f"The backend URL redirects; check backend.url (it answered {exc.status}). Nothing is " \
                     "lost and nothing was sent elsewhere: sales wait in the queue until the URL is fixed."
        else:
            reason = f"The loyalty service refused this terminal's credentials ({exc.code or exc.status}). " \
                     "Nothing is lost: sales wait in the queue until the API secret or site settings are fixed."
        if self._paused != reason:
            log.error("delivery paused: %s (%s)", "the backend URL redirects" if isinstance(exc, errors.Redirected)
                      else "authorization refused", exc.code or exc.status)
            self.hub.publish(ev.DeliveryPaused(reason))
        self._paused = reason
        self._next_probe = self.clock() + self.settings.auth_retry_s
        await self._io(self.outbox.pause, reason)

    def _spawn(self, row: Row) -> asyncio.Task:
        task = asyncio.ensure_future(self._deliver(row))
        self._inflight[row.id] = task

        def finished(_t: asyncio.Task) -> None:
            self._inflight.pop(row.id, None)
            self.wake()

        task.add_done_callback(finished)
        return task

    # -- the urgent lane ---------------------------------------------------------------

    async def deliver_now(self, op_ids: Iterable[int], timeout_s: float) -> list[Outcome]:
        """Send these operations at once and wait for them, at most `timeout_s`.

        What does not finish in time stays queued and is finished in the
        background; its outcome says 'pending'."""
        wanted = list(op_ids)
        self._awaited.update(wanted)
        try:
            await self._deliver_waiting(wanted, timeout_s)
        finally:
            self._awaited.subtract(wanted)
            self._awaited = +self._awaited  # unary plus keeps the ids someone still waits for
        return list(await self._io(self._outcomes, wanted))

    async def _deliver_waiting(self, wanted: list[int], timeout_s: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        first = True
        while True:
            # Claimed again each round: an operation queued behind another of its group
            # (two rewards of one member, a card behind its own earlier undo) becomes
            # deliverable when that one finishes.
            idle = [i for i in wanted if i not in self._inflight]
            try:
                claimed = (await self._claim(len(idle), ids=idle)) if idle else []
            except StorageError as exc:
                if first:
                    raise  # nothing was sent: the caller says why (a full disk)
                # Sent already; the rest waits in the queue, whose rows stay put.
                log.error("outbox storage: %s", exc)
                self.hub.publish(ev.StorageFailed(str(exc)))
                break
            first = False
            for row in claimed:
                self._spawn(row)
            # Ours in flight; failing that, anything in flight, which may be what one of
            # ours waits behind.
            running = [self._inflight[i] for i in wanted if i in self._inflight] or list(self._inflight.values())
            left = deadline - loop.time()
            if left <= 0:
                break
            if not running:
                # Nothing in flight: only the clock can help (a lost reply settling, a
                # backoff ending). For what a Pay waits for (the urgent lane), wait for
                # it if that comes before the deadline.
                now = self.clock()
                due = await self._io(self.outbox.next_due, now, self.settle_s, self.urgent_settle_s, wanted,
                                     URGENT)
                if due is None or due - now >= left:
                    break
                await asyncio.sleep(due - now + 0.005)
                if self.clock() < due:
                    break  # a clock that does not run (a test's): waiting would not help
                continue
            # shield: a caller giving up must not cancel a send that is under way.
            await asyncio.wait([asyncio.shield(t) for t in running], timeout=left,
                               return_when=asyncio.FIRST_COMPLETED)

    def _outcomes(self, op_ids: list[int]) -> list[Outcome]:
        found = []
        for op_id in op_ids:
            row = self.outbox.get(op_id)
            if row is None:
                found.append(Outcome(op_id, "pending", error="unknown operation"))
                continue
            reply = json.loads(row["reply"]) if row["reply"] else None
            found.append(Outcome(op_id, row["state"], reply, i18n.readable(row["last_error"])))
        return found

    # -- the drain loop ----------------------------------------------------------------

    async def run(self, *, until_empty: bool = False) -> QueueStatus:
        """Deliver until stopped (with until_empty: until nothing is pending, or delivery is paused)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        self._paused = await self._io(self.outbox.paused)
        self._next_probe = self.clock()  # learn the state, and test a recorded pause, at once
        self._next_prune = self.clock()  # at start, then every PRUNE_EVERY_S (see _tidy)
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    if self.clock() >= self._next_probe and not self._inflight:
                        await self._probe()
                    status = await self._publish_status()
                    await self._tidy(status)
                    # Rows held back by a dead letter wait for a person, not for this loop.
                    if until_empty and not self._inflight and (status.depth == status.blocked or self._paused):
                        return status
                    free = self.settings.max_in_flight - len(self._inflight)
                    allowed = self.pace.allow(free)
                    self._held_by_pace = False
                    if self._paused is None and self.state != ev.OFFLINE and free > 0:
                        claimed = await self._claim(allowed) if allowed else []
                        self.pace.spend(len(claimed))
                        # All the pace allowed was taken: more may be due now, which next_due
                        # (the next moment *after* now) does not count.
                        self._held_by_pace = allowed < free and len(claimed) == allowed
                        for row in claimed:
                            self._spawn(row)
                    await self._sleep()
                except StorageError as exc:
                    # Full disk, damage, a lock held too long: say so and keep trying; every row stays put.
                    log.error("outbox storage: %s", exc)
                    self.hub.publish(ev.StorageFailed(str(exc)))
                    await asyncio.sleep(self.settings.probe_interval_s)
                except Exception:
                    # Delivery must not stop for a bug; the rows are safe on disk.
                    log.exception("outbox loop failed; trying again shortly")
                    await asyncio.sleep(self.settings.probe_interval_s)
            return await self._publish_status(force=True)
        finally:
            await self._drain_inflight()

    async def _tidy(self, status: QueueStatus) -> None:
        """Keep the database small on a small disk: delivered rows pruned while the till
        runs (not only at start), the journal emptied after a drain and cut by size."""
        now = self.clock()
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY_S
            await self._io(self.outbox.prune, self.settings.keep_done_days * 86400)
            for job in self.housekeeping:
                await self._io(job, now)
        drained = status.depth == 0 and not self._inflight and self.delivered != self._delivered_at_checkpoint
        if drained or await self._io(self.outbox.db.wal_bytes) > WAL_LIMIT_BYTES:
            self._delivered_at_checkpoint = self.delivered
            await self._io(self.outbox.db.checkpoint)

    async def _sleep(self) -> None:
        """Until a delivery finishes, something is queued, a backoff ends or a probe is due.
        Rows waiting only for a predecessor in flight are woken by its completion."""
        now = self.clock()
        # The probe runs only when nothing is in flight (deliveries tell us enough then).
        wait = 1.0 if self._inflight else min(1.0, max(self._next_probe - now, 0.0))
        if self._paused is None and self.state != ev.OFFLINE and len(self._inflight) < self.settings.max_in_flight:
            due = await self._io(self.outbox.next_due, now, self.settle_s, self.urgent_settle_s)
            if due is not None:
                wait = min(wait, due - now + 0.005)
        if self._held_by_pace:
            wait = min(wait, max(self.pace.wait_s(), 0.005))  # until the pace allows the next send
        if wait <= 0:
            await asyncio.sleep(0)
            return
        try:
            async with asyncio.timeout(wait):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def _drain_inflight(self) -> None:
        if self._inflight:
            await asyncio.wait(list(self._inflight.values()), timeout=self.lease_s)

    async def stop(self) -> None:
        self._stopping = True
        self.wake()

    async def _publish_status(self, force: bool = False) -> QueueStatus:
        now = self.clock()
        if not force and self._last_status is not None and now - self._status_at < 0.5:
            return self._last_status
        status = await self._io(self.outbox.status)
        self._status_at = now
        previous, self._last_status = self._last_status, status
        if force or previous is None or (status.depth, status.dead, status.paused, status.held) != (
                previous.depth, previous.dead, previous.paused, previous.held) or status.depth:
            self.hub.publish(ev.QueueChanged(status.depth, status.oldest_age_s, status.dead, status.paused,
                                             status.held))
        return status
