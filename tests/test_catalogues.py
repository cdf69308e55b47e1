"""The shipped catalogues: complete, well formed, and saying something in each language.

Extraction covers kiosk/ and ui/ (kiosk.catalogues.extract: Qt's tr() and gettext's
keywords). A sentence added to the code without its translations fails here, naming it;
`python -m kiosk.catalogues update` adds it to every .po, empty, for a translator.
"""

from __future__ import annotations

import gettext
import shutil
import subprocess

import pytest

from kiosk import catalogues, i18n

SHIPPED = ("es", "fr", "ar")
# Right as they are: the product's name, an example address, the answer keys (Y) and (N),
# unit symbols, and words the language shares with English.
EVERYWHERE = {"Kiosk", "name@example.com", "{0} (Y)", "{0} (N)", "{code}: {detail}"}
# A product line on a receipt or an approval: quantity "x" product, as Spanish and French write it too.
TIMES = {"{0} x {1}", "{0} ({1} x)", "TOTAL", "Total {0}"}
SAME_IN = {"es": EVERYWHERE | TIMES | {"{0} x {1}: {2}", " h", "{0} s", "%1 %2, PIN %3", "No", "PIN", "Subtotal",
                                       "Terminal %1", "Total"},
           "fr": EVERYWHERE | TIMES | {"points", " h", "{0} s", "OK", "Question", "Terminal %1", "{0} points", "Total",
                                       "Points", "Code", "Note"},
           "ar": EVERYWHERE}


@pytest.fixture(scope="module")
def extracted():
    return {m.id for m in catalogues.extract() if m.id}


def test_the_store_can_choose_every_shipped_language():
    assert set(catalogues.languages()) == set(SHIPPED)
    assert set(SHIPPED) | {"en"} == set(i18n.LANGUAGES)


@pytest.mark.parametrize("language", SHIPPED)
def test_every_sentence_in_the_code_is_translated(language, extracted):
    catalog = catalogues.read(language)
    have = {m.id: m for m in catalog if m.id}
    missing = sorted(str(m) for m in extracted - set(have))
    assert missing == [], f"{language}: not in the catalogue (run python -m kiosk.catalogues update): {missing[:10]}"
    untranslated = sorted(str(m.id) for m in have.values()
                          if not (all(m.string) if isinstance(m.string, tuple) else m.string))
    assert untranslated == [], f"{language}: untranslated: {untranslated[:10]}"
    fuzzy = sorted(str(m.id) for m in have.values() if m.fuzzy)
    assert fuzzy == [], f"{language}: fuzzy: {fuzzy[:10]}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt (scripts/setup.sh installs it)")
@pytest.mark.parametrize("language", SHIPPED)
def test_gnu_msgfmt_accepts_the_catalogue(language, tmp_path):
    done = subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "out.mo"), str(catalogues.po_path(language))],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("language", SHIPPED)
def test_every_translation_keeps_its_placeholders(language):
    wrong = []
    for m in catalogues.read(language):
        if not m.id:
            continue
        sources = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        allowed = set().union(*(i18n.placeholders(s) for s in sources))
        for s in strings:
            if isinstance(m.id, tuple):
                bad = not set(i18n.placeholders(s)) <= allowed  # a plural form may leave the count out
            else:
                bad = i18n.placeholders(s) != i18n.placeholders(m.id)
            if s and bad:
                wrong.append((m.id, s))
    assert wrong == []


@pytest.mark.parametrize("language", SHIPPED)
def test_no_translation_is_its_english_source(language):
    same = sorted(str(m.id) for m in catalogues.read(language)
                  if m.id and not isinstance(m.id, tuple) and m.string == m.id
                  and m.id not in SAME_IN[language] and any(c.isalpha() for c in m.id))
    assert same == [], f"{language}: left in English: {same[:15]}"


def test_arabics_plural_rule_is_cldrs():
    """Babel writes a wrong rule for Arabic's 'many' form (n % 100 in 0..2); the header must
    give the one CLDR defines, or 11 rewards would read as 'few'."""
    from babel import Locale

    catalog = catalogues.read("ar")
    assert catalog.num_plurals == 6
    order = ["zero", "one", "two", "few", "many", "other"]
    rule = gettext.c2py(catalog.plural_expr)  # how gettext itself reads the header
    for n in (0, 1, 2, 3, 7, 10, 11, 26, 99, 100, 101, 102, 103, 111, 1000):
        assert order[rule(n)] == Locale("ar").plural_form(n), n


def test_the_compiled_catalogue_is_what_the_screens_read(tmp_path, monkeypatch):
    """The .po compiled (as scripts/setup.sh does) gives the same words as reading the .po."""
    catalog = catalogues.read("es")
    sample = next(m for m in catalog if m.id and m.string and not isinstance(m.id, tuple) and "{" not in m.id)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    (tmp_path / "es" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(catalogues.po_path("es"), tmp_path / "es" / "LC_MESSAGES" / "kiosk.po")
    i18n.catalogue.cache_clear()
    try:
        from_po = i18n.catalogue("es").gettext(sample.id)  # not compiled yet: read from the .po
        monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path)
        monkeypatch.setattr(catalogues, "po_path", lambda lang: tmp_path / lang / "LC_MESSAGES" / "kiosk.po")
        monkeypatch.setattr(catalogues, "languages", lambda: ["es"])
        written = catalogues.compile_all()
        assert written == [tmp_path / "es" / "LC_MESSAGES" / "kiosk.mo"]
        i18n.catalogue.cache_clear()
        assert i18n.catalogue("es").gettext(sample.id) == from_po == sample.string
    finally:
        i18n.catalogue.cache_clear()
