"""Data at rest: what Kiosk writes is its user's alone, checked by running the real commands."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.outbox.store import open_database
from kiosk.sandbox.db import load_site, open_store

KIOSK = str(Path(sys.executable).with_name("kiosk"))
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user takes root")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path):
    """A clean user: settings, data and config under tmp_path, no keyring."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    env.pop("KIOSK_SETTINGS", None)
    return tmp_path, env


def kiosk(env, *args, timeout=120):
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, env=env, timeout=timeout)


def test_the_commands_make_private_files_in_private_folders(home, tmp_path):
    root, env = home
    source = root / "products.csv"
    source.write_text("sku,barcode,name,price,category,tax_class\nA-1,,Tea,1.00,Drinks,zero\n")
    assert kiosk(env, "catalogue", "import", str(source)).returncode == 0
    assert kiosk(env, "queue", "status").returncode == 0
    assert kiosk(env, "config", "init").returncode == 0
    data, cfg = root / "data" / "kiosk", root / "config" / "kiosk"
    demo = data / "demo"  # no backend: the demo environment's own folder (kiosk/ops/environments.py)
    made = sorted(p.name for p in demo.iterdir())
    assert "catalogue.sqlite3" in made and "terminal.sqlite3" in made
    for path in [data, cfg, *data.iterdir(), *demo.iterdir(), *cfg.iterdir()]:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_sqlite_side_files_follow_the_database_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)  # a library caller's usual umask: new files 0644
    try:
        db = open_database(tmp_path / "t" / "terminal.sqlite3")
        db.conn.execute("CREATE TABLE probe (x)")
        store = open_store(str(tmp_path / "s" / "sandbox.sqlite3"), load_site())
        for path in (tmp_path / "t", tmp_path / "s"):
            names = sorted(p.name for p in path.iterdir())
            assert any(n.endswith("-wal") for n in names) and any(n.endswith("-shm") for n in names), names
            assert mode(path) == 0o700
            for file in path.iterdir():
                assert mode(file) == 0o600, file
        db.close()
        store.conn.close()
    finally:
        os.umask(previous)


def test_looser_modes_of_an_install_are_tightened_at_start_and_logged(home):
    root, env = home
    data = root / "data" / "kiosk"
    (data / "receipts").mkdir(parents=True)
    for folder in (root / "data" / "kiosk", data / "receipts"):
        folder.chmod(0o755)
    assert kiosk(env, "queue", "status").returncode == 0  # creates the database
    loose = [data / "demo" / "terminal.sqlite3", data / "receipts" / "T01-1.pdf", data / "demo" / "sandbox.sqlite3-wal"]
    for path in loose[1:]:
        path.write_bytes(b"%PDF-1.4")
    for path in loose:
        path.chmod(0o644)
    data.chmod(0o755)
    result = kiosk(env, "queue", "status")
    assert result.returncode == 0, result.stderr
    for path in (data, *loose):
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
        assert f"{path} could be read by other users (mode 644" in result.stderr \
            or f"{path} could be read by other users (mode 755" in result.stderr, result.stderr


@as_root
def test_a_database_owned_by_another_user_is_refused_with_a_sentence(home):
    root, env = home
    assert kiosk(env, "queue", "status").returncode == 0
    database = root / "data" / "kiosk" / "demo" / "terminal.sqlite3"
    os.chown(database, 65534, 65534)
    result = kiosk(env, "operators", "list")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert f"kiosk: {database} belongs to another user, so Kiosk will not keep its data there." in result.stderr


def readable_credentials(root: Path) -> Path:
    """A backend in the settings and its secret in a credentials file others can read."""
    cfg = root / "config" / "kiosk"
    cfg.mkdir(parents=True)
    (cfg / "settings.toml").write_text('[backend]\nurl = "http://127.0.0.1:9/api/3.0/"\n'
                                       'site_id = "900100"\nsite_name = "store"\n')
    secret = cfg / "credentials"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    return secret


def test_a_credentials_file_others_can_read_is_refused_by_every_command_that_connects(home):
    root, env = home
    secret = readable_credentials(root)
    for command in (["queue", "drain"], ["demo"]):
        result = kiosk(env, *command)
        assert result.returncode == 2 and "Traceback" not in result.stderr, (command, result.stderr)
        assert f"The credentials file {secret} can be read by other users, so Kiosk will not use the secret " \
               f"in it." in result.stderr and f"chmod 600 {secret}" in result.stderr
    assert mode(secret) == 0o644  # refused, not quietly changed: only a person knows if it leaked


def test_a_folder_named_in_the_settings_keeps_its_mode_and_the_file_in_it_is_private(home):
    root, env = home
    shared = root / "spool"
    shared.mkdir()
    shared.chmod(0o755)  # a folder a person chose, perhaps shared on purpose (/tmp is one)
    env = {**env, "KIOSK_OUTBOX__DB_PATH": str(shared / "terminal.sqlite3")}
    assert kiosk(env, "queue", "status").returncode == 0
    assert mode(shared) == 0o755 and mode(shared / "terminal.sqlite3") == 0o600


def test_the_window_refuses_a_credentials_file_others_can_read_with_the_same_sentence(home):
    root, env = home
    secret = readable_credentials(root)
    log = root / "stderr.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen([KIOSK], env={**env, "QT_QPA_PLATFORM": "offscreen"}, stdout=subprocess.DEVNULL,
                                stderr=err)
    try:
        deadline = time.monotonic() + 60
        while "can be read by other users" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)  # the window stays up with the sentence until it is closed
        assert proc.wait(30) == 2
    finally:
        proc.kill()
    text = log.read_text()
    assert f"kiosk: The credentials file {secret} can be read by other users" in text and "Traceback" not in text
