"""Tolerant readers for the backend's loose JSON.

The documents send numbers as strings ("250"), dates as "" and the odd value of
the wrong type. Each reader returns a typed value or None; a value of the wrong
type is logged (field name and type only: values can be member data).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

log = logging.getLogger(__name__)

CENT = Decimal("0.01")


def _warn(field: str, value: Any, wanted: str) -> None:
    log.warning("field %r: expected %s, got %s; treated as empty", field, wanted, type(value).__name__)


def text(data: Mapping[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    _warn(field, value, "text")
    return None


def integer(data: Mapping[str, Any], field: str) -> int | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        _warn(field, value, "integer")
        return None
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        _warn(field, value, "integer")
        return None
    if not number.is_finite() or number != number.to_integral_value():
        _warn(field, value, "integer")
        return None
    return int(number)


def decimal(data: Mapping[str, Any], field: str, places: Decimal | None = None) -> Decimal | None:
    value = data.get(field)
    if value is None or value == "" or isinstance(value, bool):
        if isinstance(value, bool):
            _warn(field, value, "number")
        return None
    if isinstance(value, float):
        # JSON numbers arrive as float; go through repr so 10.5 stays 10.5.
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        _warn(field, value, "number")
        return None
    if not number.is_finite():
        _warn(field, value, "number")
        return None
    return number.quantize(places) if places is not None else number


def money(data: Mapping[str, Any], field: str) -> Decimal | None:
    return decimal(data, field, CENT)


def yes_no(data: Mapping[str, Any], field: str) -> bool | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().upper() in ("YES", "Y", "TRUE", "1"):
        return True
    if isinstance(value, str) and value.strip().upper() in ("NO", "N", "FALSE", "0"):
        return False
    _warn(field, value, "YES/NO")
    return None


_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def timestamp(data: Mapping[str, Any], field: str) -> datetime | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(value.strip(), fmt)
            except ValueError:
                continue
    _warn(field, value, "date")
    return None


def day(data: Mapping[str, Any], field: str) -> date | None:
    moment = timestamp(data, field)
    return moment.date() if moment else None


def mapping(data: Any, what: str) -> Mapping[str, Any]:
    """The reply body as a dict; anything else is treated as empty."""
    if isinstance(data, Mapping):
        return data
    _warn(what, data, "object")
    return {}


def items(data: Mapping[str, Any], field: str) -> list[Mapping[str, Any]]:
    value = data.get(field)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        _warn(field, value, "list")
        return []
    return [entry for entry in value if isinstance(entry, Mapping)]
