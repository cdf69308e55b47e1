"""Decoders: a grayscale frame in, the symbols found in it out.

Two libraries behind one small interface. zxing-cpp is the workhorse: on real
photos it read far more QR codes than zbar, reads PDF417 (zbar does not), and
is about three times faster. zbar (through pyzbar, the owner's choice) reads a
few more damaged EAN-13s, so the `auto` mode keeps it as a second opinion on
small crops, where it is cheap. zbar needs the system library libzbar0; when it
is missing the scanner says so once and carries on with zxing-cpp alone.

Symbology names are normalised across both libraries, and a 13-digit EAN with
a leading 0 is reported as the 12-digit UPC-A it is (GS1 treats them as the
same number): zxing-cpp 3 reads UPC-A as EAN-13, zbar as either, depending on
which formats are enabled.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Iterable, Protocol

import numpy as np

log = logging.getLogger(__name__)

SUPPORTED = ("QRCode", "Code128", "EAN13", "UPCA", "PDF417")
MODES = ("auto", "zxing", "zbar")
# zbar's PDF417 decoder was never finished; it returns nothing for it.
ZBAR_READS = ("QRCode", "Code128", "EAN13", "UPCA")

Point = tuple[int, int]
# zxing-cpp refuses an image wider or taller than this (a ValueError, whatever the area).
MAX_SIDE = 65535


@dataclass(frozen=True)
class Symbol:
    text: str
    symbology: str
    # Corners in frame pixels, clockwise from the code's top left when known.
    position: tuple[Point, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return self.symbology, self.text


class Decoder(Protocol):
    name: str

    def decode(self, gray: np.ndarray) -> list[Symbol]:
        """Symbols in an 8-bit single-channel image; [] when there are none."""
        ...


class DecoderUnavailable(RuntimeError):
    """A decoder's library can't be loaded; the message says what to install."""


def normalise(symbology: str, text: str) -> tuple[str, str]:
    if symbology in ("EAN13", "UPCA") and len(text) == 13 and text.isdigit() and text[0] == "0":
        return "UPCA", text[1:]
    return symbology, text


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    formats = tuple(formats)
    unknown = sorted(set(formats) - set(SUPPORTED))
    if unknown:
        raise ValueError(f"unknown symbologies {unknown}; supported: {', '.join(SUPPORTED)}")
    return formats


def _dedupe(symbols: Iterable[Symbol]) -> list[Symbol]:
    seen: dict[tuple[str, str], Symbol] = {}
    for symbol in symbols:
        # zbar now and then "reads" an empty Code 128 out of clutter: that is no code.
        if symbol.text:
            seen.setdefault(symbol.key, symbol)
    return list(seen.values())


class ZxingDecoder:
    name = "zxing-cpp"

    def __init__(self, formats: Iterable[str] = SUPPORTED, *, try_rotate: bool = True,
                 try_invert: bool = True, try_downscale: bool = True):
        import zxingcpp

        self._zx = zxingcpp
        self.formats = _check_formats(formats)
        wanted = set(self.formats)
        if "UPCA" in wanted:
            wanted.add("EAN13")  # zxing-cpp 3 reports UPC-A under EAN-13 whenever both are on
        if "EAN13" in wanted:
            wanted.add("UPCA")
        self._formats = [getattr(zxingcpp.BarcodeFormat, name) for name in sorted(wanted)]
        # Plain: the payload exactly as encoded. The default (HRI) shows control characters as
        # Unicode pictures (GS as U+241D, even a space as U+2420), which breaks ISO/IEC 15434
        # payloads (shipping labels, ID cards) whose fields are split by GS and RS.
        self._options = {"try_rotate": try_rotate, "try_invert": try_invert, "try_downscale": try_downscale,
                         "text_mode": zxingcpp.TextMode.Plain}
        self._names = {getattr(zxingcpp.BarcodeFormat, name): name for name in SUPPORTED}

    def decode(self, gray: np.ndarray) -> list[Symbol]:
        found = []
        for barcode in self._zx.read_barcodes(gray, formats=self._formats, **self._options):
            name = self._names.get(barcode.format)
            if name is None:
                continue
            symbology, text = normalise(name, barcode.text)
            if symbology not in self.formats:
                continue
            p = barcode.position
            corners = tuple((int(c.x), int(c.y)) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
            found.append(Symbol(text, symbology, corners))
        return _dedupe(found)


def load_pyzbar():
    """pyzbar.pyzbar, or DecoderUnavailable with the fix when libzbar is missing."""
    try:
        return importlib.import_module("pyzbar.pyzbar")
    except ImportError as exc:
        raise DecoderUnavailable(
            "The zbar barcode library is not installed (Debian package libzbar0), so zbar decoding is off; "
            f"codes are read with zxing-cpp only. Install it with: apt-get install libzbar0 ({exc})") from None


class ZbarDecoder:
    name = "zbar"

    _TYPES = {"QRCode": "QRCODE", "Code128": "CODE128", "EAN13": "EAN13", "UPCA": "UPCA"}

    def __init__(self, formats: Iterable[str] = SUPPORTED):
        self._zbar = load_pyzbar()
        self.formats = tuple(f for f in _check_formats(formats) if f in ZBAR_READS)
        wanted = set(self.formats)
        if wanted & {"EAN13", "UPCA"}:
            wanted |= {"EAN13", "UPCA"}  # with both on, zbar tells a UPC-A from an EAN-13 itself
        self._symbols = [self._zbar.ZBarSymbol[self._TYPES[name]] for name in sorted(wanted)]
        self._names = {value: key for key, value in self._TYPES.items()}

    def decode(self, gray: np.ndarray) -> list[Symbol]:
        if not self._symbols:
            return []
        found = []
        for result in self._zbar.decode(np.ascontiguousarray(gray), symbols=self._symbols):
            name = self._names.get(result.type)
            if name is None:
                continue
            # zbar hands bytes over; QR payloads are UTF-8 in practice (ISO-8859-1 by the
            # standard, which zbar already converts), so undecodable bytes are replaced.
            symbology, text = normalise(name, result.data.decode("utf-8", "replace"))
            if symbology not in self.formats:
                continue
            found.append(Symbol(text, symbology, tuple((int(p.x), int(p.y)) for p in result.polygon)))
        return _dedupe(found)


class AutoDecoder:
    """zxing-cpp first; zbar only when zxing-cpp read nothing (zbar is the slower of the two)."""

    name = "auto"

    def __init__(self, zxing: ZxingDecoder, zbar: ZbarDecoder | None):
        self.zxing, self.zbar = zxing, zbar
        self.formats = zxing.formats

    def decode(self, gray: np.ndarray) -> list[Symbol]:
        found = self.zxing.decode(gray)
        if not found and self.zbar is not None:
            found = self.zbar.decode(gray)
        return found


def make_decoder(mode: str = "auto", formats: Iterable[str] = SUPPORTED, **zxing_options) -> tuple[Decoder, str]:
    """The decoder for a mode, and a notice for the operator ("" when all is well).

    `zbar` without libzbar is an error (it was asked for by name); `auto`
    without libzbar degrades to zxing-cpp with the notice.
    """
    if mode not in MODES:
        raise ValueError(f"decoder mode must be one of {', '.join(MODES)}, not {mode!r}")
    formats = _check_formats(formats)
    if mode == "zbar":
        return ZbarDecoder(formats), ""
    zxing = ZxingDecoder(formats, **zxing_options)
    if mode == "zxing":
        return zxing, ""
    try:
        return AutoDecoder(zxing, ZbarDecoder(formats)), ""
    except DecoderUnavailable as exc:
        log.warning("%s", exc)
        return AutoDecoder(zxing, None), str(exc)
