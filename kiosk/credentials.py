"""The API secret: from the OS keyring where there is one, else the environment
(KIOSK_API_SECRET), else a credentials file only the app's user can read.

Never from the settings file, never logged: it travels as a pydantic SecretStr,
whose repr and str are masked.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Mapping

from pydantic import SecretStr

from kiosk import config

log = logging.getLogger(__name__)

KEYRING_SERVICE = "kiosk-annex-cloud"
# Each vendor's key under its own keyring service (account = site id, or partner id for Loyalty Prime).
KEYRING_SERVICES = {"annex": KEYRING_SERVICE, "loyaltyprime": "kiosk-loyaltyprime"}
ENV_VAR = "KIOSK_API_SECRET"
# A systemd unit's LoadCredential=/SetCredentialEncrypted= name: the secret in
# $CREDENTIALS_DIRECTORY, readable by the service only, never in a file Kiosk writes.
SYSTEMD_NAME = "kiosk-api-secret"


class CredentialsError(config.ConfigError):
    """The secret exists but can't be used safely; the message says how to fix it."""


def credentials_path() -> Path:
    return config.config_dir() / "credentials"


def _from_keyring(account: str, service: str = KEYRING_SERVICE) -> str | None:
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
        # Headless kiosks usually have no keyring: keyring then answers with a
        # backend that fails or returns nothing, and we move on quietly.
        if isinstance(backend, (fail.Keyring, null.Keyring)):
            return None
        return keyring.get_password(service, account)
    except Exception as exc:  # a locked or broken keyring must not stop the till
        log.warning("keyring unavailable (%s); trying the environment and the credentials file",
                    type(exc).__name__)
        return None


def _from_file(path: Path) -> str | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if os.name == "posix":
        if info.st_uid != os.getuid():
            raise CredentialsError(f"The credentials file {path} belongs to another user, so Kiosk will not "
                                   "use the secret in it; it must belong to the user running Kiosk.")
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CredentialsError(f"The credentials file {path} can be read by other users, so Kiosk will not "
                                   "use the secret in it. If someone may have read it, have the secret changed; "
                                   f"then run: chmod 600 {path}")
    secret = path.read_text("utf-8").strip()
    return secret or None


def from_systemd(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    folder = env.get("CREDENTIALS_DIRECTORY")
    if not folder:
        return None
    try:
        return (Path(folder) / SYSTEMD_NAME).read_text("utf-8").strip() or None
    except OSError:
        return None


def keyring_entry(backend: config.BackendSettings) -> tuple[str, str]:
    """(account, service) the backend's secret is kept under: each vendor's own service, and
    the account its adapter signs for (Loyalty Prime's key belongs to the partner)."""
    account = backend.partner_id if backend.vendor == "loyaltyprime" else backend.site_id
    return account, KEYRING_SERVICES[backend.vendor]


def secret_for(backend: config.BackendSettings, *, env: Mapping[str, str] | None = None) -> SecretStr | None:
    account, service = keyring_entry(backend)
    return load_secret(account, env=env, service=service)


def store_secret(site_id: str, secret: str, *, service: str = KEYRING_SERVICE) -> str:
    """Keep the secret where load_secret finds it: the OS keyring when a real one runs, else the
    0600 credentials file. Says where (never the secret)."""
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
        if not isinstance(backend, (fail.Keyring, null.Keyring)):
            keyring.set_password(service, site_id or "default", secret)
            return f"stored in the OS keyring ({type(backend).__name__})"
    except Exception as exc:  # a locked keyring: the file below, and say why
        log.warning("keyring unavailable (%s); using the credentials file", type(exc).__name__)
    return f"stored in {save_secret_file(secret)} (mode 600)"


def load_secret(site_id: str, *, env: Mapping[str, str] | None = None,
                path: Path | None = None, service: str = KEYRING_SERVICE) -> SecretStr | None:
    env = os.environ if env is None else env
    account = site_id or "default"
    for source, read in (("keyring", lambda: _from_keyring(account, service)),
                         ("environment", lambda: env.get(ENV_VAR) or None),
                         ("systemd credential", lambda: from_systemd(env)),
                         ("credentials file", lambda: _from_file(path or credentials_path()))):
        value = read()
        if value:
            log.info("API secret taken from the %s", source)
            return SecretStr(value)
    return None


def save_secret_file(secret: str, path: Path | None = None) -> Path:
    """Write the credentials file readable by this user only (for headless kiosks)."""
    path = path or credentials_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    os.chmod(path, 0o600)
    return path
