"""The real `kiosk` window, maximised on an offscreen screen of a given size, checked for
what a cashier would see cut off (tests/test_ui_layout.py).

The test starts this with `QT_QPA_PLATFORM=offscreen:configfile=...` (the screen's size)
and, for 200 %, `QT_SCALE_FACTOR=2`. It signs in, rings up a sale with a member, her
rewards and a gift card, shows a notice with its Undo and looks; then pays in cash with
change, closes the receipt and looks again; then prints one JSON line: the screen,
whether the selling screen scrolls, and every problem found:

- `outside`: a visible widget whose rectangle does not lie inside the window (or,
  when the screen scrolls, one that can't be scrolled into view);
- `cut`: a label or button whose text is wider than the room it has, and that does
  not elide it with the whole text in a tooltip.
"""

from __future__ import annotations

import asyncio
import json
import sys

from PySide6.QtCore import QPoint, QRect

from ui.screenshots import until as _until


def _name(widget) -> str:
    return f"{type(widget).__name__}:{widget.accessibleName() or widget.objectName() or ''}"


def _text_problem(widget) -> str | None:
    from PySide6.QtWidgets import QAbstractButton, QLabel

    if isinstance(widget, QLabel):
        text = widget.shown_text() if hasattr(widget, "shown_text") else widget.text()
        if not text or widget.wordWrap() or widget.pixmap() is not None and not widget.pixmap().isNull():
            return None
        room = widget.contentsRect().width() - 2 * widget.margin() - widget.indent() if widget.indent() > 0 \
            else widget.contentsRect().width() - 2 * widget.margin()
    elif isinstance(widget, QAbstractButton):
        text = widget.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
        if not text:
            return None
        room = widget.contentsRect().width() - 12  # the style's padding either side
    else:
        return None
    need = max(widget.fontMetrics().horizontalAdvance(line) for line in text.split("\n"))
    if need <= room:
        return None
    if widget.toolTip() and "…" in text:
        return None  # elided on purpose, the whole text a hover away
    return f"{text!r} needs {need} px, has {room}"


CONTROLS = ("QAbstractButton", "QLineEdit", "QAbstractSpinBox", "QComboBox", "QLabel", "QProgressBar",
            "QAbstractItemView")


def _controls(window):
    """The visible controls of `window` itself (not of another window), outside item views."""
    from PySide6.QtWidgets import QWidget

    for widget in window.findChildren(QWidget):
        if widget.isVisible() and QWidget.window(widget) is window and widget.width() \
                and any(widget.inherits(kind) for kind in CONTROLS) and not _inside_item_view(widget):
            yield widget


def _too_wide(widget, outer) -> str | None:
    """Inside a scroll area of its own (the kiosk's rewards) a control can be scrolled to up
    and down, but must be no wider than that area's view. None: not in one, or it fits."""
    inner = _inner_scroll(widget, outer)
    if inner is None or widget.width() <= inner.viewport().width():
        return None
    return f"{_name(widget)} is {widget.width()} px wide in a {inner.viewport().width()} px view"


def check(window) -> dict:
    scroll, content = window.scroll, window.scroll.widget()
    scrolls = scroll.verticalScrollBar().maximum() > 0 or scroll.horizontalScrollBar().maximum() > 0
    viewport = QRect(scroll.viewport().mapTo(window, QPoint(0, 0)), scroll.viewport().size())
    outside, cut = [], []
    for widget in _controls(window):
        if _inner_scroll(widget, scroll) is not None:
            wide = _too_wide(widget, scroll)
            if wide:
                outside.append(wide)
        elif content.isAncestorOf(widget) and scrolls:
            # It can be scrolled to: inside the scrolled page, and no bigger than the view.
            rect = QRect(widget.mapTo(content, QPoint(0, 0)), widget.size())
            if not content.rect().contains(rect) or widget.width() > viewport.width() \
                    or widget.height() > viewport.height():
                outside.append(f"{_name(widget)} at {rect.getRect()} can't be scrolled into a "
                               f"{viewport.width()}x{viewport.height()} view")
        else:
            rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
            limit = viewport if content.isAncestorOf(widget) else window.rect()
            if not limit.contains(rect):
                outside.append(f"{_name(widget)} at {rect.getRect()} not within {limit.getRect()}")
        problem = _text_problem(widget)
        if problem:
            cut.append(f"{_name(widget)}: {problem}")
    return {"scrolls": scrolls, "outside": outside, "cut": cut}


def shown_words(window) -> list[str]:
    """What a person reads on `window` now: labels, buttons, placeholders, titles, headers."""
    from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QLineEdit, QTableWidget

    words = [window.windowTitle()]
    for widget in window.findChildren(QLabel) + window.findChildren(QAbstractButton):
        if widget.isVisible() and widget.text().strip():
            words.extend(widget.text().split("\n"))
    for widget in window.findChildren(QLineEdit):
        if widget.isVisible() and widget.placeholderText():
            words.append(widget.placeholderText())
    for widget in window.findChildren(QGroupBox):
        if widget.isVisible() and widget.title():
            words.append(widget.title())
    for table in window.findChildren(QTableWidget):
        if table.isVisible():
            words.extend(table.horizontalHeaderItem(c).text() for c in range(table.columnCount())
                         if table.horizontalHeaderItem(c) is not None)
    return [w for w in words if w.strip()]


