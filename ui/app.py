"""The `kiosk` command.

Non-GUI subcommands go to kiosk.cli before anything imports Qt, so `kiosk
sandbox` runs on a server with no display libraries. `kiosk` alone (or `kiosk
gui`) starts the cashier window; `kiosk demo` is the command-line walk-through.

The window runs on a qasync loop (asyncio on Qt's event loop), driven by
`drive` below rather than asyncio.run: Qt may end its own loop (see there).

Start-up order, so the cashier can type from the first frame: Qt, then the
window (sign-in form, only Qt-light modules), shown; then, in threads, the
settings, the core and the terminal (backend or embedded sandbox, till, checks);
then the selling screen's modules; then the start-up heap is frozen (settle).

Quitting sets an event that the main coroutine awaits; then the shutdown runs in
order: the window's tasks, the bridge, then the terminal (scanners, delivery,
SQLite, HTTP client, sandbox). Whatever ends the session quits the same way, with
exit status 0: the window closed, SIGTERM, SIGINT, SIGHUP (the terminal it was
started from closed) or the display going away, which ends a session like a
logout does; it is not a crash.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import os
import signal
import sys
from typing import Any, Callable, Iterable

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--qt-platform"]:  # `kiosk doctor` asks a bundle this: does Qt's platform plugin load?
        from PySide6.QtWidgets import QApplication

        print(QApplication([]).platformName())
        return 0
    from kiosk.ops.environments import take_flag  # Qt-free; `kiosk --environment training` is the window too

    try:
        args = take_flag(args)
        from kiosk.cli import take_window_flags

        args, mode, service_screen = take_window_flags(args)
    except Exception as exc:  # a ConfigError: the flag's value is not an environment or a mode
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    if service_screen:
        return run_service_screen()
    if not args or args[:1] == ["gui"]:
        return run_gui(mode=mode)
    from kiosk import cli

    return cli.main(args)


def _has_display() -> bool:
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    # Without a screen Qt aborts the process; say what to do instead.
    print("kiosk: no display to show the window on. Start it from the desktop session, or run "
          "`kiosk demo` for the command-line walk-through.", file=sys.stderr)
    return False


def run_service_screen() -> int:
    """`kiosk --service-screen`: the kiosk is out of order, full screen, until the session ends
    (SIGTERM: exit 0). No settings, no backend: it is what shows when those keep failing."""
    if not _has_display():
        return 2
    from PySide6.QtWidgets import QApplication

    from ui.common.watchdog import Watchdog
    from ui.selfservice.service_screen import run

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Kiosk")
    watchdog = Watchdog(app)
    watchdog.start()
    try:
        return run(app)
    finally:
        watchdog.stop()


def run_gui(on_ready: Callable[[Any, Any], None] | None = None,
            on_shown: Callable[[Any], None] | None = None, mode: str | None = None) -> int:
    """The cashier window (or, with `mode` "selfservice" or the settings' mode, the shoppers'
    kiosk) until it is closed. `on_shown(window)` is called once the window is shown and takes
    input, `on_ready(window, terminal)` once the till is up (the start-up benchmark, tests and
    screenshots use them)."""
    if not _has_display():
        return 2
    from kiosk import logs, private
    from kiosk.ops import hooks, logfiles

    logs.setup()
    private.restrict_umask()
    ours = logfiles.current() is None
    logfiles.start("gui")
    previous = hooks.install()  # the notice joins in once the window exists (_run)
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Kiosk")
    from ui.common.watchdog import Watchdog

    watchdog = Watchdog(app)  # under a systemd unit with WatchdogSec, a hung GUI gets restarted
    loop = qasync.QEventLoop(app)
    hooks.watch_loop(loop)
    watchdog.start()
    try:
        status = drive(loop, _run(app, on_ready, on_shown, mode))
    finally:
        watchdog.stop()
        loop.close()
        asyncio.set_event_loop(None)
    hooks.restore(previous)
    if ours:
        logfiles.stop()
    return status


def drive(loop: asyncio.AbstractEventLoop, main) -> Any:
    """Run the coroutine `main` on the qasync `loop` to its end, and return its result.

    When the X server goes away, Qt's xcb plugin ends Qt's event loop itself
    (QCoreApplication::exit, "The X11 connection broke") on every pass through it,
    and asyncio.run would stop there with the shutdown half done: the HTTP client
    closed outside any loop (a traceback) and the sandbox never stopped. So the
    loop is entered again until `main` has finished: each entry is at least one
    pass, in which the shutdown's next steps run. Quitting the app that way also
    emits aboutToQuit, which starts the shutdown. (Not qasync's run_until_complete:
    it makes one more pass after the loop ends, outside it, where a step of `main`
    finds no running loop.)
    """
    asyncio.set_event_loop(loop)
    task = loop.create_task(main)
    task.add_done_callback(lambda _: loop.stop())
    said = False
    while not task.done():
        loop.run_forever()
        if not task.done() and not said:
            log.info("Qt's event loop was ended from outside (the display went away?); finishing the shutdown")
            said = True
    return task.result()


def quit_event(app):
    """The event that ends the session, set by SIGINT, SIGTERM, SIGHUP or Qt quitting (the
    display gone), and the timer that lets Python see a signal; stop the timer at the end.
    Quitting is this event, never QApplication.quit(): that would stop the loop under the
    shutdown (the HTTP client can't close on a stopped loop)."""
    from PySide6.QtCore import QTimer

    quitting = asyncio.Event()
    app.setQuitOnLastWindowClosed(False)
    app.aboutToQuit.connect(quitting.set)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: quitting.set())
    # Python runs signal handlers only when it gets control: a timer gives it some.
    ticker = QTimer(interval=250)
    ticker.timeout.connect(lambda: None)
    ticker.start()
    return quitting, ticker


