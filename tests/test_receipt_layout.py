"""The receipt's head (store name, address, tax id), tax by rate, coupon amounts, and lines that
wrap to the roll, from a real sale on the sandbox, in text, on a file printer and in the PDF."""

from __future__ import annotations

import contextvars
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from kiosk.checkout import receipt as receipts
from kiosk.checkout.printing import print_receipt
from kiosk.config import PrinterSettings, StoreSettings
from tests.checkout_env import running_till
from tests.test_receipts import BOLD_OFF, BOLD_ON, pdf_text_lines

STORE = StoreSettings(store_id="STORE-001", name="Harbour Corner Market",
                      address=["12 Harbour Street", "Springfield 90210"], tax_id="US-12-3456789")
AT = datetime(2026, 12, 2, 9, 15, tzinfo=timezone.utc)


@pytest.fixture
async def paid(sandbox, tmp_path):
    """A committed sale: coffee (reduced rate) and a T-shirt (standard), 10 % off, a gift card and cash."""
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        for sku in ("COF-001", "APP-001"):
            sale.cart.add(till.catalogue.by_sku(sku))
        await co.apply_coupon(sale, "WELCOME10")
        await co.add_card(sale, "GC-1000-0003")
        sale.add_external("cash", Decimal(sale.due) / 100)
        result = await co.pay(sale)
        assert result.ok
        return result.receipt, sale.priced()


def test_the_head_has_the_stores_name_address_and_tax_id(paid):
    snapshot, _ = paid
    text = receipts.build(snapshot, store_id="STORE-001", terminal_id="T01", tax_inclusive=False, at=AT,
                          store=STORE).text().splitlines()
    assert text[:5] == ["Harbour Corner Market", "Store STORE-001", "12 Harbour Street", "Springfield 90210",
                        "Tax id US-12-3456789"]


def test_tax_is_broken_down_by_rate_and_the_coupon_shows_what_it_took(paid):
    snapshot, priced = paid
    receipt = receipts.build(snapshot, store_id="STORE-001", terminal_id="T01", tax_inclusive=False, at=AT,
                             store=STORE)
    assert [rate for rate, _, _ in receipt.taxes] == [Decimal("2.00"), Decimal("8.25")]
    assert sum(tax for _, _, tax in receipt.taxes) == receipt.tax == receipts.to_money(priced.tax)
    assert sum(base for _, base, _ in receipt.taxes) == receipts.to_money(priced.net)
    lines = receipt.text().splitlines()
    reduced, standard = receipt.taxes
    assert receipts._row(f"  2% of {reduced[1]}", str(reduced[2]), 42) in lines
    assert receipts._row(f"  8.25% of {standard[1]}", str(standard[2]), 42) in lines
    took = receipts.to_money(priced.discounts[0])
    assert took == Decimal("2.80")  # 10 % of 27.98
    assert receipts._row("Coupon WELCOME10 (10% off)", f"-{took}", 42) in lines


@pytest.mark.parametrize("width", [24, 32, 42])
def test_every_line_fits_the_roll_and_a_tender_wraps_whole(paid, width):
    snapshot, _ = paid
    receipt = receipts.build(snapshot, store_id="STORE-001", terminal_id="T01", tax_inclusive=False, at=AT,
                             store=STORE)
    lines = receipt.text(width).splitlines()
    assert all(len(line) <= width for line in lines), [line for line in lines if len(line) > width]
    assert not any("…" in line for line in lines if "card" in line or "****" in line)
    card = receipts.mask("GC-1000-0003")
    assert any(card in line for line in lines)  # the masked code whole, never cut short
    assert receipts._row("Gift card " + card, "4.20", width) in receipt.text(width)


def test_the_printer_and_the_pdf_print_the_same_head(paid, qapp, tmp_path):
    from ui.receipts.pdf import save_pdf

    snapshot, _ = paid
    receipt = receipts.build(snapshot, store_id="STORE-001", terminal_id="T01", tax_inclusive=False, at=AT,
                             store=STORE)
    device = tmp_path / "printer"
    device.touch()
    print_receipt(receipt, PrinterSettings(kind="file", path=str(device), width=32))
    data = device.read_bytes()
    assert data.index(BOLD_ON) < data.index(b"Harbour Corner Market\n") < data.index(BOLD_OFF)
    assert b"12 Harbour Street\n" in data and b"Tax id US-12-3456789\n" in data
    pdf = save_pdf(receipt, tmp_path / "r.pdf", width=32)
    assert pdf_text_lines(pdf.read_bytes())[:len(receipt.text(32).splitlines())] == receipt.text(32).splitlines()


def test_prices_with_tax_included_say_the_tax_is_in_them(paid):
    snapshot, _ = paid
    lines = receipts.build(snapshot, store_id="STORE-001", terminal_id="T01", tax_inclusive=True, at=AT).text()
    assert "Tax (included)" in lines and "  2% in " in lines and "  2% of " not in lines


def test_a_receipt_is_in_the_stores_language_and_number_style_whatever_the_screens_is(paid):
    from kiosk import i18n

    snapshot, priced = paid
    spanish = StoreSettings(store_id="STORE-001", name="Mercado del Puerto", locale="es_ES", currency="EUR")
    def in_french() -> str:  # the cashier's screen in French: the receipt is the store's, in Spanish
        i18n.use("fr")
        return receipts.build(snapshot, store_id="STORE-001", terminal_id="T01", tax_inclusive=False, at=AT,
                              store=spanish).text()

    text = contextvars.copy_context().run(in_french)
    lines = text.splitlines()
    es = i18n.catalogue("es")
    assert es.gettext("Keep this receipt for returns.") in text and "Keep this receipt" not in text
    total = next(line for line in lines if line.startswith("TOTAL"))
    assert total.endswith(f"{priced.total // 100},{priced.total % 100:02d}")  # a decimal comma
    assert any(line.startswith(es.gettext("Subtotal")) for line in lines)
    assert any("8,25\xa0% sobre" in line for line in lines)  # the rate as Spanish writes it
    assert "Tienda STORE-001" in lines
    arabic = StoreSettings(store_id="STORE-001", name="سوق الميناء", locale="ar_EG", currency="EGP")
    receipt = receipts.build(snapshot, store_id="STORE-001", terminal_id="T01", tax_inclusive=False, at=AT,
                             store=arabic)
    assert receipt.total_row(42).startswith("الإجمالي") and receipt.total_row(42) in receipt.text().splitlines()
    # The same sale for an American store: English, a decimal point.
    english = receipts.build(snapshot, store_id="STORE-001", terminal_id="T01", tax_inclusive=False, at=AT,
                             store=STORE).text()
    assert "Keep this receipt for returns." in english and f"{priced.total // 100}.{priced.total % 100:02d}" in english


def test_the_receipts_time_is_the_stores(paid):
    from kiosk import formats

    snapshot, _ = paid
    formats.configure("es_MX", "MXN", "America/Mexico_City")
    try:
        text = receipts.build(snapshot, store_id="STORE-001", terminal_id="T01", tax_inclusive=False, at=AT,
                              store=STORE).text()
    finally:
        formats.configure("en_US", "USD", "")
    assert "2026-12-02 03:15  till T01" in text  # 09:15 UTC is 03:15 in Mexico City
