"""A shift's worth of sales through the window: nothing it makes is left behind."""

from __future__ import annotations

import gc

import pytest
import shiboken6
from PySide6.QtCore import QMetaObject, Qt
from PySide6.QtWidgets import QApplication

from tests.test_ui_cashier import add_coffee, early_window, screen, sign_in  # noqa: F401 (the fixtures)
from tests.ui_env import qloop  # noqa: F401 (the fixture)

WARM_UP, SALES = 30, 300


def _counts() -> dict:
    gc.collect()
    objects = gc.get_objects()
    return {"python": len(objects), "connections": sum(isinstance(o, QMetaObject.Connection) for o in objects),
            "qt wrappers": len(shiboken6.getAllValidWrappers()), "widgets": len(QApplication.allWidgets())}


def _sale(qtbot, window) -> None:
    add_coffee(qtbot, window)
    qtbot.mouseClick(window.tender.cash, Qt.LeftButton)
    qtbot.mouseClick(window.tender.pay, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(window.receipts), timeout=15000)
    window.receipts[0].close()
    qtbot.waitUntil(lambda: not window.receipts, timeout=5000)


@pytest.mark.slow
def test_three_hundred_sales_leave_nothing_behind(qtbot, screen):  # noqa: F811
    window = screen
    sign_in(qtbot, window)
    for _ in range(WARM_UP):
        _sale(qtbot, window)
    qtbot.wait(200)
    before = _counts()
    for _ in range(SALES - WARM_UP):
        _sale(qtbot, window)
    qtbot.wait(200)
    after = _counts()
    print("objects before/after", before, after)
    per_sale = {k: (after[k] - before[k]) / (SALES - WARM_UP) for k in before}
    assert per_sale["connections"] <= 0 and per_sale["widgets"] <= 0 and per_sale["qt wrappers"] <= 0.05, per_sale
    assert per_sale["python"] < 5, per_sale  # caches fill and settle; a leak grows with every sale
