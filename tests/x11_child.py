"""The real `kiosk` window for tests on a real X server (tests/test_ui_x11.py).

Runs `ui.app.run_gui` as the `kiosk` command does (`selfservice` as the argument: the
shoppers' kiosk, as `kiosk --mode selfservice`), on the embedded sandbox, and
prints one `STATE {...}` line whenever what a cashier sees changes: the screen, the
sale's lines, member and cards, which widget has the keyboard, and the codes the
hand-scanner filter took as scans. The test types
with xdotool and reads these lines; SIGTERM ends it.
"""

from __future__ import annotations

import json
import os
import sys

NOW: list = [None]  # what the window shows now, as a STATE line would say it
NESTED: list = []  # stacks of loop callbacks run inside a task's step (_watch_nested_steps)


def _awaiting(task) -> str:
    """Where a task waits: its coroutines, outermost first, and what the innermost awaits."""
    where, coro = [], task.get_coro()
    while coro is not None and hasattr(coro, "cr_frame"):
        if coro.cr_frame is not None:
            where.append(f"{coro.cr_code.co_name}:{coro.cr_frame.f_lineno}")
        awaited = coro.cr_await
        if awaited is None or not hasattr(awaited, "cr_frame"):
            where.append(repr(awaited)[:160])
            break
        coro = awaited
    return " > ".join(where)


def _kiosk_state(window, scans: list) -> dict:
    """The self-service kiosk: which screen shows, what the member and card screens say."""
    from PySide6.QtWidgets import QApplication

    focus = QApplication.focusWidget()
    shown = window.stack.currentWidget()
    name = "attract" if shown is window.attract else "thanks" if shown is window.thanks else next(
        (key for key, screen in window.screens.items() if screen is shown), None)
    member, card = window.screens.get("member"), window.screens.get("card")
    return {"screen": name, "focus": focus.accessibleName() if focus is not None else None, "scans": list(scans),
            "greeting": member.greeting.text() if member is not None else "",
            "balance": card.balance.text() if card is not None else "", "notice": window.notice.text(),
            # What the visit is still waiting on (a scan that seems to go nowhere: still running?).
            "running": _running(window),
            "card_shown": window.shopper.card is not None if window.shopper is not None else None}


def _state(window, scans: list, notices: list) -> dict:
    from PySide6.QtWidgets import QApplication

    if getattr(window, "screens", None) is not None:
        state = _kiosk_state(window, scans)
        if state["notice"] and state["notice"] not in notices[-1:]:
            notices.append(state["notice"])
        state["notices_seen"] = list(notices)
        state["nested_steps"] = len(NESTED)
        return state
    focus = QApplication.focusWidget()
    state = {"screen": "work" if window.work is not None and window.stack.currentWidget() is window.work
             else "sign_in", "focus": focus.accessibleName() if focus is not None else None,
             "scans": list(scans), "message": window.sign_in.message.text()}
    sale = window.sale
    if sale is not None:
        session = sale.session
        state.update(lines=[[line.sku, line.quantity] for line in session.cart.lines],
                     member=session.member_id, cards=[card.code for card in session.cards],
                     notice=window.notices.text)
        if window.notices.text and window.notices.text not in notices[-1:]:
            notices.append(window.notices.text)
    # Every notice shown so far: one lasts seconds, so a failed wait's last state may no longer have it.
    state["notices_seen"] = list(notices)
    state["nested_steps"] = len(NESTED)
    state["running"] = _running(window)
    return state


def _running(window) -> list[str]:
    """The window's work still under way, and where each task waits (a scan that seems to go nowhere)."""
    return sorted(f"{name} at {_awaiting(task)}" for name, task in window.tasks.work._tasks.items() if not task.done())


def _watch_nested_steps(nested: list) -> None:
    """Record where a loop callback ran while a task was executing: a Qt event loop spun
    inside a task's step runs other callbacks inside it, and asyncio refuses to step a task
    there ("Cannot enter into task"), which leaves that task waiting for ever."""
    import asyncio
    import traceback

    original = asyncio.events.Handle._run

    def _run(handle):
        try:
            current = asyncio.current_task()
        except RuntimeError:
            current = None
        if current is not None and not current.done():
            nested.append("".join(traceback.format_stack(limit=25)))
            print("NESTED STEP\n" + nested[-1], file=sys.stderr, flush=True)
        return original(handle)

    asyncio.events.Handle._run = _run


def _report_loop_on(signum: int) -> None:
    """On `signum` (a failed wait sends it): whether the asyncio loop still runs (when its
    heartbeat last ran), every task and where it waits, and what the window shows now."""
    import asyncio
    import signal
    import time

    loop = asyncio.get_event_loop()
    beat = [time.monotonic()]

    def heartbeat() -> None:
        beat[0] = time.monotonic()
        loop.call_later(0.2, heartbeat)

    loop.call_later(0.2, heartbeat)

    def report(*_args) -> None:
        lines = [f"LOOP heartbeat {time.monotonic() - beat[0]:.2f} s ago"]
        for task in asyncio.all_tasks(loop):
            lines.append(f"LOOP task {task.get_name()} at {_awaiting(task)}")
        if NOW[0] is not None:
            lines.append(f"NOW {json.dumps(NOW[0](), sort_keys=True)}")
        print("\n".join(lines), file=sys.stderr, flush=True)

    signal.signal(signum, report)


def _busy_after(keys: int):
    """The GUI thread busy for 300 ms once `keys` key presses came from the X server (as when a
    screen is built or a collection runs), so the rest of a scanner's burst waits in the queue."""
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QWindow
    from PySide6.QtWidgets import QApplication

    class Busy(QObject):
        seen = 0

        def eventFilter(self, watched, event):  # noqa: N802 (Qt's name)
            if event.type() == QEvent.KeyPress and isinstance(watched, QWindow) and event.text():
                self.seen += 1
                if self.seen == keys:  # once that key is handled, with the hold's timer running
                    QTimer.singleShot(5, lambda: time.sleep(0.300))  # a timer: 0 would be a posted call
            return False

    busy = Busy()
    QApplication.instance().installEventFilter(busy)
    return busy


def main() -> int:
    import faulthandler
    import signal

    from PySide6.QtCore import QTimer

    faulthandler.register(signal.SIGUSR1)  # every thread's stack on stderr: what a stuck wait waits on

    from ui.app import run_gui

    _watch_nested_steps(NESTED)
    timers = []

    def ready(window, _terminal):
        last, scans, notices = [None], [], []
        window.wedge.scanned.connect(lambda code, _receiver: scans.append(code))

        def report():
            try:
                state = json.dumps(_state(window, scans, notices), sort_keys=True)
            except Exception:  # a harness bug must show, not stop the reports silently
                import traceback

                print("REPORT FAILED\n" + traceback.format_exc(), file=sys.stderr, flush=True)
                raise
            if state != last[0]:
                last[0] = state
                print("STATE", state, flush=True)

        block_after = int(os.environ.get("X11_CHILD_BUSY_AFTER_KEYS", "0"))
        if block_after:
            timers.append(_busy_after(block_after))
        timer = QTimer(interval=50)
        timer.timeout.connect(report)
        timer.start()
        timers.append(timer)
        NOW[0] = lambda: _state(window, scans, notices)
        _report_loop_on(signal.SIGUSR2)
        print("READY", window.winId(), flush=True)

    return run_gui(on_ready=ready, mode=sys.argv[1] if len(sys.argv) > 1 else None)


if __name__ == "__main__":
    sys.exit(main())
