"""One catalogue for every word a person reads on a screen: gettext, domain "kiosk".

gettext (the standard library's reader of compiled catalogues) rather than Qt Linguist:
the core must not import Qt, and its sentences belong in the same catalogue as the
screens'. Babel (a well-kept library with CLDR's data) extracts and compiles the
catalogues and formats money, numbers and dates; `kiosk.formats` uses it.

- The `.po` files under `resources/locale/<ll>/LC_MESSAGES/` are the source; the set-up
  (`scripts/setup.sh`) and packaging compile them to `.mo`. A checkout that was never set
  up still gets its translations: the `.po` is compiled in memory, once, and a warning
  says to run the set-up.
- The language in force is a context variable, not a process global: the cashier's
  screen and a shopper's session can read the same message in different languages.
- A translation whose placeholders differ from its source is not used (the English is
  shown): a translator's typo must not raise a KeyError in front of a shopper.
- Command-line output and logs stay English: they do not go through here.
"""

from __future__ import annotations

import gettext
import json
import logging
import os
import re
from collections import Counter
from contextvars import ContextVar, copy_context
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable, Literal, Mapping

log = logging.getLogger(__name__)

DOMAIN = "kiosk"
# resources/ is the package kiosk_resources in a wheel (pyproject.toml), the source tree's
# folder in a checkout: importlib.resources finds it either way.
def _locale_dir() -> Path:
    try:
        return Path(str(files("kiosk_resources").joinpath("locale")))
    except ModuleNotFoundError:  # a source tree not installed (pip install -e . maps the package)
        return Path(__file__).resolve().parent.parent / "resources" / "locale"


LOCALE_DIR = _locale_dir()
SOURCE = "en"
# The languages a store can choose, each named in itself (a shopper looks for their own).
LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "ar": "العربية"}
# "Language" in each, for the one button a shopper who reads none of the others can find.
LANGUAGE_WORD = {"en": "Language", "es": "Idioma", "fr": "Langue", "ar": "اللغة"}
RIGHT_TO_LEFT = frozenset({"ar"})
# A test language: every sentence accented and a third longer, to find text that is cut off.
PSEUDO = "en_XA"

_PLACEHOLDER = re.compile(r"%n|%\d+|\{[^{}]*\}")

Audience = Literal["everyone", "cashier", "shopper"]


def placeholders(text: str) -> Counter:
    return Counter(_PLACEHOLDER.findall(text))