def _wants_kiosk(mode: str | None) -> bool:
    # Known before the settings load (they load after the first frame): the flag, or KIOSK_MODE.
    return (mode or os.environ.get("KIOSK_MODE", "")) == "selfservice"


async def _run(app, on_ready=None, on_shown=None, mode=None) -> int:
    from kiosk import logs
    from kiosk.app.cashier import Cashier
    from ui.cashier.window import SCREEN_MODULES, WORK_MODULES, CashierWindow
    from ui.common.tasks import Tasks

    quitting, ticker = quit_event(app)
    from kiosk.settings_files import value
    from ui.common import i18n, theme

    # Before the first widget: the words are set as each is made. (The settings load later.)
    if _wants_kiosk(mode):
        i18n.install(app, value("store", "locale") or "")
        from ui.selfservice import kit, session

        app.setProperty("kioskSheet", "full")
        theme.apply_setting(app, value("screen", "theme") or "", kit.body_px())

        try:
            return await session.run(app, quitting, on_ready=on_ready, on_shown=on_shown)
        finally:
            ticker.stop()

    i18n.install(app, value("screen", "language") or "")
    # The cashier's light look is Qt's own with the theme's tones (ui/common/theme.tones_sheet);
    # high contrast is the whole sheet. Ctrl+Shift+H switches between them.
    app.setProperty("kioskSheet", "tones")
    theme.apply_setting(app, value("screen", "theme") or "")
    tasks = Tasks()
    # The application (its hub, the shift, scan routing) first; the window is its screen.
    cashier = Cashier(tasks.work)
    window = CashierWindow(None, tasks, cashier=cashier)
    window.closed.connect(quitting.set)
    from ui.ops.crash import CrashNotices

    crashes = CrashNotices(window).connect_to(window.notices.show_notice)
    painted = _FirstPaint(window.sign_in)
    # Laid out from the screen's size; full screen once the settings say so. Without a
    # window manager nothing maximises a window or gives it the keyboard: the geometry is
    # set here, and the window asks for the keyboard itself.
    window.setGeometry(window.screen().availableGeometry())
    window.showMaximized()
    window.activateWindow()
    if on_shown is not None:
        on_shown(window)
    terminal = bridge = None
    status = 0
    try:
        try:
            # The loading below runs in threads that hold the GIL for most of a second:
            # let the first frame out before it starts, so the cashier sees the form now.
            await painted.wait(timeout=1.0)
            settings = await asyncio.to_thread(_load_settings)
            logs.set_level(settings.log.level)
            if mode is None and settings.mode == "selfservice":
                # The settings say this is a kiosk: the cashier's form goes before the till starts.
                # (Closed for good in the finally below, which quits nothing now.)
                window.closed.disconnect(quitting.set)
                window.hide()
                i18n.install(app, settings.store.locale)
                from ui.selfservice import session

                return await session.run(app, quitting, settings, on_ready=on_ready, on_shown=on_shown)
            lifecycle = await asyncio.to_thread(importlib.import_module, "kiosk.app.terminal")
            # Each step runs to its end (a half-started sandbox or database is worse than
            # a second's wait); closed meanwhile, the steps after it are skipped.
            if quitting.is_set():
                return status
            terminal = await lifecycle.start(settings, cashier.hub)
            if quitting.is_set():
                return status  # the finally stops the terminal just started
        except Exception as exc:  # a start-up failure is a message on screen, not a traceback
            if _is_config_error(exc):
                print(f"kiosk: {exc}", file=sys.stderr)
                status = 2
                window.show_fatal(str(exc))
            else:
                from ui.common.tasks import sentence

                window.show_fatal(sentence(exc, "start-up"))
            await quitting.wait()
            return status
        from ui.common.bridge import HubBridge

        bridge = HubBridge(cashier.hub)
        window.attach(terminal, bridge)
        if on_ready is not None:
            on_ready(window, terminal)
        await settle(WORK_MODULES, SCREEN_MODULES)
        await quitting.wait()
    finally:
        ticker.stop()
        await tasks.cancel_all()
        if bridge is not None:
            bridge.close()
        if terminal is not None:
            await terminal.stop()
        crashes.said.disconnect()
        window.close()
        gc.unfreeze()  # the exit's own clean-up then collects everything, as without settle()
    return status


