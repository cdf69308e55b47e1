"""The checkout as the UI (or a test) drives it: sessions, the member, codes, Pay, void.

Every call that reaches the backend or the disk is a coroutine, so the UI thread
never waits on either. The offline policy lives here: selling goes on while the
backend is unreachable (the member id rides on the order and points accrue when
it syncs), but rewards, coupons and cards are refused unless a manager opened an
offline allowance (kiosk.checkout.offline).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Callable

from kiosk.checkout import money
from kiosk.checkout.approvals import Approvals
from kiosk.checkout.offline import Allowances
from kiosk.checkout.pay import Payer, PayResult
from kiosk.checkout.errors import CheckoutError, UnknownCode
from kiosk.checkout.cart import MAX_QUANTITY
from kiosk.checkout.session import CardTender, CouponChoice, Session, State
from kiosk.events import Event, EventHub
from kiosk.i18n import N_, _
from kiosk.loyalty.backend import ENROL
from kiosk.loyalty import backend as contract
from kiosk.loyalty import errors, ids
from kiosk.loyalty.backend import LoyaltyBackend
from kiosk.loyalty.models import CodeInfo, MemberView, NewMember
from kiosk.outbox import events as ev
from kiosk.outbox import ops
from kiosk.scanner.payload import MEMBER_ID

log = logging.getLogger(__name__)

# One whole sentence per thing refused, not one with the thing glued in: in other
# languages the words around it change with it.
REWARDS, POINTS, CARDS_AND_COUPONS = "rewards", "points", "gift cards and coupons"
OFFLINE_REFUSALS = {
    "coupons": N_("The terminal is offline, so coupons can't be used now: two tills could spend the same "
                  "balance. The sale can still go through; take another tender for it."),
    "codes": N_("The terminal is offline, so codes can't be used now: two tills could spend the same "
                "balance. The sale can still go through; take another tender for it."),
    "cards": N_("The terminal is offline, so gift and store cards can't be used now: two tills could spend the "
                "same balance. The sale can still go through; take another tender for it."),
    "rewards": N_("The terminal is offline, so rewards can't be used now: two tills could spend the same "
                  "balance. The sale can still go through; remove the reward."),
    "points": N_("The terminal is offline, so points as a tender can't be used now: two tills could spend the "
                 "same balance. The sale can still go through; take another tender for them."),
    "gift cards and coupons": N_("The terminal is offline, so gift cards and coupons can't be used now: two "
                                 "tills could spend the same balance. The sale can still go through; take "
                                 "another tender for them."),
}


def _told(exc: errors.LoyaltyError) -> CheckoutError:
    """The loyalty service's refusal as the checkout's error, still saying who may read it
    (a shopper at the kiosk is not told to check the API secret)."""
    told = CheckoutError(exc.user_message)
    told.audience = exc.audience
    return told


class Checkout:
    def __init__(self, backend: LoyaltyBackend, payer: Payer, hub: EventHub, *, inclusive_tax: bool,
                 tax_rates: dict, points_after_tax: bool = False, allowances: Allowances | None = None,
                 audit: Callable[..., None] | None = None, record_approval: Callable[..., int] | None = None,
                 member_patterns: tuple[str, ...] = (MEMBER_ID,), approvals: Approvals | None = None):
        self.backend = backend
        self.payer = payer
        self.hub = hub
        self.inclusive_tax = inclusive_tax
        self.tax_rates = tax_rates
        self.points_after_tax = points_after_tax
        self.allowances = allowances
        self.audit = audit
        self.record_approval = record_approval
        self.member_patterns = member_patterns
        self.approvals = approvals or Approvals()
        self.connectivity = ev.ONLINE
        self._paying: dict[str, asyncio.Task] = {}
        self._unsubscribe = hub.subscribe(ev.ConnectivityChanged, self._on_connectivity)

    def _on_connectivity(self, event: ev.ConnectivityChanged) -> None:
        self.connectivity = event.state

    @property
    def offline(self) -> bool:
        return self.connectivity == ev.OFFLINE

    def close(self) -> None:
        self._unsubscribe()

    # -- sessions ------------------------------------------------------------------------

    max_quantity = MAX_QUANTITY  # of one product on one line; the till sets the store's

    def new_sale(self, operator_id: str) -> Session:
        session = Session(ops.new_order_id(self.payer.terminal.terminal_id), operator_id, self.inclusive_tax,
                          self.tax_rates, self.points_after_tax)
        session.cart.max_quantity = self.max_quantity
        session.points_tender = self.backend.capabilities.has(contract.POINTS_TENDER)
        return session

    async def resume(self, sale_id: str) -> Session:
        """A sale whose payment failed or was interrupted, back at tendering."""
        row = await asyncio.to_thread(self.payer.sales.get, sale_id)
        if row is None or row["state"] != "tendering":
            raise CheckoutError(_("That sale can't be resumed: it was completed, voided, or never paid."))
        session = Session.restore(json.loads(row["snapshot"]), inclusive_tax=self.inclusive_tax,
                                  tax_rates=self.tax_rates, points_after_tax=self.points_after_tax)
        session.cart.max_quantity = self.max_quantity
        session.points_tender = self.backend.capabilities.has(contract.POINTS_TENDER)
        return session

    # -- the member -------------------------------------------------------------------------

    async def find_member(self, ref: str) -> MemberView:
        """By member id, card, email or phone: user, points and rewards in one round trip.

        Offline, the scanned reference still goes on the sale: the order carries it
        and the points accrue when it syncs (the view's `missing` names all three
        parts, so the panel says so instead of showing zeros)."""
        ref = ref.strip()
        try:
            ids.check("member", ref)
        except errors.InvalidIdentifier:
            raise CheckoutError(_("That is not a member card, id, email or phone number.")) from None
        if self.offline:
            return self._offline_view(ref)
        try:
            return await self.backend.lookup_member(ref)
        except errors.BackendUnavailable:
            return self._offline_view(ref)
        except errors.NotFound:
            raise CheckoutError(_("No member has that card, id, email or phone number.")) from None
        except errors.LoyaltyError as exc:
            raise _told(exc) from None

    def _offline_view(self, ref: str) -> MemberView:
        # Only what a card carries can ride on an order unchecked: a typed email or a
        # mistyped number would make an order the backend refuses, and lose its points.
        if not any(re.fullmatch(p, ref) for p in self.member_patterns):
            raise CheckoutError(_("The terminal is offline, so only a scanned member card can be added now; "
                                  "the sale can go on without the member."))
        return offline_view(ref)

    async def search_member(self, *, email: str | None = None, phone: str | None = None) -> MemberView:
        try:
            member = await self.backend.search_member(email=email, phone=phone)
        except errors.NotFound:
            raise CheckoutError(_("No member has that email or phone number.")) from None
        except errors.BackendUnavailable:
            raise CheckoutError(_("The loyalty service can't be reached; try again in a moment.")) from None
        except errors.LoyaltyError as exc:
            raise _told(exc) from None
        return await self.find_member(member.id)

    def can_enrol(self) -> bool:
        caps = getattr(self.backend, "capabilities", None)
        return caps is None or caps.has(ENROL)

    async def enrol(self, new: NewMember) -> MemberView:
        if not self.can_enrol():
            # Refused before anything is sent: this backend has no documented enrolment.
            raise CheckoutError(_("New members can't be enrolled at this terminal: this loyalty service does not "
                                  "offer it here. The shopper can join online or at the service desk."))
        if not (new.email or new.phone):
            raise CheckoutError(_("Enter an email address or a phone number to enrol."))
        try:
            member = await self.backend.enrol_member(new)
        except errors.AlreadyExists:
            raise CheckoutError(_("A member with that email or phone already exists: search for them instead.")) \
                from None
        except errors.BackendUnavailable:
            raise CheckoutError(_("The loyalty service can't be reached, so nobody can be enrolled now.")) from None
        except errors.LoyaltyError as exc:
            raise _told(exc) from None
        return await self.find_member(member.id)

    # -- codes ------------------------------------------------------------------------------

    async def _validate(self, session: Session, code: str, what: str) -> CodeInfo:
        """`what`: the OFFLINE_REFUSALS key that says what the code would be used as."""
        code = code.strip().upper()
        if not code:
            raise CheckoutError(_("Enter or scan a code."))
        if self.offline:
            # Known to be offline: asking would only make the cashier wait for a timeout.
            if await self._allowed_offline():
                return _unchecked(code)
            raise CheckoutError(_(OFFLINE_REFUSALS[what]))
        try:
            return await self.backend.validate_code(code, self.payer.user_of(session))
        except errors.NotFound:
            raise CheckoutError(_("{0} is not a code this store knows. Check it and try again.").format(code)) from None
        except errors.InvalidIdentifier:
            raise CheckoutError(_("{0} is not a valid code.").format(code)) from None
        except errors.BackendUnavailable:
            if await self._allowed_offline():
                return _unchecked(code)
            raise CheckoutError(_(OFFLINE_REFUSALS[what])) from None
        except errors.LoyaltyError as exc:
            raise _told(exc) from None

    async def check_card(self, code: str) -> CodeInfo:
        """A gift or store card's balance, read without a sale (a shopper asking at the kiosk).
        Offline it is refused: an unchecked card has no balance to show."""
        code = code.strip().upper()
        if not code:
            raise CheckoutError(_("Enter or scan a code."))
        if self.offline:
            raise CheckoutError(_("Card balances can't be checked while the loyalty service can't be reached."))
        try:
            info = await self.backend.validate_code(code, self.payer.terminal.guest_user_id)
        except (errors.NotFound, errors.InvalidIdentifier):
            raise UnknownCode(_("{0} is not a card this store knows. Check it and try again.").format(code)) from None
        except errors.BackendUnavailable:
            raise CheckoutError(_("Card balances can't be checked while the loyalty service can't be reached.")) \
                from None
        except errors.LoyaltyError as exc:
            raise _told(exc) from None
        if info.kind == "coupon":
            raise CheckoutError(_("That is a coupon, not a gift card: use it at the till."))
        return info

    async def apply_coupon(self, session: Session, code: str) -> CouponChoice:
        session.require_cart_open()
        info = await self._validate(session, code, "coupons")
        if info.kind == "unchecked":
            raise CheckoutError(_("Coupons can't be checked while the terminal is offline."))
        return session.apply_coupon(info)

    async def apply_code(self, session: Session, code: str) -> CouponChoice | CardTender:
        """A typed or scanned code, whatever it is: a coupon goes on the cart, a gift or
        store card pays (payment starts). One validation either way."""
        info = await self._validate(session, code, "codes")
        if info.kind == "coupon":
            return session.apply_coupon(info)
        return await self._take_card(session, info)

    async def add_card(self, session: Session, code: str) -> CardTender:
        return await self._take_card(session, await self._validate(session, code, "cards"))

    async def _take_card(self, session: Session, info: CodeInfo) -> CardTender:
        started = session.state != State.TENDERING
        if started:
            session.start_tendering()
        try:
            if info.kind == "unchecked":
                return await asyncio.to_thread(self.allowances.add_unchecked_card, session,  # type: ignore
                                               info.code)
            return session.add_card(info)
        except BaseException:
            # A refused card leaves the sale as it was: back at the cart, which it had not left.
            if started and session.state == State.TENDERING:
                session.back_to_cart()
            raise

    async def _allowed_offline(self) -> bool:
        if self.allowances is None:
            return False
        return await asyncio.to_thread(self.allowances.active) is not None

    # -- paying -----------------------------------------------------------------------------

    async def pay(self, session: Session) -> PayResult:
        """Authorize, then commit. A second tap while the first is under way gets the first's result."""
        task = self._paying.get(session.sale_id)
        if task is None:
            if session.state == State.COMMITTED and session.result is not None:
                return session.result
            task = asyncio.ensure_future(self._pay(session))
            self._paying[session.sale_id] = task
            task.add_done_callback(lambda _t: self._paying.pop(session.sale_id, None))
        return await asyncio.shield(task)

    async def _pay(self, session: Session) -> PayResult:
        if session.state in (State.OPEN, State.MEMBER, State.SELECTED):
            session.start_tendering()
        session.begin_authorize()
        try:
            planned_offline = self.offline and (session.rewards or session.coupons or session.cards
                                                or session.points_paid)
            if planned_offline:
                if session.rewards:
                    raise CheckoutError(_(OFFLINE_REFUSALS[REWARDS]))
                if session.points_paid:
                    raise CheckoutError(_(OFFLINE_REFUSALS[POINTS]))
                if self.allowances is None:
                    raise CheckoutError(_(OFFLINE_REFUSALS[CARDS_AND_COUPONS]))
                # Taken from the allowance before it is used (all or nothing, under the
                # database's write lock): a failure after this errs on the side of the cap.
                await asyncio.to_thread(self.allowances.use, session)
                result = await self.payer.authorize(session, self.payer.plan(session, offline=True), offline=True)
            else:
                # Offline here means a sale with nothing to redeem (cash): it is still an offline sale.
                result = await self.payer.authorize(session, self.payer.plan(session), offline=self.offline)
        except CheckoutError:
            if session.state == State.AUTHORIZING:
                session.authorize_failed()
            raise
        except BaseException:
            # A storage failure before anything was sent: the sale stays as it was, at tendering.
            if session.state == State.AUTHORIZING:
                session.authorize_failed()
            raise
        session.result = result if result.ok else None
        return result

    # -- manager approvals ------------------------------------------------------------------

    async def override_price(self, session: Session, line_id: str, price: Any, reason: str,
                             approval: Any) -> None:
        session.require_cart_open()
        self.approvals.use(approval, "price_override", session.sale_id, session.operator_id,
                           _("Changing a price needs a manager's approval."))
        before = session.cart.line(line_id)
        line = session.cart.override_price(line_id, price, reason, approval.manager_id)
        await self._approved(approval, {"sale": session.sale_id, "sku": line.sku,
                                        "from": str(money.to_money(before.unit_cents)),
                                        "to": str(money.to_money(line.unit_cents)), "reason": reason})

    async def void(self, session: Session, approval: Any = None) -> None:
        """A sale with lines needs a manager's approval; an empty one is just cancelled.
        Nothing was spent on the backend before Pay, and a failed Pay gave back what it
        used, so a void leaves nothing behind."""
        if session.state in (State.AUTHORIZING, State.COMMITTED, State.VOIDED):
            session.void()  # raises the reason
        if not session.cart.empty:
            self.approvals.use(approval, "void", session.sale_id, session.operator_id,
                               _("Voiding a sale needs a manager's approval."))
        session.void()
        if await asyncio.to_thread(self.payer.sales.get, session.sale_id) is not None:
            await asyncio.to_thread(self.payer.sales.void, session.sale_id)
        if approval is not None:
            await self._approved(approval, {"sale": session.sale_id, "lines": len(session.cart.lines),
                                            "total": str(money.to_money(session.priced().total))})

    async def _approved(self, approval: Any, detail: dict) -> None:
        if self.record_approval is None:
            return

        def write() -> None:
            with self.payer.sales.db.tx() as conn:
                self.record_approval(conn, approval, detail)

        await asyncio.to_thread(write)

    # -- background ---------------------------------------------------------------------------

    async def recover(self) -> list[str]:
        return await self.payer.recover()

    async def watch(self, interval_s: float = 2.0) -> None:
        """Undo what failed sales left applied, as soon as each outcome is known, and
        resolve a sale a failure left authorizing with no Pay running. Runs until cancelled."""
        while True:
            try:
                for notice in await self.payer.recover(skip=frozenset(self._paying)):
                    self.hub.publish(CheckoutNotice(notice))
                await self.payer.settle_undos()
            except Exception as exc:
                # A full disk, most likely: the next round tries again, and nothing is lost meanwhile.
                log.warning("settling failed sales must wait (%s); trying again", type(exc).__name__)
            await asyncio.sleep(interval_s)


@dataclass(frozen=True)
class CheckoutNotice(Event):
    """Something the cashier should read that no button press asked for (a sale resolved after a failure)."""
    message: str


def offline_view(ref: str) -> MemberView:
    return MemberView(ref, None, None, (), missing=("member", "points", "rewards"))


def _unchecked(code: str) -> CodeInfo:
    """A card code taken offline under an allowance: its balance is only known when it syncs."""
    return CodeInfo(code=code, kind="unchecked", partial=True, discount_type="fixed", value=money.to_money(0),
                    balance=None, status="", valid_until=None, assigned_to=None, redemption_limit=None,
                    redeemed=None, usable=True)
