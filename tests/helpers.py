"""Shared test helpers (imported by name; conftest only wires fixtures)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Awaitable, Callable

import httpx

from kiosk.loyalty.annex import AnnexCloudClient
from kiosk.loyalty.annex.client import SANDBOX_EXTENDED
from kiosk.sandbox.server import SandboxServer
from tests import stdlib_jwt


def client_for(server: SandboxServer, **kwargs: Any) -> AnnexCloudClient:
    """A client that declares what the extended sandbox adds (its reads and features),
    as the embedded demo does; pass reads=(), features=() for the documented API alone."""
    site = server.store.site
    for name, value in SANDBOX_EXTENDED.items():
        kwargs.setdefault(name, value)
    kwargs.setdefault("get_budget", 1.0)
    kwargs.setdefault("secret", site.secret)
    return AnnexCloudClient(base_url=server.base_url, site_id=site.site_id, site_name=site.site_name, **kwargs)


def annex_encoder(site_id: str = "900100", store_id: str | None = "STORE-001") -> AnnexCloudClient:
    """An Annex Cloud adapter used only to encode intents (it never connects)."""
    return AnnexCloudClient(base_url="http://127.0.0.1:9/api/3.0/", site_id=site_id, site_name="tests",
                            secret="s" * 32, store_id=store_id)


def ledger(server: SandboxServer, kind: str | None = None) -> list[dict]:
    sql = "SELECT * FROM ledger" + (" WHERE kind = ?" if kind else "") + " ORDER BY seq"
    return [dict(row) for row in server.store.read(sql, (kind,) if kind else ())]


def set_faults(server: SandboxServer, **changes: Any) -> dict:
    response = httpx.put(server.base_url.replace("/api/3.0/", "/_admin/faults"), json=changes, timeout=5)
    response.raise_for_status()
    return response.json()


def token(server: SandboxServer, payload: bytes, *, now: float | None = None, secret: str | None = None,
          site_id: str | None = None) -> str:
    """Signed by the tests' own reading of the rules (tests/stdlib_jwt.py), not the client's code."""
    site = server.store.site
    return stdlib_jwt.token(secret=secret or site.secret, site_id=site_id or site.site_id, site_name=site.site_name,
                            payload=payload, exp=int(time.time() if now is None else now) + 300)


def raw_get(server: SandboxServer, path: str, identifier: str, **token_args: Any) -> httpx.Response:
    headers = {"Authorization": "Bearer " + token(server, stdlib_jwt.get_payload(identifier), **token_args)}
    return httpx.get(server.base_url + path, headers=headers, timeout=5)


def raw_send(server: SandboxServer, method: str, path: str, body: Any, *, signed_body: Any = None,
             headers: dict | None = None, **token_args: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = content if signed_body is None else (
        signed_body if isinstance(signed_body, bytes) else json.dumps(signed_body).encode())
    all_headers = {"Authorization": "Bearer " + token(server, signed, **token_args),
                   "Content-Type": "application/json", **(headers or {})}
    return httpx.request(method, server.base_url + path, content=content, headers=all_headers, timeout=5)


async def wait_for(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0,
                   interval: float = 0.02) -> None:
    """Poll inside async tests (qtbot.waitUntil deadlocks there)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


class CountingTransport(httpx.AsyncBaseTransport):
    """The real HTTP transport, remembering what it sends ("METHOD /path"):
    attempts, not effects, for "sent once" and "refused before sending"."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Clock:
    """A clock a test moves by hand: lockouts, leases and backoff without sleeping."""

    def __init__(self, now: float = 1_780_000_000.0):  # late 2026: audit lines read as real dates
        self.now = now

    def __call__(self) -> float:
        return self.now
