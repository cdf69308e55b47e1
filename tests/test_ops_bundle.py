"""`kiosk support-bundle`: one zip in the current folder with logs, versions, doctor, settings and the
queue's status; never a database, the secret or a demo member's data; at most 20 MB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from kiosk.ops import bundle, logfiles
from tests.test_ops_logs import assert_clean

ROOT = Path(__file__).parents[1]
KIOSK = str(Path(sys.executable).with_name("kiosk"))


def env_for(tmp_path: Path, **extra) -> dict[str, str]:
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "KIOSK_SYSTEM_SETTINGS": str(tmp_path / "etc.toml"),
            "KIOSK_SCANNER__CAMERA": "", "QT_QPA_PLATFORM": "offscreen", **extra}


def make_bundle(tmp_path: Path, env: dict[str, str]) -> tuple[Path, zipfile.ZipFile]:
    out = tmp_path / "here"
    out.mkdir(exist_ok=True)
    result = subprocess.run([KIOSK, "support-bundle"], capture_output=True, text=True, env=env, timeout=180, cwd=out)
    assert result.returncode == 0, result.stderr
    [made] = list(out.glob("kiosk-support-*.zip"))
    assert result.stdout.startswith(str(made.resolve()) + " (")  # it says where
    return made, zipfile.ZipFile(made)


def test_after_a_day_the_bundle_has_what_support_needs_and_no_member_data_secret_or_database(tmp_path):
    env = env_for(tmp_path, KIOSK_LOG__LEVEL="debug")
    day = subprocess.run([sys.executable, "-m", "tests.ops_day_child"], capture_output=True, text=True, env=env,
                         timeout=180, cwd=ROOT)
    assert day.returncode == 0, day.stderr
    made, zf = make_bundle(tmp_path, env)
    names = zf.namelist()
    assert {"versions.json", "doctor.jsonl", "settings.json", "queue.json", "MANIFEST.txt"} <= set(names)
    logs = [n for n in names if n.startswith("logs/")]
    assert any(n.endswith("-day.log") for n in logs) and any(n.endswith("-support-bundle.log") for n in logs)
    assert not [n for n in names if "sqlite" in n or n.endswith((".pdf", "credentials"))]
    doctor = [json.loads(line) for line in zf.read("doctor.jsonl").decode().splitlines()]
    assert {"check": "backend", "state": "ok", "fix": "",
            "message": "A signed request to the embedded sandbox was accepted."} in doctor
    assert json.loads(zf.read("settings.json"))["environment"] == "demo"
    queue = json.loads(zf.read("queue.json"))
    assert queue["pending"] == 0 and queue["dead"] == 0
    done = {row["kind"]: row["count"] for row in queue["by_kind"] if row["state"] == "done"}
    assert (done["order"], done["full_return"]) == (5, 2), queue
    assert json.loads(zf.read("versions.json"))["packages"]["httpx"]
    everything = b"".join(zf.read(n) for n in names).decode("utf-8", "replace")
    assert "POST orders took" in everything  # the day's log is in it
    assert_clean(everything)  # no member, code, secret (the sandbox's demo secret included) or URL path
    assert made.stat().st_size <= bundle.MAX_BYTES


def test_a_live_secret_never_reaches_the_bundle_even_if_a_log_line_had_it(tmp_path):
    secret = "live-secret-7f3a9c21"
    cfg = tmp_path / "config" / "kiosk"
    cfg.mkdir(parents=True)
    (cfg / "settings.toml").write_text('environment = "live"\n[backend]\nurl = "http://127.0.0.1:9/api/3.0/"\n'
                                       f'site_id = "900100"\nsite_name = "store"\nattempt_timeout_s = 1\n'
                                       f'secret = "{secret}"\n')  # typed into the wrong file by mistake
    folder = tmp_path / "state" / "kiosk" / "log"
    folder.mkdir(parents=True)
    (folder / "kiosk-20260101-000000-1-gui.log").write_text(f"a line that should never be: {secret}\n")
    made, zf = make_bundle(tmp_path, env_for(tmp_path, KIOSK_API_SECRET=secret))
    everything = b"".join(zf.read(n) for n in zf.namelist()).decode()
    assert secret not in everything and bundle.SCRUBBED in everything
    assert "a line that should never be" in everything
    assert json.loads(zf.read("settings.json"))["backend"]["site_id"] == "900100"


def test_big_logs_are_cut_to_twenty_megabytes_newest_first_and_the_manifest_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("KIOSK_SCANNER__CAMERA", "")
    folder = logfiles.log_dir()
    folder.mkdir(parents=True)
    chunk = os.urandom(3 * 1024 * 1024 // 2).hex()  # 3 MB that does not compress
    for n in range(12):
        path = folder / f"kiosk-202601{n + 10:02d}-000000-1-gui.log"
        path.write_text(chunk)
        os.utime(path, (1_700_000_000 + n, 1_700_000_000 + n))
    made = bundle.write(tmp_path)
    zf = zipfile.ZipFile(made)
    assert made.stat().st_size <= bundle.MAX_BYTES
    logs = sorted(n for n in zf.namelist() if n.startswith("logs/"))
    assert len(logs) == 6 and logs[-1] == "logs/kiosk-20260121-000000-1-gui.log"  # the newest six
    manifest = zf.read("MANIFEST.txt").decode()
    assert "logs left out (over 20 MB): 6" in manifest and "kiosk-20260110-000000-1-gui.log" in manifest
