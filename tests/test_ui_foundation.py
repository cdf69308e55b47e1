"""The UI's plumbing: events reach widgets on the GUI thread; tasks report as the cashier needs."""

from __future__ import annotations

import asyncio
import threading

import pytest
from PySide6.QtCore import QThread
from PySide6.QtGui import QImage

from kiosk.checkout.errors import CheckoutError
from kiosk.events import EventHub
from kiosk.outbox import events as ev
from ui.common.bridge import HubBridge
from ui.common.tasks import BUG_MESSAGE, Tasks


def test_an_event_published_on_another_thread_arrives_on_the_gui_thread(qtbot):
    hub = EventHub()
    bridge = HubBridge(hub)
    seen = []
    bridge.connectivity.connect(lambda state, detail: seen.append((state, QThread.currentThread())))
    worker = threading.Thread(target=lambda: hub.publish(ev.ConnectivityChanged("offline", "gone")))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(seen), timeout=2000)
    assert seen == [("offline", bridge.thread())]
    bridge.close()
    hub.publish(ev.ConnectivityChanged("online"))
    qtbot.wait(50)
    assert len(seen) == 1  # closed: the core can publish while the widgets are gone


def test_tasks_replace_by_name_and_turn_errors_into_sentences(qtbot, qloop):
    tasks = Tasks()
    notices, results = [], []
    tasks.failed.connect(notices.append)

    async def slow(value):
        await asyncio.sleep(0.5)
        return value

    first = tasks.run("lookup", slow(1), results.append)
    second = tasks.run("lookup", slow(2), results.append)  # a new scan replaces the lookup under way
    # The result is handed over by the task's done callback, a loop pass after the task ends.
    qtbot.waitUntil(lambda: second.done() and results == [2], timeout=3000)
    assert first.cancelled() and results == [2]

    async def refuse():
        raise CheckoutError("Gift card has 4.20 left; 15.80 still due.")

    async def bug():
        raise KeyError("x")

    tasks.run("pay", refuse())
    tasks.run("other", bug())
    qtbot.waitUntil(lambda: len(notices) == 2, timeout=3000)
    assert notices == ["Gift card has 4.20 left; 15.80 still due.", BUG_MESSAGE]


def test_a_plain_value_error_is_a_bug_logged_not_a_sentence_shown(qtbot, qloop, caplog):
    from ui.cashier.dialog_kit import CashierDialog

    async def internal():
        raise ValueError("invalid literal for int() with base 10: 'M100001'")

    tasks = Tasks()
    notices = []
    tasks.failed.connect(notices.append)
    tasks.run("lookup", internal())
    dialog = CashierDialog(tasks)
    qtbot.addWidget(dialog)
    dialog.run("search", internal())
    qtbot.waitUntil(lambda: bool(notices and dialog.error.text()), timeout=3000)
    assert notices == [BUG_MESSAGE] and dialog.error.text() == BUG_MESSAGE  # one rule, both ways in
    failures = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], ValueError)]
    assert [r.getMessage() for r in failures] == ["task lookup failed", "dialog task search failed"]


def test_a_spinner_only_when_a_person_waits_longer_than_150_ms(qtbot, qloop):
    tasks = Tasks()
    busy = []
    tasks.busy.connect(lambda name, on: busy.append((name, on)))

    async def wait(seconds):
        await asyncio.sleep(seconds)

    quick = tasks.run("quick", wait(0.01))
    qtbot.waitUntil(quick.done, timeout=2000)
    qtbot.wait(200)
    slow = tasks.run("slow", wait(0.4))
    qtbot.waitUntil(slow.done, timeout=2000)
    qtbot.wait(20)
    assert ("quick", True) not in busy
    assert ("slow", True) in busy and busy[-1] == ("slow", False)


def test_the_lag_monitor_sees_a_blocked_gui_thread(qtbot):
    import time

    from ui.lag import LagMonitor

    from PySide6.QtCore import QTimer

    monitor = LagMonitor().start()
    qtbot.wait(100)
    quiet = monitor.worst_ms
    QTimer.singleShot(10, lambda: time.sleep(0.12))  # a bug blocking the GUI thread for 120 ms
    qtbot.wait(300)
    monitor.stop()
    assert monitor.worst_ms >= 100 > quiet


def test_the_camera_preview_shows_frames_and_outlines_what_was_found(qtbot):
    import numpy as np

    from kiosk.scanner.reader import FrameReader
    from tests.scanner_images import render
    from ui.common.camera_preview import CameraPreview, FrameRelay

    preview = CameraPreview()
    qtbot.addWidget(preview)
    relay = FrameRelay(max_fps=1000)
    relay.frame.connect(preview.show_frame)
    frame = np.full((480, 640), 255, np.uint8)
    code = render("QRCode", "M100002")
    frame[100:100 + code.shape[0], 200:200 + code.shape[1]] = code
    symbols = FrameReader().read(frame, 1.0)
    worker = threading.Thread(target=relay.offer, args=(frame, symbols))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: preview.frames_shown == 1, timeout=2000)
    assert symbols and len(preview._outlines) == 1 and len(preview._outlines[0]) == 4
    preview.resize(320, 240)
    shot = preview.grab().toImage()
    green = [shot.pixelColor(x, y).name() for x in range(0, 320, 2) for y in range(0, 240, 2)]
    assert "#3ddc84" in green  # the outline is drawn
    # Told the preview's size, the relay hands over a frame already that small, outline and all.
    preview.resized.connect(relay.set_fit)
    preview.show()  # a hidden widget is told its size only once shown
    preview.resize(330, 250)
    qtbot.waitUntil(lambda: relay.fit is not None and relay.fit[0] >= 330, timeout=2000)
    big_corner = symbols[0].position[0]
    relay.offer(frame, symbols)
    qtbot.waitUntil(lambda: preview.frames_shown == 2, timeout=2000)
    ratio = preview.devicePixelRatioF()
    assert preview._image.width() <= 330 * ratio and preview._image.height() <= 250 * ratio
    assert preview._image.format() == QImage.Format.Format_RGB32
    scale = preview._image.width() / 640
    assert preview._outlines[0][0] == pytest.approx((big_corner[0] * scale, big_corner[1] * scale), abs=1)


def test_the_sign_in_screen_loads_nothing_heavy():
    """What the first frame needs must stay light (cold start <= 2x a bare window):
    the checkout, NumPy, OpenCV, python-escpos, pydantic and httpx load after it."""
    import json
    import os
    import subprocess
    import sys

    heavy = ["numpy", "cv2", "escpos", "pydantic", "httpx", "sqlite3", "kiosk.checkout.service", "kiosk.config",
             "kiosk.app.sale", "ui.receipts.preview"]
    # run_gui's own imports before the window come first (kiosk.private once pulled pydantic in).
    code = ("import json, sys; import ui.app\n"
            "from kiosk import logs, private; from kiosk.ops import hooks, logfiles; import qasync\n"
            "from PySide6.QtWidgets import QApplication\n"
            "from ui.cashier.window import CashierWindow\n"
            "from ui.common.tasks import Tasks\n"
            "app = QApplication([]); window = CashierWindow(None, Tasks()); window.show(); app.processEvents()\n"
            f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