def _is_config_error(exc: BaseException) -> bool:
    # Named through sys.modules: if kiosk.config itself failed to import, importing it
    # here again would raise a second time, inside the handler.
    config = sys.modules.get("kiosk.config")
    return config is not None and isinstance(exc, config.ConfigError)


class _FirstPaint:
    """Resolves once `widget` has been painted (or after a timeout, for a platform that never paints)."""

    def __init__(self, widget):
        from PySide6.QtCore import QEvent, QObject

        self._done = asyncio.Event()

        class Filter(QObject):
            def eventFilter(inner, obj, event):  # noqa: N802, N805 (Qt's name)
                if event.type() == QEvent.Type.Paint:
                    self._done.set()
                return False

        self._widget, self._filter = widget, Filter()
        widget.installEventFilter(self._filter)

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._done.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            self._widget.removeEventFilter(self._filter)


def _load_settings():
    from kiosk import config

    return config.load_settings()


async def settle(modules: Iterable[str] = (), screen: Iterable[str] = ()) -> None:
    """Import `modules` (Qt-free) in a thread and `screen` (Qt) on this, the GUI,
    thread one at a time, then freeze the heap the start-up made.

    What exists now (modules, classes, the till, the window) lives until the app
    quits. Left to the garbage collector, each full collection walks all of it on
    whichever thread allocates, the GUI thread included: 70-90 ms with the window
    stopped, measured here while scanning and draining. gc.freeze() moves it out
    of the collector's sight; what is made later is collected as usual."""
    def load(name: str) -> None:
        try:
            importlib.import_module(name)
        except Exception:  # loading ahead is an optimisation: the first use reports a real problem
            log.warning("could not load %s ahead of use", name, exc_info=True)

    await asyncio.to_thread(lambda: [load(name) for name in modules])
    for name in screen:
        load(name)
        await asyncio.sleep(0)  # a key press waiting goes first
    gc.freeze()

if __name__ == "__main__":
    sys.exit(main())
