"""`kiosk doctor`: what is wrong with this terminal, in sentences store IT can act on.

Each check answers ok, warn or fail with a sentence and, when not ok, the fix. CHECKS is
a registry: a part of Kiosk adds its own with `@check("name")` (a function of the
Context returning one Result or several; it may be a coroutine). The outbox check is
made of OUTBOX_PARTS, which later parts extend the same way.

Safe beside a running app: it opens the terminal database read-only, starts its own
sandbox only in demo and training (on its own port, reading the environment's sandbox
file), never tightens a file mode (it says which are loose), and prints no secret.
"""

from __future__ import annotations

import asyncio
import ctypes.util
import importlib
import inspect
import json
import logging
import os
import shutil
import socket
import sqlite3
import ssl
import stat
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from kiosk import config

log = logging.getLogger(__name__)

OK, WARN, FAIL = "ok", "warn", "fail"
EXIT = {OK: 0, WARN: 1, FAIL: 2}
SKEW_WARN_S = 60.0
OLDEST_WARN_S, OLDEST_FAIL_S = 3600.0, 24 * 3600.0
DISK_WARN_MB, DISK_FAIL_MB = 500, 100


@dataclass(frozen=True)
class Result:
    check: str
    state: str  # ok | warn | fail
    message: str
    fix: str = ""


@dataclass
class Context:
    settings: config.Settings | None  # None: the settings did not load (the "settings" check says why)
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))


Check = Callable[[Context], "Result | list[Result] | Any"]
CHECKS: list[tuple[str, Check]] = []
OUTBOX_PARTS: list[Callable[[Any, Context], "Result | None"]] = []


def check(name: str, *, needs_settings: bool = True):
    """Register a doctor check (in the order registered)."""
    def register(fn: Check) -> Check:
        fn.needs_settings = needs_settings  # type: ignore[attr-defined]
        CHECKS.append((name, fn))
        return fn
    return register


async def run(env: dict[str, str] | None = None) -> list[Result]:
    env = dict(os.environ if env is None else env)
    try:
        settings: config.Settings | None = config.load_settings()
    except config.ConfigError:
        settings = None
    ctx = Context(settings, env)
    results: list[Result] = []
    for name, fn in CHECKS:
        if getattr(fn, "needs_settings", True) and settings is None:
            results.append(Result(name, FAIL, "Not checked: the settings did not load.", "Fix the settings first."))
            continue
        try:
            found = fn(ctx)
            if inspect.isawaitable(found):
                found = await found
        except Exception as exc:  # one check's bug must not hide the others' answers
            log.warning("the %s check failed", name, exc_info=True)  # for the support bundle
            found = Result(name, FAIL, f"The check itself failed ({type(exc).__name__}).",
                           "Send `kiosk support-bundle` to your Kiosk supplier.")
        results.extend(found if isinstance(found, list) else [found])
    return results


def exit_code(results: list[Result]) -> int:
    return max((EXIT[r.state] for r in results), default=0)


def render(results: list[Result], as_json: bool) -> str:
    if as_json:
        return "\n".join(json.dumps(asdict(r), ensure_ascii=False) for r in results)
    lines = []
    for r in results:
        lines.append(f"{r.state.upper():4}  {r.check}: {r.message}")
        if r.fix and r.state != OK:
            lines.append(f"      fix: {r.fix}")
    return "\n".join(lines)


def main(as_json: bool) -> int:
    results = asyncio.run(run())
    print(render(results, as_json), flush=True)
    return exit_code(results)


# -- the checks ---------------------------------------------------------------------------------

@check("settings", needs_settings=False)
def _settings(ctx: Context) -> Result:
    files = config.settings_files(ctx.env)
    try:
        config.load_settings()
    except config.ConfigError as exc:
        return Result("settings", FAIL, str(exc), "Correct the named value, or run `kiosk setup` again.")
    where = ", ".join(str(p) for p in files) or "no settings file (the defaults)"
    return Result("settings", OK, f"The settings parse: {where}.")


@check("environment")
def _environment(ctx: Context) -> Result:
    from kiosk.ops import environments

    s = ctx.settings
    why = environments.why(s, ctx.env)
    if s.environment == environments.DEMO and why == "no backend url":
        return Result("environment", WARN, "The settings file names no environment and no backend, so this "
                      "terminal runs the demo with its demo operators and members.",
                      'Run `kiosk setup`, or set environment = "live" and the [backend] settings; '
                      'environment = "demo" says the demo is meant.')
    said = {"named": "as the settings say", "backend url": "a backend is set", "no settings file":
            "no settings file yet"}[why]
    return Result("environment", OK, f"Environment {s.environment} ({said}).")


