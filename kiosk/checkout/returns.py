"""Returns: find the order (receipt barcode or id), check what can still come back, give it back.

The backend is asked first, because a return made at another terminal is only
known there; this terminal's own history answers when the backend can't (offline,
or the order has not reached it yet). Quantities returned by this terminal whose
operations are still queued count too, so nothing can be returned twice.

- Full return: the backend's whole-order return (it removes the order's remaining
  points, never below zero).
- Partial return by line: the points come off in proportion, rounded down per line,
  and the last units of a line take what it has left, so a line returned in steps gives
  back exactly what it earned. The terminal computes them from the per-line points
  of the order's reply it holds, and sends a points debit tied to the order; a backend
  that prices returned lines itself is sent the lines instead. Where the order's reply
  is not on this terminal and the backend can't show it, single lines can't be
  returned here.
- The money goes back to the tenders that paid, gift and store cards first
  (kiosk/checkout/refunds.py): a card's redemption is undone, and what it keeps is
  redeemed again, in one ordered group behind the return itself, so a return the
  backend refuses gives nothing back.
- When a return brings back the last of an order, the points its rewards cost are
  given back (a reward reversal) where the backend can reverse a reward; where it
  can't, the plan says so before the manager approves.
- Every return needs a manager's approval, recorded with the return.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any, Callable, TYPE_CHECKING

from kiosk import i18n
from kiosk.checkout import money, refunds
from kiosk.checkout.approvals import Approvals
from kiosk.checkout.pay import TerminalIds
from kiosk.checkout.return_orders import (  # noqa: F401 (ReturnableLine and the rest: their home for callers)
    ReturnableLine, ReturnableOrder, ReturnDone, ReturnPlan, from_backend, from_sale, order_id_from_scan)
from kiosk.checkout.errors import CheckoutError
from kiosk.loyalty import backend as contract
from kiosk.loyalty import errors
from kiosk.loyalty import writes as w
from kiosk.loyalty.models import CodeSpend, RewardSpent
from kiosk.outbox import ops
from kiosk.outbox.engine import SyncEngine
from kiosk.outbox.queue import CANCELLED, DEAD, DONE, REFUSED, Outbox
from kiosk.outbox.store import Database

if TYPE_CHECKING:  # the app runs delivery on its own thread; tests pass the engine itself
    from kiosk.outbox.worker import EngineThread


class Returns:
    def __init__(self, db: Database, outbox: Outbox, engine: SyncEngine | EngineThread, backend: Any, terminal: TerminalIds, *,
                 inclusive_tax: bool, record_approval: Callable[..., int] | None = None,
                 approvals: Approvals | None = None,
                 points_wait_s: float = 2.0, refund_to: str = "original",
                 clock: Callable[[], float] = time.time):
        self.db = db
        self.outbox = outbox
        self.engine = engine
        self.backend = backend
        self.terminal = terminal
        self.inclusive = inclusive_tax
        self.record_approval = record_approval
        self.approvals = approvals or Approvals(clock)
        self.points_wait_s = points_wait_s
        if refund_to not in refunds.REFUND_TO:
            raise ValueError(f"returns.refund_to is {refund_to!r}, not one of {', '.join(refunds.REFUND_TO)}")
        self.refund_to = refund_to
        self.clock = clock

    # -- finding -----------------------------------------------------------------------------

    @property
    def capabilities(self) -> contract.Capabilities:
        return self.backend.capabilities

    async def find(self, scanned: str) -> ReturnableOrder:
        order_id = order_id_from_scan(scanned)
        found = None
        readable = self.capabilities.has(contract.ORDER_DETAILS)
        if readable:
            try:
                found = from_backend(await self.backend.get_order(order_id), self.inclusive)
            except errors.NotFound:
                found = None
            except (errors.BackendUnavailable, errors.InvalidIdentifier):
                found = None
        if found is None:
            found = await asyncio.to_thread(self._local, order_id)
            if found is None:
                if not readable:
                    raise CheckoutError(i18n._("Sale {0} was not made at this terminal, and this loyalty "
                                               "service can't show another terminal's sales: return it at the "
                                               "terminal that sold it.").format(order_id))
                raise CheckoutError(i18n._("No sale {0} was found here or at the loyalty service.").format(order_id))
        return await asyncio.to_thread(self._with_queued_returns, found)

    def _local(self, order_id: str) -> ReturnableOrder | None:
        rows = self.db.read("SELECT * FROM sales WHERE id=? AND state='committed'", (order_id,))
        if not rows:
            return None
        snapshot = json.loads(rows[0]["snapshot"])
        cards = [refunds.Tender(refunds.CODE, r["amount_cents"], r["ref"], r["key"], r["user_id"])
                 if r["kind"] == "card" else
                 refunds.Tender(refunds.POINTS, r["amount_cents"], "", r["key"], r["user_id"], points=int(r["ref"]))
                 for r in self.db.read("SELECT * FROM sale_redemptions WHERE sale_id=? AND kind IN ('card', 'points')"
                                       " AND state IN ('applied', 'returned') ORDER BY id", (order_id,))]
        cost = {r["reward_id"]: r["credit_required"] for r in snapshot.get("rewards", [])}
        rewards = tuple(RewardSpent(code, cost.get(r["ref"], 0)) for r in self.db.read(
            "SELECT * FROM sale_redemptions WHERE sale_id=? AND kind='reward' AND state='applied' ORDER BY id",
            (order_id,)) if r["reply"] and (code := self.backend.result(
                "redeem_reward", json.loads(r["reply"])).reward_code))
        order = from_sale(snapshot, rows[0]["member_id"] or self.terminal.guest_user_id, cards, rewards)
        return replace(order, lines=tuple(replace(line, points=self._line_points(order_id).get(line.line_id))
                                          for line in order.lines))

    def _line_points(self, order_id: str) -> dict[str, int]:
        """The points each line earned, from the order's reply kept here once it was delivered."""
        found = self.db.read("SELECT reply FROM ops WHERE kind='order' AND sale_id=? AND state='done'"
                             " ORDER BY id DESC LIMIT 1", (order_id,))
        if not found or not found[0]["reply"]:
            return {}
        return self.backend.result("order", json.loads(found[0]["reply"])).line_points or {}

    def _with_queued_returns(self, order: ReturnableOrder) -> ReturnableOrder:
        """Add what this terminal returned that the order's counts don't show yet: all of
        it for a local order, what is still queued for one the backend answered for."""
        made_here = _made_here(self.db.read, order.order_id)
        counted = [r for r in made_here if order.source == "local" or r["queued"]]
        added: dict[str, int] = {}
        for r in counted:
            for line_id, quantity, _refund in r["lines"]:
                added[line_id] = added.get(line_id, 0) + quantity
        # Points this terminal took back line by line (every return made here: the order's
        # line points are this terminal's own reading, never the backend's running count).
        points_back: dict[str, int] = {}
        for r in made_here:
            for line_id, points in r["line_points"]:
                points_back[line_id] = points_back.get(line_id, 0) + points
        lines = tuple(replace(line, returned=min(line.quantity, line.returned + added.get(line.line_id, 0)),
                              points_returned=line.points_returned + points_back.get(line.line_id, 0))
                      for line in order.lines)
        whole = order.fully_returned or any(r["whole"] for r in counted)
        return replace(order, fully_returned=whole, lines=lines, seen=frozenset(r["id"] for r in made_here))

    # -- returning ------------------------------------------------------------------------------

    def plan(self, order: ReturnableOrder, quantities: dict[str, int] | None) -> ReturnPlan:
        """What returning `quantities` (None: everything left) would do; a CheckoutError says
        why it can't be done. Nothing is written."""
        if order.fully_returned or all(line.left == 0 for line in order.lines):
            raise CheckoutError(i18n._("Sale {0} was already returned in full.").format(order.order_id))
        whole = quantities is None
        if whole:
            if any(line.returned for line in order.lines):
                # Part of it came back already: the rest comes back line by line.
                quantities = {line.line_id: line.left for line in order.lines if line.left}
                whole = False
            else:
                quantities = {line.line_id: line.quantity for line in order.lines}
        picked = self._check(order, quantities)
        line_points = self._priced_here(order, picked, whole)
        lines = tuple((line.line_id, n, money.refund_share(line.paid_cents, line.quantity, line.returned, n))
                      for line, n in picked)
        tenders = refunds.ordered(order.tenders, order.paid_cents, self.refund_to)
        backs = refunds.split(tenders, order.returned_cents, sum(cents for _, _, cents in lines), order.paid_cents)
        coming = {line.line_id: n for line, n in picked}
        completes = all(line.left == coming.get(line.line_id, 0) for line in order.lines)
        rewards = order.rewards if completes and order.member_id != self.terminal.guest_user_id else ()
        reversible = self.capabilities.has(contract.REWARD_REVERSAL)
        return ReturnPlan(order, whole, tuple(picked), lines, backs, line_points, completes,
                          rewards if reversible else (), 0 if reversible else sum(r.points for r in rewards),
                          self.refund_to == "cash")

    async def give_back(self, order: ReturnableOrder, quantities: dict[str, int] | None, approval: Any,
                        operator_id: str) -> ReturnDone:
        """`quantities` None: the whole order (what is left of it). Otherwise line id -> how many come back."""
        plan = self.plan(order, quantities)
        member = None if order.member_id == self.terminal.guest_user_id else order.member_id
        return_id = ops.new_key(self.terminal.terminal_id)
        first = self._points_operation(plan, return_id)
        self.approvals.use(approval, "return", order.order_id, operator_id,
                           i18n._("A return needs a manager's approval."))
        op_ids = await asyncio.to_thread(self._record, plan, return_id, first, approval, operator_id)
        self.engine.wake()
        points = None if first is not None else 0
        if op_ids:
            # Waited for, so the cashier hands money back only for a return the backend took.
            outcomes = await self.engine.deliver_now(op_ids, self.points_wait_s)
            head = outcomes[0]
            if first is not None and head.state in (REFUSED, DEAD):
                return ReturnDone(return_id, order.order_id, plan.whole, 0, 0, None, plan.lines,
                                  i18n._("The loyalty service refused this return ({0}). Give nothing "
                                         "back.").format(head.error),
                                  ok=False, member_id=member, approver_id=approval.manager_id)
            if first is not None and head.state == DONE:
                result = self.backend.result(first.kind, head.reply)
                points = result.points if result.points is not None else (
                    sum(plan.line_points.values()) if plan.line_points is not None else None)
        given = sum(r.points for r in plan.rewards_back)
        return ReturnDone(return_id, order.order_id, plan.whole, plan.refund_cents, plan.cards_cents, points,
                          plan.lines, _message(plan, points), plan.backs, given, plan.rewards_kept,
                          member_id=member, approver_id=approval.manager_id)

    def _check(self, order: ReturnableOrder, quantities: dict[str, int]) -> list[tuple[ReturnableLine, int]]:
        by_id = {line.line_id: line for line in order.lines}
        picked = []
        for line_id, n in quantities.items():
            line = by_id.get(line_id)
            if line is None:
                raise CheckoutError(i18n._("That line is not on this sale."))
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise CheckoutError(i18n._("A quantity to return is a whole number."))
            if n > line.left:
                raise CheckoutError(i18n._("Only {0} of “{1}” can still be returned ({2} bought, {3} returned "
                                           "already).").format(line.left, line.name, line.quantity, line.returned))
            if n:
                picked.append((line, n))
        if not picked:
            raise CheckoutError(i18n._("Pick at least one item to return."))
        return picked

    def _priced_here(self, order: ReturnableOrder, picked: list[tuple[ReturnableLine, int]],
                     whole: bool) -> dict[str, int] | None:
        """The points of the returned lines, when the terminal prices them (None: the backend does)."""
        if whole or self.capabilities.has(contract.PRICED_LINE_RETURNS):
            return None
        if order.member_id == self.terminal.guest_user_id:
            return {line.line_id: 0 for line, _ in picked}  # a guest's order earned nothing
        if any(line.points is None for line, _ in picked):
            raise CheckoutError(i18n._("The points of sale {0} are not confirmed by the loyalty service "
                                       "yet, so single items can't be returned now: return it in full, or try again "
                                       "once the sale has reached the loyalty service.").format(order.order_id))
        return {line.line_id: line.points_for(n) for line, n in picked}

    def _points_operation(self, plan: ReturnPlan, return_id: str) -> ops.Operation | None:
        """The return's own write: the order's points (None: nothing for the backend to record)."""
        order = plan.order
        if plan.whole:
            return ops.full_return(self.backend, w.ReturnOrder(order.order_id, order.member_id))
        if plan.line_points is not None and sum(plan.line_points.values()) == 0:
            return None  # priced here at nothing (a guest's order, free lines)
        lines = tuple(w.ReturnedLine(line.line_id, n, None if plan.line_points is None
                                     else plan.line_points[line.line_id]) for line, n in plan.picked)
        return ops.return_lines(self.backend, w.ReturnLines(order.member_id, order.order_id, lines, return_id))

    def _follow_ups(self, plan: ReturnPlan, return_id: str) -> list[ops.Operation]:
        """Reward reversals, then each card's undo and what it keeps, redeemed again."""
        order, backend, new_key = plan.order, self.backend, lambda: ops.new_key(self.terminal.terminal_id)
        out = [ops.reverse_reward(backend, w.ReverseReward(order.member_id, r.code, new_key()))
               for r in plan.rewards_back]
        for back in plan.backs:
            card = back.tender
            if card.kind == refunds.POINTS and back.points:
                # The whole tender at once keeps the sale's own reversal key; a share, the return's.
                whole = back.before == 0 and back.points == card.points
                out.append(ops.reverse_points(backend, w.ReversePointsRedemption(
                    order.member_id, order.order_id, back.points, money.to_money(back.cents),
                    points_key=None if whole else f"{return_id}-P")))
            if card.kind != refunds.CODE:
                continue
            reference, standing = refunds.live(card, back.before)
            undo = CodeSpend(card.code, card.user_id, new_key(), money.to_money(standing),
                             order_id=order.order_id, undo_of=reference)
            out.append(ops.undo_code(backend, w.UndoCode(undo)))
            keeps = card.paid_cents - back.before - back.cents
            if keeps:
                again = CodeSpend(card.code, card.user_id, refunds.respend_key(card.reference_id, back.before + back.cents),
                                  money.to_money(keeps), order_id=order.order_id)
                out.append(ops.redeem_code(backend, w.SpendCode(again)))
        return out

    def _record(self, plan: ReturnPlan, return_id: str, first: ops.Operation | None, approval: Any,
                operator_id: str) -> list[int]:
        order = plan.order
        with self.db.tx() as conn:
            _check_unchanged(order, plan.whole, plan.lines,
                             _made_here(lambda sql, args: conn.execute(sql, args).fetchall(), order.order_id))
            op_ids = [self.outbox.add(conn, first, order.order_id)] if first is not None else []
            head = op_ids[:1]
            for op in self._follow_ups(plan, return_id):
                # Behind the return, in the order's group, and cancelled with it if the backend
                # refuses it; a card's remainder goes again only once its undo took effect.
                groups = [ops.order_group(order.order_id), f"refund:{return_id}"]
                groups += [ops.undo_after(op_id) for op_id in head]
                if op.kind == w.SpendCode.kind:
                    groups.append(ops.undo_after(op_ids[-1]))  # the card's undo, just queued
                merged = tuple(dict.fromkeys(op.groups + tuple(groups)))  # some carry the order group already
                op_ids.append(self.outbox.add(conn, replace(op, groups=merged), order.order_id))
            # "head": whether op_ids[0] is the return's own write, whose refusal voids the return.
            snapshot = {"whole": plan.whole, "lines": plan.lines, "op_ids": op_ids, "head": first is not None,
                        "refund": plan.refund_cents,
                        "cards": plan.cards_cents, "source": order.source,
                        "line_points": sorted((plan.line_points or {}).items()),
                        "tenders": [[b.tender.kind, b.label, b.cents] for b in plan.backs],
                        "reward_points": sum(r.points for r in plan.rewards_back), "rewards_kept": plan.rewards_kept}
            conn.execute("INSERT INTO returns (id, order_id, terminal_id, operator_id, approver_id, created_at,"
                         " whole, snapshot) VALUES (?,?,?,?,?,?,?,?)",
                         (return_id, order.order_id, self.terminal.terminal_id, operator_id,
                          approval.manager_id, self.clock(), int(plan.whole), json.dumps(snapshot)))
            if plan.completes and plan.cards_cents:
                conn.execute("UPDATE sale_redemptions SET state='returned' WHERE sale_id=? AND kind='card'"
                             " AND state='applied'", (order.order_id,))
            if self.record_approval is not None:
                self.record_approval(conn, approval, {
                    "order": order.order_id, "return": return_id, "whole": plan.whole,
                    "refund": str(money.to_money(plan.total_cents)),
                    "lines": [[line, n] for line, n, _ in plan.lines],
                    "tenders": [[b.tender.kind, str(money.to_money(b.cents))] for b in plan.backs]})
            return op_ids


