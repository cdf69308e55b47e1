"""The `kiosk` command.

Non-GUI subcommands go to kiosk.cli before anything imports Qt, so `kiosk
sandbox` runs on a server with no display libraries. `kiosk` alone (or `kiosk
gui`) starts the cashier window; `kiosk demo` is the command-line walk-through.

The window runs on a qasync loop (asyncio on Qt's event loop), started with
asyncio.Runner's loop factory (Python 3.11's asyncio.run has none). Quitting sets
an event that the main coroutine awaits; then the shutdown runs in order: the
window's tasks, the bridge, then the terminal (scanners, delivery, SQLite, HTTP
client, sandbox). SIGINT and SIGTERM quit the same way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import Any, Callable

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[:1] == ["gui"]:
        return run_gui()
    from kiosk import cli

    return cli.main(args)


def run_gui(on_ready: Callable[[Any, Any], None] | None = None) -> int:
    """The cashier window until it is closed. `on_ready(window, terminal)` is called
    once the window is interactive (the start-up benchmark and screenshots use it)."""
    from kiosk import config

    try:
        settings = config.load_settings()
    except config.ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        # Without a screen Qt aborts the process; say what to do instead.
        print("kiosk: no display to show the cashier window on. Start it from the desktop session, or run "
              "`kiosk demo` for the command-line walk-through.", file=sys.stderr)
        return 2
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Kiosk")
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(_run(app, settings, on_ready))


async def _run(app, settings, on_ready=None) -> int:
    from PySide6.QtCore import QTimer

    from ui.bridge import HubBridge
    from ui.cashier.window import CashierWindow
    from ui.lifecycle import start
    from ui.tasks import Tasks

    # Quitting is this event, never QApplication.quit(): that would stop the loop
    # under the shutdown below (the HTTP client can't close on a stopped loop).
    quitting = asyncio.Event()
    app.setQuitOnLastWindowClosed(False)
    app.aboutToQuit.connect(quitting.set)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: quitting.set())
    # Python runs signal handlers only when it gets control: a timer gives it some.
    ticker = QTimer(interval=250)
    ticker.timeout.connect(lambda: None)
    ticker.start()

    tasks = Tasks()
    window = CashierWindow(settings, tasks)
    window.closed.connect(quitting.set)
    window.show()
    terminal = bridge = None
    try:
        terminal = await start(settings, window.hub)
        bridge = HubBridge(window.hub)
        window.attach(terminal, bridge)
        if on_ready is not None:
            on_ready(window, terminal)
        await quitting.wait()
    except Exception as exc:  # a start-up failure is a message on screen, not a traceback
        log.exception("start-up failed")
        window.show_fatal(str(exc))
        await quitting.wait()
    finally:
        ticker.stop()
        await tasks.cancel_all()
        if bridge is not None:
            bridge.close()
        if terminal is not None:
            await terminal.stop()
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
