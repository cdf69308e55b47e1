"""Files only the app's user can read: 0600 files in 0700 folders.

The terminal database holds PIN hashes, card codes, member ids and emails; the
sandbox's and the receipts hold members too. So every process starts with a
0077 umask (what it creates is private whatever the code path: SQLite's -wal
and -shm, Qt's PDF writer), the known files are created 0600 explicitly (a
library that embeds Kiosk keeps its own umask), and at start an existing
install's looser modes are tightened and logged. A file or folder owned by
another user is refused: Kiosk can't vouch for what someone else may read or
swap, and chmod would not be allowed anyway.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from kiosk.errors import ConfigError

if TYPE_CHECKING:
    from kiosk import config

log = logging.getLogger(__name__)

FILE_MODE, DIR_MODE = 0o600, 0o700
# SQLite's companions of a database file; .bak files are the copies taken before a schema change.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class ForeignFileError(ConfigError):
    """A file or folder Kiosk keeps private belongs to another user."""


def restrict_umask() -> None:
    os.umask(0o077)


def secure(path: Path) -> bool:
    """Check `path` is ours and tighten its mode; True when it was looser. A missing path is fine."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return False
    if os.name != "posix":
        return False
    if info.st_uid != os.geteuid():
        raise ForeignFileError(f"{path} belongs to another user, so Kiosk will not keep its data there. "
                               f"Give it to this user (chown) or remove it.")
    wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
    mode = stat.S_IMODE(info.st_mode)
    if not mode & ~wanted & 0o077:
        return False
    os.chmod(path, mode & ~0o077)
    log.warning("%s could be read by other users (mode %o); it is now %o", path, mode, mode & ~0o077)
    return True


def make_dir(path: Path) -> Path:
    """`path` and its missing parents, made as 0700 folders. An existing folder is left as it
    is: it may be one a person chose and shares (a spool folder, /tmp); secure_install
    tightens Kiosk's own folders."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)  # mkdir's mode passes through the umask
    return path


def create_file(path: Path) -> Path:
    """An empty 0600 file at `path` unless one is there (then checked and tightened)."""
    make_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        secure(path)
    return path


def database_files(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + side) for side in SQLITE_SIDE_FILES),
            *sorted(path.parent.glob(f"{path.name}.v*.bak"))]


def kiosk_paths(settings: config.Settings) -> tuple[list[Path], list[Path]]:
    """(folders, files) that Kiosk writes under these settings."""
    # Here, not at the top: restrict_umask runs before the first frame, without pydantic.
    from kiosk import config
    from kiosk.checkout.catalogue import default_path
    from kiosk.checkout.printing import receipts_dir
    from kiosk.connect import sandbox_db_path
    from kiosk.outbox.commands import terminal_db_path

    databases = [terminal_db_path(settings), default_path(settings), sandbox_db_path(settings)]
    receipts = receipts_dir(settings.printer)
    # Only the folders Kiosk names itself: a folder set in the settings may be shared on purpose.
    folders = [config.data_dir(), config.config_dir(), config.data_dir() / "receipts",
               *(config.data_dir() / name for name in ("demo", "training"))]  # kiosk/ops/environments.py
    files = [f for db in databases for f in database_files(db)]
    # Not the credentials file: one that others could read is refused (kiosk.credentials), since
    # its secret may have been read already and only a person can decide what to do about it.
    files.append(config.settings_path())
    if receipts.is_dir():
        files += sorted(receipts.glob("*.pdf"))
    return _unique(folders), _unique(files)


def secure_install(settings: config.Settings) -> list[Path]:
    """Check and tighten everything Kiosk keeps; the paths whose modes were changed."""
    folders, files = kiosk_paths(settings)
    return [path for path in (*folders, *files) if secure(path)]


def _unique(paths: Iterable[Path]) -> list[Path]:
    return list(dict.fromkeys(paths))
