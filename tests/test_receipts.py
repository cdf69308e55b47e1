"""Receipts: ESC/POS bytes on real (file and loopback network) printers, the PDF, the preview."""

from __future__ import annotations

import os
import re
import socket
import stat
import threading
import time
import zlib
from datetime import datetime, timezone

import pytest

from kiosk.checkout import printing
from kiosk.checkout.printing import PrinterError, barcode_command, print_receipt
from kiosk.checkout.receipt import build
from kiosk.config import PrinterSettings, Settings

SALE_ID = "T01-01KA2B3C4D5E6F7G8H9J0KMNPQ"
SNAPSHOT = {  # the shape PayResult.receipt has (kiosk/checkout/pay.py)
    "sale_id": SALE_ID, "operator_id": "C01", "member_id": "M100003",
    "cart": {"lines": [
        {"name": "Apple juice 1 l", "quantity": 2, "unit_cents": 349, "list_cents": None},
        {"name": "Reading lamp, brushed steel, with a very long name indeed", "quantity": 1, "unit_cents": 2450,
         "list_cents": 2999},
    ]},
    "priced": {"merchandise": 3148, "discounts": [1000, 500], "tax": 135, "total": 1783},
    "rewards": [{"name": "10 off"}], "coupons": [{"code": "SAVE5"}],
    "cards": [{"kind": "giftcard", "code": "GC-1000-0002", "amount": 783, "balance": 2000, "checked": True}],
    "external": [{"kind": "cash", "amount": 1000}], "change": 0,
    "points_awarded": 16, "points_after": 1266, "reward_codes": ["RW-7Q2X"],
}

INIT, BOLD_ON, BOLD_OFF = b"\x1b@", b"\x1bE\x01", b"\x1bE\x00"
FEED_AND_CUT = b"\x1bd\x06\x1dV\x00"  # ESC d 6, GS V 0 (full cut)


@pytest.fixture
def receipt():
    return build(SNAPSHOT, store_id="STORE-001", terminal_id="T01", tax_inclusive=False,
                 at=datetime(2026, 12, 1, 14, 30, tzinfo=timezone.utc))


def code128(data: str) -> bytes:
    payload = b"{B" + data.encode()
    return b"\x1dkI" + bytes([len(payload)]) + payload  # GS k 73 n: Code 128 (function B)


# -- ESC/POS


def test_a_file_printer_gets_init_text_bold_total_barcode_and_cut(receipt, tmp_path):
    out = tmp_path / "lp0"
    print_receipt(receipt, PrinterSettings(kind="file", path=str(out)))
    data = out.read_bytes()

    assert data.startswith(INIT)
    for line in receipt.text(42).splitlines():
        if line.isascii():
            assert line.encode() + b"\n" in data, line
    assert "very …" in receipt.text(42)  # the long name is cut with an ellipsis ...
    assert b"with a very \x1bt\x10\x85\n" in data  # ... which the printer gets in its CP1252 code page
    total = re.search(rb"TOTAL +17\.83\n", data)
    assert total and data[total.start() - 3:total.start()] == BOLD_ON and data[total.end():].startswith(BOLD_OFF)
    assert re.match(rb"\x1b@\x1bE\x01(\x1bt.)?STORE-001\n\x1bE\x00Sale " + SALE_ID.encode(), data)

    barcode = data.index(code128("R:" + SALE_ID))
    assert data.index(b"Keep this receipt for returns.\n") < barcode < data.rindex(FEED_AND_CUT)
    assert b"\x1dH\x02" in data[:barcode]  # its text printed below the bars
    assert data.endswith(FEED_AND_CUT)


def test_the_barcode_fits_the_roll():
    # 32 characters of Code 128 are 407 modules with quiet zones: 1 dot each on 42 columns
    # (504 dots); 2 dots would run off the paper and the printer would print no barcode.
    long = barcode_command("R:" + SALE_ID, 42)
    assert b"\x1dw\x01" in long and long.endswith(code128("R:" + SALE_ID))
    assert b"\x1dw\x03" in barcode_command("R:T01-42", 42)
    assert barcode_command("a{b", 42).endswith(b"\x1dkI\x06{Ba{{b")  # "{" is the command's escape
    with pytest.raises(ValueError):
        barcode_command("Ré", 42)


