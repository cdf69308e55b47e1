"""Environments: demo, live and training, chosen by the rules of kiosk/ops/environments.py; a live
terminal never falls back to the demo, training never reaches a live backend, and a queued write
never crosses a switch."""

from __future__ import annotations

import json
from decimal import Decimal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import config
from kiosk.checkout import receipt as receipts
from kiosk.checkout.errors import CheckoutError
from kiosk.checkout.operators import Operators
from kiosk.ops import environments
from kiosk.outbox.commands import terminal_db_path
from kiosk.outbox.store import open_database

KIOSK = str(Path(sys.executable).with_name("kiosk"))


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A terminal's folders, and a machine-wide file that does not exist yet."""
    for name, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
        monkeypatch.setenv(name, str(tmp_path / sub))
    monkeypatch.setenv("KIOSK_SYSTEM_SETTINGS", str(tmp_path / "etc" / "settings.toml"))
    monkeypatch.delenv("KIOSK_ENVIRONMENT", raising=False)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def user_file(home: Path) -> Path:
    return home / "config" / "kiosk" / "settings.toml"


LIVE_BACKEND = '[backend]\nurl = "http://127.0.0.1:9/api/3.0/"\nsite_id = "900100"\nsite_name = "store"\n'


def test_no_settings_file_is_the_demo_with_its_own_folder(home):
    settings = config.load_settings()
    data = home / "data" / "kiosk"
    assert settings.environment == "demo" and settings.uses_sandbox and environments.seeds_demo(settings)
    assert environments.why(settings) == "no settings file"
    assert terminal_db_path(settings) == data / "demo" / "terminal.sqlite3"
    assert Path(settings.sandbox.db_path) == data / "demo" / "sandbox.sqlite3"
    assert Path(settings.catalogue.db_path) == data / "demo" / "catalogue.sqlite3"


def test_a_file_without_environment_or_backend_is_the_demo_and_says_why(home):
    write(user_file(home), '[store]\nterminal_id = "T07"\n')
    settings = config.load_settings()
    assert settings.environment == "demo" and environments.why(settings) == "no backend url"


def test_a_backend_url_without_an_environment_is_live_as_before(home):
    write(user_file(home), LIVE_BACKEND)
    settings = config.load_settings()
    assert settings.environment == "live" and not settings.uses_sandbox and not environments.seeds_demo(settings)
    assert environments.why(settings) == "backend url"
    assert terminal_db_path(settings) == home / "data" / "kiosk" / "terminal.sqlite3"  # where it always was


def test_the_machine_wide_file_lies_under_the_users_key_by_key(home):
    write(home / "etc" / "settings.toml", 'environment = "live"\n[store]\nname = "Chain Store"\n'
                                          'terminal_id = "T01"\n[checkout]\nmax_quantity = 50\n')
    write(user_file(home), '[store]\nterminal_id = "T09"\n')
    settings = config.load_settings()
    assert settings.environment == "live" and environments.why(settings) == "named"
    assert (settings.store.name, settings.store.terminal_id, settings.checkout.max_quantity) == \
        ("Chain Store", "T09", 50)


