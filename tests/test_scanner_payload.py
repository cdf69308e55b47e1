"""Scanned text to typed references: every accepted format, every refusal, and fuzzing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk import config
from kiosk.loyalty import ids
from kiosk.scanner.payload import (PASS_PREFIX, CodeRef, MemberRef, PayloadFormats, ProductRef, ReceiptRef,
                                   Rejection, RewardPassRef, gtin_valid, parse)
from kiosk.selfservice import passes

LINKS = PayloadFormats(member_url_hosts=("loyalty.example.com",))
ORDER = "T01-01JD8X3Q7Z5K2M9N4P6R8S0T1V"


@pytest.mark.parametrize(("text", "symbology", "expected"), [
    ("M100001", "QRCode", MemberRef("id", "M100001")),
    ("M100002", None, MemberRef("id", "M100002")),
    ("1234567812345678", "Code128", MemberRef("card", "1234567812345678")),
    ("ana.lima@example.com", "QRCode", MemberRef("email", "ana.lima@example.com")),
    ("mailto:ana.lima@example.com", "QRCode", MemberRef("email", "ana.lima@example.com")),
    ("555-010-0001", None, MemberRef("phone", "5550100001")),
    ("tel:+1 (555) 010-0001", "QRCode", MemberRef("phone", "+15550100001")),
    ("https://loyalty.example.com/m/M100003", "QRCode", MemberRef("id", "M100003")),
    ("https://LOYALTY.example.com/join?member=M100004", "QRCode", MemberRef("id", "M100004")),
    ("WELCOME10", "QRCode", CodeRef("WELCOME10")),
    ("GC-1000-0001", "PDF417", CodeRef("GC-1000-0001")),
    ("SC-2000-0001", "Code128", CodeRef("SC-2000-0001")),
    ("2004242000017", "EAN13", ProductRef("2004242000017")),
    ("442420000039", "UPCA", ProductRef("0442420000039")),
    ("2004242000024", None, ProductRef("2004242000024")),
    (f"R:{ORDER}", "Code128", ReceiptRef(ORDER)),
    (ORDER, "Code128", ReceiptRef(ORDER)),
    ("R:T01-0190f5c4-7a1b-7c3d-8e9f-0a1b2c3d4e5f", "QRCode", ReceiptRef("T01-0190f5c4-7a1b-7c3d-8e9f-0a1b2c3d4e5f")),
    # A member who joined at a kiosk: "M-", the terminal, a ULID; not an order id.
    ("M-T01-01JDQ6Z4W8K3N5P7R9T1V3X5Z7", "QRCode", MemberRef("id", "M-T01-01JDQ6Z4W8K3N5P7R9T1V3X5Z7")),
    ("T01-01JDQ6Z4W8K3N5P7R9T1V3X5Z7", "Code128", ReceiptRef("T01-01JDQ6Z4W8K3N5P7R9T1V3X5Z7")),
    # Control and formatting characters go before anything else is looked at.
    ("M100001\r\n", None, MemberRef("id", "M100001")),
    ("\u202eM100001\x00", "QRCode", MemberRef("id", "M100001")),
])
def test_accepted_formats(text, symbology, expected):
    assert parse(text, symbology, LINKS) == expected


@pytest.mark.parametrize(("text", "symbology", "reason"), [
    ("", None, "empty"),
    ("\r\n\x00\u202e", None, "empty"),
    ("x" * 513, "QRCode", "too_long"),
    ("M100001<script>", "QRCode", "characters"),
    ("ＭＥＭＢＥＲ", "QRCode", "characters"),
    ("..", "QRCode", "unknown"),
    ("%2e%2e", "QRCode", "unknown"),
    ("../../admin", "QRCode", "unknown"),
    ("2004242000018", "EAN13", "unknown"),  # wrong check digit
    ("R:../T01", "Code128", "unknown"),
    ("R:T01-NOTAULID", "Code128", "unknown"),
    ("https://evil.example.com/m/M100003", "QRCode", "bad_link"),
    ("https://loyalty.example.com/m/%2e%2e", "QRCode", "bad_link"),
    ("https://loyalty.example.com/m/..%2fadmin", "QRCode", "bad_link"),
    ("https://loyalty.example.com@evil.example.com/m/M100003", "QRCode", "bad_link"),
    ("welcome to our store", "QRCode", "unknown"),
])
def test_refusals_say_why(text, symbology, reason):
    result = parse(text, symbology, LINKS)
    assert isinstance(result, Rejection)
    assert result.reason == reason
    assert result.message.endswith(".") and len(result.message) > 20


def test_a_link_is_refused_where_no_member_link_host_is_configured():
    result = parse("https://loyalty.example.com/m/M100003", "QRCode")
    assert result == Rejection(result.message, "not_accepted")
    assert "member links" in result.message


def test_a_store_can_turn_formats_off():
    formats = PayloadFormats(accept=frozenset({"member_id", "code"}))
    assert parse("M100001", "QRCode", formats) == MemberRef("id", "M100001")
    refused = parse("2004242000017", "EAN13", formats)
    assert isinstance(refused, Rejection) and refused.reason == "not_accepted"
    assert "Product barcodes" in refused.message
    assert parse("ana.lima@example.com", "QRCode", formats).reason == "not_accepted"


def test_formats_come_from_the_settings():
    settings = config.Settings(scanner={"member_id_pattern": "C[0-9]{8}", "accept": ["member_id"],
                                        "member_url_hosts": ["Shop.Example"]})
    formats = PayloadFormats.from_settings(settings.scanner)
    assert parse("C12345678", "QRCode", formats) == MemberRef("id", "C12345678")
    assert parse("M100001", "QRCode", formats).reason == "not_accepted"  # now just a code, and codes are off
    assert formats.member_url_hosts == ("shop.example",)


def test_a_broken_pattern_in_the_settings_is_a_clear_message(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[scanner]\nmember_id_pattern = "M[0-9"\n')
    with pytest.raises(config.ConfigError, match=r"scanner\.member_id_pattern.*regular expression"):
        config.load_settings(path)


def test_gtin_check_digits():
    assert gtin_valid("2004242000017") and gtin_valid("442420000039") and gtin_valid("96385074")
    assert not gtin_valid("2004242000018") and not gtin_valid("20042420000") and not gtin_valid("abc")


NASTY = ["..", ".", "%2e%2e", "%2E%2E/", "..%2f..%2f", "%252e%252e", "M100001/../x", "M100001\r\nSet-Cookie: a",
         "\x00", "M1000\x0001", "\u202eM100001", "\u202e1000010M", "R:..", "R:%2e%2e", "https://loyalty.example.com/m/..",
         "https://loyalty.example.com/m/%2e%2e", "https://loyalty.example.com/%2e%2e/M100001?member=..",
         "tel:..", "mailto:..@..", "..@example.com", "\ufeffWELCOME10", "WELCOME10\u200b", "a" * 3000]


def _nasty_examples(test):
    for text in NASTY:
        test = example(text=text, symbology="QRCode")(example(text=text, symbology=None)(test))
    return test


@pytest.mark.slow  # ten thousand examples
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=3000) | st.text(alphabet="M0123456789.%2eEfF/:@+-_R\r\n\x00\u202e", max_size=64),
       symbology=st.sampled_from([None, "QRCode", "Code128", "EAN13", "UPCA", "PDF417"]))
@example(text="", symbology=None)
@example(text="\r\n", symbology="QRCode")
@example(text="KP1~", symbology=None)  # a pass prefix with nothing signed after it
@example(text="x" * 3000, symbology="PDF417")
@_nasty_examples
def test_fuzz_never_raises_never_refuses_silently_never_escapes_a_segment(text, symbology):
    _check(parse(text, symbology, LINKS))


def _check(result):
    if isinstance(result, Rejection):
        assert result.message.strip() and result.reason
        return
    if isinstance(result, MemberRef):
        value, kind = result.value, "member"
    elif isinstance(result, CodeRef):
        value, kind = result.code, "code"
    elif isinstance(result, ReceiptRef):
        value, kind = result.order_id, "order"
    elif isinstance(result, RewardPassRef):
        # Only told apart here; the till's signature check turns anything unsigned away.
        assert result.text.startswith(PASS_PREFIX)
        with pytest.raises(passes.PassRefused):
            passes.read(result.text, b"k" * 32, datetime.now(timezone.utc))
        return
    else:
        assert isinstance(result, ProductRef) and len(result.gtin) == 13 and gtin_valid(result.gtin)
        return
    assert ids.check(kind, value) == value
    segment = ids.segment(kind, value)
    assert "/" not in segment and segment not in (".", "..") and "%2e" not in segment.lower()


@pytest.mark.parametrize("text", NASTY)
def test_nasty_inputs_one_by_one(text):
    _check(parse(text, "QRCode", LINKS))
    _check(parse(text, None, LINKS))