@check("secret")
def _secret(ctx: Context) -> Result:
    from kiosk import credentials

    s = ctx.settings
    if s.uses_sandbox:
        return Result("secret", OK, "The embedded sandbox signs with its own demo secret.")
    _, service = credentials.keyring_entry(s.backend)
    try:
        found = credentials.secret_for(s.backend, env=ctx.env)
    except config.ConfigError as exc:
        return Result("secret", FAIL, str(exc), "Follow the sentence; then run `kiosk doctor` again.")
    if found is None:
        return Result("secret", FAIL, "No API secret was found for this site.",
                      f"Store it with `kiosk setup`, in the OS keyring (service {service!r}), "
                      f"in {credentials.ENV_VAR}, or in {credentials.credentials_path()} (mode 600).")
    return Result("secret", OK, "An API secret was found (not shown).")


@check("backend")
async def _backend(ctx: Context) -> list[Result]:
    s = ctx.settings
    if not s.uses_sandbox:
        if not s.backend.url:
            return [Result("backend", FAIL, "No backend.url is set for this live terminal.", "Run `kiosk setup`.")]
        network = await asyncio.to_thread(_reach, s.backend.url, s.backend.attempt_timeout_s)
        if network.state != OK:
            return [network]
    return await _signed_read(s, [] if s.uses_sandbox else [network])


