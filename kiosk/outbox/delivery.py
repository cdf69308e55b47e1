"""One delivery: a leased row sent (or first reconciled), and what the reply means recorded.

Part of the sync engine (kiosk.outbox.engine.SyncEngine mixes it in and holds the
state it uses: the outbox, the backend, the settings, connectivity and pause).
"""

from __future__ import annotations

import logging
import random
from typing import Any

from kiosk import i18n
from kiosk.i18n import N_, Message
from kiosk.loyalty import errors
from kiosk.loyalty.backend import LOG_MARGIN_S, Verdict, WriteRecord
from kiosk.loyalty.writes import family_of
from kiosk.outbox import events as ev
from kiosk.outbox.ops import URGENT
from kiosk.outbox.queue import Row
from kiosk.outbox.store import StorageError

log = logging.getLogger(__name__)

# Refusals a sale reports whoever waits: Pay, or the offline allowance's report (kiosk/checkout/offline.py).
REPORTED_BY_SALE = frozenset({"redeem_code", "redeem_reward", "redeem_points"})
# What the backend said, as it said it (its code and words): the sentence around it is ours.
SAID = N_("{code}: {detail}")
UNREADABLE = N_("the backend's record could not be read")


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
                record = await self._record(row)
                verdict = await self.backend.reconcile(record)
                self._contact(reached=True)
                if verdict.unverifiable and not self._deduplicated(row):
                    await self._hold(row, record, verdict)
                    return
                if verdict.applied:
                    await self._finish(row, verdict.reply)
                    return
                if verdict.mismatch:
                    await self._dead(row, Message(N_("The backend holds something else under this operation's "
                                                     "key: {differences}"),
                                                  {"differences": "; ".join(verdict.differences)}), verdict.held)
                    return
                if verdict.unknown:
                    await self._io(self.outbox.later, row.id, row.lease, self.settings.backoff_cap_s,
                                   i18n.stored(Message(UNREADABLE)), maybe_sent=True)
                    return
                if row.cancel_requested and not verdict.unverifiable:
                    await self._io(self.outbox.cancelled, row.id, row.lease)
                    return
                # Not applied; or unknowable, and the provider applies a repeated key once
                # (then even a cancelled sale's redemption goes out: its answer is certain,
                # and what took effect is undone after).
                if not await self._io(self.outbox.mark_sending, row.id, row.lease, self.lease_s):
                    return  # our lease ran out and another drainer has the row now
                stage = "send"
            reply = await self.backend.send_write(row.kind, row.wire)
            self._contact(reached=True)
            problems = self.backend.reply_problems(row.kind, row.wire, reply)
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
            await self._io(self.outbox.later, row.id, row.lease, self._backoff(row, exc), _words(exc),
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
                await self._dead(row, Message(N_("Could not check whether it was applied ({code}: {detail}); "
                                                 "it may have been."), _said(exc)))
            elif self._told(row) and self.backend.refused_for_sale(row.kind, exc):
                # A card without the balance, a used coupon: the sale (or return) that asked
                # is told, and the refusal holds nothing back.
                await self._io(self.outbox.refuse, row.id, row.lease, _refusal_text(exc))
            else:
                await self._dead(row, Message(SAID, _said(exc)))
        except StorageError:
            raise
        except Exception:
            log.exception("delivery of operation %s (%s) failed unexpectedly", row.id, row.kind)
            await self._io(self.outbox.later, row.id, row.lease, self.settings.backoff_cap_s,
                           i18n.stored(Message(N_("unexpected error; see the log"))), maybe_sent=True)

    def _told(self, row: Row) -> bool:
        """Whether someone hears of a refusal of this row: a Pay or a return waiting for it,
        or, for a redemption, its sale (Pay, or the offline allowance's report). Refused
        with nobody told (a return finished in the background), it is a dead letter."""
        return row.lane == URGENT or row.id in self._awaited or row.kind in REPORTED_BY_SALE

    async def _conflict(self, row: Row, exc: errors.LoyaltyError) -> None:
        """AC2002 (key used for another request) or AC2022 (already done): what do they hold?"""
        try:
            record = await self._record(row)
            verdict = await self.backend.reconcile(record)
        except errors.BackendUnavailable as failed:
            # Can't tell now: stay in doubt and ask again later, never dead-letter on a guess.
            await self._io(self.outbox.later, row.id, row.lease, self._backoff(row, failed), _words(failed),
                           maybe_sent=True)
            return
        except (errors.NotAuthorized, errors.Redirected) as refused:
            await self._io(self.outbox.release, row.id, row.lease, maybe_sent=True)
            await self._pause(refused)
            return
        except errors.LoyaltyError as failed:
            await self._dead(row, Message(N_("{code}: {detail}; checking what the backend holds failed too "
                                             "({failed})"), {**_said(exc), "failed": failed.code or failed.status}))
            return
        if verdict.unverifiable:
            # A key reused, by the backend's word, and nothing declared to check what it holds.
            await self._hold(row, record, verdict, SAID.format(**_said(exc)))
        elif verdict.applied:
            await self._finish(row, verdict.reply)
        elif verdict.unknown:
            await self._io(self.outbox.later, row.id, row.lease, self.settings.backoff_cap_s,
                           i18n.stored(Message(UNREADABLE)), maybe_sent=True)
        else:
            await self._dead(row, Message(SAID, _said(exc)), verdict.held)

    def _deduplicated(self, row: Row) -> bool:
        """Declared by the site: its provider applies a repeated key of this kind once,
        so an in-doubt write that can't be checked is sent again with its key."""
        return family_of(row.kind) in self.backend.capabilities.deduplicated

    async def _record(self, row: Row) -> WriteRecord:
        if row.sent_at is None:
            return WriteRecord(row.kind, row.key, row.wire, row.intent, row.member_id, None)
        # Wall-clock seconds: the window is compared with the backend's own timestamps.
        window = (row.sent_at - LOG_MARGIN_S, max(self.clock(), row.sent_at) + LOG_MARGIN_S)
        ambiguous, applied = await self._io(self.outbox.overlapping, row, *window, self.lease_s)
        return WriteRecord(row.kind, row.key, row.wire, row.intent, row.member_id, row.sent_at, ambiguous, applied,
                           window)

    async def _hold(self, row: Row, record: WriteRecord, verdict: Verdict, answer: str = "") -> None:
        """Never sent again blindly: held for a person, with what they need to judge it."""
        try:
            evidence = await self.backend.evidence(record)
            facts = {"at": evidence.at, **evidence.facts}
        except Exception as exc:  # the evidence helps a person; its absence must not lose the hold
            facts = {"evidence": f"could not be read ({type(exc).__name__})"}
        if answer:
            reason = Message(N_("The reply was lost ({answer}), and {why}. It is held: a manager checks the backend "
                                "and says whether it was applied."), {"answer": answer, "why": verdict.unverifiable})
        else:
            reason = Message(N_("The reply was lost, and {why}. It is held: a manager checks the backend and says "
                                "whether it was applied."), {"why": verdict.unverifiable})
        if await self._io(self.outbox.hold, row.id, row.lease, i18n.stored(reason), facts):
            log.error("operation %s (%s) held for a person: its outcome can't be checked; `kiosk queue list "
                      "--state held` shows it", row.id, row.kind)
            self.hub.publish(ev.WriteHeld(row.id, row.kind, reason.render()))

    def _backoff(self, row: Row, exc: errors.BackendUnavailable) -> float:
        delay = backoff(row.attempts + 1, self.settings.backoff_base_s, self.settings.backoff_cap_s, self.rng)
        return max(delay, exc.retry_after or 0.0)

    async def _finish(self, row: Row, reply: Any) -> None:
        if await self._io(self.outbox.done, row.id, row.lease, reply):
            self.delivered += 1
            self.hub.publish(ev.Delivered(row.id, row.kind))

    async def _dead(self, row: Row, reason: Message, held: Any = None) -> None:
        # Stored as a Message: the queue screen reads it in the language it shows that day.
        if await self._io(self.outbox.dead, row.id, row.lease, i18n.stored(reason), held):
            # The reason can name members and card numbers: it stays in the database, not the log.
            log.error("operation %s (%s) dead-lettered; `kiosk queue list --state dead` shows why", row.id, row.kind)
            self.hub.publish(ev.DeadLettered(row.id, row.kind, reason.render()))


def _words(exc: errors.LoyaltyError) -> str:
    """What a failure said, for the row: its class's own sentence kept as a message (read in
    the language of the day); a sentence made for the occasion as the words it was said in."""
    return i18n.stored(Message(exc.default_message)) if exc.by_default else exc.user_message


def _said(exc: errors.LoyaltyError) -> dict[str, Any]:
    return {"code": exc.code or exc.status, "detail": exc.detail or exc.user_message}


def _refusal_text(exc: errors.LoyaltyError) -> str:
    """The terminal's sentence, and the backend's own words (cleaned, cut) when it said more."""
    if exc.detail and exc.detail not in exc.user_message:
        return f"{exc.user_message} The loyalty service said: “{exc.detail}”"
    return exc.user_message
