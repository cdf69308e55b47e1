"""Tolerant readers for the backend's loose JSON.

The documents send numbers as strings ("250"), dates as "" and the odd value of
the wrong type. Each reader returns a typed value or None; a value of the wrong
type is logged (field name and type only: values can be member data).

Numbers are bounded before anything is computed with them: "1e999999999" is a
cheap Decimal but int() of it takes minutes and gigabytes. A number out of its
range (negative points, an amount with cents fractions) is not a loose value to
skip but a reply that can't be trusted: UnusableReply.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from kiosk.loyalty.errors import UnusableReply

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
MAX_POINTS = 10**9
MAX_AMOUNT = Decimal(10**7)


def _out_of_range(field: str, wanted: str) -> UnusableReply:
    return UnusableReply(detail=f"field {field!r}: not {wanted}")


def _number(value: Any) -> Decimal | None:
    """A finite Decimal from a JSON string or number, or None when it is not one.
    Comparing it with a bound is cheap however large its exponent."""
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, (float, str)):
        return None
    if isinstance(value, float):
        # JSON numbers arrive as float; go through repr so 10.5 stays 10.5.
        value = repr(value)
    text = str(value).strip().replace(",", "")
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


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


def integer(data: Mapping[str, Any], field: str, maximum: int = MAX_POINTS) -> int | None:
    """A count or points: a whole number from 0 to `maximum`."""
    value = data.get(field)
    if value is None or value == "":
        return None
    number = None if isinstance(value, bool) else _number(value)
    if number is None or number != number.to_integral_value():
        _warn(field, value, "integer")
        return None
    if not 0 <= number <= maximum:
        raise _out_of_range(field, f"a whole number from 0 to {maximum}")
    return int(number)


def decimal(data: Mapping[str, Any], field: str, places: Decimal | None = None,
            maximum: Decimal = MAX_AMOUNT) -> Decimal | None:
    """A number from 0 to `maximum`; with `places`, with no finer digits than that."""
    value = data.get(field)
    if value is None or value == "":
        return None
    number = None if isinstance(value, bool) else _number(value)
    if number is None:
        _warn(field, value, "number")
        return None
    if not 0 <= number <= maximum:
        raise _out_of_range(field, f"a number from 0 to {maximum}")
    if places is None:
        return number
    if number != number.quantize(places):
        raise _out_of_range(field, f"an amount with at most {-places.as_tuple().exponent} decimals")
    return number.quantize(places)


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
