"""The kiosk's session, as ui/app.py runs the cashier's: the window first (full screen, locked
down), then in threads the settings and the terminal (kiosk/app/terminal.py, the same start as
the till's), then the heap is frozen (settle). It ends when staff close the kiosk (the window's
exit status) or the session ends (SIGTERM, SIGHUP, the display gone: EXIT_OK), and the
shutdown runs in order: the window's tasks, the bridge, the window, the terminal.

A terminal that does not start is "out of order" on the screen; after RESTART_AFTER_S the
process ends with EXIT_RESTART so the unit starts it again (the settings being wrong: 2, a
failure a restart won't mend; the unit's failure path shows `kiosk --service-screen`).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import importlib.util
import sys

from kiosk.app.exits import EXIT_OK, EXIT_RESTART

RESTART_AFTER_S = 60.0
WORK_MODULES = ("kiosk.checkout.session", "kiosk.app.shopper", "kiosk.scanner.pipeline", "cv2")
SCREEN_MODULES = ("ui.selfservice.member_screen", "ui.selfservice.pass_screen", "ui.selfservice.card_screen",
                  "ui.selfservice.enrol_screen", "ui.selfservice.email_screen")


async def run(app, quitting: asyncio.Event, settings=None, *, on_ready=None, on_shown=None) -> int:
    from kiosk import logs
    from ui.app import _is_config_error, _load_settings, settle
    from ui.common.tasks import Tasks, sentence
    from ui.selfservice.window import SelfServiceWindow

    tasks = Tasks()
    window = SelfServiceWindow(tasks, settings)
    status = [EXIT_OK]

    def leave(code: int) -> None:
        status[0] = code
        quitting.set()

    window.exit_requested.connect(leave)
    # No window manager under cage or Shell Launcher: the geometry is set here, and the window
    # asks for the keyboard itself.
    window.setGeometry(window.screen().geometry())
    window.showFullScreen()
    window.activateWindow()
    if on_shown is not None:
        on_shown(window)
    terminal = bridge = None
    try:
        try:
            await asyncio.sleep(0)  # the first frame goes out before the loading below
            if settings is None:
                settings = await asyncio.to_thread(_load_settings)
            logs.set_level(settings.log.level)
            window.settings = settings
            lifecycle = await asyncio.to_thread(importlib.import_module, "kiosk.app.terminal")
            if quitting.is_set():
                return status[0]
            terminal = await lifecycle.start(settings, window.hub)
            if quitting.is_set():
                return status[0]
        except Exception as exc:  # out of order on the screen, and a restart later
            if _is_config_error(exc):
                print(f"kiosk: {exc}", file=sys.stderr)
                status[0] = 2
                window.out_of_order(str(exc))
            else:
                status[0] = EXIT_RESTART
                window.out_of_order(sentence(exc, "start-up"))
            try:
                await asyncio.wait_for(quitting.wait(), RESTART_AFTER_S)
                status[0] = EXIT_OK  # the session ended meanwhile
            except TimeoutError:
                pass
            return status[0]
        from ui.common.bridge import HubBridge

        bridge = HubBridge(window.hub)
        window.attach(terminal, bridge)
        if on_ready is not None:
            on_ready(window, terminal)
        # Only the screens installed: a missing one is said on the screen when asked for, not logged here.
        await settle(WORK_MODULES, [m for m in SCREEN_MODULES if importlib.util.find_spec(m) is not None])
        await quitting.wait()
    finally:
        await tasks.cancel_all()
        if bridge is not None:
            bridge.close()
        window.close_for_good()
        if terminal is not None:
            await terminal.stop()
        gc.unfreeze()
    return status[0]
