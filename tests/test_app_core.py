"""The application layer without a screen (kiosk/app): a real till on the sandbox over
loopback HTTP, scans from each source taking one route, the cashier's sale flow with a
scripted person answering, the queue's transactions and a shopper's visit. No Qt is
loaded here (tests/test_project.py checks that in a process of its own)."""

from __future__ import annotations

import asyncio
import contextlib
import threading


from kiosk.app.cashier import Cashier
from kiosk.app.queue import read, send_again, settle_held
from kiosk.app.shopper import Shopper
from kiosk.app.terminal import Terminal
from kiosk.app.work import BUG_MESSAGE, Work
from kiosk.checkout import till as tills
from kiosk.connect import Connection
from kiosk.events import EventHub
from kiosk.outbox import ops
from kiosk.sandbox import loyalty as sandbox_loyalty
from kiosk.scanner.events import Scanned, read as read_scan
from kiosk.scanner.payload import DEFAULT
from tests import annex_ops
from tests.checkout_env import CASHIER, approve, settings_for
from tests.helpers import client_for, set_faults, wait_for

COFFEE = "2004242000017"  # COF-001 House Blend Coffee Beans 250 g, 7.99


class Person:
    """Answers as scripted, and remembers what was asked."""

    def __init__(self, till, *, approves: bool = True, agrees: bool = True):
        self.till, self.approves, self.agrees = till, approves, agrees
        self.asked: list[tuple] = []

    async def ask_approval(self, action, subject, details=()):
        self.asked.append((action, subject, tuple(details)))
        return await asyncio.to_thread(approve, self.till, action, subject) if self.approves else None

    async def confirm(self, question, yes, no):
        self.asked.append(("confirm", question, yes, no))
        return self.agrees


@contextlib.asynccontextmanager
async def a_terminal(sandbox, folder):
    hub = EventHub()
    client = client_for(sandbox, attempt_timeout=2.0)
    settings = settings_for(folder)
    till = tills.build(settings, client, site_id=sandbox.store.site.site_id, hub=hub, demo=True)
    terminal = Terminal(settings, hub, Connection(client, None), till)
    terminal.notices = await till.start()
    try:
        yield terminal
    finally:
        await terminal.stop()


@contextlib.asynccontextmanager
async def a_shift(sandbox, folder, **answers):
    async with a_terminal(sandbox, folder) as terminal:
        work = Work()
        said: list[str] = []
        work.failed.connect(said.append)
        cashier = Cashier(work, terminal.hub)
        cashier.people = Person(terminal.till, **answers)
        cashier.attach(terminal)
        operator = await asyncio.to_thread(terminal.till.operators.sign_in, *CASHIER)
        cashier.signed_in(operator)
        try:
            yield cashier, said
        finally:
            await work.cancel_all()
            cashier.close()


async def test_every_source_takes_one_route_and_each_scan_is_parsed_and_heard_once(sandbox, tmp_path):
    async with a_shift(sandbox, tmp_path) as (cashier, said):
        heard: list[Scanned] = []
        cashier.hub.subscribe(Scanned, heard.append)
        taken_on: list[int] = []
        cashier.scans.take(lambda event: (taken_on.append(threading.get_ident()), cashier.sale.scanned(event)))

        cashier.scans.text("M100003")  # a hand scanner's text, from the screen's thread
        # The camera and a serial scanner publish from their own threads.
        camera = threading.Thread(target=cashier.hub.publish, args=(read_scan(COFFEE, "EAN13", "camera", DEFAULT),))
        camera.start()
        camera.join()
        serial = threading.Thread(target=cashier.hub.publish, args=(read_scan(COFFEE, None, "serial", DEFAULT),))
        serial.start()
        serial.join()

        session = cashier.sale.session
        await wait_for(lambda: session.member_id == "M100003" and sum(x.quantity for x in session.cart.lines) == 2)
        assert [e.origin for e in heard] == ["wedge", "camera", "serial"]
        assert taken_on == [threading.get_ident()] * 3  # every scan reached the sale on the loop's thread
        assert said == []


