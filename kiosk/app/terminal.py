"""The running terminal's parts, started and stopped in order, without Qt widgets.

start: settings -> file modes checked (kiosk/private.py) -> backend (or the embedded sandbox with demo data) -> the till
(database, outbox engine, checkout; interrupted sales resolved) -> fleet telemetry (kiosk/fleet) -> scanners -> the
start-up checks. stop, the other way round: telemetry (not waited for: its last export runs on its own thread),
scanners, background tasks, the till (engine, then SQLite), the HTTP client, then the sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from kiosk import formats, checks, config, private
from kiosk.checkout import till as tills
from kiosk.connect import Connection, connect
from kiosk.events import EventHub
from kiosk.fleet import telemetry as fleet
from kiosk.scanner import service as scanners

log = logging.getLogger(__name__)


@dataclass
class Terminal:
    settings: config.Settings
    hub: EventHub
    connection: Connection
    till: tills.Till
    camera: Any = None  # a ScanPipeline, when a camera is configured and started on demand
    serial: Any = None
    checks: list[checks.Check] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # sales resolved at start, for the cashier
    telemetry: Any = None  # kiosk.fleet.telemetry.Telemetry, when telemetry.enabled and the extra is installed

    @property
    def embedded(self) -> bool:
        return self.connection.embedded

    def start_camera(self, on_frame=None) -> None:
        """Camera scanning on; `on_frame(frame, symbols)` feeds a preview, on the camera thread."""
        if self.camera is None:
            self.camera = scanners.camera_pipeline(self.settings.scanner, self.hub, on_frame)
        else:
            self.camera.on_frame = on_frame

    async def stop_camera(self) -> None:
        camera, self.camera = self.camera, None
        if camera is not None:
            await asyncio.to_thread(camera.stop)  # joins the camera thread: never on the GUI thread

    async def stop(self) -> None:
        if self.telemetry is not None:
            self.telemetry.close()  # returns at once: its last export runs on a thread of its own
        await self.stop_camera()
        serial, self.serial = self.serial, None
        if serial is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(serial.stop)
        await self.till.close()
        await self.connection.aclose()


async def start(settings: config.Settings, hub: EventHub | None = None) -> Terminal:
    hub = hub or EventHub()
    formats.configure(settings.store.locale, settings.store.currency, settings.store.timezone)
    # In a thread: CLDR's data for the screen's language is read from disk the first time.
    await asyncio.to_thread(formats.warm)
    await asyncio.to_thread(private.secure_install, settings)
    connection = await asyncio.to_thread(connect, settings)
    client = connection.client
    from kiosk.ops import environments

    try:
        till = await asyncio.to_thread(tills.build, settings, client, site_id=client.site_id, hub=hub,
                                       demo=environments.seeds_demo(settings), delivery_client=connection.new_client)
        if settings.environment == environments.TRAINING:
            await asyncio.to_thread(environments.copy_operators, config.data_dir() / "terminal.sqlite3", till.db)
    except BaseException:
        await connection.aclose()
        raise
    terminal = Terminal(settings, hub, connection, till)
    try:
        terminal.notices = await till.start()
        terminal.telemetry = await asyncio.to_thread(fleet.start, settings, till, hub, embedded=connection.embedded)
        terminal.serial = scanners.serial_scanner(settings.scanner, hub)
        terminal.checks = [*checks.native(settings), await asyncio.to_thread(checks.database, till.db),
                           *await checks.backend(client, settings)]
    except BaseException:
        await terminal.stop()
        raise
    for check in terminal.checks:
        if check.state != checks.OK:
            log.warning("start-up check %s: %s", check.name, check.state)
    return terminal