def _reach(url: str, timeout: float) -> Result:
    """DNS, TCP and (for https) TLS, one after the other, to say which one fails."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return Result("backend", FAIL, f"The backend's name {host} does not resolve (DNS).",
                      "Check the terminal's DNS settings and backend.url.")
    try:
        with socket.create_connection(infos[0][4][:2], timeout=timeout) as sock:
            if parts.scheme == "https":
                with ssl.create_default_context().wrap_socket(sock, server_hostname=host):
                    pass
    except ssl.SSLError as exc:
        return Result("backend", FAIL, f"TLS with {host} fails ({exc.reason or type(exc).__name__}).",
                      "Check the terminal's clock and any proxy that intercepts TLS.")
    except OSError as exc:
        return Result("backend", FAIL, f"{host}:{port} does not answer ({exc.strerror or type(exc).__name__}).",
                      "Check the network, the firewall and backend.url.")
    return Result("backend", OK, f"{host}:{port} answers" + (" over TLS." if parts.scheme == "https" else "."))


async def _signed_read(s: config.Settings, found: list[Result]) -> list[Result]:
    from kiosk import checks, credentials
    from kiosk.loyalty import errors
    from kiosk.loyalty.annex import AnnexCloudClient

    server = None
    try:
        if s.backend.vendor == "loyaltyprime":
            from kiosk.loyalty.loyaltyprime import connect as prime

            if s.uses_sandbox:
                from kiosk.connect import sandbox_db_path
                from kiosk.sandbox.server import SandboxServer

                db = sandbox_db_path(s)
                server = await asyncio.to_thread(lambda: SandboxServer(
                    db.with_name(db.stem + "-loyaltyprime" + db.suffix), vendor="loyaltyprime").start())
                client = prime.client_for_sandbox(server, s)
            else:
                try:
                    client = prime.client_for_settings(s)
                except config.ConfigError as exc:
                    return [*found, Result("backend", FAIL, f"No request was tried: {exc}", "See the secret check.")]
        elif s.uses_sandbox:
            from kiosk.connect import sandbox_db_path
            from kiosk.sandbox.server import SandboxServer

            server = await asyncio.to_thread(lambda: SandboxServer(sandbox_db_path(s)).start())
            site = server.store.site
            client = AnnexCloudClient(base_url=server.base_url, site_id=site.site_id, site_name=site.site_name,
                                      secret=site.secret, attempt_timeout=s.backend.attempt_timeout_s)
        else:
            secret = credentials.load_secret(s.backend.site_id)
            if secret is None:
                return [*found, Result("backend", FAIL, "No signed request was tried: there is no secret.",
                                       "See the secret check.")]
            client = AnnexCloudClient(base_url=s.backend.url, site_id=s.backend.site_id,
                                      site_name=s.backend.site_name, secret=secret.get_secret_value(),
                                      attempt_timeout=s.backend.attempt_timeout_s,
                                      token_lifetime=s.backend.token_lifetime_s)
        try:
            await client.probe(s.loyalty.guest_user_id)
        except errors.NotAuthorized:
            return [*found, Result("backend", FAIL, "The loyalty service refused this terminal's signed request.",
                                   "Check backend.site_id, backend.site_name and the API secret.")]
        except errors.LoyaltyError as exc:
            return [*found, Result("backend", FAIL, f"The loyalty service did not answer a signed read: "
                                   f"{exc.user_message}", "Check the network and the service's status.")]
        finally:
            await client.aclose()
        where = "the embedded sandbox" if server else "the loyalty service"
        found.append(Result("backend", OK, f"A signed request to {where} was accepted."))
        skew = checks.clock_skew(getattr(client, "last_server_date", None))
        if skew is not None and abs(skew) > SKEW_WARN_S:
            found.append(Result("clock", WARN, f"This terminal's clock is {abs(skew):.0f} s off the loyalty "
                                "service's; signed requests may be refused.", "Turn on time sync (NTP)."))
        elif skew is not None:
            found.append(Result("clock", OK, f"The clock agrees with the backend's (within {SKEW_WARN_S:.0f} s)."))
        return found
    finally:
        if server is not None:
            await asyncio.to_thread(server.stop)


@check("time sync", needs_settings=False)
def _time_sync(ctx: Context) -> Result:
    tool = shutil.which("timedatectl")
    if tool is None:
        return Result("time sync", WARN, "Can't tell whether the clock is synchronised (no timedatectl).",
                      "Make sure an NTP client (systemd-timesyncd, chrony) runs.")
    try:
        out = subprocess.run([tool, "show", "-p", "NTPSynchronized", "--value"], capture_output=True, text=True,
                             timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    if out == "yes":
        return Result("time sync", OK, "The clock is synchronised (NTP).")
    return Result("time sync", WARN, "The clock is not known to be synchronised.",
                  "Turn on time sync: timedatectl set-ntp true.")


@check("database")
def _database(ctx: Context) -> list[Result]:
    from kiosk import private
    from kiosk.ops import environments
    from kiosk.outbox.commands import terminal_db_path

    s = ctx.settings
    path = terminal_db_path(s)
    found = []
    if not path.exists():
        found.append(Result("database", OK, f"No terminal database yet ({path}); Kiosk makes it at first start."))
    else:
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                answer = conn.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.Error as exc:
            answer = str(exc)
        if answer != "ok":
            found.append(Result("database", FAIL, f"The terminal database {path} is damaged ({answer}).",
                                "Stop selling on this terminal and call your Kiosk supplier; delete nothing."))
        else:
            found.append(Result("database", OK, f"The terminal database {path} is healthy."))
        stamp = environments.stamp_of(path)
        if stamp and stamp != s.environment:
            found.append(Result("database", FAIL, f"The terminal database belongs to the {stamp} environment, "
                                f"this terminal is set to {s.environment}.",
                                "Set the environment back, or point outbox.db_path at another file."))
    folders, files = private.kiosk_paths(s)
    loose = [p for p in (*folders, *files) if _loose(p)]
    if loose:
        found.append(Result("file modes", WARN, "Other users can read " + ", ".join(str(p) for p in loose) + ".",
                            "Start Kiosk once (it tightens them), or chmod 600 the files and 700 the folders."))
    else:
        found.append(Result("file modes", OK, "Kiosk's files are readable by this user only."))
    return found


def _loose(path: Path) -> bool:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return False
    return os.name == "posix" and bool(mode & 0o077)


@check("outbox")
def _outbox(ctx: Context) -> list[Result]:
    from kiosk.outbox.commands import terminal_db_path
    from kiosk.outbox.queue import Outbox
    from kiosk.outbox.store import Database, StorageError

    path = terminal_db_path(ctx.settings)
    if not path.exists():
        return [Result("outbox", OK, "Nothing queued (no terminal database yet).")]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        outbox = Outbox(Database(conn, path))
        try:
            status = outbox.status()
            found = [r for part in OUTBOX_PARTS if (r := part(status, ctx)) is not None]
        finally:
            conn.close()
    except (sqlite3.Error, StorageError) as exc:
        return [Result("outbox", FAIL, f"The queue can't be read ({exc}).", "See the database check.")]
    return found


def _queued_age(status, ctx: Context) -> Result:
    from kiosk.outbox.events import age_text

    if not status.depth:
        return Result("outbox", OK, "Nothing waits to be sent.")
    age = status.oldest_age_s or 0.0
    said = f"{status.depth} write(s) wait to be sent, the oldest for {age_text(age)}."
    if age > OLDEST_FAIL_S:
        return Result("outbox", FAIL, said, "Check the backend check above; `kiosk queue drain` sends them.")
    if age > OLDEST_WARN_S:
        return Result("outbox", WARN, said, "Check the backend check above; `kiosk queue drain` sends them.")
    return Result("outbox", OK, said)


def _dead_letters(status, ctx: Context) -> Result | None:
    if not status.dead:
        return None
    return Result("outbox", WARN, f"{status.dead} write(s) could not be sent and wait for a person.",
                  "`kiosk queue list --state dead`, then `kiosk queue retry ID`.")


def _paused(status, ctx: Context) -> Result | None:
    if not status.paused:
        return None
    return Result("outbox", WARN, f"Delivery is paused: {status.paused}", "See the secret and backend checks.")


def _held(status, ctx: Context) -> Result | None:
    held = getattr(status, "held", 0)
    if not held:
        return None
    return Result("outbox", WARN, f"{held} write(s) whose reply was lost can't be checked with this backend and "
                  "wait for a manager to say whether they were applied.",
                  "`kiosk queue list --state held`, check the backend, then `kiosk queue resolve ID --applied` "
                  "or `--resend` with a manager's PIN.")


OUTBOX_PARTS += [_queued_age, _dead_letters, _held, _paused]


@check("camera")
def _camera(ctx: Context) -> Result:
    source = ctx.settings.scanner.camera.strip()
    if not source:
        return Result("camera", OK, "No camera is configured (scanner.camera is empty).")
    if not source.isdigit():
        return Result("camera", OK, "The camera is a stream; it is opened when the cashier starts it.")
    device = Path(f"/dev/video{source}")
    holder = _kiosk_holding(device)
    if holder:
        return Result("camera", OK, f"Camera {source} is in use by Kiosk itself (pid {holder}).")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")  # its own warnings would garble the report
    try:
        import cv2
    except ImportError:
        return Result("camera", FAIL, "OpenCV is missing, so the camera can't be used.", "Reinstall Kiosk.")
    capture = cv2.VideoCapture(int(source))
    try:
        opened = capture.isOpened()
    finally:
        capture.release()
    if opened:
        return Result("camera", OK, f"Camera {source} opens.")
    # A warning, not a failure: the hand scanner still sells.
    if device.exists() and not os.access(device, os.R_OK | os.W_OK):
        return Result("camera", WARN, f"{device} is there but this user may not open it.",
                      "Add the user to the video group: usermod -aG video USER, then log in again.")
    return Result("camera", WARN, f"Camera {source} does not open.",
                  "Plug the camera in, or set scanner.camera to its number (or empty for none).")


def _kiosk_holding(device: Path) -> int | None:
    """The pid of another Kiosk process with `device` open (Linux /proc), else None."""
    proc = Path("/proc")
    if not proc.is_dir() or not device.exists():
        return None
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if b"kiosk" not in (entry / "cmdline").read_bytes() and b"ui.app" not in (entry / "cmdline").read_bytes():
                continue
            if any(os.readlink(fd) == str(device) for fd in (entry / "fd").iterdir()):
                return int(entry.name)
        except OSError:
            continue
    return None


@check("decoders", needs_settings=False)
def _decoders(ctx: Context) -> list[Result]:
    found = []
    for name, module, fix in (("zxing-cpp", "zxingcpp", "Reinstall Kiosk."),
                              ("OpenCV", "cv2", "Reinstall Kiosk (opencv-python-headless)."),
                              ("zbar", "pyzbar.pyzbar", "Install the Debian package libzbar0.")):
        try:
            importlib.import_module(module)  # as the app loads them: the library and its native parts
        except Exception as exc:
            found.append(Result("decoders", FAIL if name != "zbar" else WARN,
                                f"{name} does not load ({type(exc).__name__}).", fix))
        else:
            found.append(Result("decoders", OK, f"{name} loads."))
    return found


@check("devices")
def _devices(ctx: Context) -> list[Result]:
    s = ctx.settings
    found = []
    port = s.scanner.serial_port
    if port:
        if not Path(port).exists():
            found.append(Result("hand scanner", FAIL, f"The serial scanner's port {port} is not there.",
                                "Plug the scanner in, or correct scanner.serial_port."))
        elif not os.access(port, os.R_OK | os.W_OK):
            found.append(Result("hand scanner", FAIL, f"This user may not open {port}.",
                                "Add the user to the dialout group: usermod -aG dialout USER."))
        else:
            found.append(Result("hand scanner", OK, f"The serial scanner's port {port} can be opened."))
    else:
        found.append(Result("hand scanner", OK, "The hand scanner is a keyboard: nothing to open."))
    p = s.printer
    if p.kind == "none":
        found.append(Result("printer", OK, "No printer: receipts are shown and saved as PDF."))
    elif p.kind == "file":
        target = Path(p.path)
        if not target.exists() and not target.parent.is_dir():
            found.append(Result("printer", FAIL, f"The printer's device {p.path} is not there.",
                                "Plug the printer in, or correct printer.path."))
        elif not os.access(target if target.exists() else target.parent, os.W_OK):
            found.append(Result("printer", FAIL, f"This user may not write to {p.path}.",
                                "Add the user to the lp group: usermod -aG lp USER."))
        else:
            found.append(Result("printer", OK, f"The printer's device {p.path} can be written."))
    elif p.kind == "network":
        try:
            with socket.create_connection((p.host, p.port), timeout=p.timeout_s):
                pass
            found.append(Result("printer", OK, f"The printer at {p.host}:{p.port} answers."))
        except OSError as exc:
            found.append(Result("printer", FAIL, f"The printer at {p.host}:{p.port} does not answer "
                                f"({exc.strerror or type(exc).__name__}).",
                                "Switch it on, check its cable and printer.host."))
    else:
        found.append(_usb_printer(p))
    return found


def _usb_printer(p) -> Result:
    try:
        import usb.core
        device = usb.core.find(idVendor=int(p.usb_vendor or "0", 16), idProduct=int(p.usb_product or "0", 16))
    except Exception as exc:  # no libusb backend: say so rather than guess
        return Result("printer", WARN, f"The USB printer can't be looked for ({type(exc).__name__}).",
                      "Install the Debian package libusb-1.0-0.")
    if device is None:
        return Result("printer", FAIL, f"No USB printer {p.usb_vendor}:{p.usb_product} is plugged in.",
                      "Plug it in, or correct printer.usb_vendor and usb_product.")
    return Result("printer", OK, f"The USB printer {p.usb_vendor}:{p.usb_product} is plugged in.")


@check("qt", needs_settings=False)
def _qt(ctx: Context) -> Result:
    # In another process: the core never imports Qt, and a missing plugin aborts the process that tries.
    code = "from PySide6.QtWidgets import QApplication; app = QApplication([]); print(app.platformName())"
    # A bundle's executable is the app, not an interpreter: it answers `--qt-platform` (ui/app.py).
    command = [sys.executable, "--qt-platform"] if getattr(sys, "frozen", False) else [sys.executable, "-c", code]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, env=ctx.env)
    except (OSError, subprocess.SubprocessError) as exc:
        return Result("qt", FAIL, f"Qt could not be tried ({type(exc).__name__}).", "Reinstall Kiosk.")
    if result.returncode == 0:
        return Result("qt", OK, f"Qt's platform plugin {result.stdout.strip()} loads.")
    said = (result.stderr.strip().splitlines() or ["no message"])[-1][:200]
    return Result("qt", FAIL, f"Qt's platform plugin does not load: {said}",
                  "Run `bash scripts/setup.sh` as root (it installs the libxcb packages); QT_DEBUG_PLUGINS=1 "
                  "names the missing library.")


@check("fonts", needs_settings=False)
def _fonts(ctx: Context) -> Result:
    if ctypes.util.find_library("fontconfig") is None or shutil.which("fc-list") is None:
        return Result("fonts", WARN, "Can't list the fonts (no fontconfig).", "Install fontconfig and "
                      "fonts-dejavu-core.")
    out = subprocess.run(["fc-list", ":lang=en", "family"], capture_output=True, text=True, timeout=20).stdout
    if not out.strip():
        return Result("fonts", FAIL, "No font for English text is installed: the screen would show boxes.",
                      "Install fonts-dejavu-core.")
    return Result("fonts", OK, f"{len(set(out.splitlines()))} font families cover English.")


@check("disk")
def _disk(ctx: Context) -> Result:
    folder = config.data_dir()
    while not folder.exists():
        folder = folder.parent
    free_mb = shutil.disk_usage(folder).free / 1e6
    said = f"{free_mb:,.0f} MB free for {config.data_dir()}."
    if free_mb < DISK_FAIL_MB:
        return Result("disk", FAIL, said, "Free disk space now: sales may fail to be saved.")
    if free_mb < DISK_WARN_MB:
        return Result("disk", WARN, said, "Free some disk space.")
    return Result("disk", OK, said)



from kiosk.fleet import doctor as _fleet  # noqa: E402,F401 (registers the telemetry check, after the others)
from kiosk.selfservice import doctor as _kiosk_mail  # noqa: E402,F401 (the kiosk's mail server, when it is used)
