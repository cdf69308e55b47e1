"""The language machinery without Qt: choosing a language, the placeholder guard, plural
forms, messages that keep what they say rather than English text, and Babel's formats."""

from __future__ import annotations

import gettext
import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from kiosk import formats, i18n
from kiosk.config import ConfigError, StoreSettings
from kiosk.pseudo import pseudo

AR_PLURALS = "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"


def _catalogue(language: str, entries: dict, plural_forms: str | None = None) -> i18n._Checked:
    catalog = Catalog(locale=language)
    if plural_forms:
        catalog._num_plurals, catalog._plural_expr = 6, plural_forms.split("plural=")[1].rstrip(";")
    for source, translated in entries.items():
        catalog.add(source, translated)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return i18n._Checked(gettext.GNUTranslations(buffer), language)


@pytest.mark.parametrize(("env", "expected"), [
    ({"LANGUAGE": "de:fr_CA:es", "LANG": "es_ES.UTF-8"}, "fr"),  # the first one shipped in LANGUAGE's list
    ({"LC_ALL": "es_MX.UTF-8", "LANG": "fr_FR.UTF-8"}, "es"),
    ({"LC_MESSAGES": "ar_EG.UTF-8", "LANG": "fr_FR.UTF-8"}, "ar"),
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LC_ALL": "de_DE.UTF-8", "LANG": "es_ES.UTF-8"}, "en"),  # the first one set decides; German is not shipped
    ({"LANG": "C.UTF-8"}, "en"),
    ({}, "en"),
])
def test_the_system_language_is_read_in_gettexts_order(env, expected):
    assert i18n.system_language(env) == expected


def test_the_settings_language_beats_the_systems_unless_it_is_not_shipped():
    assert i18n.choose("es", {"LANG": "fr_FR.UTF-8"}) == "es"
    assert i18n.choose("ar-SA", {}) == "ar"
    assert i18n.choose("de", {"LANG": "fr_FR.UTF-8"}) == "fr"
    assert i18n.choose("", {"LANG": "es_ES.UTF-8"}) == "es"


def test_a_translation_with_other_placeholders_is_not_used():
    catalogue = _catalogue("es", {"Hello {name}": "Hola {nombre}", "Terminal %1": "Caja %2",
                                  "Total {0}": "Importe {0}"})
    assert catalogue.gettext("Hello {name}") == "Hello {name}"
    assert catalogue.gettext("Terminal %1") == "Terminal %1"
    assert catalogue.gettext("Total {0}") == "Importe {0}"


def test_arabic_gets_its_six_plural_forms():
    forms = ("zero", "one", "two", "few", "many", "other")
    catalogue = _catalogue("ar", {("{n} reward", "{n} rewards"): forms}, AR_PLURALS)
    chosen = {n: catalogue.ngettext("{n} reward", "{n} rewards", n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102)}
    assert chosen == {0: "zero", 1: "one", 2: "two", 3: "few", 10: "few", 11: "many", 99: "many", 100: "other",
                      102: "other"}


def test_a_message_is_rendered_in_the_language_of_whoever_reads_it():
    message = i18n.Message("{count} points to {tier}", {"count": "120", "tier": "Gold"}, audience="shopper")
    stored = message.to_json()
    assert "points to" not in str(stored["args"])  # parameters, not the sentence
    spanish = _catalogue("es", {"{count} points to {tier}": "{count} puntos para {tier}"})
    again = i18n.Message.from_json(stored)
    assert again == message
    assert again.render(spanish) == "120 puntos para Gold"
    assert again.render(i18n.catalogue("en")) == "120 points to Gold"


def test_a_plural_message_counts():
    message = i18n.Message("{n} sale waits", plural="{n} sales wait", n=3)
    assert message.render(i18n.catalogue("en")) == "3 sales wait"
    assert i18n.Message.from_json(message.to_json()).render(i18n.catalogue("en")) == "3 sales wait"


def test_the_language_in_force_is_per_context(monkeypatch):
    import contextvars

    def read_in(language):
        i18n.use(language)
        return i18n.language()

    assert contextvars.copy_context().run(read_in, "fr") == "fr"
    assert contextvars.copy_context().run(read_in, "es") == "es"
    assert i18n.language() == "en"  # neither leaked out


def test_pseudo_language_is_longer_and_keeps_placeholders_and_accelerators():
    source = "Sign in as %1 with {name} and &Pay"
    out = pseudo(source)
    assert len(out) >= 1.35 * len(source)
    assert "%1" in out and "{name}" in out and "&P" in out
    assert i18n.placeholders(out) == i18n.placeholders(source)
    assert "Sign" not in out


