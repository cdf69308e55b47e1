"""The terminal database's errors, apart from store.py so that the screen can name
them without loading SQLite. Each message is a sentence saying what to do."""

from __future__ import annotations


class StorageError(Exception):
    """The terminal's database can't be used; the message says what to do."""

    audience = "cashier"  # "call IT": a shopper is told to ask staff (kiosk/app/work.py)


class StorageFull(StorageError):
    pass


class StorageCorrupt(StorageError):
    pass


class StorageBusy(StorageError):
    pass
