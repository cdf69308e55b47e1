"""What an email address or a phone number typed at a screen must look like before it is
sent: the cashier's enrol dialog and the kiosk's join screen check the same way."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
PHONE_DIGITS = (7, 15)


def phone_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return bool(re.fullmatch(r"\+?[\d\s().-]+", text)) and PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]
