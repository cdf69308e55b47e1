"""Loyalty Prime sandbox and adapter, wired as the embedded demo wires them (for tests)."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx

from kiosk.loyalty.loyaltyprime import LoyaltyPrimeClient
from kiosk.loyalty.loyaltyprime.client import SANDBOX_DECLARES
from kiosk.loyalty.loyaltyprime.connect import DEMO_PRODUCT_KEYS
from kiosk.sandbox.server import SandboxServer


def prime_server(path, **kwargs) -> SandboxServer:
    return SandboxServer(path, faults=True, vendor="loyaltyprime", **kwargs).start()


def demo_category(sku: str) -> str | None:
    """The demo catalogue's category of a sku, as the till's catalogue answers it."""
    import json
    from importlib import resources

    products = json.loads(resources.files("kiosk_resources").joinpath("demo", "products.json").read_text("utf-8"))
    return next((p["category"] for p in products if p["sku"] == sku), None)


def prime_client(server: SandboxServer, **kwargs: Any) -> LoyaltyPrimeClient:
    info = server.info()
    kwargs.setdefault("category_of", demo_category)
    for name, value in SANDBOX_DECLARES.items():
        kwargs.setdefault(name, value)
    kwargs.setdefault("get_budget", 1.0)
    kwargs.setdefault("attempt_timeout", 2.0)
    return LoyaltyPrimeClient(base_url=server.base_url, api_key=info["apiKey"], partner_id=info["partnerId"],
                              debitor_id=info["debitorId"], channel_key=info["channelKey"],
                              product_keys=DEMO_PRODUCT_KEYS, **kwargs)


def prime_encoder() -> LoyaltyPrimeClient:
    """Only encodes intents; never connects."""
    return LoyaltyPrimeClient(base_url="http://127.0.0.1:9/api/v10/", api_key="k", partner_id="DEMO-PARTNER",
                              debitor_id="KIOSK-DEMO", channel_key="STORE")


def admin_url(server: SandboxServer, route: str) -> str:
    return server.base_url.split("/api/")[0] + "/_admin/" + route


def set_prime_faults(server: SandboxServer, **changes: Any) -> dict:
    response = httpx.put(admin_url(server, "faults"), json=changes, timeout=5)
    response.raise_for_status()
    return response.json()


@contextlib.asynccontextmanager
async def prime_till(server: SandboxServer, folder, terminal_id: str = "T01", **checkout):
    """A real till on the Loyalty Prime sandbox, as tests/checkout_env.running_till on Annex Cloud's."""
    from kiosk.checkout import till as tills
    from kiosk.events import EventHub
    from tests.checkout_env import settings_for

    settings = settings_for(folder, terminal_id, **checkout)
    settings.backend.vendor = "loyaltyprime"
    async with prime_client(server) as client:
        till = tills.build(settings, client, site_id=server.store.site.site_id, hub=EventHub(), demo=True)
        await till.start()
        try:
            yield till
        finally:
            await till.close()
