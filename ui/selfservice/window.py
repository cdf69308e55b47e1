"""The self-service kiosk's one window: frameless, full screen, locked down.

A screen over the application layer: one Shopper (kiosk/app/shopper.py) and one Enrolment per
visit, built afresh each time and dropped whole at the end (`reset`), never patched between
shoppers. Every scan (camera, serial, the hand scanner's keys through the wedge filter) takes
the terminal's one route (ScanRouter) to the visit's Shopper. The shopper's screens (member,
pass, card, enrol) are built per visit by `_screen` and ask for each other by their `go`
signal; this window owns the stack, the overlays (questions, the manager's PIN), the idle
countdown, the thank-you timeout, the offline banner and the staff's way out.

Nothing closes it but the staff's exit (a 5 s press in the top-left corner, then a manager's
id and PIN: `exit_requested(EXIT_OK)`) or the end of the session (ui/selfservice/session.py).
"""

from __future__ import annotations

import asyncio
import importlib

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication, QPixmapCache
from PySide6.QtWidgets import (QAbstractButton, QApplication, QFrame, QHBoxLayout, QLabel, QLineEdit, QScrollArea,
                               QStackedWidget, QVBoxLayout, QWidget)

from kiosk.app.exits import EXIT_OK
from kiosk.app.signals import Signal as CoreSignal
from kiosk.events import EventHub
from kiosk import i18n
from kiosk.i18n import N_
from ui.common import theme
from ui.selfservice import kit
from ui.common.notices import keep_place
from ui.selfservice.attract import AttractScreen, ThanksScreen
from ui.selfservice.idle import IdleWatch
from ui.selfservice.language_screen import LanguageScreen
from ui.selfservice.lockdown import LockdownKeys
from ui.selfservice.speech import SpeechMode
from ui.selfservice.overlay import EXIT, ManagerPin, Question, big_button
from ui.selfservice.staff import CornerHold
from ui.selfservice.unlock import StaffUnlock

# The shopper's screens, each `Screen(shopper, enrolment, settings, parent)` with `go = Signal(str)`.
PIXMAP_CACHE_KB = 2048
SCREENS = {"member": ("ui.selfservice.member_screen", "MemberScreen"),
           "pass": ("ui.selfservice.pass_screen", "PassScreen"),
           "card": ("ui.selfservice.card_screen", "CardScreen"),
           "enrol": ("ui.selfservice.enrol_screen", "EnrolScreen"),
           # Only where the store turned on selfservice.lookup_by_contact.
           "email": ("ui.selfservice.email_screen", "EmailScreen")}
NOTICE_MS = 8000
# What a shopper can still do, said calmly: offline is the store's problem, not theirs.
BANNERS = {
    "offline": N_("We're offline for a moment. You can still join: your card works from your next visit. "
                  "Points, rewards and gift card balances are back soon."),
    "degraded": N_("The connection is slow just now: things may take a moment longer."),
}


