"""The screens' words from the same catalogue as the core's (kiosk.i18n).

Every `self.tr("…")` in the screens asks the installed QTranslators; CatalogueTranslator
answers from the gettext catalogue, so there is one catalogue and one set of `.po` files,
and a sentence the core makes and a label the screen makes read in the same language.
Qt's own words (a line edit's context menu, a standard dialog's buttons) come from the
`qtbase_<ll>.qm` that PySide6 ships, installed behind it.

Qt asks a translator for "QT_LAYOUT_DIRECTION" to decide whether the whole interface is
mirrored: the catalogue's language answers it, so Arabic lays out right to left.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from kiosk import i18n


class CatalogueTranslator(QTranslator):
    def __init__(self, language: str, parent=None):
        super().__init__(parent)
        self.catalogue = i18n.catalogue(language)

    def language(self) -> str:  # noqa: D102 (Qt's name)
        return self.catalogue.language

    def isEmpty(self) -> bool:  # noqa: N802 (Qt's name)
        return False

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str | None:
        if context == "QGuiApplication" and source == "QT_LAYOUT_DIRECTION":
            return "RTL" if i18n.right_to_left(self.catalogue.language) else "LTR"
        if not source:
            return None
        text = self.catalogue.gettext(source)
        return text if text != source or self.catalogue.language == i18n.PSEUDO else None


class Languages:
    """The translators installed on the application: one language at a time for the whole
    process's widgets (each screen is its own process). `switch` swaps them; Qt then sends
    every widget a LanguageChange event, on which a screen sets its words again."""

    def __init__(self, app: QApplication):
        self._app = app
        self._ours: CatalogueTranslator | None = None
        self._qt: QTranslator | None = None
        self.language = i18n.SOURCE

    def switch(self, language: str) -> None:
        language = i18n.choose(language)
        if self._ours is not None and language == self.language:
            return
        for old in (self._ours, self._qt):
            if old is not None:
                self._app.removeTranslator(old)
                old.deleteLater()  # a kiosk switches twice a visit: the old ones must not pile up
        self._qt = None
        base = language.split("_")[0]
        if base != i18n.SOURCE and language != i18n.PSEUDO:
            qt = QTranslator(self._app)
            if qt.load(f"qtbase_{base}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
                self._app.installTranslator(qt)
                self._qt = qt
        self._ours = CatalogueTranslator(language, self._app)
        self._app.installTranslator(self._ours)  # asked first: installed last
        i18n.use_on_screen(language)
        self.language = language
        QLocale.setDefault(QLocale(base if language != i18n.PSEUDO else "en_US"))
        # Qt posts each widget its LanguageChange: delivered now, no screen shows a pass of the old words.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)


def install(app: QApplication, language: str) -> Languages:
    languages = getattr(app, "_kiosk_languages", None)
    if languages is None:
        languages = Languages(app)
        app._kiosk_languages = languages
    languages.switch(language)
    return languages
