"""Product barcodes (GTIN): check digits and one normal form.

Every accepted code is kept as 13 digits. A UPC-A is an EAN-13 with a leading
0, and an EAN-8 (or a GTIN-14 with indicator 0) pads the same way without
changing its check digit, so a code finds its product however the scanner or
the supplier's file wrote it.
"""

from __future__ import annotations

from kiosk.checkout.errors import BarcodeError

_NAMES = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13", 14: "GTIN-14"}


def check_digit(body: str) -> int:
    """The GS1 check digit for `body` (the code without its last digit).

    Weights 3, 1, 3, ... from the right, which is why leading zeros never change it.
    """
    if not body.isascii() or not body.isdigit():
        raise ValueError(f"{body!r} is not made of digits")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalise(text: str) -> str:
    """The 13-digit form of an EAN-13, UPC-A, EAN-8 or GTIN-14 (indicator 0).

    Spaces and hyphens (as printed under the bars) are ignored. Raises
    BarcodeError (a ValueError) with a sentence fit for a cashier or an import report.
    """
    code = "".join(text.split()).replace("-", "")
    if not code:
        raise BarcodeError("the barcode is empty")
    if not code.isascii() or not code.isdigit():
        raise BarcodeError(f"barcode {code} has characters other than digits")
    if len(code) not in _NAMES:
        raise BarcodeError(f"barcode {code} has {len(code)} digits; an EAN-13 has 13, a UPC-A 12 and an EAN-8 8")
    if len(code) == 14 and code[0] != "0":
        raise BarcodeError(f"barcode {code} is a case code (GTIN-14 with indicator {code[0]}), not a product's")
    expected = check_digit(code[:-1])
    if int(code[-1]) != expected:
        raise BarcodeError(f"barcode {code} has a wrong check digit (expected {expected})")
    return code[-13:].rjust(13, "0")


def looks_like_barcode(text: str) -> bool:
    """Digits of a barcode's length: worth a barcode lookup before a name search."""
    code = "".join(text.split()).replace("-", "")
    return code.isascii() and code.isdigit() and len(code) in _NAMES
