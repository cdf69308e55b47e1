"""Serial hand scanners (RS-232 or USB CDC-ACM), through pyserial.

Most scanners are keyboards (wedge.py); some are set up as serial ports and
send each code as a line. pyserial is optional (`pip install kiosk[serial]`)
and imported only when a serial port is configured; without it the scanner
says what to install instead of failing at start-up.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from kiosk.i18n import _
from kiosk.scanner.payload import DEFAULT, PayloadFormats
from kiosk.scanner.events import Scanned, read

log = logging.getLogger(__name__)


class SerialUnavailable(RuntimeError):
    """The serial scanner can't be used; the message says why and what to do."""


def open_serial(port: str, baudrate: int = 9600, timeout: float = 0.5):
    try:
        import serial  # pyserial: the standard, maintained serial library for Python on every OS
    except ImportError:
        raise SerialUnavailable("A serial scanner is configured but pyserial is not installed: "
                                "pip install 'kiosk[serial]' (or pyserial), or clear scanner.serial_port.") from None
    try:
        return serial.Serial(port, baudrate=baudrate, timeout=timeout)
    except serial.SerialException as exc:
        # Shown on the status line, for the cashier; the port and pyserial's reason as they are.
        raise SerialUnavailable(_("The serial scanner on {0} cannot be opened: {1}").format(port, exc)) from None


class SerialScanner:
    """Reads lines from a serial port in a thread; each non-empty line is one scan.

    `port` is anything with readline() and close() (a pyserial Serial, or a fake in tests).
    """

    def __init__(self, port, on_scan: Callable[[Scanned], None], formats: PayloadFormats = DEFAULT,
                 max_length: int = 4096):
        self._port, self._on_scan, self._formats, self._max_length = port, on_scan, formats, max_length
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-serial-scanner", daemon=True)

    def start(self) -> SerialScanner:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self._port.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                # A bounded read: a scanner that never sends a line end cannot grow the buffer forever.
                line = self._port.readline(self._max_length)
            except Exception as exc:  # pyserial raises SerialException (an OSError) when unplugged
                log.warning("serial scanner stopped: %s", type(exc).__name__)
                return
            if not line:
                continue  # timeout: nothing scanned
            # Scanners send ASCII; latin-1 maps every byte, so nothing here can fail to decode.
            text = line.decode("latin-1")
            if not text.strip():
                continue
            try:
                self._on_scan(read(text, None, "serial", self._formats))
            except Exception:
                log.exception("scan callback failed")
