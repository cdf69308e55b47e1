"""`kiosk doctor`: a sentence and a fix per check, --json, exit codes 0/1/2, and safe beside the app
(it reads, never tightens or writes what it checks, and never prints the secret)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests import annex_ops
from kiosk import config
from kiosk.loyalty.models import Order, OrderLine
from kiosk.ops import doctor
from kiosk.outbox import ops
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import open_database

KIOSK = str(Path(sys.executable).with_name("kiosk"))


@pytest.fixture
def home(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "KIOSK_SYSTEM_SETTINGS": str(tmp_path / "etc.toml"),
           "KIOSK_SCANNER__CAMERA": "", "QT_QPA_PLATFORM": "offscreen"}
    return tmp_path, env


def settings_file(root: Path, text: str) -> Path:
    path = root / "config" / "kiosk" / "settings.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def doctor_json(env) -> tuple[int, list[dict], str]:
    result = subprocess.run([KIOSK, "doctor", "--json"], capture_output=True, text=True, env=env, timeout=120)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result.returncode, lines, result.stdout + result.stderr


def by(lines: list[dict], name: str) -> list[dict]:
    return [line for line in lines if line["check"] == name]


def test_a_fresh_demo_checks_the_embedded_sandbox_and_every_line_is_json(home):
    root, env = home
    code, lines, _ = doctor_json(env)
    names = [line["check"] for line in lines]
    for name in ("settings", "environment", "secret", "backend", "time sync", "database", "file modes", "outbox",
                 "camera", "decoders", "hand scanner", "printer", "qt", "fonts", "disk"):
        assert name in names, name
    assert all(set(line) == {"check", "state", "message", "fix"} for line in lines)
    assert all(line["state"] in ("ok", "warn", "fail") and line["message"] for line in lines)
    assert all(line["fix"] for line in lines if line["state"] != "ok")  # never a problem without a fix
    assert by(lines, "backend")[0] == {"check": "backend", "state": "ok", "fix": "",
                                       "message": "A signed request to the embedded sandbox was accepted."}
    assert by(lines, "qt")[0]["state"] == "ok" and by(lines, "camera")[0]["state"] == "ok"
    assert code == max({"ok": 0, "warn": 1, "fail": 2}[line["state"]] for line in lines)
    assert not (root / "data" / "kiosk" / "demo" / "terminal.sqlite3").exists()  # it made no terminal


def test_a_settings_file_naming_nothing_is_the_demo_with_a_warning(home):
    root, env = home
    settings_file(root, '[store]\nterminal_id = "T04"\n')
    code, lines, _ = doctor_json(env)
    [line] = by(lines, "environment")
    assert line["state"] == "warn" and "runs the demo" in line["message"] and "kiosk setup" in line["fix"]
    assert code >= 1


def test_broken_settings_fail_the_settings_check_and_nothing_crashes(home):
    root, env = home
    settings_file(root, "[store\n")
    result = subprocess.run([KIOSK, "doctor"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert "FAIL  settings:" in result.stdout and "is not valid TOML" in result.stdout
    assert "FAIL  backend: Not checked: the settings did not load." in result.stdout
    assert "OK    decoders: zxing-cpp loads." in result.stdout  # what needs no settings still runs


def test_a_live_backend_that_does_not_answer_is_a_failure_and_the_secret_is_never_printed(home):
    root, env = home
    settings_file(root, 'environment = "live"\n[backend]\nurl = "http://127.0.0.1:9/api/3.0/"\nsite_id = "900100"\n'
                        'site_name = "store"\nattempt_timeout_s = 1\n')
    code, lines, everything = doctor_json({**env, "KIOSK_API_SECRET": "very-secret-value-123"})
    assert code == 2
    assert by(lines, "secret")[0] == {"check": "secret", "state": "ok", "fix": "",
                                      "message": "An API secret was found (not shown)."}
    [backend] = by(lines, "backend")
    assert backend["state"] == "fail" and "127.0.0.1:9 does not answer" in backend["message"]
    assert "very-secret-value-123" not in everything

    code, lines, _ = doctor_json(env)  # no secret at all
    assert by(lines, "secret")[0]["state"] == "fail" and "keyring" in by(lines, "secret")[0]["fix"]


def test_a_live_backend_checks_dns_then_a_signed_read(home, sandbox):
    root, env = home
    site = sandbox.store.site
    settings_file(root, f'environment = "live"\n[backend]\nurl = "{sandbox.base_url}"\nsite_id = "{site.site_id}"\n'
                        f'site_name = "{site.site_name}"\n')
    code, lines, everything = doctor_json({**env, "KIOSK_API_SECRET": site.secret})
    assert [line["state"] for line in by(lines, "backend")] == ["ok", "ok"], lines
    assert by(lines, "backend")[1]["message"] == "A signed request to the loyalty service was accepted."
    assert by(lines, "clock")[0]["state"] == "ok"
    assert site.secret not in everything
    code, lines, _ = doctor_json({**env, "KIOSK_API_SECRET": "not-the-secret"})
    assert code == 2 and "refused this terminal's signed request" in by(lines, "backend")[-1]["message"]

    settings_file(root, 'environment = "live"\n[backend]\nurl = "https://no-such-host.invalid/api/"\n'
                        'site_id = "1"\nsite_name = "s"\n')
    code, lines, _ = doctor_json({**env, "KIOSK_API_SECRET": "x"})
    assert "does not resolve (DNS)" in by(lines, "backend")[0]["message"]


def test_the_queue_its_age_and_dead_letters_and_loose_modes_are_reported_not_changed(home):
    root, env = home
    settings_file(root, 'environment = "demo"\n')
    path = root / "data" / "kiosk" / "demo" / "terminal.sqlite3"
    path.parent.mkdir(parents=True)
    db = open_database(path)
    long_ago = time.time() - 2 * 3600
    outbox = Outbox(db, clock=lambda: long_ago)
    for member in ("M100001", "M100002"):
        outbox.enqueue([annex_ops.create_order(Order(ops.new_order_id("T01"), member, Decimal("3.00"),
                                               (OrderLine("L1", "Tea", Decimal("3.00"), 1),)))])
    claimed = outbox.claim("t", 1, 30)[0]
    outbox.dead(claimed.id, "t", "refused by the backend")
    db.close()
    path.chmod(0o644)
    code, lines, everything = doctor_json(env)
    outbox_lines = by(lines, "outbox")
    assert {"state": "warn", "check": "outbox", "message": "1 write(s) wait to be sent, the oldest for 2.0 h.",
            "fix": "Check the backend check above; `kiosk queue drain` sends them."} in outbox_lines, outbox_lines
    assert any(line["state"] == "warn" and "1 write(s) could not be sent" in line["message"]
               for line in outbox_lines)
    [modes] = by(lines, "file modes")
    assert modes["state"] == "warn" and str(path) in modes["message"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # said, not changed: the app or a person does that
    assert "M100001" not in everything


async def test_a_registered_check_joins_and_the_exit_code_is_the_worst(monkeypatch):
    monkeypatch.setattr(doctor, "CHECKS", [])

    @doctor.check("store rule", needs_settings=False)
    def _fine(ctx):
        return doctor.Result("store rule", doctor.OK, "Fine.")

    assert doctor.exit_code(await doctor.run()) == 0

    @doctor.check("printer paper", needs_settings=False)
    async def _low(ctx):
        return [doctor.Result("printer paper", doctor.WARN, "Paper is low.", "Load a roll.")]

    results = await doctor.run()
    assert [r.check for r in results] == ["store rule", "printer paper"] and doctor.exit_code(results) == 1

    @doctor.check("broken", needs_settings=False)
    def _broken(ctx):
        raise RuntimeError("a bug in a check")

    results = await doctor.run()
    assert results[-1].state == doctor.FAIL and "check itself failed" in results[-1].message
    assert doctor.exit_code(results) == 2
    assert doctor.render(results, as_json=False).splitlines()[1:3] == ["WARN  printer paper: Paper is low.", "      fix: Load a roll."]


def test_an_outbox_part_extends_the_outbox_check(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = config.Settings(environment="demo", outbox={"db_path": str(tmp_path / "t.sqlite3")})
    open_database(tmp_path / "t.sqlite3").close()
    monkeypatch.setattr(doctor, "OUTBOX_PARTS", [*doctor.OUTBOX_PARTS, lambda status, ctx: doctor.Result(
        "outbox", doctor.WARN, f"held: {status.depth}", "wait")])
    results = doctor._outbox(doctor.Context(settings))
    assert [r.message for r in results] == ["Nothing waits to be sent.", "held: 0"]


async def test_doctor_runs_beside_a_running_terminal_and_the_till_keeps_selling(home, monkeypatch):
    import asyncio

    from kiosk.app import terminal as lifecycle

    root, env = home
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "KIOSK_SYSTEM_SETTINGS"):
        monkeypatch.setenv(name, env[name])
    terminal = await lifecycle.start(config.load_settings())
    try:
        proc = await asyncio.create_subprocess_exec(KIOSK, "doctor", "--json", env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        till = terminal.till
        sale = till.checkout.new_sale(till.operators.sign_in("C01", "1111").id)
        sale.cart.add(till.catalogue.by_sku("COF-001"))
        sale.start_tendering()
        sale.add_external("cash", Decimal(sale.due) / 100)
        paid = await till.checkout.pay(sale)  # while the doctor reads the same files
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        assert paid.ok, paid.message
    finally:
        await terminal.stop()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert [line["state"] for line in by(lines, "database")] == ["ok"]
    assert by(lines, "backend")[0]["state"] == "ok" and all(line["state"] == "ok" for line in by(lines, "outbox"))


def test_a_device_held_by_another_kiosk_process_is_found_with_its_pid(tmp_path):
    device = tmp_path / "video0"  # what /dev/video0 is to the camera check: a path some process holds open
    device.write_bytes(b"")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; f = open(sys.argv[1]); print('open', flush=True)"
                               "; time.sleep(30)", str(device), "ui.app"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert doctor._kiosk_holding(device) == holder.pid
        assert doctor._kiosk_holding(tmp_path / "nothing") is None
    finally:
        holder.kill()
        holder.wait()
    assert doctor._kiosk_holding(device) is None


def test_a_live_loyalty_prime_tenant_is_checked_with_its_own_key(home, tmp_path):
    from tests.prime_helpers import prime_server

    root, env = home
    server = prime_server(tmp_path / "tenant.sqlite3")
    try:
        info = server.info()
        settings_file(root, f'environment = "live"\n[backend]\nvendor = "loyaltyprime"\nurl = "{server.base_url}"\n'
                            f'partner_id = "{info["partnerId"]}"\ndebitor_id = "{info["debitorId"]}"\n'
                            f'channel_key = "{info["channelKey"]}"\n')
        code, lines, everything = doctor_json({**env, "KIOSK_API_SECRET": info["apiKey"]})
        assert [line["state"] for line in by(lines, "secret")] == ["ok"], lines
        assert [line["state"] for line in by(lines, "backend")] == ["ok", "ok"], lines
        assert info["apiKey"] not in everything
        code, lines, _ = doctor_json({**env, "KIOSK_API_SECRET": "not-the-key"})
        assert code == 2 and "refused" in by(lines, "backend")[-1]["message"]
    finally:
        server.stop()
