"""Kiosk core: everything that runs without Qt (backend client, sandbox, settings, events)."""

__version__ = "0.1.0"
