"""The catalogues' upkeep: extract every sentence from the code, merge, compile.

`python -m kiosk.catalogues compile` (run by scripts/setup.sh and packaging) turns each
`.po` into the `.mo` gettext reads; `… update` extracts the code's sentences and merges
them into every language's `.po` (new ones arrive empty, for a translator). The suite's
checks use `extract` to find sentences a catalogue lacks.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk.i18n import DOMAIN, LOCALE_DIR

ROOT = LOCALE_DIR.parent.parent
SOURCES = ("kiosk", "ui")
# self.tr and QCoreApplication.translate are Qt's; the rest are gettext's.
KEYWORDS = {"tr": None, "_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "Message": None, "translate": (2,)}


def languages() -> list[str]:
    return sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract():
    """A babel Catalog of every sentence marked in the code."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="Kiosk", charset="utf-8")
    for folder in SOURCES:
        found = extract_from_dir(ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS,
                                 comment_tags=("Translators:",), strip_comment_tags=True)
        for filename, lineno, message, comments, context in found:
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def read(language: str):
    from babel.messages.pofile import read_po

    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def compile_all(force: bool = False) -> list[Path]:
    """Compile each stale `.mo` (older than its `.po`, or missing); every one when forced."""
    from babel.messages.mofile import write_mo

    written = []
    for language in languages():
        source = po_path(language)
        target = source.with_suffix(".mo")
        if not force and target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        with target.open("wb") as handle:
            write_mo(handle, read(language))
        written.append(target)
    return written


def update() -> None:
    from babel.messages.pofile import write_po

    template = extract()
    for language in languages():
        catalog = read(language)
        # No fuzzy matching: its guesses ("member inactive" for "Member offline") read as translations.
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        with po_path(language).open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, ignore_obsolete=True)


def main(argv: list[str]) -> int:
    if argv == ["compile"]:
        for path in compile_all():
            # stderr: scripts/run.sh runs this before the app, whose own output is on stdout
            print(f"compiled {path.relative_to(ROOT)}", file=sys.stderr)
        return 0
    if argv == ["update"]:
        update()
        return 0
    print("usage: python -m kiosk.catalogues compile | update", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
