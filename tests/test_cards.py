"""The printable demo cards decode back to what they encode, with two decoders;
the demo product list is consistent between its JSON and CSV forms."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from kiosk.sandbox import cards

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


# --- products -------------------------------------------------------------

FIELDS = ["sku", "barcode", "name", "price", "category", "taxClass"]


def _gs1_check_digit(data: str) -> int:
    # Weights 3,1,3,... from the rightmost data digit: same rule for EAN-13 and UPC-A.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return (10 - total % 10) % 10


def _products_json() -> list[dict[str, str]]:
    return _demo_json("products.json")


def _products_csv() -> list[dict[str, str]]:
    text = DEMO.joinpath("products.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == FIELDS
    return list(reader)


@pytest.mark.parametrize("code", ["4006381333931", "9780306406157", "036000291452"])
def test_check_digit_rule_matches_published_codes(code: str) -> None:
    assert _gs1_check_digit(code[:-1]) == int(code[-1])


def test_products_json_and_csv_hold_the_same_rows() -> None:
    rows = _products_json()
    assert 12 <= len(rows) <= 20
    assert rows == _products_csv()


def test_product_fields_are_well_formed() -> None:
    for row in _products_json():
        assert list(row) == FIELDS, row
        assert all(isinstance(v, str) and v.strip() == v and v for v in row.values()), row
        assert re.fullmatch(r"\d+\.\d{2}", row["price"]), row
        assert row["taxClass"] in {"standard", "reduced", "zero"}, row


def test_product_barcodes_have_valid_check_digits() -> None:
    for row in _products_json():
        code = row["barcode"]
        assert re.fullmatch(r"\d{12}|\d{13}", code), row
        assert _gs1_check_digit(code[:-1]) == int(code[-1]), row


def test_product_barcodes_survive_a_round_trip_through_zxing() -> None:
    # A second, independent check-digit implementation: zxing refuses to draw
    # a code with a wrong one. It reads UPC-A back as 13 digits with a leading 0.
    for row in _products_json():
        code = row["barcode"]
        fmt = zxingcpp.BarcodeFormat.EAN13 if len(code) == 13 else zxingcpp.BarcodeFormat.UPCA
        image = zxingcpp.create_barcode(code, fmt).to_image(scale=3)
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [code.zfill(13)], row


def test_product_barcodes_and_skus_are_unique() -> None:
    rows = _products_json()
    skus = [r["sku"] for r in rows]
    # A UPC-A and the EAN-13 "0" + same digits are one code to a scanner.
    barcodes = [r["barcode"].zfill(13) for r in rows]
    assert len(set(skus)) == len(skus)
    assert len(set(barcodes)) == len(barcodes)
