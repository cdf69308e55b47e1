"""The run's log file: every entry point writes one, private, capped and pruned; nothing in
it names a member, a card, a secret or a request path; uncaught errors land in it."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk.ops import hooks, logfiles

ROOT = Path(__file__).parents[1]
KIOSK = str(Path(sys.executable).with_name("kiosk"))
RESOURCES = ROOT / "resources" / "demo"
# A URL with anything after its host but the filter's "/…".
FULL_URL = re.compile(r"[a-z][a-z0-9+.\-]*://[^\s/'\"<>]+/(?!…)[^\s'\"<>]")


def demo_secrets() -> list[str]:
    """What may never reach a log: every demo member's id, email, phone and names, every code
    and card, the sandbox's secret, the API's paths."""
    members = json.loads((RESOURCES / "members.json").read_text())
    codes = json.loads((RESOURCES / "codes.json").read_text())
    site = json.loads((RESOURCES / "site.json").read_text())
    found = [site["secret"], "/api/", "@example.com", "Dayna", "555-010"]
    for m in members:
        found += [m["id"], m["email"], m["phone"], m["lastName"], f"{m['firstName']} "]
    return found + [c["incentiveCode"] for c in codes]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_STATE_HOME": str(tmp_path / "state"), **extra}


def log_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "state" / "kiosk" / "log").glob("kiosk-*.log*"))


def assert_clean(text: str) -> None:
    for needle in demo_secrets():
        assert needle.lower() not in text.lower(), needle
    assert not FULL_URL.search(text), FULL_URL.search(text).group(0)


def test_a_scripted_day_leaves_a_private_log_with_no_member_data_secret_or_url(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tests.ops_day_child"], capture_output=True, text=True,
                            env=env_for(tmp_path, KIOSK_LOG__LEVEL="debug"), timeout=180, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    [path] = log_files(tmp_path)
    assert result.stdout.strip() == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    # The day happened and was logged at the loudest level: orders, returns, enrolments, refusals.
    assert text.count("POST orders took") == 5 and text.count("PATCH orders/{id} took") == 2
    assert text.count("POST users took") == 3 and "answered 404" in text
    assert "DEBUG kiosk.loyalty.annex" in text and "embedded sandbox at http://127.0.0.1:" in text
    assert_clean(text)
    assert_clean(result.stderr)


def test_each_command_writes_its_own_file_with_info_while_stderr_stays_at_warnings(tmp_path):
    env = env_for(tmp_path)
    result = subprocess.run([KIOSK, "queue", "status"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    subprocess.run([KIOSK, "queue", "status"], capture_output=True, text=True, env=env, timeout=120, check=True)
    first, second = log_files(tmp_path)
    assert "-queue.log" in first.name and first.name != second.name  # a file per run
    assert "INFO kiosk.outbox.store: terminal database schema 0 -> " in first.read_text()
    assert stat.S_IMODE(first.stat().st_mode) == 0o600


def test_an_unwritable_log_folder_leaves_stderr_and_the_command_works(tmp_path):
    (tmp_path / "state").write_text("not a folder")
    result = subprocess.run([KIOSK, "queue", "status"], capture_output=True, text=True, env=env_for(tmp_path),
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "no log file in" in result.stderr and "logging to stderr only" in result.stderr


def test_old_runs_are_pruned_by_count_age_and_size_but_never_a_busy_one(tmp_path):
    now = time.time()

    def run(name: str, age_s: float, size: int = 10) -> Path:
        path = tmp_path / f"kiosk-{name}-1-gui.log"
        path.write_bytes(b"x" * size)
        os.utime(path, (now - age_s, now - age_s))
        return path

    old = [run(f"2026{i:04d}", 7200 + i * 60) for i in range(logfiles.KEEP_RUNS + 5)]
    ancient = run("19990101", (logfiles.KEEP_DAYS + 1) * 86400)
    busy = run("20991231", 10, size=logfiles.FOLDER_CAP_BYTES + 1)  # huge, but written to a moment ago
    (tmp_path / "notes.txt").write_text("kept: not a log")
    removed = logfiles.prune(tmp_path, now)
    assert busy.exists() and (tmp_path / "notes.txt").exists()
    assert ancient in removed
    # The busy file already fills the size cap: every idle run goes.
    assert set(removed) == {*old, ancient}

    for path in old:
        path.write_bytes(b"x")
        os.utime(path, (now - 7200, now - 7200))
    busy.unlink()
    logfiles.prune(tmp_path, now)
    assert len(logfiles.runs(tmp_path)) == logfiles.KEEP_RUNS


def test_a_long_run_rotates_within_its_cap_and_every_part_is_private(tmp_path):
    os.umask(0o022)  # even a loose umask (a library embedding Kiosk) gives 0600 parts
    try:
        handler = logfiles.RunFile(tmp_path / "kiosk-x-1-gui.log", maxBytes=2000, backupCount=1)
        log = logging.getLogger("kiosk.test.rotate")
        log.addHandler(handler)
        log.propagate = False
        for n in range(200):
            log.warning("line %d of a long day", n)
        handler.close()
    finally:
        log.removeHandler(handler)
        os.umask(0o077)
    parts = sorted(tmp_path.iterdir())
    assert [p.name for p in parts] == ["kiosk-x-1-gui.log", "kiosk-x-1-gui.log.1"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 and p.stat().st_size <= 2000 for p in parts)
    assert "line 199 of a long day" in parts[0].read_text()


@pytest.fixture
def told():
    said: list[str] = []
    hooks.install(lambda: said.append("notice"))
    yield said
    hooks.uninstall()


def test_an_error_in_a_thread_is_logged_with_its_traceback_and_told(told, caplog):
    def work():
        raise RuntimeError("boom in a worker")

    worker = threading.Thread(target=work, name="camera")
    worker.start()
    worker.join()
    assert "uncaught RuntimeError in thread camera" in caplog.text
    assert "boom in a worker" in caplog.text and "Traceback" in caplog.text
    assert told == ["notice"]


def test_an_error_nobody_awaited_in_a_loop_is_logged_and_told(told, caplog):
    async def main():
        hooks.watch_loop(asyncio.get_running_loop())

        async def fails():
            raise ValueError("lost in a task")

        task = asyncio.ensure_future(fails())
        await asyncio.sleep(0.01)
        del task  # never awaited: the loop reports it when the task is collected

    asyncio.run(main())
    import gc

    gc.collect()
    assert "asyncio: Task exception was never retrieved" in caplog.text and "lost in a task" in caplog.text
    assert told == ["notice"]


def test_the_main_hook_logs_to_the_file_without_the_url_path_and_keeps_ctrl_c(told, tmp_path, capsys):
    path = logfiles.start("test", folder=tmp_path)
    try:
        try:
            raise OSError("could not reach https://api.example.com/api/3.0/users/ana%40example.com")
        except OSError:
            sys.excepthook(*sys.exc_info())
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            sys.excepthook(*sys.exc_info())
    finally:
        handler = logfiles.current()
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = path.read_text()
    assert "ERROR kiosk.crash: uncaught OSError" in text and "Traceback" in text
    assert "https://api.example.com/…" in text and "ana%40example.com" not in text
    assert "KeyboardInterrupt" not in text and "KeyboardInterrupt" in capsys.readouterr().err  # as Python says it
    assert told == ["notice"]


def test_the_window_logs_an_error_in_a_slot_a_thread_and_a_task_and_shows_the_notice(tmp_path):
    code = """
