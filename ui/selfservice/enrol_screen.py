"""Joining at the kiosk, in three steps: first name and an email or phone (on the on-screen
keyboard), then marketing consent on a step of its own, unticked until the shopper ticks it,
then the outcome: welcome, or "your card will work on your next visit" when the enrolment
was queued to be sent later (Enrolment, kiosk/app/enrolment.py).

The consent stored is the wording shown on the box, word for word, with the time it was given.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from ui.common.contact import EMAIL, phone_ok
from kiosk.selfservice import privacy
from ui.common import theme
from ui.selfservice import kit
from ui.selfservice.keys import Keyboard

DETAILS, CONSENT, OUTCOME = range(3)


class TickLabel(QLabel):
    """A check box's words beside it: a touch on them toggles the box, as on the box's own text."""

    def __init__(self, box: QCheckBox, parent: QWidget | None = None):
        super().__init__(parent)
        self.box = box

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.rect().contains(event.position().toPoint()) and self.box.isEnabled():
            self.box.toggle()
        super().mouseReleaseEvent(event)


class EnrolScreen(QWidget):
    go = Signal(str)

    def __init__(self, shopper, enrolment=None, settings=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.shopper = shopper
        self.enrolment = enrolment
        self.member_id: str | None = None
        self.setAccessibleName(self.tr("Join"))
        self.steps = QStackedWidget(self)
        self.steps.addWidget(self._details_step())
        self.steps.addWidget(self._consent_step())
        self.steps.addWidget(self._outcome_step())
        layout = QVBoxLayout(self)
        layout.addWidget(self.steps)
        if enrolment is not None:
            enrolment.done.connect(self._done)
        self.clear()

    # Step 1: who
    def _details_step(self) -> QWidget:
        page = QWidget(self)
        title = kit.text(page, self.tr("Title"), theme.KIOSK_TITLE_PX, bold=True)
        title.setText(self.tr("Join: your first name and an email or phone"))
        self.first_name = kit.field(page, self.tr("First name"), self.tr("First name"))
        self.contact = kit.field(page, self.tr("Email or phone number"), self.tr("Email or phone number"))
        self.problem = kit.text(page, self.tr("Problem"))
        self.problem.setStyleSheet(f"font-size: {kit.body_px()}px;")
        self.problem.setProperty("tone", "error")
        self.keyboard = Keyboard(page, accents=True)
        for edit in (self.first_name, self.contact):
            edit.installEventFilter(self)  # the keyboard types into whichever field was touched
        self.first_name.returnPressed.connect(lambda: self.keyboard.attach(self.contact))
        self.contact.returnPressed.connect(self.next_step)
        self.cancel = kit.target(page, self.tr("Cancel"), self.tr("Cancel joining"), lambda: self.go.emit("attract"))
        self.next = kit.target(page, self.tr("Next"), self.tr("Next step"), self.next_step)
        self.cancel.setAccessibleDescription(self.tr("Stops joining and goes back to the start"))
        self.next.setAccessibleDescription(self.tr("Checks your name and contact, then asks about offers"))
        layout = QVBoxLayout(page)
        layout.setSpacing(theme.KIOSK_GAP_PX)
        fields = QHBoxLayout()  # side by side, so that the step fits 1366x768 with its keyboard
        fields.setSpacing(theme.KIOSK_GAP_PX)
        fields.addWidget(self.first_name, 2)
        fields.addWidget(self.contact, 3)
        layout.addWidget(title)
        layout.addLayout(fields)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(self.keyboard)
        layout.addLayout(_row(self.cancel, self.next))
        return page

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # A touch as well as the focus: a window that is not active gets no focus events.
        if event.type() in (QEvent.FocusIn, QEvent.MouseButtonPress) and watched in (self.first_name, self.contact):
            self.keyboard.field = watched
        return False

    def problems(self) -> list[str]:
        name, contact = self.first_name.text().strip(), self.contact.text().strip()
        found = []
        if not name:
            found.append(self.tr("Type your first name."))
        if not contact:
            found.append(self.tr("Type an email address or a phone number."))
        elif "@" in contact and not EMAIL.fullmatch(contact):
            found.append(self.tr("That email address doesn't look right (name@example.com)."))
        elif "@" not in contact and not phone_ok(contact):
            found.append(self.tr("A phone number has 7 to 15 digits."))
        return found

    def next_step(self) -> None:
        wrong = self.problems()
        self.problem.setText(" ".join(wrong))
        if not wrong:
            self.join.setEnabled(True)  # details changed after a refusal: they may be sent again
            contact = self.contact.text().strip()
            shown = privacy.mask_email(contact) if "@" in contact else privacy.mask_phone(contact)
            self.where.setText(self.tr("Offers would go to {0}.").format(shown))  # masked: others may be looking
            self.steps.setCurrentIndex(CONSENT)

    def back_step(self) -> None:
        self.steps.setCurrentIndex(DETAILS)

    # Step 2: consent, on its own
    def _consent_step(self) -> QWidget:
        page = QWidget(self)
        title = kit.text(page, self.tr("Title"), theme.KIOSK_TITLE_PX, bold=True)
        title.setText(self.tr("Offers by email or text?"))
        hint = kit.text(page, self.tr("Your choice"))
        hint.setText(self.tr("You can join without this. Tick the box only if you want offers."))
        self.where = kit.text(page, self.tr("Where offers would go"))
        # The box and its words apart, the words wrapped: a QCheckBox's own text never wraps, and
        # this sentence is wider than the screen at 200 %. Touching the words ticks the box too.
        wording = self.tr("Yes, send me offers and news from this store by email or text. I can stop them at any time.")
        self.consent = QCheckBox(page)
        self.consent.setAccessibleName(self.tr("Marketing consent"))
        self.consent.setAccessibleDescription(wording)
        self.consent.setMinimumSize(theme.KIOSK_TARGET_PX, theme.KIOSK_TARGET_PX)
        self.consent.setStyleSheet("QCheckBox::indicator { width: 40px; height: 40px; }")
        self.consent_words = TickLabel(self.consent, page)
        self.consent_words.setText(wording)
        self.consent_words.setWordWrap(True)
        self.consent_words.setStyleSheet(f"font-size: {kit.body_px()}px;")
        self.consent_words.setMinimumHeight(theme.KIOSK_TARGET_PX)
        consent = QHBoxLayout()
        consent.setSpacing(theme.KIOSK_GAP_PX)
        consent.addWidget(self.consent)
        consent.addWidget(self.consent_words, 1)
        self.back = kit.target(page, self.tr("Back"), self.tr("Back to your details"), self.back_step)
        self.join = kit.target(page, self.tr("Join"), self.tr("Join"), self.submit)
        self.back.setAccessibleDescription(self.tr("Goes back to your name and contact"))
        self.join.setAccessibleDescription(self.tr("Makes you a member, with your choice about offers"))
        layout = QVBoxLayout(page)
        layout.setSpacing(theme.KIOSK_GAP_PX)
        for w in (title, hint, self.where):
            layout.addWidget(w)
        layout.addLayout(consent)
        layout.addStretch(1)
        layout.addLayout(_row(self.back, self.join))
        return page

    def new_member(self):
        from kiosk.loyalty.models import NewMember

        contact = self.contact.text().strip()
        email = contact if "@" in contact else None
        return NewMember(email=email, phone=None if email else contact,
                         first_name=self.first_name.text().strip(), opted_in=self.consent.isChecked())

    def consent_record(self, now: datetime | None = None):
        from kiosk.app.enrolment import Consent

        return Consent(marketing=self.consent.isChecked(), wording=self.consent_words.text(),
                       given_at=now or datetime.now(timezone.utc))

    def submit(self) -> None:
        if not self.join.isEnabled() or self.problems():
            return
        self.join.setEnabled(False)  # a double tap sends one
        self.enrolment.submit(self.new_member(), self.consent_record())

    # Step 3: the outcome
    def _outcome_step(self) -> QWidget:
        page = QWidget(self)
        self.outcome = kit.text(page, self.tr("Welcome"), theme.KIOSK_TITLE_PX, bold=True)
        self.outcome_detail = kit.text(page, self.tr("What happens next"))
        self.see_points = kit.target(page, self.tr("See my points"), self.tr("See my points"), self._see_points)
        self.done = kit.target(page, self.tr("Done"), self.tr("Done"), lambda: self.go.emit("thanks"))
        self.see_points.setAccessibleDescription(self.tr("Shows your points and rewards"))
        self.done.setAccessibleDescription(self.tr("Ends your visit"))
        layout = QVBoxLayout(page)
        layout.setSpacing(theme.KIOSK_GAP_PX)
        layout.addWidget(self.outcome)
        layout.addWidget(self.outcome_detail)
        layout.addStretch(1)
        layout.addLayout(_row(self.see_points, self.done))
        return page

    def _done(self, outcome) -> None:
        name = outcome.first_name or ""
        for edit in (self.first_name, self.contact):
            kit.forget(edit)  # what was typed is sent: it leaves the screen
        if outcome.queued:
            self.member_id = None
            self.outcome.setText(self.tr("Thank you, {0}: you're signed up.").format(name))
            self.outcome_detail.setText(self.tr("Your card will work on your next visit."))
        else:
            self.member_id = outcome.member_id
            self.outcome.setText(self.tr("Welcome, {0}!").format(name))
            self.outcome_detail.setText(self.tr("You're a member now, and you earn points from today."))
        self.see_points.setVisible(self.member_id is not None)
        self.steps.setCurrentIndex(OUTCOME)
        self.go.emit("enrol")

    def _see_points(self) -> None:
        if self.member_id is not None:
            self.shopper.look_up(self.member_id)  # the member screen comes up when it is shown

    def shown(self) -> None:
        if self.steps.currentIndex() == DETAILS:
            self.keyboard.attach(self.first_name)

    def take_over(self, old: "EnrolScreen") -> None:
        """Go on where `old` (the same screen in the language before) was, typing included."""
        self.first_name.setText(old.first_name.text())
        self.contact.setText(old.contact.text())
        self.consent.setChecked(old.consent.isChecked())
        if old.problem.text():
            self.problem.setText(" ".join(self.problems()))
        step = old.steps.currentIndex()
        if step == CONSENT:
            self.next_step()
        elif step == OUTCOME and self.enrolment is not None and self.enrolment.outcome is not None:
            self._done(self.enrolment.outcome)
        self.join.setEnabled(old.join.isEnabled())
        self.keyboard.field = self.contact if old.keyboard.field is old.contact else self.first_name

    def clear(self) -> None:
        for edit in (self.first_name, self.contact):
            kit.forget(edit)
        self.consent.setChecked(False)
        self.problem.setText("")
        self.where.setText("")
        self.outcome.setText("")
        self.outcome_detail.setText("")
        self.member_id = None
        self.join.setEnabled(True)
        self.keyboard.reset()
        self.keyboard.field = self.first_name
        self.steps.setCurrentIndex(DETAILS)


def _row(left: QWidget, right: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(theme.KIOSK_GAP_PX)
    row.addWidget(left)
    row.addStretch(1)
    row.addWidget(right)
    return row
