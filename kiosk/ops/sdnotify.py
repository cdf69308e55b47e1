"""Telling systemd how the app is: ready, alive (the watchdog), stopping.

The protocol is one datagram of text to the Unix socket named in NOTIFY_SOCKET (a name
starting with "@" is in the abstract namespace). It is written here rather than taken from
a library: python-systemd needs libsystemd's headers and a compiler on the till, and the
small pure-Python packages are unmaintained; the sending is ten lines. Outside a systemd unit
NOTIFY_SOCKET is unset and every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, env: dict[str, str] | None = None):
        env = os.environ if env is None else env
        address = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_seconds = _watchdog_seconds(env)
        self._sock: socket.socket | None = None
        self._failed = False

    @property
    def active(self) -> bool:
        return bool(self.address)

    def send(self, state: str) -> bool:
        """Send `state` ("READY=1", "WATCHDOG=1", "STOPPING=1"); False if it could not be sent.
        Never blocks: a full socket buffer drops the message, as a missed ping would."""
        if not self.address:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.setblocking(False)
            self._sock.sendto(state.encode(), self.address)
        except OSError as exc:
            if not self._failed:  # once: a watchdog ping every few seconds would flood the log
                log.warning("could not tell systemd %s (%s)", state.split("=")[0], exc.strerror or exc)
                self._failed = True
            return False
        return True

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _watchdog_seconds(env) -> float | None:
    """WatchdogSec of the unit, when it is watching this process. Under cage (the kiosk's unit)
    the unit's main process is cage and the app its child, so the parent's pid counts too."""
    pid = env.get("WATCHDOG_PID")
    if pid and pid not in (str(os.getpid()), str(os.getppid())):
        return None
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 1e6 if usec > 0 else None
