"""The frozen app's cold start against the source tree's, in one run: from the process's
start to systemd's READY=1 (the event loop's first pass, with the window shown), alternating
the two, the median of each. Needs the bundle (bash packaging/build.sh): without it, one row
says so."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.test_watchdog import FakeSystemd

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "kiosk" / "kiosk"
ROUNDS = 7


def _ready_ms(command: list[str], home: Path) -> float:
    with tempfile.TemporaryDirectory() as folder:
        systemd = FakeSystemd(Path(folder) / "notify")
        env = {**os.environ, "NOTIFY_SOCKET": str(systemd.path), "QT_QPA_PLATFORM": "offscreen",
               "XDG_CONFIG_HOME": str(home / "c"), "XDG_DATA_HOME": str(home / "d"),
               "XDG_STATE_HOME": str(home / "s"), "KIOSK_SCANNER__CAMERA": ""}
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ready = systemd.wait_for("READY=1", 60)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            systemd.close()
    return (ready - started) * 1000


def run() -> list[dict]:
    if not BUNDLE.exists():
        return [{"name": "frozen cold start / source tree's", "value": None, "unit": "ratio", "target": None,
                 "ok": None, "detail": "no bundle: run bash packaging/build.sh first"}]
    frozen, source = [], []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(ROUNDS):  # alternating, so a busy moment costs both alike
            frozen.append(_ready_ms([str(BUNDLE)], Path(home)))
            source.append(_ready_ms([sys.executable, "-m", "ui.app"], Path(home)))
    f, s = statistics.median(frozen), statistics.median(source)
    load = os.getloadavg()[0]
    return [
        {"name": "frozen bundle: start to first pass (READY=1), median", "value": f, "unit": "ms", "target": None,
         "ok": None, "detail": f"{ROUNDS} rounds; load {load:.2f}"},
        {"name": "source tree: start to first pass (READY=1), median", "value": s, "unit": "ms", "target": None,
         "ok": None, "detail": f"{ROUNDS} rounds"},
        {"name": "frozen cold start / source tree's", "value": f / s, "unit": "ratio", "target": None,
         "ok": None, "detail": "same run, alternating"},
    ]