async def test_a_scan_while_a_question_is_open_is_not_taken_and_says_why(sandbox, tmp_path):
    async with a_shift(sandbox, tmp_path) as (cashier, said):
        question = ["Answer the question first."]
        cashier.hold_scans_while(lambda: question[0])
        cashier.scans.text(COFFEE)
        await asyncio.sleep(0.3)
        assert cashier.sale.session.cart.empty and said == ["Answer the question first."]
        question[0] = None
        cashier.scans.text(COFFEE)
        await wait_for(lambda: not cashier.sale.session.cart.empty)


async def test_a_rejected_scan_is_a_sentence_and_changes_nothing(sandbox, tmp_path):
    async with a_shift(sandbox, tmp_path) as (cashier, said):
        cashier.scans.text("\x1b[31mM100003")  # a control character: not a code
        await wait_for(lambda: said)
        assert cashier.sale.session.member is None and cashier.sale.session.cart.empty
        assert said[0] and "\x1b" not in said[0]


async def test_void_waits_for_a_manager_and_a_refusal_keeps_the_sale(sandbox, tmp_path):
    async with a_shift(sandbox, tmp_path, approves=False) as (cashier, said):
        cashier.scans.text(COFFEE)
        await wait_for(lambda: not cashier.sale.session.cart.empty)
        session = cashier.sale.session
        cashier.void()
        await wait_for(lambda: cashier.people.asked)
        await asyncio.sleep(0.2)
        action, subject, details = cashier.people.asked[0]
        assert (action, subject) == ("void", session.sale_id)
        assert any("House Blend" in line for line in details)  # the manager reads what is voided
        assert cashier.sale.session is session and not session.cart.empty

        voided = []
        cashier.sale.voided.connect(lambda: voided.append(True))
        cashier.people.approves = True
        cashier.void()
        await wait_for(lambda: voided)
        assert cashier.sale.session is not session and cashier.sale.session.cart.empty


async def test_another_member_scanned_replaces_the_first_only_when_the_cashier_says_so(sandbox, tmp_path):
    async with a_shift(sandbox, tmp_path, agrees=False) as (cashier, said):
        cashier.scans.text("M100003")
        await wait_for(lambda: cashier.sale.session.member_id == "M100003")
        cashier.scans.text("M100002")
        await wait_for(lambda: any(a[0] == "confirm" for a in cashier.people.asked))
        await asyncio.sleep(0.2)
        assert cashier.sale.session.member_id == "M100003"
        cashier.people.agrees = True
        cashier.scans.text("M100002")
        await wait_for(lambda: cashier.sale.session.member_id == "M100002")


async def test_signing_out_with_lines_is_refused_and_an_empty_sale_signs_out(sandbox, tmp_path):
    async with a_shift(sandbox, tmp_path) as (cashier, said):
        cashier.scans.text(COFFEE)
        await wait_for(lambda: not cashier.sale.session.cart.empty)
        assert "Finish or void" in cashier.sign_out()
        assert cashier.operator is not None
        cashier.void()
        await wait_for(lambda: cashier.sale.session.cart.empty)
        assert cashier.sign_out() is None and cashier.operator is None
        cashier.scans.text(COFFEE)  # nobody signed in: the scan goes nowhere
        await asyncio.sleep(0.3)
        assert cashier.sale.session.cart.empty


async def test_price_change_needs_a_typed_price_then_a_manager(sandbox, tmp_path):
    async with a_shift(sandbox, tmp_path) as (cashier, said):
        cashier.scans.text(COFFEE)
        await wait_for(lambda: not cashier.sale.session.cart.empty)
        line = cashier.sale.session.cart.lines[0]
        cashier.override_price(line.line_id, "")
        cashier.override_price(line.line_id, "abc")
        assert said[0].startswith("Type the new price") and len(said) == 2
        done = []
        cashier.override_price(line.line_id, "5,00", on_done=lambda: done.append(True))
        await wait_for(lambda: cashier.sale.session.cart.lines[0].unit_cents == 500)
        assert done == [True] and cashier.people.asked[0][0] == "price_override"


