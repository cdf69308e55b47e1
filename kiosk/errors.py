"""The settings' error, kept apart from kiosk.config so that a module that only needs to raise
or catch it (kiosk.private, loaded before the window's first frame) does not load pydantic."""


class ConfigError(Exception):
    """The settings can't be used; the message says what to fix and where."""
