"""Print a Receipt on an ESC/POS thermal printer: network (raw TCP), USB, or a device file.

Why python-escpos: it is the maintained library for the ESC/POS command set and its
transports (TCP, USB through pyusb, device files, serial), with printer profiles and
code-page handling for text (MagicEncode), so the terminal does not keep its own
byte tables. The Code 128 barcode command is assembled here from its constants,
because its barcode() accepts module widths of 2..6 dots only, and a 32-character
return code at 2 dots is wider than an 80 mm roll (the printer then prints nothing).

Everything here blocks (sockets, USB, files): callers run `print_receipt` off the GUI
thread, `await asyncio.to_thread(print_receipt, receipt, settings.printer)`.
No Qt here: the core never imports it.
"""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from escpos.constants import (BARCODE_FONT_A, BARCODE_FONT_B, BARCODE_HEIGHT, BARCODE_TXT_BLW, BARCODE_TYPE_B,
                              BARCODE_WIDTH, QR_ECLEVEL_M, TXT_STYLE)
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError, Error as EscposError

from kiosk import i18n
from kiosk.checkout.errors import CheckoutError
from kiosk.checkout.receipt import Receipt
from kiosk.config import PrinterSettings, data_dir
from kiosk.i18n import _

log = logging.getLogger(__name__)

DOTS_PER_COLUMN = 12  # font A is 12 dots wide on ESC/POS printers (80 mm: 42 or 48 columns)
BARCODE_HEIGHT_DOTS = 80  # 10 mm at 203 dpi: easy for a hand scanner
STATUS_WAIT_S = 1.0  # a printer that does not answer the status query still gets the receipt


class PrinterError(CheckoutError):
    """The receipt did not print; the message says why, for the cashier."""

    audience = "cashier"  # check the paper, print a PDF: staff's to do


def where(printer: PrinterSettings) -> str:
    """The printer as the log names it (English): "at 10.0.0.7:9100"."""
    if printer.kind == "network":
        return f"at {printer.host}:{printer.port}"
    if printer.kind == "usb":
        return f"on USB {printer.usb_vendor or '?'}:{printer.usb_product or '?'}"
    if printer.kind == "file":
        return f"at {printer.path}"
    return ""


def _address(printer: PrinterSettings) -> str:
    """The printer's address alone ("10.0.0.7:9100", "04b8:0202", a path), for the cashier's
    sentences: each says "at" or "on USB" itself, since other languages put those words elsewhere."""
    if printer.kind == "network":
        return f"{printer.host}:{printer.port}"
    if printer.kind == "usb":
        return f"{printer.usb_vendor or '?'}:{printer.usb_product or '?'}"
    return str(printer.path or "")


def receipts_dir(printer: PrinterSettings) -> Path:
    """Where receipt PDFs go: printer.pdf_dir, or a "receipts" folder in the data directory."""
    return Path(printer.pdf_dir).expanduser() if printer.pdf_dir else data_dir() / "receipts"


def pdf_name(receipt: Receipt) -> str:
    return f"receipt-{_safe(receipt.sale_id)}.pdf"


def card_pdf_name(member_id: str) -> str:
    return f"member-card-{_safe(member_id)}.pdf"


def _safe(text: str) -> str:
    """An id as part of a file name: a backend's id never steers the path."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def print_receipt(receipt: Receipt, printer: PrinterSettings) -> None:
    """Print `receipt` on the configured printer and cut; PrinterError with a sentence if not.

    Blocks for up to about printer.timeout_s: run it with asyncio.to_thread."""
    _print(printer, f"sale {receipt.sale_id}", lambda device: write_receipt(device, receipt, printer.width))


def print_member_card(member_id: str, name: str, heading: str, printer: PrinterSettings) -> None:
    """A member card on the receipt printer, for a member just enrolled: `heading` (the
    store), the name, and the id as text and as the Code 128 barcode the till scans.
    Blocks like print_receipt."""
    _print(printer, "a member card", lambda device: write_member_card(device, member_id, name, heading,
                                                                     printer.width))


def write_member_card(device: Escpos, member_id: str, name: str, heading: str, width: int) -> None:
    device.hw("INIT")
    device.set(bold=True)
    # In the language of the screen that prints it (run in a worker thread: asyncio.to_thread
    # carries the screen's language along).
    device.textln(plain(heading or i18n._("Member card")))
    device.set(bold=False)
    device.textln(name)
    device.textln(plain(i18n._("Member {0}").format(member_id)))
    device._raw(barcode_command(member_id, width))
    device._raw(TXT_STYLE["align"]["left"])
    device.ln()
    device.cut()


def print_reward_pass(text: str, reward: str, expires: str, heading: str, printer: PrinterSettings) -> None:
    """A reward pass from the self-service kiosk: `heading` (the store), the reward's name, its
    QR (`text`, what the till scans) and when it expires. Blocks like print_receipt."""
    _print(printer, "a reward pass", lambda device: write_reward_pass(device, text, reward, expires, heading))


def plain(line: str) -> str:
    """CLDR's formats put narrow and no-break spaces in times and amounts ("3:32\u202fPM",
    "12,50\xa0€"); a receipt printer's code pages have neither, and would print "?"."""
    return line.replace("\u202f", " ").replace("\xa0", " ")


