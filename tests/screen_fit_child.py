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


def check(window) -> dict:
    from PySide6.QtWidgets import QWidget

    scroll, content = window.scroll, window.scroll.widget()
    scrolls = scroll.verticalScrollBar().maximum() > 0 or scroll.horizontalScrollBar().maximum() > 0
    viewport = QRect(scroll.viewport().mapTo(window, QPoint(0, 0)), scroll.viewport().size())
    outside, cut = [], []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or QWidget.window(widget) is not window or not widget.width() \
                or not any(widget.inherits(kind) for kind in CONTROLS) or _inside_item_view(widget):
            continue
        if content.isAncestorOf(widget) and scrolls:
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
    screen = window.screen()
    result = check(window)
    # Paid in cash with change, the receipt shown and closed: the screen must fit as well.
    window.tender.amount.setText("50.00")
    window.tender.cash.click()
    window.tender.pay.click()
    await _until(lambda: bool(window.receipts))
    window.receipts[0].close()
    await asyncio.sleep(0.5)
    after = check(window)
    result = {"scrolls": result["scrolls"] or after["scrolls"], "outside": result["outside"] + after["outside"],
              "cut": result["cut"] + after["cut"]}
    result.update(screen=[screen.geometry().width(), screen.geometry().height()],
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
