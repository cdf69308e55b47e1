"""Finding a member at the kiosk by email and a one-time code (selfservice.lookup_by_contact):
the codes' rules on a clock the test moves, the mail the kiosk really sends to a real SMTP server
on loopback (aiosmtpd), and the shopper's whole look-up against the sandbox. The screen's answer
must not tell a member's address from anyone else's."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from pydantic import ValidationError

from kiosk import config
from kiosk.app.shopper import Shopper
from kiosk.app.work import Work
from kiosk.selfservice import codes, lockout
from kiosk.selfservice.codes import OneTimeCodes
from kiosk.selfservice.mail import MailError, send_code
from tests.checkout_env import settings_for
from tests.helpers import wait_for
from tests.test_app_core import a_terminal

CHLOE = "chloe.martin@example.com"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


# -- the codes' rules -----------------------------------------------------------------------

def test_a_code_is_six_digits_works_once_and_only_for_its_address():
    clock = Clock()
    desk = OneTimeCodes(10, clock)
    code = desk.issue(CHLOE, "M100003")
    assert re.fullmatch(r"\d{6}", code)
    assert desk.check("ben.okafor@example.com", code) is None  # another address: never sent
    assert desk.check(CHLOE.upper(), code) == "M100003"  # an address is one address whatever its case
    assert desk.check(CHLOE, code) is None  # spent


def test_a_code_expires_and_allows_five_tries():
    clock = Clock()
    desk = OneTimeCodes(10, clock)
    code = desk.issue(CHLOE, "M100003")
    clock.now += 10 * 60
    assert desk.check(CHLOE, code) is None
    clock.now += codes.RESEND_S
    code = desk.issue(CHLOE, "M100003")
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for _ in range(codes.MAX_ATTEMPTS):
        assert desk.check(CHLOE, wrong) is None
    assert desk.check(CHLOE, code) is None  # tried enough: even the right code no longer opens it


def test_an_address_no_member_has_never_opens_and_counts_like_a_members():
    clock = Clock()
    desk = OneTimeCodes(10, clock)
    assert desk.issue("nobody@example.com", None) is None
    assert all(desk.check("nobody@example.com", f"{n:06d}") is None for n in range(3))
    with pytest.raises(codes.TooSoon):  # the resend wait is the same as for a member
        desk.issue("nobody@example.com", None)


def test_a_new_code_waits_a_minute_and_the_kiosk_asks_for_at_most_twenty_an_hour():
    clock = Clock()
    desk = OneTimeCodes(10, clock)
    desk.issue(CHLOE, "M100003")
    clock.now += codes.RESEND_S - 1
    with pytest.raises(codes.TooSoon) as wait:
        desk.room(CHLOE)
    assert wait.value.wait_s == pytest.approx(1)
    clock.now += 1
    desk.room(CHLOE)
    for n in range(codes.MAX_PER_HOUR - 1):
        desk.issue(f"shopper{n}@example.com", None)
    with pytest.raises(codes.Paused):
        desk.issue("one.more@example.com", None)
    clock.now += 3600
    desk.issue("one.more@example.com", None)


def test_only_something_shaped_like_an_address_is_looked_up():
    assert codes.normal_email("  Ana.Lima@Example.com ") == "Ana.Lima@Example.com"
    for bad in ("", "ana", "ana@", "@example.com", "ana@example", "ana lima@example.com", "a@b@c.com",
                "x" * 250 + "@example.com"):
        assert codes.normal_email(bad) is None, bad


def test_the_look_up_needs_a_mail_server_and_never_sends_codes_in_clear_across_the_network():
    with pytest.raises(ValidationError, match="needs the store's mail server"):
        config.SelfServiceSettings(lookup_by_contact=True)
    with pytest.raises(ValidationError, match="in clear"):
        config.MailSettings(host="mail.example.com", security="none")
    with pytest.raises(ValidationError, match="password_file"):
        config.MailSettings(host="mail.example.com", username="kiosk")
    config.SelfServiceSettings(lookup_by_contact=True,
                               mail=config.MailSettings(host="localhost", security="none", sender="k@example.com"))
    assert config.SelfServiceSettings().lookup_by_contact is False  # off unless the store turns it on


# -- a real mail server ---------------------------------------------------------------------

class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.mails.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def code_for(self, address: str) -> str:
        (to, mail), = [m for m in self.mails if address in m[0]]
        return re.search(r"Your code is (\d{6})", mail.get_content()).group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port
    try:
        yield box
    finally:
        controller.stop()


def mail_settings(port: int, **extra) -> config.MailSettings:
    return config.MailSettings(host="127.0.0.1", port=port, security="none", sender="kiosk@shop.example", **extra)


def test_the_code_goes_to_the_address_with_the_store_and_the_minutes(inbox):
    send_code(mail_settings(inbox.port), CHLOE, "123456", "Corner Shop", 10)
    (to, mail), = inbox.mails
    assert to == [CHLOE] and mail["From"] == "kiosk@shop.example"
    assert "123456" in mail["Subject"] and "Corner Shop" in mail["Subject"]
    body = mail.get_content()
    assert "Your code is 123456" in body and "10 minutes" in body and "ignore this email" in body


def test_a_mail_server_that_is_down_or_a_password_file_that_is_missing_is_a_mail_error(tmp_path):
    with pytest.raises(MailError, match="can't be reached"):
        send_code(mail_settings(_free_port(), timeout_s=2), CHLOE, "123456")
    with pytest.raises(MailError, match="password file"):
        send_code(mail_settings(_free_port(), username="kiosk", password_file=str(tmp_path / "none")),
                  CHLOE, "123456")


# -- the shopper's look-up, on the sandbox --------------------------------------------------

def a_shopper(terminal, desk):
    work = Work()
    said: list[str] = []
    work.failed.connect(said.append)
    shopper = Shopper(terminal, work, codes=desk)
    heard = {"sent": [], "shown": [], "locked": []}
    shopper.code_sent.connect(heard["sent"].append)
    shopper.shown.connect(heard["shown"].append)
    shopper.locked.connect(lambda entry, until: heard["locked"].append((entry, until)))
    return shopper, said, heard


def with_mail(terminal, port):
    s = terminal.settings.selfservice
    s.lookup_by_contact = True
    s.mail = mail_settings(port)
    terminal.settings.store.name = "Corner Shop"


async def test_a_member_finds_themselves_by_the_code_mailed_to_them(sandbox, tmp_path, inbox, caplog):
    caplog.set_level(logging.DEBUG)
    async with a_terminal(sandbox, tmp_path) as terminal:
        with_mail(terminal, inbox.port)
        shopper, said, heard = a_shopper(terminal, OneTimeCodes(10))
        shopper.by_email.ask(f"  {CHLOE} ")
        await wait_for(lambda: heard["sent"] and inbox.mails)
        assert heard["sent"] == ["c•••@e•••.com"] and said == []
        code = inbox.code_for(CHLOE)
        wrong = f"{(int(code) + 1) % 10 ** 6:06d}"

        shopper.by_email.enter(wrong)
        await wait_for(lambda: said)
        assert said == [codes_wrong()] and heard["shown"] == []
        shopper.by_email.enter(code)
        await wait_for(lambda: heard["shown"])
        view, = heard["shown"]
        assert view.member_id == "M100003" and shopper.greeting == "Welcome back, Chloé"
        assert shopper.by_email.email is None  # the address went once it served
        ours = "".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))  # not the server's
        everything_logged = ours + "".join(terminal.till.audit.lines(terminal.till.audit.entries()))
        assert code not in everything_logged and CHLOE not in everything_logged


async def test_an_address_no_member_has_gets_the_same_answer_and_no_mail(sandbox, tmp_path, inbox):
    async with a_terminal(sandbox, tmp_path) as terminal:
        with_mail(terminal, inbox.port)
        shopper, said, heard = a_shopper(terminal, OneTimeCodes(10))
        shopper.by_email.ask("cindy.marsh@example.com")  # masks as a member's would: c•••@e•••.com
        await wait_for(lambda: heard["sent"])
        assert heard["sent"] == ["c•••@e•••.com"] and said == []
        shopper.by_email.enter("000000")
        await wait_for(lambda: said)
        assert said == [codes_wrong()] and heard["shown"] == [] and inbox.mails == []


async def test_wrong_codes_lock_the_kiosks_one_time_codes_and_a_typo_costs_no_code(sandbox, tmp_path, inbox):
    async with a_terminal(sandbox, tmp_path) as terminal:
        with_mail(terminal, inbox.port)
        desk = OneTimeCodes(10)
        shopper, said, heard = a_shopper(terminal, desk)
        shopper.by_email.ask("chloe.martin@example")  # no dot in the domain: not sent, not counted
        assert said == ["That doesn't look like an email address. Check it and try again."]
        shopper.by_email.ask(CHLOE)
        await wait_for(lambda: inbox.mails)
        right = inbox.code_for(CHLOE)
        for n in range(terminal.settings.selfservice.max_guesses):
            shopper.by_email.enter("99999" + str(n) if "99999" + str(n) != right else "888888")
            await wait_for(lambda: len(said) == n + 2)
        (entry, until), = heard["locked"]
        assert entry == lockout.ONE_TIME_CODE and until > datetime.now(timezone.utc) + timedelta(minutes=29)
        assert "open again" in said[-1]
        shopper.by_email.enter(right)  # locked: not even tried
        await wait_for(lambda: len(said) == 7)
        assert "open again" in said[-1] and heard["shown"] == []
        line, = terminal.till.audit.entries(action="entry_locked")
        assert line.operator_id == "KIOSK-T01"

        shopper.by_email.ask(CHLOE)  # a new code while locked: refused before any look-up or mail
        await wait_for(lambda: len(said) == 8)
        assert "open again" in said[-1] and len(inbox.mails) == 1


async def test_the_resend_wait_and_the_end_of_the_visit(sandbox, tmp_path, inbox):
    async with a_terminal(sandbox, tmp_path) as terminal:
        with_mail(terminal, inbox.port)
        desk = OneTimeCodes(10)
        shopper, said, heard = a_shopper(terminal, desk)
        shopper.by_email.ask(CHLOE)
        await wait_for(lambda: inbox.mails)
        code = inbox.code_for(CHLOE)
        shopper.by_email.ask(CHLOE)
        await wait_for(lambda: said)
        assert said[-1].startswith("We've just sent a code for that address") and len(inbox.mails) == 1
        shopper.end()  # the shopper walked away: the next one can't use that code
        nxt, said2, heard2 = a_shopper(terminal, desk)
        nxt.by_email.enter(code)
        assert said2 == ["Type your email first, and we'll send you a code."]
        nxt.by_email.ask(CHLOE)  # and the wait outlasts the visit, against flooding a mailbox
        await wait_for(lambda: said2[1:])
        assert said2[-1].startswith("We've just sent a code") and heard2["shown"] == []


def codes_wrong() -> str:
    from kiosk.app.email_lookup import WRONG
    return WRONG


def test_the_settings_file_turns_it_on(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[selfservice]\nlookup_by_contact = true\n[selfservice.mail]\nhost = "mail.shop.example"\n'
                    'sender = "kiosk@shop.example"\n')
    settings = config.load_settings(path)
    assert settings.selfservice.lookup_by_contact and settings.selfservice.mail.security == "starttls"
    assert settings_for(tmp_path).selfservice.lookup_by_contact is False


def test_kiosk_doctor_checks_the_mail_server_only_when_the_look_up_is_on(tmp_path, inbox):
    from kiosk.ops.doctor import FAIL, OK, Context
    from kiosk.selfservice.doctor import _mail

    settings = settings_for(tmp_path)
    off = _mail(Context(settings))
    assert off.state == OK and "off" in off.message
    settings.selfservice.lookup_by_contact = True
    settings.selfservice.mail = mail_settings(inbox.port)
    up = _mail(Context(settings))
    assert up.state == OK and f"127.0.0.1:{inbox.port}" in up.message and inbox.mails == []  # nothing sent
    settings.selfservice.mail = mail_settings(_free_port(), timeout_s=2)
    down = _mail(Context(settings))
    assert down.state == FAIL and "can't be reached" in down.message and "lookup_by_contact = false" in down.fix
