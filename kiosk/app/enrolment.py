"""A shopper joins at the kiosk: an enrolment that is never lost, and never made twice.

Every enrolment is a write of its own kind (`EnrolMember`, kiosk/loyalty/writes.py) queued
through the outbox first, durable before anything is sent, under an enrolment key the
terminal mints. Online, it is delivered at once and `done` says who the new member is.
Offline, or when the backend does not answer in time, it stays queued: `done` says it is
queued (the shopper is told their card works from the next visit) and the engine delivers
it later. Each adapter files the member under the enrolment key, so a delivery tried again
finds the member it made instead of making another (docs/backend-contract.md, "Enrolment").

A refusal while the shopper waits (the email is a member's already) is a sentence for them;
one that comes later, in the background, is a dead letter that the manager's queue view
(kiosk/app/queue.py `read`) shows with its consent record.

The consent is the shopper's own: `marketing` is False unless they ticked it, and the
exact wording shown and the time are stored with the write.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from kiosk.i18n import N_, _
from kiosk.app.signals import Signal
from kiosk.app.work import Work
from kiosk.checkout.errors import CheckoutError
from kiosk.loyalty import writes as w
from kiosk.loyalty.models import NewMember
from kiosk.outbox import ops
from kiosk.outbox.queue import DONE, PENDING, REFUSED
from kiosk.outbox.store import StorageError
from kiosk.selfservice import privacy

ENROLLING = "shopper-enrol"
CANT_ENROL = N_("You can't join at this kiosk: this store's loyalty service doesn't offer it here. "
                "You can join online or at the service desk.")
ALREADY_MEMBER = N_("That email or phone number already belongs to a member. Scan your card, or ask at the till.")


@dataclass(frozen=True)
class Consent:
    """What the shopper agreed to: marketing (their own choice, never ticked for them), the
    exact wording shown, and when (aware UTC)."""

    marketing: bool = False
    # Keyword-only, so the shopper's own choice comes first and defaults to no.
    wording: str = field(kw_only=True)
    given_at: datetime = field(kw_only=True)

    def __post_init__(self) -> None:
        if self.given_at.tzinfo is None or self.given_at.utcoffset() is None:
            raise ValueError("consent is given at an aware time (UTC)")
        if not self.wording.strip():
            raise ValueError("consent keeps the wording the shopper saw")


@dataclass(frozen=True)
class EnrolOutcome:
    member_id: str | None  # None while queued: the backend names the member when it is delivered
    queued: bool
    first_name: str | None


def _masked(new: NewMember) -> str:
    return privacy.mask_email(new.email) if new.email else privacy.mask_phone(new.phone or "")


class Enrolment:
    """One visit's enrolment. `submit` starts it; `done(EnrolOutcome)` ends it; a refusal or
    failure is a sentence on the Work's `failed`. A second submit while one is under way, or
    of the same shopper once it went through, sends nothing more."""

    def __init__(self, terminal, work: Work, *, wait_s: float | None = None):
        self.terminal = terminal
        self.till = terminal.till
        self.work = work
        self.terminal_id = terminal.settings.store.terminal_id
        # How long a shopper waits for the backend before being told it is queued.
        self.wait_s = wait_s if wait_s is not None else terminal.settings.backend.attempt_timeout_s + 1.0
        self.done = Signal()  # (EnrolOutcome,)
        self.outcome: EnrolOutcome | None = None
        self._submitted: tuple[NewMember, Consent] | None = None

    @property
    def busy(self) -> bool:
        return self.work.running(ENROLLING)

    def can_enrol(self) -> bool:
        return self.till.checkout.can_enrol()

    def submit(self, new: NewMember, consent: Consent) -> None:
        if self.busy:
            return  # a double tap: the first one is on its way
        new = dataclasses.replace(new, opted_in=consent.marketing)
        if self.outcome is not None and self._submitted == (new, consent):
            self.done.emit(self.outcome)  # already made (or queued): say so again, send nothing
            return
        if not self.can_enrol():
            self.work.say(_(CANT_ENROL))
            return
        if not (new.email or new.phone):
            self.work.say(_("Enter an email address or a phone number to join."))
            return
        self._submitted = (new, consent)
        self.work.run(ENROLLING, self._enrol(new, consent), self._finished)

    def _finished(self, outcome: EnrolOutcome) -> None:
        self.outcome = outcome
        self.done.emit(outcome)

    async def _enrol(self, new: NewMember, consent: Consent) -> EnrolOutcome:
        checkout, engine = self.till.checkout, self.till.engine
        write = w.EnrolMember(ops.new_member_key(self.terminal_id), new, consent.wording, consent.given_at,
                              _masked(new))
        operation = ops.enrol(checkout.backend, write)
        try:
            op_id, = await asyncio.to_thread(self.till.outbox.enqueue, [operation])
        except StorageError:
            self._submitted = None
            raise CheckoutError(_("The kiosk could not save your details, so nothing was sent. "
                                  "Please ask at the till.")) from None
        queued = EnrolOutcome(None, True, new.first_name)
        if checkout.offline:
            engine.wake()  # delivered when the backend is back
            return queued
        outcome, = await engine.deliver_now([op_id], self.wait_s)
        if outcome.state == DONE:
            return EnrolOutcome(checkout.backend.result("enrol", outcome.reply).member_id, False, new.first_name)
        if outcome.state == PENDING:
            return queued
        self._submitted = None  # refused: the shopper may correct it and try again
        if outcome.state == REFUSED and "exists" in (outcome.error or "").lower():
            raise CheckoutError(_(ALREADY_MEMBER))
        raise CheckoutError(_("The loyalty service didn't accept those details. Check them and try again, "
                              "or ask at the till."))
