"""A reward pass from the self-service kiosk, scanned at the till (kiosk/app/sale.py).

The pass is checked in this order: its signature and expiry (kiosk/selfservice/passes.py),
that no sale paid with it before (kiosk/selfservice/used.py), then the member is read again,
since points and rewards may have changed since the kiosk: a sale with no member gets the
pass's member; one with another member asks the cashier, as a card scan does. The reward must
still be the member's and usable (MemberView.why_not); then it is selected like a tap on it,
and its points are spent at Pay. The pass's id rides on the sale's reward (RewardChoice.pass_id),
so the sale's commit records it as used in the same transaction (kiosk/checkout/sales.py).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from kiosk import formats
from kiosk.checkout.errors import CheckoutError
from kiosk.i18n import _
from kiosk.selfservice import passes
from kiosk.selfservice.keys import pass_key
from kiosk.selfservice.used import UsedPasses

if TYPE_CHECKING:
    from kiosk.app.sale import Sale


class TillPasses:
    def __init__(self, sale: "Sale"):
        self.sale = sale
        self.clock: Callable[[], float] = time.time  # a pass's expiry is checked against it
        self.used = UsedPasses(sale.terminal.till.db)

    def scanned(self, text: str) -> None:
        sale = self.sale
        session = sale.session

        def select(found) -> None:
            if found is None or session is not sale.session:
                return  # the cashier kept the other member, or the sale moved on meanwhile
            reward_pass, view, reward = found
            if sale.cart_open:
                try:
                    # The view just read, for the same member too: the points the reward is checked against.
                    sale.session.attach_member(view)
                except CheckoutError as exc:
                    sale._say(str(exc))
                    return
            if any(r.reward_id == reward.reward_id for r in sale.session.rewards):
                sale._say(_("“{0}” is already on this sale.").format(reward.name))
                return
            sale.select_reward(reward, reward_pass.pass_id)

        sale._task(sale._scan_task("pass"), self._check(text), select)

    async def _check(self, text: str):
        sale = self.sale
        key = await asyncio.to_thread(pass_key, sale.terminal.settings)
        reward_pass = passes.read(text, key, datetime.fromtimestamp(self.clock(), timezone.utc))
        used = await asyncio.to_thread(self.used.used, reward_pass.pass_id)
        if used is not None:
            when = formats.when(datetime.fromtimestamp(used.used_at, timezone.utc))
            raise passes.PassRefused(_("This reward QR was already used, on sale {0} at {1}. The member can make a "
                                       "new one at the kiosk if the reward is still theirs.").format(
                                           used.sale_id, when))
        if any(r.pass_id == reward_pass.pass_id for r in sale.session.rewards):
            raise passes.PassRefused(_("This reward QR is already on this sale."))
        sale.session.require_cart_open()
        view = await sale._replacing(sale.checkout.find_member(reward_pass.member_id))
        if view is None:
            return None
        if "rewards" in view.missing or "points" in view.missing:
            raise passes.PassRefused(_("The member's rewards can't be read now (the loyalty service can't be "
                                       "reached), so the reward QR can't be used; try again in a moment."))
        reward = next((r for r in view.rewards if r.reward_id == reward_pass.reward_id), None)
        if reward is None:
            raise passes.PassRefused(_("The reward on this QR is no longer offered to this member, so it can't "
                                       "be used."))
        same = sale.session.member_id == view.member_id
        spent = sum(r.credit_required for r in sale.session.rewards) if same else 0
        why = view.why_not(reward, spent)
        if why is not None:
            raise passes.PassRefused(_("The reward QR for “{0}” can't be used now: {1}.").format(reward.name, why))
        return reward_pass, view, reward