class EnterReceiver(QObject):
    """Which widget the last Enter was sent to (as the platform delivers it, or as the hand
    scanner's filter replays it): the window presses a button on Enter only if it was that button's."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.receiver: QObject | None = None
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # The widget with the focus is the first to get it; the parents it goes up to after are not.
        if event.type() == QEvent.KeyPress and event.key() in (Qt.Key_Return, Qt.Key_Enter) and \
                watched is QApplication.focusWidget():
            self.receiver = watched
        return False

    def remove(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class RoomWatch(QObject):
    """Calls `changed(width)` when `widget` (the screens' viewport) is resized: the width the
    screens really get, known only once the scroll area has laid itself out."""

    def __init__(self, widget: QWidget, changed):
        super().__init__(widget)
        self.changed = changed
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            self.changed(event.size().width())
        return False


class ScreenStack(QStackedWidget):
    """A stack that asks for the room of the screen shown, not of its tallest screen.

    QStackedWidget takes the largest of all its screens' sizes, and the largest of their
    heights for a width too (word-wrapped labels have one), whatever their size policies: the
    join form's height made every screen scroll at 1366x768."""

    def sizeHint(self):
        shown = self.currentWidget()
        return shown.sizeHint() if shown is not None else super().sizeHint()

    def minimumSizeHint(self):
        shown = self.currentWidget()
        return shown.minimumSizeHint() if shown is not None else super().minimumSizeHint()

    def hasHeightForWidth(self) -> bool:
        shown = self.currentWidget()
        return shown is not None and shown.hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:
        shown = self.currentWidget()
        return shown.heightForWidth(width) if shown is not None else -1


class SelfServiceWindow(QWidget):
    exit_requested = Signal(int)  # an exit status (kiosk/app/exits.py): staff closed the kiosk
    visit_reset = Signal()  # the visit was dropped and the attract screen is up

    def __init__(self, tasks, settings=None, parent: QWidget | None = None):
        super().__init__(parent, Qt.Window | Qt.FramelessWindowHint)
        self.tasks, self.settings = tasks, settings
        tasks.work.reader = "shopper"  # a sentence for staff reaches a shopper as "ask a member of staff"
        # Qt's style caches a pixmap per widget look, keyed by each widget's own palette: the
        # screens are new every visit, so the entries of a visit gone are never used again, and
        # the default 10 MB filled over the first 200 visits (the soak in
        # tests/benchmarks/bench_selfservice.py). One visit's looks fit in 2 MB.
        QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)
        self.hub = EventHub()
        self.terminal = self.scans = None
        self.codes = None  # the kiosk's one-time codes, across visits (selfservice.lookup_by_contact)
        self.shopper = self.enrolment = None
        self.screens: dict[str, QWidget] = {}
        self._leaving = False
        self._release = None
        self.setObjectName("kiosk")
        # The store's language (installed before the window is made); a shopper's choice lasts a visit.
        self.store_language = i18n.language()
        self._connectivity = "online"
        self.setProperty("screen", "kiosk")  # its colours and sizes: resources/design/theme.qss
        # The store's look (applied before the window is made); a shopper's choice lasts a visit.
        self.store_theme = theme.store_default(QApplication.instance())
        self.body_px = kit.body_px()
        theme.ensure(QApplication.instance(), "full", self.body_px)

        self.banner = QLabel(self)
        self.banner.setObjectName("kioskBanner")
        self.banner.setWordWrap(True)
        self.banner.setAlignment(Qt.AlignCenter)
        self.banner.setProperty("role", "calm")
        keep_place(self.banner).hide()
        self.stack = ScreenStack(self)
        self.attract = AttractScreen(self.body_px, parent=self.stack)
        self.attract.go.connect(self.show_screen)
        self.thanks = ThanksScreen(self.body_px, self.stack)
        self.thanks.done.clicked.connect(self.reset)
        self.languages = LanguageScreen(self.body_px, self.stack)
        self.languages.go.connect(self.show_screen)
        self.languages.chosen.connect(self.choose_language)
        self.stack.addWidget(self.attract)
        self.stack.addWidget(self.thanks)
        self.stack.addWidget(self.languages)
        self.notice = QLabel(self)  # sentences for the shopper on any screen but the attract one
        self.notice.setAlignment(Qt.AlignCenter)
        self.notice.setWordWrap(True)
        self._notice_timer = QTimer(self, singleShot=True, interval=NOTICE_MS)
        self._notice_timer.timeout.connect(self._clear_notice)
        # The banner and the notice share one strip of fixed height at the bottom, the notice
        # over the banner while it lasts: at 1366x768 two strips left the screens with an
        # on-screen keyboard no room for their buttons, and one kept strip still means that
        # going offline or a notice never moves a button.
        self.strip = QStackedWidget(self)
        self.strip.setFixedHeight(round(self.body_px * 2.8))
        self.strip.addWidget(self.banner)
        self.strip.addWidget(self.notice)
        self._show_strip()
        # The language on every screen of a visit, beside the strip (it takes no height of its
        # own); the attract screen has its own, bigger one.
        self.language = big_button(self, " · ".join(i18n.LANGUAGE_WORD[c] for c in i18n.shipped()), "")
        self.language.setProperty("size", "small")
        self.language.setFixedHeight(round(self.body_px * 2.8))
        self.language.clicked.connect(lambda: self.show_screen("language"))
        self.language.hide()
        self.question = Question(self)
        self.speech = SpeechMode(self)  # the non-visual mode: its button sits beside the language's
        # High contrast for this visit, on the same row as the language (ui/common/theme.py).
        self.contrast = big_button(self, "", "")
        self.contrast.setProperty("size", "small")
        self.contrast.setCheckable(True)
        self.contrast.setChecked(self.store_theme == "high-contrast")
        self.contrast.setFixedHeight(round(self.body_px * 2.8))
        self.contrast.toggled.connect(self.choose_contrast)
        bottom = QHBoxLayout()
        bottom.setSpacing(theme.KIOSK_GAP_PX)
        bottom.addWidget(self.strip, 1)
        bottom.addWidget(self.language)
        bottom.addWidget(self.speech.button)
        bottom.addWidget(self.contrast)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.KIOSK_TARGET_PX + theme.KIOSK_GAP_PX, theme.KIOSK_GAP_PX, theme.KIOSK_GAP_PX, theme.KIOSK_GAP_PX)
        # A screen taller than the display (the join form's keyboard at 1366x768) scrolls
        # rather than pushing the window past the screen's edge.
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.viewport().setAutoFillBackground(False)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.stack)
        self.stack.setAutoFillBackground(False)  # setWidget turned it on: the window's colour shows through
        self.stack.currentChanged.connect(self._fit)
        self.stack.currentChanged.connect(self._offer_language)
        self._before_language: str | None = None  # the screen the language screen goes back to
        self._room = RoomWatch(self.scroll.viewport(), self.attract.fit_width)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(bottom)

        self.question.set_font_px(self.body_px)
        self.question.answered.connect(self._answered)
        self.pin = ManagerPin(self, tasks)
        self.pin.passed.connect(self._pin_passed)
        self.pin.cancelled.connect(self._pin_cancelled)
        self.corner = CornerHold(self)  # above everything, overlays included
        self.corner.move(0, 0)
        self.corner.held.connect(self._staff)
        self.corner.raise_()
        self.lockdown = LockdownKeys(self)
        self.enter_keys = EnterReceiver(self)
        self.speech.listen()
        self.idle: IdleWatch | None = None
        self._thanks_timer = QTimer(self, singleShot=True)
        self._thanks_timer.timeout.connect(self.reset)
        tasks.failed.connect(self.say)
        from ui.common.wedge_filter import WedgeFilter

        self.wedge = WedgeFilter(self)
        self.wedge.scanned.connect(lambda text, _receiver: self.scans and self.scans.text(text, "wedge"))
        self._words()
        self.attract.say(self.tr("The kiosk is starting…"))

    def _words(self) -> None:
        self.setWindowTitle(self.tr("Kiosk"))
        self.setAccessibleName(self.tr("Self-service kiosk"))
        self.banner.setAccessibleName(self.tr("Connection"))
        self.notice.setAccessibleName(self.tr("Notice"))
        self.language.setAccessibleName(self.tr("Language"))
        self.language.setAccessibleDescription(self.tr("Choose the language of the screens"))
        self.speech.words()
        self.contrast.setText(self.tr("High contrast"))
        self.contrast.setAccessibleName(self.tr("High contrast"))
        self.contrast.setAccessibleDescription(self.tr("Light text on black with stronger outlines, for this visit"))

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.LanguageChange:
            self._words()
            self.set_connectivity(self._connectivity)
        super().changeEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # Enter presses the focused button, as Space does: a QPushButton outside a dialog
        # ignores Enter, and a shopper with a keypad or a switch device may have no Space.
        # Only an Enter sent to the button itself: a field's Enter that moved the focus on to a
        # button (the join form's contact, then the consent box) comes up here too.
        focus = QApplication.focusWidget()
        if (event.key() in (Qt.Key_Return, Qt.Key_Enter) and isinstance(focus, QAbstractButton)
                and self.enter_keys.receiver is focus and self.isAncestorOf(focus) and focus.isVisible()
                and focus.isEnabled() and not event.isAutoRepeat()):
            event.accept()
            focus.click()
            return
        super().keyPressEvent(event)

    # -- start-up ------------------------------------------------------------------------

    def attach(self, terminal, bridge) -> None:
        """The terminal is up: scans go to the visit from now on."""
        from kiosk.app.scans import ScanRouter
        from kiosk.scanner.payload import PayloadFormats
        from kiosk.scanner.service import wedge_detector

        self.terminal, self.settings = terminal, terminal.settings
        loop = asyncio.get_event_loop()
        self.scans = ScanRouter(self.hub, loop, formats=PayloadFormats.from_settings(self.settings.scanner),
                                say=self.say)
        self.scans.held = self._scan_held
        self._release = self.scans.take(self._scanned)
        self.idle = IdleWatch(self.settings.selfservice.idle_s, self._visit_busy,
                              self.settings.checkout.authorize_timeout_s, self)
        self.idle.idle.connect(self._idle)
        self.speech.end_visit()  # the idle time as the mode says
        bridge.connectivity.connect(self.set_connectivity)
        self.set_connectivity(terminal.till.checkout.connectivity)
        self.wedge.use(wedge_detector(self.settings.scanner))
        self.wedge.install()
        if self.settings.scanner.camera.strip():
            # On all day, as the cashier's preview is on demand; an unplugged camera comes back by
            # itself (kiosk/scanner/sources.py reconnects), and says so on the hub meanwhile.
            terminal.start_camera()
        if self.settings.selfservice.lookup_by_contact:
            from kiosk.selfservice.codes import OneTimeCodes

            self.codes = OneTimeCodes(self.settings.selfservice.code_minutes)
        self.attract.offer_email(self.codes is not None)
        self.attract.say("")
        self._new_visit()

    def out_of_order(self, message: str) -> None:
        """The terminal did not start: the shopper reads that the kiosk is out of order."""
        self.attract.scan.setText(self.tr("Out of order"))
        self.attract.how.setText(self.tr("Sorry, this kiosk can't be used just now. Please ask a member of staff."))
        for b in (self.attract.join, self.attract.gift, self.attract.email, self.attract.language):
            b.hide()
        self.attract.say(message)

    def set_connectivity(self, state: str, detail: str = "") -> None:
        self._connectivity = state
        text = BANNERS.get(state)
        self.banner.setText(self.tr(text) if text else "")
        self._show_strip()

    # -- the visit ---------------------------------------------------------------------------

    def _new_visit(self) -> None:
        from kiosk.app.enrolment import Enrolment
        from kiosk.app.shopper import Shopper

        self.shopper = Shopper(self.terminal, self.tasks.work, codes=self.codes)
        self.shopper.shown.connect(lambda _view: self.show_screen("member"))
        self.shopper.card_checked.connect(lambda _card: self.show_screen("card"))
        self.enrolment = Enrolment(self.terminal, self.tasks.work)
        # The attract screen is painted now, and the visit's screens come after it, one a pass
        # of the event loop: built at once they held the paint back by 130-200 ms (the two
        # keyboards alone are 90 keys), and a touch in between waits for one screen at most.
        if self.isVisible():
            self.repaint()
        QTimer.singleShot(0, self._build_next)

    def _build_next(self) -> None:
        if self.shopper is None:
            return
        missing = [name for name in self._offered() if name not in self.screens]
        if missing:
            self.screens[missing[0]] = self._screen(missing[0])
        if len(missing) > 1:
            QTimer.singleShot(0, self._build_next)

    def _offered(self) -> tuple[str, ...]:
        return tuple(name for name in SCREENS if name != "email" or self.codes is not None)

    def _screen(self, name: str) -> QWidget:
        """The screen `name` for this visit (its module loads on the first visit, after the
        attract screen is painted)."""
        module_name, class_name = SCREENS[name]
        module = importlib.import_module(module_name)
        screen = getattr(module, class_name)(self.shopper, self.enrolment, self.settings, self.stack)
        screen.go.connect(self.show_screen)
        for control in screen.findChildren(StaffUnlock):  # a screen's "Staff: unlock" under its lock sentence
            control.asked.connect(self._ask_unlock)
        self.stack.addWidget(screen)
        self._fit(self.stack.currentIndex())
        return screen

    def _fit(self, index: int) -> None:
        self.stack.updateGeometry()
        # The scroll area sizes the stack again (and hides a scroll bar it no longer needs).
        self.scroll.setWidgetResizable(True)
        self.scroll.verticalScrollBar().setValue(0)
        self._keep_focus()

    def _keep_focus(self) -> None:
        """The keyboard goes to the screen shown: a field of a screen not shown (the card
        screen's, built behind the attract screen) had it, so a hand scanner's member card
        was typed into that hidden field and checked as a gift card."""
        focus = QApplication.focusWidget()
        shown = self.stack.currentWidget()
        if focus is None or not focus.isVisible() or (self.stack.isAncestorOf(focus) and shown is not None
                                                      and not shown.isAncestorOf(focus)):
            self.setFocus(Qt.OtherFocusReason)

    def show_screen(self, name: str) -> None:
        if name == "attract":
            if self.stack.currentWidget() is self.languages:
                self._back_from_language()  # Back: the visit, and its language, go on
                return
            self.reset()
            return
        if name == "language":
            if self.stack.currentWidget() is not self.languages:
                self._before_language = self._name_of(self.stack.currentWidget())
            self._thanks_timer.stop()
            self.stack.setCurrentWidget(self.languages)
            if self.idle is not None:
                self.idle.arm()
            return
        if name == "thanks":
            self.idle and self.idle.disarm()
            self.stack.setCurrentWidget(self.thanks)
            self._thanks_timer.start(round(self.settings.selfservice.thanks_s * 1000))
            return
        if name not in self._offered() or self.shopper is None:
            self.reset()  # a name no screen has, or no visit: back to the start, never a crash
            return
        screen = self.screens.get(name)
        if screen is None:  # asked for before the visit's screens were built
            screen = self.screens[name] = self._screen(name)
        self._thanks_timer.stop()
        self.stack.setCurrentWidget(screen)
        self._clear_notice()
        shown = getattr(screen, "shown", None)
        if shown is not None:
            shown()
        if self.idle is not None:
            self.idle.arm()

    def reset(self) -> None:
        """The visit is over: nothing of it stays (member data in a widget, in memory, in a
        field's undo history, on the clipboard). A new visit is ready on the attract screen."""
        if self.idle is not None:
            self.idle.disarm()
        self._thanks_timer.stop()
        self._before_language = None
        self.speech.end_visit()
        self.question.close_overlay()
        if self.pin.showing:
            self.pin.reset()
            self.pin.close_overlay()
        shopper, self.shopper, self.enrolment = self.shopper, None, None
        if shopper is not None:
            shopper.end()
        self.stack.setCurrentWidget(self.attract)
        for screen in self.screens.values():
            clear = getattr(screen, "clear", None)
            if clear is not None:
                clear()
        # setText(""), not clear(): clear() can be undone; setText empties the undo history.
        for field in self.findChildren(QLineEdit):
            field.setText("")
        for screen in self.screens.values():
            self.stack.removeWidget(screen)
            screen.deleteLater()
        self.screens = {}
        clipboard = QGuiApplication.clipboard()
        clipboard.clear(QClipboard.Clipboard)
        if clipboard.supportsSelection():
            clipboard.clear(QClipboard.Selection)
        self._clear_notice()
        if i18n.language() != self.store_language:
            from ui.common import i18n as screen_languages

            screen_languages.install(QApplication.instance(), self.store_language)
        self.contrast.setChecked(self.store_theme == "high-contrast")  # the next shopper sees the store's look
        if theme.current(QApplication.instance()) != self.store_theme:
            theme.apply(QApplication.instance(), self.store_theme)
        self.attract.shown()
        if self.terminal is not None:
            self._new_visit()
        self.visit_reset.emit()

    def choose_contrast(self, on: bool) -> None:
        """The shopper's look, for this visit: the application's sheet changes, so every
        screen and overlay changes with it at once."""
        theme.apply(QApplication.instance(), "high-contrast" if on else "light")

    def choose_language(self, language: str) -> None:
        """The shopper's language, for this visit, from any screen: every standing screen says
        its words again (Qt sends each widget a LanguageChange); the visit's screens, built in
        the language before, are built again in this one, and the one the shopper came from
        goes on where it was (what it showed, what was typed: each screen's take_over)."""
        from ui.common import i18n as screen_languages

        screen_languages.install(QApplication.instance(), language)
        back_to = self._before_language
        for name in list(self.screens):
            old = self.screens.pop(name)
            if name == back_to and self.shopper is not None:
                new = self.screens[name] = self._screen(name)
                take_over = getattr(new, "take_over", None)
                if take_over is not None:
                    take_over(old)
            self._drop(old)
        if self.shopper is not None:
            QTimer.singleShot(0, self._build_next)
        self._back_from_language()
        if self.idle is not None:
            self.idle.arm()  # a shopper who walks off after choosing: the store's language comes back

    def _back_from_language(self) -> None:
        name, self._before_language = self._before_language, None
        if name in self.screens:
            self.show_screen(name)
        elif name == "thanks":
            self.show_screen("thanks")
        else:
            self.stack.setCurrentWidget(self.attract)

    def _name_of(self, widget: QWidget) -> str:
        if widget is self.thanks:
            return "thanks"
        return next((name for name, screen in self.screens.items() if screen is widget), "attract")

    def _drop(self, screen: QWidget) -> None:
        """A visit screen out of the window: it no longer hears the visit, and goes."""
        for part in (self.shopper, self.enrolment, getattr(self.shopper, "by_email", None)):
            for value in vars(part).values() if part is not None else ():
                if isinstance(value, CoreSignal):
                    for owner in [screen, *screen.findChildren(QObject)]:
                        value.forget(owner)
        self.stack.removeWidget(screen)
        screen.deleteLater()

    def _offer_language(self, _index: int) -> None:
        shown = self.stack.currentWidget()
        self.language.setVisible(len(i18n.shipped()) > 1 and shown is not self.attract and shown is not self.languages
                                 and self.terminal is not None)

    def _visit_busy(self) -> bool:
        # Part of the visit's writes may still be under way: `busy` on each (a reward pass, an enrolment).
        return any(part.busy for part in (self.shopper, self.enrolment) if part is not None)

    def _scanned(self, event) -> None:
        if self.shopper is not None:
            if self.stack.currentWidget() is self.thanks:
                self.reset()  # a new shopper scans while the last one's thank-you shows
            self.shopper.scanned(event)

    def _scan_held(self) -> str | None:
        if self.pin.showing or self.question.showing:
            return self.tr("Answer the question on the screen first, then scan again.")
        return None

    def say(self, text: str) -> None:
        self.speech.announce(text)
        if self.stack.currentWidget() is self.attract:
            self.attract.say(text)
        else:
            in_place = getattr(self.stack.currentWidget(), "locked", None)  # a screen's lock sentence
            if isinstance(in_place, QLabel) and in_place.text() == text:
                return  # said on the screen already, where it stays: not twice
            self.notice.setText(text)
            self._notice_timer.start()
            self._show_strip()

    def _clear_notice(self) -> None:
        self.notice.clear()
        self._show_strip()

    def _show_strip(self) -> None:
        if self.notice.text():
            self.strip.setCurrentWidget(self.notice)
            return
        self.strip.setCurrentWidget(self.banner)  # shows it: hidden again when online
        self.banner.setVisible(bool(self.banner.text()))

    # -- idle -----------------------------------------------------------------------------------

    def _idle(self) -> None:
        if self.pin.showing:  # a PIN pad left open: nobody is there
            self.pin.reset()
            self.pin.close_overlay()
            self.reset()
            return
        self.question.ask("idle", self.tr("Still there?"), self.tr("For your privacy, this screen will clear soon."),
                          [("stay", self.tr("Yes, I'm here"))],
                          countdown_s=self.settings.selfservice.countdown_s, when_done="reset")
        self.corner.raise_()

    def _answered(self, key: str) -> None:
        if key == "reset":
            self.reset()
        elif key == "stay" and self.idle is not None:
            self.idle.arm()

    # -- the staff's way out -------------------------------------------------------------------

    def _staff(self) -> None:
        if self.terminal is None or self.pin.showing:
            return
        self.question.close_overlay()
        self.pin.ask(self.terminal.till)
        self.corner.raise_()
        if self.idle is not None:
            self.idle.arm()  # a PIN pad left open closes after idle_s

    def _ask_unlock(self, entry: str) -> None:
        """Staff: unlock was tapped: the same in-window PIN pad as the exit, for lifting `entry`."""
        if self.terminal is None or self.shopper is None or self.pin.showing:
            return
        self.question.close_overlay()
        self.pin.ask(self.terminal.till, entry,
                     self.tr("Staff only: a manager's id and PIN let codes be typed here again."),
                     self.tr("Only a manager can lift the pause on codes."))
        self.corner.raise_()
        if self.idle is not None:
            self.idle.arm()

    def _pin_passed(self, operator) -> None:
        if self.pin.purpose == EXIT:
            self.leave(EXIT_OK)
        elif self.shopper is not None:
            # Audited by the core with the manager's id (Lockouts.lift); the screens hear `lifted`.
            self.shopper.lift_lock(self.pin.purpose, operator.id)

    def _pin_cancelled(self) -> None:
        if self.idle is not None and self.stack.currentWidget() in (self.attract, self.thanks):
            self.idle.disarm()

    def leave(self, status: int) -> None:
        """Staff closed the kiosk: the session ends with `status` (ui/selfservice/session.py)."""
        self._leaving = True
        self.exit_requested.emit(status)

    def close_for_good(self) -> None:
        """The session is over: scans, filters and the visit go, then the window."""
        self._leaving = True
        if self.shopper is not None:
            self.shopper.end()
        if self._release is not None:
            self._release()
        if self.scans is not None:
            self.scans.close()
        if self.idle is not None:
            self.idle.close()
        self.speech.close()
        self.wedge.remove()
        self.lockdown.remove()
        self.enter_keys.remove()
        self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # A window manager's close (Alt+F4 under one, a close button) does nothing to a kiosk.
        if self._leaving:
            event.accept()
        else:
            event.ignore()


