"""Money, points and dates as the screen's language writes them (Babel, CLDR's rules).

Amounts stay Decimal (or cents) everywhere; only here do they become text. The number
style (decimal comma or point, grouping) is the language's; the digits are Latin unless a
store configures otherwise, as receipts and the backend's figures are. A language is
rendered with the store's region when they share a language (es with es_MX gives Mexico's
style), else with the language's own default.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from kiosk import i18n

CENT = Decimal("0.01")
_store = {"locale": "en_US", "currency": "USD", "timezone": ""}


def configure(locale: str, currency: str, timezone: str = "") -> None:
    """The store's settings (store.locale, store.currency, store.timezone)."""
    _store.update(locale=locale or "en_US", currency=currency or "USD", timezone=timezone)


def store_locale() -> str:
    return _store["locale"]


@lru_cache(maxsize=32)
def _locale(language: str, store: str):
    from babel import Locale

    if language == i18n.PSEUDO:
        language = "en"
    if store.split("_")[0] == language:
        return Locale.parse(store)
    return Locale.parse(language)


def _current(locale: str | None):
    return _locale(locale or i18n.language(), _store["locale"])


def money(amount: Decimal | int, locale: str | None = None, *, cents: bool | None = None) -> str:
    """An amount without its currency sign (a column of amounts, a total beside "Total").
    An int is cents unless `cents=False`."""
    from babel.numbers import format_decimal

    if isinstance(amount, int) and cents is not False:
        amount = Decimal(amount) / 100
    return format_decimal(Decimal(amount).quantize(CENT), format="#,##0.00", locale=_current(locale),
                          numbering_system="latn")


def price(amount: Decimal | int, locale: str | None = None) -> str:
    """An amount with the store's currency, as the language writes it ($12.50, 12,50 €)."""
    from babel.numbers import format_currency

    if isinstance(amount, int):
        amount = Decimal(amount) / 100
    return format_currency(Decimal(amount).quantize(CENT), _store["currency"], locale=_current(locale),
                           numbering_system="latn")


def points(count: int, locale: str | None = None) -> str:
    from babel.numbers import format_decimal

    return format_decimal(count, locale=_current(locale), numbering_system="latn")


def percent(rate: Decimal, locale: str | None = None) -> str:
    """A rate given in percent (Decimal("8.25")) as the language writes it: "8.25%", "8,25 %"."""
    from babel.numbers import format_percent

    return format_percent(Decimal(rate) / 100, locale=_current(locale), decimal_quantization=False,
                          numbering_system="latn")


def when(moment: datetime, locale: str | None = None, style: str = "short") -> str:
    """A date and time in the store's time zone (the machine's when none is set)."""
    from babel.dates import format_datetime

    return format_datetime(in_store_zone(moment), style, locale=_current(locale))


def duration(seconds: float | None, locale: str | None = None) -> str:
    """How long, as the language abbreviates it: seconds up to two minutes, minutes up to two
    hours, then hours ("90 sec", "2 min", "3 h")."""
    from datetime import timedelta

    from babel.dates import format_timedelta

    if seconds is None:
        return "-"
    # threshold 2: a unit is used from two of it, so 90 s stays seconds rather than "2 min"
    return format_timedelta(timedelta(seconds=seconds), threshold=2, format="short", locale=_current(locale))


def clock(moment: datetime | float, locale: str | None = None) -> str:
    """The time of day (a sync, an allowance's end) in the store's time zone."""
    from babel.dates import format_time

    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment).astimezone()
    return format_time(in_store_zone(moment), "short", locale=_current(locale))


def day(moment: datetime, locale: str | None = None) -> str:
    """A date as the language writes it in full ("4 December 2026", "4 de diciembre de 2026")."""
    from babel.dates import format_date

    return format_date(in_store_zone(moment).date(), "long", locale=_current(locale))


def day_and_month(moment: datetime, locale: str | None = None) -> str:
    """"4 December", "December 4", "4 décembre": CLDR's order for the language."""
    from babel.dates import format_skeleton

    return format_skeleton("MMMMd", in_store_zone(moment), locale=_current(locale))


def in_store_zone(moment: datetime) -> datetime:
    """`moment` in the store's time zone (store.timezone; the machine's when none is set).
    A naive time is taken as already local."""
    if moment.tzinfo is None:
        return moment
    if _store["timezone"]:
        from zoneinfo import ZoneInfo

        return moment.astimezone(ZoneInfo(_store["timezone"]))
    return moment.astimezone()


def warm(languages: tuple[str, ...] = ()) -> None:
    """Loads CLDR's data for the languages before a screen needs them (it is read from disk):
    call it off the GUI thread."""
    for language in languages or (i18n.language(),):
        money(Decimal("1234.5"), language)
        price(Decimal("1"), language)
        points(1000, language)
        when(datetime.now(), language)
        clock(datetime.now().astimezone(), language)
        duration(90, language)
