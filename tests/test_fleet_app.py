"""The real cashier window with telemetry on, in its own process: it exports, counts a hand
scanner's scan (which goes from the window's filter to the sale, not through the hub), and
closing the window quits at once with exit status 0, the last export sent on the way out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.otlp_receiver import Receiver

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # the whole app, started and quit

APP = """
import sys
from PySide6.QtCore import QTimer
from ui.app import run_gui

def ready(window, terminal):
    window.wedge.scanned.emit("M100002", None)  # what the filter emits for a hand scanner's burst
    QTimer.singleShot(1500, window.close)

sys.exit(run_gui(on_ready=ready))
"""


def test_the_window_exports_counts_a_hand_scan_and_quits_without_waiting(tmp_path):
    receiver = Receiver().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "OTEL_"))}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"), KIOSK_SYSTEM_SETTINGS=str(tmp_path / "none.toml"),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", QT_QPA_PLATFORM="offscreen",
               KIOSK_SCANNER__CAMERA="", KIOSK_TELEMETRY__ENABLED="true",
               KIOSK_TELEMETRY__ENDPOINT=receiver.endpoint, KIOSK_TELEMETRY__INTERVAL_S="60")
    try:
        done = subprocess.run([sys.executable, "-c", APP], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
        # An interval of a minute: what arrived is the last export, sent as the window closed.
        assert receiver.wait_for(1, 10)
        resource, metrics = receiver.metrics(receiver.requests[-1])
        assert resource["kiosk.backend.vendor"] == "sandbox"
        scans = {attrs["kiosk.scan.source"]: value for attrs, value in metrics["kiosk.scans"]}
        assert scans == {"wedge": 1}
    finally:
        receiver.stop()
