"""The log on disk: one file per run of any Kiosk process, in the platform's log folder.

Why a file as well as stderr: the window is usually started by a desktop session
whose stderr nobody keeps, and store IT asks for "the log" (`kiosk support-bundle`
zips these files). Under systemd stderr is the journal already (JOURNAL_STREAM), so
nothing else is needed there.

- A file per run, named by start time, pid and entry point; 0600, in a 0700 folder.
- Within a run, logging's RotatingFileHandler caps the file (RUN_CAP_BYTES, then one
  older part). At start, runs beyond KEEP_RUNS or older than KEEP_DAYS are removed, and
  then the oldest while the folder holds more than FOLDER_CAP_BYTES; a file written to in
  the last hour is never removed (another Kiosk process may be writing it).
- The file gets INFO and up even when stderr shows warnings only (more when log.level
  asks for more; kiosk/logs.py), with the same filter: URLs cut to their host.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import time
from datetime import datetime
from pathlib import Path

import platformdirs

from kiosk import logs

RUN_CAP_BYTES = 5 * 1024 * 1024
KEEP_RUNS = 30
KEEP_DAYS = 30
FOLDER_CAP_BYTES = 60 * 1024 * 1024
BUSY_S = 3600
FILE_LEVEL = logging.INFO
FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"
SUFFIX = ".log"


def log_dir() -> Path:
    """~/.local/state/kiosk/log on Linux (XDG_STATE_HOME), the platform's own elsewhere."""
    return platformdirs.user_log_path("kiosk", appauthor=False)


class RunFile(logging.handlers.RotatingFileHandler):
    """A rotating file whose every part is created 0600, whatever the process's umask."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def current() -> RunFile | None:
    return next((h for h in logging.getLogger().handlers if isinstance(h, RunFile)), None)


def start(entry: str, folder: Path | None = None) -> Path | None:
    """This process's log file for `entry` (gui, demo, queue, ...); one per process.

    A folder that can't be written (a full disk, a read-only home) leaves the process
    logging to stderr only, with one warning saying why: a log must never stop a till."""
    from kiosk import private

    folder = folder or log_dir()
    handler = current()
    if handler is not None:
        if Path(handler.baseFilename).parent == folder:
            return Path(handler.baseFilename)
        logging.getLogger().removeHandler(handler)
        handler.close()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"kiosk-{stamp}-{os.getpid()}-{_plain(entry)}{SUFFIX}"
    try:
        private.make_dir(folder)
        private.secure(folder)
        prune(folder)
        handler = RunFile(path, maxBytes=RUN_CAP_BYTES, backupCount=1, encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("no log file in %s (%s); logging to stderr only", folder,
                                            exc.strerror or type(exc).__name__)
        return None
    handler.kiosk_floor = FILE_LEVEL  # kiosk/logs.py lowers it to log.level when that is lower
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(logs.HideURLs())
    logging.getLogger().addHandler(handler)
    logs.refresh_level()
    return path


def stop() -> None:
    """This process's log file closed and detached (a command run in-process, as tests do, ends its run)."""
    handler = current()
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()
        logs.refresh_level()


def runs(folder: Path | None = None) -> list[Path]:
    """Every log file in the folder (rotated parts included), newest first."""
    folder = folder or log_dir()
    try:
        found = [p for p in folder.iterdir() if p.name.startswith("kiosk-") and SUFFIX in p.name and p.is_file()]
    except OSError:
        return []
    return sorted(found, key=_mtime, reverse=True)


def prune(folder: Path, now: float | None = None) -> list[Path]:
    """Remove old runs (see the module's rules); the files removed."""
    now = time.time() if now is None else now
    files = runs(folder)
    removed = []
    run_names: list[str] = []
    total = 0
    for path in files:
        run = path.name.split(SUFFIX, 1)[0]
        if run not in run_names:
            run_names.append(run)
        size = _size(path)
        busy = now - _mtime(path) < BUSY_S
        too_many = len(run_names) > KEEP_RUNS
        too_old = now - _mtime(path) > KEEP_DAYS * 86400
        if not busy and (too_many or too_old or total + size > FOLDER_CAP_BYTES):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
            continue
        total += size
    return removed


def _plain(entry: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in entry)[:24] or "kiosk"


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
