"""The `kiosk` command, run as a person or a script would run it."""

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.loyalty.annex import AnnexCloudClient

KIOSK = str(Path(sys.executable).with_name("kiosk"))


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_SETTINGS=str(tmp_path / "settings.toml"), XDG_DATA_HOME=str(tmp_path / "data"), **extra)
    return env


def _gui(tmp_path, code: str) -> subprocess.CompletedProcess:
    """`code` (which calls ui.app.run_gui) in its own process, offscreen, no camera."""
    env = {**_env(tmp_path), "QT_QPA_PLATFORM": "offscreen", "KIOSK_SCANNER__CAMERA": ""}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def _first_line(proc, timeout=30.0) -> str:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=0.2):
            return proc.stdout.readline()
        if proc.poll() is not None:
            break
    raise AssertionError(f"no startup line; stderr: {proc.stderr.read() if proc.poll() is not None else ''}")


async def test_sandbox_command_prints_what_a_client_needs_and_serves_it(tmp_path):
    proc = subprocess.Popen([KIOSK, "sandbox", "--port", "0", "--db", str(tmp_path / "sb.sqlite3")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path))
    try:
        info = json.loads(_first_line(proc))
        assert info["baseUrl"].startswith("http://127.0.0.1:") and info["baseUrl"].endswith("/api/3.0/")
        assert {"siteId", "siteName", "secret", "members", "coupons", "giftCards"} <= set(info)
        assert {"code": "GC-1000-0003", "kind": "giftcard", "balance": "4.20"} in info["giftCards"]
        member = info["members"][1]
        async with AnnexCloudClient(base_url=info["baseUrl"], site_id=info["siteId"], site_name=info["siteName"],
                                    secret=info["secret"]) as client:
            view = await client.lookup_member(member["id"])
        assert view.points.available == member["availablePoints"] and view.points.tier == member["tier"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


async def test_sandbox_command_serves_loyalty_prime_with_its_info_line(tmp_path):
    from kiosk.loyalty.loyaltyprime import LoyaltyPrimeClient

    proc = subprocess.Popen([KIOSK, "sandbox", "--vendor", "loyaltyprime", "--port", "0", "--db",
                             str(tmp_path / "prime.sqlite3")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path))
    try:
        info = json.loads(_first_line(proc))
        assert info["vendor"] == "loyaltyprime" and info["baseUrl"].endswith("/api/v10/")
        assert {"apiKey", "partnerId", "debitorId", "channelKey", "memberships", "vouchers"} <= set(info)
        ben = next(m for m in info["memberships"] if m["key"] == "M100002")
        async with LoyaltyPrimeClient(base_url=info["baseUrl"], api_key=info["apiKey"], partner_id=info["partnerId"],
                                      debitor_id=info["debitorId"], channel_key=info["channelKey"]) as client:
            view = await client.lookup_member(ben["alternateId"])
        assert view.member_id == "M100002" and view.points.available == ben["points"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


def test_sandbox_on_a_busy_port_says_so(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([KIOSK, "sandbox", "--port", str(port), "--db", str(tmp_path / "x.sqlite3")],
                                capture_output=True, text=True, env=_env(tmp_path), timeout=60)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_kiosk_demo_walks_through_the_flows_on_the_embedded_sandbox(tmp_path):
    result = subprocess.run([KIOSK, "demo"], capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "embedded sandbox with demo data" in out
    assert "Ben Okafor | tier Silver | 1320 points" in out
    assert "gift card GC-1000-0003 pays 4.20, 0.00 left on it; 20.85 still due" in out
    assert "Paid." in out and "TOTAL                                25.05" in out
    assert "Points earned                           23" in out
    # The mug's 6.32 goes back onto the cards, in the order they paid.
    assert ("Returned. 4.20 goes back onto card ********0003; 2.12 goes back onto card ********0002. "
            "Points taken back: 5.") in out
    assert "SPRING20: coupon, refused (This code expired on 2024-05-31)" in out
    assert out.rstrip().endswith("Done.")


def test_broken_settings_are_a_message_not_a_traceback(tmp_path):
    (tmp_path / "settings.toml").write_text("[backend\n")
    result = subprocess.run([KIOSK, "demo"], capture_output=True, text=True, env=_env(tmp_path), timeout=60)
    assert result.returncode == 2
    assert "is not valid TOML" in result.stderr and "Traceback" not in result.stderr


def test_config_commands(tmp_path):
    env = _env(tmp_path)
    path = subprocess.run([KIOSK, "config", "path"], capture_output=True, text=True, env=env, timeout=60)
    assert path.stdout.strip() == str(tmp_path / "settings.toml")
    subprocess.run([KIOSK, "config", "init"], check=True, capture_output=True, env=env, timeout=60)
    shown = json.loads(subprocess.run([KIOSK, "config"], capture_output=True, text=True, env=env,
                                      timeout=60).stdout)
    assert shown["exists"] and shown["settings"]["schema_version"] == 1
    again = subprocess.run([KIOSK, "config", "init"], capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_cards_command_writes_printable_cards(tmp_path):
    result = subprocess.run([KIOSK, "cards", str(tmp_path / "cards")], capture_output=True, text=True,
                            env=_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cards" / "index.html").exists()
    assert (tmp_path / "cards" / "member-M100001-qr.png").exists()
    assert (tmp_path / "cards" / "card-GC-1000-0001-pdf417.png").exists()


def test_kiosk_without_a_display_says_what_to_do_instead_of_crashing(tmp_path):
    env = {k: v for k, v in _env(tmp_path).items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([KIOSK], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "no display" in result.stderr and "kiosk demo" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow  # a whole-app run
def test_kiosk_opens_the_cashier_window_on_the_embedded_sandbox_and_shuts_down_in_order(tmp_path):
    """The real `kiosk` entry point, offscreen: up, interactive, then closed, exit 0, no traceback."""
    code = ("import sys; from ui.app import run_gui; "
            "sys.exit(run_gui(on_ready=lambda window, terminal: (print('READY', terminal.embedded, flush=True), "
            "window.close())))")
    result = _gui(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert "READY True" in result.stdout
    assert "Traceback" not in result.stderr and "Error" not in result.stderr


@pytest.mark.slow  # a whole-app run
def test_sigterm_closes_the_cashier_window_in_order(tmp_path):
    code = ("import sys; from ui.app import run_gui; "
            "sys.exit(run_gui(on_ready=lambda window, terminal: print('READY', flush=True)))")
    env = {**_env(tmp_path), "QT_QPA_PLATFORM": "offscreen", "KIOSK_SCANNER__CAMERA": ""}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        assert proc.stdout.readline().strip() == "READY"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    # The till closed its database cleanly: no WAL left to replay.
    assert not list((tmp_path).rglob("terminal.sqlite3-wal")) or all(
        p.stat().st_size == 0 for p in tmp_path.rglob("terminal.sqlite3-wal"))


def test_kiosk_with_broken_settings_says_so_on_screen_and_on_stderr(tmp_path):
    (tmp_path / "settings.toml").write_text("[scanner\ncamera = 0\n")  # not TOML
    code = ("import sys; from PySide6.QtCore import QTimer; from ui.app import run_gui\n"
            "def shown(window):\n"
            "    def look():\n"
            "        if window.stack.currentWidget() is window.fatal:\n"
            "            print('FATAL', window.fatal.text().replace(chr(10), ' '), flush=True); window.close()\n"
            "        else: QTimer.singleShot(50, look)\n"
            "    look()\n"
            "sys.exit(run_gui(on_shown=shown))\n")
    result = _gui(tmp_path, code)
    assert result.returncode == 2, result.stderr
    assert "FATAL The till could not start:" in result.stdout and "is not valid TOML" in result.stdout
    assert "is not valid TOML" in result.stderr and "Traceback" not in result.stderr


def test_closing_the_window_while_the_till_starts_ends_cleanly_without_attaching(tmp_path):
    code = ("import sys; from PySide6.QtCore import QTimer; from ui.app import run_gui\n"
            "def shown(window): QTimer.singleShot(0, window.close)\n"
            "sys.exit(run_gui(on_shown=shown, on_ready=lambda w, t: print('ATTACHED', flush=True)))\n")
    result = _gui(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert "ATTACHED" not in result.stdout and "Traceback" not in result.stderr


def test_version_and_help_without_opening_a_window(tmp_path):
    # No display at all: a command that tried to open the window would say so and exit 2.
    env = {k: v for k, v in _env(tmp_path).items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    import kiosk

    for flag in ("--version", "-V"):
        result = subprocess.run([KIOSK, flag], capture_output=True, text=True, env=env, timeout=60)
        assert (result.returncode, result.stdout) == (0, f"kiosk {kiosk.__version__}\n"), result.stderr
    from importlib.metadata import version

    assert version("kiosk") == kiosk.__version__  # the installed package says the same
    result = subprocess.run([KIOSK, "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0
    assert "Plain `kiosk` (or `kiosk gui`) opens the cashier window" in " ".join(result.stdout.split())
