"""Where the settings files are, without loading the settings.

Apart from kiosk.config (which loads pydantic) so that the window can learn its language
from them before its first frame.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

APP_NAME = "kiosk"


# platformdirs and tomllib are imported where used: this module loads before the window's
# first frame, and most starts have the settings in the environment or no file at all.
def config_dir() -> Path:
    import platformdirs

    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def settings_path(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env["KIOSK_SETTINGS"]) if env.get("KIOSK_SETTINGS") else config_dir() / "settings.toml"


def system_settings_path(env: Mapping[str, str] = os.environ) -> Path:
    """The machine-wide file under the user's: a chain ships one (the installed package's says live)."""
    return Path(env.get("KIOSK_SYSTEM_SETTINGS") or "/etc/kiosk/settings.toml")


def settings_files(env: Mapping[str, str] = os.environ) -> list[Path]:
    """The settings files that exist, machine-wide first, then the user's that overrides it."""
    return [p for p in (system_settings_path(env), settings_path(env)) if p.is_file()]


def value(section: str, key: str, env: Mapping[str, str] = os.environ) -> Any:
    """One setting as the environment or the files give it (the environment first, then the
    user's file, then the machine's), or None. Unreadable files count as silent here: the
    settings' own load reports them."""
    name = f"KIOSK_{section.upper()}__{key.upper()}"
    if env.get(name):
        return env[name]
    files = settings_files(env)
    if files:
        import tomllib
    for path in reversed(files):
        try:
            found = tomllib.loads(path.read_text("utf-8")).get(section, {}).get(key)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
            continue
        if found is not None:
            return found
    return None
