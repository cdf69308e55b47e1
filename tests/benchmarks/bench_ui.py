"""The cashier window: cold start against a bare PySide6 window, started the same way.

Each start is a new `python` process timed from spawn to the moment its window is
interactive: painted, with the event loop running. For the bare window that is
show() then processEvents(); for Kiosk, the first paint of the sign-in form's PIN
field (the form takes typing from then on). Kiosk's second figure is the till
ready: the terminal started on the embedded sandbox with demo data, in a fresh
data folder, so a sign-in is checked at once. Median of 5 each, alternating.

The project's modules are byte-compiled first, as an installed app's are (pip and the
package byte-compile at install): a checkout run with PYTHONDONTWRITEBYTECODE set would
otherwise compile every module from source at every start, which no store's till does.
"""

from __future__ import annotations

import compileall
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
import sys, time
from PySide6.QtCore import QEvent, QObject
from ui.app import run_gui

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj is self.target:
            obj.removeEventFilter(self)
            print("READY", flush=True)
        return False

first_paint = FirstPaint()
def shown(window):
    first_paint.target = window.sign_in.pin
    window.sign_in.pin.installEventFilter(first_paint)
def ready(window, terminal):
    print("TILL", flush=True)
    window.close()
sys.exit(run_gui(on_ready=ready, on_shown=shown))
"""


def _start(code: str, env: dict, wait_for: tuple[str, ...] = ("READY",)) -> list[float]:
    """Seconds from spawn to each of the `wait_for` lines, in that order."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    seen: list[float] = []
    try:
        for line in proc.stdout:
            if len(seen) < len(wait_for) and line.strip() == wait_for[len(seen)]:
                seen.append(time.perf_counter() - started)
            if len(seen) == len(wait_for):
                return seen
        raise RuntimeError(f"no {wait_for[len(seen)]} line (exit {proc.wait()})")
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
    for package in ("kiosk", "ui"):
        compileall.compile_dir(ROOT / package, quiet=1)
    bare, kiosk, till = [], [], []
    for n in range(rounds):
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
            env.update(QT_QPA_PLATFORM=env.get("QT_QPA_PLATFORM", "offscreen"), XDG_DATA_HOME=f"{tmp}/data",
                       XDG_CONFIG_HOME=f"{tmp}/config", KIOSK_SCANNER__CAMERA="")
            bare += _start(BARE, env)
            shown, ready = _start(KIOSK, env, ("READY", "TILL"))
            kiosk.append(shown)
            till.append(ready)
    ratio = statistics.median(kiosk) / statistics.median(bare)
    detail = f"median of {rounds}, new process each, fresh data folder, embedded sandbox, byte-compiled"
    return [
        {"name": "cold start, bare PySide6 window", "value": statistics.median(bare) * 1000, "unit": "ms",
         "target": None, "ok": None, "detail": detail},
        {"name": "cold start, Kiosk window interactive", "value": statistics.median(kiosk) * 1000, "unit": "ms",
         "target": None, "ok": None, "detail": f"sign-in form painted; max {max(kiosk) * 1000:.0f} ms"},
        {"name": "cold start, Kiosk till ready", "value": statistics.median(till) * 1000, "unit": "ms",
         "target": None, "ok": None,
         "detail": f"embedded sandbox + demo till up, sign-in checked at once; max {max(till) * 1000:.0f} ms"},
        {"name": "cold start ratio, Kiosk / bare", "value": ratio, "unit": "x", "target": f"<= {TARGET_RATIO}",
         "ok": ratio <= TARGET_RATIO, "detail": "same machine, same run"},
    ]
