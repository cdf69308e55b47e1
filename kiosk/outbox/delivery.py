"""One delivery: a leased row sent (or first reconciled), and what the reply means recorded.

Part of the sync engine (kiosk.outbox.engine.SyncEngine mixes it in and holds the
state it uses: the outbox, the backend, the settings, connectivity and pause).
"""

from __future__ import annotations

import logging
import random
from typing import Any

from kiosk.loyalty import errors
from kiosk.outbox import events as ev
from kiosk.outbox.ops import URGENT
from kiosk.outbox.queue import Row
from kiosk.loyalty.annex.reconcile import reconcile, reply_problems
from kiosk.outbox.store import StorageError

log = logging.getLogger(__name__)

# What the backend may refuse for a reason of the card's, member's or order's own: the
# refusal is the answer (the sale or return that asked is told), not a dead letter.
_REDEMPTION_REFUSALS = (errors.InsufficientBalance, errors.CodeNotUsable, errors.InsufficientPoints,
                        errors.RewardNotAvailable, errors.NotFound)
REFUSABLE: dict[str, tuple[type[errors.LoyaltyError], ...]] = {
    "redeem_code": _REDEMPTION_REFUSALS,
    "redeem_reward": _REDEMPTION_REFUSALS,
    # More returned than is left on the order (another terminal was quicker).
    "return_lines": (errors.InvalidRequest, errors.NotFound),
}
# Refusals a sale reports whoever waits: Pay, or the offline allowance's report (kiosk/checkout/offline.py).
REPORTED_BY_SALE = frozenset({"redeem_code", "redeem_reward"})


