"""The receipt as data, built from a committed sale; the UI prints it (ESC/POS, PDF).

`text()` lays it out in fixed-width columns: what a thermal printer prints, and
what tests and the command line read. A receipt is in the store's language and number
style (store.locale), whatever language the cashier's screen is in: it is the store's
document, handed to its customer.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from kiosk import formats, i18n
from kiosk.i18n import N_
from kiosk.checkout.money import to_money

if TYPE_CHECKING:
    from kiosk.config import StoreSettings

RECEIPT_PREFIX = "R:"  # as the scanner's receipt_prefix setting reads it
TRAINING_MARK = N_("*** TRAINING - NOT A SALE ***")
TOTAL = N_("TOTAL")  # printed bold: total_row finds it in the receipt's language
TENDER_NAMES = {"cash": N_("Cash"), "card": N_("Card (store terminal)"), "other": N_("Other")}


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    quantity: int
    unit_price: Decimal
    amount: Decimal  # before discounts
    overridden_from: Decimal | None = None


@dataclass(frozen=True)
class Receipt:
    sale_id: str
    store_id: str | None
    terminal_id: str
    operator_id: str
    at: datetime
    lines: tuple[ReceiptLine, ...]
    merchandise: Decimal
    discounts: tuple[tuple[str, Decimal], ...]
    tax: Decimal
    tax_inclusive: bool
    total: Decimal
    tenders: tuple[tuple[str, Decimal], ...]
    change: Decimal
    cards_left: tuple[tuple[str, Decimal | str], ...]  # code (masked), balance left or "confirmed later"
    member_id: str | None
    points_earned: int | None  # None: pending
    points_balance: int | None
    reward_codes: tuple[str, ...]
    barcode: str  # scanned at a return: "R:" + the order id
    store_name: str = ""
    address: tuple[str, ...] = ()
    tax_id: str = ""
    taxes: tuple[tuple[Decimal, Decimal, Decimal], ...] = ()  # rate (percent), amount it is on, tax
    training: bool = False  # printed in the training environment (kiosk/ops/environments.py)
    locale: str = "en_US"  # the store's (store.locale): the receipt's words and numbers

    @property
    def heading(self) -> str:
        """The receipt's first line, printed bold: the store's name, or its id."""
        return self.store_name or self.store_id or ""

    def total_row(self, width: int = 42) -> str:
        """The TOTAL line as text() prints it: the one printed bold."""
        return _row(i18n.catalogue(self.locale).gettext(TOTAL), formats.money(self.total, self.locale), width)

    def text(self, width: int = 42) -> str:
        _ = i18n.catalogue(self.locale).gettext  # the store's language, not the screen's

        def money(amount: Decimal) -> str:
            return formats.money(amount, self.locale)

        mark = _(TRAINING_MARK)
        head = [self.heading]
        if self.store_name and self.store_id:
            head.append(_("Store {0}").format(self.store_id))
        head += [*self.address, *([_("Tax id {0}").format(self.tax_id)] if self.tax_id else []),
                 _("Sale {0}").format(self.sale_id),
                 _("{0}  till {1}  cashier {2}").format(f"{formats.in_store_zone(self.at):%Y-%m-%d %H:%M}", self.terminal_id,
                                                        self.operator_id)]
        out = [line for text in head for line in _fit(text, width)] + ["-" * width]
        if self.training:
            out = [mark.center(width), *out, mark.center(width)]
        for line in self.lines:
            out.append(line.name if len(line.name) <= width else line.name[: width - 1] + "…")
            detail = "  " + _("{0} x {1}").format(line.quantity, money(line.unit_price))
            if line.overridden_from is not None:
                detail += " " + _("(was {0})").format(money(line.overridden_from))
            out.append(_row(detail, money(line.amount), width))
        out.append("-" * width)
        out.append(_row(_("Subtotal"), money(self.merchandise), width))
        for label, amount in self.discounts:
            out.append(_row(label, f"-{money(amount)}", width))
        out.append(_row(_("Tax (included)") if self.tax_inclusive else _("Tax"), money(self.tax), width))
        for rate, base, tax in self.taxes:
            # Translators: a tax rate ("8.25%") and the amount it is in (or of).
            share = _("{0} in {1}") if self.tax_inclusive else _("{0} of {1}")
            out.append(_row("  " + share.format(formats.percent(rate, self.locale), money(base)), money(tax), width))
        out.append(self.total_row(width))
        for label, amount in self.tenders:
            out.append(_row(label, money(amount), width))
        if self.change:
            out.append(_row(_("Change"), money(self.change), width))
        for code, left in self.cards_left:
            out.append(_row("  " + _("{0} left").format(code), money(left) if isinstance(left, Decimal) else _(left),
                            width))
        if self.member_id:
            out.append("-" * width)
            out += _fit(_("Member {0}").format(self.member_id), width)
            earned = _("pending") if self.points_earned is None else formats.points(self.points_earned, self.locale)
            out.append(_row(_("Points earned"), earned, width))
            if self.points_balance is not None:
                out.append(_row(_("Points balance"), formats.points(self.points_balance, self.locale), width))
            for code in self.reward_codes:
                out.append(_row(_("Reward code"), code, width))
        out.append("-" * width)
        # The printer draws self.barcode as a Code 128 barcode under this line.
        out += _fit(_("Keep this receipt for returns."), width)
        if self.training:
            out.append(mark.center(width))
        return "\n".join(out) + "\n"


def mask(code: str) -> str:
    """A gift card's code is money: the receipt shows only its end."""
    return "*" * max(len(code) - 4, 0) + code[-4:]


