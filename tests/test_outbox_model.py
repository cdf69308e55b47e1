"""Hypothesis stateful test of the queue: any interleaving of enqueue, delivery, lost replies,
crashes with a reopen, and the backend going down and up keeps exactly-once and per-order sequence.

Runs against the real sandbox (duplicate protection off); time is a fake clock so
leases and backoffs can be stepped over instead of waited out.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from kiosk.config import OutboxSettings
from kiosk.loyalty import errors
from kiosk.outbox.engine import SyncEngine
from kiosk.outbox.queue import Outbox
from kiosk.outbox.store import open_database
from tests.helpers import client_for, set_faults
from tests.outbox_workload import Workload, ledger_counts, ledger_key, make_gift_cards, order_sequence_kept


class Clock:
    now = 2_000_000.0

    def __call__(self) -> float:
        return self.now


class OutboxModel(RuleBasedStateMachine):
    sandbox = None
    cards: list[str] = []

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="outbox-model-"))
        self.clock = Clock()
        self.client = client_for(self.sandbox, attempt_timeout=1.0)
        # Nothing listens on port 9 of loopback: every request is refused at once.
        self.unreachable = client_for(self.sandbox, attempt_timeout=1.0)
        self.unreachable.base_url = "http://127.0.0.1:9/api/3.0/"
        self.queued = []
        self.workload = Workload(cards=self.cards)
        self._open()

    def _open(self) -> None:
        self.db = open_database(self.folder / "terminal.sqlite3")
        self.outbox = Outbox(self.db, clock=self.clock)
        self.engine = SyncEngine(self.outbox, self.client, OutboxSettings(backoff_base_s=0.5, backoff_cap_s=4),
                                 attempt_timeout_s=1.0, clock=self.clock)

    def _run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def _deliver(self, n: int) -> None:
        ids = [row["id"] for row in self.outbox.rows("pending", n)]
        self._run(self.engine.deliver_now(ids, timeout_s=5))

    @initialize(seed=st.integers(0, 2**32))
    def start(self, seed: int) -> None:
        self.workload = Workload(cards=self.cards, seed=seed)

    @rule(kind=st.sampled_from(["order", "return", "points", "code"]), n=st.integers(1, 4))
    def enqueue(self, kind: str, n: int) -> None:
        operations = [self.workload.next(kind) for _ in range(n)]
        self.outbox.enqueue(operations)
        self.queued += operations

    @rule(n=st.integers(1, 6))
    def deliver(self, n: int) -> None:
        self._deliver(n)

    @rule(n=st.integers(1, 4))
    def lose_replies(self, n: int) -> None:
        set_faults(self.sandbox, drop_reply_rate=1.0)
        try:
            self._deliver(n)
        finally:
            set_faults(self.sandbox, drop_reply_rate=0.0)

    @rule(n=st.integers(1, 3))
    def backend_down(self, n: int) -> None:
        self.engine.backend = self.unreachable
        try:
            self._deliver(n)
        finally:
            self.engine.backend = self.client

    @rule(n=st.integers(1, 4), sent=st.booleans())
    def crash_and_reopen(self, n: int, sent: bool) -> None:
        """A drainer records its attempts, maybe sends them, and dies before recording any outcome."""
        for row in self.outbox.claim("doomed", n, 3.0):
            if sent and not row.maybe_sent:
                try:
                    self._run(self.client.send_write(row.kind, row.wire))
                except errors.LoyaltyError:
                    pass
        self.engine.close()
        self.db.close()
        self._open()

    @rule(seconds=st.sampled_from([1.0, 3.5, 10.0]))
    def time_passes(self, seconds: float) -> None:
        self.clock.now += seconds

    @invariant()
    def nothing_applied_twice_and_no_return_before_its_order(self) -> None:
        counts = ledger_counts(self.sandbox)
        assert all(counts[ledger_key(op)] <= 1 for op in self.queued)
        assert order_sequence_kept(self.sandbox) == []

    def teardown(self) -> None:
        try:
            for _ in range(50):
                if not self.outbox.status().depth:
                    break
                self.clock.now += 10
                self._deliver(50)
            counts = ledger_counts(self.sandbox)
            assert self.outbox.status().depth == 0 and self.outbox.status().dead == 0
            assert [ledger_key(op) for op in self.queued if counts[ledger_key(op)] != 1] == []
        finally:
            self.engine.close()
            self.db.close()
            self._run(self.client.aclose())
            self._run(self.unreachable.aclose())
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.mark.slow  # a stateful model run over many steps
def test_queue_model_keeps_exactly_once_and_order(sandbox):
    set_faults(sandbox, duplicate_protection=False)
    OutboxModel.sandbox = sandbox
    OutboxModel.cards = make_gift_cards(sandbox, 3)
    run_state_machine_as_test(OutboxModel, settings=settings(max_examples=25, stateful_step_count=20,
                                                             deadline=None))
