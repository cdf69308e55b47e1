"""The Loyalty Prime adapter: the backend contract (kiosk.loyalty.backend) over Prime's /api/v10.

Reads are retried with jittered backoff inside a budget (tenacity, as Annex Cloud's);
writes are sent once, and what to do after a lost reply is the outbox's business.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable, Iterable, Mapping

import httpx
from tenacity import (
    AsyncRetrying, retry_if_exception_type, retry_if_not_exception_type, stop_before_delay, wait_random_exponential,
)

from kiosk.i18n import _
from kiosk.loyalty import backend as contract
from kiosk.loyalty import errors, ids, parse
from kiosk.loyalty import writes as w
from kiosk.loyalty.loyaltyprime import reconcile, replies, writes
from kiosk.loyalty.loyaltyprime import requests as rq
from kiosk.loyalty.loyaltyprime.errors import UnknownRefusal
from kiosk.loyalty.loyaltyprime.transport import Transport
from kiosk.loyalty.models import CodeInfo, Member, MemberView, NewMember, Order, OrderLine, OrderResult

ATTEMPT_SECONDS = 5.0
MIN_ATTEMPT_S = 0.25
# Enrolment and the points quote are on this platform's listed API; no gift or store
# cards, no rewards bought with points, no pricing of returned lines.
FEATURES = frozenset({contract.ENROL, contract.POINTS_PREVIEW, contract.POINTS_TENDER})
# The embedded Loyalty Prime sandbox answers every listed read the reconciliation uses.
SANDBOX_DECLARES = {"reads": reconcile.READS}
_REFUSALS = (errors.InsufficientPoints, errors.CodeNotUsable, errors.RewardNotAvailable, errors.NotFound)


class LoyaltyPrimeClient:
    """One per app and event loop. Use `async with` or call `aclose()`."""

    vendor = "loyaltyprime"

    def __init__(self, *, base_url: str, api_key: str, partner_id: str, debitor_id: str, channel_key: str,
                 product_keys: Mapping[str, str] | None = None, default_product_key: str = "GENERAL",
                 category_of: Callable[[str], str | None] | None = None,
                 attempt_timeout: float = ATTEMPT_SECONDS, get_budget: float = 8.0,
                 clock: Callable[[], float] = time.time, transport: httpx.AsyncBaseTransport | None = None,
                 reads: Iterable[str] = (), deduplicates: Iterable[str] = (), guest_user_id: str = "guest"):
        self.reads = frozenset(reads)
        unknown = (self.reads - set(reconcile.READS)) | (set(deduplicates) - set(w.FAMILIES))
        if unknown:
            raise ValueError(f"unknown declarations for Loyalty Prime: {sorted(unknown)}")
        if "_" in debitor_id or not debitor_id:
            raise ValueError("backend.debitor_id is required and may not contain '_' (Prime's reversal id "
                             "joins receipt and debitor with it)")
        self.deduplicates = frozenset(deduplicates)
        self._http = Transport(base_url, api_key, attempt_timeout, transport)
        self.base_url = self._http.base_url
        self._get_budget = get_budget
        self._clock = clock
        self._products = dict(product_keys or {})
        self._default_product = default_product_key
        self._category_of = category_of
        self.terms = writes.Terms(partner_id, debitor_id, channel_key, self.product_key, guest_user_id)

    def __repr__(self) -> str:  # never show the key
        return f"LoyaltyPrimeClient(base_url={self.base_url!r})"

    def product_key(self, line: OrderLine) -> str:
        """The line's sku in the map, else its catalogue category, else the default."""
        if line.sku and line.sku in self._products:
            return self._products[line.sku]
        category = self._category_of(line.sku) if self._category_of and line.sku else None
        return self._products.get(category or "", self._default_product)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "LoyaltyPrimeClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport ---------------------------------------------------------

    async def _get(self, request: rq.PrimeRequest):
        deadline = time.monotonic() + self._get_budget
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(errors.BackendUnavailable) & retry_if_not_exception_type(errors.UnusableReply),
            wait=wait_random_exponential(multiplier=0.2, max=2.0),
            stop=stop_before_delay(self._get_budget - MIN_ATTEMPT_S), reraise=True)
        async for attempt in retrying:
            with attempt:
                left = deadline - time.monotonic()
                timeout = min(self._http.attempt_timeout, max(left, MIN_ATTEMPT_S))
                return await self._http.attempt("GET", request.path, None, timeout)
        raise AssertionError("unreachable")

    async def _data(self, request: rq.PrimeRequest, what: str):
        if request.method == "GET":
            return replies.data(await self._get(request), what)
        return replies.data(await self._http.attempt(request.method, request.path, request.encoded() or b""), what)

    async def read_once(self, request: rq.PrimeRequest):
        return await self._http.attempt("GET", request.path, None)

    # -- the write contract ------------------------------------------------

    @property
    def capabilities(self) -> contract.Capabilities:
        features = set(FEATURES)
        verifiable = set()
        if reconcile.TX_READ in self.reads:
            # Not ORDER_DETAILS: Prime's transaction details keep product keys and points, not
            # the till's lines (sku, price, discount, tax), so a return at another terminal could
            # not refund from them; returns use the selling terminal's own record.
            verifiable.add(w.ORDERS)
        if reconcile.STATEMENT_READ in self.reads:
            verifiable.add(w.POINTS)
        if reconcile.VOUCHER_READ in self.reads:
            verifiable.add(w.CODES)
        verifiable.add(w.MEMBERS)  # the membership search by alternate id, under the enrolment key
        return contract.Capabilities(frozenset(features), frozenset(verifiable), self.deduplicates)

    def encode(self, write: w.Write) -> bytes:
        return writes.encode(write, self.terms)

    async def send_write(self, kind: str, wire: bytes):
        method, path, body = rq.unpack(wire)
        if method == writes.LOCAL:
            return writes.local_reply(body)
        try:
            return await self._http.attempt(method, path, body)
        except errors.AlreadyExists:
            if kind != "enrol":
                raise
            # Ours already (an earlier delivery made it), or someone else's email or mobile.
            verdict = await reconcile.enrolment(self, rq.body_of(wire))
            if verdict.applied:
                return verdict.reply
            raise

    def reply_problems(self, kind: str, wire: bytes, reply) -> tuple[str, ...]:
        return reconcile.reply_problems(kind, wire, reply)

    async def reconcile(self, record: contract.WriteRecord) -> contract.Verdict:
        if rq.unpack(record.wire)[0] == writes.LOCAL:
            # Never sent: answered here, so nothing can be in doubt (a crash right after its "attempt").
            return contract.Verdict(True, reply=writes.local_reply(rq.unpack(record.wire)[2]))
        return await reconcile.reconcile(self, record, self.reads)

    def refused_for_sale(self, kind: str, exc: Exception) -> bool:
        if isinstance(exc, UnknownRefusal):
            return False  # an error body we can't read is a person's to judge
        if kind in ("redeem_code", "redeem_points"):
            return isinstance(exc, _REFUSALS)
        if kind == "return_lines":
            return isinstance(exc, (errors.InvalidRequest, errors.NotFound))
        if kind == "enrol":
            # The email or mobile is a member's already: the shopper waiting at the kiosk is told.
            return isinstance(exc, (errors.AlreadyExists, errors.InvalidRequest))
        return False

    def result(self, kind: str, reply) -> w.WriteResult:
        return writes.result(kind, reply)

    async def evidence(self, record: contract.WriteRecord) -> contract.Evidence:
        facts: dict[str, str] = {}
        try:
            if record.kind in ("redeem_code", "undo_code"):
                token = rq.unpack(record.wire)[1].split("/")[1].split("?")[0]
                info = await self.validate_code(token)
                facts[f"voucher {token}"] = f"status {info.status or 'unknown'}"
            elif record.member_id:
                points = replies.points(record.member_id, await self._data(rq.redeemable(record.member_id),
                                                                           "redeemable points"), None)
                facts["member's points"] = f"{points.available} available"
        except errors.LoyaltyError as exc:
            facts["evidence"] = f"could not be read ({exc.code or exc.status or type(exc).__name__})"
        return contract.Evidence(self._clock(), facts)

    async def probe(self, member: str) -> None:
        try:
            await self._http.attempt("GET", rq.details(member).path, None, probe=True)
        except errors.NotFound:
            pass

    # -- reads that reconcile (single attempts) ----------------------------

    async def find_tx(self, tx_id: str) -> dict | None:
        try:
            found = replies.data(await self.read_once(rq.tx_details(tx_id)), "transaction")
        except errors.NotFound:
            return None
        return found if isinstance(found, dict) else None

    async def statement_lines(self, member: str, receipt_id: str) -> list[dict]:
        try:
            found = replies.data(await self.read_once(rq.statement(member, receipt_id)), "statement")
        except errors.NotFound:
            return []
        if not isinstance(found, list):
            raise errors.UnusableReply(detail="statement: not a list")
        return [line for line in found if isinstance(line, dict) and line.get("receiptId") == receipt_id]

    async def find_membership(self, alternate_id: str) -> dict | None:
        """The membership filed under an alternate id (one attempt), or None."""
        found = replies.data(await self.read_once(rq.search("alternateIds", alternate_id)), "membership search")
        if not isinstance(found, list):
            raise errors.UnusableReply(detail="membership search: not a list")
        return found[0] if len(found) == 1 and isinstance(found[0], dict) else None

    async def find_voucher(self, token: str) -> dict | None:
        try:
            found = replies.data(await self.read_once(rq.voucher_info(token)), "voucher")
        except errors.NotFound:
            return None
        return found if isinstance(found, dict) else None

    # -- members -----------------------------------------------------------

    async def _search(self, prop: str, value: str) -> dict:
        found = await self._data(rq.search(prop, value), "membership search")
        if not isinstance(found, list):
            raise errors.UnusableReply(detail="membership search: not a list")
        if not found:
            raise errors.NotFound(_("No member found for that card, email or phone."))
        if len(found) > 1:
            raise errors.InvalidRequest(_("More than one member matches; search by email or card instead."))
        return found[0]

    async def _view(self, key: str, details_call=None) -> MemberView:
        parts = await asyncio.gather(details_call or self._data(rq.details(key), "membership"),
                                     self._data(rq.redeemable(key), "redeemable points"),
                                     self._data(rq.member_vouchers(key), "vouchers"), return_exceptions=True)
        return self._assemble(key, *parts)

    def _assemble(self, key: str, details, points, vouchers) -> MemberView:
        if isinstance(details, BaseException):
            raise details
        missing = []
        for name, part in (("points", points), ("rewards", vouchers)):
            if isinstance(part, (errors.NotFound, errors.BackendUnavailable)):
                missing.append(name)
            elif isinstance(part, BaseException):
                raise part
        member = replies.member(details)
        return MemberView(member_id=member.id or key, member=member,
                          points=None if "points" in missing else replies.points(key, points, replies.tier(details)),
                          rewards=(), missing=tuple(missing))

    async def lookup_member(self, ref: str) -> MemberView:
        """By membership key in one round trip (details, points and vouchers at once); by
        card (alternate id), email or phone in two: the search beside that guess, then the rest."""
        ids.check("member", ref)
        if "@" in ref:
            found = await self._search("email", ref)
            return await self._view(str(found.get("key")), _given(found))
        guess = asyncio.gather(self._data(rq.details(ref), "membership"), self._data(rq.redeemable(ref), "points"),
                               self._data(rq.member_vouchers(ref), "vouchers"), return_exceptions=True)
        prop = "mobile" if ref.replace("+", "").replace("-", "").isdigit() and len(ref) >= 7 else "alternateIds"
        searched, (details, points, vouchers) = await asyncio.gather(self._search(prop, ref), guess,
                                                                     return_exceptions=True)
        if not isinstance(details, errors.NotFound):
            return self._assemble(ref, details, points, vouchers)
        if isinstance(searched, errors.NotFound):
            raise errors.NotFound(_("No member found for that card, email or phone."), code=searched.code,
                                  status=searched.status)
        if isinstance(searched, BaseException):
            raise searched
        # The search already answered with the membership: only points and vouchers are left.
        return await self._view(str(searched.get("key")), _given(searched))

    async def search_member(self, *, email: str | None = None, phone: str | None = None) -> Member:
        if email:
            return replies.member(await self._search("email", email.strip()))
        if phone:
            return replies.member(await self._search("mobile", "".join(c for c in phone if c.isdigit() or c == "+")))
        raise errors.InvalidRequest(_("Enter an email address or a phone number to search."))

    async def enrol_member(self, new: NewMember) -> Member:
        return replies.member(await self._data(rq.enrol(writes.membership_body(new)), "enrolment"))

    # -- vouchers and orders ----------------------------------------------

    async def validate_code(self, code: str, user_id: str | None = None) -> CodeInfo:
        return replies.voucher(await self._data(rq.voucher_info(code), "voucher"), user_id)

    async def member_codes(self, member: str) -> tuple[CodeInfo, ...]:
        found = await self._data(rq.member_vouchers(member), "vouchers")
        if not isinstance(found, list):
            raise errors.UnusableReply(detail="vouchers: not a list")
        return tuple(replies.voucher(item, member) for item in found)

    async def get_order(self, order_id: str) -> OrderResult:
        return replies.order_result(await self._data(rq.tx_details(order_id), "transaction"))

    async def quote_points(self, order: Order, timeout: float = 1.0) -> int:
        """What the order would earn, booking nothing (POST /tx without txId); one attempt."""
        body = rq.encode(writes.tx_body(order, self.terms, booked=False))
        data = replies.data(await self._http.attempt("POST", "tx", body, timeout), "points quote")
        points = parse.integer(parse.mapping(data, "points quote"), "points")
        if points is None:
            raise errors.UnusableReply(detail="points quote: no points")
        return points


async def _given(value):
    return value
