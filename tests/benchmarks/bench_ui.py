"""The cashier window: cold start against a bare PySide6 window, started the same way.

Each start is a new `python` process timed from spawn to the moment the window is
interactive (for Kiosk: signed-out screen up, terminal started on the embedded
sandbox with demo data, in a fresh data folder). Median of 5 each, alternating.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 2.0

BARE = """
import sys, time
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1280, 800); w.show()
app.processEvents()
print("READY", flush=True)
"""

KIOSK = """
import sys
from PySide6.QtWidgets import QApplication
from ui.app import run_gui
def ready(window, terminal):
    QApplication.processEvents()
    print("READY", flush=True)
    window.close()
sys.exit(run_gui(on_ready=ready))
"""


def _start(code: str, env: dict) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.strip() == "READY":
                return time.perf_counter() - started
        raise RuntimeError(f"no READY line (exit {proc.wait()})")
    finally:
        proc.stdout.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()  # never leave a spinning child behind to skew the next measurement
            proc.wait()
            raise


def run() -> list[dict]:
    rounds = int(os.environ.get("KIOSK_BENCH_ROUNDS", "5"))
    bare, kiosk = [], []
    for n in range(rounds):
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
            env.update(QT_QPA_PLATFORM=env.get("QT_QPA_PLATFORM", "offscreen"), XDG_DATA_HOME=f"{tmp}/data",
                       XDG_CONFIG_HOME=f"{tmp}/config", KIOSK_SCANNER__CAMERA="")
            bare.append(_start(BARE, env))
            kiosk.append(_start(KIOSK, env))
    ratio = statistics.median(kiosk) / statistics.median(bare)
    detail = f"median of {rounds}, new process each, fresh data folder, embedded sandbox"
    return [
        {"name": "cold start, bare PySide6 window", "value": statistics.median(bare) * 1000, "unit": "ms",
         "target": None, "ok": None, "detail": detail},
        {"name": "cold start, Kiosk window interactive", "value": statistics.median(kiosk) * 1000, "unit": "ms",
         "target": None, "ok": None, "detail": f"max {max(kiosk) * 1000:.0f} ms"},
        {"name": "cold start ratio, Kiosk / bare", "value": ratio, "unit": "x", "target": f"<= {TARGET_RATIO}",
         "ok": ratio <= TARGET_RATIO, "detail": "same machine, same run"},
    ]
