"""backend.vendor = "loyaltyprime": from settings to a client that sells, embedded or live."""

from __future__ import annotations

import pytest

from kiosk import config
from kiosk.connect import connect
from kiosk.loyalty.loyaltyprime import LoyaltyPrimeClient
from kiosk.loyalty.loyaltyprime.client import SANDBOX_DECLARES
from tests.prime_helpers import prime_server


def _settings(tmp_path, **backend) -> config.Settings:
    return config.Settings(backend={"vendor": "loyaltyprime", **backend},
                           sandbox={"db_path": str(tmp_path / "sandbox.sqlite3")},
                           catalogue={"db_path": str(tmp_path / "catalogue.sqlite3")})


async def test_without_a_url_the_embedded_sandbox_is_loyalty_primes(tmp_path):
    connection = connect(_settings(tmp_path))
    try:
        assert isinstance(connection.client, LoyaltyPrimeClient) and connection.embedded
        assert connection.sandbox.base_url.endswith("/api/v10/")
        assert (tmp_path / "sandbox-loyaltyprime.sqlite3").exists()
        assert connection.client.reads == frozenset(SANDBOX_DECLARES["reads"])
        view = await connection.client.lookup_member("M100003")
        assert view.member.first_name == "Chloé"
    finally:
        await connection.aclose()


async def test_a_live_tenant_needs_its_ids_and_its_key(tmp_path, monkeypatch):
    server = prime_server(tmp_path / "tenant.sqlite3")
    monkeypatch.delenv("KIOSK_API_SECRET", raising=False)
    monkeypatch.setenv("KIOSK_SETTINGS", str(tmp_path / "settings.toml"))
    monkeypatch.setattr("kiosk.credentials.credentials_path", lambda: tmp_path / "no-credentials")
    monkeypatch.setattr("kiosk.credentials._from_keyring", lambda account, service="": None)
    try:
        with pytest.raises(config.ConfigError, match="backend.partner_id"):
            connect(_settings(tmp_path, url=server.base_url))
        ids = {"partner_id": "DEMO-PARTNER", "debitor_id": "KIOSK-DEMO", "channel_key": "STORE"}
        with pytest.raises(config.ConfigError, match="kiosk-loyaltyprime"):
            connect(_settings(tmp_path, url=server.base_url, **ids))
        with pytest.raises(config.ConfigError, match="debitor_id"):
            monkeypatch.setenv("KIOSK_API_SECRET", server.info()["apiKey"])
            connect(_settings(tmp_path, url=server.base_url, **{**ids, "debitor_id": "KIOSK_DEMO"}))
        connection = connect(_settings(tmp_path, url=server.base_url, reads=["tx_details"], **ids))
        try:
            assert not connection.embedded and connection.client.reads == {"tx_details"}
            assert (await connection.client.lookup_member("M100001")).points.available == 180
        finally:
            await connection.aclose()
        with pytest.raises(config.ConfigError):
            connect(_settings(tmp_path, url=server.base_url, reads=["orders"], **ids))  # Annex Cloud's read
    finally:
        server.stop()
