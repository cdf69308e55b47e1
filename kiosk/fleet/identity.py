"""Who is reporting: the resource every export carries, and its stable instance id.

Only what names the terminal, never a member, an order or a card: the store's id,
the terminal's, its mode and environment, Kiosk's version, and the chain.
"""

from __future__ import annotations

import uuid

from kiosk import __version__, config
from kiosk.outbox.store import Database

SERVICE_NAME = "kiosk"
# The namespace OpenTelemetry's semantic conventions give for a service.instance.id made
# as a UUIDv5 of an inherent id (the attribute registry, "service").
INSTANCE_NAMESPACE = uuid.UUID("4d63009a-8d0f-11ee-aad7-4c796ed8e320")
INSTANCE_KEY = "service_instance_id"  # in the terminal database's outbox_state
# The cashier's till is the only kind of terminal so far; the self-service kiosk will say "self".
MODE = "cashier"


def instance_id(store_id: str, terminal_id: str) -> str:
    return str(uuid.uuid5(INSTANCE_NAMESPACE, f"{store_id}/{terminal_id}"))


def ensure_instance_id(db: Database, store_id: str, terminal_id: str) -> str:
    """The id kept in the terminal database, made the first time: a till whose store is renamed
    later stays the same series in the chain's monitoring."""
    with db.tx() as conn:
        found = conn.execute("SELECT value FROM outbox_state WHERE name=?", (INSTANCE_KEY,)).fetchone()
        if found:
            return found[0]
        made = instance_id(store_id, terminal_id)
        conn.execute("INSERT INTO outbox_state (name, value) VALUES (?, ?)", (INSTANCE_KEY, made))
        return made


def chain_of(settings: config.Settings) -> str:
    return settings.telemetry.chain or settings.backend.site_id or "demo"


def attributes(settings: config.Settings, instance: str, *, embedded: bool) -> dict[str, str]:
    from kiosk.ops import environments

    return {
        "service.name": SERVICE_NAME,
        "service.namespace": chain_of(settings),
        "service.version": __version__,
        "service.instance.id": instance,
        "deployment.environment.name": environments.resolve(settings),
        "kiosk.store.id": settings.store.store_id,
        "kiosk.terminal.id": settings.store.terminal_id,
        "kiosk.terminal.mode": MODE,
        "kiosk.backend.vendor": "sandbox" if embedded else settings.backend.vendor,
    }
