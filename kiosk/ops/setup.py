"""`kiosk setup`: first-run set-up of a terminal, asked on the command line or read from a file.

STEPS is a registry: each step is a function of the Setup that asks (or reads) its answers and
returns a sentence of what it did; other parts of Kiosk add theirs with `@step("name")`, in
the order they should run. The settings steps only edit `setup.user` (the user's own file's
values); `write settings` validates them over the machine-wide file and writes once.

- Idempotent: the same answers again change nothing (the file is rewritten only when its
  values differ; an existing manager is left as they are, their PIN never changed here).
- `--from FILE` (TOML, the same keys as settings.toml, plus `secret_file`, `manager_id`,
  `manager_name` and `manager_pin_file`) runs without a question: a missing required
  answer is an error naming the key, never a guess.
- The secret never appears on screen, in the settings file or in the log: it is typed with
  getpass, or read from `secret_file` or KIOSK_API_SECRET, and stored in the OS keyring
  when one runs, else in the 0600 credentials file. A systemd credential
  ($CREDENTIALS_DIRECTORY/kiosk-api-secret) needs nothing stored: it is found at each start.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import tomli_w

from kiosk import config


class SetupError(config.ConfigError):
    """An answer is missing or wrong; the message names the key."""


@dataclass
class Setup:
    answers: dict[str, Any]  # from --from FILE; empty when asking
    interactive: bool
    user: dict[str, Any] = field(default_factory=dict)  # the user's settings file, being edited
    base: dict[str, Any] = field(default_factory=dict)  # the machine-wide file, never edited here
    said: list[str] = field(default_factory=list)
    ask_line: Callable[[str], str] = input
    ask_secret: Callable[[str], str] = getpass.getpass

    def get(self, key: str, prompt: str, *, choices: tuple[str, ...] = (), required: bool = False) -> Any:
        """The answer for dotted `key`: from the file, else asked (the current value as default), else current."""
        current = _dig(self.user, key) if _has(self.user, key) else _dig(self.base, key)
        if _has(self.answers, key):
            value = _dig(self.answers, key)
        elif self.interactive:
            shown = f" [{current}]" if current not in (None, "") else ""
            typed = self.ask_line(f"{prompt}{' (' + '/'.join(choices) + ')' if choices else ''}{shown}: ").strip()
            value = typed or current
        else:
            value = current
        if required and value in (None, ""):
            raise SetupError(f"set-up needs {key} ({prompt.lower()}); add it to the file given with --from")
        if choices and value not in (None, "") and value not in choices:
            raise SetupError(f"{key} must be one of {', '.join(choices)}, not {value!r}")
        return value

    def put(self, key: str, value: Any) -> None:
        """Into the user's file, unless the machine-wide file says the same already."""
        if value is None or (value == _dig(self.base, key) and not _has(self.user, key)):
            return
        section, _, name = key.rpartition(".")
        target = self.user.setdefault(section, {}) if section else self.user
        target[name] = value


Step = Callable[[Setup], str | None]
STEPS: list[tuple[str, Step]] = []


def step(name: str):
    def register(fn: Step) -> Step:
        STEPS.append((name, fn))
        return fn
    return register


def run(answers: dict[str, Any] | None = None, *, interactive: bool = False, **io) -> list[str]:
    """Every step in order; the sentences of what each did."""
    path = config.settings_path()
    setup = Setup(dict(answers or {}), interactive, user=config.read_file(path),
                  base=config.read_file(config.system_settings_path()), **io)
    for name, fn in STEPS:
        said = fn(setup)
        if said:
            setup.said.append(f"{name}: {said}")
    return setup.said


def settings_now(setup: Setup) -> config.Settings:
    """What the edited values mean over the machine-wide file (validated)."""
    from kiosk.ops import environments

    try:
        return environments.apply(config.Settings(**config.merge(setup.base, setup.user)))
    except Exception as exc:  # pydantic's ValidationError: said with the field, as load_settings says it
        errors = getattr(exc, "errors", None)
        if errors is None:
            raise
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors())
        raise SetupError(f"these answers are not valid settings: {problems}") from None


# -- the steps ---------------------------------------------------------------------------------

@step("environment")
def _environment(setup: Setup) -> str:
    from kiosk.ops import environments

    value = setup.get("environment", "Environment", choices=environments.NAMES) or "demo"
    setup.put("environment", value)
    return value


# What each backend needs to be reached and to sign for; the rest of [backend] has defaults.
_BACKEND_KEYS = {
    "annex": ("Annex Cloud", (("backend.url", "Backend URL"), ("backend.site_id", "Site id"),
                              ("backend.site_name", "Site name"))),
    "loyaltyprime": ("Loyalty Prime", (("backend.url", "Backend URL"), ("backend.partner_id", "Partner id"),
                                       ("backend.debitor_id", "Debitor id (no '_')"),
                                       ("backend.channel_key", "Sales channel key"))),
}


@step("backend")
def _backend(setup: Setup) -> str | None:
    if settings_now(setup).environment != "live":
        return "the embedded sandbox (nothing to set)"
    vendor = setup.get("backend.vendor", "Loyalty backend", choices=tuple(_BACKEND_KEYS))
    setup.put("backend.vendor", vendor)  # unanswered: the default (annex), nothing written
    name, keys = _BACKEND_KEYS[vendor or "annex"]
    for key, prompt in keys:
        setup.put(key, setup.get(key, prompt, required=True))
    backend = settings_now(setup).backend
    if backend.vendor == "loyaltyprime":
        from kiosk.loyalty.loyaltyprime.connect import check_ids

        try:
            check_ids(backend)  # the adapter's own rules, before anything is written
        except config.ConfigError as exc:
            raise SetupError(str(exc)) from None
    return f"{name} at " + _host(backend.url)