def _message(plan: ReturnPlan, points: int | None) -> str:
    parts = [b.instruction for b in plan.backs] or [i18n._("Nothing to give back")]
    # Translators: {0} is what goes back to each tender, joined by "; ".
    text = [i18n._("Returned. {0}.").format(i18n.pgettext("between the items of a list", "; ").join(parts)),
            i18n._("Points taken back: {0}.").format(points) if points is not None
            else i18n._("Points will be taken back when the return reaches the loyalty service.")]
    if plan.rewards_back:
        text.append(i18n._("Points given back for rewards: {0}.").format(sum(r.points for r in plan.rewards_back)))
    if plan.rewards_kept:
        text.append(i18n._("Points spent on rewards are not given back."))
    return " ".join(text)


def _made_here(query: Callable[[str, tuple], list], order_id: str) -> list[dict]:
    """This terminal's returns of an order that the backend did not refuse, and
    whether each is still queued (not yet applied there)."""
    made = []
    for r in query("SELECT * FROM returns WHERE order_id=? ORDER BY created_at", (order_id,)):
        snap = json.loads(r["snapshot"])
        ids = snap["op_ids"]
        states = [row["state"] for row in query(
            f"SELECT state FROM ops WHERE id IN ({','.join('?' * len(ids))})", tuple(ids))] if ids else []
        if snap.get("head", True) and states[:1] in ([REFUSED], [CANCELLED]):
            continue
        made.append({"id": r["id"], "whole": snap["whole"], "lines": snap["lines"],
                     "line_points": snap.get("line_points", []),
                     "queued": any(s not in (DONE, REFUSED, CANCELLED) for s in states)})
    return made


def _check_unchanged(order: ReturnableOrder, whole: bool, refund_lines: tuple, made: list[dict]) -> None:
    """Returns recorded since `order` was read (a double tap, another window): still room?"""
    since = [r for r in made if r["id"] not in order.seen]
    if not since:
        return
    if any(r["whole"] for r in since) or whole:
        raise CheckoutError(i18n._("Sale {0} was returned meanwhile; look it up again.").format(order.order_id))
    left = {line.line_id: line.left for line in order.lines}
    for r in since:
        for line_id, quantity, _ in r["lines"]:
            left[line_id] = left.get(line_id, 0) - quantity
    for line_id, quantity, _ in refund_lines:
        if quantity > left.get(line_id, 0):
            raise CheckoutError(i18n._("Part of sale {0} was returned meanwhile; look it up again.").format(
                order.order_id))
