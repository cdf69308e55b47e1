"""Pay: authorize the redemptions, then commit the sale with its order.

1. One transaction writes the sale ('authorizing') with a redemption operation per
   reward, coupon and card, each with its own new key, in the outbox's urgent lane.
2. They are sent at once and awaited, at most `authorize_timeout_s`.
3. All applied: one transaction commits the sale and queues its order. The order
   is then given a moment to go out, so the receipt can show the points earned.
4. Anything refused, failed or unanswered: one transaction puts the sale back to
   tendering and queues an undo (its own new key, naming the original) for each
   redemption that took effect. One that may have taken effect is cancelled if it
   turns out it never did, and undone if it did (Sales.settle_undos).

A crash between 1 and 3 leaves a sale 'authorizing': `recover` at the next start
treats it as a failed authorize, the same way, and says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, TYPE_CHECKING

from kiosk import i18n
from kiosk.i18n import N_, Message
from kiosk.checkout import money
from kiosk.checkout.sales import PlannedRedemption, Redemption, Sales
from kiosk.checkout.errors import CheckoutError
from kiosk.checkout.session import Session, State
from kiosk.loyalty import writes as w
from kiosk.loyalty.models import CodeSpend, Order, OrderLine, Payment, RewardSpent
from kiosk.outbox import ops
from kiosk.outbox.engine import Outcome, SyncEngine
from kiosk.outbox.queue import CANCELLED, DEAD, DONE, HELD, REFUSED, Outbox
from kiosk.outbox.store import StorageError, StorageFull

if TYPE_CHECKING:  # the app runs delivery on its own thread; tests pass the engine itself
    from kiosk.outbox.worker import EngineThread

log = logging.getLogger(__name__)

# Kept with the sale (sales.outcome) as a message, and said in the cashier's notice.
INTERRUPTED_GIVING_BACK = N_("This sale was interrupted while paying, so it was not completed. Everything it "
                                  "used is being given back; ring it up again or resume it.")
INTERRUPTED = N_("This sale was interrupted while paying, so it was not completed. Ring it up again or "
                      "resume it.")


@dataclass(frozen=True)
class PayResult:
    ok: bool
    sale_id: str
    message: str
    receipt: dict | None = None
    points: int | None = None  # None: points pending (the order has not reached the backend yet)
    problems: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TerminalIds:
    """Who this till is, as its writes name it (the running terminal is kiosk/app/terminal.py)."""

    terminal_id: str
    store_id: str | None
    site_id: str
    guest_user_id: str


class Payer:
    def __init__(self, sales: Sales, outbox: Outbox, engine: SyncEngine | EngineThread, terminal: TerminalIds, *,
                 authorize_timeout_s: float = 8.0, points_wait_s: float = 2.0,
                 audit: Callable[..., None] | None = None):
        self.sales = sales
        self.outbox = outbox
        self.engine = engine
        self.terminal = terminal
        self.authorize_timeout_s = authorize_timeout_s
        self.points_wait_s = points_wait_s
        self.audit = audit

    # -- planning -------------------------------------------------------------------------

    def user_of(self, session: Session) -> str:
        return session.member_id or self.terminal.guest_user_id

    @property
    def backend(self) -> ops.Encoder:
        return self.engine.backend

    def plan(self, session: Session, *, offline: bool = False) -> list[PlannedRedemption]:
        user = self.user_of(session)
        planned = []
        for reward in session.rewards:
            key = ops.new_key(self.terminal.terminal_id)
            op = ops.redeem_reward(self.backend, w.RedeemReward(user, reward.reward_id, key, session.sale_id))
            planned.append(PlannedRedemption("reward", reward.reward_id, user, key, reward.cents, op))
        priced = session.priced()
        for coupon, taken in zip(session.coupons, priced.discounts[len(session.rewards):]):
            key = ops.new_key(self.terminal.terminal_id)
            op = ops.redeem_code(self.backend, w.SpendCode(CodeSpend(coupon.code, user, key, order_id=session.sale_id)))
            planned.append(PlannedRedemption("coupon", coupon.code, user, key, taken, op))
        for card in session.cards:
            key = ops.new_key(self.terminal.terminal_id)
            op = ops.redeem_code(self.backend, w.SpendCode(CodeSpend(card.code, user, key, money.to_money(card.amount),
                                                                     order_id=session.sale_id)))
            planned.append(PlannedRedemption("card", card.code, user, key, card.amount, op))
        if session.points_paid is not None:
            paid = session.points_paid
            write = w.RedeemPoints(user, session.sale_id, paid.points, money.to_money(paid.amount))
            # ref holds the points taken: a return or an undo gives back a share of them.
            planned.append(PlannedRedemption("points", str(paid.points), user, write.key, paid.amount,
                                             ops.redeem_points(self.backend, write)))
        # Offline (with an allowance) they wait in the background queue instead of being awaited.
        return planned if offline else [replace(p, op=p.op.urgent()) for p in planned]

    # -- paying ------------------------------------------------------------------------------

    async def authorize(self, session: Session, planned: list[PlannedRedemption], *,
                        offline: bool = False) -> PayResult:
        op_ids = await asyncio.to_thread(self.sales.begin, session.sale_id, session.operator_id,
                                         session.member_id, session.snapshot(), planned, offline=offline)
        try:
            if not op_ids or offline:
                return await self._commit(session, {}, planned, op_ids, offline=offline)
            outcomes = await self.engine.deliver_now(op_ids, self.authorize_timeout_s)
            if all(o.state == DONE for o in outcomes):
                return await self._commit(session, {o.op_id: o.reply for o in outcomes}, planned, op_ids)
            return await self._fail(session, planned, outcomes)
        except Exception as exc:
            if session.state == State.COMMITTED:
                raise
            # The sale was written but could not finish (a full disk, a bug): resolve it
            # as an interrupted sale now, so what it used goes back without a restart.
            log.error("sale %s could not finish paying (%s); giving back what it used", session.sale_id,
                      type(exc).__name__)
            try:
                await self.recover(only=session.sale_id)
            except Exception:
                log.exception("sale %s stays to be resolved by the next check", session.sale_id)
            if isinstance(exc, StorageFull):
                sentence = i18n._("This sale could not be saved, so it was not completed (the terminal's disk is "
                                  "full: free some space or call IT). Anything it used is given back as soon as "
                                  "the terminal can write again.")
            elif isinstance(exc, StorageError):
                sentence = i18n._("This sale could not be saved, so it was not completed (the terminal's database "
                                  "refused the write: call IT). Anything it used is given back as soon as the "
                                  "terminal can write again.")
            else:
                sentence = i18n._("This sale could not be saved, so it was not completed. Anything it used is "
                                  "given back as soon as the terminal can write again.")
            raise CheckoutError(sentence) from exc

    async def _commit(self, session: Session, replies: dict[int, Any], planned: list[PlannedRedemption],
                      op_ids: list[int], *, offline: bool = False) -> PayResult:
        kinds = {op_id: p.op.kind for op_id, p in zip(op_ids, planned)}
        codes = [code for op_id, r in replies.items()
                 if (code := self.backend.result(kinds.get(op_id, "redeem_reward"), r).reward_code)]
        cost = {r.reward_id: r.credit_required for r in session.rewards}
        spent = [RewardSpent(code, cost.get(p.ref, 0)) for op_id, p in zip(op_ids, planned)
                 if p.kind == "reward" and op_id in replies
                 and (code := self.backend.result(p.op.kind, replies[op_id]).reward_code)]
        order = self.order_of(session, planned, reward_codes=codes, rewards=spent)
        receipt = session.snapshot()
        receipt["reward_codes"] = codes
        order_op = ops.create_order(self.backend, w.AccrueOrder(order))

        def audit(conn: Any) -> None:
            if self.audit is not None:
                self.audit(conn, operator_id=session.operator_id, action="sale", subject=session.sale_id,
                           detail={"total": str(money.to_money(receipt["priced"]["total"])),
                                   "member": session.member_id, "redemptions": len(planned),
                                   "offline": offline})

        order_op_id = await asyncio.to_thread(self.sales.commit, session.sale_id, receipt, order_op, replies,
                                              audit)
        session.committed()
        self.engine.wake()
        points = None
        if not offline:
            # The sale is safe on disk; a short wait lets the receipt show the points.
            # Nothing after the commit may fail the Pay: the cashier would charge again.
            try:
                outcome, = await self.engine.deliver_now([order_op_id], self.points_wait_s)
                if outcome.state == DONE:
                    result = self.backend.result("order", outcome.reply)
                    points = result.points or 0
                    receipt["points_after"] = result.available_after
            except Exception:
                log.exception("sale %s is paid; its points could not be read back", session.sale_id)
        receipt["points_awarded"] = points
        message = i18n._("Paid.") if points is not None else \
            i18n._("Paid. Points will be added when the order reaches the loyalty service.")
        if session.change:
            message += " " + i18n._("Change: {0}.").format(money.to_money(session.change))
        return PayResult(True, session.sale_id, message, receipt, points)

    def order_of(self, session: Session, planned: list[PlannedRedemption], *,
                 reward_codes: list[str], rewards: list[RewardSpent] = ()) -> Order:
        priced = session.priced()
        lines = tuple(OrderLine(line.line_id, line.name, money.to_money(line.unit_cents), line.quantity,
                                sku=line.sku, discount=money.to_money(p.discount), tax=money.to_money(p.tax))
                      for line, p in zip(session.cart.lines, priced.lines))
        payments = tuple(Payment(p.ref, p.key, money.to_money(p.amount_cents), p.user_id)
                         for p in planned if p.kind == "card")
        # Every other tender too (cash net of change), so a return at any terminal gives
        # the money back where it came from (kiosk/checkout/refunds.py).
        payments += tuple(Payment("", "", money.to_money(cents), "", kind=kind)
                          for kind, cents in external_paid(session.external, session.change) if cents)
        payments += tuple(Payment("", p.key, money.to_money(p.amount_cents), p.user_id, kind="points",
                                  points=int(p.ref)) for p in planned if p.kind == "points")
        return Order(id=session.sale_id, member_id=self.user_of(session),
                     total=money.to_money(priced.order_total), lines=lines,
                     discount=money.to_money(priced.discount),
                     coupons=tuple([c.code for c in session.coupons] + reward_codes),
                     ordered_at=datetime.now(timezone.utc).replace(microsecond=0),
                     store_id=self.terminal.store_id, terminal_id=self.terminal.terminal_id,
                     operator_id=session.operator_id, tax=money.to_money(priced.tax), payments=payments,
                     rewards=tuple(rewards))

    async def _fail(self, session: Session, planned: list[PlannedRedemption],
                    outcomes: list[Outcome]) -> PayResult:
        by_op = {o.op_id: o for o in outcomes}
        verdicts: dict[int, tuple[str, Any]] = {}
        facts: list[tuple[PlannedRedemption, Outcome, float | None]] = []
        op_of = dict(zip([o.op_id for o in outcomes], planned))
        for op_id, outcome in by_op.items():
            p = op_of[op_id]
            verdicts[op_id] = await self._verdict(op_id, outcome)
            if outcome.state not in (DONE, CANCELLED):
                facts.append((p, outcome, await self._settles_in(p) if outcome.state == REFUSED else None))
        given_back = [op_of[i] for i, (state, _) in verdicts.items() if state == "undo_wanted"]
        problems = _problems(facts)
        failure = _failure(problems, given_back)
        # The sale's record keeps what was said as a message; the cashier reads it in the screen's language.
        await asyncio.to_thread(self.sales.fail, session.sale_id, i18n.stored(failure), verdicts, self.undo_of)
        session.authorize_failed()
        self._drop_refused(session, [op_of[i] for i, o in by_op.items() if o.state == REFUSED])
        self.engine.wake()
        return PayResult(False, session.sale_id, failure.render(), problems=tuple(p.render() for p in problems))

    async def _settles_in(self, p: PlannedRedemption) -> float | None:
        """A card whose earlier payment (another sale's, whose reply was lost) is still being
        confirmed or given back may only look short: how long until its balance is known again."""
        if p.kind != "card":
            return None
        return await asyncio.to_thread(self.outbox.code_settles_in, p.ref, self.engine.settle_s,
                                       self.engine.urgent_settle_s)

    async def _verdict(self, op_id: int, outcome: Outcome) -> tuple[str, Any]:
        if outcome.state == DONE:
            return "undo_wanted", outcome.reply
        if outcome.state in (REFUSED, CANCELLED):
            return "void", None
        if outcome.state == DEAD:
            return "undo_wanted", None  # in doubt, and a person has to look: never assume either way
        state = await asyncio.to_thread(self.outbox.cancel, op_id)
        return ("void", None) if state in (CANCELLED, REFUSED) else ("undo_wanted", None)

    @staticmethod
    def _drop_refused(session: Session, refused: list[PlannedRedemption]) -> None:
        """A refused card or points tender comes off the tenders; a refused reward or coupon off the cart."""
        for p in refused:
            if p.kind == "card":
                session.drop_card(p.ref)
            elif p.kind == "points":
                session.remove_points()
        benefits = [p for p in refused if p.kind not in ("card", "points")]
        if benefits:
            session.back_to_cart()
            for p in benefits:
                if p.kind == "reward":
                    session.remove_reward(p.ref)
                else:
                    session.remove_coupon(p.ref)

    def undo_of(self, r: Redemption) -> ops.Operation | None:
        """The operation that gives back a redemption that took effect."""
        if r.kind == "points":
            in_doubt = r.op_state is not None and r.op_state != DONE
            return ops.reverse_points(self.backend, w.ReversePointsRedemption(
                r.user_id, r.sale_id, int(r.ref), money.to_money(r.amount_cents)),
                after_op=r.op_id if in_doubt else None)
        key = ops.new_key(self.terminal.terminal_id)
        if r.kind == "reward":
            code = self.backend.result("redeem_reward", r.reply).reward_code
            if not code:
                log.error("redemption %s took effect but its reward code is unknown; it needs a person", r.id)
                return None
            return ops.reverse_reward(self.backend, w.ReverseReward(r.user_id, code, key))
        amount = money.to_money(r.amount_cents) if r.kind == "card" else None
        in_doubt = r.op_state is not None and r.op_state != DONE
        spend = CodeSpend(r.ref, r.user_id, key, amount, order_id=r.sale_id, undo_of=r.key)
        return ops.undo_code(self.backend, w.UndoCode(spend), after_op=r.op_id if in_doubt else None)

    # -- after a crash, and in the background --------------------------------------------------

    async def recover(self, *, only: str | None = None, skip: frozenset[str] = frozenset()) -> list[str]:
        """Sales left 'authorizing' by a crash (or a failure after they were written):
        resolved like a failed authorize. Returns a notice for the cashier per sale."""
        notices = []
        for sale in await asyncio.to_thread(self.sales.interrupted):
            if (only is not None and sale["id"] != only) or sale["id"] in skip:
                continue
            redemptions = await asyncio.to_thread(self.sales.redemptions, sale["id"], "authorizing")
            verdicts: dict[int, tuple[str, Any]] = {}
            for r in redemptions:
                row = await asyncio.to_thread(self.outbox.get, r.op_id)
                state = row["state"] if row else CANCELLED
                reply = json.loads(row["reply"]) if row is not None and row["reply"] else None
                verdicts[r.op_id] = await self._verdict(r.op_id, Outcome(r.op_id, state, reply))
            text = INTERRUPTED_GIVING_BACK if redemptions else INTERRUPTED
            await asyncio.to_thread(self.sales.fail, sale["id"], i18n.stored(Message(text)), verdicts, self.undo_of)
            notices.append(i18n._("Sale {0}: {1}").format(sale["id"], i18n._(text)))
        if notices:
            self.engine.wake()
        return notices

    async def settle_undos(self) -> int:
        queued = await asyncio.to_thread(self.sales.settle_undos, self.undo_of)
        if queued:
            self.engine.wake()
        return queued


def external_paid(external: list, change: int) -> list[tuple[str, int]]:
    """(kind, cents) per tender outside the loyalty service, cash net of the change given."""
    out, change_left = [], change
    for t in (t for t in external if t.kind == "cash"):
        taken = min(change_left, t.amount)
        change_left -= taken
        out.append(("cash", t.amount - taken))
    return [(t.kind, t.amount) for t in external if t.kind != "cash"] + out


def _label(p: PlannedRedemption) -> Message:
    if p.kind == "reward":
        return Message(N_("The reward"))
    if p.kind == "coupon":
        return Message(N_("Coupon {code}"), {"code": p.ref})
    if p.kind == "points":
        return Message(N_("The member's points ({points} for {amount})"),
                       {"points": format(int(p.ref), ","), "amount": money.to_money(p.amount_cents)})
    return Message(N_("Card {code} ({amount})"), {"code": p.ref, "amount": money.to_money(p.amount_cents)})


def _problems(facts: list[tuple[PlannedRedemption, Outcome, float | None]]) -> list[Message]:
    """What went wrong with each redemption, as messages (said, and kept with the sale)."""
    said = []
    for p, outcome, settles_in in facts:
        what = _label(p)
        if outcome.state == REFUSED and settles_in is not None:
            said.append(Message(N_("{what} was refused: this card's last payment is being confirmed, about "
                                   "{seconds} s; try the card again then, or take another tender"),
                                {"what": what, "seconds": math.ceil(settles_in) + 1}))
        elif outcome.state == REFUSED:
            said.append(Message(N_("{what} was refused: {why}"), {"what": what, "why": outcome.error or ""}))
        elif outcome.state == DEAD:
            said.append(Message(N_("{what} failed ({why}); a manager can see it in the queue"),
                                {"what": what, "why": outcome.error or ""}))
        elif outcome.state == HELD:
            said.append(Message(N_("{what}: its answer was lost and the loyalty service can't be asked whether "
                                   "it went through; a manager settles it in the queue (F11), and it is given "
                                   "back if it did"), {"what": what}))
        else:
            said.append(Message(N_("{what} got no answer in time"), {"what": what}))
    return said


def _failure(problems: list[Message], given_back: list[PlannedRedemption]) -> Message:
    """The whole sentence of a failed payment: each problem, what was given back, what to do."""
    if given_back:
        return Message(N_("Payment not completed. {problems}. Given back: {given_back}. Nothing of this sale is "
                          "kept; fix the payment and press Pay again."),
                       {"problems": problems, "given_back": [_label(p) for p in given_back]}, audience="cashier")
    return Message(N_("Payment not completed. {problems}. Nothing of this sale is kept; fix the payment and press "
                      "Pay again."), {"problems": problems}, audience="cashier")
