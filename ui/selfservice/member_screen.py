"""The shopper's own account on the kiosk: greeting, points, tier, the way to the next tier,
points about to expire, and every reward with its cost and why it is or isn't available.

A shared screen shows the first name only (Shopper.greeting): no member id, card number,
contact or history. Each available reward has a "Get this reward" button; the pass it makes
is the pass screen's to show.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QProgressBar, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from kiosk import formats
from kiosk.app.shopper import PASS, RewardChoice
from kiosk.loyalty.models import MemberView
from ui.common import theme
from ui.selfservice import kit


WORDS_EM = 9  # the room a reward's words need beside its button, in the body's font size (~18 characters)


class RewardRow(QFrame):
    def __init__(self, choice: RewardChoice, on_choose, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.StyledPanel)
        reward = choice.reward
        self.reward_id = reward.reward_id
        self.setAccessibleName(self.tr("Reward {0}").format(reward.name))
        self.title = kit.text(self, self.tr("Reward"), bold=True)
        self.title.setText(reward.description or reward.name)
        self.cost = kit.text(self, self.tr("Cost"))
        self.cost.setText(self.tr("{0} points").format(formats.points(choice.cost)))
        self.state = kit.text(self, self.tr("Available"))
        if choice.available:
            self.state.setText(self.tr("You have enough points for this."))
            tone = "available"
        else:
            self.state.setText(self.tr("Not available: {0}.").format(choice.reason or self.tr("not now")))
            tone = "unavailable"
        self.state.setStyleSheet(f"font-size: {kit.body_px()}px;")
        self.state.setProperty("tone", tone)  # the colour: resources/design/theme.qss
        words = QVBoxLayout()
        words.setSpacing(2)
        for label in (self.title, self.cost, self.state):
            words.addWidget(label)
        self.row = row = QBoxLayout(QBoxLayout.LeftToRight, self)
        row.setSpacing(theme.KIOSK_GAP_PX)
        row.addLayout(words, 1)
        self.get = None
        if choice.available:
            self.get = kit.target(self, self.tr("Get this reward"), self.tr("Get reward {0}").format(reward.name),
                                  lambda: on_choose(reward.reward_id))
            self.get.setAccessibleDescription(self.tr("Shows this reward's pass to scan at the till"))
            row.addWidget(self.get)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # The button under the words when both don't fit side by side: at 200 % a longer
        # language's button ("Obtener esta recompensa") left the words a column of broken syllables.
        if self.get is not None:
            words_px = kit.body_px() * WORDS_EM
            narrow = event.size().width() < self.get.sizeHint().width() + words_px + theme.KIOSK_GAP_PX * 3
            direction = QBoxLayout.TopToBottom if narrow else QBoxLayout.LeftToRight
            if self.row.direction() != direction:
                self.row.setDirection(direction)
        super().resizeEvent(event)


class MemberScreen(QWidget):
    go = Signal(str)

    def __init__(self, shopper, enrolment=None, settings=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.shopper = shopper
        self.tiers = settings.loyalty.tiers if settings is not None else {}
        self.view: MemberView | None = None
        self.rows: list[RewardRow] = []
        self.setAccessibleName(self.tr("Your account"))
        self.greeting = kit.text(self, self.tr("Greeting"), theme.KIOSK_TITLE_PX, bold=True)
        self.points = kit.text(self, self.tr("Points"), theme.KIOSK_FIGURE_PX, bold=True)
        self.points.setStyleSheet(f"font-size: {theme.KIOSK_FIGURE_PX}px; font-weight: bold;")
        self.points.setProperty("tone", "accent")
        # One line, whatever the column's share: "640 / points" over two lines reads as two things.
        self.points.setWordWrap(False)
        self.points.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self.tier = kit.text(self, self.tr("Tier"))
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName(self.tr("Progress to the next tier"))
        self.progress.setAccessibleDescription(self.tr("How far you are from the next tier"))
        self.progress.setMinimumHeight(theme.KIOSK_TARGET_PX // 2)
        self.progress.setStyleSheet(kit.body_style())
        self.expiry = kit.text(self, self.tr("Points expiring"))
        self.note = kit.text(self, self.tr("Note"))
        self.rewards_title = kit.text(self, self.tr("Rewards"), bold=True)
        self.rewards_title.setText(self.tr("Your rewards"))

        # Rewards scroll in their own box: a member with many never pushes the buttons away.
        self._holder = QWidget()
        self.rewards_box = QVBoxLayout(self._holder)
        self.rewards_box.setSpacing(theme.KIOSK_GAP_PX)
        self.rewards_box.addStretch(1)
        self.rewards_area = QScrollArea(self)
        self.rewards_area.setWidgetResizable(True)
        self.rewards_area.setFrameShape(QFrame.NoFrame)
        self.rewards_area.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.rewards_area.setWidget(self._holder)
        self.rewards_area.setAccessibleName(self.tr("Rewards"))

        self.card = kit.target(self, self.tr("Check a gift card"), self.tr("Check a gift card"),
                               lambda: self.go.emit("card"))
        self.finish = kit.target(self, self.tr("Finish"), self.tr("Finish"), lambda: self.go.emit("thanks"))
        self.card.setAccessibleDescription(self.tr("See what is left on a gift card"))
        self.finish.setAccessibleDescription(self.tr("Ends your visit"))
        buttons = QHBoxLayout()
        buttons.setSpacing(theme.KIOSK_GAP_PX)
        buttons.addWidget(self.card)
        buttons.addStretch(1)
        buttons.addWidget(self.finish)

        summary = QVBoxLayout()
        summary.setSpacing(theme.KIOSK_GAP_PX)
        for w in (self.points, self.tier, self.progress, self.expiry, self.note):
            summary.addWidget(w)
        summary.addStretch(1)
        rewards = QVBoxLayout()
        rewards.setSpacing(theme.KIOSK_GAP_PX)
        rewards.addWidget(self.rewards_title)
        rewards.addWidget(self.rewards_area, 1)
        # The account beside the rewards on a landscape screen, above them on a portrait one:
        # stacked on a landscape screen at 200 % the account took the height and left room
        # for less than one reward. The greeting spans both, so it stays on one line.
        self.body = QBoxLayout(QBoxLayout.TopToBottom)
        self.body.setSpacing(theme.KIOSK_GAP_PX * 3)
        self.body.addLayout(summary)
        self.body.addLayout(rewards, 1)
        layout = QVBoxLayout(self)
        layout.setSpacing(theme.KIOSK_GAP_PX)
        layout.addWidget(self.greeting)
        layout.addLayout(self.body, 1)
        layout.addLayout(buttons)
        shopper.shown.connect(self._shown)
        self.clear()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        wide = event.size().width() >= event.size().height()
        direction = QBoxLayout.LeftToRight if wide else QBoxLayout.TopToBottom
        if self.body.direction() != direction:
            self.body.setDirection(direction)
            self.body.setStretch(0, 2 if wide else 0)
            self.body.setStretch(1, 3 if wide else 1)
        super().resizeEvent(event)

    def _shown(self, view: MemberView) -> None:
        self.show_member(view)
        self.go.emit("member")

    def show_member(self, view: MemberView) -> None:
        self._drop_rows()
        self.view = view
        self.greeting.setText(self.shopper.greeting)
        points = view.points
        if "member" in view.missing or points is None:
            self.points.setText("")
            self.tier.setText("")
            self.progress.hide()
            self.expiry.setText("")
            self.note.setText(self.tr("Your points and rewards can't be shown right now. Points from today's "
                                      "shopping are added as usual."))
        else:
            self.note.setText("")
            self.points.setText(self.tr("{0} points").format(formats.points(points.available)))
            self.tier.setText(self.tr("{0} member").format(points.tier) if points.tier else "")
            self._progress(points)
            self._expiry(points)
        for choice in self.shopper.rewards():
            row = RewardRow(choice, self.choose, self._holder)
            self.rewards_box.insertWidget(self.rewards_box.count() - 1, row)
            self.rows.append(row)
        if not self.rows:
            self.note.setText(self.note.text() or self.tr("No rewards to show yet: they come with points."))

    def _progress(self, points) -> None:
        span = points.tier_progress(self.tiers) if points.points_to_next_tier else None
        self.progress.show()
        if span is None and points.points_to_next_tier:
            self.progress.setRange(0, 0)
        if span is not None:
            done, total = span
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress.setFormat(self.tr("{0} points to {1}").format(
                formats.points(points.points_to_next_tier), points.next_tier or self.tr("the next tier")))
        elif not points.points_to_next_tier:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.progress.setFormat(self.tr("Top tier"))

    def _expiry(self, points) -> None:
        if points.points_to_expire and points.expire_date:
            self.expiry.setText(self.tr("{0} points expire on {1}: use them before then.").format(
                formats.points(points.points_to_expire), formats.day(points.expire_date)))
        elif points.points_to_expire:
            self.expiry.setText(self.tr("{0} points expire soon.").format(formats.points(points.points_to_expire)))
        else:
            self.expiry.setText(self.tr("No points expire soon."))

    def choose(self, reward_id: str) -> None:
        """A pass for that reward (Shopper.choose); the pass screen shows it when it is made."""
        self._enable(False)  # one pass per tap: a double tap makes no second one
        self.shopper.choose(reward_id)
        if not self.shopper.work.running(PASS):  # refused at once (its sentence is on the notice strip)
            self._enable(True)

    def _enable(self, on: bool) -> None:
        for row in self.rows:
            if row.get is not None:
                row.get.setEnabled(on)

    def shown(self) -> None:
        self._enable(True)

    def take_over(self, old: "MemberScreen") -> None:
        """Show what `old` (the same screen in the language before) showed."""
        if old.view is not None:
            self.show_member(old.view)

    def _drop_rows(self) -> None:
        for row in self.rows:
            self.rewards_box.removeWidget(row)
            row.deleteLater()
        self.rows = []

    def clear(self) -> None:
        """Nothing of the member stays: labels empty, rewards gone, the view dropped."""
        self._drop_rows()
        self.view = None
        for label in (self.greeting, self.points, self.tier, self.expiry, self.note):
            label.setText("")
        self.progress.reset()
        self.progress.setFormat("")
        self.progress.hide()
