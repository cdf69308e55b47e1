"""The status line: connection, the queue of unsent work, the last sync, the scanner."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from kiosk import formats, i18n
from kiosk.i18n import N_
from ui.common import theme

STATE_NAMES = {"online": N_("Online"), "degraded": N_("Slow connection"), "offline": N_("Offline")}
# A scanner's states (kiosk/scanner/sources.py), as the status line says them.
SCANNER_STATES = {"connecting": N_("connecting"), "connected": N_("connected"), "unavailable": N_("unavailable"),
                  "reconnecting": N_("reconnecting"), "stopped": N_("stopped"), "degraded": N_("degraded")}
# The same tones as the offline banner, so the two read as one message.
STATE_TONES = {"offline": "offline", "degraded": "slow"}


class StatusLine(QStatusBar):
    def __init__(self, parent: QWidget | None = None, clock=time.time):
        super().__init__(parent)
        self.setAccessibleName(self.tr("Status"))
        self._clock = clock
        self.connection = self._label(self.tr("Connection"), self.tr("Starting…"))
        self.queue = self._label(self.tr("Queue"), self.tr("Nothing waiting"))
        self.synced = self._label(self.tr("Last sync"), self.tr("Not synced yet"))
        self.scanner = self._label(self.tr("Scanner"), self.tr("Scanner starting…"))
        self.last_sync: float | None = None

    def _label(self, name: str, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setAccessibleName(name)
        self.addPermanentWidget(label)
        return label

    def set_connectivity(self, state: str, detail: str = "") -> None:
        self.connection.setText(self.tr(STATE_NAMES.get(state, state)))
        tone = STATE_TONES.get(state, "")
        self.connection.setStyleSheet("font-weight: bold; padding: 0 6px;" if tone else "")
        self.connection.setProperty("tone", tone)
        theme.repolish(self.connection)
        self.connection.setToolTip(detail)
        if state == "online":
            self._synced_now()

    def start_failed(self) -> None:
        """The till did not start: nothing is starting any more, and nothing is connected."""
        self.connection.setText(self.tr("Not connected"))
        self.scanner.setText(self.tr("Scanner off"))

    def set_queue(self, event) -> None:
        # Whole clauses, each with its own plural, so that a language can word each one; only
        # the separator between them is glued (and translated too).
        facts = []
        if event.depth == 0:
            facts.append(self.tr("Nothing waiting"))
            self._synced_now()
        elif event.oldest_age_s is None:
            facts.append(i18n.ngettext("{0} waiting", "{0} waiting", event.depth).format(event.depth))
        else:
            facts.append(i18n.ngettext("{0} waiting, oldest {1}", "{0} waiting, oldest {1}", event.depth)
                         .format(event.depth, formats.duration(event.oldest_age_s)))
        if event.dead:
            facts.append(i18n.ngettext("{0} needs attention", "{0} need attention", event.dead).format(event.dead))
        if event.paused:
            facts.append(self.tr("sending paused"))
        self.queue.setText(i18n.pgettext("between facts on the status line", "; ").join(facts))
        self.queue.setToolTip(event.paused or "")

    def hand_scanner_ready(self) -> None:
        self.scanner.setText(self.tr("Hand scanner ready"))

    def set_scanner(self, status) -> None:
        state = SCANNER_STATES.get(status.state)
        text = self.tr("{0}: {1}").format(status.source, self.tr(state) if state else status.state)
        self.scanner.setText(text if not status.detail else self.tr("{0} ({1})").format(text, status.detail))

    def _synced_now(self) -> None:
        self.last_sync = self._clock()
        self.synced.setText(self.tr("Synced {0}").format(formats.clock(self.last_sync)))