def test_no_printer_set_up_is_a_sentence(receipt):
    with pytest.raises(PrinterError, match="No receipt printer is set up for this till; save a PDF"):
        print_receipt(receipt, Settings().printer)


def test_a_device_that_is_not_there_is_a_sentence(receipt, tmp_path):
    missing = tmp_path / "gone" / "lp0"
    with pytest.raises(PrinterError) as caught:
        print_receipt(receipt, PrinterSettings(kind="file", path=str(missing)))
    assert str(caught.value) == (f"The receipt printer at {missing} cannot be reached; check it is plugged in "
                                 "and on, or print a PDF.")


def test_a_usb_printer_that_is_not_there_is_a_sentence(receipt):
    with pytest.raises(PrinterError, match="or print a PDF"):
        print_receipt(receipt, PrinterSettings(kind="usb", usb_vendor="0x04B8", usb_product="0e27", timeout_s=1))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_network_printer_that_is_off_is_a_sentence_quickly(receipt):
    port = _closed_port()
    started = time.monotonic()
    with pytest.raises(PrinterError) as caught:
        print_receipt(receipt, PrinterSettings(kind="network", host="127.0.0.1", port=port, timeout_s=0.5))
    assert str(caught.value) == (f"The receipt printer at 127.0.0.1:{port} does not answer; check it is on, "
                                 "or print a PDF.")
    assert time.monotonic() - started < 2


class FakePrinter:
    """A raw-TCP printer on loopback: keeps what it gets, answers the paper status query (DLE EOT 4)."""

    def __init__(self, paper_status: bytes | None):
        self.paper_status, self.received = paper_status, bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(5)
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.settimeout(5)
            while chunk := conn.recv(4096):
                self.received += chunk
                if b"\x10\x04\x04" in chunk and self.paper_status is not None:
                    conn.sendall(self.paper_status)

    def done(self) -> bytes:
        self.thread.join(5)
        self.server.close()
        return bytes(self.received)


@pytest.mark.parametrize("status", [b"\x12", None], ids=["paper", "no-status-answer"])
def test_a_network_printer_prints(receipt, status):
    fake = FakePrinter(status)
    print_receipt(receipt, PrinterSettings(kind="network", host="127.0.0.1", port=fake.port, timeout_s=0.5))
    data = fake.done()
    assert data.startswith(b"\x10\x04\x04" + INIT)  # asked for the paper first
    assert code128("R:" + SALE_ID) in data and data.endswith(FEED_AND_CUT)


def test_a_network_printer_out_of_paper_is_a_sentence_and_prints_nothing(receipt):
    fake = FakePrinter(b"\x72")  # paper end sensor: no paper
    with pytest.raises(PrinterError) as caught:
        print_receipt(receipt, PrinterSettings(kind="network", host="127.0.0.1", port=fake.port, timeout_s=0.5))
    assert str(caught.value) == (f"The receipt printer at 127.0.0.1:{fake.port} is out of paper; put in a new roll, "
                                 "then print again.")
    assert fake.done() == b"\x10\x04\x04"


def test_printer_settings_are_checked():
    assert Settings().printer.kind == "none" and Settings().printer.width == 42
    assert PrinterSettings(usb_vendor="0x04B8").usb_vendor == "04b8"
    with pytest.raises(ValueError):
        PrinterSettings(usb_vendor="epson")
    with pytest.raises(ValueError):
        PrinterSettings(kind="serial")


def test_pdfs_go_to_the_data_dir_unless_set(tmp_path):
    from kiosk.config import data_dir

    assert printing.receipts_dir(PrinterSettings()) == data_dir() / "receipts"
    assert printing.receipts_dir(PrinterSettings(pdf_dir=str(tmp_path))) == tmp_path


# -- PDF


def pdf_streams(data: bytes) -> dict[int, tuple[bytes, bytes]]:
    """Object number -> (its dictionary, its stream inflated)."""
    streams = {}
    for m in re.finditer(rb"(\d+) 0 obj\s*<<((?:(?!endobj).)*?)>>\s*stream\r?\n", data, re.S):
        raw = data[m.end():data.index(b"endstream", m.end())]
        streams[int(m.group(1))] = (m.group(2), zlib.decompress(raw) if b"FlateDecode" in m.group(2) else raw)
    return streams


