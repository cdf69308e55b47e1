"""The Annex Cloud adapter: signed HTTP over one httpx.AsyncClient.

GETs are retried with jittered backoff inside a total time budget (tenacity:
its wait/stop combinators say exactly that and are well tested). Writes are
sent once: whether to send again is the outbox's decision, because only it
knows how to find out what the backend already did.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import time
from datetime import datetime
from typing import Any, Callable, Iterable, Sequence

import httpx
from tenacity import (
    AsyncRetrying, retry_if_exception_type, retry_if_not_exception_type, stop_before_delay, wait_random_exponential,
)

from kiosk import __version__, i18n
from kiosk.loyalty import auth, calls, errors, ids
from kiosk.loyalty import backend as contract
from kiosk.loyalty import writes as w
from kiosk.loyalty.annex import errors as annex_errors
from kiosk.loyalty.annex import reconcile, replies, writes
from kiosk.loyalty.annex import requests as rq
from kiosk.loyalty.models import (
    CodeInfo, CodeRedemption, CodeSpend, Member, MemberView, NewMember, Order, OrderResult,
    PointsBalance, PointsMovement, ReturnLine, ReturnResult, Reward, RewardRedemption,
)
from kiosk import logs
from kiosk.loyalty.parse import items, mapping

log = logging.getLogger(__name__)
# httpx logs every request's full URL at INFO, and our URLs carry member ids and
# emails: its loggers stay at warnings wherever this client runs (not only in the
# processes that set logging up); we log route templates ourselves.
logs.quiet_transport()

ATTEMPT_SECONDS = 5.0  # Toast's limit for a loyalty provider
# No reply of the API comes near this (a member's codes list is the largest, a few kB).
MAX_REPLY_BYTES = 2**20
# A read does not start an attempt with less of its budget left than this.
MIN_ATTEMPT_S = 0.25
# However long a backend asks us to wait, a write is tried again within this.
MAX_RETRY_AFTER_S = 300.0


# What the documents give every Annex Cloud site: cards and the (assumed) reward reversal.
DOCUMENTED_FEATURES = frozenset({contract.CARDS, contract.REWARD_REVERSAL})
# What a site may declare on top (backend.features), each an extension of the extended sandbox.
EXTRA_FEATURES = frozenset({contract.ENROL, contract.PRICED_LINE_RETURNS})
# The extended sandbox (the demo's embedded backend) declares everything it adds.
SANDBOX_EXTENDED = {"reads": reconcile.READS, "features": tuple(EXTRA_FEATURES)}
# Refusals of a redemption for a reason of the card's, member's or reward's own: the
# sale that asked is told, and the card can still be used.
_REDEMPTION_REFUSALS = (errors.InsufficientBalance, errors.CodeNotUsable, errors.InsufficientPoints,
                        errors.RewardNotAvailable, errors.NotFound, errors.Refused)


class AnnexCloudClient:
    """One per app and event loop. Use `async with` or call `aclose()`.

    `reads`, `deduplicates` and `features` are what the site declared (backend.*):
    nothing undocumented is used unless declared, and nothing is turned on because
    a probe answered."""

    vendor = "annex"

    def __init__(self, *, base_url: str, site_id: str, site_name: str, secret: str,
                 attempt_timeout: float = ATTEMPT_SECONDS, get_budget: float = 8.0,
                 clock: Callable[[], float] = time.time, token_lifetime: int = 300,
                 transport: httpx.AsyncBaseTransport | None = None, store_id: str | None = None,
                 reads: Iterable[str] = (), deduplicates: Iterable[str] = (), features: Iterable[str] = ()):
        self.reads = frozenset(reads)
        unknown = (self.reads - set(reconcile.READS)) | (set(features) - EXTRA_FEATURES) \
            | (set(deduplicates) - set(w.FAMILIES))
        if unknown:
            raise ValueError(f"unknown declarations for Annex Cloud: {sorted(unknown)}")
        self.deduplicates = frozenset(deduplicates)
        self.features = DOCUMENTED_FEATURES | frozenset(features)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.site_id = ids.check("site", site_id)
        self.site_name = site_name
        self.store_id = store_id
        self._secret = secret
        self._attempt_timeout = attempt_timeout
        self._get_budget = get_budget
        self._clock = clock
        self._token_lifetime = token_lifetime
        self.last_server_date: tuple[float, str | None] | None = None
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:  # never show the secret
        return f"AnnexCloudClient(base_url={self.base_url!r}, site_id={self.site_id!r})"

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url, transport=self._transport,
                timeout=httpx.Timeout(self._attempt_timeout),
                headers={"Accept": "application/json", "User-Agent": f"kiosk/{__version__}"},
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            )
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("An AnnexCloudClient belongs to the event loop that first used it")
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> "AnnexCloudClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport ---------------------------------------------------------

    def _token(self, payload: bytes) -> str:
        return auth.make_token(secret=self._secret, site_id=self.site_id, site_name=self.site_name,
                               payload=payload, now=self._clock(), lifetime=self._token_lifetime)

    async def _attempt(self, method: str, path: str, content: bytes | None, signed: bytes,
                       params: dict[str, str] | None = None, timeout: float | None = None,
                       operation: str | None = None) -> Any:
        """One exchange, reported to kiosk.loyalty.calls under a neutral name (never the path)."""
        started, error = time.monotonic(), None
        try:
            return await self._attempt_once(method, path, content, signed, params, timeout, operation == "probe")
        except BaseException as exc:  # a cancelled attempt too: it must not count as answered
            error = exc
            raise
        finally:
            calls.report(calls.Call(operation or _operation(method, path), time.monotonic() - started, error))

    async def _attempt_once(self, method: str, path: str, content: bytes | None, signed: bytes,
                            params: dict[str, str] | None, timeout: float | None, probe: bool = False) -> Any:
        headers = {"Authorization": f"Bearer {self._token(signed)}"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            # One limit over connecting, sending and reading the whole body: a reply
            # that trickles in byte by byte still ends on time.
            async with asyncio.timeout(self._attempt_timeout if timeout is None else timeout):
                status, reply_headers, raw = await self._exchange(method, path, content, headers, params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # No connection carried the request: it cannot have been applied.
            raise errors.BackendUnavailable(
                i18n._("The loyalty service cannot be reached ({0}).").format(type(exc).__name__),
                maybe_applied=False, reached=False) from None
        except (TimeoutError, httpx.TimeoutException):
            raise errors.BackendUnavailable(i18n._("The loyalty service did not answer in time."),
                                            reached=False) from None
        except httpx.TransportError as exc:
            raise errors.BackendUnavailable(
                i18n._("The loyalty service cannot be reached ({0}).").format(type(exc).__name__)) from None
        finally:
            # The route template only: paths carry member ids, which stay out of logs.
            log.debug("%s %s took %.0f ms", method, _template(path), (time.monotonic() - started) * 1000)
        # The backend's clock, for the start-up check: tokens carry `exp`, so a till
        # whose clock is far off would have every request refused.
        self.last_server_date = (time.time(), reply_headers.get("Date"))
        if 300 <= status < 400:
            log.warning("%s %s answered %s: the backend URL redirects; nothing was followed",
                        method, _template(path), status)
            raise errors.Redirected(status=status)
        if raw is None:
            too_large = i18n._("The loyalty service sent a reply over {0} MB.").format(MAX_REPLY_BYTES // 2**20)
            raise errors.UnusableReply(too_large, status=status, detail="reply too large")
        try:
            body = json.loads(raw) if raw else None
        except (ValueError, RecursionError):  # RecursionError: a reply nested thousands deep
            body = None
        if status >= 400:
            exc = annex_errors.from_error_body(status, body)
            if isinstance(exc, errors.BackendUnavailable):
                exc.retry_after = _retry_after(reply_headers.get("Retry-After"))
                exc.maybe_applied = status != 429  # 429 refuses before doing anything
            # A probe asks for the guest, who need not exist: its "not found" every few
            # seconds is the answer it wants, not news for the store's log.
            quiet = probe and isinstance(exc, errors.NotFound)
            log.log(logging.DEBUG if quiet else logging.INFO, "%s %s answered %s %s", method, _template(path),
                    status, exc.code)
            raise exc
        if body is None:
            raise errors.UnusableReply(i18n._("The loyalty service sent a reply that is not JSON."), status=status,
                                       detail="not JSON")
        return body

    async def _exchange(self, method: str, path: str, content: bytes | None, headers: dict[str, str],
                        params: dict[str, str] | None) -> tuple[int, httpx.Headers, bytes | None]:
        """Status, headers and body, the body read as it streams in and given up
        (None) past MAX_REPLY_BYTES, so a huge or endless reply costs 1 MB, not all memory."""
        client = self._client()
        request = client.build_request(method, path, content=content, headers=headers, params=params)
        response = await client.send(request, stream=True)
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_REPLY_BYTES:
                return response.status_code, response.headers, None
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():  # decoded: a compressed bomb counts as what it unpacks to
                size += len(chunk)
                if size > MAX_REPLY_BYTES:
                    return response.status_code, response.headers, None
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)
        finally:
            await response.aclose()

    async def execute(self, request: rq.ApiRequest) -> Any:
        if request.method == "GET":
            return await self._get(request)
        content = request.encoded() or b""
        return await self._attempt(request.method, request.path, content, content)

    # -- the write contract (kiosk.loyalty.backend.WriteAdapter) ------------------

    @property
    def capabilities(self) -> contract.Capabilities:
        features = set(self.features)
        if reconcile.ORDERS_READ in self.reads:
            features.add(contract.ORDER_DETAILS)
        verifiable = {w.CODES}  # the documented Redemption Log, when its count is unambiguous
        if reconcile.ORDERS_READ in self.reads:
            verifiable.add(w.ORDERS)
        if reconcile.POINTS_READ in self.reads:
            verifiable.add(w.POINTS)
        if contract.ENROL in features:
            verifiable.add(w.MEMBERS)  # by the documented member read, under the enrolment key
        return contract.Capabilities(frozenset(features), frozenset(verifiable), self.deduplicates)

    def disable_read(self, read: str) -> None:
        """A declared read that answered like a missing route is not trusted for this run."""
        self.reads = self.reads - {read}

    def encode(self, write: w.Write) -> bytes:
        return writes.encode(write, store_id=self.store_id, site_id=self.site_id)

    async def send_write(self, kind: str, wire: bytes) -> Any:
        """Send stored bytes exactly as they are, on every attempt."""
        method, path, body = writes.unpack(wire)
        try:
            # An enrolment is counted as the till's are (fleet telemetry's kiosk.enrolments).
            return await self._attempt(method, path, body, body,
                                       operation="enrol_member" if kind == "enrol" else kind)
        except errors.AlreadyExists:
            if kind != "enrol":
                raise
            # Ours already (an earlier delivery made it), or someone else's email or phone.
            verdict = await reconcile.enrolment(self, writes.body_of(wire))
            if verdict.applied:
                return verdict.reply
            raise

    def reply_problems(self, kind: str, wire: bytes, reply: Any) -> tuple[str, ...]:
        return reconcile.reply_problems(kind, wire, reply)

    async def reconcile(self, record: contract.WriteRecord) -> contract.Verdict:
        return await reconcile.reconcile(self, record, self.reads)

    def refused_for_sale(self, kind: str, exc: Exception) -> bool:
        if kind in ("redeem_code", "redeem_reward", "redeem_points"):
            return isinstance(exc, _REDEMPTION_REFUSALS)
        if kind == "return_lines":
            # More returned than is left on the order (another terminal was quicker).
            return isinstance(exc, (errors.InvalidRequest, errors.NotFound))
        if kind == "enrol":
            # The email or phone is a member's already: the shopper waiting at the kiosk is told.
            return isinstance(exc, (errors.AlreadyExists, errors.InvalidRequest))
        return False

    def result(self, kind: str, reply: Any) -> w.WriteResult:
        return writes.result(kind, reply)

    async def evidence(self, record: contract.WriteRecord) -> contract.Evidence:
        """The member's points or the card's balance now, from documented reads."""
        facts: dict[str, str] = {}
        sent = writes.body_of(record.wire)
        items = sent if isinstance(sent, list) else [sent]
        try:
            if record.kind in ("redeem_code", "undo_code", "redeem_codes"):
                for item in items:
                    code = str(item.get("incentiveCode", ""))
                    info = await self.validate_code(code)
                    facts[f"card {code}"] = (f"balance {info.balance}" if info.balance is not None
                                             else f"status {info.status or 'unknown'}")
            elif record.member_id:
                points = await self.get_points(record.member_id)
                facts["member's points"] = f"{points.available} available, {points.lifetime} lifetime"
        except errors.LoyaltyError as exc:
            facts["evidence"] = f"could not be read ({exc.code or exc.status or type(exc).__name__})"
        return contract.Evidence(self._clock(), facts)

    async def redemption_log(self, code: str, user_id: str, start: datetime, end: datetime) -> dict:
        """The documented Redemption Log's counts for one card and member in a window (one attempt)."""
        request = rq.redemption_log(code, user_id, start, end)
        content = request.encoded() or b""
        return mapping(await self._attempt("POST", request.path, content, content), "redemption log")

    async def read_once(self, request: rq.ApiRequest, operation: str | None = None) -> Any:
        """One GET attempt, no retries: the outbox keeps its own schedule."""
        return await self._attempt("GET", request.path, None, auth.get_payload(request.identifier or ""),
                                   request.params, operation=operation)

    async def _get(self, request: rq.ApiRequest) -> Any:
        """Retried with jittered backoff, all of it inside the budget: the last attempt
        gets only the time that is left, and none starts with too little left to finish."""
        signed = auth.get_payload(request.identifier or "")
        deadline = time.monotonic() + self._get_budget
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(errors.BackendUnavailable)
            & retry_if_not_exception_type(errors.UnusableReply),
            wait=wait_random_exponential(multiplier=0.2, max=2.0),
            stop=stop_before_delay(self._get_budget - MIN_ATTEMPT_S),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                left = deadline - time.monotonic()
                timeout = min(self._attempt_timeout, max(left, MIN_ATTEMPT_S))
                return await self._attempt("GET", request.path, None, signed, request.params, timeout)
        raise AssertionError("unreachable")

    # -- reads that reconcile a write whose reply was lost (single attempts) --

    async def _find(self, request: rq.ApiRequest) -> dict | None:
        try:
            return mapping(await self.read_once(request), "record")
        except errors.NotFound:
            return None

    async def find_order(self, order_id: str) -> dict | None:
        return await self._find(rq.get_order(order_id))

    async def find_points_activity(self, member: str, key: str) -> dict | None:
        return await self._find(rq.points_activity(member, key))

    async def find_code_redemption(self, reference: str) -> dict | None:
        return await self._find(rq.code_redemption(reference))

    async def find_user(self, member: str) -> dict | None:
        return await self._find(rq.get_user(member))

    async def probe(self, member: str) -> None:
        """One signed read: returns if the backend answered at all (even 'not found');
        raises BackendUnavailable when it did not, NotAuthorized when it refused us."""
        try:
            await self.read_once(rq.get_user(member), operation="probe")
        except errors.NotFound:
            pass

    # -- members -------------------------------------------------------------

    async def get_member(self, member: str) -> Member:
        return replies.member(await self.execute(rq.get_user(member)))

    async def get_points(self, member: str) -> PointsBalance:
        return replies.points_balance(await self.execute(rq.get_points(member)))

    async def get_rewards(self, member: str) -> tuple[Reward, ...]:
        body = mapping(await self.execute(rq.get_rewards(member)), "rewards")
        return tuple(replies.reward(item) for item in items(body, "rewardDetail"))

    async def lookup_member(self, ref: str) -> MemberView:
        """User, points and rewards at once: one round trip of wall time.

        The member must exist; points or rewards that are missing (AC1005) or
        unreachable leave the view usable and are named in `missing`."""
        ids.check("member", ref)
        user, points, rewards = await asyncio.gather(
            self.get_member(ref), self.get_points(ref), self.get_rewards(ref), return_exceptions=True)
        if isinstance(user, BaseException):
            if isinstance(user, errors.NotFound):
                raise errors.NotFound(i18n._("No member found for that card, email or phone."), code=user.code,
                                      status=user.status)
            raise user
        missing = []
        for name, part in (("points", points), ("rewards", rewards)):
            if isinstance(part, (errors.NotFound, errors.BackendUnavailable)):
                missing.append(name)
            elif isinstance(part, BaseException):
                raise part
        return MemberView(
            member_id=user.id or ref, member=user,
            points=None if "points" in missing else points,
            rewards=() if "rewards" in missing else rewards,
            missing=tuple(missing),
        )

    async def search_member(self, *, email: str | None = None, phone: str | None = None) -> Member:
        """Loyalty Search: the documents look members up by email or phone through /users/{id}."""
        if email:
            key = email.strip()
        elif phone:
            key = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
        else:
            raise errors.InvalidRequest(i18n._("Enter an email address or a phone number to search."))
        return await self.get_member(key)

    async def enrol_member(self, new: NewMember) -> Member:
        return replies.member(await self.execute(rq.enrol(new)))

    # -- points and rewards --------------------------------------------------

    async def redeem_reward(self, member: str, reward_id: str, key: str,
                            order_id: str | None = None) -> RewardRedemption:
        return replies.reward_redemption(
            await self.execute(rq.redeem_reward(member, reward_id, key, order_id, self.store_id)))

    async def reverse_reward(self, member: str, reward_code: str, key: str) -> PointsMovement:
        return replies.points_movement(await self.execute(rq.reverse_reward(member, reward_code, key, self.store_id)))

    async def award_points(self, member: str, points: int, key: str, reason: str,
                           order_id: str | None = None) -> PointsMovement:
        return replies.points_movement(await self.execute(
            rq.adjust_points(member, points, key, credit=True, reason=reason, order_id=order_id,
                             store_id=self.store_id)))

    async def debit_points(self, member: str, points: int, key: str, reason: str,
                           order_id: str | None = None) -> PointsMovement:
        return replies.points_movement(await self.execute(
            rq.adjust_points(member, points, key, credit=False, reason=reason, order_id=order_id,
                             store_id=self.store_id)))

    # -- incentive codes -----------------------------------------------------

    async def validate_code(self, code: str, user_id: str | None = None) -> CodeInfo:
        return replies.code_info(await self.execute(rq.validate_code(code, user_id)))

    async def redeem_code(self, spend: CodeSpend) -> CodeRedemption:
        return replies.code_redemption(await self.execute(rq.update_code(spend)))

    async def undo_code(self, spend: CodeSpend) -> CodeRedemption:
        if not spend.undo_of:
            raise ValueError("an undo names the redemption it reverses (undo_of)")
        return replies.code_redemption(await self.execute(rq.update_code(spend)))

    async def redeem_codes(self, spends: Sequence[CodeSpend]) -> tuple[CodeRedemption, ...]:
        body = await self.execute(rq.update_codes(self.site_id, spends))
        answers = body if isinstance(body, list) else [body]
        return tuple(replies.code_redemption(answer) for answer in answers)

    async def member_codes(self, member: str) -> tuple[CodeInfo, ...]:
        body = mapping(await self.execute(rq.member_codes(member)), "member codes")
        return tuple(replies.code_info(item) for item in items(body, "codes"))

    # -- orders ----------------------------------------------------------------

    async def create_order(self, order: Order) -> OrderResult:
        return replies.order_result(await self.execute(rq.create_order(order)))

    async def get_order(self, order_id: str) -> OrderResult:
        return replies.order_result(await self.execute(rq.get_order(order_id)))

    async def return_order(self, order_id: str) -> ReturnResult:
        return replies.return_result(await self.execute(rq.return_order(order_id)))

    async def return_lines(self, member: str, order_id: str, lines: Sequence[ReturnLine],
                           key: str) -> ReturnResult:
        return replies.return_result(await self.execute(rq.return_lines(member, order_id, lines, key, self.store_id)))


