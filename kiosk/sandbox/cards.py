"""Printable sheet of every demo member card, gift/store card and coupon.

The sandbox has no physical cards, so this renders the demo data as images
plus an index.html that a person prints and holds in front of the kiosk camera.
"""

from __future__ import annotations

import html
import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import zxingcpp
from PIL import Image

# Every image is drawn for one print resolution, so index.html can give each
# its physical size in mm and every module is a whole number of pixels.
DPI = 300
# 12 px at 300 dpi is a 1 mm QR module: easy for a phone camera at arm's length.
QR_SCALE = 12
# 5 px = 0.42 mm modules for Code128 and PDF417: roomy for webcams.
MODULE_PX = 5
# Quiet zones, in modules: QR asks for 4, Code 128 for 10 (15 forgives a sloppy
# crop), PDF417 for 2 (6 likewise).
QR_QUIET, CODE128_QUIET, PDF417_QUIET = 4, 15, 6

_TOKEN = {"member": re.compile(r"[A-Za-z0-9]+"), "card": re.compile(r"[A-Za-z0-9-]+"),
          "coupon": re.compile(r"[A-Za-z0-9-]+")}
_SYMBOLOGY = re.compile(r"[a-z0-9]+")


def _filename(prefix: str, token: str, symbology: str) -> str:
    # Ids and codes come from data files; never let one steer the path.
    pattern = _TOKEN.get(prefix)
    if pattern is None or not pattern.fullmatch(token) or not _SYMBOLOGY.fullmatch(symbology):
        raise ValueError(f"refusing file name for {prefix!r} {token!r} {symbology!r}")
    return f"{prefix}-{token}-{symbology}.png"


def _load(name: str) -> list[dict[str, Any]]:
    return json.loads(files("kiosk_resources").joinpath("demo", name).read_text(encoding="utf-8"))


# zxing-cpp draws every symbology here (and reads them in kiosk/scanner): one library
# for writing and reading, where three writers (segno, python-barcode, pdf417gen) were.


def draw(symbol, quiet_modules: int, module_px: int, hrt: bool = False) -> Image.Image:
    """The symbol at whole pixels per module, with `quiet_modules` of white all round."""
    pixels = np.asarray(symbol.to_image(scale=module_px, add_hrt=hrt, add_quiet_zones=False))
    pad = quiet_modules * module_px
    return Image.fromarray(np.pad(pixels, pad, constant_values=255), "L")


def render_qr(payload: str) -> Image.Image:
    # Always a full QR code (never a Micro QR, which phone cameras don't read), level M.
    return draw(zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M"), QR_QUIET, QR_SCALE)


def render_code128(text: str) -> Image.Image:
    # With the text under the bars, for a cashier to type when a scan fails.
    return draw(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128), CODE128_QUIET, MODULE_PX, hrt=True)


def render_pdf417(text: str) -> Image.Image:
    # Three data columns keep a gift card's symbol short and wide, as cards print it.
    return draw(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.PDF417, columns=3), PDF417_QUIET, MODULE_PX)


def _write_qr(path: Path, payload: str) -> None:
    render_qr(payload).save(path, format="PNG", dpi=(DPI, DPI))


def _write_code128(path: Path, text: str) -> None:
    render_code128(text).save(path, format="PNG", dpi=(DPI, DPI))


def _write_pdf417(path: Path, text: str) -> None:
    render_pdf417(text).save(path, format="PNG", dpi=(DPI, DPI))


def _value_label(code: dict[str, Any]) -> str:
    return f"{code['value']}%" if code["discountType"] == "Percentage" else code["value"]


def _status_note(status: str) -> str:
    # Inactive entries are kept on the sheet on purpose: they test the refusals.
    return "" if status.upper() == "ACTIVE" else f" ({status.lower()})"


def _plan(members: list[dict[str, Any]], codes: list[dict[str, Any]]) -> list[tuple]:
    """(file name, writer, payload, caption) for every image, in sheet order."""
    plan: list[tuple] = []
    for m in members:
        caption = f"{m['firstName']} {m['lastName']} · {m['id']}{_status_note(m['status'])}"
        plan.append((_filename("member", m["id"], "qr"), _write_qr, m["id"], caption))
        plan.append((_filename("member", m["id"], "code128"), _write_code128, m["id"], caption))
    for c in codes:
        code = c["incentiveCode"]
        caption = f"{c['kind']} {code} · {_value_label(c)}{_status_note(c['status'])}"
        if c["kind"] in ("giftcard", "storecard"):
            plan.append((_filename("card", code, "pdf417"), _write_pdf417, code, caption))
            plan.append((_filename("card", code, "code128"), _write_code128, code, caption))
        elif c["kind"] == "coupon":
            plan.append((_filename("coupon", code, "qr"), _write_qr, code, caption))
        else:
            # A new kind in the demo data must not silently drop off the sheet.
            raise ValueError(f"unknown code kind {c['kind']!r} for {code!r}")
    return plan


def _figure(name: str, caption: str, width_px: int) -> str:
    width_mm = width_px * 25.4 / DPI
    return (f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}" '
            f'style="width:{width_mm:.1f}mm"><figcaption>{html.escape(caption)}</figcaption></figure>')


def _index_html(figures: list[str]) -> str:
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Kiosk demo cards</title>',
        "<style>",
        "body{font-family:sans-serif;margin:10mm}",
        "main{display:flex;flex-wrap:wrap;gap:6mm}",
        "figure{margin:0;break-inside:avoid;text-align:center}",
        "img{display:block;margin:auto;image-rendering:pixelated}",
        "figcaption{font-size:9pt;margin-top:1mm}",
        "</style></head><body>",
        "<h1>Kiosk demo cards</h1>",
        "<main>", *figures, "</main>",
        "</body></html>",
        "",
    ])


def save_cards(out_dir: Path) -> list[Path]:
    """Write every demo card image and index.html into out_dir; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    figures: list[str] = []
    for name, write, payload, caption in _plan(_load("members.json"), _load("codes.json")):
        path = out_dir / name
        write(path, payload)
        with Image.open(path) as image:
            figures.append(_figure(name, caption, image.width))
        written.append(path)
    index = out_dir / "index.html"
    index.write_text(_index_html(figures), encoding="utf-8")
    written.append(index)
    return written
