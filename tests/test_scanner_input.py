"""Frame agreement and debounce; telling a hand scanner's burst from a person typing."""

from __future__ import annotations

import random

import pytest

from kiosk.scanner.acceptor import Acceptor
from kiosk.scanner.decoders import Symbol
from kiosk.scanner.wedge import WedgeDetector, WedgeOutput

CARD = Symbol("M100001", "Code128")  # a linear code: two frames must agree
MISREAD = Symbol("2004242000024", "EAN13")
QR_CARD = Symbol("M100001", "QRCode")
GIFT_CARD = Symbol("GC-1000-0002", "PDF417")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_code_counts_once_two_frames_in_a_row_agree():
    clock = Clock()
    acceptor = Acceptor(agree=2, debounce_s=3, clock=clock)
    assert acceptor.offer([CARD]) == []
    clock.now += 0.07
    assert acceptor.offer([CARD]) == [CARD]


def test_a_one_frame_misread_is_never_accepted():
    clock = Clock()
    acceptor = Acceptor(agree=2, clock=clock)
    for frame in ([MISREAD], [], [MISREAD], [CARD], [MISREAD]):
        clock.now += 0.07
        assert acceptor.offer(frame) == []


def test_a_card_held_up_is_one_scan_and_counts_again_after_the_quiet_time():
    clock = Clock()
    acceptor = Acceptor(agree=2, debounce_s=3, clock=clock)
    accepted = []
    for _ in range(150):  # ten seconds in front of a 15 fps camera
        clock.now += 1 / 15
        accepted += acceptor.offer([CARD])
    assert accepted == [CARD]
    acceptor.offer([])
    clock.now += 2.0  # taken away, shown again too soon: still quiet
    assert acceptor.offer([CARD]) == [] and acceptor.offer([CARD]) == []
    acceptor.offer([])
    clock.now += 3.5  # away for longer than debounce_s
    assert acceptor.offer([CARD]) == []
    clock.now += 0.07
    assert acceptor.offer([CARD]) == [CARD]


def test_an_error_corrected_code_is_taken_on_its_first_frame():
    clock = Clock()
    acceptor = Acceptor(agree=2, debounce_s=3, clock=clock)
    assert acceptor.offer([QR_CARD, GIFT_CARD, MISREAD]) == [QR_CARD, GIFT_CARD]  # the EAN still waits
    clock.now += 0.03
    assert acceptor.offer([QR_CARD, GIFT_CARD, MISREAD]) == [MISREAD]  # debounced; the EAN agreed


def test_a_store_can_have_2d_codes_confirmed_twice_too():
    acceptor = Acceptor(agree=2, agree_2d=2, clock=Clock())
    assert acceptor.offer([QR_CARD]) == []
    assert acceptor.offer([QR_CARD]) == [QR_CARD]
    with pytest.raises(ValueError):
        Acceptor(agree_2d=0)


def _type(detector, keys, start, gap):
    """Feed keys at a fixed gap; returns (scans, released text, end time)."""
    scans, released, t = [], "", start
    for key in keys:
        out = detector.feed(key, t)
        released += out.release
        if out.scan:
            scans.append(out.scan)
        t += gap
    released += detector.flush(t + 1).release
    return scans, released, t


def test_a_scanner_burst_with_enter_is_a_scan_and_nothing_reaches_the_widget():
    scans, released, _ = _type(WedgeDetector(), "M100001\n", 0.0, 0.004)
    assert scans == ["M100001"] and released == ""


def test_a_person_typing_goes_through_unchanged():
    scans, released, _ = _type(WedgeDetector(), "M100001\n", 0.0, 0.180)
    assert scans == [] and released == "M100001\n"


def test_a_quick_typist_with_random_gaps_is_never_taken_for_a_scanner():
    rng = random.Random(5)
    detector = WedgeDetector(max_gap_s=0.050, min_length=4)
    t, released, text = 0.0, "", "the quick brown fox 12345\n"
    for key in text:
        # Fast typists: 60-250 ms between keys, and now and then a 30 ms roll of two keys.
        t += rng.choice([rng.uniform(0.060, 0.250), 0.030])
        out = detector.feed(key, t)
        assert out.scan is None
        released += out.release
    released += detector.flush(t + 1).release
    assert released == text


def test_a_burst_too_short_is_typing_and_enter_goes_through():
    scans, released, _ = _type(WedgeDetector(min_length=4), "ab\n", 0.0, 0.005)
    assert scans == [] and released == "ab\n"


def test_a_pause_inside_a_burst_hands_the_first_part_back():
    detector = WedgeDetector()
    for i, key in enumerate("M100"):
        assert detector.feed(key, i * 0.005) == WedgeOutput()
    out = detector.feed("0", 0.5)  # half a second later: that was a person
    assert out.release == "M100" and out.scan is None
    assert detector.holding


def test_flush_releases_a_lone_key_after_the_gap_only():
    detector = WedgeDetector(max_gap_s=0.05)
    detector.feed("x", 10.0)
    assert detector.flush(10.03).release == ""
    assert detector.flush(10.06).release == "x"
    assert not detector.holding


def test_two_scans_back_to_back():
    detector = WedgeDetector()
    scans, _, t = _type(detector, "WELCOME10\n", 0.0, 0.003)
    more, released, _ = _type(detector, "GC-1000-0001\r", t + 0.4, 0.003)
    assert scans + more == ["WELCOME10", "GC-1000-0001"] and released == ""


@pytest.mark.parametrize("kwargs", [{"max_gap_s": 0}, {"min_length": 0}])
def test_nonsense_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        WedgeDetector(**kwargs)


def test_a_tab_suffix_ends_a_scan_and_enter_then_does_not():
    detector = WedgeDetector(suffix="tab")
    scans, released, _ = _type(detector, "GC-1000-0002\t", 0.0, 0.004)
    assert scans == ["GC-1000-0002"] and released == ""
    scans, released, _ = _type(detector, "GC-1000-0002\n", 10.0, 0.004)
    assert scans == [] and released == "GC-1000-0002\n"  # Enter is a key like any other here


def test_any_suffix_takes_cr_lf_and_tab():
    detector = WedgeDetector(suffix="any")
    for n, end in enumerate("\r\n\t"):
        scans, _, _ = _type(detector, "WELCOME10" + end, n * 10.0, 0.004)
        assert scans == ["WELCOME10"]


def test_a_prefix_is_stripped_when_present_and_not_needed():
    detector = WedgeDetector(prefix="]C1")
    scans, _, t = _type(detector, "]C1GC-1000-0002\n", 0.0, 0.004)
    more, _, _ = _type(detector, "GC-1000-0002\n", t + 1, 0.004)
    assert scans + more == ["GC-1000-0002", "GC-1000-0002"]
    # A prefix alone, or one with too short a code after it, is typing.
    scans, released, _ = _type(detector, "]C1ab\n", 20.0, 0.004)
    assert scans == [] and released == "]C1ab\n"


@pytest.mark.parametrize("kwargs", [{"suffix": "space"}, {"prefix": "\t"}])
def test_a_suffix_or_prefix_that_cannot_work_is_refused(kwargs):
    from kiosk import config

    with pytest.raises(ValueError):
        WedgeDetector(**kwargs)
    scanner = {("wedge_" + k): v for k, v in kwargs.items()}
    with pytest.raises(ValueError):
        config.Settings(scanner=scanner)