@pytest.mark.parametrize(("language", "money", "points"), [
    ("en", "1,234.50", "12,345"),
    ("es", "1.234,50", "12.345"),
    ("fr", "1\u202f234,50", "12\u202f345"),
    ("ar", "1,234.50", "12,345"),  # Latin digits: as the receipt and the backend's figures
])
def test_money_and_points_as_each_language_writes_them(language, money, points):
    assert formats.money(123450, language) == money
    assert formats.money(Decimal("1234.5"), language) == money
    assert formats.points(12345, language) == points


def test_prices_carry_the_stores_currency_and_dates_its_time_zone():
    try:
        formats.configure("es_MX", "MXN", "America/Mexico_City")
        assert formats.price(Decimal("1234.5"), "es") == "$1,234.50"  # Mexico's peso, Mexico's style
        assert formats.price(Decimal("12.5"), "fr") == "12,50\xa0$MX"
        noon_utc = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
        assert "6:00" in formats.when(noon_utc, "es")  # UTC-6 in December
    finally:
        formats.configure("en_US", "USD", "")


@pytest.mark.parametrize(("field", "value", "says"), [
    ("currency", "JPY", "2 decimals"),
    ("currency", "DOLLARS", "ISO 4217"),
    ("locale", "xx_QQ", "not a locale"),
    ("timezone", "Mars/Olympus", "not a time zone"),
])
def test_set_up_refuses_store_formats_it_cannot_keep(field, value, says):
    with pytest.raises((ValueError, ConfigError), match=says):
        StoreSettings(**{field: value})
    assert StoreSettings(currency="eur", locale="fr-FR").currency == "EUR"


def test_a_stored_message_reads_in_the_language_of_the_day_and_other_text_as_it_is():
    import contextvars

    from kiosk.outbox.queue import NEVER_APPLIED

    column = i18n.stored(i18n.Message(i18n.N_("The reply was lost, and {why}. It is held: a manager checks the "
                                             "backend and says whether it was applied."),
                                      {"why": "nothing declared can tell"}))
    assert "The reply" in column and column.startswith(i18n.STORED)  # the id and its parameters, not the words
    english = i18n.readable(column, i18n.ENGLISH)
    assert english.startswith("The reply was lost, and nothing declared can tell.")

    def spanish() -> tuple[str, str]:
        i18n.use("es")
        return i18n.readable(column), i18n.readable(NEVER_APPLIED)

    held, cancelled = contextvars.copy_context().run(spanish)
    es = i18n.catalogue("es")
    assert held != english and "nothing declared can tell" in held
    assert cancelled == es.gettext("cancelled at the till; it never took effect") != "cancelled at the till; it never took effect"
    # The backend's own words, a row from before messages were stored, junk: shown as they are.
    for text in ("AC2002: key already used", '{"text": broken', "", None):
        assert i18n.readable(text) == text


def test_a_message_keeps_the_messages_it_is_made_of_and_reads_them_in_one_language():
    import contextvars

    from kiosk.checkout.pay import _failure, _problems
    from kiosk.checkout.sales import PlannedRedemption
    from kiosk.outbox.engine import Outcome

    coupon = PlannedRedemption("coupon", "SAVE5", "M100003", "k1", 500, None)
    card = PlannedRedemption("card", "GC-1000-0001", "M100003", "k2", 1250, None)
    facts = [(coupon, Outcome(1, "refused", None, "already used"), None), (card, Outcome(2, "pending"), None)]
    failure = _failure(_problems(facts), [card])
    column = i18n.stored(failure)
    english = i18n.readable(column, i18n.ENGLISH)
    assert english == ("Payment not completed. Coupon SAVE5 was refused: already used; Card GC-1000-0001 (12.50) got "
                       "no answer in time. Given back: Card GC-1000-0001 (12.50). Nothing of this sale is kept; fix "
                       "the payment and press Pay again.") == failure.render(i18n.ENGLISH)

    def french() -> str:
        i18n.use("fr")
        return i18n.readable(column)

    fr = i18n.catalogue("fr")
    said = contextvars.copy_context().run(french)
    assert said.startswith(fr.gettext("Payment not completed. {problems}. Given back: {given_back}. Nothing of this "
                                      "sale is kept; fix the payment and press Pay again.").split("{")[0])
    assert fr.gettext("Coupon {code}").format(code="SAVE5") in said and " ; " in said  # the list as French writes it
