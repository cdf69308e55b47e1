"""The real `kiosk` window for tests on a real X server (tests/test_ui_x11.py).

Runs `ui.app.run_gui` as the `kiosk` command does, on the embedded sandbox, and
prints one `STATE {...}` line whenever what a cashier sees changes: the screen, the
sale's lines, member and cards, which widget has the keyboard, and the codes the
hand-scanner filter took as scans. The test types
with xdotool and reads these lines; SIGTERM ends it.
"""

from __future__ import annotations

import json
import sys


def _state(window, scans: list, notices: list) -> dict:
    from PySide6.QtWidgets import QApplication

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
    return state


def main() -> int:
    from PySide6.QtCore import QTimer

    from ui.app import run_gui

    timers = []

    def ready(window, _terminal):
        last, scans, notices = [None], [], []
        window.wedge.scanned.connect(lambda code, _receiver: scans.append(code))

        def report():
            state = json.dumps(_state(window, scans, notices), sort_keys=True)
            if state != last[0]:
                last[0] = state
                print("STATE", state, flush=True)

        timer = QTimer(interval=50)
        timer.timeout.connect(report)
        timer.start()
        timers.append(timer)
        print("READY", window.winId(), flush=True)

    return run_gui(on_ready=ready)


if __name__ == "__main__":
    sys.exit(main())
