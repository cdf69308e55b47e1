"""Refunds go back where the money came from, checked in the sandbox's ledger.

A sale paid partly by gift card and partly in cash, returned in steps at two terminals:
the card ends with exactly its balance before the sale, the cash drawer pays out what
was paid in cash, and the member's points (those earned and those spent on the
reward) come back to where they were. A property test runs any sale and any sequence
of returns against the sandbox.
"""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.checkout import refunds
from kiosk.checkout.errors import CheckoutError
from kiosk.checkout.receipt import mask
from kiosk.checkout.returns import ReturnableLine, ReturnableOrder, Returns
from kiosk.loyalty import backend as contract
from tests.checkout_env import approve, running_till
from tests.helpers import ledger, raw_send, wait_for
from tests.test_checkout_flows import balance, fill, points


async def _sell(till, member, skus, *, reward=False, coupon=None, cards=(), terminal_cents=0):
    co = till.checkout
    sale = co.new_sale("C01")
    fill(till, sale, *skus)
    if member:
        view = await co.find_member(member)
        sale.attach_member(view)
        usable = next((r for r in view.usable_rewards if r.discount == Decimal("10.00")), None)
        if reward and usable is not None:  # none once the member used up the reward's limit
            sale.select_reward(usable)
    if coupon:
        try:
            await co.apply_coupon(sale, coupon)
        except CheckoutError:
            pass  # a reward took everything already: the coupon is refused, not spent
    sale.start_tendering()
    for code in cards:
        if sale.due:
            await co.add_card(sale, code)
    if terminal_cents and sale.due:
        sale.add_external("card", Decimal(min(terminal_cents, sale.due)) / 100)
    if sale.due:
        sale.add_external("cash", Decimal(sale.due + 500) / 100)  # a 5.00 note too many: change
    result = await co.pay(sale)
    assert result.ok, result.message
    return sale, result


async def _settled(*tills):
    for till in tills:
        await wait_for(lambda t=till: t.outbox.status().depth == 0, timeout=20)


def _backs(done) -> dict[str, int]:
    out: dict[str, int] = {}
    for b in done.backs:
        key = b.tender.code or b.tender.kind
        out[key] = out.get(key, 0) + b.cents
    return out


async def test_card_and_cash_sale_returned_in_steps_at_two_terminals(sandbox, tmp_path):
    before = points(sandbox, "M100003")
    async with running_till(sandbox, tmp_path, "T01") as first:
        sale, result = await _sell(first, "M100003", ["APP-001", "APP-001", "HOM-001", "BOK-001"], reward=True,
                                   cards=["GC-1000-0002"])
        total = result.receipt["priced"]["total"]
        cash_paid = total - 2000
        assert balance(sandbox, "GC-1000-0002") == 0 and points(sandbox, "M100003") == before - 250 + result.points

    async with running_till(sandbox, tmp_path, "T02") as second:
        order = await second.returns.find("R:" + sale.sale_id)
        shirt = next(line for line in order.lines if line.sku == "APP-001")
        # The screen and the manager read where the money goes before anything happens.
        plan = second.returns.plan(order, {shirt.line_id: 1})
        share = plan.total_cents
        assert [b.tender.kind for b in plan.backs] == ["code"] and plan.backs[0].cents == share
        assert any(f"goes back onto card {mask('GC-1000-0002')}" in line for line in plan.summary())
        done = await second.returns.give_back(order, {shirt.line_id: 1}, approve(second, "return"), "C01")
        assert done.cards_cents == share and done.refund_cents == 0
        await _settled(second)
        # Undo of the 20.00 and a new redemption of what the card keeps: it holds the share now.
        assert balance(sandbox, "GC-1000-0002") == Decimal(share) / 100

    async with running_till(sandbox, tmp_path, "T01") as first:
        rest_order = await first.returns.find(sale.sale_id)
        plan = first.returns.plan(rest_order, None)
        assert plan.completes and [r.points for r in plan.rewards_back] == [250]
        rest = await first.returns.give_back(rest_order, None, approve(first, "return"), "C01")
        assert not rest.whole  # what is left comes back line by line
        assert _backs(rest) == {"GC-1000-0002": 2000 - share, "cash": cash_paid}
        assert rest.points_given_back == 250
        assert "Give back" in rest.message and f"goes back onto card {mask('GC-1000-0002')}" in rest.message
        await _settled(first)

    # The ledger: the card holds what it held before the sale, the cash paid is paid out,
    # the member holds the points they had (the reward's 250 given back, the earned ones gone).
    assert balance(sandbox, "GC-1000-0002") == Decimal("20.00")
    assert done.cards_cents + rest.cards_cents == 2000 and rest.refund_cents == cash_paid
    assert points(sandbox, "M100003") == before
    undo = [r for r in ledger(sandbox, "code_undo") if r["order_id"] == sale.sale_id]
    assert [r["amount_cents"] for r in undo] == [-2000, -(2000 - share)]
    # The audit log keeps each approval's reason with what it approved, tender by tender.
    entry, = _audit(tmp_path / "T01.sqlite3", "return")
    assert entry["approver_id"] == "M01" and entry["detail"]["reason"] == "test"
    assert entry["detail"]["tenders"] == [["code", f"{Decimal(2000 - share) / 100:.2f}"],
                                          ["cash", f"{Decimal(cash_paid) / 100:.2f}"]]


