"""Which world a terminal sells in: demo, live or training (separate from its mode, cashier or
self-service).

- demo: the embedded sandbox with demo members, demo operators (C01, M01) and the demo
  catalogue, and a banner. No settings file at all starts here; so does a settings file
  with neither an environment nor a backend URL, and `kiosk doctor` warns about that one.
- live: the configured backend. Never the demo operators or catalogue; a missing backend
  setting is an error that says to run `kiosk setup`, never a fall-back to demo. The
  installed package's /etc/kiosk/settings.toml says live.
- training: the embedded sandbox (its own database) with the store's catalogue and
  operators; every receipt says TRAINING.

Each environment keeps its writes in its own terminal database (demo and training in a
folder of their own under the data folder; live where Kiosk always kept it), and each
terminal database is stamped with its environment the first time Kiosk opens it: opened
under another environment, it is refused. So nothing queued in demo or training can ever
be delivered to a live backend, and a queued write never crosses a switch.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Mapping

from kiosk import config

DEMO, LIVE, TRAINING = "demo", "live", "training"
NAMES = (DEMO, LIVE, TRAINING)
ENV_VAR = "KIOSK_ENVIRONMENT"
STAMP_TABLE = "kiosk_environment"


def resolve(settings: config.Settings) -> str:
    """The environment these settings mean: the one named, else live with a backend URL, else demo."""
    if settings.environment:
        return settings.environment
    return LIVE if settings.backend.url else DEMO


def apply(settings: config.Settings) -> config.Settings:
    """`settings` with the environment made explicit and each database where that environment
    keeps it (a path set in the settings stays as it is: the stamp guards it)."""
    name = resolve(settings)
    update: dict = {"environment": name}
    if name in (DEMO, TRAINING):
        folder = config.data_dir() / name
        if not settings.outbox.db_path:
            update["outbox"] = settings.outbox.model_copy(update={"db_path": str(folder / "terminal.sqlite3")})
        if not settings.sandbox.db_path:
            update["sandbox"] = settings.sandbox.model_copy(update={"db_path": str(folder / "sandbox.sqlite3")})
    if name == DEMO and not settings.catalogue.db_path:
        # The demo catalogue is seeded into its own file: live and training use the store's.
        update["catalogue"] = settings.catalogue.model_copy(
            update={"db_path": str(config.data_dir() / DEMO / "catalogue.sqlite3")})
    return settings.model_copy(update=update)


def seeds_demo(settings: config.Settings) -> bool:
    """Whether the till gets the demo operators and catalogue: in demo only."""
    return resolve(settings) == DEMO


def why(settings: config.Settings, env: Mapping[str, str] = os.environ) -> str:
    """How the environment was chosen: "named", "no settings file", "no backend url" or "backend url"."""
    if env.get(ENV_VAR) or any(config.read_file(p).get("environment") for p in config.settings_files(env)):
        return "named"
    if settings.backend.url:
        return "backend url"
    return "no backend url" if config.settings_files(env) else "no settings file"


class EnvironmentMismatch(config.ConfigError):
    """A terminal database belongs to another environment."""


def check_database(path: Path, name: str) -> None:
    """Stamp `path` with environment `name`, or refuse it when it holds another one's writes."""
    from kiosk import private

    private.create_file(path)
    conn = sqlite3.connect(path, timeout=10)
    try:
        with conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {STAMP_TABLE} (name TEXT NOT NULL)")
            row = conn.execute(f"SELECT name FROM {STAMP_TABLE}").fetchone()
            if row is None:
                conn.execute(f"INSERT INTO {STAMP_TABLE} (name) VALUES (?)", (name,))
                return
    except sqlite3.DatabaseError as exc:
        raise config.ConfigError(f"The terminal database {path} can't be opened ({exc}). Nothing was changed; "
                                 "run `kiosk doctor`.") from None
    finally:
        conn.close()
    if row[0] != name:
        raise EnvironmentMismatch(
            f"The terminal database {path} belongs to the {row[0]} environment, and this terminal is set to "
            f"{name}: its sales and queued writes never cross to another environment. Point outbox.db_path at "
            f"another file, or set environment = \"{row[0]}\" again.")


def stamp_of(path: Path) -> str | None:
    """The environment a terminal database was stamped with (None: not yet, or no file); read-only."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute(f"SELECT name FROM {STAMP_TABLE}").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def take_flag(args: list[str]) -> list[str]:
    """`--environment NAME` anywhere on the command line, taken out and put in KIOSK_ENVIRONMENT
    (which the settings read, and which the window's start-up sees too)."""
    out, rest = [], iter(args)
    for arg in rest:
        if arg == "--environment" or arg.startswith("--environment="):
            value = arg.partition("=")[2] if "=" in arg else next(rest, "")
            if value not in NAMES:
                raise config.ConfigError(f"--environment must be one of {', '.join(NAMES)}, not {value!r}")
            os.environ[ENV_VAR] = value
            continue
        out.append(arg)
    return out


def copy_operators(from_db: Path, to_db) -> int:
    """Training signs in with the store's operators: those of the live terminal database, copied
    (PIN hashes as they are) into the training database when it has none. The number copied."""
    if not from_db.exists() or to_db.read("SELECT COUNT(*) FROM operators")[0][0]:
        return 0
    conn = sqlite3.connect(f"file:{from_db}?mode=ro", uri=True, timeout=5)
    try:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute(
            "SELECT id, name, role, pin_hash, active, created_at, updated_at FROM operators")]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()
    with to_db.tx() as tx:
        tx.executemany("INSERT OR IGNORE INTO operators (id, name, role, pin_hash, active, created_at, updated_at) "
                       "VALUES (:id, :name, :role, :pin_hash, :active, :created_at, :updated_at)", rows)
    return len(rows)