def pdf_text_lines(data: bytes) -> list[str]:
    """The text of each BT..ET block, read through the fonts' ToUnicode maps (how Qt writes text)."""
    streams = pdf_streams(data)
    objects = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\s*(<<(?:(?!endobj).)*)endobj", data, re.S)}
    unicode_of: dict[bytes, dict[int, str]] = {}
    for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", data):
        font = objects[int(number)]
        cmap_ref = re.search(rb"/ToUnicode (\d+) 0 R", font)
        cmap = streams[int(cmap_ref.group(1))][1].decode()
        table: dict[int, str] = {}
        for first, last, targets in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]{4})> \[([^\]]*)\]", cmap):
            for offset, target in enumerate(re.findall(r"<([0-9A-F]+)>", targets)):
                table[int(first, 16) + offset] = chr(int(target, 16))
        unicode_of[name] = table
    lines = []
    for _, content in streams.values():
        for block in re.findall(rb"BT(.*?)ET", content, re.S):
            font = re.search(rb"/(F\d+) [\d.]+ Tf", block)
            if not font or font.group(1) not in unicode_of:
                continue
            glyphs = re.findall(rb"<([0-9A-F]+)> Tj", block)
            text = "".join(unicode_of[font.group(1)].get(int(g, 16), "?") for g in glyphs)
            lines.append(text.replace("\t", " "))  # Qt maps its space glyph to a tab
    return lines


def pdf_bars(data: bytes) -> str:
    """The barcode as modules, rebuilt from the filled rectangles of the page."""
    content = max((c for _, c in pdf_streams(data).values() if b" re\n" in c), key=len).decode("latin1")
    colour, rects = None, []
    for line in content.splitlines():
        if line.endswith(" scn"):
            colour = line[:-4]
        elif line.endswith(" re"):
            rects.append((colour, *map(float, line.split()[:4])))
    background = next(r for r in rects if r[0] == "1 1 1")
    bars = sorted((x, w) for colour, x, y, w, h in rects if colour == "0 0 0" and h == background[4])
    module = min(w for _, w in bars)
    start, out = bars[0][0], ""
    for x, w in bars:
        out += "0" * round((x - start) / module - len(out)) + "1" * round(w / module)
    return out


def test_the_pdf_has_the_receipt_text_and_a_vector_barcode(qapp, receipt, tmp_path):
    from ui.receipts.pdf import code128_modules, save_pdf

    path = save_pdf(receipt, tmp_path / "sub" / "r.pdf")
    data = path.read_bytes()
    assert path == tmp_path / "sub" / "r.pdf" and data.startswith(b"%PDF-")
    lines = pdf_text_lines(data)
    assert lines[:len(receipt.text(42).splitlines())] == receipt.text(42).splitlines()
    assert lines[-1] == "R:" + SALE_ID  # the barcode's text under it
    assert pdf_bars(data) == code128_modules("R:" + SALE_ID)
    page = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert abs(float(page.group(1)) - 80 / 25.4 * 72) < 1  # 80 mm wide, in points


def test_the_pdf_is_quick_enough_for_the_gui_thread(qapp, receipt, tmp_path):
    from ui.receipts.pdf import save_pdf

    save_pdf(receipt, tmp_path / "warm.pdf")  # the first one loads the font
    started = time.perf_counter()
    for n in range(5):
        save_pdf(receipt, tmp_path / f"{n}.pdf")
    each = (time.perf_counter() - started) / 5
    assert each < 0.1, f"{each * 1000:.0f} ms a PDF"  # measured about 9 ms here


def test_the_barcode_picture_scans(qapp, receipt):
    import numpy as np
    import zxingcpp

    from ui.receipts.pdf import barcode_image

    image = barcode_image(receipt.barcode).convertToFormat(barcode_image(receipt.barcode).Format.Format_Grayscale8)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    found = zxingcpp.read_barcodes(np.ascontiguousarray(pixels[:, :image.width()]))
    assert [(r.format.name, r.text) for r in found] == [("Code128", "R:" + SALE_ID)]


# -- the preview


