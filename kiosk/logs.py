"""Logging for every Kiosk process: one handler on stderr, the level from the settings.

Request URLs carry member ids, emails, phones and card codes (they are path
segments and query values of the loyalty API). So whatever the level, a URL in
a log line or in a logged exception is cut to its scheme and host; httpx and
httpcore, which log every request's URL and wire detail below WARNING, stay at
WARNING; our own lines name route templates, never paths (kiosk/loyalty/annex.py).
"""

from __future__ import annotations

import logging
import re
import sys

LEVELS = ("debug", "info", "warning", "error")
FORMAT = "%(levelname)s %(name)s: %(message)s"
# scheme://host[:port] and then anything up to a space or a quote.
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s'\"<>]+)[^\s'\"<>]*")
_CHATTY = ("httpx", "httpcore")


def hide_urls(text: str) -> str:
    """`text` with each URL cut to scheme and host: 'https://api.example/…'."""
    return _URL.sub(r"\1/…", text)


class HideURLs(logging.Filter):
    """Rewrites a record's message and exception text without URLs paths; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = hide_urls(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = hide_urls(record.exc_text)
        if record.stack_info:
            record.stack_info = hide_urls(record.stack_info)
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to sys.stderr as it is at each line (a test or a redirect may have replaced it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):  # noqa: D401 (StreamHandler's attribute)
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup(level: str = "warning") -> None:
    """Install the handler once (again is a no-op) and set the level."""
    root = logging.getLogger()
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(HideURLs())
        root.addHandler(handler)
    set_level(level)


_level = "warning"  # the setting: what stderr shows


def set_level(level: str) -> None:
    """stderr shows `level` and up; the root lets through what the run's log file also wants
    (kiosk/ops/logfiles.py keeps INFO and up on disk)."""
    global _level
    _level = level
    refresh_level()


def refresh_level() -> None:
    root = logging.getLogger()
    wanted = logging.getLevelName(_level.upper())
    for handler in root.handlers:
        if isinstance(handler, _StderrHandler):
            handler.setLevel(wanted)
    for handler in root.handlers:
        floor = getattr(handler, "kiosk_floor", None)  # a run's log file: at least this much, or more
        if floor is not None:
            handler.setLevel(min(floor, wanted))
    floors = [h.level for h in root.handlers if not isinstance(h, _StderrHandler) and h.level]
    root.setLevel(min([wanted, *floors]))
    quiet_transport()


def quiet_transport() -> None:
    """httpx and httpcore to warnings: below that they log every request's URL."""
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
