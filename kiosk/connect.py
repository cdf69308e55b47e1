"""From settings to a working backend client: the configured one, or the embedded sandbox."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from kiosk import config, credentials
from kiosk.loyalty.annex import AnnexCloudClient
from kiosk.loyalty.annex.client import SANDBOX_EXTENDED
from kiosk.loyalty.errors import InvalidIdentifier

if TYPE_CHECKING:  # FastAPI and uvicorn load only when the sandbox is embedded
    from kiosk.loyalty.loyaltyprime import LoyaltyPrimeClient
    from kiosk.sandbox.server import SandboxServer

log = logging.getLogger(__name__)


@dataclass
class Connection:
    client: "AnnexCloudClient | LoyaltyPrimeClient"
    sandbox: "SandboxServer | None"  # running, when no backend is configured
    # Makes another client of the same kind and settings (how `client` was made).
    make_client: "Callable[[], AnnexCloudClient | LoyaltyPrimeClient] | None" = None

    @classmethod
    def made_by(cls, make_client: Callable[[], Any], sandbox: "SandboxServer | None" = None) -> "Connection":
        return cls(make_client(), sandbox, make_client)

    @property
    def embedded(self) -> bool:
        return self.sandbox is not None

    def new_client(self) -> "AnnexCloudClient | LoyaltyPrimeClient":
        """A second client like `client`, for another event loop (an httpx client belongs
        to one loop): the outbox's delivery thread makes, uses and closes its own. The
        caller closes it."""
        if self.make_client is None:
            raise ValueError("this connection was given a client, not how to make one: use connect()")
        return self.make_client()

    async def aclose(self) -> None:
        """Client first, then the sandbox it talks to."""
        await self.client.aclose()
        if self.sandbox is not None:
            self.sandbox.stop()


def sandbox_db_path(settings: config.Settings) -> Path:
    if settings.sandbox.db_path:
        return Path(settings.sandbox.db_path)
    return config.data_dir() / "sandbox.sqlite3"


def connect(settings: config.Settings, *, sandbox_db: str | Path | None = None) -> Connection:
    """Start the embedded sandbox when no backend is configured; refuse a half configuration."""
    from kiosk.ops import environments

    b = settings.backend
    name = environments.resolve(settings)
    if name == environments.LIVE and not b.url:
        raise config.ConfigError("This terminal is set to the live environment, but backend.url is not set: run "
                                 "`kiosk setup` (or set backend.url, backend.site_id and backend.site_name). "
                                 "A live terminal never falls back to the demo.")
    if settings.environment:  # settings from load_settings (every entry point): the database's stamp
        from kiosk.outbox.commands import terminal_db_path

        environments.check_database(terminal_db_path(settings), name)
    if settings.uses_sandbox:
        from kiosk.sandbox.server import SandboxServer  # FastAPI is only imported when needed

        # The embedded sandbox plays the site these settings describe.
        site = {"pointsPerCurrencyUnit": str(settings.loyalty.points_per_currency_unit),
                "guestUserId": settings.loyalty.guest_user_id,
                "tiers": [{"name": name, "minLifetimePoints": floor} for name, floor
                          in sorted(settings.loyalty.tiers.items(), key=lambda tier: tier[1])]}
        if b.vendor == "loyaltyprime":
            from kiosk.loyalty.loyaltyprime.connect import client_for_sandbox

            db = Path(sandbox_db or sandbox_db_path(settings))
            # Its own file: the Prime sandbox adds tables the Annex one does not know.
            server = SandboxServer(db.with_name(db.stem + "-loyaltyprime" + db.suffix), site=site,
                                   vendor="loyaltyprime").start()
            log.info("no backend configured: embedded Loyalty Prime sandbox at %s", server.base_url)
            return Connection.made_by(functools.partial(client_for_sandbox, server, settings), server)
        server = SandboxServer(sandbox_db or sandbox_db_path(settings), site=site).start()
        site = server.store.site
        log.info("no backend configured: embedded sandbox at %s", server.base_url)
        # The embedded sandbox is the extended one: it declares the reads and features it adds.
        make = functools.partial(AnnexCloudClient, base_url=server.base_url, site_id=site.site_id,
                                 site_name=site.site_name, secret=site.secret, attempt_timeout=b.attempt_timeout_s,
                                 get_budget=b.get_retry_budget_s, store_id=settings.store.store_id,
                                 **SANDBOX_EXTENDED)
        return Connection.made_by(make, server)
    if b.vendor == "loyaltyprime":
        from kiosk.loyalty.loyaltyprime.connect import client_for_settings

        return Connection.made_by(functools.partial(client_for_settings, settings))
    if not b.site_id or not b.site_name:
        raise config.ConfigError("backend.url is set, so backend.site_id and backend.site_name are needed too.")
    secret = credentials.load_secret(b.site_id)
    if secret is None:
        raise config.ConfigError(
            "backend.url is set but no API secret was found: store it in the OS keyring "
            f"(service {credentials.KEYRING_SERVICE!r}, account = site id), set {credentials.ENV_VAR}, "
            f"or write it to {credentials.credentials_path()} with mode 600.")
    make = functools.partial(AnnexCloudClient, base_url=b.url, site_id=b.site_id, site_name=b.site_name,
                             secret=secret.get_secret_value(), attempt_timeout=b.attempt_timeout_s,
                             get_budget=b.get_retry_budget_s, token_lifetime=b.token_lifetime_s,
                             store_id=settings.store.store_id, reads=b.reads, deduplicates=b.deduplicates,
                             features=b.features)
    try:
        return Connection.made_by(make)
    except InvalidIdentifier as exc:  # a site id from the settings file, not from a scan
        raise config.ConfigError(f"In the [backend] or [store] settings: {exc}") from None