# Each route's neutral name for kiosk.loyalty.calls (latency and errors by operation). Writes
# sent from the outbox are named by their kind instead ("order", "redeem_code", ...).
_OPERATIONS = {
    ("GET", "users/{id}"): "get_member", ("GET", "points/{id}"): "get_points",
    ("GET", "users/{id}/reward"): "get_rewards", ("GET", "orders/{id}"): "get_order",
    ("GET", "incentive/validatecode/{id}"): "validate_code", ("GET", "points/{id}/activity"): "find_points_activity",
    ("GET", "incentive/redemption/{id}"): "find_code_redemption", ("GET", "incentive/usercodedetails/{id}"):
    "member_codes", ("POST", "incentive/getredemptionlog"): "redemption_log", ("POST", "users"): "enrol_member",
    ("POST", "points"): "points", ("POST", "orders"): "order", ("PATCH", "orders/{id}"): "full_return",
    ("PATCH", "incentive/updatecodedetails/{id}"): "redeem_code",
    ("PATCH", "incentive/updatebatchcodedetails/{id}"): "redeem_codes",
}


def _operation(method: str, path: str) -> str:
    return _OPERATIONS.get((method, _template(path)), "other")


def _template(path: str) -> str:
    """'users/ana@x.com/reward' -> 'users/{id}/reward' for logs."""
    head, _, rest = path.partition("/")
    if not rest:
        return head
    tail = rest.split("/", 1)
    if head == "incentive":
        return "incentive/" + tail[0] + ("/{id}" if len(tail) > 1 else "")
    return head + "/{id}" + ("/" + tail[1] if len(tail) > 1 else "")


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait, from seconds or an HTTP date, at most MAX_RETRY_AFTER_S.
    None (use the backoff) for anything negative, infinite, not a number or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if moment.tzinfo is None:  # an HTTP date is GMT; a date without a zone is not one
            return None
        seconds = max(moment.timestamp() - time.time(), 0.0)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER_S)
