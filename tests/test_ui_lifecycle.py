"""Start and stop of the real app, in its own process: whatever ends the session,
the shutdown runs in order (the embedded sandbox and the databases closed: SQLite
removes its -wal and -shm files on the last close), exit status 0, no traceback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

KIOSK = str(Path(sys.executable).with_name("kiosk"))
pytestmark = pytest.mark.slow


@pytest.fixture
def user(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", "PYTHONFAULTHANDLER": "1"}
    return tmp_path / "data" / "kiosk" / "demo", env  # no settings: the demo environment's folder


def wait_until_running(proc: subprocess.Popen, data: Path, timeout: float = 90) -> None:
    """Until the embedded sandbox and the till have their databases open (write-ahead logs exist)."""
    deadline = time.monotonic() + timeout
    while not all((data / name).exists() for name in ("sandbox.sqlite3-wal", "terminal.sqlite3-wal")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.1)
    time.sleep(1.0)  # the window attached, the selling screen's modules loading


def assert_clean_exit(proc: subprocess.Popen, data: Path) -> str:
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Error" not in err.replace("X11 connection broke (error", ""), err
    left = sorted(p.name for p in data.iterdir() if p.name.endswith(("-wal", "-shm")))
    assert left == [], f"databases left open: {left}"
    return err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_shuts_down_in_order_and_exits_0(user, signum):
    data, env = user
    proc = subprocess.Popen([KIOSK], env={**env, "QT_QPA_PLATFORM": "offscreen"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_until_running(proc, data)
        proc.send_signal(signum)
        assert_clean_exit(proc, data)
    finally:
        proc.kill()


def test_closing_the_last_window_shuts_down_in_order_and_exits_0(user):
    data, env = user
    # The app's own entry point; once the till is up the window is closed as a window
    # manager closes it (a close event to the window).
    code = ("import sys\nfrom PySide6.QtCore import QTimer\nfrom ui.app import run_gui\n"
            "sys.exit(run_gui(on_ready=lambda window, terminal: QTimer.singleShot(1000, window.close)))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**env, "QT_QPA_PLATFORM": "offscreen"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1])
    try:
        assert_clean_exit(proc, data)
    finally:
        proc.kill()


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (Debian package xvfb, in scripts/setup.sh)")
def test_the_display_going_away_ends_the_session_not_in_a_crash(user):
    data, env = user
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            display = ":" + pipe.readline().strip()
        proc = subprocess.Popen([KIOSK], env={**env, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until_running(proc, data)
            xvfb.kill()
            xvfb.wait(10)
            err = assert_clean_exit(proc, data)
            assert "X11 connection broke" in err  # it really was the display that went
        finally:
            proc.kill()
    finally:
        xvfb.kill()
        xvfb.wait(10)
