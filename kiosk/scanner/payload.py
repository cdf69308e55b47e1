"""What a scanned text means at the till: a typed reference, or a refusal a cashier understands.

Everything a scan produces is untrusted: a QR code can carry any bytes. The
text is cut to a length limit, stripped of control and formatting characters
(CR/LF, NUL, the right-to-left override), checked against an allow-list of
characters, and every id that comes out also passes the id allow-list in
kiosk.loyalty.ids, the one that guards URL path segments. So nothing a scan
carries can climb out of its segment ("..", "%2e%2e" and the like are refused).

The formats a store accepts are configurable (ScannerSettings); README.md in
this folder lists them with examples and every refusal's wording. The text
itself is never logged or echoed: it may be a member's email or phone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal, Union
from urllib.parse import parse_qs, unquote, urlsplit

from kiosk.checkout.barcodes import check_digit
from kiosk.i18n import N_, _
from kiosk.loyalty.ids import PATTERNS

# A member id as the demo's (and a typical store's) cards print it. The one definition:
# the scanner.member_id_pattern setting, the offline check and the notice scrubber use it.
MEMBER_ID = r"M[0-9]{6}"
KINDS = ("member_id", "member_card", "member_email", "member_phone", "member_url", "code", "product", "receipt")
MAX_LENGTH = 512
# Printable ASCII that any accepted format can contain; anything else is refused outright.
_ALLOWED = re.compile(r"[A-Za-z0-9 @.+\-_:/?=&%#~()]*")
_EMAIL = re.compile(r"[A-Za-z0-9_+\-][A-Za-z0-9_.+\-]{0,63}@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+")
# Written phone numbers: an optional +, digits, and the usual separators.
_PHONE = re.compile(r"\+?[0-9][0-9 ().\-]{5,22}[0-9]")
# The order ids the checkout prints on receipts: terminal id, then a ULID or a UUID.
_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
RECEIPT_ORDER = re.compile(rf"[A-Za-z0-9]{{1,12}}-(?:{_ULID}|{_UUID})")
# The id of a member who joined at a kiosk (kiosk/outbox/ops.new_member_key): a member
# wherever it is scanned or typed, whatever pattern the store's own cards follow.
JOINED_MEMBER = rf"M-[A-Za-z0-9]{{1,12}}-{_ULID}"


@dataclass(frozen=True)
class MemberRef:
    kind: Literal["id", "card", "email", "phone"]
    value: str


@dataclass(frozen=True)
class CodeRef:
    """An incentive code: coupon, gift card or store card."""

    code: str


@dataclass(frozen=True)
class ProductRef:
    gtin: str  # always 13 digits: a UPC-A gets its leading 0


@dataclass(frozen=True)
class ReceiptRef:
    order_id: str


@dataclass(frozen=True)
class RewardPassRef:
    """A reward pass made at the self-service kiosk (kiosk/selfservice/passes.py): the till
    checks its signature; here it is only told apart from the other kinds, first."""

    text: str


@dataclass(frozen=True)
class Rejection:
    message: str  # for the person who scanned, in the screen's language
    reason: str  # for code and tests: too_long, empty, characters, not_accepted, bad_link, unknown


Ref = Union[MemberRef, CodeRef, ProductRef, ReceiptRef, RewardPassRef, Rejection]
# What every reward pass starts with (kiosk/selfservice/passes.py PREFIX, checked there to match).
PASS_PREFIX = "KP1~"


@dataclass(frozen=True)
class PayloadFormats:
    """What one store accepts. Patterns must match the whole text."""

    accept: frozenset[str] = frozenset(KINDS)
    member_id: str = MEMBER_ID
    member_card: str = r"[0-9]{16}"
    code: str = r"[A-Z0-9][A-Z0-9\-]{2,31}"
    member_url_hosts: tuple[str, ...] = ()
    receipt_prefix: str = "R:"
    max_length: int = MAX_LENGTH
    _compiled: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        unknown = set(self.accept) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown payload kinds {sorted(unknown)}; known: {', '.join(KINDS)}")
        for name in ("member_id", "member_card", "code"):
            self._compiled[name] = re.compile(getattr(self, name))

    def matches(self, name: str, text: str) -> bool:
        return self._compiled[name].fullmatch(text) is not None

    @classmethod
    def from_settings(cls, scanner) -> PayloadFormats:
        return cls(accept=frozenset(scanner.accept), member_id=scanner.member_id_pattern,
                   member_card=scanner.member_card_pattern, code=scanner.code_pattern,
                   member_url_hosts=tuple(h.lower() for h in scanner.member_url_hosts),
                   receipt_prefix=scanner.receipt_prefix, max_length=scanner.max_length)


DEFAULT = PayloadFormats()

_NOT_ACCEPTED = {
    "member_id": N_("This store does not take member numbers from a scan; ask for the member's card."),
    "member_card": N_("This store does not take loyalty card numbers from a scan."),
    "member_email": N_("This store does not look members up by a scanned email; type it in instead."),
    "member_phone": N_("This store does not look members up by a scanned phone number; type it in instead."),
    "member_url": N_("This store does not take member links; ask for the member's card."),
    "code": N_("This store does not take coupons or gift cards from a scan here."),
    "product": N_("Product barcodes are not taken on this screen."),
    "receipt": N_("Receipts are not taken on this screen."),
}


def clean(text: str) -> str:
    """Without control or formatting characters (Unicode Cc and Cf), trimmed."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf")).strip()


