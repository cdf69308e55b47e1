"""Serial hand scanners: lines in, scans out; pyserial missing is a clear message."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from kiosk.scanner.payload import CodeRef, MemberRef, Rejection
from kiosk.scanner.events import Scanned
from kiosk.scanner.serial_source import SerialScanner, SerialUnavailable, open_serial


class FakePort:
    """pyserial's readline(size) with a timeout: b"" when nothing came."""

    def __init__(self, lines):
        self._lines = list(lines)
        self.closed = threading.Event()
        self.sizes = []

    def readline(self, size=-1):
        self.sizes.append(size)
        if self._lines:
            return self._lines.pop(0)
        time.sleep(0.01)
        return b""

    def close(self):
        self.closed.set()


def test_each_line_is_a_scan_without_a_symbology():
    scans = []
    port = FakePort([b"M100001\r\n", b"", b"\r\n", b"WELCOME10\r", b"\xff\xfe..\r\n"])
    scanner = SerialScanner(port, scans.append).start()
    deadline = time.monotonic() + 5
    while len(scans) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    scanner.stop()
    assert scans[:2] == [Scanned(MemberRef("id", "M100001"), None, "serial"),
                         Scanned(CodeRef("WELCOME10"), None, "serial")]
    assert isinstance(scans[2].ref, Rejection) and scans[2].ref.reason == "characters"
    assert port.closed.is_set() and set(port.sizes) == {4096}


def test_an_unplugged_port_ends_the_reader_quietly(caplog):
    class Unplugged(FakePort):
        def readline(self, size=-1):
            raise OSError("device disconnected")

    scanner = SerialScanner(Unplugged([]), lambda scan: None).start()
    scanner._thread.join(2)
    assert not scanner._thread.is_alive()
    assert "serial scanner stopped: OSError" in caplog.text


def test_without_pyserial_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "serial", None)  # what an uninstalled package looks like to import
    with pytest.raises(SerialUnavailable, match="pyserial is not installed"):
        open_serial("/dev/ttyACM0")
