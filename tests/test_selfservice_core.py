"""The self-service kiosk's core (kiosk/selfservice, and its parts in kiosk/app): reward passes
made at the kiosk and taken at the till, the guessing lock-out, and the masks of a shared
screen. The till and the kiosk run on the sandbox over loopback HTTP, as in test_app_core."""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest

from kiosk import config, formats
from kiosk.app.shopper import Shopper
from kiosk.app.work import Work
from kiosk.checkout.audit import AuditLog
from kiosk.outbox.store import open_database
from kiosk.sandbox import loyalty as sandbox_loyalty
from kiosk.scanner.events import read as read_scan
from kiosk.scanner.payload import DEFAULT, RewardPassRef, parse
from kiosk.selfservice import lockout, passes
from kiosk.selfservice.keys import key_path, pass_key
from kiosk.selfservice.lockout import GIFT_CARD, Lockouts
from kiosk.selfservice.privacy import mask_email, mask_phone
from tests.checkout_env import settings_for
from tests.helpers import set_faults, wait_for
from tests.test_app_core import COFFEE, a_shift, a_terminal

KEY = bytes(range(32))
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


# -- passes -------------------------------------------------------------------------------

def test_a_pass_reads_back_as_made_and_is_short_enough_for_a_small_qr():
    made = passes.make("M100003", "29660", KEY, NOW, HOUR)
    assert made.text.startswith(passes.PREFIX) and passes.looks_like_pass(made.text)
    assert len(made.text) <= 78  # QR version 5 at level M holds 84 bytes
    read = passes.read(made.text, KEY, NOW + timedelta(minutes=59))
    assert read == made and read.expires_at == NOW + HOUR and read.expires_at.tzinfo is not None
    assert passes.make("M100003", "29660", KEY, NOW, HOUR).pass_id != made.pass_id  # each pass its own id
    # The scanner tells it apart before any other kind, and an email-like member id still fits.
    assert parse(made.text) == RewardPassRef(made.text)
    other = passes.make("ana.lima+x@example.com", "R-1_2", KEY, NOW, HOUR)
    assert passes.read(other.text, KEY, NOW).member_id == "ana.lima+x@example.com"


def test_a_pass_with_any_byte_changed_or_the_wrong_key_is_refused():
    text = passes.make("M100003", "29660", KEY, NOW, HOUR).text
    for at in range(len(passes.PREFIX), len(text)):
        swapped = "0" if text[at] != "0" else "1"
        edited = text[:at] + swapped + text[at + 1:]
        with pytest.raises(passes.PassRefused, match="not made by this store"):
            passes.read(edited, KEY, NOW)
    with pytest.raises(passes.PassRefused, match="not made by this store"):
        passes.read(text, bytes(32), NOW)
    # The member's id edited to another's, with the MAC left as it was: refused too.
    with pytest.raises(passes.PassRefused):
        passes.read(text.replace("M100003", "M100004"), KEY, NOW)
    for malformed in ("KP1~", "KP1~M100003~29660", "KP1~~~~~", text + "~extra"):
        with pytest.raises(passes.PassRefused):
            passes.read(malformed, KEY, NOW)
    with pytest.raises(passes.PassRefused, match="not a reward QR"):
        passes.read("M100003", KEY, NOW)


def test_a_pass_is_refused_from_the_moment_it_expires():
    made = passes.make("M100003", "29660", KEY, NOW, HOUR)
    passes.read(made.text, KEY, NOW + HOUR - timedelta(seconds=1))
    for later in (NOW + HOUR, NOW + 2 * HOUR):
        with pytest.raises(passes.PassRefused, match="expired"):
            passes.read(made.text, KEY, later)


def test_the_pass_key_is_made_once_private_and_a_named_missing_key_is_an_error(tmp_path):
    settings = settings_for(tmp_path)
    settings.selfservice.pass_key_file = ""
    path = key_path(settings)
    path.unlink(missing_ok=True)
    key = pass_key(settings)
    assert len(key) == 32 and pass_key(settings) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    settings.selfservice.pass_key_file = str(tmp_path / "store.key")
    with pytest.raises(config.ConfigError, match="does not exist"):
        pass_key(settings)
    (tmp_path / "store.key").write_text("not hex")
    with pytest.raises(config.ConfigError, match="not hex"):
        pass_key(settings)
    (tmp_path / "store.key").write_text(KEY.hex())
    assert pass_key(settings) == KEY


# -- masks --------------------------------------------------------------------------------