def gtin_valid(digits: str) -> bool:
    if not (digits.isascii() and digits.isdigit()) or len(digits) not in (8, 12, 13):
        return False
    return check_digit(digits[:-1]) == int(digits[-1])


def parse(text: object, symbology: str | None = None, formats: PayloadFormats = DEFAULT) -> Ref:
    """The reference a scanned text stands for. `symbology` is None for a hand scanner."""
    if not isinstance(text, str):
        return Rejection(_("The scanner sent something that is not text. Scan again."), "characters")
    if len(text) > formats.max_length:
        return Rejection(_("That code holds far more than a card, coupon or receipt does; it is not one of ours."),
                         "too_long")
    text = clean(text)
    if not text:
        return Rejection(_("The scan came through empty. Scan again."), "empty")
    if not _ALLOWED.fullmatch(text):
        return Rejection(_("That code has characters no card, coupon or receipt of ours uses."), "characters")
    if text.startswith(PASS_PREFIX):
        # Before the other kinds: a pass's text must never be read as a code or a member.
        return RewardPassRef(text)
    kind, value = _classify(text, symbology, formats)
    if kind is None:
        return value  # a Rejection
    if kind not in formats.accept:
        return _not_accepted(kind)
    return value


def _classify(text: str, symbology: str | None, formats: PayloadFormats) -> tuple[str | None, Ref]:
    if symbology in ("EAN13", "UPCA") or (symbology is None and gtin_valid(text) and len(text) in (12, 13)):
        if gtin_valid(text) and len(text) in (12, 13):
            return "product", ProductRef(text.rjust(13, "0"))
        return None, Rejection(_("That product barcode did not read correctly. Scan it again."), "unknown")
    if re.fullmatch(JOINED_MEMBER, text):
        return "member_id", MemberRef("id", text)
    if formats.receipt_prefix and text.startswith(formats.receipt_prefix):
        return _receipt(text[len(formats.receipt_prefix):])
    if RECEIPT_ORDER.fullmatch(text):
        return _receipt(text)
    lower = text.lower()
    if lower.startswith(("http://", "https://")):
        return _member_link(text, formats)
    if lower.startswith(("mailto:", "tel:")):
        text = text.split(":", 1)[1]
        return _contact(text, formats) or (None, _unknown())
    if formats.matches("member_id", text) and _ok("member", text):
        return "member_id", MemberRef("id", text)
    if formats.matches("member_card", text) and _ok("member", text):
        return "member_card", MemberRef("card", text)
    contact = _contact(text, formats)
    if contact:
        return contact
    if formats.matches("code", text) and _ok("code", text):
        return "code", CodeRef(text)
    return None, _unknown()


def _ok(kind: str, value: str) -> bool:
    return PATTERNS[kind].fullmatch(value) is not None


def _not_accepted(kind: str) -> Rejection:
    return Rejection(_(_NOT_ACCEPTED[kind]), "not_accepted")


def _unknown() -> Rejection:
    return Rejection(_("That code is not a member card, coupon, gift card, product or receipt this store knows."),
                     "unknown")


def _receipt(order_id: str) -> tuple[str | None, Ref]:
    if RECEIPT_ORDER.fullmatch(order_id) and _ok("order", order_id):
        return "receipt", ReceiptRef(order_id)
    return None, Rejection(_("That receipt barcode does not carry an order number of ours."), "unknown")


def _contact(text: str, formats: PayloadFormats) -> tuple[str, Ref] | None:
    if "@" in text:
        if _EMAIL.fullmatch(text) and _ok("member", text):
            return "member_email", MemberRef("email", text)
        return None
    if _PHONE.fullmatch(text):
        # The loyalty search matches digits (and a leading +) only; see AnnexCloudClient.search_member.
        digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
        if 7 <= len(digits.lstrip("+")) <= 15 and _ok("member", digits):
            return "member_phone", MemberRef("phone", digits)
    return None


def _member_link(text: str, formats: PayloadFormats) -> tuple[str | None, Ref]:
    bad = Rejection(_("That link is not one of this store's member links."), "bad_link")
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None, bad
    if not formats.member_url_hosts:
        return None, _not_accepted("member_url")
    if host not in formats.member_url_hosts:
        return None, bad
    query = parse_qs(parts.query)
    candidates = query.get("member", []) + query.get("id", [])
    segments = [s for s in parts.path.split("/") if s]
    if segments:
        candidates.append(segments[-1])
    for raw in candidates:
        # One unquote only: "%252e" stays "%2e", which the allow-list refuses.
        value = unquote(raw)
        if formats.matches("member_id", value) and _ok("member", value):
            return "member_url", MemberRef("id", value)
    return None, bad