def write_reward_pass(device: Escpos, text: str, reward: str, expires: str, heading: str) -> None:
    device.hw("INIT")
    device.set(bold=True)
    device.textln(plain(heading or i18n._("Reward")))
    device.set(bold=False)
    device.textln(plain(reward))
    device.textln(plain(i18n._("Show this at the till")))
    # The printer's own QR command (GS ( k): no image is rendered here, and module size 8
    # (1 mm at 203 dpi) reads from a hand scanner at a till.
    device._raw(TXT_STYLE["align"]["center"])  # the library's own centring is for its image QR only
    device.qr(text, ec=QR_ECLEVEL_M, size=8, native=True)
    device._raw(TXT_STYLE["align"]["left"])
    device.textln(plain(expires))
    device.ln()
    device.cut()


def _print(printer: PrinterSettings, what: str, write) -> None:
    """Open the printer, check its paper, `write(device)`, close; PrinterError with a sentence if not.
    `what` names the job in the log: never member data."""
    device = _open(printer)
    try:
        _check_paper(device, printer)
        try:
            write(device)
        except (OSError, EscposError) as exc:
            log.warning("printing %s %s failed: %r", what, where(printer), exc)
            stopped = (_("The receipt printer on USB {0} stopped while printing; check it is on and has paper, "
                         "then print again, or print a PDF.") if printer.kind == "usb"
                       else _("The receipt printer at {0} stopped while printing; check it is on and has paper, "
                              "then print again, or print a PDF."))
            raise PrinterError(stopped.format(_address(printer))) from exc
    finally:
        try:
            device.close()
        except Exception:  # closing a dead connection must not hide why it died
            log.debug("closing the printer failed", exc_info=True)


def write_receipt(device: Escpos, receipt: Receipt, width: int) -> None:
    """The commands for one receipt: initialise, text (store and TOTAL bold), Code 128, cut."""
    device.hw("INIT")  # ESC @: clears whatever a previous, interrupted job left set
    for line, bold in styled_lines(receipt, width):
        if bold:
            device.set(bold=True)
        device.textln(plain(line))
        if bold:
            device.set(bold=False)
    device._raw(barcode_command(receipt.barcode, width))
    device._raw(TXT_STYLE["align"]["left"])
    device.ln()
    device.cut()


def styled_lines(receipt: Receipt, width: int) -> list[tuple[str, bool]]:
    """Receipt.text's lines, each with whether it is printed bold (the store and TOTAL)."""
    total_row = receipt.total_row(width)
    return [(line, (number == 0 and bool(receipt.heading)) or line == total_row)
            for number, line in enumerate(receipt.text(width).splitlines())]


