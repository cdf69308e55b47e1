"""A shopper joins at the kiosk (kiosk/app/enrolment.py) against the real sandbox over
loopback: enrolled at once online; queued through the outbox while the sandbox is stopped
and delivered, once, when it is back; a queued enrolment whose email is taken is a dead
letter the manager's queue view shows with its consent record; a double tap sends one
write; a lost reply or a second delivery never makes a second member. Qt-free."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timezone
from types import SimpleNamespace

from kiosk.app.enrolment import ALREADY_MEMBER, CANT_ENROL, Consent, Enrolment, EnrolOutcome
from kiosk.app.queue import read, send_again
from kiosk.app.terminal import Terminal
from kiosk.app.work import Work
from kiosk.checkout import till as tills
from kiosk.connect import Connection
from kiosk.events import EventHub
from kiosk.loyalty import writes as w
from kiosk.loyalty.models import NewMember
from kiosk.outbox import ops
from kiosk.outbox.events import OFFLINE
from kiosk.sandbox.server import SandboxServer
from kiosk.scanner.events import read as read_scan
from kiosk.scanner.payload import MemberRef, PayloadFormats, ReceiptRef
from tests.checkout_env import approve, settings_for
from tests.helpers import client_for, set_faults, wait_for
from tests.prime_helpers import prime_client, prime_server

WORDING = "Yes, send me offers and news by email. You can stop them at any time."
GIVEN = datetime(2026, 12, 3, 7, 5, 0, tzinfo=timezone.utc)


@contextlib.asynccontextmanager
async def a_kiosk(sandbox, folder, **client_kwargs):
    hub = EventHub()
    client = client_for(sandbox, attempt_timeout=1.0, **client_kwargs)
    settings = settings_for(folder)
    till = tills.build(settings, client, site_id=sandbox.store.site.site_id, hub=hub, demo=True)
    terminal = Terminal(settings, hub, Connection(client, None), till)
    await till.start()
    work = Work()
    said: list[str] = []
    work.failed.connect(said.append)
    enrolment = Enrolment(terminal, work, wait_s=2.0)
    outcomes: list[EnrolOutcome] = []
    enrolment.done.connect(outcomes.append)
    try:
        yield SimpleNamespace(terminal=terminal, till=till, enrolment=enrolment, outcomes=outcomes, said=said,
                              work=work)
    finally:
        await work.cancel_all()
        await terminal.stop()


def members_with(server: SandboxServer, email: str) -> list[dict]:
    return [dict(r) for r in server.store.read("SELECT * FROM members WHERE lower(email) = lower(?)", (email,))]


def rows(till, kind: str = "enrol") -> list[dict]:
    return [dict(r) for r in till.db.read("SELECT * FROM ops WHERE kind = ? ORDER BY id", (kind,))]


def restarted(server: SandboxServer) -> SandboxServer:
    """The same sandbox (its database, its port) started again after a stop."""
    return SandboxServer(server.db_path, port=server.port, faults=True).start()


async def test_online_the_member_is_enrolled_at_once_with_the_consent_given(sandbox, tmp_path):
    async with a_kiosk(sandbox, tmp_path) as k:
        k.enrolment.submit(NewMember(email="zoe.ng@example.com", first_name="Zoë"),
                           Consent(True, wording=WORDING, given_at=GIVEN))
        await wait_for(lambda: k.outcomes, timeout=5)
        outcome, = k.outcomes
        member, = members_with(sandbox, "zoe.ng@example.com")
        assert outcome == EnrolOutcome(member["id"], False, "Zoë")
        assert member["opt_in"] == "YES" and member["first_name"] == "Zoë"
        row, = rows(k.till)
        assert row["state"] == "done" and row["member_id"] is None
        # Stored with the write: the consent, word for word, and the contact only masked.
        intent = json.loads(row["intent"])
        assert intent["consent"] == {"marketing": True, "wording": WORDING, "given_at": GIVEN.isoformat()}
        assert intent["contact"] == "z•••@e•••.com" and "zoe" not in row["intent"].lower()
        # The new member is found like any other.
        view = await k.till.checkout.find_member(outcome.member_id)
        assert view.member.email == "zoe.ng@example.com"
        assert not k.said


async def test_the_new_member_s_code_reads_as_a_member_wherever_it_is_scanned(sandbox, tmp_path):
    """The id a kiosk enrolment gives the member is what the member app's QR carries: read by
    the camera or typed by a hand scanner it is a member, not a receipt's order id (which
    has the same terminal-and-ULID shape), and offline it still goes on the sale."""
    async with a_kiosk(sandbox, tmp_path) as k:
        k.enrolment.submit(NewMember(email="ines.roy@example.com", first_name="Inès"),
                           Consent(False, wording=WORDING, given_at=GIVEN))
        await wait_for(lambda: k.outcomes, timeout=5)
        member_id = k.outcomes[0].member_id
        assert member_id.startswith("M-T01-")
        formats = PayloadFormats.from_settings(k.terminal.settings.scanner)
        for symbology, origin in (("QRCode", "camera"), (None, "wedge")):
            assert read_scan(member_id, symbology, origin, formats).ref == MemberRef("id", member_id)
        receipt = ops.new_order_id("T01")
        assert read_scan(receipt, "QRCode", "camera", formats).ref == ReceiptRef(receipt)
        view = await k.till.checkout.find_member(member_id)
        assert view.member.first_name == "Inès" and not view.missing
        k.till.checkout.connectivity = OFFLINE  # as the connectivity monitor sets it
        offline = await k.till.checkout.find_member(member_id)
        assert offline.member_id == member_id and offline.missing


async def test_marketing_consent_is_off_unless_the_shopper_ticks_it(sandbox, tmp_path):
    async with a_kiosk(sandbox, tmp_path) as k:
        # A form that sends opted_in=True does not decide for the shopper: the consent step does.
        k.enrolment.submit(NewMember(phone="555-019-7777", first_name="Ola", opted_in=True),
                           Consent(wording=WORDING, given_at=GIVEN))
        await wait_for(lambda: k.outcomes, timeout=5)
        member, = sandbox.store.read("SELECT * FROM members WHERE phone_digits = '5550197777'")
        assert member["opt_in"] == "NO"
        assert json.loads(rows(k.till)[0]["intent"])["contact"] == "•••• 7777"


async def test_enrolled_while_the_sandbox_is_stopped_is_queued_then_delivered_once(sandbox, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    again = None
    try:
        async with a_kiosk(sandbox, tmp_path) as k:
            sandbox.stop()
            k.enrolment.submit(NewMember(email="late.joiner@example.com", first_name="Lee"),
                               Consent(True, wording=WORDING, given_at=GIVEN))
            await wait_for(lambda: k.outcomes, timeout=8)
            assert k.outcomes == [EnrolOutcome(None, True, "Lee")]
            row, = rows(k.till)
            assert row["state"] == "pending"
            await wait_for(lambda: k.till.checkout.offline, timeout=10)
            again = restarted(sandbox)
            await wait_for(lambda: rows(k.till)[0]["state"] == "done", timeout=15)
            member, = members_with(again, "late.joiner@example.com")
            assert member["opt_in"] == "YES" and member["id"] == row["key"]
            reply = json.loads(rows(k.till)[0]["reply"])
            assert k.till.checkout.backend.result("enrol", reply).member_id == member["id"]
            # The consent stays with the delivered write.
            assert json.loads(rows(k.till)[0]["intent"])["consent"]["wording"] == WORDING
    finally:
        if again is not None:
            again.stop()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "late.joiner" not in logged and "Lee" not in logged


async def test_a_queued_enrolment_survives_the_visit_ending_and_the_terminal_restarting(sandbox, tmp_path):
    again = None
    try:
        async with a_kiosk(sandbox, tmp_path) as k:
            sandbox.stop()
            k.enrolment.submit(NewMember(email="after.restart@example.com", first_name="Rae"),
                               Consent(True, wording=WORDING, given_at=GIVEN))
            await wait_for(lambda: rows(k.till), timeout=2)
            await k.work.cancel_all()  # the shopper walked away while it was being sent
        # The terminal was shut down with it queued; a new one, on the same database, delivers it.
        again = restarted(sandbox)
        async with a_kiosk(again, tmp_path) as k:
            await wait_for(lambda: rows(k.till)[0]["state"] == "done", timeout=15)
            member, = members_with(again, "after.restart@example.com")
            assert member["opt_in"] == "YES" and len(rows(k.till)) == 1
    finally:
        if again is not None:
            again.stop()


async def test_offline_a_submit_is_queued_without_waiting(sandbox, tmp_path):
    again = None
    try:
        async with a_kiosk(sandbox, tmp_path) as k:
            sandbox.stop()
            await wait_for(lambda: k.till.checkout.offline, timeout=10)
            k.enrolment.submit(NewMember(email="quick.queue@example.com"), Consent(wording=WORDING, given_at=GIVEN))
            await wait_for(lambda: k.outcomes, timeout=1)  # no attempt timeout: it did not wait
            assert k.outcomes == [EnrolOutcome(None, True, None)]
            again = restarted(sandbox)
            await wait_for(lambda: rows(k.till)[0]["state"] == "done", timeout=15)
            assert len(members_with(again, "quick.queue@example.com")) == 1
    finally:
        if again is not None:
            again.stop()


async def test_a_queued_enrolment_whose_email_is_taken_is_a_dead_letter_with_its_consent(sandbox, tmp_path):
    again = None
    try:
        async with a_kiosk(sandbox, tmp_path) as k:
            sandbox.stop()
            k.enrolment.submit(NewMember(email="ana.lima@example.com", first_name="Ana"),
                               Consent(False, wording=WORDING, given_at=GIVEN))
            await wait_for(lambda: k.outcomes, timeout=8)
            assert k.outcomes[0].queued
            again = restarted(sandbox)
            await wait_for(lambda: rows(k.till)[0]["state"] == "dead", timeout=15)
            assert len(members_with(again, "ana.lima@example.com")) == 1  # Ana's own, untouched
            view = read(k.till)
            # A manager sends it again: refused again, and still no second member.
            op_id, tried = rows(k.till)[0]["id"], rows(k.till)[0]["attempts"]

            async def manager(action, subject, details=()):
                return await asyncio.to_thread(approve, k.till, action, subject)

            assert await send_again(k.till, manager, op_id, details=()) is True
            await wait_for(lambda: rows(k.till)[0]["state"] == "dead" and rows(k.till)[0]["attempts"] > tried,
                           timeout=10)
            assert len(members_with(again, "ana.lima@example.com")) == 1
    finally:
        if again is not None:
            again.stop()
    letter, = [x for x in view.letters if x.kind == "enrol"]
    assert letter.consent is not None
    assert (letter.consent.marketing, letter.consent.wording, letter.consent.given_at) == \
        (False, WORDING, GIVEN.isoformat())
    assert letter.contact == "a•••@e•••.com"
    assert "exists" in letter.reason
    shown = repr(letter)
    assert "ana.lima" not in shown and "Ana" not in shown and "M100001" not in shown


async def test_online_an_email_already_used_is_told_to_the_shopper_not_dead_lettered(sandbox, tmp_path):
    async with a_kiosk(sandbox, tmp_path) as k:
        k.enrolment.submit(NewMember(email="ben.okafor@example.com"), Consent(wording=WORDING, given_at=GIVEN))
        await wait_for(lambda: k.said, timeout=5)
        assert k.said == [ALREADY_MEMBER] and not k.outcomes
        assert rows(k.till)[0]["state"] == "refused"
        assert read(k.till).letters == ()
        # Corrected, it goes through.
        k.enrolment.submit(NewMember(email="ben.o.new@example.com"), Consent(wording=WORDING, given_at=GIVEN))
        await wait_for(lambda: k.outcomes, timeout=5)
        assert not k.outcomes[0].queued


async def test_a_double_submit_sends_one_write(sandbox, tmp_path):
    async with a_kiosk(sandbox, tmp_path) as k:
        new, consent = NewMember(email="double.tap@example.com", first_name="Dee"), Consent(wording=WORDING, given_at=GIVEN)
        set_faults(sandbox, latency_ms=300)
        k.enrolment.submit(new, consent)
        await wait_for(lambda: rows(k.till), timeout=2)  # queued, and on its way
        assert k.enrolment.busy
        k.enrolment.submit(new, consent)  # the second tap, while the first is on its way
        await wait_for(lambda: k.outcomes, timeout=5)
        set_faults(sandbox, latency_ms=0)
        k.enrolment.submit(new, consent)  # and once more, after it went through
        await wait_for(lambda: len(k.outcomes) == 2, timeout=2)
        assert k.outcomes[0] == k.outcomes[1] and not k.outcomes[0].queued
        assert len(rows(k.till)) == 1
        assert len(members_with(sandbox, "double.tap@example.com")) == 1


async def test_a_lost_reply_is_checked_and_makes_one_member(sandbox, tmp_path):
    async with a_kiosk(sandbox, tmp_path) as k:
        set_faults(sandbox, drop_reply_rate=1.0)
        k.enrolment.submit(NewMember(email="lost.reply@example.com"), Consent(wording=WORDING, given_at=GIVEN))
        await wait_for(lambda: k.outcomes, timeout=8)
        assert k.outcomes[0].queued  # the shopper is not kept waiting for a reply that never comes
        set_faults(sandbox, drop_reply_rate=0.0)
        await wait_for(lambda: rows(k.till)[0]["state"] == "done", timeout=15)
        member, = members_with(sandbox, "lost.reply@example.com")
        assert member["id"] == rows(k.till)[0]["key"]


async def test_annex_a_second_delivery_of_one_enrolment_finds_the_member_it_made(sandbox, client):
    write = w.EnrolMember(ops.new_key("T01"), NewMember(email="twice@example.com"), WORDING, GIVEN)
    wire = client.encode(write)
    first = await client.send_write("enrol", wire)
    second = await client.send_write("enrol", wire)
    assert first["id"] == second["id"] == write.key
    assert len(members_with(sandbox, "twice@example.com")) == 1
    # Another enrolment of that email is refused: it is someone's already.
    other = client.encode(w.EnrolMember(ops.new_key("T01"), NewMember(email="twice@example.com"), WORDING, GIVEN))
    from kiosk.loyalty import errors
    try:
        await client.send_write("enrol", other)
    except errors.AlreadyExists:
        pass
    else:
        raise AssertionError("a second member with that email was made")


async def test_the_documented_profile_refuses_with_a_sentence_and_queues_nothing(sandbox, tmp_path):
    async with a_kiosk(sandbox, tmp_path, reads=(), features=()) as k:
        k.enrolment.submit(NewMember(email="nobody@example.com"), Consent(wording=WORDING, given_at=GIVEN))
        assert k.said == [CANT_ENROL] and not k.outcomes and rows(k.till) == []


# -- Loyalty Prime ---------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def a_prime_kiosk(server, folder):
    settings = settings_for(folder)
    settings.backend.vendor = "loyaltyprime"
    hub = EventHub()
    client = prime_client(server, attempt_timeout=1.0)
    till = tills.build(settings, client, site_id=server.store.site.site_id, hub=hub, demo=True)
    terminal = Terminal(settings, hub, Connection(client, None), till)
    await till.start()
    work = Work()
    said: list[str] = []
    work.failed.connect(said.append)
    enrolment = Enrolment(terminal, work, wait_s=2.0)
    outcomes: list[EnrolOutcome] = []
    enrolment.done.connect(outcomes.append)
    try:
        yield SimpleNamespace(till=till, enrolment=enrolment, outcomes=outcomes, said=said, client=client)
    finally:
        await work.cancel_all()
        await terminal.stop()


async def test_loyalty_prime_online_queued_and_delivered_once(tmp_path):
    server = prime_server(tmp_path / "prime.sqlite3")
    again = None
    try:
        async with a_prime_kiosk(server, tmp_path) as k:
            k.enrolment.submit(NewMember(email="prime.now@example.com", first_name="Pia"),
                               Consent(True, wording=WORDING, given_at=GIVEN))
            await wait_for(lambda: k.outcomes, timeout=5)
            member, = members_with(server, "prime.now@example.com")
            assert k.outcomes == [EnrolOutcome(member["id"], False, "Pia")] and member["opt_in"] == "YES"

            server.stop()
            k.enrolment.submit(NewMember(email="prime.later@example.com"), Consent(wording=WORDING, given_at=GIVEN))
            await wait_for(lambda: len(k.outcomes) == 2, timeout=8)
            assert k.outcomes[1].queued
            again = SandboxServer(server.db_path, port=server.port, faults=True, vendor="loyaltyprime").start()
            later = rows(k.till)[1]
            await wait_for(lambda: rows(k.till)[1]["state"] == "done", timeout=15)
            member, = members_with(again, "prime.later@example.com")
            alternates = again.store.read("SELECT alt_id FROM lp_alternate_ids WHERE member_id = ?", (member["id"],))
            assert [r[0] for r in alternates] == [later["key"]]
            # A second delivery of the same bytes finds that membership, and makes no other.
            wire = bytes(later["wire"])
            reply = await k.client.send_write("enrol", wire)
            assert reply["data"]["key"] == member["id"]
            assert len(members_with(again, "prime.later@example.com")) == 1
    finally:
        server.stop()
        if again is not None:
            again.stop()


async def test_annex_after_a_lost_reply_the_member_under_the_key_tells_what_happened(sandbox, client):
    from kiosk.loyalty.backend import WriteRecord
    from kiosk.sandbox import loyalty as sandbox_loyalty

    def record(write):
        return WriteRecord("enrol", write.key, client.encode(write), write.to_json(), None, None)

    ours = w.EnrolMember(ops.new_key("T01"), NewMember(email="kept@example.com"), WORDING, GIVEN)
    assert not (await client.reconcile(record(ours))).applied  # nothing under the key: send it
    await client.send_write("enrol", client.encode(ours))
    verdict = await client.reconcile(record(ours))
    assert verdict.applied and verdict.reply["id"] == ours.key
    # Someone else under the key (never ours): a mismatch for a person, never a success.
    clash = w.EnrolMember(ops.new_key("T01"), NewMember(email="mine@example.com"), WORDING, GIVEN)
    sandbox_loyalty.enrol(sandbox.store, {"id": clash.key, "email": "theirs@example.com"})
    verdict = await client.reconcile(record(clash))
    assert not verdict.applied and verdict.mismatch
