"""systemd's notify protocol and watchdog, against a fake NOTIFY_SOCKET: a Unix datagram
socket this test binds, read as systemd reads it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk.ops.sdnotify import Notifier

ROOT = Path(__file__).resolve().parents[1]


class FakeSystemd:
    """Records each datagram with the time it arrived, from a thread of its own."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.got: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.got.append((time.monotonic(), data.decode()))

    def said(self, state: str) -> list[float]:
        return [at for at, text in list(self.got) if text == state]

    def wait_for(self, state: str, timeout: float) -> float:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.said(state):
                return self.said(state)[0]
            time.sleep(0.02)
        raise AssertionError(f"systemd was never told {state}; it got {[t for _, t in self.got]}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def systemd(tmp_path):
    fake = FakeSystemd(tmp_path / "notify")
    yield fake
    fake.close()


def test_outside_systemd_nothing_is_sent_and_nothing_fails():
    notifier = Notifier({})
    assert not notifier.active and notifier.watchdog_seconds is None
    assert notifier.send("READY=1") is False


def test_the_watchdog_period_is_for_this_process_only():
    assert Notifier({"WATCHDOG_USEC": "3000000"}).watchdog_seconds == 3.0
    assert Notifier({"WATCHDOG_USEC": "3000000", "WATCHDOG_PID": str(os.getpid())}).watchdog_seconds == 3.0
    # cage is the kiosk unit's main process: the app, its child, feeds the watchdog for it.
    assert Notifier({"WATCHDOG_USEC": "3000000", "WATCHDOG_PID": str(os.getppid())}).watchdog_seconds == 3.0
    assert Notifier({"WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "999999999"}).watchdog_seconds is None
    assert Notifier({"WATCHDOG_USEC": "junk"}).watchdog_seconds is None


def test_an_abstract_socket_name_is_reached(tmp_path):
    name = f"kiosk-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    try:
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).send("READY=1")
        assert sock.recv(100) == b"READY=1"
    finally:
        sock.close()


def test_a_socket_gone_away_is_logged_once_and_sending_goes_on_failing_quietly(tmp_path, caplog):
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "nobody")})
    assert notifier.send("WATCHDOG=1") is False
    assert notifier.send("WATCHDOG=1") is False
    assert len([r for r in caplog.records if "could not tell systemd" in r.getMessage()]) == 1


def test_pings_come_every_half_period_and_stop_while_the_gui_thread_is_blocked(qtbot, systemd):
    from PySide6.QtCore import QTimer

    from ui.common.watchdog import Watchdog

    watchdog = Watchdog(notifier=Notifier({"NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "400000"}))
    watchdog.start()
    qtbot.waitUntil(lambda: bool(systemd.said("READY=1")), timeout=2000)  # said from the event loop's first pass
    qtbot.wait(1200)
    pings = systemd.said("WATCHDOG=1")
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert len(pings) >= 4, pings
    assert 0.15 <= sorted(gaps)[len(gaps) // 2] <= 0.3, gaps  # 200 ms: half of WatchdogSec

    blocked = {}

    def hang():  # what a GUI thread stuck in a long call looks like from outside
        blocked["from"] = time.monotonic()
        time.sleep(1.0)
        blocked["to"] = time.monotonic()

    QTimer.singleShot(0, hang)
    qtbot.waitUntil(lambda: "to" in blocked, timeout=5000)
    qtbot.wait(600)
    watchdog.stop()  # STOPPING=1 is sent at once: no event loop needed
    during = [at for at in systemd.said("WATCHDOG=1") if blocked["from"] + 0.05 < at < blocked["to"]]
    assert during == [], "the watchdog was fed while the GUI thread was blocked"
    assert [at for at in systemd.said("WATCHDOG=1") if at > blocked["to"]], "pings did not come back"
    systemd.wait_for("STOPPING=1", 2)


@pytest.mark.slow
def test_the_installed_command_tells_systemd_it_is_ready_alive_and_stopping(systemd, tmp_path):
    """`kiosk --service-screen`, the screen a kiosk unit falls back on, as a unit starts it."""
    env = {**os.environ, "NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "600000",
           "QT_QPA_PLATFORM": "offscreen"}
    env.pop("WATCHDOG_PID", None)
    proc = subprocess.Popen([sys.executable, "-m", "ui.app", "--service-screen"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready = systemd.wait_for("READY=1", 60)
        time.sleep(1.5)
        pings = [at for at in systemd.said("WATCHDOG=1") if at > ready]
        assert len(pings) >= 3, systemd.got
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert systemd.said("STOPPING=1"), systemd.got
