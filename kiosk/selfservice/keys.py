"""The store's key that signs reward passes.

selfservice.pass_key_file names it (the same file copied to every terminal of the store, so
any till reads any kiosk's pass); unset, it is pass.key in the configuration directory, made
on first use from 32 random bytes, readable by the app's user only (kiosk/private.py). It is
kept as hex text so IT can copy it between machines. The key is never logged.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from kiosk import config, private

log = logging.getLogger(__name__)

KEY_BYTES = 32
MIN_BYTES = 16


def key_path(settings: config.Settings) -> Path:
    named = settings.selfservice.pass_key_file
    return Path(named).expanduser() if named else config.config_dir() / "pass.key"


def pass_key(settings: config.Settings) -> bytes:
    """The key's bytes; made first when no file is configured and pass.key does not exist yet."""
    path = key_path(settings)
    if not path.exists():
        if settings.selfservice.pass_key_file:
            # A named file that is missing is a setup mistake: a new key here would make
            # this terminal refuse every other terminal's passes.
            raise config.ConfigError(f"selfservice.pass_key_file names {path}, which does not exist. Copy the "
                                     "store's pass key there, or leave the setting empty to make one.")
        _create(path)
    private.secure(path)
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise config.ConfigError(f"The reward pass key {path} is not hex text; copy the store's key again.") \
            from None
    if len(key) < MIN_BYTES:
        raise config.ConfigError(f"The reward pass key {path} is too short ({len(key)} bytes; at least "
                                 f"{MIN_BYTES}); copy the store's key again.")
    return key


def _create(path: Path) -> None:
    private.make_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, private.FILE_MODE)
    except FileExistsError:
        return  # another process made it a moment ago: read theirs
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(KEY_BYTES) + "\n")
    log.info("made a new reward pass key at %s", path)