def _audit(path, action: str) -> list[dict]:
    import json

    from kiosk.outbox.store import open_database

    db = open_database(path)
    try:
        return [{**dict(r), "detail": json.loads(r["detail"])}
                for r in db.read("SELECT * FROM audit_log WHERE action=? ORDER BY id", (action,))]
    finally:
        db.close()


async def test_card_terminal_then_cash_and_a_full_return_with_a_store_card(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path, "T01") as till:
        sale, result = await _sell(till, "M100003", ["ELE-002", "STA-001", "COF-001"], cards=["SC-2000-0001"],
                                   terminal_cents=500)
        total = result.receipt["priced"]["total"]
        order = await till.returns.find(sale.sale_id)
        done = await till.returns.give_back(order, None, approve(till, "return"), "C01")
        assert done.whole
        assert _backs(done) == {"SC-2000-0001": 1500, "card": 500, "cash": total - 2000}
        assert [b.instruction for b in done.backs][1:] == [
            "Refund 5.00 on the card terminal", f"Give back {Decimal(total - 2000) / 100:.2f} in cash"]
        await _settled(till)
    assert balance(sandbox, "SC-2000-0001") == Decimal("15.00")


async def test_the_cash_policy_pays_everything_in_cash_and_says_so(sandbox, tmp_path):
    async with running_till(sandbox, tmp_path, "T01", returns={"refund_to": "cash"}) as till:
        sale, result = await _sell(till, None, ["COF-001", "COF-001"], cards=["GC-1000-0003"])
        order = await till.returns.find(sale.sale_id)
        assert "The store refunds in cash: cards and other tenders get nothing back." in \
            till.returns.plan(order, None).summary()
        done = await till.returns.give_back(order, None, approve(till, "return"), "C01")
        total = result.receipt["priced"]["total"]
        assert _backs(done) == {"cash": total} and done.cards_cents == 0
        assert done.message.startswith(f"Returned. Give back {Decimal(total) / 100:.2f} in cash")
        await _settled(till)
    assert balance(sandbox, "GC-1000-0003") == 0  # the store's policy: the card keeps what it paid


class _NoReversal:
    """A backend that can't reverse a reward: only its declared capabilities are read by plan()."""

    capabilities = contract.Capabilities(frozenset({contract.CARDS}))


def test_points_spent_on_rewards_not_given_back_are_said_before_approval(tmp_path):
    from kiosk.checkout.pay import TerminalIds
    from kiosk.loyalty.models import RewardSpent

    returns = Returns(None, None, None, _NoReversal(), TerminalIds("T01", None, "1", "guest"), inclusive_tax=False)
    line = ReturnableLine("1", "Shirt", "APP-001", 2, 0, 4000, points=40)
    order = ReturnableOrder("T01-X", "M1", False, (line,), (refunds.Tender("cash", 4000),), "local",
                            (RewardSpent("RW1", 250),))
    plan = returns.plan(order, None)
    assert plan.rewards_back == () and plan.rewards_kept == 250
    assert "Points spent on rewards are not given back (250)." in plan.summary()
    partial = returns.plan(order, {"1": 1})
    assert not partial.completes and partial.rewards_kept == 0  # not until the last of the order comes back


# -- any sale, any returns ------------------------------------------------------------------------

SKUS = ["COF-001", "COF-002", "SNK-001", "APP-001", "HOM-001", "STA-001", "ELE-002", "BOK-001"]
_serial = itertools.count(1)


def _new_cards(sandbox, balances: list[int]) -> list[str]:
    codes = [f"GC-PROP-{next(_serial):05d}" for _ in balances]
    body = [{"incentiveCode": c, "incentiveType": "giftcard", "codeValue": str(Decimal(b) / 100)}
            for c, b in zip(codes, balances)]
    if body:
        raw_send(sandbox, "POST", "incentive/codes", body).raise_for_status()
    return codes