@pytest.fixture
def tasks(qapp):
    from PySide6.QtCore import QCoreApplication, QEvent

    from ui.common.tasks import Tasks

    tasks = Tasks()
    yield tasks
    # Tasks deleteLater()s a finished task's spinner timer; Qt crashes ("shared QObject was
    # deleted directly") if the Tasks object is deleted with that still pending.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def threads(qloop):
    """asyncio.to_thread's workers for this test, stopped after it. The session's qasync loop is
    never closed (tests/ui_env.py), so its own default executor's QThreads would still run at exit,
    and Qt aborts the process there ("QThread: Destroyed while thread is still running")."""
    import qasync

    executor = qasync.QThreadExecutor(2)
    qloop.set_default_executor(executor)
    yield executor
    qloop.set_default_executor(None)
    executor.shutdown(wait=True)


def preview_for(qtbot, receipt, printer: PrinterSettings, tasks=None):
    from PySide6.QtWidgets import QApplication

    from ui.receipts.preview import ReceiptPreview
    from ui.common.tasks import Tasks

    tasks = tasks or Tasks()
    dialog = ReceiptPreview(receipt, printer, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.windowHandle().requestActivate()  # its shortcuts work while it is the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
    return dialog, tasks


def test_the_preview_shows_the_receipt_and_saves_a_pdf_without_a_printer(qtbot, receipt, tmp_path):
    from PySide6.QtCore import Qt

    dialog, _ = preview_for(qtbot, receipt, PrinterSettings(pdf_dir=str(tmp_path)))
    assert not dialog.isModal()
    assert dialog.text_view.toPlainText() == receipt.text(42).rstrip("\n")
    assert dialog.barcode_text.text() == "R:" + SALE_ID and not dialog.barcode_view.pixmap().isNull()
    assert not dialog.print_button.isEnabled()
    assert "No receipt printer is set up" in dialog.print_button.toolTip()
    assert all(w.accessibleName() for w in (dialog.print_button, dialog.pdf_button, dialog.close_button,
                                            dialog.text_view, dialog.barcode_view))

    qtbot.keyClick(dialog.text_view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert dialog.status.text() == ""  # Ctrl+P with no printer does nothing

    with qtbot.waitSignal(dialog.saved, timeout=2000) as saved:
        qtbot.mouseClick(dialog.pdf_button, Qt.MouseButton.LeftButton)
    path = tmp_path / f"receipt-{SALE_ID}.pdf"
    assert saved.args == [path] and path.read_bytes().startswith(b"%PDF-")
    assert str(path) in dialog.status.text()

    path.unlink()
    qtbot.keyClick(dialog.text_view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert path.exists()

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_the_preview_prints_off_the_gui_thread(qtbot, qloop, threads, tasks, receipt, tmp_path):
    from PySide6.QtCore import Qt

    out = tmp_path / "lp0"
    dialog, _ = preview_for(qtbot, receipt, PrinterSettings(kind="file", path=str(out)), tasks)
    assert dialog.print_button.isEnabled()
    with qtbot.waitSignal(dialog.printed, timeout=5000):
        qtbot.keyClick(dialog.text_view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert dialog.status.text() == "Printed." and dialog.print_button.isEnabled()
    assert out.read_bytes().startswith(INIT) and code128("R:" + SALE_ID) in out.read_bytes()


def test_the_preview_shows_why_the_printer_did_not_print(qtbot, qloop, threads, tasks, receipt):
    from PySide6.QtCore import Qt

    port = _closed_port()
    dialog, _ = preview_for(qtbot, receipt,
                            PrinterSettings(kind="network", host="127.0.0.1", port=port, timeout_s=0.5), tasks)
    notices = []
    tasks.failed.connect(notices.append)
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert not dialog.print_button.isEnabled()  # no second job while one is under way
    qtbot.waitUntil(lambda: dialog.print_button.isEnabled(), timeout=5000)
    assert dialog.status.text() == (f"The receipt printer at 127.0.0.1:{port} does not answer; check it is on, "
                                    "or print a PDF.")
    assert notices == []  # said in the dialog, not twice


def test_a_saved_pdf_is_private_whatever_the_umask(qapp, receipt, tmp_path):
    from ui.receipts.pdf import save_pdf

    previous = os.umask(0o022)  # new files 0644 and folders 0755 unless the writer says otherwise
    try:
        path = save_pdf(receipt, tmp_path / "receipts" / "r.pdf")
    finally:
        os.umask(previous)
    assert path.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
