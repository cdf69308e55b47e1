"""`kiosk setup`: unattended from a file or asked, idempotent, the secret never echoed or in the
settings, the machine-wide file left to speak for itself."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk import config, credentials
from kiosk.checkout.operators import Operators
from kiosk.ops import setup
from kiosk.outbox.store import open_database

KIOSK = str(Path(sys.executable).with_name("kiosk"))
SECRET = "rollout-secret-5d1e88aa"


@pytest.fixture
def home(tmp_path, monkeypatch):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "KIOSK_SYSTEM_SETTINGS": str(tmp_path / "etc.toml")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KIOSK_API_SECRET", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    return tmp_path, {**os.environ, **env}


def rollout(root: Path, extra: str = "") -> Path:
    (root / "secret").write_text(SECRET + "\n")
    (root / "pin").write_text("4826\n")
    path = root / "rollout.toml"
    path.write_text('environment = "live"\nsecret_file = "' + str(root / "secret") + '"\n'
                    'manager_id = "B2"\nmanager_name = "Bo"\nmanager_pin_file = "' + str(root / "pin") + '"\n'
                    '[backend]\nurl = "https://loyalty.example.net/api/3.0/"\nsite_id = "900100"\n'
                    'site_name = "chain"\n[store]\nstore_id = "S-42"\nterminal_id = "T03"\nname = "Chain 42"\n'
                    '[scanner]\ncamera = ""\n[printer]\nkind = "network"\nhost = "10.0.0.9"\nport = 9100\n' + extra)
    return path


def kiosk(env, *args):
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, env=env, timeout=120)


def test_an_unattended_roll_out_sets_everything_and_again_changes_nothing(home):
    root, env = home
    result = kiosk(env, "setup", "--from", str(rollout(root)))
    assert result.returncode == 0, result.stderr
    user = root / "config" / "kiosk" / "settings.toml"
    written = tomllib.loads(user.read_text())
    assert written["environment"] == "live" and written["store"]["terminal_id"] == "T03"
    assert written["printer"] == {"kind": "network", "host": "10.0.0.9", "port": 9100}
    assert "secret_file" not in written and "manager_id" not in written  # answers, not settings
    creds = root / "config" / "kiosk" / "credentials"
    assert creds.read_text() == SECRET and stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert stat.S_IMODE(user.stat().st_mode) == 0o600
    assert "manager B2 added" in result.stdout and "Annex Cloud at https://loyalty.example.net/…" in result.stdout
    db = open_database(root / "data" / "kiosk" / "terminal.sqlite3")
    try:
        assert Operators(db, terminal_id="T03").sign_in("B2", "4826").role == "manager"
    finally:
        db.close()
    logs = "".join(p.read_text() for p in (root / "state").rglob("*.log"))
    for text in (result.stdout, result.stderr, logs, user.read_text()):
        assert SECRET not in text and "4826" not in text

    before = user.read_bytes()
    again = kiosk(env, "setup", "--from", str(rollout(root)))
    assert again.returncode == 0, again.stderr
    assert user.read_bytes() == before and "unchanged" in again.stdout
    assert "1 manager(s) already, left as they are" in again.stdout
    assert config.load_settings().backend.site_name == "chain"


def test_a_missing_answer_names_its_key_and_writes_nothing(home):
    root, env = home
    path = root / "partial.toml"
    path.write_text('environment = "live"\n[backend]\nurl = "https://loyalty.example.net/api/"\n')
    result = kiosk(env, "setup", "--from", str(path))
    assert result.returncode == 2 and "set-up needs backend.site_id" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "config" / "kiosk" / "settings.toml").exists()
    bad = root / "bad.toml"
    bad.write_text('environment = "moon"\n')
    result = kiosk(env, "setup", "--from", str(bad))
    assert result.returncode == 2 and "environment must be one of demo, live, training" in result.stderr


def test_the_machine_wide_file_speaks_for_itself_and_the_user_file_holds_only_what_differs(home):
    root, env = home
    (root / "etc.toml").write_text('environment = "live"\n[backend]\nurl = "https://loyalty.example.net/api/"\n'
                                   'site_id = "900100"\nsite_name = "chain"\n')
    path = root / "store.toml"
    (root / "secret").write_text(SECRET)
    (root / "pin").write_text("7351")
    path.write_text(f'secret_file = "{root / "secret"}"\nmanager_id = "M9"\nmanager_name = "Mo"\n'
                    f'manager_pin_file = "{root / "pin"}"\n[store]\nterminal_id = "T08"\n')
    result = kiosk(env, "setup", "--from", str(path))
    assert result.returncode == 0, result.stderr
    written = tomllib.loads((root / "config" / "kiosk" / "settings.toml").read_text())
    assert "environment" not in written and "backend" not in written
    assert written["store"]["terminal_id"] == "T08"


def test_asked_at_a_terminal_the_secret_and_pin_go_through_getpass_only(home, capsys):
    root, _ = home
    lines = iter(["live", "", "https://loyalty.example.net/api/", "900100", "chain", "S-1", "T02", "", "", "", "none",
                  "B7", "Bea"])
    secrets = iter([SECRET, "4826", "4826"])
    asked: list[str] = []

    def ask_line(prompt):
        asked.append(prompt)
        return next(lines)

    said = setup.run({}, interactive=True, ask_line=ask_line, ask_secret=lambda prompt: next(secrets))
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err + "".join(said)
    assert any("stored in" in line for line in said) and "first manager: manager B7 added" in said
    assert credentials.load_secret("900100").get_secret_value() == SECRET
    assert asked[0] == "Environment (demo/live/training): "


def test_a_systemd_credential_is_found_and_nothing_is_stored(home, monkeypatch):
    root, env = home
    folder = root / "creds"
    folder.mkdir()
    (folder / credentials.SYSTEMD_NAME).write_text(SECRET)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(folder))
    path = rollout(root).read_text().replace(f'secret_file = "{root / "secret"}"\n', "")
    (root / "r.toml").write_text(path)
    said = setup.run(config.read_file(root / "r.toml"))
    assert "secret: taken from the systemd credential at each start (nothing stored)" in said
    assert not (root / "config" / "kiosk" / "credentials").exists()
    assert credentials.load_secret("900100").get_secret_value() == SECRET


def test_a_loyalty_prime_store_is_set_up_with_its_partner_and_its_key_kept_for_that_partner(home):
    """Set-up asked Annex Cloud's questions only and kept every key under the site id, where the
    Loyalty Prime adapter never looks: a Prime terminal set up this way could not start."""
    root, env = home
    prime = rollout(root).read_text().replace(
        'site_id = "900100"\nsite_name = "chain"\n',
        'vendor = "loyaltyprime"\npartner_id = "P-77"\ndebitor_id = "POS42"\nchannel_key = "STORE"\n')
    (root / "prime.toml").write_text(prime)
    result = kiosk(env, "setup", "--from", str(root / "prime.toml"))
    assert result.returncode == 0, result.stderr
    assert "backend: Loyalty Prime at https://loyalty.example.net/…" in result.stdout
    written = tomllib.loads((root / "config" / "kiosk" / "settings.toml").read_text())["backend"]
    assert (written["vendor"], written["partner_id"], written["debitor_id"]) == ("loyaltyprime", "P-77", "POS42")
    settings = config.load_settings()
    assert credentials.secret_for(settings.backend).get_secret_value() == SECRET
    assert credentials.keyring_entry(settings.backend) == ("P-77", "kiosk-loyaltyprime")
    from kiosk.loyalty.loyaltyprime.connect import client_for_settings

    assert client_for_settings(settings).terms.partner_id == "P-77"  # the terminal can start on it
    doctor = kiosk(env, "doctor", "--json")
    assert '"An API secret was found (not shown)."' in doctor.stdout

    (root / "config" / "kiosk" / "settings.toml").unlink()  # a new terminal for the refusals below
    missing = root / "no-debitor.toml"
    missing.write_text(prime.replace('debitor_id = "POS42"\n', ""))
    result = kiosk(env, "setup", "--from", str(missing))
    assert result.returncode == 2 and "set-up needs backend.debitor_id" in result.stderr
    bad = root / "bad-debitor.toml"
    bad.write_text(prime.replace('"POS42"', '"POS_42"'))
    result = kiosk(env, "setup", "--from", str(bad))
    assert result.returncode == 2 and "backend.debitor_id" in result.stderr and "'_'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "config" / "kiosk" / "settings.toml").exists()


def test_a_stored_key_goes_to_its_vendor_s_keyring_service(home, monkeypatch):
    """With a real keyring the key goes under the vendor's service and account, where load_secret looks."""
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1
        kept: dict = {}

        def get_password(self, service, account):
            return self.kept.get((service, account))

        def set_password(self, service, account, password):
            self.kept[(service, account)] = password

        def delete_password(self, service, account):
            self.kept.pop((service, account), None)

    before = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        said = credentials.store_secret("P-77", SECRET, service="kiosk-loyaltyprime")
        assert said.startswith("stored in the OS keyring") and Memory.kept == {("kiosk-loyaltyprime", "P-77"): SECRET}
        backend = config.BackendSettings(vendor="loyaltyprime", partner_id="P-77", site_id="900100")
        assert credentials.secret_for(backend).get_secret_value() == SECRET
        assert credentials.secret_for(config.BackendSettings(site_id="P-77")) is None  # not Annex Cloud's
    finally:
        keyring.set_keyring(before)
