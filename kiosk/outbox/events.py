"""What the outbox tells the rest of the app, on the event hub."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.events import Event

ONLINE, DEGRADED, OFFLINE = "online", "degraded", "offline"


@dataclass(frozen=True)
class ConnectivityChanged(Event):
    state: str  # online | degraded | offline
    detail: str = ""


@dataclass(frozen=True)
class QueueChanged(Event):
    depth: int
    oldest_age_s: float | None
    dead: int
    paused: str | None
    held: int = 0  # writes waiting for a person to say whether they were applied


def age_text(seconds: float | None) -> str:
    """How old the oldest pending operation is, as a person says it (CLI, status bar, queue dialog)."""
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class DeliveryPaused(Event):
    """The backend refused our credentials: nothing is sent until that is fixed."""
    reason: str


@dataclass(frozen=True)
class DeliveryResumed(Event):
    pass


@dataclass(frozen=True)
class DeadLettered(Event):
    op_id: int
    kind: str
    reason: str


@dataclass(frozen=True)
class Delivered(Event):
    """The backend applied a write (sent, or found applied after a lost reply)."""

    op_id: int
    kind: str


@dataclass(frozen=True)
class WriteHeld(Event):
    """A write whose outcome can't be checked waits for a person (`kiosk queue resolve`)."""

    op_id: int
    kind: str
    reason: str


@dataclass(frozen=True)
class StorageFailed(Event):
    """The terminal's database refused a write (full disk, damage): delivery waits, nothing is dropped."""
    message: str
