"""The offline allowance: a manager lets this terminal take gift cards and coupons while offline.

By default (as Toast, Square and Lightspeed do) an offline terminal refuses every
redemption, because two tills could spend the same balance. A store that accepts
that risk can open an allowance, approved by a manager, capped like Square caps
offline card payments: how many sales, how much money in all, and for how long.
Redemptions taken under it wait in the outbox and go out on reconnect; whatever the
backend then refuses is listed by `report()` for the manager (the money was not
collected, and the receipt said the card's balance would be confirmed later).
Rewards stay refused offline: the points balance can't be known.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Callable

from kiosk import i18n
from kiosk.checkout import money
from kiosk.checkout.approvals import Approvals
from kiosk.checkout.errors import CheckoutError
from kiosk.checkout.session import CardTender, Session
from kiosk.i18n import _
from kiosk.outbox.store import Database


@dataclass(frozen=True)
class Allowance:
    id: int
    manager_id: str
    granted_at: float
    expires_at: float
    max_sales: int
    max_cents: int
    used_sales: int
    used_cents: int

    @property
    def cents_left(self) -> int:
        return max(0, self.max_cents - self.used_cents)

    @property
    def sales_left(self) -> int:
        return max(0, self.max_sales - self.used_sales)

    @classmethod
    def of(cls, r: sqlite3.Row) -> "Allowance":
        return cls(r["id"], r["approver_id"], r["granted_at"], r["expires_at"], r["max_sales"], r["max_cents"],
                   r["used_sales"], r["used_cents"])


@dataclass(frozen=True)
class Refusal:
    sale_id: str
    code: str
    amount: str
    reason: str


def at_risk(session: Session) -> int:
    """What the sale takes on trust: the cards' amounts and the coupons' discounts."""
    coupons = session.priced().discounts[len(session.rewards):]
    return sum(c.amount for c in session.cards) + sum(coupons)


class Allowances:
    def __init__(self, db: Database, terminal_id: str, clock: Callable[[], float] = time.time,
                 audit: Callable[..., None] | None = None, approvals: Approvals | None = None):
        self.db = db
        self.terminal_id = terminal_id
        self.clock = clock
        self.audit = audit
        self.approvals = approvals or Approvals(clock)

    def grant(self, approval: Any, *, max_sales: int, max_amount: Any, hours: float,
              operator_id: str) -> Allowance:
        if not (1 <= max_sales <= 100 and 0 < hours <= 24):
            raise CheckoutError(_("An allowance covers 1 to 100 sales for up to 24 hours."))
        cents = money.to_cents(max_amount)
        if cents <= 0:
            raise CheckoutError(_("Give the allowance an amount above zero."))
        self.approvals.use(approval, "offline_allowance", self.terminal_id, operator_id,
                           _("An offline allowance needs a manager's approval."))
        now = self.clock()
        with self.db.tx() as conn:
            conn.execute("UPDATE offline_allowances SET closed=1 WHERE terminal_id=? AND closed=0",
                         (self.terminal_id,))
            new_id = conn.execute(
                "INSERT INTO offline_allowances (terminal_id, approver_id, granted_at, expires_at, max_sales,"
                " max_cents) VALUES (?,?,?,?,?,?)",
                (self.terminal_id, approval.manager_id, now, now + hours * 3600, max_sales, cents)).lastrowid
            if self.audit is not None:
                self.audit(conn, operator_id=operator_id, action="offline_allowance", subject=str(new_id),
                           detail={"sales": max_sales, "amount": str(money.to_money(cents)), "hours": hours},
                           approver_id=approval.manager_id)
            return Allowance.of(conn.execute("SELECT * FROM offline_allowances WHERE id=?", (new_id,)).fetchone())

    def close(self) -> None:
        with self.db.tx() as conn:
            conn.execute("UPDATE offline_allowances SET closed=1 WHERE terminal_id=?", (self.terminal_id,))

    def active(self) -> Allowance | None:
        found = self.db.read("SELECT * FROM offline_allowances WHERE terminal_id=? AND closed=0 AND expires_at>?"
                             " ORDER BY id DESC LIMIT 1", (self.terminal_id, self.clock()))
        if not found:
            return None
        allowance = Allowance.of(found[0])
        return allowance if allowance.sales_left and allowance.cents_left else None

    def why_not(self, session: Session) -> str:
        allowance = self.active()
        if allowance is None:
            return _("the offline allowance is used up or has expired; take another tender.")
        return _("the offline allowance has {0} left and this sale needs {1}; take another tender for the "
                 "rest.").format(money.to_money(allowance.cents_left), money.to_money(at_risk(session)))

    def add_unchecked_card(self, session: Session, code: str) -> CardTender:
        """A card taken on trust: it pays what is due, up to what the allowance has left."""
        allowance = self.active()
        if allowance is None:
            raise CheckoutError(_("The offline allowance is used up or has expired; take another tender."))
        if any(c.code.upper() == code.upper() for c in session.cards):
            raise CheckoutError(_("{0} is already paying for this sale.").format(code))
        already = at_risk(session)
        amount = min(session.due, allowance.cents_left - already)
        if amount <= 0:
            raise CheckoutError(_("Nothing is left to pay.") if session.due == 0 else self.why_not(session))
        card = CardTender(code, "giftcard", amount, amount, checked=False)
        session.cards.append(card)
        return card

    def use(self, session: Session) -> None:
        """Take this sale's risk from the allowance, all or nothing, or say why not."""
        risk = at_risk(session)
        with self.db.tx() as conn:
            taken = conn.execute(
                "UPDATE offline_allowances SET used_sales=used_sales+1, used_cents=used_cents+?"
                " WHERE id=(SELECT id FROM offline_allowances WHERE terminal_id=? AND closed=0 AND expires_at>?"
                " ORDER BY id DESC LIMIT 1) AND used_sales < max_sales AND used_cents + ? <= max_cents",
                (risk, self.terminal_id, self.clock(), risk)).rowcount
        if taken != 1:
            # Translators: {0} is why, a sentence starting in lower case ("the offline allowance has…").
            raise CheckoutError(_("The terminal is offline, so gift cards and coupons can't be used now: "
                                  "{0}").format(self.why_not(session)))

    def report(self) -> list[Refusal]:
        """Redemptions taken offline that the backend refused once they reached it."""
        rows = self.db.read(
            "SELECT r.sale_id, r.ref, r.amount_cents, o.state, o.last_error FROM sale_redemptions r"
            " JOIN ops o ON o.id = r.op_id WHERE r.offline=1 AND o.state IN ('refused', 'dead') ORDER BY r.id")
        return [Refusal(r["sale_id"], r["ref"], str(money.to_money(r["amount_cents"])),
                        i18n.readable(r["last_error"]) or r["state"]) for r in rows]

    def pending(self) -> int:
        (n,), = self.db.read("SELECT COUNT(*) FROM sale_redemptions r JOIN ops o ON o.id = r.op_id"
                             " WHERE r.offline=1 AND o.state='pending'")
        return n
