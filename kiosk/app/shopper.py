"""A shopper's visit at the self-service kiosk, without a screen.

The kiosk screen makes one Shopper per visit and lets it take the scans (kiosk/app/scans.py):
a member's card or app QR shows that member (`shown`), a gift or store card shows its balance
(`card_checked`), anything else gets a sentence a shopper can act on. `end()` drops the visit
whole: the member's view, the card, and any look-up still under way (so a reply arriving after
the shopper left never shows), then `ended` tells the screen to clear itself.

The kiosk writes and audits as operator `KIOSK-<terminal id>`. On a shared screen only the
first name is ever shown (`greeting`).

`rewards()` lists every reward with its cost and why it is or isn't available; `choose` makes
a signed reward pass (kiosk/selfservice/passes.py) for one that is, and `pass_made` gives it
to the screen. Wrong gift-card codes count towards the kiosk's lock-out
(kiosk/selfservice/lockout.py): while the entry is locked no code is even tried, and
`locked(entry, until)` tells the screen when it opens; staff lift it (`lift_lock`).

With selfservice.lookup_by_contact on, the window hands every visit the kiosk's one
OneTimeCodes, and `by_email` (kiosk/app/email_lookup.py) finds a member by email and a code
mailed there; its answer comes on `code_sent`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable

from kiosk.i18n import _
from kiosk.app import email_lookup
from kiosk.app.signals import Signal
from kiosk.app.work import Work
from kiosk.checkout.errors import CheckoutError, UnknownCode
from kiosk.checkout.receipt import mask
from kiosk.loyalty.models import MemberView, Reward
from kiosk.scanner import payload
from kiosk.scanner.events import Scanned, read
from kiosk.selfservice import lockout, passes
from kiosk.selfservice.keys import pass_key

LOOKUP = "shopper-member"
CARD = "shopper-card"
PASS = "shopper-pass"
LIFT = "shopper-lift"
# The visit's work that writes (a wrong guess recorded, a lock lifted, a pass signed): the
# screen's idle timer waits for it, so a reset never cuts one off half done.
WRITES = (CARD, PASS, LIFT, email_lookup.ENTER)


def kiosk_operator(terminal_id: str) -> str:
    return f"KIOSK-{terminal_id}"


@dataclass(frozen=True)
class CardBalance:
    shown_code: str  # masked: the rest of the code never reaches a shared screen
    balance: Decimal | None
    usable: bool


@dataclass(frozen=True)
class RewardChoice:
    """A reward as the shopper sees it: what it costs, and why it can't be had now (None: it can)."""

    reward: Reward
    cost: int  # points
    available: bool
    reason: str | None


