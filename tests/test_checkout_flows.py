"""End-to-end checkout against the sandbox over loopback HTTP: the flows that handle money."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from kiosk.checkout import receipt as receipts
from kiosk.checkout.session import CheckoutError, State
from kiosk.loyalty.models import CodeSpend, Reward
from kiosk.outbox.store import FULL_MESSAGE, StorageFull
from tests.checkout_env import running_till
from tests.helpers import client_for, ledger, set_faults, wait_for


def balance(sandbox, code: str) -> Decimal:
    (cents,), = sandbox.store.read("SELECT balance_cents FROM codes WHERE code=?", (code,))
    return Decimal(cents) / 100


def points(sandbox, member: str) -> int:
    (available,), = sandbox.store.read("SELECT available FROM members WHERE id=?", (member,))
    return available


def kinds(sandbox, order_id: str | None = None) -> list[tuple[str, str | None]]:
    return [(row["kind"], row["code"]) for row in ledger(sandbox)
            if order_id is None or row["order_id"] == order_id]


def fill(till, sale, *skus: str) -> None:
    for sku in skus:
        sale.cart.add(till.catalogue.by_sku(sku))


async def test_sale_with_reward_coupon_and_two_gift_cards(sandbox, tmp_path):
    before = points(sandbox, "M100003")
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        fill(till, sale, "APP-001", "APP-001", "HOM-001", "BOK-001")  # 61.48
        view = await co.find_member("M100003")
        sale.attach_member(view)
        sale.select_reward(next(r for r in view.usable_rewards if r.discount == Decimal("10.00")))
        await co.apply_coupon(sale, "SAVE5")
        assert sale.state == State.SELECTED
        priced = sale.priced()
        assert (priced.merchandise, priced.discount, priced.net) == (6148, 1500, 4648)
        small = await co.add_card(sale, "GC-1000-0003")
        big = await co.add_card(sale, "GC-1000-0002")
        assert (small.amount, small.left, big.amount, big.left) == (420, 0, 2000, 0)
        due = sale.due
        assert due == priced.total - 2420
        sale.add_external("cash", Decimal("50.00"))
        assert sale.change == 5000 - due

        result = await co.pay(sale)

        assert result.ok, result.message
        assert sale.state == State.COMMITTED
        assert result.points == 46  # floor(46.48 merchandise after discounts, before tax) x 1
        assert balance(sandbox, "GC-1000-0003") == 0 and balance(sandbox, "GC-1000-0002") == 0
        assert points(sandbox, "M100003") == before - 250 + 46
        assert sorted(kind for kind, _ in kinds(sandbox, sale.sale_id)) == [
            "code_redeem", "code_redeem", "code_redeem", "order_create", "reward_redeem"]
        assert {code for kind, code in kinds(sandbox, sale.sale_id) if kind == "code_redeem"} == {
            "SAVE5", "GC-1000-0003", "GC-1000-0002"}
        order = await till.returns.backend.get_order(sale.sale_id)
        assert order.terminal_id == "T01" and order.discount == Decimal("15.00")
        assert {p.code for p in order.payments if p.kind == "code"} == {"GC-1000-0003", "GC-1000-0002"}
        # Every tender rides with the order (a return at any terminal knows where money goes back),
        # and the reward's code with the points it cost.
        assert sum(p.amount for p in order.payments) == Decimal(result.receipt["priced"]["total"]) / 100
        assert [r.points for r in order.rewards] == [250] and order.rewards[0].code in result.receipt["reward_codes"]

        text = receipts.build(result.receipt, store_id="STORE-001", terminal_id="T01", tax_inclusive=False,
                              at=datetime(2026, 12, 1, tzinfo=timezone.utc)).text()
        assert "Points earned" in text and " 46" in text
        assert receipts.build(result.receipt, store_id=None, terminal_id="T01", tax_inclusive=False,
                              at=datetime.now(timezone.utc)).barcode == "R:" + sale.sale_id
        assert "GC-1000-0002" not in text and "*******0002 left" in text  # card codes are masked
        change = [line for line in text.splitlines() if line.startswith("Change")]
        assert change == [f"{'Change':<36} {Decimal(5000 - due) / 100}"]
        assert len(max(text.splitlines(), key=len)) <= 42


async def test_a_second_card_refused_at_pay_gives_the_first_back(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        fill(till, sale, "APP-001", "HOM-001")  # 29.49 + tax
        sale.start_tendering()
        await co.add_card(sale, "GC-1000-0003")  # 4.20
        second = await co.add_card(sale, "GC-1000-0002")  # 20.00 of it
        sale.add_external("cash", Decimal(sale.due) / 100)
        # Another till spends most of the second card between the scan and Pay.
        async with client_for(sandbox) as other:
            await other.redeem_code(CodeSpend("GC-1000-0002", "guest", "OTHER-TILL-1", Decimal("15.00")))

        result = await co.pay(sale)

        assert not result.ok
        assert "GC-1000-0002" in result.message and "5.00" in result.message
        assert sale.state == State.TENDERING
        assert [c.code for c in sale.cards] == ["GC-1000-0003"]  # the refused card came off
        assert sale.due == second.amount
        # The first card was redeemed, then given back by an undo naming it.
        await wait_for(lambda: balance(sandbox, "GC-1000-0003") == Decimal("4.20"), timeout=10)
        first_card = [k for k in kinds(sandbox, sale.sale_id) if k[1] == "GC-1000-0003"]
        assert first_card == [("code_redeem", "GC-1000-0003"), ("code_undo", "GC-1000-0003")]
        assert not [k for k in kinds(sandbox, sale.sale_id) if k[0] == "order_create"]
        # The cashier takes the rest in cash and pays again: it commits, with new keys.
        sale.add_external("cash", Decimal(sale.due) / 100)
        again = await co.pay(sale)
        assert again.ok, again.message
        assert balance(sandbox, "GC-1000-0003") == 0
        assert till.outbox.status().dead == 0


async def test_double_pay_commits_once(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        fill(till, sale, "APP-001")
        sale.attach_member(await co.find_member("M100001"))
        sale.start_tendering()
        await co.add_card(sale, "GC-1000-0001")
        first, second = await asyncio.gather(co.pay(sale), co.pay(sale))
        third = await co.pay(sale)
        assert first.ok and first is second is third
        creates = [r for r in ledger(sandbox, "order_create") if r["order_id"] == sale.sale_id]
        redeems = [r for r in ledger(sandbox, "code_redeem") if r["order_id"] == sale.sale_id]
        assert len(creates) == 1 and len(redeems) == 1
        assert balance(sandbox, "GC-1000-0001") == Decimal("50.00") - Decimal(first.receipt["priced"]["total"]) / 100


async def test_a_guest_pays_with_a_gift_card(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        fill(till, sale, "SNK-002", "DRK-001")
        sale.start_tendering()
        card = await co.add_card(sale, "GC-1000-0001")
        assert sale.due == 0 and card.amount == sale.priced().total
        result = await co.pay(sale)
        assert result.ok and result.points == 0
        order = await till.returns.backend.get_order(sale.sale_id)
        assert order.member_id == "guest"
        assert balance(sandbox, "GC-1000-0001") == Decimal("50.00") - Decimal(card.amount) / 100


async def test_rewards_and_cards_are_refused_offline_but_the_sale_goes_through_and_accrues_later(sandbox,
                                                                                                     tmp_path):
    from kiosk.sandbox.server import SandboxServer

    port, db_path = sandbox.port, sandbox.db_path
    before = points(sandbox, "M100002")
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        fill(till, sale, "HOM-001", "SNK-003")  # 13.99 before tax
        sandbox.stop()
        await wait_for(lambda: co.offline, timeout=10)
        with pytest.raises(CheckoutError, match="scanned member card"):
            await co.find_member("ben.okafor@example.com")  # typed: can't be checked offline
        view = await co.find_member("M100002")  # scanned: the id goes on the order all the same
        assert view.member_id == "M100002" and view.missing == ("member", "points", "rewards")
        sale.attach_member(view)
        with pytest.raises(CheckoutError, match="needs 250 points"):  # offline, no points are known
            sale.select_reward(Reward("29660", "10off", 250, Decimal("10.00"), True))
        with pytest.raises(CheckoutError, match="offline"):
            await co.apply_coupon(sale, "SAVE5")
        sale.start_tendering()
        with pytest.raises(CheckoutError, match="offline"):
            await co.add_card(sale, "GC-1000-0001")
        sale.add_external("card", Decimal(sale.due) / 100)
        result = await co.pay(sale)
        assert result.ok and result.points is None and "Points will be added" in result.message
        assert till.outbox.status().depth == 1
        back = SandboxServer(db_path, port=port, faults=True).start()
        try:
            await wait_for(lambda: till.outbox.status().depth == 0, timeout=15)
            assert points(back, "M100002") == before + 13
        finally:
            back.stop()


async def _paid_by_card(till, code: str):
    sale = till.checkout.new_sale("C01")
    fill(till, sale, "SNK-002")
    sale.start_tendering()
    await till.checkout.add_card(sale, code)
    return sale


@pytest.mark.slow  # waits out the authorize timeout
async def test_a_redemption_that_answers_too_late_is_undone_once_it_lands(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path, authorize_timeout_s=0.5) as till:
        co = till.checkout
        sale = await _paid_by_card(till, "GC-1000-0001")
        set_faults(sandbox, latency_ms=1500)  # slower than Pay waits, faster than the client gives up
        result = await co.pay(sale)
        assert not result.ok and "no answer in time" in result.message
        assert sale.state == State.TENDERING
        # It landed after Pay gave up; the till notices and gives it back.
        await wait_for(lambda: [r["code"] for r in ledger(sandbox, "code_undo")] == ["GC-1000-0001"], timeout=15)
        set_faults(sandbox, latency_ms=0)
        assert balance(sandbox, "GC-1000-0001") == Decimal("50.00")
        reds = till.sales.redemptions(sale.sale_id)
        assert [r.state for r in reds] == ["undo_queued"]
        await wait_for(lambda: till.outbox.status().depth == 0, timeout=10)
        result = await co.pay(sale)
        assert result.ok, result.message


async def test_a_redemption_not_yet_sent_when_pay_gives_up_is_cancelled_not_sent(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path, authorize_timeout_s=0.5) as till:
        co = till.checkout
        sale = await _paid_by_card(till, "GC-1000-0001")
        set_faults(sandbox, error_rate=1.0)  # 503: surely not applied, retried later
        result = await co.pay(sale)
        assert not result.ok
        set_faults(sandbox, error_rate=0.0)
        await wait_for(lambda: till.outbox.status().depth == 0, timeout=10)
        (op_state,), = till.db.read("SELECT o.state FROM ops o JOIN sale_redemptions r ON r.op_id = o.id")
        assert op_state == "cancelled"
        assert not ledger(sandbox, "code_redeem") and balance(sandbox, "GC-1000-0001") == Decimal("50.00")


async def test_two_rewards_of_one_member_are_redeemed_in_turn_within_one_pay(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        fill(till, sale, "APP-001", "APP-001")
        view = await co.find_member("M100004")
        sale.attach_member(view)
        for reward in view.usable_rewards[:2]:
            sale.select_reward(reward)
        sale.start_tendering()
        sale.add_external("card", Decimal(sale.due) / 100)
        before = points(sandbox, "M100004")
        result = await co.pay(sale)  # the second waits behind the first in the member's reward group
        assert result.ok, result.message
        assert len([r for r in ledger(sandbox, "reward_redeem") if r["order_id"] == sale.sale_id]) == 2
        assert points(sandbox, "M100004") == before - 250 - 500 + result.points


async def test_a_full_disk_after_the_cards_were_spent_gives_them_back_without_a_restart(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path) as till:
        co = till.checkout
        sale = co.new_sale("C01")
        fill(till, sale, "APP-001")
        sale.start_tendering()
        await co.add_card(sale, "GC-1000-0001")
        commit = till.sales.commit

        def disk_full(*args, **kwargs):
            # A disk that fills at this exact moment can't be arranged for real (SQLite's
            # page cap still lets the commit fit in free space on its pages): the store's
            # own error for SQLITE_FULL is raised where the commit would write.
            raise StorageFull(FULL_MESSAGE)

        till.sales.commit = disk_full
        with pytest.raises(CheckoutError, match="could not be saved"):
            await co.pay(sale)
        till.sales.commit = commit
        assert sale.state == State.TENDERING
        await wait_for(lambda: balance(sandbox, "GC-1000-0001") == Decimal("50.00"), timeout=15)
        assert till.sales.get(sale.sale_id)["state"] == "tendering"
        assert not [r for r in ledger(sandbox, "order_create") if r["order_id"] == sale.sale_id]
        again = await co.pay(sale)
        assert again.ok, again.message