def barcode_command(data: str, columns: int = 42) -> bytes:
    """GS k (function B, type 73): Code 128, code set B, its text printed below it, centred.

    The module width is the widest (1..3 dots) that fits the roll: `columns` of font A."""
    if not data or not all(32 <= ord(c) < 127 for c in data):
        raise ValueError(f"Code 128 set B takes printable ASCII only: {data!r}")
    payload = b"{B" + data.replace("{", "{{").encode("ascii")  # "{" escapes inside the command
    modules = 11 * (len(data) + 2) + 13 + 20  # start, data, check, stop, and a 10-module quiet zone each side
    dots = columns * DOTS_PER_COLUMN
    module = max(1, min(3, dots // modules))
    # Font A (12 dots) under the bars when the text fits the roll, else the narrower font B.
    hri_font = BARCODE_FONT_A if len(data) * DOTS_PER_COLUMN <= dots else BARCODE_FONT_B
    return (TXT_STYLE["align"]["center"] + BARCODE_HEIGHT + bytes([BARCODE_HEIGHT_DOTS])
            + BARCODE_WIDTH + bytes([module]) + hri_font + BARCODE_TXT_BLW
            + BARCODE_TYPE_B["CODE128"] + bytes([len(payload)]) + payload)


def _open(printer: PrinterSettings) -> Escpos:
    if printer.kind == "none":
        raise PrinterError(_("No receipt printer is set up for this till; save a PDF instead, "
                             "or ask IT to set one up."))
    if printer.kind == "network":
        from escpos.printer import Network

        if not printer.host:
            raise PrinterError(_("The receipt printer has no network address in the settings; "
                                 "ask IT to set printer.host, or print a PDF."))
        device: Escpos = Network(printer.host, printer.port, timeout=printer.timeout_s)
        unreachable = _("The receipt printer at {0} does not answer; check it is on, or print a PDF.")
    elif printer.kind == "file":
        from escpos.printer import File

        if not printer.path:
            raise PrinterError(_("The receipt printer has no device path in the settings; "
                                 "ask IT to set printer.path, or print a PDF."))
        device = File(printer.path)
        unreachable = _("The receipt printer at {0} cannot be reached; check it is plugged in and on, "
                        "or print a PDF.")
    else:
        return _open_usb(printer)
    try:
        device.open()
    except (DeviceNotFoundError, OSError) as exc:
        log.warning("receipt printer %s: %s", where(printer), exc)
        raise PrinterError(unreachable.format(_address(printer))) from exc
    return device


def _open_usb(printer: PrinterSettings) -> Escpos:
    from escpos.printer import Usb

    if not (printer.usb_vendor and printer.usb_product):
        raise PrinterError(_("The USB receipt printer has no vendor and product id in the settings; "
                             "ask IT to set them, or print a PDF."))
    device = Usb(int(printer.usb_vendor, 16), int(printer.usb_product, 16),
                 timeout=int(printer.timeout_s * 1000))  # pyusb counts milliseconds
    try:
        device.open()
    except (DeviceNotFoundError, OSError) as exc:
        log.warning("receipt printer %s: %s", where(printer), exc)
        if getattr(exc, "errno", None) == errno.EACCES or "Access denied" in str(exc):
            raise PrinterError(_("This till may not use the receipt printer on USB {0} (no permission for the "
                                 "USB device); ask IT, or print a PDF.").format(_address(printer))) from exc
        raise PrinterError(_("The receipt printer on USB {0} is not found; check it is plugged in and on, "
                             "or print a PDF.").format(_address(printer))) from exc
    except ValueError as exc:  # pyusb's NoBackendError: libusb is not installed
        log.warning("receipt printer %s: %r", where(printer), exc)
        raise PrinterError(_("USB printing does not work on this till (libusb is missing); ask IT, "
                             "or print a PDF.")) from exc
    except RuntimeError as exc:  # python-escpos without pyusb
        raise PrinterError(_("USB printing does not work on this till (pyusb is missing); ask IT, "
                             "or print a PDF.")) from exc
    return device


def _check_paper(device: Escpos, printer: PrinterSettings) -> None:
    """Ask a printer that can answer (network, USB) for its paper sensor: DLE EOT 4.

    A printer that does not answer in STATUS_WAIT_S still gets the receipt: many
    answer only on some interfaces, and a missing answer is not a missing printer."""
    if printer.kind not in ("network", "usb"):
        return
    is_socket = hasattr(device.device, "settimeout")  # network; pyusb reads time out by themselves
    if is_socket:
        device.device.settimeout(min(STATUS_WAIT_S, printer.timeout_s))
    try:
        paper = device.paper_status()
    except (OSError, NotImplementedError, EscposError) as exc:
        log.info("receipt printer %s gave no paper status (%r); printing anyway", where(printer), exc)
        return
    finally:
        if is_socket:
            device.device.settimeout(printer.timeout_s)
    if paper == 0:
        out = (_("The receipt printer on USB {0} is out of paper; put in a new roll, then print again.")
               if printer.kind == "usb"
               else _("The receipt printer at {0} is out of paper; put in a new roll, then print again."))
        raise PrinterError(out.format(_address(printer)))
    if paper == 1:
        log.warning("receipt printer %s: paper is running low", where(printer))