def test_an_installed_live_terminal_without_a_backend_asks_for_set_up_and_never_starts_the_demo(home):
    write(home / "etc" / "settings.toml", 'environment = "live"\n')
    env = {**os.environ}
    for command in (["queue", "drain", "--max-seconds", "5"], ["demo"]):
        result = subprocess.run([KIOSK, *command], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "set to the live environment, but backend.url is not set: run `kiosk setup`" in result.stderr
        assert "never falls back to the demo" in result.stderr
    assert not (home / "data" / "kiosk" / "demo").exists()  # nothing of the demo was made


def test_the_environment_flag_and_variable_choose_and_a_wrong_one_is_a_sentence(home):
    env = {**os.environ}
    result = subprocess.run([KIOSK, "--environment", "training", "config", "show"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["settings"]["environment"] == "training"
    result = subprocess.run([KIOSK, "--environment=nowhere", "config", "show"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 2 and "--environment must be one of demo, live, training" in result.stderr


def test_a_terminal_database_never_crosses_environments(home):
    shared = home / "shared.sqlite3"
    environments.check_database(shared, "demo")
    db = open_database(shared)  # the stamp sits beside the terminal's own tables
    db.close()
    environments.check_database(shared, "demo")  # the same one again: fine
    with pytest.raises(environments.EnvironmentMismatch, match="belongs to the demo environment"):
        environments.check_database(shared, "live")
    assert environments.stamp_of(shared) == "demo"

    # Through the settings: a path shared on purpose is refused when the environment changes.
    write(user_file(home), f'environment = "demo"\n[outbox]\ndb_path = "{shared}"\n')
    from kiosk.connect import connect

    connect(config.load_settings()).sandbox.stop()
    write(user_file(home), f'environment = "training"\n[outbox]\ndb_path = "{shared}"\n')
    with pytest.raises(config.ConfigError, match="belongs to the demo environment"):
        connect(config.load_settings())


async def test_training_is_the_sandbox_with_the_stores_operators_and_catalogue_and_marked_receipts(home):
    from kiosk.app import terminal as lifecycle

    data = home / "data" / "kiosk"
    # The store's own till: a manager and a cashier in the live database, its catalogue.
    live = open_database(data / "terminal.sqlite3")
    Operators(live, terminal_id="T01").add("S7", "Sam", "cashier", "4826")
    Operators(live, terminal_id="T01").add("B2", "Bo", "manager", "7351")
    live.close()
    from kiosk.checkout.catalogue_import import import_products

    import_products([{"sku": "OWN-1", "barcode": "", "name": "Own Tea", "price": "3.00", "category": "Tea",
                      "taxClass": "zero"}], data / "catalogue.sqlite3", {"zero", "standard", "reduced"})
    # A live backend in the file too: training must not use it.
    write(user_file(home), 'environment = "training"\n' + LIVE_BACKEND)
    settings = config.load_settings()
    terminal = await lifecycle.start(settings)
    try:
        assert terminal.embedded and "127.0.0.1:9" not in str(terminal.connection.client.base_url)
        till = terminal.till
        assert terminal_db_path(settings) == data / "training" / "terminal.sqlite3"
        assert environments.stamp_of(data / "training" / "terminal.sqlite3") == "training"
        with pytest.raises(CheckoutError):
            till.operators.sign_in("C01", "1111")  # never the demo operators
        cashier = till.operators.sign_in("S7", "4826")
        assert till.catalogue.by_sku("OWN-1").name == "Own Tea" and till.catalogue.by_sku("HOM-001") is None
        sale = till.checkout.new_sale(cashier.id)
        sale.cart.add(till.catalogue.by_sku("OWN-1"))
        sale.start_tendering()
        sale.add_external("cash", Decimal(sale.due) / 100)
        result = await till.checkout.pay(sale)
        assert result.ok, result.message
    finally:
        await terminal.stop()
    from datetime import datetime

    text = receipts.build(result.receipt, store_id="S", terminal_id="T01", tax_inclusive=False, at=datetime.now(),
                          training=settings.environment == "training").text()
    lines = text.splitlines()
    assert lines[0].strip() == lines[-1].strip() == receipts.TRAINING_MARK
    # Its sale stayed in training's database; the live one has no sale and nothing queued.
    live = open_database(data / "terminal.sqlite3")
    try:
        assert live.read("SELECT COUNT(*) FROM sales")[0][0] == 0
        assert live.read("SELECT COUNT(*) FROM ops")[0][0] == 0
    finally:
        live.close()


def test_the_packaged_machine_wide_file_says_live(home):
    shipped = Path(__file__).parents[1] / "packaging" / "etc" / "settings.toml"
    write(home / "etc" / "settings.toml", shipped.read_text())
    settings = config.load_settings()
    assert settings.environment == "live" and environments.why(settings) == "named"
    from kiosk.connect import connect

    with pytest.raises(config.ConfigError, match="run `kiosk setup`"):
        connect(settings)