def backoff(attempts: int, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter: uniform(0, min(cap, base * 2^(n-1)))."""
    return rng.uniform(0, min(cap, base * 2 ** max(attempts - 1, 0)))


class Deliveries:
    """The engine's handling of one leased row, from the send to its recorded outcome."""

    async def _deliver(self, row: Row) -> None:
        try:
            await self._deliver_row(row)
        except StorageError as exc:
            # The row keeps its lease and its doubt: after the lease it is reconciled.
            log.error("could not record the outcome of operation %s (%s); it will be checked with the "
                      "backend once the database accepts writes again", row.id, type(exc).__name__)
            self.hub.publish(ev.StorageFailed(str(exc)))
        except Exception:
            # A bug must not lose the row: it keeps its lease and doubt, and is reconciled later.
            log.exception("delivery of operation %s (%s) failed unexpectedly", row.id, row.kind)

    async def _deliver_row(self, row: Row) -> None:
        # "reconcile": the last attempt is in doubt and we are asking the backend;
        # "send": an attempt is recorded on disk and the request is leaving.
        stage = "reconcile" if row.maybe_sent else "send"
        try:
            if stage == "reconcile":
                verdict = await reconcile(self.backend, row)
                self._contact(reached=True)
                if verdict.applied:
                    await self._finish(row, verdict.reply)
                    return
                if verdict.mismatch:
                    await self._dead(row, "The backend holds something else under this operation's key: "
                                     + "; ".join(verdict.differences), verdict.held)
                    return
                if verdict.unknown:
                    await self._io(self.outbox.later, row.id, row.lease, self.settings.backoff_cap_s,
                                   "the backend's record could not be read", maybe_sent=True)
                    return
                if row.cancel_requested:
                    await self._io(self.outbox.cancelled, row.id, row.lease)
                    return
                if not await self._io(self.outbox.mark_sending, row.id, row.lease, self.lease_s):
                    return  # our lease ran out and another drainer has the row now
                stage = "send"
            reply = await self.backend.send_raw(row.method, row.path, row.body)
            self._contact(reached=True)
            problems = reply_problems(row, reply)
            if problems:
                # Not an answer to this request (`200 []`, another order): what happened is
                # unknown, and is found out the way a lost reply's is.
                log.warning("operation %s (%s): the reply does not answer the request; checking what the "
                            "backend holds", row.id, row.kind)
                raise errors.UnusableReply("The loyalty service's reply does not match the request: "
                                           + "; ".join(problems))
            await self._finish(row, reply)
        except errors.BackendUnavailable as exc:
            self._contact(reached=exc.reached, trouble=True, detail=str(exc))
            # A refused connection or a 429 surely changed nothing; anything else may have.
            # (An earlier attempt that reconciliation found not applied had settled: it can't land later.)
            doubt = exc.maybe_applied if stage == "send" else True
            await self._io(self.outbox.later, row.id, row.lease, self._backoff(row, exc), exc.user_message,
                           maybe_sent=doubt)
        except (errors.NotAuthorized, errors.Redirected) as exc:
            self._contact(reached=True)
            # A 401 or a redirect changes nothing; what was in doubt before still is.
            await self._io(self.outbox.release, row.id, row.lease, maybe_sent=stage == "reconcile")
            await self._pause(exc)
        except errors.Conflict as exc:
            self._contact(reached=True)
            await self._conflict(row, exc)
        except errors.LoyaltyError as exc:
            self._contact(reached=True)
            if stage == "reconcile":
                await self._dead(row, f"Could not check whether it was applied ({exc.code or exc.status}: "
                                      f"{exc.detail or exc.user_message}); it may have been.")
            elif self._told(row) and isinstance(exc, REFUSABLE.get(row.kind, ())):
                # A card without the balance, a used coupon: the sale (or return) that asked
                # is told, and the refusal holds nothing back.
                await self._io(self.outbox.refuse, row.id, row.lease, exc.user_message)
            else:
                await self._dead(row, f"{exc.code or exc.status}: {exc.detail or exc.user_message}")
        except StorageError:
            raise
        except Exception:
            log.exception("delivery of operation %s (%s) failed unexpectedly", row.id, row.kind)
            await self._io(self.outbox.later, row.id, row.lease, self.settings.backoff_cap_s,
                           "unexpected error; see the log", maybe_sent=True)

    def _told(self, row: Row) -> bool:
        """Whether someone hears of a refusal of this row: a Pay or a return waiting for it,
        or, for a redemption, its sale (Pay, or the offline allowance's report). Refused
        with nobody told (a return finished in the background), it is a dead letter."""
        return row.lane == URGENT or row.id in self._awaited or row.kind in REPORTED_BY_SALE

    async def _conflict(self, row: Row, exc: errors.LoyaltyError) -> None:
        """AC2002 (key used for another request) or AC2022 (already done): what do they hold?"""
        try:
            verdict = await reconcile(self.backend, row)
        except errors.BackendUnavailable as failed:
            # Can't tell now: stay in doubt and ask again later, never dead-letter on a guess.
            await self._io(self.outbox.later, row.id, row.lease, self._backoff(row, failed), failed.user_message,
                           maybe_sent=True)
            return
        except (errors.NotAuthorized, errors.Redirected) as refused:
            await self._io(self.outbox.release, row.id, row.lease, maybe_sent=True)
            await self._pause(refused)
            return
        except errors.LoyaltyError as failed:
            await self._dead(row, f"{exc.code}: {exc.detail or exc.user_message}; checking what the backend holds "
                                  f"failed too ({failed.code or failed.status})")
            return
        if verdict.applied:
            await self._finish(row, verdict.reply)
        elif verdict.unknown:
            await self._io(self.outbox.later, row.id, row.lease, self.settings.backoff_cap_s,
                           "the backend's record could not be read", maybe_sent=True)
        else:
            await self._dead(row, f"{exc.code}: {exc.detail or exc.user_message}", verdict.held)

    def _backoff(self, row: Row, exc: errors.BackendUnavailable) -> float:
        delay = backoff(row.attempts + 1, self.settings.backoff_base_s, self.settings.backoff_cap_s, self.rng)
        return max(delay, exc.retry_after or 0.0)

    async def _finish(self, row: Row, reply: Any) -> None:
        if await self._io(self.outbox.done, row.id, row.lease, reply):
            self.delivered += 1

    async def _dead(self, row: Row, reason: str, held: Any = None) -> None:
        if await self._io(self.outbox.dead, row.id, row.lease, reason, held):
            # The reason can name members and card numbers: it stays in the database, not the log.
            log.error("operation %s (%s) dead-lettered; `kiosk queue list --state dead` shows why", row.id, row.kind)
            self.hub.publish(ev.DeadLettered(row.id, row.kind, reason))
