"""Settings (TOML + environment, versioned) and the API secret's sources."""

import logging
import stat

import pytest
from keyring.backend import KeyringBackend

from kiosk import config, credentials
from kiosk.connect import connect
from kiosk.sizes import readable_size


def test_defaults_without_a_file(tmp_path):
    settings = config.load_settings(tmp_path / "missing.toml")
    assert settings.uses_sandbox
    assert settings.backend.attempt_timeout_s == 5.0
    assert settings.schema_version == config.SCHEMA_VERSION


def test_file_then_environment_wins(tmp_path, monkeypatch):
    path = tmp_path / "settings.toml"
    path.write_text('schema_version = 1\n[backend]\nurl = "https://a.example/api/3.0/"\nsite_id = "42"\n'
                    'site_name = "shop"\n[store]\nterminal_id = "T07"\n[tax]\nmode = "inclusive"\n'
                    '[tax.rates]\nstandard = "20"\n')
    monkeypatch.setenv("KIOSK_STORE__TERMINAL_ID", "T99")
    settings = config.load_settings(path)
    assert settings.backend.url == "https://a.example/api/3.0/" and not settings.uses_sandbox
    assert settings.store.terminal_id == "T99"
    assert settings.tax.mode == "inclusive"
    assert str(settings.tax.rates["standard"]) == "20"


def test_round_trip(tmp_path):
    path = tmp_path / "settings.toml"
    original = config.Settings(store={"store_id": "S-9", "terminal_id": "T3"})
    config.save_settings(original, path)
    # Loading makes the environment explicit (demo here: no backend) and puts its databases in its folder.
    from kiosk.ops import environments

    assert config.load_settings(path) == environments.apply(original)


def test_unversioned_file_is_migrated_with_a_backup(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[store]\nterminal_id = "T05"\n')
    settings = config.load_settings(path)
    assert settings.store.terminal_id == "T05"
    assert (tmp_path / "settings.toml.v0.bak").read_text() == '[store]\nterminal_id = "T05"\n'
    assert "schema_version = 1" in path.read_text()


def test_a_newer_file_is_refused_not_clobbered(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("schema_version = 99\n")
    with pytest.raises(config.ConfigError, match="newer Kiosk"):
        config.load_settings(path)
    assert path.read_text() == "schema_version = 99\n"


@pytest.mark.parametrize(("text", "env", "needle"), [
    ("[backend\nurl=", {}, "not valid TOML"),
    ("[backend]\nattempt_timeout_s = -1\n", {}, "backend.attempt_timeout_s"),
    ("", {"KIOSK_TAX__MODE": "sideways"}, "tax.mode"),
])
def test_bad_settings_are_a_clear_message(tmp_path, monkeypatch, text, env, needle):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError, match=needle.replace(".", r"\.")):
        config.load_settings(path)



class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps passwords in memory."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.items = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    import keyring

    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_secret_sources_in_order(tmp_path, memory_keyring):
    file = tmp_path / "credentials"
    credentials.save_secret_file("from-file", file)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert credentials.load_secret("42", env={}, path=file).get_secret_value() == "from-file"
    env = {credentials.ENV_VAR: "from-env"}
    assert credentials.load_secret("42", env=env, path=file).get_secret_value() == "from-env"
    memory_keyring.set_password(credentials.KEYRING_SERVICE, "42", "from-keyring")
    assert credentials.load_secret("42", env=env, path=file).get_secret_value() == "from-keyring"
    assert credentials.load_secret("43", env={}, path=tmp_path / "none") is None


def test_a_credentials_file_others_can_read_is_refused(tmp_path):
    file = tmp_path / "credentials"
    file.write_text("s3cret")
    file.chmod(0o644)
    with pytest.raises(credentials.CredentialsError, match="chmod 600"):
        credentials.load_secret("42", env={}, path=file)


def test_the_secret_never_shows(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    secret = credentials.load_secret("42", env={credentials.ENV_VAR: "very-secret-value"}, path=tmp_path / "x")
    assert "very-secret-value" not in repr(secret) and "very-secret-value" not in str(secret)
    assert "very-secret-value" not in caplog.text
    assert "environment" in caplog.text


def test_the_settings_file_never_holds_the_secret(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[backend]\nsecret = "oops"\n')
    settings = config.load_settings(path)
    assert "oops" not in settings.model_dump_json()


def test_a_backend_without_a_secret_is_refused_not_silently_sandboxed(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_SETTINGS", str(tmp_path / "settings.toml"))
    settings = config.Settings(backend={"url": "https://a.example/api/3.0/", "site_id": "42", "site_name": "s"})
    with pytest.raises(config.ConfigError, match="no API secret"):
        connect(settings)


async def test_no_backend_means_the_embedded_sandbox(tmp_path):
    conn = connect(config.Settings(), sandbox_db=tmp_path / "sb.sqlite3")
    try:
        assert conn.embedded
        view = await conn.client.lookup_member("M100001")
        assert view.member.first_name == "Ana"
    finally:
        await conn.aclose()


async def test_a_configured_backend_is_used_with_its_secret(sandbox, monkeypatch):
    site = sandbox.store.site
    monkeypatch.setenv(credentials.ENV_VAR, site.secret)
    settings = config.Settings(backend={"url": sandbox.base_url, "site_id": site.site_id, "site_name": site.site_name})
    conn = connect(settings)
    try:
        assert not conn.embedded
        assert (await conn.client.get_points("M100004")).tier == "Platinum"
    finally:
        await conn.aclose()


async def test_the_embedded_sandbox_follows_the_points_ratio_setting(tmp_path):
    from decimal import Decimal

    from kiosk.loyalty.models import Order, OrderLine

    settings = config.Settings(loyalty={"points_per_currency_unit": "2.5"})
    conn = connect(settings, sandbox_db=tmp_path / "sb.sqlite3")
    try:
        result = await conn.client.create_order(
            Order("T01-RATIO", "M100005", Decimal("10.00"), (OrderLine("L1", "Tea", Decimal("10.00"), 1),)))
        assert result.points_awarded == 25
    finally:
        await conn.aclose()


@pytest.mark.parametrize("size, shown", [(0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (40_960, "41 kB"),
                                         (999_499, "999 kB"), (999_500, "1 MB"), (123_456_789, "123 MB"),
                                         (2 * 1024 ** 3, "2.15 GB")])
def test_sizes_are_shown_in_the_unit_that_fits(size, shown):
    assert readable_size(size) == shown
