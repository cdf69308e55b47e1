"""A reward pass: the QR a shopper takes from the kiosk to the till.

It carries the member and the reward, not a spent code: the till puts that reward on the
sale and its points are spent at Pay like any reward's, so a pass never used costs nothing.
It is signed with the store's key (keys.py), so it can't be forged or edited, and it expires.

The text is compact so it fits a small QR: `KP1~<member>~<reward>~<expires>~<pass id>~<mac>`,
where expires is Unix seconds in base 36, the pass id 8 random bytes and the MAC the first
16 bytes of HMAC-SHA256 over everything before it, both base64url. 128 bits of MAC is far
past what anyone can guess at a till (NIST SP 800-107 allows truncated HMAC tags), and saves
21 characters of QR. `~` is in no member or reward id (kiosk/loyalty/ids.py), so the fields
split without escaping, and every character is one the scanner's allow-list passes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from kiosk import formats, i18n
from kiosk.checkout.errors import CheckoutError
from kiosk.i18n import N_
from kiosk.loyalty.ids import PATTERNS
from kiosk.scanner.payload import PASS_PREFIX

PREFIX = PASS_PREFIX  # one definition: the scanner tells a pass apart by it
MAC_BYTES = 16
ID_BYTES = 8


class PassRefused(CheckoutError):
    """The text is not a pass the till can take; the message is a sentence for the cashier."""


@dataclass(frozen=True)
class RewardPass:
    pass_id: str
    member_id: str
    reward_id: str
    expires_at: datetime  # aware, UTC
    text: str  # what the QR carries


def looks_like_pass(text: str) -> bool:
    return isinstance(text, str) and text.startswith(PREFIX)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, signed: str) -> str:
    return _b64(hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES])


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def make(member_id: str, reward_id: str, key: bytes, now: datetime, ttl: timedelta) -> RewardPass:
    """A pass for `reward_id` of `member_id`, good until `now + ttl` (whole seconds)."""
    if not PATTERNS["member"].fullmatch(member_id) or not PATTERNS["reward"].fullmatch(reward_id):
        raise ValueError("a pass needs a valid member id and reward id")
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    expires = datetime.fromtimestamp(int((now + ttl).timestamp()), timezone.utc)
    pass_id = _b64(secrets.token_bytes(ID_BYTES))
    signed = f"{PREFIX}{member_id}~{reward_id}~{_base36(int(expires.timestamp()))}~{pass_id}"
    return RewardPass(pass_id, member_id, reward_id, expires, f"{signed}~{_mac(key, signed)}")


NOT_OURS = N_("This reward QR was not made by this store's kiosk, or it was changed since: it can't be "
              "used. The member can make a new one at the kiosk.")


def read(text: str, key: bytes, now: datetime) -> RewardPass:
    """The pass `text` carries, checked: PassRefused when it is malformed, edited, forged or expired."""
    if not looks_like_pass(text):
        raise PassRefused(i18n._("That is not a reward QR."))
    signed, _, mac = text.rpartition("~")
    # The MAC is checked before anything in the text is trusted, in constant time.
    if not signed or not hmac.compare_digest(_mac(key, signed).encode("ascii"), mac.encode("ascii", "replace")):
        raise PassRefused(i18n._(NOT_OURS))
    fields = signed[len(PREFIX):].split("~")
    try:
        member_id, reward_id, expires36, pass_id = fields
        expires = datetime.fromtimestamp(int(expires36, 36), timezone.utc)
        if len(_unb64(pass_id)) != ID_BYTES:
            raise ValueError(pass_id)
    except (ValueError, OverflowError, OSError, binascii.Error):
        # Signed by our key yet not our layout: a pass of a later version, or a bug.
        raise PassRefused(i18n._(NOT_OURS)) from None
    if not PATTERNS["member"].fullmatch(member_id) or not PATTERNS["reward"].fullmatch(reward_id):
        raise PassRefused(i18n._(NOT_OURS))
    if now >= expires:
        local = formats.when(expires)  # the store's zone, as the screen's language writes it
        raise PassRefused(i18n._("This reward QR expired at {0}. The member can make a new one at the kiosk; "
                                 "nothing was spent.").format(local))
    return RewardPass(pass_id, member_id, reward_id, expires, text)