class Shopper:
    def __init__(self, terminal, work: Work, clock: Callable[[], float] = time.time, codes=None):
        self.terminal = terminal
        self.settings = terminal.settings
        self.checkout = terminal.till.checkout
        self.work = work
        self.clock = clock
        self.operator_id = kiosk_operator(terminal.settings.store.terminal_id)
        self.lockouts = lockout.Lockouts.from_settings(terminal.till.db, terminal.settings, clock,
                                                       terminal.till.audit, operator_id=self.operator_id)
        self.member: MemberView | None = None
        self.card: CardBalance | None = None
        self.reward_pass: passes.RewardPass | None = None
        self.shown = Signal()  # (MemberView,)
        self.card_checked = Signal()  # (CardBalance,)
        self.pass_made = Signal()  # (RewardPass,)
        self.locked = Signal()  # (entry, until): the entry is locked until that aware datetime
        self.lifted = Signal()  # (entry,)
        self.code_sent = Signal()  # (masked address,): the same whether or not a member has it
        self.ended = Signal()
        self.by_email = email_lookup.EmailLookup(self, codes) if codes is not None else None

    @property
    def busy(self) -> bool:
        """A write of this visit is in flight: the idle reset waits for it."""
        return any(self.work.running(name) for name in WRITES)

    @property
    def greeting(self) -> str:
        """"Welcome back, Ana": the first name only, nothing else of the member."""
        first = self.member.member.first_name if self.member and self.member.member else None
        return _("Welcome back, {0}").format(first) if first else _("Welcome back")

    def scanned(self, event: Scanned) -> None:
        ref = event.ref
        if isinstance(ref, payload.MemberRef):
            self.look_up(ref.value)
        elif isinstance(ref, payload.CodeRef):
            self.check_card(ref.code)
        elif isinstance(ref, payload.Rejection):
            self.work.say(ref.message)
        elif isinstance(ref, payload.RewardPassRef):
            self.work.say(_("That is a reward QR: show it at the till, where the reward goes on your purchase."))
        else:  # a product or a receipt: the till's business
            self.work.say(_("This kiosk reads loyalty cards, the member app's code and gift cards. "
                            "Products and receipts are scanned at the till."))

    def look_up(self, ref: str) -> None:
        self.work.run(LOOKUP, self.checkout.find_member(ref), self._show)

    def _show(self, view: MemberView) -> None:
        self.member = view
        self.shown.emit(view)

    def rewards(self) -> tuple[RewardChoice, ...]:
        """Every reward of the member shown, with its cost and why it is or isn't available."""
        if self.member is None:
            return ()
        return tuple(RewardChoice(r, r.credit_required, why is None, why)
                     for r in self.member.rewards for why in (self.member.why_not(r),))

    def choose(self, reward_id: str) -> None:
        """A reward pass for `reward_id`, given on `pass_made`; an unavailable reward is refused."""
        choice = next((c for c in self.rewards() if c.reward.reward_id == reward_id), None)
        if self.member is None or choice is None:
            self.work.say(_("Scan your card first, then choose one of your rewards."))
            return
        if not choice.available:
            self.work.say(_("“{0}” can't be chosen now: {1}.").format(choice.reward.name, choice.reason))
            return
        self.work.run(PASS, self._make_pass(self.member.member_id, reward_id), self._made)

    async def _make_pass(self, member_id: str, reward_id: str) -> passes.RewardPass:
        key = await asyncio.to_thread(pass_key, self.settings)  # a file read: never on the screen's thread
        now = datetime.fromtimestamp(self.clock(), timezone.utc)
        return passes.make(member_id, reward_id, key, now, timedelta(minutes=self.settings.selfservice.pass_minutes))

    def _made(self, reward_pass: passes.RewardPass) -> None:
        self.reward_pass = reward_pass
        self.pass_made.emit(reward_pass)

    def check_card(self, code: str) -> None:
        self.work.run(CARD, self._check_card(code), self._card)

    def card_entered(self, text: str) -> None:
        """What the card screen's field took: typed, or a hand-scanned card typed into it.
        A member's card or a reward QR read there is what it is, never a wrong gift-card
        code: shown as the member, or told, and not counted towards the lock-out."""
        event = read(text, None, "wedge", payload.PayloadFormats.from_settings(self.settings.scanner))
        if isinstance(event.ref, (payload.MemberRef, payload.RewardPassRef)):
            self.scanned(event)
        else:
            self.check_card(text)

    async def _check_card(self, code: str):
        entry = lockout.GIFT_CARD
        until = await asyncio.to_thread(self.lockouts.locked_until, entry)
        if until is None:
            try:
                return await self.checkout.check_card(code)
            except UnknownCode:
                # Only a code the backend does not know is a guess; offline or a coupon is not.
                until = await asyncio.to_thread(self.lockouts.failed, entry)
                if until is None:
                    raise
        self.locked.emit(entry, until)
        raise CheckoutError(lockout.locked_sentence(entry, until))

    def lift_lock(self, entry: str, operator_id: str) -> None:
        """Staff (whose PIN the screen checked) open `entry` again; the audit log names them."""
        def done(lifted: bool) -> None:
            self.lifted.emit(entry)
            if not lifted:
                self.work.say(_("That entry was not locked."))

        self.work.run(LIFT, asyncio.to_thread(self.lockouts.lift, entry, operator_id), done)

    def _card(self, info) -> None:
        self.card = CardBalance(mask(info.code), info.balance, info.usable)
        self.card_checked.emit(self.card)

    def end(self) -> None:
        """The visit is over (the shopper left, or the idle time ran out): nothing of it stays."""
        for name in (LOOKUP, CARD, PASS):
            self.work.cancel(name)
        if self.by_email is not None:
            self.by_email.end()
        self.member = self.card = self.reward_pass = None
        self.ended.emit()