async def test_a_dead_letter_is_sent_again_only_with_an_approval(sandbox, tmp_path):
    async with a_terminal(sandbox, tmp_path) as terminal:
        till = terminal.till
        op_id, = till.outbox.enqueue([annex_ops.award_points("M999999", 5, ops.new_key("T01"), "goodwill")])
        till.engine.wake()
        await wait_for(lambda: till.outbox.get(op_id)["state"] == "dead", timeout=10)
        view = await asyncio.to_thread(read, till)
        assert [x.op_id for x in view.letters] == [op_id] and "M999999" not in view.letters[0].reason

        nobody = Person(till, approves=False)
        assert await send_again(till, nobody.ask_approval, op_id, ["Send it again"]) is None
        assert till.outbox.get(op_id)["state"] == "dead"

        sandbox_loyalty.enrol(sandbox.store, {"id": "M999999", "email": "late.member@example.com"})
        manager = Person(till)
        assert await send_again(till, manager.ask_approval, op_id, ["Send it again"]) is True
        await wait_for(lambda: till.outbox.get(op_id)["state"] == "done", timeout=10)
        assert await send_again(till, manager.ask_approval, op_id, ["Send it again"]) is False
        audit = till.db.read("SELECT * FROM audit_log WHERE action='retry_dead_letter'")
        assert len(audit) == 1 and audit[0]["approver_id"] == "M01"
        # Settling is for held writes only: a done one is not touched.
        assert await settle_held(till, manager.ask_approval, op_id, True, ["It went through"]) == ""


async def test_a_shopper_sees_the_first_name_a_card_balance_and_nothing_after_the_visit(sandbox, tmp_path):
    async with a_terminal(sandbox, tmp_path) as terminal:
        work = Work()
        said: list[str] = []
        work.failed.connect(said.append)
        shopper = Shopper(terminal, work)
        assert shopper.operator_id == "KIOSK-T01"
        shown, cards = [], []
        shopper.shown.connect(shown.append)
        shopper.card_checked.connect(cards.append)

        shopper.scanned(read_scan("M100002", None, "camera", DEFAULT))
        await wait_for(lambda: shown)
        assert shopper.greeting == "Welcome back, Ben" and "Silver" not in shopper.greeting
        shopper.scanned(read_scan("GC-1000-0002", None, "wedge", DEFAULT))
        await wait_for(lambda: cards)
        assert cards[0].balance == 20 and "1000-0002" not in cards[0].shown_code
        shopper.scanned(read_scan(COFFEE, "EAN13", "camera", DEFAULT))
        assert "at the till" in said[-1]

        # A look-up still under way when the visit ends never shows.
        set_faults(sandbox, latency_ms=400)
        shopper.end()
        assert shopper.member is None and shopper.card is None
        shopper.look_up("M100003")
        shopper.end()
        await asyncio.sleep(1.5)
        assert len(shown) == 1 and shopper.member is None


async def test_work_replaces_by_name_shows_busy_late_and_tells_a_bug_plainly():
    work = Work()
    busy, said, got = [], [], []
    work.busy.connect(lambda name, on: busy.append((name, on)))
    work.failed.connect(said.append)
    first = work.run("look", asyncio.sleep(5))
    work.run("look", asyncio.sleep(0.01, "second"), got.append)
    await asyncio.sleep(0.05)
    assert first.cancelled() and got == ["second"] and ("look", True) not in busy  # quick: no spinner
    work.run("slow", asyncio.sleep(0.3))
    await asyncio.sleep(0.45)
    assert ("slow", True) in busy and busy[-1] == ("slow", False)

    async def broken():
        raise ValueError("a bug")

    work.run("bug", broken())
    await asyncio.sleep(0.05)
    assert said == [BUG_MESSAGE]


async def test_a_shopper_is_told_to_ask_staff_where_the_sentence_is_for_staff():
    from kiosk.app.work import FOR_STAFF
    from kiosk.checkout.errors import CheckoutError
    from kiosk.loyalty.errors import NotAuthorized

    async def refused():
        raise NotAuthorized()

    async def sold_out():
        raise CheckoutError("That card has no balance left.")

    for reader, told in (("cashier", NotAuthorized().user_message), ("shopper", FOR_STAFF)):
        work, said = Work(reader), []
        work.failed.connect(said.append)
        work.run("look", refused())
        work.run("card", sold_out())
        await asyncio.sleep(0.05)
        # Only what staff must act on is hidden from a shopper; the rest is for everyone.
        assert said == [told, "That card has no balance left."], reader
    assert "API secret" in NotAuthorized().user_message and "staff" in FOR_STAFF
    # The checkout's error made of the loyalty service's keeps who may read it.
    from kiosk.checkout.service import _told

    assert _told(NotAuthorized()).audience == "cashier" and str(_told(NotAuthorized())) == NotAuthorized().user_message