def test_masks_show_only_enough_for_the_member_to_know_it():
    assert mask_email("ana@example.com") == "a•••@e•••.com"
    assert mask_email("chloe.martin@mail.example.co.uk") == "c•••@m•••.uk"
    assert mask_email("") == "•••" and mask_email("no-at-sign") == "•••"
    assert mask_phone("+15550001") == "•••• 0001"
    assert mask_phone("555-010-0003") == "•••• 0003"
    assert mask_phone("123") == "••••"
    for shown in (mask_email("ana.lima@example.com"), mask_phone("555-010-0001")):
        assert "lima" not in shown and "010" not in shown


# -- lock-outs ----------------------------------------------------------------------------

class Clock:
    def __init__(self, at: float = 1_800_000_000.0):
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_max_guesses_in_the_window_lock_the_entry_across_a_reopened_database(tmp_path):
    path, clock = tmp_path / "t.sqlite3", Clock()
    db = open_database(path)
    locks = Lockouts(db, clock, AuditLog(db, "T01", clock), max_guesses=5, window_s=300, lock_minutes=30,
                     operator_id="KIOSK-T01")
    for _ in range(4):
        assert locks.failed(GIFT_CARD) is None
        clock.at += 10
    clock.at += 300  # the first four are now older than the window: they no longer count
    for _ in range(4):
        assert locks.failed(GIFT_CARD) is None
    assert locks.locked_until(GIFT_CARD) is None
    until = locks.failed(GIFT_CARD)
    assert until == datetime.fromtimestamp(clock.at + 30 * 60, timezone.utc)
    assert locks.locked_until(GIFT_CARD) == until
    assert locks.locked_until(lockout.ONE_TIME_CODE) is None  # one entry's lock is its own
    assert locks.failed(GIFT_CARD) is None  # already locked: not counted again, the end does not move
    db.close()

    db = open_database(path)  # the app closed and started again
    audit = AuditLog(db, "T01", clock)
    locks = Lockouts(db, clock, audit, max_guesses=5, window_s=300, lock_minutes=30)
    assert locks.locked_until(GIFT_CARD) == until
    clock.at += 30 * 60
    assert locks.locked_until(GIFT_CARD) is None  # it opens by itself when the time is up
    entry, = audit.entries(action="entry_locked")
    assert entry.operator_id == "KIOSK-T01" and entry.subject == "entry gift_card"
    assert entry.detail["guesses"] == 5 and "wrong codes" in entry.detail["reason"]
    db.close()


def test_the_lock_sentence_says_when_the_entry_opens_again():
    until = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)
    text = lockout.locked_sentence(GIFT_CARD, until)
    assert formats.clock(until) in text and "Gift card" in text  # the store's way of writing a time


# -- at the kiosk -------------------------------------------------------------------------

def a_shopper(terminal):
    work = Work()
    said: list[str] = []
    work.failed.connect(said.append)
    return Shopper(terminal, work), said


async def test_wrong_gift_card_codes_lock_the_kiosk_until_a_manager_lifts_it_even_across_a_restart(
        sandbox, tmp_path):
    async with a_terminal(sandbox, tmp_path) as terminal:
        shopper, said = a_shopper(terminal)
        locked, cards = [], []
        shopper.locked.connect(lambda entry, until: locked.append((entry, until)))
        shopper.card_checked.connect(cards.append)
        for n in range(terminal.settings.selfservice.max_guesses):
            shopper.check_card(f"GC-9999-000{n}")
            await wait_for(lambda: len(said) == n + 1)
            assert shopper.busy is False
        assert "not a card this store knows" in said[0] and not locked[:-1]
        (entry, until), = locked
        assert entry == GIFT_CARD and until > datetime.now(timezone.utc) + timedelta(minutes=29)
        assert formats.clock(until) in said[-1] and "open again" in said[-1]

    async with a_terminal(sandbox, tmp_path) as terminal:  # the kiosk restarted
        shopper, said = a_shopper(terminal)
        cards = []
        shopper.card_checked.connect(cards.append)
        shopper.check_card("GC-1000-0002")  # a real card: while locked, not even tried
        await wait_for(lambda: said)
        assert "open again" in said[0] and cards == []

        shopper.lift_lock(GIFT_CARD, "M01")
        await wait_for(lambda: not shopper.busy and terminal.till.audit.entries(action="entry_unlocked"))
        set_faults(sandbox, latency_ms=300)
        shopper.check_card("GC-1000-0002")
        await asyncio.sleep(0.1)
        assert shopper.busy  # the idle reset waits for the visit's work
        await wait_for(lambda: cards)
        assert cards[0].balance == 20 and not shopper.busy
        set_faults(sandbox, latency_ms=0)
        locked_line, = terminal.till.audit.entries(action="entry_locked")
        lifted_line, = terminal.till.audit.entries(action="entry_unlocked")
        assert locked_line.operator_id == "KIOSK-T01" and lifted_line.operator_id == "M01"
        lines = terminal.till.audit.lines([locked_line, lifted_line])
        assert all("GC-9999" not in line for line in lines)  # the guessed codes are never written


