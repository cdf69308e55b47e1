"""The printable demo cards decode back to what they encode, with two decoders;
the demo products import whole and each one is found by its scanned barcode."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from kiosk.checkout.catalogue import Catalogue
from kiosk.checkout.catalogue_import import import_products
from kiosk.config import TaxSettings
from kiosk.sandbox import cards
from kiosk.scanner import payload

DEMO = files("kiosk_resources").joinpath("demo")


def _demo_json(name: str) -> Any:
    return json.loads(DEMO.joinpath(name).read_text(encoding="utf-8"))


def _expected() -> dict[str, tuple[str, str]]:
    """File name -> (payload, symbology), derived from the demo data on its own
    so that a wrong plan in cards.py cannot agree with itself."""
    expected = {}
    for member in _demo_json("members.json"):
        mid = member["id"]
        expected[f"member-{mid}-qr.png"] = (mid, "qr")
        expected[f"member-{mid}-code128.png"] = (mid, "code128")
    for code in _demo_json("codes.json"):
        text = code["incentiveCode"]
        if code["kind"] in ("giftcard", "storecard"):
            expected[f"card-{text}-pdf417.png"] = (text, "pdf417")
            expected[f"card-{text}-code128.png"] = (text, "code128")
        else:
            assert code["kind"] == "coupon"
            expected[f"coupon-{text}-qr.png"] = (text, "qr")
    return expected


EXPECTED = _expected()
ZXING_FORMAT = {
    "qr": zxingcpp.BarcodeFormat.QRCode,
    "code128": zxingcpp.BarcodeFormat.Code128,
    "pdf417": zxingcpp.BarcodeFormat.PDF417,
}
# zbar's PDF417 support is unfinished, so pyzbar only checks these two.
PYZBAR_TYPE = {"qr": "QRCODE", "code128": "CODE128"}


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("cards")
    return out, cards.save_cards(out)


def test_writes_exactly_the_planned_files(sheet: tuple[Path, list[Path]]) -> None:
    out, written = sheet
    names = sorted([*EXPECTED, "index.html"])
    assert sorted(p.name for p in written) == names
    assert all(p.parent == out and p.is_file() for p in written)
    assert sorted(p.name for p in out.iterdir()) == names


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_zxing_reads_back_the_payload(sheet: tuple[Path, list[Path]], name: str) -> None:
    payload, symbology = EXPECTED[name]
    with Image.open(sheet[0] / name) as image:
        found = [(r.text, r.format) for r in zxingcpp.read_barcodes(image)]
    assert found == [(payload, ZXING_FORMAT[symbology])]


def _pyzbar() -> Any:
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:  # OSError: libzbar present but unloadable
        pytest.skip(f"pyzbar unusable, is libzbar0 installed? ({exc})")
    return pyzbar


@pytest.mark.parametrize("name", sorted(n for n, (_, s) in EXPECTED.items() if s in PYZBAR_TYPE))
def test_pyzbar_reads_back_the_payload(sheet: tuple[Path, list[Path]], name: str) -> None:
    pyzbar = _pyzbar()
    payload, symbology = EXPECTED[name]
    with Image.open(sheet[0] / name) as image:
        found = [(r.data.decode("utf-8"), r.type) for r in pyzbar.decode(image)]
    assert found == [(payload, PYZBAR_TYPE[symbology])]


class _Figures(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcs: list[str] = []
        self.captions: list[str] = []
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.srcs.append(dict(attrs)["src"] or "")
        self._in_caption = tag == "figcaption"

    def handle_endtag(self, tag: str) -> None:
        self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.captions.append(data)


def test_index_shows_every_image_with_a_caption(sheet: tuple[Path, list[Path]]) -> None:
    parser = _Figures()
    parser.feed((sheet[0] / "index.html").read_text(encoding="utf-8"))
    assert sorted(parser.srcs) == sorted(EXPECTED)
    assert len(parser.captions) == len(EXPECTED)
    assert any("Chloé Martin" in c and "M100003" in c for c in parser.captions)
    assert any("GC-1000-0001" in c and "50.00" in c for c in parser.captions)


def test_index_escapes_caption_text() -> None:
    figure = cards._figure("x.png", '<script>"&', 300)
    assert "<script>" not in figure
    assert "&lt;script&gt;&quot;&amp;" in figure


@pytest.mark.parametrize(
    ("prefix", "token"),
    [("member", "M100001"), ("card", "GC-1000-0001"), ("coupon", "WELCOME10")],
)
def test_filename_accepts_demo_tokens(prefix: str, token: str) -> None:
    assert cards._filename(prefix, token, "qr") == f"{prefix}-{token}-qr.png"


@pytest.mark.parametrize(
    ("prefix", "token"),
    [
        ("member", "M-1"),  # ids have no hyphen
        ("card", "../etc"),
        ("card", "a/b"),
        ("card", ""),
        ("coupon", "SAVE 5"),
        ("coupon", "SAVE5\n"),
        ("coupon", "ÜBER5"),
        ("coupon", "SAVE５"),  # fullwidth digit
        ("other", "M100001"),
    ],
)
def test_filename_refuses_anything_else(prefix: str, token: str) -> None:
    with pytest.raises(ValueError):
        cards._filename(prefix, token, "qr")


@given(st.sampled_from(["member", "card", "coupon"]), st.text())
def test_filename_never_leaves_the_directory(prefix: str, token: str) -> None:
    try:
        name = cards._filename(prefix, token, "qr")
    except ValueError:
        return
    assert Path(name).name == name and name.isascii() and ".." not in name


# --- products: the demo catalogue as the till reads it -------------------------


@pytest.mark.parametrize("name", ["products.csv", "products.json"])
def test_the_demo_catalogue_imports_whole_and_each_product_scans(name: str, tmp_path: Path) -> None:
    # The import checks every field, check digit and duplicate (UPC-A "0..." and EAN-13 alike):
    # a demo file that fails any of them loses rows here.
    with as_file(DEMO.joinpath(name)) as source:
        report = import_products(source, tmp_path / "catalogue.sqlite3", TaxSettings().rates.keys(), strict=True)
    rows = _demo_json("products.json")
    assert report.rejected == [] and report.imported == len(rows)
    with Catalogue.open(tmp_path / "catalogue.sqlite3") as catalogue:
        for row in rows:
            # Drawn and read back as a hand scanner or the camera would, then looked up.
            fmt = zxingcpp.BarcodeFormat.EAN13 if len(row["barcode"]) == 13 else zxingcpp.BarcodeFormat.UPCA
            image = zxingcpp.create_barcode(row["barcode"], fmt).to_image(scale=3)
            (read,) = zxingcpp.read_barcodes(image)
            ref = payload.parse(read.text, "EAN13")
            product = catalogue.by_barcode(ref.gtin)
            assert product is not None and product.sku == row["sku"] and str(product.price) == row["price"], row