def build(receipt: dict, *, store_id: str | None, terminal_id: str, tax_inclusive: bool,
          at: datetime, barcode_prefix: str = RECEIPT_PREFIX, store: StoreSettings | None = None,
          training: bool = False) -> Receipt:
    """`receipt` is the committed sale's snapshot (PayResult.receipt); `store` gives the
    name, address and tax id the receipt's head shows."""
    priced = receipt["priced"]
    lines = tuple(ReceiptLine(line["name"], line["quantity"], to_money(line["unit_cents"]),
                              to_money(line["unit_cents"] * line["quantity"]),
                              None if line["list_cents"] is None else to_money(line["list_cents"]))
                  for line in receipt["cart"]["lines"])
    locale = store.locale if store else "en_US"
    _ = i18n.catalogue(locale).gettext  # the receipt's words are the store's language
    # Every reward and coupon, with what it took: one that took less than its face value
    # (or nothing) was spent all the same.
    labels = ([_("Reward: {0}").format(r["name"]) for r in receipt["rewards"]]
              + [_("Coupon {0} ({1})").format(c["code"], _coupon_off(c, _, locale)) for c in receipt["coupons"]])
    discounts = tuple((label, to_money(cents)) for label, cents in zip(labels, priced["discounts"]))
    tenders = tuple(((_("Store card {0}") if c["kind"] == "storecard" else _("Gift card {0}")).format(mask(c["code"])),
                     to_money(c["amount"])) for c in receipt["cards"])
    tenders += tuple((_(TENDER_NAMES[kind]) if kind in TENDER_NAMES else kind, to_money(t["amount"]))
                     for t in receipt["external"] for kind in (t["kind"],))
    # A balance left, or "confirmed later" (a card taken offline): the words are put in at text().
    cards_left = tuple((mask(c["code"]), to_money(c["balance"] - c["amount"]) if c.get("checked", True)
                        else N_("confirmed later")) for c in receipt["cards"])
    return Receipt(receipt["sale_id"], store_id, terminal_id, receipt["operator_id"], at, lines,
                   to_money(priced["merchandise"]), discounts, to_money(priced["tax"]), tax_inclusive,
                   to_money(priced["total"]), tenders, to_money(receipt.get("change", 0)), cards_left,
                   receipt["member_id"], receipt.get("points_awarded"), receipt.get("points_after"),
                   tuple(receipt.get("reward_codes", ())), barcode_prefix + receipt["sale_id"],
                   store.name if store else "", tuple(store.address) if store else (),
                   store.tax_id if store else "", _taxes(receipt), training, locale)


def _coupon_off(coupon: dict, words, locale: str) -> str:
    """What a coupon takes off, in the receipt's language: "10% off", "5,00 de descuento"."""
    if coupon.get("percent") is not None:
        return words("{0} off").format(formats.percent(Decimal(coupon["percent"]), locale))
    if coupon.get("cents"):
        return words("{0} off").format(formats.money(coupon["cents"], locale))
    return coupon.get("label") or ""


def _taxes(receipt: dict) -> tuple[tuple[Decimal, Decimal, Decimal], ...]:
    """Tax by rate, lowest first: (rate, the lines' amount after discounts, their tax).
    Empty for a snapshot from before the rates were kept in it."""
    rates = receipt.get("tax_rates")
    if rates is None or "lines" not in receipt["priced"]:
        return ()
    by_rate: dict[Decimal, tuple[int, int]] = {}
    for line, priced in zip(receipt["cart"]["lines"], receipt["priced"]["lines"]):
        rate = Decimal(rates[line["tax_class"]])
        base, tax = by_rate.get(rate, (0, 0))
        by_rate[rate] = (base + priced["net"], tax + priced["tax"])
    return tuple((rate, to_money(base), to_money(tax)) for rate, (base, tax) in sorted(by_rate.items()))


def _fit(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken between words where it can."""
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def _row(left: str, right: str, width: int) -> str:
    """`left`, then `right` against the right edge; a `left` too long for the room wraps onto
    lines of its own above, so nothing (a card's last digits) is cut off or runs past the roll."""
    room = width - len(right) - 1
    if len(left) <= room:
        return f"{left:<{room}} {right}"
    if room < 1:
        return "\n".join([*_fit(left, width), f"{right:>{width}}"])
    indent = len(left) - len(left.lstrip())
    parts = textwrap.wrap(left, room, subsequent_indent=" " * indent, break_on_hyphens=False)
    return "\n".join([*parts[:-1], f"{parts[-1]:<{room}} {right}"])