async def test_the_shopper_sees_every_reward_with_its_cost_and_reason_and_gets_a_pass_for_one(sandbox, tmp_path):
    async with a_terminal(sandbox, tmp_path) as terminal:
        shopper, said = a_shopper(terminal)
        made = []
        shopper.pass_made.connect(made.append)
        shopper.choose("29660")
        assert "Scan your card first" in said[-1]
        shown = []
        shopper.shown.connect(shown.append)
        shopper.look_up("M100003")
        await wait_for(lambda: shown)
        choices = {c.reward.reward_id: c for c in shopper.rewards()}
        assert (choices["29660"].cost, choices["29660"].available, choices["29660"].reason) == (250, True, None)
        assert choices["29662"].available is False and "more points" in choices["29662"].reason
        shopper.choose("29662")
        assert "can't be chosen now" in said[-1] and "more points" in said[-1]
        shopper.choose("29660")
        await wait_for(lambda: made)
        key = pass_key(terminal.settings)
        read = passes.read(made[0].text, key, datetime.now(timezone.utc))
        assert (read.member_id, read.reward_id) == ("M100003", "29660") and shopper.reward_pass == made[0]
        minutes = terminal.settings.selfservice.pass_minutes
        assert read.expires_at - datetime.now(timezone.utc) <= timedelta(minutes=minutes)
        shopper.scanned(read_scan(made[0].text, "QRCODE", "camera", DEFAULT))  # shown to the kiosk's camera
        assert "at the till" in said[-1]
        shopper.end()
        assert shopper.reward_pass is None and shopper.rewards() == ()


# -- at the till --------------------------------------------------------------------------

async def a_pass(terminal, member_id: str, reward_id: str) -> passes.RewardPass:
    shopper, said = a_shopper(terminal)
    made = []
    shopper.pass_made.connect(made.append)
    shopper.look_up(member_id)
    await wait_for(lambda: shopper.member is not None)
    shopper.choose(reward_id)
    await wait_for(lambda: made or said)
    assert not said, said
    shopper.end()
    return made[0]


async def pay_cash(cashier) -> None:
    paid = []
    cashier.sale.paid.connect(lambda result, receipt: paid.append(result))
    cashier.sale.add_external("cash", "")
    cashier.sale.pay()
    await wait_for(lambda: paid, timeout=10)
    assert paid[0].ok, paid[0].message


async def test_a_pass_puts_its_reward_and_member_on_the_sale_once_and_is_refused_after_it_paid(sandbox, tmp_path):
    async with a_shift(sandbox, tmp_path) as (cashier, said):
        cashier.scans.take(cashier.sale.scanned)
        reward_pass = await a_pass(cashier.terminal, "M100003", "29660")
        cashier.scans.text(COFFEE)
        cashier.scans.text(COFFEE)
        await wait_for(lambda: sum(x.quantity for x in cashier.sale.session.cart.lines) == 2)
        cashier.scans.text(reward_pass.text)
        await wait_for(lambda: cashier.sale.session.rewards or said)
        assert not said, said
        session = cashier.sale.session
        assert session.member_id == "M100003" and [r.reward_id for r in session.rewards] == ["29660"]
        cashier.scans.text(reward_pass.text)  # scanned twice on one sale
        await wait_for(lambda: said)
        assert "already on this sale" in said[-1] and len(session.rewards) == 1
        used = cashier.sale.till_passes.used
        assert used.used(reward_pass.pass_id) is None  # on a sale, not yet paid with: nothing is spent
        before = sandbox_loyalty.get_points(sandbox.store, "M100003")["availablePoints"]
        await pay_cash(cashier)
        assert sandbox_loyalty.get_points(sandbox.store, "M100003")["availablePoints"] < before
        assert used.used(reward_pass.pass_id).sale_id == session.sale_id  # recorded with the sale's commit

        cashier.scans.text(COFFEE)
        await wait_for(lambda: not cashier.sale.session.cart.empty)
        said.clear()
        cashier.scans.text(reward_pass.text)
        await wait_for(lambda: said)
        assert "already used" in said[0] and session.sale_id in said[0]
        assert cashier.sale.session.rewards == [] and cashier.sale.session.member is None


