"""From settings to a Loyalty Prime client: the configured tenant, or the embedded Prime sandbox."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Callable

from kiosk import config, credentials
from kiosk.loyalty.loyaltyprime.client import SANDBOX_DECLARES, LoyaltyPrimeClient

log = logging.getLogger(__name__)

# The demo catalogue's categories as the Prime sandbox's product keys.
DEMO_PRODUCT_KEYS = {"Coffee": "COFFEE", "Snacks": "SNACKS", "Drinks": "DRINKS", "Books": "BOOKS"}


def category_lookup(settings: config.Settings) -> Callable[[str], str | None] | None:
    """sku -> catalogue category, for product keys given per category. Each sku is read
    once (cached); encoding runs when a sale is queued, off the UI thread."""
    if not settings.backend.product_keys and settings.backend.url:
        return None  # every line gets the default key: no catalogue to read
    from kiosk.checkout.catalogue import Catalogue, CatalogueError, default_path

    path = default_path(settings)
    if not Path(path).exists():
        return None
    try:
        catalogue = Catalogue.open(path)
    except (CatalogueError, OSError) as exc:
        log.warning("catalogue not readable for Loyalty Prime product keys (%s); the default key is used",
                    type(exc).__name__)
        return None

    @functools.lru_cache(maxsize=4096)
    def category_of(sku: str) -> str | None:
        product = catalogue.by_sku(sku)
        return product.category if product else None

    return category_of


def client_for_sandbox(server, settings: config.Settings) -> LoyaltyPrimeClient:
    b = settings.backend
    info = server.info()
    return LoyaltyPrimeClient(base_url=server.base_url, api_key=info["apiKey"], partner_id=info["partnerId"],
                              debitor_id=info["debitorId"], channel_key=info["channelKey"],
                              product_keys={**DEMO_PRODUCT_KEYS, **b.product_keys},
                              default_product_key=b.default_product_key, category_of=category_lookup(settings),
                              attempt_timeout=b.attempt_timeout_s, get_budget=b.get_retry_budget_s,
                              guest_user_id=settings.loyalty.guest_user_id, **SANDBOX_DECLARES)


def check_ids(b: config.BackendSettings) -> None:
    """ConfigError when the ids Loyalty Prime books with are missing or unusable (`kiosk setup`
    asks this before anything is written; the client checks the debitor again itself)."""
    missing = [name for name in ("partner_id", "debitor_id", "channel_key") if not getattr(b, name)]
    if missing:
        raise config.ConfigError("backend.vendor is loyaltyprime, so " + ", ".join(f"backend.{m}" for m in missing)
                                 + " must be set too.")
    if "_" in b.debitor_id:
        # A reversal is named <receipt id>_<debitor id>: one "_" more and it can't be read back.
        raise config.ConfigError("backend.debitor_id may not contain '_' (Loyalty Prime's reversal ids put one "
                                 "before it).")


def client_for_settings(settings: config.Settings) -> LoyaltyPrimeClient:
    b = settings.backend
    check_ids(b)
    _, service = credentials.keyring_entry(b)
    key = credentials.secret_for(b)
    if key is None:
        raise config.ConfigError(
            "backend.url is set but no Loyalty Prime API key was found: store it in the OS keyring "
            f"(service {service!r}, account = partner id), set {credentials.ENV_VAR}, "
            f"or write it to {credentials.credentials_path()} with mode 600.")
    try:
        return LoyaltyPrimeClient(base_url=b.url, api_key=key.get_secret_value(), partner_id=b.partner_id,
                                  debitor_id=b.debitor_id, channel_key=b.channel_key, product_keys=b.product_keys,
                                  default_product_key=b.default_product_key, category_of=category_lookup(settings),
                                  attempt_timeout=b.attempt_timeout_s, get_budget=b.get_retry_budget_s,
                                  reads=b.reads, deduplicates=b.deduplicates,
                                  guest_user_id=settings.loyalty.guest_user_id)
    except ValueError as exc:
        raise config.ConfigError(f"In the [backend] settings: {exc}") from None