sales = st.fixed_dictionaries({
    "skus": st.lists(st.sampled_from(SKUS), min_size=1, max_size=5),
    "member": st.booleans(),
    "reward": st.booleans(),
    "coupon": st.sampled_from([None, "SAVE5"]),
    "cards": st.lists(st.integers(100, 3000), max_size=3),
    "terminal_cents": st.sampled_from([0, 300, 2500]),
    # Each return: None for "Return everything", else a seed picking quantities of what is left.
    "returns": st.lists(st.one_of(st.none(), st.integers(0, 10**6)), min_size=1, max_size=4),
})


def _pick(order, seed: int) -> dict[str, int]:
    left = [line for line in order.lines if line.left]
    picked = {}
    for n, line in enumerate(left):
        take = (seed >> (2 * n)) % (line.left + 1)
        if take:
            picked[line.line_id] = take
    return picked or {left[seed % len(left)].line_id: 1}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=sales)
def test_any_sale_and_any_returns_give_each_tender_at_most_what_it_paid(sandbox, tmp_path, case):
    asyncio.run(_any_sale(sandbox, tmp_path, case))


async def _any_sale(sandbox, folder, case):
    member = "M100003" if case["member"] else None
    before = points(sandbox, member) if member else 0
    reward = bool(member and case["reward"] and before >= 250)
    cards = _new_cards(sandbox, case["cards"])
    async with running_till(sandbox, folder, "T01") as first, running_till(sandbox, folder, "T02") as second:
        sale, result = await _sell(first, member, case["skus"], reward=reward, coupon=case["coupon"],
                                   cards=cards, terminal_cents=case["terminal_cents"])
        await _settled(first)
        card_paid = {c["code"]: c["amount"] for c in result.receipt["cards"]}
        total = result.receipt["priced"]["total"]
        back: dict[str, int] = {}
        given = 0
        for n, step in enumerate(case["returns"]):
            till = (first, second)[n % 2]
            order = await till.returns.find(sale.sale_id)
            if all(line.left == 0 for line in order.lines):
                break
            done = await till.returns.give_back(order, None if step is None else _pick(order, step),
                                                approve(till, "return"), "C01")
            assert done.ok, done.message
            assert sum(b.cents for b in done.backs) == sum(cents for _, _, cents in done.lines)
            given += sum(cents for _, _, cents in done.lines)
            for key, cents in _backs(done).items():
                back[key] = back.get(key, 0) + cents
            await _settled(first, second)
            if member:
                assert points(sandbox, member) >= 0
        final = await first.returns.find(sale.sale_id)
    # Each tender got back at most what it paid; the total equals what came back's price.
    for code, paid in card_paid.items():
        assert back.get(code, 0) <= paid
        assert balance(sandbox, code) <= Decimal(case["cards"][cards.index(code)]) / 100
        assert balance(sandbox, code) == (Decimal(case["cards"][cards.index(code)] - paid + back.get(code, 0))
                                          / 100)
    assert given == final.returned_cents <= total
    if all(line.left == 0 for line in final.lines):
        assert given == total and sum(back.values()) == total
        assert all(back.get(code, 0) == paid for code, paid in card_paid.items())
        if member:
            assert points(sandbox, member) == before


async def test_the_same_return_sequence_on_the_documented_api(tmp_path):
    """Nothing declared: the order can't be read back, so the terminal that sold returns it,
    from its own record of the tenders; the ledger ends where it started all the same."""
    from kiosk.sandbox.server import SandboxServer

    server = SandboxServer(tmp_path / "s.sqlite3", faults=True, profile="documented").start()
    try:
        before = points(server, "M100003")
        async with running_till(server, tmp_path, "T01") as till:
            sale, result = await _sell(till, "M100003", ["APP-001", "APP-001", "HOM-001", "BOK-001"], reward=True,
                                       cards=["GC-1000-0002"], terminal_cents=1000)
            total = result.receipt["priced"]["total"]
            assert balance(server, "GC-1000-0002") == 0
            await _settled(till)
            order = await till.returns.find(sale.sale_id)
            assert order.source == "local"
            shirt = next(line for line in order.lines if line.sku == "APP-001")
            done = await till.returns.give_back(order, {shirt.line_id: 1}, approve(till, "return"), "C01")
            assert _backs(done) == {"GC-1000-0002": done.cards_cents}  # the card first
            await _settled(till)
            assert balance(server, "GC-1000-0002") == Decimal(done.cards_cents) / 100
            rest = await till.returns.give_back(await till.returns.find(sale.sale_id), None,
                                                approve(till, "return"), "C01")
            await _settled(till)
            assert rest.points_given_back == 250
            assert _backs(rest) == {"GC-1000-0002": 2000 - done.cards_cents, "card": 1000, "cash": total - 3000}
        assert balance(server, "GC-1000-0002") == Decimal("20.00")
        assert points(server, "M100003") == before
    finally:
        server.stop()