class _Checked(gettext.NullTranslations):
    """A catalogue's translations, each used only if it keeps its source's placeholders."""

    def __init__(self, inner: gettext.NullTranslations, language: str):
        super().__init__()
        self._inner = inner
        self.language = language

    def gettext(self, message: str) -> str:
        return _guard(message, self._inner.gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        chosen = self._inner.ngettext(singular, plural, n)
        # A plural form may leave out the count ("one reward"), never bring a name of its own.
        if set(placeholders(chosen)) <= set(placeholders(singular) | placeholders(plural)):
            return chosen
        return singular if n == 1 else plural

    def pgettext(self, context: str, message: str) -> str:
        return _guard(message, self._inner.pgettext(context, message))


def _guard(source: str, translated: str) -> str:
    if translated is source or translated == source:
        return source
    if placeholders(translated) != placeholders(source):
        log.warning("a translation's placeholders differ from its source; the source is shown")
        return source
    return translated


@lru_cache(maxsize=1)
def shipped() -> tuple[str, ...]:
    """The languages this installation can show: English (the code's own) and each with a
    catalogue installed, in LANGUAGES' order."""
    found = {p.name for p in LOCALE_DIR.iterdir()
             if (p / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file() or (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
             } if LOCALE_DIR.is_dir() else set()
    return tuple(code for code in LANGUAGES if code == SOURCE or code in found)


@lru_cache(maxsize=None)
def catalogue(language: str) -> _Checked:
    """The translations of one language (English, the source, has none)."""
    base = language.split("_")[0].split("-")[0]
    if language == PSEUDO:
        from kiosk.pseudo import PseudoTranslations

        return _Checked(PseudoTranslations(), PSEUDO)
    if base == SOURCE or base not in LANGUAGES:
        return _Checked(gettext.NullTranslations(), SOURCE)
    folder = LOCALE_DIR / base / "LC_MESSAGES"
    compiled, source = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    try:
        if compiled.is_file() and (not source.is_file() or compiled.stat().st_mtime >= source.stat().st_mtime):
            with compiled.open("rb") as handle:
                return _Checked(gettext.GNUTranslations(handle), base)
        if source.is_file():
            log.warning("the %s catalogue is not compiled (or older than its .po); run scripts/setup.sh", base)
            return _Checked(_compiled_in_memory(source), base)
    except (OSError, ValueError) as exc:
        log.warning("the %s catalogue cannot be read (%s); English is shown", base, exc)
    return _Checked(gettext.NullTranslations(), SOURCE)


def _compiled_in_memory(po: Path) -> gettext.GNUTranslations:
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        parsed = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, parsed)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


_active: ContextVar[_Checked | None] = ContextVar("kiosk_language", default=None)
_screen: list[_Checked] = []  # the process's screen language, where no context chose one


def use(language: str) -> None:
    """Make `language` the one in force here (this thread, task or context)."""
    _active.set(catalogue(language))


def use_on_screen(language: str) -> None:
    """The language of this process's screen: what Qt's callbacks, which run outside any
    task's context, render in."""
    _screen[:] = [catalogue(language)]


def current() -> _Checked:
    return _active.get() or (_screen[0] if _screen else catalogue(SOURCE))


def in_language(language: str, make: Callable[[], Any]) -> Any:
    """`make()` with `language` in force, leaving the caller's as it was: for a record kept
    in English beside the words a person reads."""
    def run() -> Any:
        use(language)
        return make()

    return copy_context().run(run)


def language() -> str:
    return current().language


def right_to_left(language_code: str | None = None) -> bool:
    return (language_code or language()).split("_")[0] in RIGHT_TO_LEFT


def _(message: str) -> str:
    return current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return current().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return current().pgettext(context, message)


def N_(message: str) -> str:  # noqa: N802 (gettext's name, which the extractor looks for)
    """Marks a sentence for the catalogue where it is defined; it is translated where shown."""
    return message


@dataclass(frozen=True)
class Message:
    """A sentence for a person, kept as what it says rather than as English text: rendered
    in the language of the screen that shows it. `text` is the catalogue's id (marked with
    N_ where it is written); `plural` and `n` choose a plural form; `args` fill its {names}.
    An argument may be a Message too, or a list of them (joined as a list is in the
    language): "Payment not completed. {problems}." keeps each problem as what it says.
    `audience` says who may read it: "press Pay again" is for the cashier, not a shopper."""

    text: str
    args: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None
    audience: Audience = "everyone"

    def render(self, translations: gettext.NullTranslations | None = None) -> str:
        translations = translations or current()
        if self.plural is not None:
            template = translations.ngettext(self.text, self.plural, self.n or 0)
        else:
            template = translations.gettext(self.text)
        values = {k: _render_arg(v, translations) for k, v in self.args.items()}
        if self.n is not None:
            values.setdefault("n", self.n)
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return self.text.format(**values)

    def to_json(self) -> dict:
        """For storage: the id and its parameters, never the rendered words."""
        data: dict[str, Any] = {"text": self.text, "args": {k: _store_arg(v) for k, v in self.args.items()}}
        if self.plural is not None:
            data.update(plural=self.plural, n=self.n)
        if self.audience != "everyone":
            data["audience"] = self.audience
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Message":
        args = {k: _read_arg(v) for k, v in (data.get("args") or {}).items()}
        return cls(str(data["text"]), args, data.get("plural"), data.get("n"), data.get("audience", "everyone"))

    def __str__(self) -> str:
        return self.render()


def _render_arg(value: Any, translations: gettext.NullTranslations) -> Any:
    if isinstance(value, Message):
        return value.render(translations)
    if isinstance(value, (list, tuple)):
        # Translators: between the items of a list inside a sentence ("card A failed; coupon B was refused").
        return translations.pgettext("between the items of a list", "; ").join(
            _render_arg(v, translations) for v in value)
    return value


def _store_arg(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, (list, tuple)):
        return [_store_arg(v) for v in value]
    return str(value)


def _read_arg(value: Any) -> Any:
    if isinstance(value, dict) and "text" in value:
        return Message.from_json(value)
    if isinstance(value, list):
        return [_read_arg(v) for v in value]
    return value


STORED = '{"text"'  # how a stored Message begins (to_json's first key)
ENGLISH = gettext.NullTranslations()  # for the command line and the log, which stay English


def stored(message: Message) -> str:
    """A Message as a database column holds it: its id and parameters, never the words."""
    return json.dumps(message.to_json(), ensure_ascii=False)


def readable(text: str | None, translations: gettext.NullTranslations | None = None) -> str | None:
    """A stored column as words: a stored Message rendered in today's language (or in
    `translations`), anything else (the backend's own wording, a row written before
    messages were stored) as it is."""
    if not text or not text.startswith(STORED):
        return text
    try:
        return Message.from_json(json.loads(text)).render(translations)
    except (ValueError, KeyError, TypeError):
        return text


def system_language(env: Mapping[str, str] = os.environ) -> str:
    """The system's language in gettext's order (LANGUAGE, LC_ALL, LC_MESSAGES, LANG): the
    first that this program ships, else English."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(variable, "")
        if not value:
            continue
        for candidate in value.split(":") if variable == "LANGUAGE" else [value]:
            code = candidate.split(".")[0].split("@")[0]
            if code in ("C", "POSIX"):
                return SOURCE
            if code == PSEUDO or code.split("_")[0] in LANGUAGES:
                return code if code == PSEUDO else code.split("_")[0]
        if variable != "LANGUAGE":
            return SOURCE  # the first one set decides, as gettext does
    return SOURCE


def choose(configured: str = "", env: Mapping[str, str] = os.environ) -> str:
    """The settings' language if it is one this program ships, else the system's."""
    configured = configured.strip().replace("-", "_")
    if configured == PSEUDO or configured.split("_")[0] in LANGUAGES:
        return configured if configured == PSEUDO else configured.split("_")[0]
    return system_language(env)