@step("store")
def _store(setup: Setup) -> str:
    for key, prompt in (("store.store_id", "Store id"), ("store.terminal_id", "Terminal id"),
                        ("store.name", "Store name on the receipt")):
        setup.put(key, setup.get(key, prompt))
    s = settings_now(setup).store
    return f"store {s.store_id}, terminal {s.terminal_id}"


@step("devices")
def _devices(setup: Setup) -> str:
    setup.put("scanner.camera", setup.get("scanner.camera", "Camera (0 for the first, empty for none)"))
    setup.put("scanner.wedge_suffix", setup.get("scanner.wedge_suffix", "Hand scanner ends a code with",
                                                choices=("enter", "tab", "any")))
    kind = setup.get("printer.kind", "Receipt printer", choices=("none", "network", "usb", "file"))
    setup.put("printer.kind", kind)
    keys = {"network": (("printer.host", "Printer host"), ("printer.port", "Printer port")),
            "usb": (("printer.usb_vendor", "USB vendor id (hex)"), ("printer.usb_product", "USB product id (hex)")),
            "file": (("printer.path", "Printer device"),)}.get(kind or "none", ())
    for key, prompt in keys:
        value = setup.get(key, prompt, required=True)
        setup.put(key, int(value) if key == "printer.port" else value)
    s = settings_now(setup)
    return f"camera {s.scanner.camera or 'none'}, printer {s.printer.kind}"


@step("write settings")
def _write(setup: Setup) -> str:
    settings_now(setup)  # valid before anything is written
    path = config.settings_path()
    if config.read_file(path) == setup.user and path.exists():
        return f"{path} unchanged"
    config._write(path, tomli_w.dumps({"schema_version": config.SCHEMA_VERSION, **setup.user}))
    return f"written to {path}"


@step("secret")
def _secret(setup: Setup) -> str | None:
    from kiosk import credentials

    s = settings_now(setup)
    if s.uses_sandbox:
        return None
    account, service = credentials.keyring_entry(s.backend)
    secret = None
    if setup.answers.get("secret_file"):
        try:
            secret = Path(setup.answers["secret_file"]).read_text("utf-8").strip()
        except OSError as exc:
            raise SetupError(f"secret_file {setup.answers['secret_file']} can't be read: {exc.strerror}") from None
    elif os.environ.get(credentials.ENV_VAR):
        secret = os.environ[credentials.ENV_VAR]
    elif credentials.from_systemd() is not None:
        return "taken from the systemd credential at each start (nothing stored)"
    elif setup.interactive:
        if credentials.secret_for(s.backend) is not None:
            typed = setup.ask_line("An API secret is stored already. Replace it? (y/N): ").strip().lower()
            if typed != "y":
                return "kept the one stored"
        secret = setup.ask_secret("API secret (not shown): ").strip()
    if not secret:
        if credentials.secret_for(s.backend) is not None:
            return "kept the one stored"
        raise SetupError("set-up needs the API secret: secret_file in the file, KIOSK_API_SECRET, or a systemd "
                         "credential named kiosk-api-secret")
    return credentials.store_secret(account, secret, service=service)


@step("first manager")
def _manager(setup: Setup) -> str:
    from kiosk.checkout.operators import MANAGER, Operators, check_pin
    from kiosk.ops import environments
    from kiosk.outbox.commands import terminal_db_path
    from kiosk.outbox.store import open_database

    s = settings_now(setup)
    if s.environment == environments.DEMO:
        return "the demo's operators (C01, M01)"
    path = terminal_db_path(s)
    environments.check_database(path, s.environment)
    db = open_database(path)
    try:
        operators = Operators(db, terminal_id=s.store.terminal_id)
        managers = [o for o in operators.list() if o.role == MANAGER]
        if managers:
            return f"{len(managers)} manager(s) already, left as they are"
        manager_id = setup.get("manager_id", "First manager's id", required=True)
        name = setup.get("manager_name", "First manager's name", required=True)
        if setup.answers.get("manager_pin_file"):
            pin = Path(setup.answers["manager_pin_file"]).read_text("utf-8").strip()
        elif setup.interactive:
            pin = setup.ask_secret("Their PIN (4 to 8 digits, not shown): ").strip()
            if setup.ask_secret("The PIN again: ").strip() != pin:
                raise SetupError("the two PINs differ; nothing was added")
        else:
            raise SetupError("set-up needs manager_pin_file for the first manager")
        check_pin(pin, MANAGER)
        operators.add(manager_id, name, MANAGER, pin, by="setup")
        return f"manager {manager_id} added"
    finally:
        db.close()


def _dig(data: dict, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _has(data: dict, key: str) -> bool:
    *parents, last = key.split(".")
    for part in parents:
        data = data.get(part) if isinstance(data, dict) else None
    return isinstance(data, dict) and last in data


def _host(url: str) -> str:
    from kiosk.logs import hide_urls

    return hide_urls(url)


def main(from_file: str | None) -> int:
    from kiosk.checkout.errors import CheckoutError

    answers = {}
    if from_file:
        if not Path(from_file).is_file():
            print(f"kiosk setup: {from_file} is not there", file=sys.stderr)
            return 2
        answers = config.read_file(Path(from_file))
    try:
        said = run(answers, interactive=not from_file and sys.stdin.isatty())
    except (SetupError, CheckoutError) as exc:  # CheckoutError: a PIN or an id refused with its sentence
        print(f"kiosk setup: {exc}", file=sys.stderr)
        return 2
    for line in said:
        print(line)
    print("Run `kiosk doctor` to check the terminal.")
    return 0
