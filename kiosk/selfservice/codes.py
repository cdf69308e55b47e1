"""One-time codes for the kiosk's look-up by email (selfservice.lookup_by_contact).

A shopper without their card types their email; when a member has that address the kiosk
mails a 6-digit code there, and the code typed back shows that member. The screen's answer
is the same whether or not a member has the address ("If it belongs to a member, we've sent
a code"), so the kiosk can't be used to find out who shops here.

Kept in memory only, on this kiosk: a code lives `code_minutes` (10), allows MAX_ATTEMPTS
tries, is HMAC-hashed (never kept as typed) and compared in constant time; a new code for
the same address waits RESEND_S; the kiosk asks for at most MAX_PER_HOUR codes an hour, so it
can't be used to flood members' mailboxes. Wrong codes also count towards the kiosk's
lock-out (kiosk/selfservice/lockout.py, entry ONE_TIME_CODE), which survives a restart.
Numbers from a kiosk that does this in the field: 6 digits, 10 minutes, 60 s, 5 tries.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

CODE_DIGITS = 6
RESEND_S = 60.0
MAX_ATTEMPTS = 5
MAX_PER_HOUR = 20
# Enough of an address to send to: a name, one @, a domain with a dot. The mail server
# judges the rest; this only stops a typo from spending a code.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def normal_email(text: str) -> str | None:
    """The address as typed, trimmed (its case kept: the backend's match may care); None when
    it can't be an address."""
    email = text.strip()
    return email if len(email) <= 254 and _EMAIL.fullmatch(email) else None


class TooSoon(Exception):
    """A code was sent to this address less than RESEND_S ago; `wait_s` until the next."""

    def __init__(self, wait_s: float):
        super().__init__(f"wait {wait_s:.0f} s")
        self.wait_s = wait_s


class Paused(Exception):
    """This kiosk asked for MAX_PER_HOUR codes within the hour."""


@dataclass
class _Pending:
    code_hash: bytes | None  # None: no member has the address (a code is never right)
    member_id: str | None
    expires: float
    attempts: int = 0


class OneTimeCodes:
    """The kiosk's codes, across visits (the resend wait and the hourly cap outlast a visit)."""

    def __init__(self, code_minutes: float = 10.0, clock: Callable[[], float] = time.time):
        self.lifetime_s = code_minutes * 60
        self.clock = clock
        self._key = secrets.token_bytes(32)  # this run's; codes die with the process anyway
        self._pending: dict[bytes, _Pending] = {}
        self._sent: dict[bytes, float] = {}
        self._asked: deque[float] = deque()

    def _hash(self, text: str) -> bytes:
        return hmac.new(self._key, text.encode(), hashlib.sha256).digest()

    def _address(self, email: str) -> bytes:
        return self._hash("@" + email.lower())  # one address whatever its case

    def room(self, email: str) -> None:
        """TooSoon or Paused when no code may go to `email` now (the same for members and not)."""
        now = self.clock()
        while self._asked and self._asked[0] <= now - 3600:
            self._asked.popleft()
        last = self._sent.get(self._address(email))
        if last is not None and now - last < RESEND_S:
            raise TooSoon(RESEND_S - (now - last))
        if len(self._asked) >= MAX_PER_HOUR:
            raise Paused()

    def issue(self, email: str, member_id: str | None) -> str | None:
        """A new code for `email` (the one to mail), or None when no member has it: then any
        code typed for it is wrong, exactly as a wrong code for a member's address. Counts
        towards the resend wait and the hourly cap either way (room() first)."""
        self.room(email)
        now = self.clock()
        self._asked.append(now)
        for key in [k for k, at in self._sent.items() if now - at >= RESEND_S]:
            del self._sent[key]
        self._sent[self._address(email)] = now
        for key in [k for k, p in self._pending.items() if p.expires <= now]:
            del self._pending[key]
        if member_id is None:
            self._pending[self._address(email)] = _Pending(None, None, now + self.lifetime_s)
            return None
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        self._pending[self._address(email)] = _Pending(self._hash(code), member_id, now + self.lifetime_s)
        return code

    def check(self, email: str, code: str) -> str | None:
        """The member whose code this is, once (the code is then spent); None when wrong,
        expired, tried MAX_ATTEMPTS times already, or never sent."""
        key = self._address(email)
        pending = self._pending.get(key)
        if pending is None or pending.expires <= self.clock() or pending.attempts >= MAX_ATTEMPTS:
            self._pending.pop(key, None)
            return None
        pending.attempts += 1
        typed = self._hash(code.strip())
        # Compared even when no code was sent, so both take the same time.
        right = hmac.compare_digest(typed, pending.code_hash or self._hash("no code"))
        if right and pending.member_id is not None:
            del self._pending[key]
            return pending.member_id
        return None

    def forget(self, email: str) -> None:
        """The visit ended: its code goes (the resend wait stays, against flooding)."""
        self._pending.pop(self._address(email), None)
