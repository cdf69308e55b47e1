"""The return receipt: what came back, what each tender got back, and the points.

It prints and saves as a PDF through the same paths as a sale's receipt (it has the
`sale_id`, `heading`, `total`, `barcode` and `text()` they use); its barcode is the
original sale's, so the same receipt finds the order again for a later return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from kiosk import formats, i18n
from kiosk.i18n import N_
from kiosk.checkout.money import to_money
from kiosk.checkout.receipt import RECEIPT_PREFIX, TRAINING_MARK, _fit, _row

REFUND_TOTAL = N_("REFUND TOTAL")  # printed bold, as a sale's TOTAL
CARD = N_("Card {0}")  # a refund back onto a gift card, by its masked code

if TYPE_CHECKING:
    from kiosk.checkout.returns import ReturnDone
    from kiosk.config import StoreSettings


@dataclass(frozen=True)
class ReturnReceipt:
    sale_id: str  # the return's id: names the PDF
    order_id: str
    store_id: str | None
    terminal_id: str
    operator_id: str
    approver_id: str
    at: datetime
    lines: tuple[tuple[str, int, Decimal], ...]  # name, quantity, refund
    total: Decimal
    tenders: tuple[tuple[str, Decimal], ...]  # label, amount given back
    member_id: str | None
    points_removed: int | None  # None: pending
    points_given_back: int
    rewards_kept: bool
    barcode: str
    store_name: str = ""
    training: bool = False
    locale: str = "en_US"  # the store's: a return receipt is in its language, as a sale's is

    @property
    def heading(self) -> str:
        return self.store_name or self.store_id or ""

    def total_row(self, width: int = 42) -> str:
        """The refund's total as text() prints it: printed bold, as a sale's TOTAL."""
        words = i18n.catalogue(self.locale).gettext
        return _row(words(REFUND_TOTAL), formats.money(self.total, self.locale), width)

    def text(self, width: int = 42) -> str:
        _ = i18n.catalogue(self.locale).gettext  # the store's language, not the screen's

        def money(amount: Decimal) -> str:
            return formats.money(amount, self.locale)

        mark = _(TRAINING_MARK)
        head = [self.heading, *([_("Store {0}").format(self.store_id)] if self.store_name and self.store_id else []),
                _("RETURN"), _("Return {0}").format(self.sale_id), _("Of sale {0}").format(self.order_id),
                _("{0}  till {1}  cashier {2}").format(f"{formats.in_store_zone(self.at):%Y-%m-%d %H:%M}", self.terminal_id,
                                                       self.operator_id),
                _("Approved by {0}").format(self.approver_id)]
        out = [line for text in head for line in _fit(text, width)] + ["-" * width]
        if self.training:
            out = [mark.center(width), *out, mark.center(width)]
        for name, quantity, amount in self.lines:
            out.append(name if len(name) <= width else name[: width - 1] + "…")
            out.append(_row("  " + _("{0} returned").format(quantity), money(amount), width))
        out.append("-" * width)
        out.append(self.total_row(width))
        out += [_row(f"  {label}", money(amount), width) for label, amount in self.tenders]
        if self.member_id:
            out.append("-" * width)
            out += _fit(_("Member {0}").format(self.member_id), width)
            out.append(_row(_("Points taken back"), _("pending") if self.points_removed is None
                            else formats.points(self.points_removed, self.locale), width))
            if self.points_given_back:
                out.append(_row(_("Points given back (rewards)"), formats.points(self.points_given_back, self.locale),
                                width))
            if self.rewards_kept:
                out += _fit(_("Points spent on rewards are not given back."), width)
        out.append("-" * width)
        # The printer draws the sale's barcode under this line.
        out += _fit(_("The sale's barcode, for a later return:"), width)
        if self.training:
            out.append(mark.center(width))
        return "\n".join(out) + "\n"


def build(done: ReturnDone, names: dict[str, str], *, member_id: str | None, store_id: str | None,
          terminal_id: str, operator_id: str, approver_id: str, at: datetime,
          store: StoreSettings | None = None, training: bool = False) -> ReturnReceipt:
    """`names`: line id -> item name (the order's lines)."""
    lines = tuple((names.get(line_id, line_id), n, to_money(cents)) for line_id, n, cents in done.lines)
    words = i18n.catalogue(store.locale if store else "en_US").gettext
    locale = store.locale if store else "en_US"
    tenders = tuple((_label(b.label, words) + (f" ({formats.points(b.points, locale)})" if b.points else ""),
                     to_money(b.cents))
                    for b in done.backs)
    return ReturnReceipt(done.return_id, done.order_id, store_id, terminal_id, operator_id, approver_id, at,
                         lines, to_money(sum(cents for _, _, cents in done.lines)), tenders, member_id,
                         done.points_removed, done.points_given_back, bool(done.rewards_kept),
                         RECEIPT_PREFIX + done.order_id, store.name if store else "", training,
                         store.locale if store else "en_US")


def _label(label: str, words) -> str:
    """A refund's stored (English) label in the receipt's language: "card ****0003" → "Card ****0003"."""
    if label.startswith("card "):
        return words(CARD).format(label[len("card "):])
    return words(label) if label else label
