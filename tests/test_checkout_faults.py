"""Pay with gift cards when replies are lost: one lost reply does not block the card,
and what a failed sale holds on a card is given back by the queue alone."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from kiosk import cli
from tests.checkout_env import running_till
from tests.helpers import ledger, set_faults
from tests.outbox_workload import make_gift_cards
from tests.test_checkout_flows import _paid_by_card as _sale_with_card, balance


async def _pay_losing_the_reply(sandbox, till, sale):
    set_faults(sandbox, drop_reply_rate=1.0)
    try:
        result = await till.checkout.pay(sale)
    finally:
        set_faults(sandbox, drop_reply_rate=0.0)
    assert not result.ok and "no answer in time" in result.message
    return result


async def test_a_lost_reply_does_not_block_the_card_for_the_next_sale(sandbox, tmp_path):
    [card] = make_gift_cards(sandbox, 1, balance="100.00")
    async with running_till(sandbox, tmp_path, authorize_timeout_s=0.5) as till:
        await _pay_losing_the_reply(sandbox, till, await _sale_with_card(till, card))
        started = time.monotonic()
        result = await till.checkout.pay(await _sale_with_card(till, card))
        assert result.ok, result.message
        assert time.monotonic() - started < 2  # not after the first one's settling


async def test_a_card_that_cannot_cover_both_says_its_last_payment_is_being_confirmed(sandbox, tmp_path):
    [card] = make_gift_cards(sandbox, 1, balance="3.00")  # one sale fits, two don't
    async with running_till(sandbox, tmp_path, authorize_timeout_s=0.5) as till:
        first, second = await _sale_with_card(till, card), await _sale_with_card(till, card)
        await _pay_losing_the_reply(sandbox, till, first)
        result = await till.checkout.pay(second)
        assert not result.ok
        assert "this card's last payment is being confirmed, about" in result.message
        seconds = int(result.message.split("confirmed, about ")[1].split(" s")[0])
        assert 1 <= seconds <= till.engine.urgent_settle_s + 2


def test_the_queue_alone_gives_back_what_a_failed_sale_holds_on_a_card(sandbox, tmp_path, monkeypatch, capsys):
    [card] = make_gift_cards(sandbox, 1, balance="20.00")

    async def fail_a_sale_and_close():
        async with running_till(sandbox, tmp_path, authorize_timeout_s=0.5) as till:
            await _pay_losing_the_reply(sandbox, till, await _sale_with_card(till, card))
        # The app closed before the lost reply settled: only the queue is left.

    asyncio.run(fail_a_sale_and_close())
    assert balance(sandbox, card) < Decimal("20.00")  # applied; the reply was lost
    site = sandbox.store.site
    for name, value in {"KIOSK_OUTBOX__DB_PATH": str(tmp_path / "T01.sqlite3"), "KIOSK_BACKEND__URL": sandbox.base_url,
                        "KIOSK_BACKEND__SITE_ID": site.site_id, "KIOSK_BACKEND__SITE_NAME": site.site_name,
                        "KIOSK_API_SECRET": site.secret, "KIOSK_SETTINGS": str(tmp_path / "settings.toml"),
                        "KIOSK_BACKEND__ATTEMPT_TIMEOUT_S": "1", "KIOSK_OUTBOX__BACKOFF_BASE_S": "0.02"}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["queue", "status"]) == 0
    out = capsys.readouterr().out
    assert "pending:    2" in out and "giving back: 1 redemption(s) of failed sales or returns" in out
    assert cli.main(["queue", "drain", "--max-seconds", "20"]) == 0
    assert "0 pending, 0 dead" in capsys.readouterr().out
    assert [row["code"] for row in ledger(sandbox, "code_undo")] == [card]
    assert balance(sandbox, card) == Decimal("20.00")
