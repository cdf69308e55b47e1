"""Every settings field is read by something: the till and the window as they start and sell, or
the command named for it here. (The hand scanner's settings were once read by nothing: a store
set them and nothing changed.)"""

from __future__ import annotations


import pytest
from pydantic import BaseModel
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kiosk import config
from kiosk.scanner.events import Scanned
from kiosk.scanner.payload import MemberRef, ProductRef
from tests.ui_env import qloop, run  # noqa: F401 (the fixture)

# What only a command, a printer or a later step reads; each with who reads it.
READ_ELSEWHERE = {
    "screen.language": "ui/app.py before the first frame (kiosk.settings_files.value), as the window's words are made",
    "screen.theme": "ui/app.py before the first frame (kiosk.settings_files.value), as the style sheet is applied",
    "schema_version": "config.load_settings (the file's migrations)",
    "backend.url": "kiosk.connect.connect for live (the demo and training ignore it)",
    "backend.site_id": "kiosk.connect.connect for live",
    "backend.site_name": "kiosk.connect.connect for live",
    "backend.token_lifetime_s": "kiosk.connect.connect for live",
    "backend.reads": "kiosk.connect.connect for live (the embedded sandbox declares its own)",
    "backend.deduplicates": "kiosk.connect.connect for live",
    "backend.features": "kiosk.connect.connect for live",
    "backend.partner_id": "kiosk.loyalty.loyaltyprime.connect for a Loyalty Prime live site",
    "backend.debitor_id": "kiosk.loyalty.loyaltyprime.connect for a Loyalty Prime live site",
    "backend.channel_key": "kiosk.loyalty.loyaltyprime.connect for a Loyalty Prime live site",
    "backend.product_keys": "kiosk.loyalty.loyaltyprime.connect (Loyalty Prime's productKey per sku or category)",
    "backend.default_product_key": "kiosk.loyalty.loyaltyprime.connect (Loyalty Prime's productKey otherwise)",
    "decode.max_megapixels": "kiosk decode",
    "decode.max_file_mb": "kiosk decode",
    "log.level": "ui.app and kiosk.cli, before a till exists",
    "printer.host": "kiosk.checkout.printing when a receipt prints (printer.kind network)",
    "printer.port": "kiosk.checkout.printing (network)",
    "printer.usb_vendor": "kiosk.checkout.printing (usb)",
    "printer.usb_product": "kiosk.checkout.printing (usb)",
    "printer.path": "kiosk.checkout.printing (file)",
    "printer.timeout_s": "kiosk.checkout.printing when a receipt prints",
    "scanner.decoder": "the camera pipeline, when the camera starts (F5)",
    "scanner.symbologies": "the camera pipeline, when the camera starts",
    "scanner.agree_frames": "the camera pipeline",
    "scanner.agree_frames_2d": "the camera pipeline",
    "scanner.debounce_s": "the camera pipeline",
    "scanner.frame_budget_ms": "the camera pipeline",
    "scanner.max_fps": "the camera pipeline",
    "scanner.idle_fps": "the camera pipeline",
    "scanner.rest_after_scan_ms": "the camera pipeline",
    "scanner.serial_baudrate": "kiosk.scanner.service.serial_scanner, when serial_port is set",
    "outbox.auth_retry_s": "the outbox engine, when the backend refused the credentials",
    "outbox.backoff_base_s": "the outbox engine, after a failed attempt",
    "outbox.backoff_cap_s": "the outbox engine, after a failed attempt",
    "outbox.resume_jitter_s": "the outbox engine, when the backend is back",
    "telemetry.endpoint": "kiosk.fleet.telemetry.start, when telemetry.enabled (tests/test_fleet_export.py)",
    "telemetry.interval_s": "kiosk.fleet.telemetry.start, when telemetry.enabled",
    "telemetry.chain": "kiosk.fleet.identity, when telemetry.enabled",
    "mode": "ui.app, which opens the self-service kiosk instead of the cashier window",
    "selfservice.idle_s": "the kiosk window's idle watch (ui/selfservice/idle.py; tests/test_ui_selfservice_window.py)",
    "selfservice.countdown_s": "the kiosk window's \"Still there?\" countdown",
    "selfservice.thanks_s": "the kiosk window's thank-you screen",
    "selfservice.pass_minutes": "kiosk.app.shopper, when a shopper takes a reward QR",
    "selfservice.pass_key_file": "kiosk.selfservice.keys, when a reward QR is made or scanned",
    "selfservice.max_guesses": "kiosk.selfservice.lockout, at the kiosk's card check",
    "selfservice.guess_window_s": "kiosk.selfservice.lockout",
    "selfservice.lock_minutes": "kiosk.selfservice.lockout",
    "selfservice.lookup_by_contact": "the kiosk window (its Find me by email button; tests/test_ui_selfservice_email.py)",
    "selfservice.code_minutes": "kiosk.selfservice.codes, when the kiosk issues a one-time code",
    "selfservice.mail.host": "kiosk.selfservice.mail, when a one-time code is mailed (tests/test_selfservice_email.py)",
    "selfservice.mail.port": "kiosk.selfservice.mail",
    "selfservice.mail.security": "kiosk.selfservice.mail",
    "selfservice.mail.username": "kiosk.selfservice.mail",
    "selfservice.mail.password_file": "kiosk.selfservice.mail",
    "selfservice.mail.sender": "kiosk.selfservice.mail",
    "selfservice.mail.timeout_s": "kiosk.selfservice.mail",
}


def fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            out |= fields(kind, f"{prefix}{name}.")
        else:
            out.add(prefix + name)
    return out


def recording(model: BaseModel, reads: set[str], prefix: str = "") -> BaseModel:
    """`model` (and its sections) noting each field read in `reads`."""
    cls = type(model)
    names = set(cls.model_fields)

    class Recording(cls):  # type: ignore[misc, valid-type]
        def __getattribute__(self, name):
            if name in names:
                reads.add(prefix + name)
            return super().__getattribute__(name)

    Recording.__name__ = Recording.__qualname__ = cls.__name__
    for name in names:
        value = model.__dict__[name]
        if isinstance(value, BaseModel):
            recording(value, reads, f"{prefix}{name}.")
    model.__class__ = Recording
    return model


def test_the_recorder_sees_a_read_and_not_a_dump():
    reads: set[str] = set()
    settings = recording(config.Settings(), reads)
    settings.model_dump()
    assert reads == set()
    assert settings.store.terminal_id == "T01"
    assert reads == {"store", "store.terminal_id"}


def test_every_settings_field_is_read_by_the_till_and_the_window_or_named_with_its_reader(
        qtbot, qloop, tmp_path, monkeypatch):  # noqa: F811
    import qasync

    from kiosk.ops import environments
    from kiosk.app import terminal as lifecycle
    from ui.common.bridge import HubBridge
    from ui.cashier.window import CashierWindow
    from ui.common.tasks import Tasks

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    reads: set[str] = set()
    settings = recording(environments.apply(config.Settings(outbox={"probe_interval_s": 0.3})), reads)
    executor = qasync.QThreadExecutor(2)
    qloop.set_default_executor(executor)
    tasks = Tasks()
    window = CashierWindow(None, tasks)
    window.show()
    terminal = run(qtbot, qloop, lifecycle.start(settings, window.hub), timeout_ms=60000)
    bridge = HubBridge(window.hub)
    try:
        window.attach(terminal, bridge)
        qtbot.keyClicks(window.sign_in.operator, "C01")
        qtbot.keyClicks(window.sign_in.pin, "1111")
        qtbot.mouseClick(window.sign_in.go, Qt.LeftButton)
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.work, timeout=10000)
        window.hub.publish(Scanned(ProductRef("2004242000017"), None, "camera"))
        qtbot.waitUntil(lambda: bool(window.sale.session.cart.lines), timeout=5000)
        window.hub.publish(Scanned(MemberRef("id", "M100003"), None, "camera"))
        qtbot.waitUntil(lambda: window.sale.session.member is not None, timeout=5000)
        qtbot.mouseClick(window.tender.cash, Qt.LeftButton)
        qtbot.mouseClick(window.tender.pay, Qt.LeftButton)
        qtbot.waitUntil(lambda: bool(window.receipts), timeout=15000)
        qtbot.wait(1000)  # a probe or two of the idle backend
    finally:
        window.close()
        for dialog in window.receipts:
            dialog.close()
        run(qtbot, qloop, tasks.cancel_all())
        bridge.close()
        run(qtbot, qloop, terminal.stop())
        executor.shutdown(wait=True)
        qloop.set_default_executor(None)
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == []
    every = fields(config.Settings)
    assert set(READ_ELSEWHERE) <= every, set(READ_ELSEWHERE) - every  # no stale entries
    unread = every - reads - set(READ_ELSEWHERE)
    assert unread == set(), f"settings nothing reads: {sorted(unread)}"
    # The list names only what this run does not read: one read here comes off it.
    assert set(READ_ELSEWHERE) & reads == set(), sorted(set(READ_ELSEWHERE) & reads)


def test_the_commands_named_above_read_their_settings(tmp_path, monkeypatch):
    from kiosk import cli, connect
    from kiosk.checkout import printing
    import cv2

    from tests.scanner_images import render

    reads: set[str] = set()
    settings = recording(config.Settings(backend={"url": "http://127.0.0.1:9/api/3.0/", "site_id": "900100",
                                                  "site_name": "store"},
                                         printer={"kind": "network", "host": "127.0.0.1", "port": 9,
                                                  "timeout_s": 0.5}), reads)
    monkeypatch.setattr(config, "load_settings", lambda *a, **k: settings)
    monkeypatch.setenv("KIOSK_API_SECRET", "s")
    image = tmp_path / "code.png"
    cv2.imwrite(str(image), render("QRCode", "M100001"))
    assert cli.main(["decode", str(image)]) == 0
    assert {"decode.max_megapixels", "decode.max_file_mb", "log.level"} <= reads
    conn = connect.connect(settings)
    import asyncio

    asyncio.run(conn.aclose())
    assert {"backend.url", "backend.site_id", "backend.site_name", "backend.token_lifetime_s", "backend.reads",
            "backend.deduplicates", "backend.features"} <= reads
    with pytest.raises(printing.PrinterError):
        printing.print_member_card("M100001", "Ana", "Store", settings.printer)
    assert {"printer.host", "printer.port", "printer.timeout_s"} <= reads
