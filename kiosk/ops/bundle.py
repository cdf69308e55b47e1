"""`kiosk support-bundle`: one zip for whoever supports the terminal, written to the current folder.

In it: the run logs (newest first, as many as fit), versions, doctor's answers, the settings
in effect (the validated model: a key someone typed into the file by mistake is not
carried along, and the secret is never a setting), the queue's status (counts and ages,
never a write's body). Never a database: they hold members, PIN hashes and sales.

The logs hold no member data by construction (kiosk/logs.py); as a second fence every
text is also searched for the API secret and the sandbox's demo secret before it goes
into the zip. The whole zip stays under MAX_BYTES: logs that would pass it are left out,
and MANIFEST.txt says which.
"""

from __future__ import annotations

import asyncio
import json
import platform
import sqlite3
import sys
import zipfile
from dataclasses import asdict
from datetime import datetime
from importlib import metadata
from pathlib import Path

from kiosk import __version__, config

MAX_BYTES = 20 * 1024 * 1024
# Room kept for the small files and the zip's own headers.
LOG_BUDGET = MAX_BYTES - 512 * 1024
SCRUBBED = "[secret removed]"


def write(folder: Path | None = None) -> Path:
    from kiosk.ops import doctor, logfiles

    folder = folder or Path.cwd()
    try:
        settings: config.Settings | None = config.load_settings()
        settings_text = json.dumps(settings.model_dump(mode="json"), indent=2)
    except config.ConfigError as exc:
        settings, settings_text = None, json.dumps({"error": str(exc)})
    results = asyncio.run(doctor.run())
    secrets = _secrets(settings)
    texts = {
        "versions.json": json.dumps(_versions(), indent=2),
        "doctor.jsonl": "\n".join(json.dumps(asdict(r), ensure_ascii=False) for r in results) + "\n",
        "settings.json": settings_text,
        "settings-files.txt": "\n".join(str(p) for p in config.settings_files()) + "\n",
        "queue.json": json.dumps(_queue(settings), indent=2),
    }
    terminal = settings.store.terminal_id if settings else "terminal"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"kiosk-support-{_plain(terminal)}-{stamp}.zip"
    tmp = path.with_name(path.name + ".part")
    taken, left = [], []
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in texts.items():
            zf.writestr(name, _scrub(text, secrets))
        used = 0
        for log in logfiles.runs():
            try:
                data = log.read_bytes()
            except OSError:
                continue
            if used + len(data) > LOG_BUDGET:
                left.append(log.name)
                continue
            used += len(data)
            taken.append(log.name)
            zf.writestr(f"logs/{log.name}", _scrub(data.decode("utf-8", "replace"), secrets))
        manifest = [f"Kiosk {__version__} support bundle, {datetime.now().isoformat(timespec='seconds')}",
                    f"logs included: {len(taken)}", *(f"  {n}" for n in taken),
                    f"logs left out (over {MAX_BYTES // 2**20} MB): {len(left)}", *(f"  {n}" for n in left),
                    "never included: the terminal, catalogue and sandbox databases, receipts, the credentials"]
        zf.writestr("MANIFEST.txt", "\n".join(manifest) + "\n")
    tmp.replace(path)
    return path


def _secrets(settings: config.Settings | None) -> list[str]:
    found = []
    try:
        from kiosk import credentials

        if settings is not None and not settings.uses_sandbox:
            secret = credentials.secret_for(settings.backend)
            if secret is not None:
                found.append(secret.get_secret_value())
    except config.ConfigError:
        pass
    try:
        from kiosk.sandbox.db import load_site

        found.append(load_site().secret)
    except Exception:  # the sandbox's files missing from a trimmed install: nothing to scrub then
        pass
    return [s for s in found if len(s) >= 4]


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, SCRUBBED)
    return text


def _versions() -> dict:
    packages = {}
    for name in ("PySide6-Essentials", "qasync", "httpx", "opencv-python-headless", "pyzbar", "zxing-cpp",
                 "fastapi", "uvicorn", "PyJWT", "pydantic", "pydantic-settings", "keyring", "python-escpos"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {"kiosk": __version__, "python": sys.version, "platform": platform.platform(),
            "machine": platform.machine(), "sqlite": sqlite3.sqlite_version, "packages": packages}


def _queue(settings: config.Settings | None) -> dict:
    if settings is None:
        return {"error": "the settings did not load"}
    from kiosk.outbox.commands import terminal_db_path
    from kiosk.outbox.queue import Outbox
    from kiosk.outbox.store import Database, StorageError

    path = terminal_db_path(settings)
    if not path.exists():
        return {"database": str(path), "exists": False}
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        try:
            status = Outbox(Database(conn, path)).status()
            kinds = [dict(r) for r in conn.execute(
                "SELECT kind, state, COUNT(*) AS count FROM ops GROUP BY kind, state ORDER BY kind, state")]
        finally:
            conn.close()
    except (sqlite3.Error, StorageError) as exc:
        return {"database": str(path), "error": str(exc)}
    return {"database": str(path), "pending": status.depth, "oldest_age_s": status.oldest_age_s,
            "dead": status.dead, "blocked": status.blocked, "paused": status.paused, "by_kind": kinds}


def _plain(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)[:32] or "terminal"


def main() -> int:
    path = write()
    size = path.stat().st_size
    print(f"{path.resolve()} ({size / 1e6:.1f} MB)")
    return 0