async def test_a_pass_edited_expired_or_no_longer_usable_is_refused_with_the_reason(sandbox, tmp_path):
    async with a_shift(sandbox, tmp_path) as (cashier, said):
        cashier.scans.take(cashier.sale.scanned)
        cashier.scans.text(COFFEE)
        cashier.scans.text(COFFEE)
        cashier.scans.text(COFFEE)
        await wait_for(lambda: sum(x.quantity for x in cashier.sale.session.cart.lines) == 3)
        reward_pass = await a_pass(cashier.terminal, "M100003", "29661")
        key = pass_key(cashier.terminal.settings)

        edited = reward_pass.text.replace("~29661~", "~29662~")
        cashier.scans.text(edited)
        await wait_for(lambda: said)
        assert "not made by this store" in said[-1]

        old = passes.make("M100003", "29661", key, datetime.now(timezone.utc) - 2 * HOUR, HOUR)
        cashier.scans.text(old.text)
        await wait_for(lambda: len(said) == 2)
        assert "expired" in said[-1]
        # The till's clock is the one a pass is checked against: a pass read an hour on is expired.
        cashier.sale.till_passes.clock = lambda: (datetime.now(timezone.utc) + 2 * HOUR).timestamp()
        cashier.scans.text(reward_pass.text)
        await wait_for(lambda: len(said) == 3)
        assert "expired" in said[-1]
        cashier.sale.till_passes.clock = lambda: datetime.now(timezone.utc).timestamp()

        # Chloé spends 400 of her 640 points elsewhere: the 500-point reward is no longer hers to use.
        sandbox_loyalty.post_points(sandbox.store, {"id": "M100003", "activity": "DEBIT", "debit": 400,
                                                    "actionId": "100", "customId": "elsewhere-1"})
        cashier.scans.text(reward_pass.text)
        await wait_for(lambda: len(said) == 4)
        assert "can't be used now" in said[-1] and "more points" in said[-1]
        session = cashier.sale.session
        assert session.rewards == [] and session.member is None


async def test_a_pass_on_a_voided_sale_stays_good_and_another_member_on_the_sale_is_asked_about(sandbox, tmp_path):
    async with a_shift(sandbox, tmp_path, agrees=False) as (cashier, said):
        cashier.scans.take(cashier.sale.scanned)
        reward_pass = await a_pass(cashier.terminal, "M100003", "29660")
        cashier.scans.text(COFFEE)
        cashier.scans.text(COFFEE)
        cashier.scans.text(reward_pass.text)
        await wait_for(lambda: cashier.sale.session.rewards)
        voided = []
        cashier.sale.voided.connect(lambda: voided.append(True))
        cashier.void()
        await wait_for(lambda: voided)

        cashier.scans.text(COFFEE)
        cashier.scans.text(COFFEE)
        cashier.scans.text("M100002")  # Ben is on this sale
        await wait_for(lambda: cashier.sale.session.member_id == "M100002"
                       and sum(x.quantity for x in cashier.sale.session.cart.lines) == 2)
        cashier.scans.text(reward_pass.text)
        await wait_for(lambda: any(a[0] == "confirm" and "Replace" in a[1] for a in cashier.people.asked))
        await asyncio.sleep(0.3)  # the cashier said keep Ben: nothing more is to come of that scan
        assert cashier.sale.session.member_id == "M100002" and cashier.sale.session.rewards == []
        cashier.people.agrees = True
        cashier.scans.text(reward_pass.text)  # the voided sale did not use it up
        await wait_for(lambda: cashier.sale.session.rewards)
        assert cashier.sale.session.member_id == "M100003"
        assert [(r.reward_id, r.pass_id) for r in cashier.sale.session.rewards] == [("29660", reward_pass.pass_id)]
        assert not [s for s in said if "QR" in s]


async def test_a_member_card_or_reward_qr_entered_as_a_card_code_is_read_as_what_it_is(sandbox, tmp_path):
    async with a_terminal(sandbox, tmp_path) as terminal:
        shopper, said = a_shopper(terminal)
        shown, cards = [], []
        shopper.shown.connect(shown.append)
        shopper.card_checked.connect(cards.append)
        shopper.card_entered("M100003")
        await wait_for(lambda: shown)
        assert shown[0].member.first_name == "Chloé" and said == []
        key = pass_key(terminal.settings)
        made = passes.make("M100003", "R1", key, datetime.now(timezone.utc), timedelta(minutes=5))
        shopper.card_entered(made.text)
        await wait_for(lambda: said)
        assert "reward QR" in said[0] and "show it at the till" in said[0]
        shopper.card_entered("GC-1000-0002")
        await wait_for(lambda: cards)
        assert cards[0].balance == 20
        assert shopper.lockouts.locked_until(GIFT_CARD) is None
