"""Returns: find the order (receipt barcode or id), check what can still come back, give it back.

The backend is asked first, because a return made at another terminal is only
known there; this terminal's own history answers when the backend can't (offline,
or the order has not reached it yet). Quantities returned by this terminal whose
operations are still queued count too, so nothing can be returned twice.

- Full return: `PATCH /orders/{id}` status return (the backend removes the order's
  remaining points, never below zero), and every gift or store card that paid is
  given its value back by undo (its own new referenceId naming the original).
- Partial return by line: the points come off in proportion, rounded down per line,
  and the last units of a line take what it has left, so a line returned in steps gives
  back exactly what it earned. The terminal computes them from the per-line `points`
  of the order's reply it holds, and sends a documented points debit tied to the order;
  a backend that prices returned lines itself (the extended sandbox, assumption 12) is
  sent the lines instead. Where the order's reply is not on this terminal and the
  backend can't show it, single lines can't be returned here. The money goes back
  through the store's own tender: the API's undo gives back a whole card redemption,
  not a part of one.
- Every return needs a manager's approval, recorded with the return.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

from kiosk.checkout import money
from kiosk.checkout.approvals import Approvals
from kiosk.checkout.pay import Terminal
from kiosk.checkout.receipt import RECEIPT_PREFIX
from kiosk.checkout.errors import CheckoutError
from kiosk.loyalty import backend as contract
from kiosk.loyalty import errors
from kiosk.loyalty import writes as w
from kiosk.loyalty.models import CodeSpend, OrderResult
from kiosk.outbox import ops
from kiosk.outbox.engine import SyncEngine
from kiosk.outbox.queue import CANCELLED, DEAD, DONE, REFUSED, Outbox
from kiosk.outbox.store import Database


@dataclass(frozen=True)
class ReturnableLine:
    line_id: str
    name: str
    sku: str | None
    quantity: int
    returned: int
    paid_cents: int  # what the shopper paid for the whole line (after discounts, with tax)
    # The points the line earned (None: not known here) and those already taken back.
    points: int | None = None
    points_returned: int = 0

    @property
    def left(self) -> int:
        return self.quantity - self.returned

    def points_for(self, n: int) -> int:
        """The points `n` more units take back: their share, rounded down, and the line's
        last units whatever it has left (the rule the backend's own line pricing uses)."""
        if self.points is None:
            raise ValueError("the line's points are not known")
        if n >= self.left:
            return max(self.points - self.points_returned, 0)
        return min(self.points * n // self.quantity, max(self.points - self.points_returned, 0))


@dataclass(frozen=True)
class CardPaid:
    code: str
    reference_id: str
    amount_cents: int
    user_id: str


@dataclass(frozen=True)
class ReturnableOrder:
    order_id: str
    member_id: str
    fully_returned: bool
    lines: tuple[ReturnableLine, ...]
    cards: tuple[CardPaid, ...]
    source: str  # backend | local
    # The returns made here that the counts above include: one made since (a double
    # tap, a second window) is checked again when the return is recorded.
    seen: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ReturnDone:
    return_id: str
    order_id: str
    whole: bool
    refund_cents: int  # due back to the shopper through the store's tender
    cards_cents: int  # given back onto gift and store cards
    points_removed: int | None  # None: pending until the return reaches the backend
    lines: tuple[tuple[str, int, int], ...]  # (line id, quantity, refund cents)
    message: str


def order_id_from_scan(text: str, prefix: str = RECEIPT_PREFIX) -> str:
    text = text.strip()
    return text[len(prefix):] if text.upper().startswith(prefix.upper()) else text


def _paid_per_line(order: OrderResult, inclusive: bool) -> list[int]:
    """What each line cost the shopper. The lines' own discount and tax (which Kiosk
    sends) when the backend gives them back; otherwise the order's discount and tax
    spread the way the sale spread them, so a refund never exceeds what was paid."""
    grosses = [money.to_cents(line.unit_price) * line.quantity for line in order.lines]
    if all(line.discount is not None for line in order.lines):
        discounts = [money.to_cents(line.discount or 0) for line in order.lines]
    else:
        discounts = money.spread(min(money.to_cents(order.discount or 0), sum(grosses)), grosses)
    nets = [max(g - d, 0) for g, d in zip(grosses, discounts)]
    if inclusive:
        return nets
    if all(line.tax is not None for line in order.lines):
        taxes = [money.to_cents(line.tax or 0) for line in order.lines]
    else:
        # Without the order's tax, the refund leaves the tax out: short, never over.
        tax = money.to_cents(order.tax or 0)
        taxes = [tax * n // sum(nets) for n in nets] if sum(nets) else [0] * len(nets)
    return [n + t for n, t in zip(nets, taxes)]


def from_backend(order: OrderResult, inclusive: bool) -> ReturnableOrder:
    lines = tuple(ReturnableLine(line.id, line.name, line.sku, line.quantity, line.returned, paid)
                  for line, paid in zip(order.lines, _paid_per_line(order, inclusive)))
    cards = tuple(CardPaid(p.code, p.reference_id, money.to_cents(p.amount), p.user_id) for p in order.payments)
    whole = order.status in ("return", "returned")
    return ReturnableOrder(order.order_id, order.member_id, whole, lines, cards, "backend")


def from_sale(snapshot: dict, member_id: str, planned_cards: list[CardPaid]) -> ReturnableOrder:
    priced = snapshot["priced"]["lines"]
    lines = tuple(ReturnableLine(line["line_id"], line["name"], line["sku"], line["quantity"], 0, p["total"])
                  for line, p in zip(snapshot["cart"]["lines"], priced))
    return ReturnableOrder(snapshot["sale_id"], member_id, False, lines, tuple(planned_cards), "local")


class Returns:
    def __init__(self, db: Database, outbox: Outbox, engine: SyncEngine, backend: Any, terminal: Terminal, *,
                 inclusive_tax: bool, record_approval: Callable[..., int] | None = None,
                 approvals: Approvals | None = None,
                 points_wait_s: float = 2.0, clock: Callable[[], float] = time.time):
        self.db = db
        self.outbox = outbox
        self.engine = engine
        self.backend = backend
        self.terminal = terminal
        self.inclusive = inclusive_tax
        self.record_approval = record_approval
        self.approvals = approvals or Approvals(clock)
        self.points_wait_s = points_wait_s
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
                    raise CheckoutError(f"Sale {order_id} was not made at this terminal, and this loyalty "
                                        "service can't show another terminal's sales: return it at the terminal "
                                        "that sold it.")
                raise CheckoutError(f"No sale {order_id} was found here or at the loyalty service.")
        return await asyncio.to_thread(self._with_queued_returns, found)

    def _local(self, order_id: str) -> ReturnableOrder | None:
        rows = self.db.read("SELECT * FROM sales WHERE id=? AND state='committed'", (order_id,))
        if not rows:
            return None
        snapshot = json.loads(rows[0]["snapshot"])
        cards = [CardPaid(r["ref"], r["key"], r["amount_cents"], r["user_id"]) for r in self.db.read(
            "SELECT * FROM sale_redemptions WHERE sale_id=? AND kind='card' AND state IN ('applied', 'returned')",
            (order_id,))]
        order = from_sale(snapshot, rows[0]["member_id"] or self.terminal.guest_user_id, cards)
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

    async def give_back(self, order: ReturnableOrder, quantities: dict[str, int] | None, approval: Any,
                        operator_id: str) -> ReturnDone:
        """`quantities` None: the whole order. Otherwise line id -> how many come back."""
        if order.fully_returned or all(line.left == 0 for line in order.lines):
            raise CheckoutError(f"Sale {order.order_id} was already returned in full.")
        whole = quantities is None
        if whole:
            if any(line.returned for line in order.lines):
                # Part of it came back already: the rest comes back line by line.
                quantities = {line.line_id: line.left for line in order.lines if line.left}
                whole = False
            else:
                quantities = {line.line_id: line.quantity for line in order.lines}
        picked = self._check(order, quantities)
        return_id = ops.new_key(self.terminal.terminal_id)
        line_points = self._priced_here(order, picked, whole)
        operations = self._operations(order, picked, whole, return_id, line_points)
        refund_lines = tuple((line.line_id, n, money.refund_share(line.paid_cents, line.quantity, line.returned, n))
                             for line, n in picked)
        cards_cents = sum(c.amount_cents for c in order.cards) if whole else 0
        refund = max(sum(r for _, _, r in refund_lines) - cards_cents, 0)
        self.approvals.use(approval, "return", order.order_id, operator_id, "A return needs a manager's approval.")
        op_ids = await asyncio.to_thread(self._record, order, return_id, whole, refund_lines, operations,
                                         approval, operator_id, refund, cards_cents, line_points)
        self.engine.wake()
        points = None
        if not operations:
            points = 0  # no points to take back, and nothing for the backend to record
        else:
            # Waited for, so the cashier hands money back only for a return the backend took.
            outcome, = await self.engine.deliver_now(op_ids[:1], self.points_wait_s)
            if outcome.state in (REFUSED, DEAD):
                return ReturnDone(return_id, order.order_id, whole, 0, 0, None, refund_lines,
                                  f"The loyalty service refused this return ({outcome.error}). Give nothing back.")
            if outcome.state == DONE:
                result = self.backend.result(operations[0].kind, outcome.reply)
                points = result.points if result.points is not None else (
                    sum(line_points.values()) if line_points is not None else None)
        message = (f"Returned. Give back {money.to_money(refund)}" +
                   (f"; {money.to_money(cards_cents)} went back onto the gift cards" if cards_cents else "") + ". " +
                   ("Points removed: " + str(points) + "." if points is not None
                    else "Points will be removed when the return reaches the loyalty service."))
        return ReturnDone(return_id, order.order_id, whole, refund, cards_cents, points, refund_lines, message)

    def _check(self, order: ReturnableOrder, quantities: dict[str, int]) -> list[tuple[ReturnableLine, int]]:
        by_id = {line.line_id: line for line in order.lines}
        picked = []
        for line_id, n in quantities.items():
            line = by_id.get(line_id)
            if line is None:
                raise CheckoutError("That line is not on this sale.")
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise CheckoutError("A quantity to return is a whole number.")
            if n > line.left:
                raise CheckoutError(f"Only {line.left} of “{line.name}” can still be returned "
                                    f"({line.quantity} bought, {line.returned} returned already).")
            if n:
                picked.append((line, n))
        if not picked:
            raise CheckoutError("Pick at least one item to return.")
        return picked

    def _priced_here(self, order: ReturnableOrder, picked: list[tuple[ReturnableLine, int]],
                     whole: bool) -> dict[str, int] | None:
        """The points of the returned lines, when the terminal prices them (None: the backend does)."""
        if whole or self.capabilities.has(contract.PRICED_LINE_RETURNS):
            return None
        if order.member_id == self.terminal.guest_user_id:
            return {line.line_id: 0 for line, _ in picked}  # a guest's order earned nothing
        if any(line.points is None for line, _ in picked):
            raise CheckoutError(f"The points of sale {order.order_id} are not confirmed by the loyalty service "
                                "yet, so single items can't be returned now: return it in full, or try again "
                                "once the sale has reached the loyalty service.")
        return {line.line_id: line.points_for(n) for line, n in picked}

    def _operations(self, order: ReturnableOrder, picked: list[tuple[ReturnableLine, int]], whole: bool,
                    return_id: str, line_points: dict[str, int] | None) -> list[ops.Operation]:
        backend = self.backend
        if whole:
            out = [ops.full_return(backend, w.ReturnOrder(order.order_id, order.member_id))]
            for card in order.cards:
                spend = CodeSpend(card.code, card.user_id, ops.new_key(self.terminal.terminal_id),
                                  money.to_money(card.amount_cents), order_id=order.order_id,
                                  undo_of=card.reference_id)
                out.append(ops.undo_code(backend, w.UndoCode(spend)))
            return out
        if line_points is not None and sum(line_points.values()) == 0:
            # Priced here at nothing (a guest's order, free lines): no write to make.
            return []
        lines = tuple(w.ReturnedLine(line.line_id, n, None if line_points is None else line_points[line.line_id])
                      for line, n in picked)
        return [ops.return_lines(backend, w.ReturnLines(order.member_id, order.order_id, lines, return_id))]

    def _record(self, order: ReturnableOrder, return_id: str, whole: bool, refund_lines: tuple, operations: list,
                approval: Any, operator_id: str, refund: int, cards_cents: int,
                line_points: dict[str, int] | None) -> list[int]:
        with self.db.tx() as conn:
            _check_unchanged(order, whole, refund_lines,
                             _made_here(lambda sql, args: conn.execute(sql, args).fetchall(), order.order_id))
            op_ids = [self.outbox.add(conn, op, order.order_id) for op in operations]
            snapshot = {"whole": whole, "lines": refund_lines, "op_ids": op_ids, "refund": refund,
                        "cards": cards_cents, "source": order.source,
                        "line_points": sorted((line_points or {}).items())}
            conn.execute("INSERT INTO returns (id, order_id, terminal_id, operator_id, approver_id, created_at,"
                         " whole, snapshot) VALUES (?,?,?,?,?,?,?,?)",
                         (return_id, order.order_id, self.terminal.terminal_id, operator_id,
                          approval.manager_id, self.clock(), int(whole), json.dumps(snapshot)))
            if whole:
                conn.execute("UPDATE sale_redemptions SET state='returned' WHERE sale_id=? AND kind='card'"
                             " AND state='applied'", (order.order_id,))
            if self.record_approval is not None:
                self.record_approval(conn, approval, {"order": order.order_id, "return": return_id,
                                                      "whole": whole, "refund": str(money.to_money(refund)),
                                                      "lines": [[line, n] for line, n, _ in refund_lines]})
            return op_ids


def _made_here(query: Callable[[str, tuple], list], order_id: str) -> list[dict]:
    """This terminal's returns of an order that the backend did not refuse, and
    whether each is still queued (not yet applied there)."""
    made = []
    for r in query("SELECT * FROM returns WHERE order_id=? ORDER BY created_at", (order_id,)):
        snap = json.loads(r["snapshot"])
        ids = snap["op_ids"]
        states = [row["state"] for row in query(
            f"SELECT state FROM ops WHERE id IN ({','.join('?' * len(ids))})", tuple(ids))] if ids else []
        if states[:1] in ([REFUSED], [CANCELLED]):
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
        raise CheckoutError(f"Sale {order.order_id} was returned meanwhile; look it up again.")
    left = {line.line_id: line.left for line in order.lines}
    for r in since:
        for line_id, quantity, _ in r["lines"]:
            left[line_id] = left.get(line_id, 0) - quantity
    for line_id, quantity, _ in refund_lines:
        if quantity > left.get(line_id, 0):
            raise CheckoutError(f"Part of sale {order.order_id} was returned meanwhile; look it up again.")