import asyncio, sys, threading
from PySide6.QtCore import QTimer
from ui.app import run_gui
from ui.common.tasks import BUG_MESSAGE

def ready(window, terminal):
    def slot():
        raise RuntimeError("slot went wrong")
    def thread():
        raise RuntimeError("thread went wrong")
    async def task():
        raise RuntimeError("task went wrong")
    QTimer.singleShot(0, slot)
    threading.Thread(target=thread).start()
    loop = asyncio.get_event_loop()
    loop.call_soon(lambda: loop.call_exception_handler({"message": "task went wrong", "exception": RuntimeError("x")}))
    def done():
        print("NOTICES", window.notices.history.count(BUG_MESSAGE), flush=True)
        window.close()
    QTimer.singleShot(1500, done)

sys.exit(run_gui(on_ready=ready))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                            env=env_for(tmp_path, QT_QPA_PLATFORM="offscreen"))
    assert result.returncode == 0, result.stderr
    assert "NOTICES 3" in result.stdout, result.stdout + result.stderr
    [path] = log_files(tmp_path)
    assert "-gui.log" in path.name
    text = path.read_text()
    assert "uncaught RuntimeError" in text and "slot went wrong" in text
    assert "in thread" in text and "thread went wrong" in text
    assert "asyncio: task went wrong" in text
    assert text.count("Traceback") >= 2


def test_a_command_run_in_process_leaves_logging_as_it_found_it(tmp_path, monkeypatch):
    from kiosk import cli

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from kiosk import logs

    logs.setup()  # the stderr handler stays: it is installed once per process, by design
    root = logging.getLogger()
    before = (list(root.handlers), root.level, sys.excepthook, threading.excepthook)
    assert cli.main(["queue", "status"]) == 0
    assert (list(root.handlers), root.level, sys.excepthook, threading.excepthook) == before
    [path] = log_files(tmp_path)
    assert "-queue.log" in path.name


def test_a_command_that_crashes_logs_its_traceback_to_the_run_file(tmp_path):
    code = ("import sys\nfrom kiosk import cli\nimport kiosk.cli as c\n"
            "def boom(args):\n    raise RuntimeError('a bug in a command')\n"
            "c._config = lambda action: boom(action)\nsys.exit(cli.main(['config', 'show']))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env=env_for(tmp_path))
    assert result.returncode == 1
    [path] = log_files(tmp_path)
    text = path.read_text()
    assert "ERROR kiosk.crash: uncaught RuntimeError" in text and "a bug in a command" in text
    assert result.stderr.count("a bug in a command") == 1  # said once, not twice
