"""The self-service kiosk at work: a card scan to the member shown, the idle reset, a day of visits.

Each scenario runs in a new `python` process with its own QApplication and qasync loop,
a real SelfServiceWindow (1366x768, the smallest display a kiosk is sold with) attached
to a real terminal, and the sandbox as a separate process, as
tests/benchmarks/bench_ui_live.py runs the cashier's window.

- attract screen to member shown, at 100 ms injected backend latency: the card comes
  through the camera route, as in the cashier's benchmark: tests/live_scan.PacedFrames
  plays generated 720p counter scenes at 30 fps with a member's QR code in view, the
  till's own ScanPipeline decodes them and publishes the Scanned event on the window's
  hub, where the kiosk's scan router takes it. The clock runs from the capture time of the
  first frame showing the code to the Paint event of the member screen's greeting once it
  greets that member. Each round starts on the attract screen of a new visit (reset
  between rounds), from an idle camera; the first round is a warm-up. Target: p95 <= one
  round trip (median single GET, same process, same run) + 50 ms.
- idle reset to the attract screen painted: from a member's screen, the idle question's
  countdown ends (`Question.answer` with its `when_done`, the call its timer makes at
  zero) to the Paint event of the attract screen's "Scan your card". The reset ends the
  visit, clears and drops its screens and starts the next visit. Target: <= 100 ms.
- switching language to repainted: a shopper taps a language on the language screen (the
  button's clicked signal) to the Paint event of the words in that language: on the
  attract screen ("Scan your card"), and from a member's screen in the middle of a visit,
  which is built again in the language and shows the same member (its greeting). The
  languages go round es, fr, ar, en. Target: <= 100 ms.
- soak: 1,000 scripted visits, no injected latency: a member scanned (M100001..M100006 in
  turn; the hub's Scanned event, the camera's route without the camera), the member
  screen shown, every other visit a reward chosen and its pass shown, then the idle reset.
  Resident memory (VmRSS) after the last visit / after the 50th: <= 1.05; live QObjects
  (the window's descendants and the application's widgets) after the 50th and the last:
  flat (a leaking visit adds dozens each time).
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import sys
import time
from pathlib import Path

from tests.benchmarks.bench_ui_live import (LATENCY_MS, SCAN_SLACK_MS, _PaintWatch, _p95, child_main, run_child,
                                            _status_mb, _stop, _until, open_terminal, set_latency,
                                            slowed_round_trips)

RESET_TARGET_MS = 100
SWITCH_TARGET_MS = 100
ROUND = ("es", "fr", "ar", "en")
RSS_RATIO_TARGET = 1.05
QOBJECT_SLACK = 10  # "flat": a handful either way (timers, a pending deleteLater)
MEMBERS = tuple(f"M10000{n}" for n in range(1, 7))


def _child(scenario: str, rounds: int) -> dict:
    return run_child("tests.benchmarks.bench_selfservice", scenario, rounds, timeout=1800)


def run() -> list[dict]:
    scan = _child("scan", int(os.environ.get("KIOSK_BENCH_SCANS", "30")))
    reset = _child("reset", int(os.environ.get("KIOSK_BENCH_RESETS", "30")))
    switch = _child("language", int(os.environ.get("KIOSK_BENCH_SWITCHES", "20")))
    soak = _child("soak", int(os.environ.get("KIOSK_BENCH_VISITS", "1000")))
    rtt, shown = scan["get_median_ms"], scan["shown_ms"]
    p95, target = _p95(shown), scan["get_median_ms"] + SCAN_SLACK_MS
    resets = reset["reset_ms"]
    ratio = soak["rss_last_mb"] / soak["rss_50_mb"]
    grew = soak["qobjects_last"] - soak["qobjects_50"]
    return [
        {"name": "kiosk: single GET (get_points) median", "value": rtt, "unit": "ms", "target": None, "ok": None,
         "detail": f"one round trip at {LATENCY_MS} ms injected latency, n={scan['get_n']}"},
        {"name": "kiosk: attract to member shown, median", "value": statistics.median(shown), "unit": "ms",
         "target": None, "ok": None, "detail": f"n={len(shown)} card scans, code frame captured -> greeting painted"},
        {"name": "kiosk: attract to member shown, p95", "value": p95, "unit": "ms", "target": f"<= {target:.0f}",
         "ok": p95 <= target, "detail": f"1 round trip + {SCAN_SLACK_MS} ms; max {max(shown):.0f} ms"},
        {"name": "kiosk: idle reset to attract painted, median", "value": statistics.median(resets), "unit": "ms",
         "target": None, "ok": None, "detail": f"n={len(resets)}, from a member's screen"},
        {"name": "kiosk: idle reset to attract painted, max", "value": max(resets), "unit": "ms",
         "target": f"<= {RESET_TARGET_MS}", "ok": max(resets) <= RESET_TARGET_MS,
         "detail": f"p95 {_p95(resets):.1f} ms; countdown's end -> 'Scan your card' painted"},
        *({"name": f"kiosk: language switch to repainted, {where}, max", "value": max(switch[key]), "unit": "ms",
           "target": f"<= {SWITCH_TARGET_MS}", "ok": max(switch[key]) <= SWITCH_TARGET_MS,
           "detail": f"median {statistics.median(switch[key]):.1f} ms, n={len(switch[key])}; tap -> {what} painted"}
          for where, key, what in (("attract screen", "attract_ms", "'Scan your card'"),
                                   ("member screen", "member_ms", "the greeting, screen built again"))),
        {"name": "kiosk soak: RSS after last / after 50th", "value": ratio, "unit": "x",
         "target": f"<= {RSS_RATIO_TARGET}", "ok": ratio <= RSS_RATIO_TARGET,
         "detail": f"{soak['rss_50_mb']:.1f} -> {soak['rss_200_mb']:.1f} (200th) -> {soak['rss_last_mb']:.1f} MB "
                   f"over {soak['visits']} visits "
                   f"({soak['rewards']} with a reward pass), {soak['seconds']:.0f} s"},
        {"name": "kiosk soak: live QObjects, last - 50th", "value": grew, "unit": "objects",
         "target": f"<= {QOBJECT_SLACK}", "ok": abs(grew) <= QOBJECT_SLACK,
         "detail": f"{soak['qobjects_50']} after the 50th visit, {soak['qobjects_last']} after the last"},
    ]


# -- the child: the kiosk's window on a qasync loop --------------------------------------------------


async def _open_kiosk(info: dict, folder: Path):
    from tests.checkout_env import settings_for
    from ui.app import settle
    from ui.common.bridge import HubBridge
    from ui.common.tasks import Tasks
    from ui.selfservice.session import SCREEN_MODULES, WORK_MODULES
    from ui.selfservice.window import SelfServiceWindow

    settings = settings_for(folder)
    settings.selfservice.idle_s = 3600  # the benchmark says when a visit ends, not the clock
    tasks = Tasks()
    window = SelfServiceWindow(tasks, settings)
    window.resize(1366, 768)
    window.show()
    terminal = await open_terminal(info, settings, window.hub)
    bridge = HubBridge(window.hub)
    window.attach(terminal, bridge)
    await settle(WORK_MODULES, SCREEN_MODULES)  # as ui/selfservice/session.py does once the till is up
    await _until(lambda: "member" in window.screens, 5)
    return window, terminal, bridge, tasks


async def _close_kiosk(window, terminal, bridge, tasks) -> None:
    window.leave(0)
    window.close()
    await tasks.cancel_all()
    bridge.close()
    await terminal.stop()


def _greets(window, member_id: str):
    def ready() -> bool:
        shopper = window.shopper
        return (shopper is not None and shopper.member is not None and shopper.member.member_id == member_id
                and window.stack.currentWidget() is window.screens.get("member")
                and window.screens["member"].greeting.text() != "")
    return ready


async def _new_visit(window) -> None:
    window.reset()
    await _until(lambda: "member" in window.screens, 5)
    await asyncio.sleep(0.1)


async def _scan(app, info: dict, folder: Path, rounds: int) -> dict:
    from tests.live_scan import MEMBER, PacedFrames, pipeline_for, scene_frames, timeline

    window, terminal, bridge, tasks = await _open_kiosk(info, folder)
    try:
        gets = await slowed_round_trips(info, terminal.connection.client, MEMBER)
        empty, coded = scene_frames()
        phase = random.Random(7)  # when the card comes into view, against the frame rhythm
        shown = []
        for n in range(rounds + 1):
            frames, code = timeline(empty, coded, before_s=0.5 + phase.uniform(0, 0.25), code_s=1.5, after_s=0.5)
            await _new_visit(window)
            watch = _PaintWatch(window.screens["member"].greeting, _greets(window, MEMBER))
            source = PacedFrames(frames, fps=30, code=code)
            pipeline = pipeline_for(source, window.hub.publish, terminal.settings.scanner)
            source.start()
            pipeline.start()
            try:
                await _until(lambda: watch.at is not None, 8)
            finally:
                watch.close()
                await _stop(pipeline)
            if n:  # the first is a warm-up: the first decode and the first look-up
                shown.append((watch.at - source.code_shown_at) * 1000)
        set_latency(info, 0)
    finally:
        await _close_kiosk(window, terminal, bridge, tasks)
    return {"get_median_ms": statistics.median(gets), "get_n": len(gets), "shown_ms": shown}


async def _show_member(window, member_id: str) -> None:
    from kiosk.scanner.events import Scanned
    from kiosk.scanner.payload import MemberRef

    window.hub.publish(Scanned(MemberRef("id", member_id), "QRCode", "camera"))
    await _until(_greets(window, member_id), 10)


async def _reset(app, info: dict, folder: Path, rounds: int) -> dict:
    from tests.live_scan import MEMBER

    window, terminal, bridge, tasks = await _open_kiosk(info, folder)
    try:
        times = []
        for n in range(rounds + 1):
            await _show_member(window, MEMBER)
            await asyncio.sleep(0.1)
            window.question.ask("idle", "Still there?", "", [("stay", "Yes, I'm here")], countdown_s=20,
                                when_done="reset")
            await asyncio.sleep(0.1)
            watch = _PaintWatch(window.attract.scan, lambda: window.stack.currentWidget() is window.attract)
            started = time.monotonic()
            window.question.answer("reset")  # what the countdown's timer calls at zero
            try:
                await _until(lambda: watch.at is not None, 5, interval=0.001)
            finally:
                watch.close()
            if n:
                times.append((watch.at - started) * 1000)
            await _until(lambda: "member" in window.screens, 5)
    finally:
        await _close_kiosk(window, terminal, bridge, tasks)
    return {"reset_ms": times}


async def _language(app, info: dict, folder: Path, rounds: int) -> dict:
    from kiosk import i18n
    from tests.live_scan import MEMBER
    from tests.benchmarks.bench_ui_live import _PaintWatch as Watch

    window, terminal, bridge, tasks = await _open_kiosk(info, folder)
    attract_ms, member_ms = [], []
    try:
        for n in range(rounds + 1):
            language = ROUND[n % len(ROUND)]
            words = i18n.catalogue(language).gettext("Scan your card")
            window.show_screen("language")
            await asyncio.sleep(0.05)
            watch = Watch(window.attract.scan, lambda: window.attract.scan.text() == words)
            started = time.monotonic()
            window.languages.buttons[language].click()
            try:
                await _until(lambda: watch.at is not None, 5, interval=0.001)
            finally:
                watch.close()
            if n:
                attract_ms.append((watch.at - started) * 1000)
            await _show_member(window, MEMBER)
            await asyncio.sleep(0.05)
            window.show_screen("language")
            await asyncio.sleep(0.05)
            language = ROUND[(n + 1) % len(ROUND)]
            started = time.monotonic()
            window.languages.buttons[language].click()
            greeting = window.screens["member"].greeting  # the screen built again, in that language
            hello = i18n.catalogue(language).gettext("Welcome back, {0}").split("{0}")[0]
            watch = Watch(greeting, lambda: greeting.text().startswith(hello))
            try:
                await _until(lambda: watch.at is not None, 5, interval=0.001)
            finally:
                watch.close()
            if n:
                member_ms.append((watch.at - started) * 1000)
            window.reset()
            await _until(lambda: "member" in window.screens, 5)
    finally:
        await _close_kiosk(window, terminal, bridge, tasks)
    return {"attract_ms": attract_ms, "member_ms": member_ms}


def _live_qobjects(app, window) -> int:
    from PySide6.QtCore import QObject

    return len(window.findChildren(QObject)) + len(app.allWidgets())


async def _soak(app, info: dict, folder: Path, visits: int) -> dict:
    window, terminal, bridge, tasks = await _open_kiosk(info, folder)
    rewards = 0
    marks: dict[int, tuple[float, int]] = {}
    started = time.monotonic()
    try:
        for n in range(1, visits + 1):
            member_id = MEMBERS[n % len(MEMBERS)]
            await _show_member(window, member_id)
            screen = window.screens["member"]
            offered = [row for row in screen.rows if row.get is not None and row.get.isEnabled()]
            if n % 2 == 0 and offered:
                offered[0].get.click()
                await _until(lambda: window.stack.currentWidget() is window.screens.get("pass"), 10)
                rewards += 1
            window.question.ask("idle", "Still there?", "", [("stay", "Yes, I'm here")], countdown_s=20,
                                when_done="reset")
            window.question.answer("reset")
            await _until(lambda: "member" in window.screens, 10)
            if n in (50, 200, visits):
                for _ in range(3):  # what the reset handed to deleteLater, and the collector, first
                    await asyncio.sleep(0.05)
                    app.sendPostedEvents(None, 0)
                    gc.collect()
                marks[n] = (_status_mb("VmRSS"), _live_qobjects(app, window))
    finally:
        await _close_kiosk(window, terminal, bridge, tasks)
    return {"visits": visits, "rewards": rewards, "seconds": time.monotonic() - started,
            "rss_50_mb": marks[50][0], "rss_200_mb": marks.get(200, marks[visits])[0], "rss_last_mb": marks[visits][0],
            "qobjects_50": marks[50][1], "qobjects_last": marks[visits][1]}


def _main(argv: list[str]) -> int:
    return child_main(argv, {"scan": _scan, "reset": _reset, "language": _language, "soak": _soak})


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
