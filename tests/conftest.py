"""Fixtures: an isolated environment per test and a real sandbox over loopback HTTP."""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, settings

# The qasync loop fixtures for widget tests (`qloop`); Qt loads only when one is used.
pytest_plugins = ["tests.ui_env"]

# Real processes and real sockets are slow on a 2-core CI machine: no deadlines there.
settings.register_profile("ci", deadline=None, max_examples=200,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Nothing a test does may touch the real user's settings, keyring or data.
_HOME = tempfile.mkdtemp(prefix="kiosk-tests-")
os.environ.update({
    "XDG_CONFIG_HOME": os.path.join(_HOME, "config"),
    "XDG_DATA_HOME": os.path.join(_HOME, "data"),
    "XDG_STATE_HOME": os.path.join(_HOME, "state"),
    "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
})
for _name in [k for k in os.environ if k.startswith("KIOSK_")]:
    del os.environ[_name]
# Nor the machine's own /etc/kiosk/settings.toml.
os.environ["KIOSK_SYSTEM_SETTINGS"] = os.path.join(_HOME, "system-settings.toml")


@pytest.fixture
def sandbox(tmp_path):
    """A fresh sandbox with demo data and fault switches, on an ephemeral port."""
    from kiosk.sandbox.server import SandboxServer

    server = SandboxServer(tmp_path / "sandbox.sqlite3", faults=True).start()
    yield server
    server.stop()


@pytest.fixture
async def client(sandbox):
    from tests.helpers import client_for

    async with client_for(sandbox) as c:
        yield c


@pytest.fixture
async def counted(sandbox):
    """A client whose requests are counted, for "refused before anything is sent"."""
    from tests.helpers import CountingTransport, client_for

    transport = CountingTransport()
    async with client_for(sandbox, transport=transport) as c:
        yield c, transport


@pytest.fixture
def clock():
    from tests.helpers import Clock

    return Clock()


@pytest.fixture
def db(tmp_path):
    """The terminal's database, fresh, with every migration applied."""
    from kiosk.outbox.store import open_database

    database = open_database(tmp_path / "terminal.sqlite3")
    yield database
    database.close()
