"""One HTTP attempt against Loyalty Prime: `Authorization: ApiKey`, a bounded reply, errors mapped.

Kept apart from the client so the reads, the writes and the quote share one set of
rules for timeouts, huge replies and redirects."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any

import httpx

from kiosk import __version__, logs
from kiosk.i18n import _
from kiosk.loyalty import errors
from kiosk.loyalty.loyaltyprime import errors as prime_errors

log = logging.getLogger(__name__)
logs.quiet_transport()  # httpx logs full URLs, and ours carry membership keys and emails

MAX_REPLY_BYTES = 2**20
_IDS = re.compile(r"(memberships|deposits|tx|voucher)/[^/?]+")


def template(path: str) -> str:
    """'deposits/M1/redeem?type=BONUS' -> 'deposits/{key}/redeem' for logs: no ids, no filter."""
    path = path.split("?", 1)[0]
    return _IDS.sub(lambda m: m.group(1) + "/{key}", path).replace("deposits/{key}/reversal", "deposits/redeem/reversal")


class Transport:
    def __init__(self, base_url: str, api_key: str, attempt_timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._key = api_key
        self.attempt_timeout = attempt_timeout
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url, transport=self._transport, timeout=httpx.Timeout(self.attempt_timeout),
                headers={"Accept": "application/json", "User-Agent": f"kiosk/{__version__}"},
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10))
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("A LoyaltyPrimeClient belongs to the event loop that first used it")
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def attempt(self, method: str, path: str, content: bytes | None, timeout: float | None = None,
                      probe: bool = False) -> Any:
        headers = {"Authorization": f"ApiKey {self._key}"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.attempt_timeout if timeout is None else timeout):
                status, raw = await self._exchange(method, path, content, headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise errors.BackendUnavailable(
                _("The loyalty service cannot be reached ({0}).").format(type(exc).__name__),
                maybe_applied=False, reached=False) from None
        except (TimeoutError, httpx.TimeoutException):
            raise errors.BackendUnavailable(_("The loyalty service did not answer in time."), reached=False) from None
        except httpx.TransportError as exc:
            raise errors.BackendUnavailable(
                _("The loyalty service cannot be reached ({0}).").format(type(exc).__name__)) from None
        finally:
            log.debug("%s %s took %.0f ms", method, template(path), (time.monotonic() - started) * 1000)
        if 300 <= status < 400:
            log.warning("%s %s answered %s: the backend URL redirects; nothing was followed",
                        method, template(path), status)
            raise errors.Redirected(status=status)
        if raw is None:
            too_large = _("The loyalty service sent a reply over {0} MB.").format(MAX_REPLY_BYTES // 2**20)
            raise errors.UnusableReply(too_large, status=status, detail="reply too large")
        try:
            body = json.loads(raw) if raw else None
        except (ValueError, RecursionError):
            body = None
        if status >= 400:
            exc = prime_errors.from_error_body(status, body)
            if isinstance(exc, errors.BackendUnavailable):
                exc.maybe_applied = status != 429
            # A probe's "not found" (the guest need not exist) is the answer it wants, every few seconds.
            quiet = probe and isinstance(exc, errors.NotFound)
            log.log(logging.DEBUG if quiet else logging.INFO, "%s %s answered %s %s", method, template(path),
                    status, exc.code)
            raise exc
        if body is None:
            raise errors.UnusableReply(_("The loyalty service sent a reply that is not JSON."), status=status,
                                       detail="not JSON")
        return body

    async def _exchange(self, method: str, path: str, content: bytes | None,
                        headers: dict[str, str]) -> tuple[int, bytes | None]:
        client = self._client()
        # The path carries its query already encoded: httpx must not encode it again.
        url = httpx.URL(self.base_url + path)
        response = await client.send(client.build_request(method, url, content=content, headers=headers), stream=True)
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_REPLY_BYTES:
                return response.status_code, None
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_REPLY_BYTES:
                    return response.status_code, None
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)
        finally:
            await response.aclose()
