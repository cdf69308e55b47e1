"""The member on the sale: who, tier, points, the way to the next tier, rewards to apply."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QProgressBar,
                               QScrollArea, QVBoxLayout, QWidget)

from kiosk import formats
from ui.common.controls import BUTTON_HEIGHT, ElidedLabel, FixedLines, button, describe, takes_typing
from ui.common.notices import keep_place
from ui.common import theme


class MemberPanel(QWidget):
    def __init__(self, sale, parent: QWidget | None = None):
        super().__init__(parent)
        self.sale = sale
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Member card, id, phone or email"))
        self.search.setAccessibleName(self.tr("Find member"))
        self.search.setMinimumHeight(BUTTON_HEIGHT)
        takes_typing(self.search)
        self.search.returnPressed.connect(self._find)
        self.find = button(self, self.tr("Find"), self.tr("Find member"), self._find)
        self.clear = button(self, self.tr("Remove member"), self.tr("Remove member"), lambda: self.sale.remove_member())
        describe(self.find, self.tr("Find member"), self.tr("Looks up the member typed or scanned in the field"))
        describe(self.clear, self.tr("Remove member"), self.tr("Takes the member off this sale"))
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.find)

        self.name, self.tier, self.points, self.value, self.status = (ElidedLabel(self) for _ in range(5))
        self.offline = keep_place(FixedLines(2, self))  # its two lines are kept: nothing below moves
        self.offline.setAccessibleName(self.tr("Member offline"))
        self.progress = QProgressBar(self)
        describe(self.progress, self.tr("Progress to next tier"), self.tr("How far the member is from the next tier"))
        self.progress.setTextVisible(True)
        # Two columns of two, then the status: the member's facts in a few short lines' room.
        details = QGridLayout()
        details.setVerticalSpacing(2)
        for n, (label, name) in enumerate(((self.name, self.tr("Member")), (self.tier, self.tr("Tier")),
                                           (self.points, self.tr("Points")), (self.value, self.tr("Worth")))):
            label.setAccessibleName(name)
            details.addWidget(QLabel(name, self), n // 2, (n % 2) * 2)
            details.addWidget(label, n // 2, (n % 2) * 2 + 1)
        details.setColumnStretch(1, 2)
        details.setColumnStretch(3, 1)
        self.status.setAccessibleName(self.tr("Status"))
        details.addWidget(QLabel(self.tr("Status"), self), 2, 0)
        details.addWidget(self.status, 2, 1, 1, 3)
        details.addWidget(self.progress, 3, 0, 1, 4)

        # The rewards scroll inside their own box: a member with many never pushes
        # the rest of the screen away.
        self.rewards_box = QVBoxLayout()
        self.rewards_box.setContentsMargins(0, 0, 0, 0)
        self.rewards_box.addStretch(1)  # the buttons sit together at the top
        self.reward_buttons: list = []
        self._reward_holder = QWidget()
        self._reward_holder.setLayout(self.rewards_box)
        self.rewards_area = QScrollArea(self)
        self.rewards_area.setWidgetResizable(True)
        self.rewards_area.setFrameShape(QFrame.NoFrame)
        self.rewards_area.setWidget(self._reward_holder)
        self.rewards_area.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.rewards_area.setMinimumHeight(BUTTON_HEIGHT + 8)
        self.rewards_area.setAccessibleName(self.tr("Rewards"))
        self.rewards_area.setFocusPolicy(Qt.NoFocus)
        self.removals = QListWidget(self)
        describe(self.removals, self.tr("Rewards and coupons on the sale"),
                 self.tr("Pick one, then Take off to take it off the sale"))
        self.removals.setMinimumHeight(BUTTON_HEIGHT)
        self.removals.setMaximumHeight(90)
        self.remove_choice = button(self, self.tr("Take off"), self.tr("Take reward or coupon off"), self._take_off)
        self.remove_choice.setAccessibleDescription(self.tr("Takes the picked reward or coupon off the sale"))
        actions = QHBoxLayout()
        actions.addWidget(self.remove_choice)
        actions.addWidget(self.clear)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.offline)
        layout.addLayout(details)
        layout.addWidget(QLabel(self.tr("Rewards"), self))
        layout.addWidget(self.rewards_area, 2)
        layout.addWidget(QLabel(self.tr("On this sale"), self))
        layout.addWidget(self.removals, 1)
        layout.addLayout(actions)
        self.refresh()

    def press_reward(self, n: int) -> None:
        """Alt+n: the n-th reward shown, when it can be applied."""
        if 0 < n <= len(self.reward_buttons) and self.reward_buttons[n - 1].isEnabled():
            self.reward_buttons[n - 1].click()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _find(self) -> None:
        text = self.search.text().strip()
        if text:
            self.sale.find_member(text)
            self.search.clear()

    def refresh(self) -> None:
        session = self.sale.session
        view = session.member
        for b in self.reward_buttons:
            self.rewards_box.removeWidget(b)
            b.deleteLater()
        self.reward_buttons = []
        self.offline.hide()
        self.clear.setEnabled(view is not None and self.sale.cart_open)
        if view is None:
            for label in (self.name, self.tier, self.points, self.value, self.status):
                label.setText("—")
            self.status.setStyleSheet("")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("")  # the last customer's way to the next tier goes with them
        else:
            member, points = view.member, view.points
            self.name.setText(member.display_name if member else view.member_id)
            if "member" in view.missing:
                self.offline.setText(self.tr("Offline: member {0} is on the sale and earns the points when the "
                                             "sale is sent. Points and rewards can't be shown now.")
                                     .format(view.member_id))
                self.offline.show()
            active = member is None or member.active
            self.status.setText(self.tr("Active") if active else self.tr("Inactive: rewards can't be used"))
            self.status.setStyleSheet("" if active else "font-weight: bold;")
            self.status.setProperty("tone", "" if active else "warning")
            theme.repolish(self.status)
            self.tier.setText((points.tier or "—") if points else "—")
            self.points.setText(formats.points(points.available) if points else self.tr("not available"))
            self.value.setText(str(points.currency_value) if points and points.currency_value is not None else "—")
            if points and points.points_to_next_tier:
                # Within the member's tier: from where it began to where the next one starts.
                done, span = points.tier_progress(self.sale.terminal.settings.loyalty.tiers) or (0, 1)
                self.progress.setRange(0, span)
                self.progress.setValue(done)
                self.progress.setFormat(self.tr("{0} points to {1}").format(points.points_to_next_tier,
                                                                           points.next_tier or self.tr("next tier")))
            else:
                self.progress.setRange(0, 1)
                self.progress.setValue(1 if points else 0)
                self.progress.setFormat(self.tr("Top tier") if points else "")
            chosen = {r.reward_id for r in session.rewards}
            spent = sum(r.credit_required for r in session.rewards)
            for reward in view.rewards:
                if reward.discount is None:
                    continue
                why = (self.tr("on this sale") if reward.reward_id in chosen
                       else view.why_not(reward, spent)
                       or (None if self.sale.cart_open else self.tr("back to the cart to apply")))
                text = self.tr("{0}: {1} off\n{2} points").format(reward.name, reward.discount,
                                                                  reward.credit_required)
                if len(self.reward_buttons) < 9:
                    text += f" · Alt+{len(self.reward_buttons) + 1}"
                b = button(self._reward_holder, text if why is None else f"{text}\n{why}",
                           self.tr("Apply reward {0}").format(reward.name),
                           lambda _=False, r=reward: self.sale.select_reward(r))
                b.setAccessibleDescription(why or self.tr("Available: Enter or Space applies it"))
                b.setEnabled(why is None)
                self.rewards_box.insertWidget(self.rewards_box.count() - 1, b)
                self.reward_buttons.append(b)
        # The rewards come right after the member's search in the Tab order, not after
        # everything else on the window (where new buttons would otherwise go).
        chain = [self.find, *self.reward_buttons, self.removals]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)
        self.removals.clear()
        for r in session.rewards:
            self.removals.addItem(self.tr("Reward: {0} (-{1})").format(r.name, formats.money(r.cents)))
        for c in session.coupons:
            off = formats.percent(c.percent) if c.percent is not None else formats.money(c.cents)
            self.removals.addItem(self.tr("Coupon {0}: {1}").format(c.code, self.tr("{0} off").format(off)))
        self.remove_choice.setEnabled(self.removals.count() > 0 and self.sale.cart_open)

    def _take_off(self) -> None:
        row = self.removals.currentRow()
        if row < 0:
            row = 0
        session = self.sale.session
        if row < len(session.rewards):
            self.sale.remove_reward(session.rewards[row].reward_id)
        elif row - len(session.rewards) < len(session.coupons):
            self.sale.remove_coupon(session.coupons[row - len(session.rewards)].code)