def check_dialog(dialog) -> list[str]:
    """A dialog (a window of its own): on the screen, every control inside it, no text cut."""
    from PySide6.QtGui import QGuiApplication

    found = []
    room = QGuiApplication.primaryScreen().availableGeometry()
    if not room.contains(dialog.frameGeometry()) and not room.contains(dialog.geometry()):
        found.append(f"{_name(dialog)} at {dialog.geometry().getRect()} not on the screen {room.getRect()}")
    for widget in _controls(dialog):
        if _inner_scroll(widget, None) is not None:
            wide = _too_wide(widget, None)
            if wide:
                found.append(wide)
        else:
            rect = QRect(widget.mapTo(dialog, QPoint(0, 0)), widget.size())
            if not dialog.rect().contains(rect):
                found.append(f"{_name(widget)} at {rect.getRect()} not within {dialog.rect().getRect()}")
        problem = _text_problem(widget)
        if problem:
            found.append(f"{_name(widget)}: {problem}")
    return found


def _inner_scroll(widget, outer):
    from PySide6.QtWidgets import QScrollArea

    parent = widget.parentWidget()
    while parent is not None and parent is not outer:
        if isinstance(parent, QScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def _inside_item_view(widget) -> bool:
    from PySide6.QtWidgets import QAbstractItemView

    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractItemView):
            return True
        parent = parent.parentWidget()
    return False


async def _tour(window) -> dict:
    from kiosk.scanner.events import Scanned
    from kiosk.scanner.payload import CodeRef, MemberRef, ProductRef

    def scan(ref) -> None:
        window.hub.publish(Scanned(ref, None, "wedge"))

    await _until(lambda: window.stack.currentWidget() is window.sign_in and window.sign_in.till is not None)
    window.sign_in.operator.setText("C01")
    window.sign_in.pin.setText("1111")
    window.sign_in.go.click()
    await _until(lambda: window.stack.currentWidget() is window.work)
    for gtin in ("2004242000017", "2004242000017", "2004242000116"):
        scan(ProductRef(gtin))
        await asyncio.sleep(0.2)
    scan(MemberRef("id", "M100003"))
    await _until(lambda: window.sale.session.member is not None and bool(window.member.reward_buttons))
    scan(CodeRef("GC-1000-0003"))
    await _until(lambda: window.tender.tenders.count() == 1)
    window.notices.show_notice("Removed House Blend Coffee Beans 250 g.", ("Undo", lambda: None))
    await asyncio.sleep(0.5)
    screen = window.screen().geometry()  # the rectangle now: a QScreen's wrapper may go with a closed dialog
    result = check(window)
    # Paid in cash with change, the receipt shown and closed: the screen must fit as well.
    window.tender.amount.setText("50.00")
    window.tender.cash.click()
    window.tender.pay.click()
    await _until(lambda: bool(window.receipts))
    await asyncio.sleep(0.5)
    dialogs = {"receipt": check_dialog(window.receipts[0])}
    words = shown_words(window) + shown_words(window.receipts[0])
    window.receipts[0].close()
    await asyncio.sleep(0.5)
    after = check(window)
    # Every tool's dialog, one at a time, as the cashier opens it.
    tools = window.tools
    for name, open_it in (("find member", tools.find_member), ("enrol", tools.enrol), ("returns", tools.returns),
                          ("queue", tools.queue), ("allowance", tools.allowance)):
        open_it()
        await _until(lambda: bool(tools.dialogs) and tools.dialogs[-1].isVisible())
        await asyncio.sleep(0.5)
        dialog = tools.dialogs[-1]
        dialogs[name] = check_dialog(dialog)
        words += shown_words(dialog)
        dialog.close()
        await _until(lambda d=dialog: d not in tools.dialogs)
    result = {"scrolls": result["scrolls"] or after["scrolls"], "outside": result["outside"] + after["outside"],
              "cut": result["cut"] + after["cut"], "dialogs": {k: v for k, v in dialogs.items() if v},
              "dialogs_seen": sorted(dialogs), "words": sorted(set(words))}
    result.update(screen=[screen.width(), screen.height()],
                  window=[window.width(), window.height()], maximised=window.isMaximized())
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from kiosk import i18n

    result.update(language=i18n.language(),
                  right_to_left=QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft)
    return result


def main() -> int:
    from ui.app import run_gui

    out: list[dict] = []

    def ready(window, _terminal) -> None:
        def done(task: asyncio.Task) -> None:
            out.append(task.result() if task.exception() is None else {"error": repr(task.exception())})
            window.close()

        task = asyncio.ensure_future(_tour(window))
        task.add_done_callback(done)
        window._fit_task = task

    run_gui(on_ready=ready)
    print("FIT", json.dumps(out[0] if out else {"error": "no result"}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
