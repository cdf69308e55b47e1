"""A manager's approval is for one action, on one sale or order, for the cashier who
asked, used once, and soon: an approval given for one return can't cover another."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, Callable

from kiosk.checkout.errors import ApprovalError
from kiosk.checkout.money import to_money
from kiosk.i18n import _

MAX_AGE_S = 300.0


class Approvals:
    def __init__(self, clock: Callable[[], float] = time.time, max_age_s: float = MAX_AGE_S):
        self.clock = clock
        self.max_age_s = max_age_s
        self._used: set[tuple] = set()

    def use(self, approval: Any, action: str, subject: str, operator_id: str, missing: str) -> None:
        """Check `approval` for this action and mark it used; ApprovalError (saying `missing`) if it can't be."""
        if approval is None or getattr(approval, "action", None) != action:
            raise ApprovalError(missing)
        if approval.subject and approval.subject != subject:
            raise ApprovalError(_("That approval was given for another sale; ask the manager again."))
        if approval.requested_by != operator_id:
            raise ApprovalError(_("That approval was given to another cashier; ask the manager again."))
        if self.clock() - approval.at > self.max_age_s:
            raise ApprovalError(_("That approval has expired; ask the manager again."))
        token = (approval.action, approval.manager_id, approval.requested_by, approval.subject, approval.at)
        if token in self._used:
            raise ApprovalError(_("That approval was already used; ask the manager again."))
        self._used.add(token)
        # Only the recent ones can still be presented; the rest need no remembering.
        self._used = {t for t in self._used if self.clock() - t[-1] <= self.max_age_s}


# -- what the manager reads before approving --------------------------------------------------

def void_details(session: Any) -> list[str]:
    """A void: every line and the sale's total."""
    # Translators: a line of the sale: its quantity, product and amount.
    lines = [_("{0} x {1}: {2}").format(line.quantity, line.name, to_money(line.gross)) for line in session.cart.lines]
    return [_("Sale {0}").format(session.sale_id), *lines, _("Total {0}").format(to_money(session.priced().total))]


def override_details(session: Any, line_id: str, new_price: Decimal) -> list[str]:
    """A price change: the item, its price now and the new one."""
    line = session.cart.line(line_id)
    # Translators: the product and its quantity.
    return [_("{0} ({1} x)").format(line.name, line.quantity), _("Price now {0}").format(to_money(line.unit_cents)),
            _("New price {0}").format(new_price.quantize(Decimal('0.01')))]
