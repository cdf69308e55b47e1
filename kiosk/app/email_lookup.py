"""A shopper without their card finds themselves by email and a one-time code (kiosk/selfservice/codes.py).

`ask(text)` looks the address up and, when a member has it, mails a code there in the
background; either way the screen hears `code_sent(masked address)` after the same one
look-up, so what it shows can't tell a member's address from anyone else's. `enter(code)`
shows the member (Shopper.look_up, as a scan does) when the code is theirs; a wrong one
counts towards the kiosk's lock-out of one-time codes.

Only the address the shopper typed ever receives a code, and only while the visit lasts:
`end()` drops it.
"""

from __future__ import annotations

import asyncio
import logging

from kiosk.checkout.errors import CheckoutError
from kiosk.i18n import N_, _
from kiosk.loyalty import errors
from kiosk.selfservice import codes, lockout, privacy
from kiosk.selfservice.mail import MailError, send_code

log = logging.getLogger(__name__)

ASK = "shopper-code-ask"
ENTER = "shopper-code-enter"
WRONG = N_("That code isn't right. Check the email we sent and type its 6 digits, or ask for a new code.")
PAUSED = N_("Finding members by email is paused on this kiosk for a while. Scan your card or the member app, "
            "or ask a member of staff.")
UNREACHABLE = N_("Finding members by email isn't working just now. Scan your card or the member app, or try again "
                 "soon.")


class EmailLookup:
    def __init__(self, shopper, one_time_codes: codes.OneTimeCodes):
        self.shopper = shopper
        self.codes = one_time_codes
        self.settings = shopper.settings
        self.email: str | None = None
        self._mailing: set[asyncio.Task] = set()

    def ask(self, text: str) -> None:
        email = codes.normal_email(text)
        if email is None:
            self.shopper.work.say(_("That doesn't look like an email address. Check it and try again."))
            return
        self.shopper.work.run(ASK, self._ask(email), self.shopper.code_sent.emit)

    async def _ask(self, email: str) -> str:
        await self._not_locked()
        self._room(email)
        try:
            member = await self.shopper.checkout.backend.search_member(email=email)
            member_id = member.id
        except errors.NotFound:
            member_id = None
        except errors.LoyaltyError:
            raise CheckoutError(_(UNREACHABLE)) from None
        self._room(email)  # again: another visit's ask may have finished during the look-up
        self.email = email
        code = self.codes.issue(email, member_id)
        if code is not None:
            self._mail(email, code)
        return privacy.mask_email(email)

    def _room(self, email: str) -> None:
        try:
            self.codes.room(email)
        except codes.TooSoon as wait:
            raise CheckoutError(_("We've just sent a code for that address. Check the email, or ask for another "
                                  "in {0} seconds.").format(max(1, round(wait.wait_s)))) from None
        except codes.Paused:
            raise CheckoutError(_(PAUSED)) from None

    def _mail(self, email: str, code: str) -> None:
        s = self.settings
        task = asyncio.ensure_future(asyncio.to_thread(
            send_code, s.selfservice.mail, email, code, s.store.name, s.selfservice.code_minutes))
        self._mailing.add(task)
        task.add_done_callback(self._mailed)

    def _mailed(self, task: asyncio.Task) -> None:
        self._mailing.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, MailError):
            log.warning("a one-time code was not sent: %s", exc)  # never the address or the code
        elif exc is not None:
            log.error("sending a one-time code failed", exc_info=exc)

    def enter(self, code: str) -> None:
        if self.email is None:
            self.shopper.work.say(_("Type your email first, and we'll send you a code."))
            return
        self.shopper.work.run(ENTER, self._enter(self.email, code), self._right)

    async def _enter(self, email: str, code: str) -> str:
        await self._not_locked()
        member_id = self.codes.check(email, code)
        if member_id is not None:
            return member_id
        until = await asyncio.to_thread(self.shopper.lockouts.failed, lockout.ONE_TIME_CODE)
        if until is not None:
            self.shopper.locked.emit(lockout.ONE_TIME_CODE, until)
            raise CheckoutError(lockout.locked_sentence(lockout.ONE_TIME_CODE, until))
        raise CheckoutError(_(WRONG))

    async def _not_locked(self) -> None:
        until = await asyncio.to_thread(self.shopper.lockouts.locked_until, lockout.ONE_TIME_CODE)
        if until is not None:
            self.shopper.locked.emit(lockout.ONE_TIME_CODE, until)
            raise CheckoutError(lockout.locked_sentence(lockout.ONE_TIME_CODE, until))

    def _right(self, member_id: str) -> None:
        self.end()
        self.shopper.look_up(member_id)

    def end(self) -> None:
        """The visit is over: its address and code go (a mail already handed over still arrives)."""
        for name in (ASK, ENTER):
            self.shopper.work.cancel(name)
        if self.email is not None:
            self.codes.forget(self.email)
        self.email = None
