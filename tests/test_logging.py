"""The log: its level is a setting, and no level lets URLs (member data) or the secret's length through."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx

from kiosk import logs

KIOSK = str(Path(sys.executable).with_name("kiosk"))
# The demo members' ids, emails and phones (resources/demo/members.json).
MEMBER_DATA = ("M10000", "@example.com", "555-010", "/api/3.0/")


def test_the_demo_at_debug_level_logs_no_urls_and_no_member_data(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "KIOSK_LOG__LEVEL": "debug"}
    result = subprocess.run([KIOSK, "demo"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    log = result.stderr
    assert "DEBUG kiosk.loyalty.annex.client: GET users/{id} took" in log  # the level applies, to our loggers
    assert "INFO kiosk.connect: no backend configured: embedded sandbox at http://127.0.0.1:" in log
    for needle in MEMBER_DATA:
        assert needle not in log, needle
    assert "M10000" in result.stdout  # the walk-through itself still shows the members it looks up


def test_the_level_is_a_setting_and_warnings_is_the_default(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    # A new terminal database logs its schema migration at INFO.
    result = subprocess.run([KIOSK, "queue", "status"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    (tmp_path / "data" / "kiosk" / "demo" / "terminal.sqlite3").unlink()
    result = subprocess.run([KIOSK, "queue", "status"], capture_output=True, text=True, timeout=120,
                            env={**env, "KIOSK_LOG__LEVEL": "info"})
    assert "INFO kiosk.outbox.store: terminal database schema 0 -> " in result.stderr, result.stderr
    result = subprocess.run([KIOSK, "queue", "status"], capture_output=True, text=True, timeout=120,
                            env={**env, "KIOSK_LOG__LEVEL": "loud"})
    assert result.returncode == 2 and "log.level" in result.stderr and "Traceback" not in result.stderr


def test_a_url_in_a_message_or_an_exception_keeps_only_its_host(capsys):
    logs.setup("debug")
    log = logging.getLogger("kiosk.test")
    try:
        log.error("lookup failed for %s", "https://api.example.com/api/3.0/users/ana%40example.com?phone=5550100")
        request = httpx.Request("GET", "https://api.example.com/api/3.0/users/M100001")
        try:
            httpx.Response(404, request=request).raise_for_status()
        except httpx.HTTPStatusError:
            log.exception("the backend said no")
        logging.getLogger("httpx").info("HTTP Request: GET https://api.example.com/api/3.0/users/M100001")
    finally:
        logs.set_level("warning")
    err = capsys.readouterr().err
    assert "ERROR kiosk.test: lookup failed for https://api.example.com/…" in err
    assert "ERROR kiosk.test: the backend said no" in err and "HTTPStatusError" in err  # the traceback is kept
    assert "api.example.com/…" in err.split("the backend said no", 1)[1]
    assert "M100001" not in err and "ana%40example.com" not in err and "5550100" not in err
    assert "HTTP Request" not in err  # httpx's own INFO lines stay out at any level


def test_pyjwt_never_prints_the_secret_length():
    # The app as it runs: no warning filters but its own.
    code = ("from kiosk.loyalty import auth\n"
            "auth.make_token(secret='short', site_id='1', site_name='s', payload=b'\"M100001\"', now=0)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).parents[1])
    assert result.returncode == 0 and result.stderr == "", result.stderr
