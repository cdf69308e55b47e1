"""Mixed outbox workloads and the ledger checks that prove exactly-once delivery.

Shared by the crash test, the two-drainer test and the drain benchmark.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from kiosk.loyalty import writes as w
from kiosk.loyalty.models import CodeSpend, Order, OrderLine
from kiosk.outbox import ops
from kiosk.outbox.ops import Operation
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import open_database
from kiosk.sandbox.server import SandboxServer

MEMBERS = ("M100001", "M100002", "M100003", "M100004", "M100005")
# The share of each kind: the drain benchmark's mix (70% orders, 15% returns, 10% points, 5% codes).
MIX = (("order", 70), ("return", 15), ("points", 10), ("code", 5))


def make_gift_cards(server: SandboxServer, count: int, balance: str = "100000.00") -> list[str]:
    """Cards with room for thousands of small spends (the demo cards hold 50.00 at most)."""
    from tests.helpers import raw_send

    codes = [f"GC-LOAD-{n:04d}" for n in range(count)]
    body = [{"incentiveCode": c, "incentiveType": "giftcard", "codeValue": balance} for c in codes]
    response = raw_send(server, "POST", "incentive/codes", body)
    response.raise_for_status()
    return codes


@dataclass
class Workload:
    """Generates operations whose outcome is fully determined, and what the ledger must show."""

    terminal: str = "T01"
    seed: int = 0
    cards: list[str] = field(default_factory=list)
    rng: random.Random = field(init=False)
    orders: list[tuple[Order, dict[str, int]]] = field(default_factory=list)  # order, units left per line
    returned: set[str] = field(default_factory=set)
    redemptions: list[CodeSpend] = field(default_factory=list)
    # Encodes the intents (any adapter; its bytes are what is sent). None: Annex Cloud.
    encoder: ops.Encoder | None = None
    # Returned lines priced by the terminal (a documented points debit), not by the backend.
    priced_here: bool = False

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        if self.encoder is None:
            from tests.helpers import annex_encoder

            self.encoder = annex_encoder()

    def operations(self, count: int, mix=MIX) -> list[Operation]:
        kinds = [k for k, share in mix for _ in range(share)]
        return [self.next(self.rng.choice(kinds)) for _ in range(count)]

    def next(self, kind: str) -> Operation:
        if kind == "return" and self._returnable():
            return self._return()
        if kind == "code" and self.cards:
            return self._code()
        if kind == "points":
            return self._points()
        return self._order()

    def _order(self) -> Operation:
        order_id = ops.new_order_id(self.terminal)
        lines = tuple(OrderLine(f"L{n}", f"Item {n}", Decimal(self.rng.randint(100, 5000)) / 100,
                                self.rng.randint(1, 4)) for n in range(self.rng.randint(1, 3)))
        total = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
        order = Order(order_id, self.rng.choice(MEMBERS), total, lines, store_id="STORE-001")
        self.orders.append((order, {line.id: line.quantity for line in lines}))
        return ops.create_order(self.encoder, w.AccrueOrder(order))

    def _returnable(self) -> list[tuple[Order, dict[str, int]]]:
        return [(o, left) for o, left in self.orders if o.id not in self.returned and any(left.values())]

    def _return(self) -> Operation:
        order, left = self.rng.choice(self._returnable())
        if self.rng.random() < 0.3:
            self.returned.add(order.id)
            return ops.full_return(self.encoder, w.ReturnOrder(order.id, order.member_id))
        line_id = self.rng.choice([k for k, v in left.items() if v])
        left[line_id] -= 1
        line = w.ReturnedLine(line_id, 1, 1 if self.priced_here else None)
        return ops.return_lines(self.encoder, w.ReturnLines(order.member_id, order.id, (line,), ops.new_key(self.terminal)))

    def _points(self) -> Operation:
        member, key = self.rng.choice(MEMBERS), ops.new_key(self.terminal)
        if self.rng.random() < 0.7:
            return ops.points(self.encoder, w.AwardPoints(member, self.rng.randint(1, 50), key, "goodwill"))
        return ops.points(self.encoder, w.DebitPoints(member, self.rng.randint(1, 5), key, "correction"))

    def _code(self) -> Operation:
        undoable = [r for r in self.redemptions if r.reference_id]
        if undoable and self.rng.random() < 0.2:
            original = undoable.pop(self.rng.randrange(len(undoable)))
            self.redemptions.remove(original)
            return ops.undo_code(self.encoder, w.UndoCode(CodeSpend(original.code, original.user_id,
                                                                    ops.new_key(self.terminal),
                                                                    undo_of=original.reference_id)))
        spend = CodeSpend(self.rng.choice(self.cards), "guest", ops.new_key(self.terminal),
                          amount=Decimal(self.rng.randint(1, 100)) / 100)
        self.redemptions.append(spend)
        return ops.redeem_code(self.encoder, w.SpendCode(spend))


def ledger_key(op: Operation) -> tuple[str, str]:
    if op.kind == "order":
        return ("order_create", op.key)
    if op.kind == "full_return":
        return ("order_return", op.key.removesuffix("-RETURN"))
    return ("ref", op.key)


def ledger_counts(server: SandboxServer) -> Counter:
    from tests.helpers import ledger

    counts: Counter = Counter()
    for entry in ledger(server):
        if entry["kind"] in ("order_create", "order_return"):
            counts[(entry["kind"], entry["order_id"])] += 1
        elif entry["reference"]:
            counts[("ref", entry["reference"])] += 1
    return counts


def order_sequence_kept(server: SandboxServer) -> list[str]:
    """Orders whose returns the ledger shows before the order itself (should be none)."""
    from tests.helpers import ledger

    created, broken = set(), []
    for entry in ledger(server):
        if entry["kind"] == "order_create":
            created.add(entry["order_id"])
        elif entry["kind"] in ("order_return", "order_partial_return") and entry["order_id"] not in created:
            broken.append(entry["order_id"])
    return broken



def enqueue_into(db_path, operations) -> list[int]:
    """Queue operations in a terminal database as a till would, then let go of the file."""
    database = open_database(db_path)
    try:
        return Outbox(database).enqueue(list(operations))
    finally:
        database.close()


def assert_exactly_once(server: SandboxServer, operations) -> None:
    counts = ledger_counts(server)
    wrong = {ledger_key(op): counts[ledger_key(op)] for op in operations if counts[ledger_key(op)] != 1}
    kinds = {ledger_key(op): op.kind for op in operations}
    assert wrong == {}, f"{len(wrong)} operations not applied exactly once: " + ", ".join(
        f"{kinds[k]} {k[1]} x{n}" for k, n in wrong.items())
    assert order_sequence_kept(server) == []
