"""`kiosk queue status | list | retry ID | drain`: the outbox for store IT."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from datetime import datetime
from pathlib import Path

from typing import TYPE_CHECKING

from kiosk import config, i18n
from kiosk.outbox.events import age_text

if TYPE_CHECKING:  # the parser is built on every `kiosk` start; the queue loads only when used
    from kiosk.outbox.queue import Outbox

log = logging.getLogger(__name__)


def terminal_db_path(settings: config.Settings) -> Path:
    if settings.outbox.db_path:
        return Path(settings.outbox.db_path)
    return config.data_dir() / "terminal.sqlite3"


def add_parser(sub: argparse._SubParsersAction) -> None:
    queue = sub.add_parser("queue", help="the outbox of backend writes: status, list, retry, drain")
    actions = queue.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="depth, oldest item, dead letters, pause")
    listing = actions.add_parser("list", help="operations not yet delivered (or --state done|dead|pending)")
    listing.add_argument("--state", choices=("pending", "held", "dead", "done", "refused", "cancelled"))
    listing.add_argument("--limit", type=int, default=50)
    retry = actions.add_parser("retry", help="send a dead-lettered operation again")
    retry.add_argument("id", type=int)
    resolve = actions.add_parser("resolve", help="settle a held write (its outcome could not be checked): "
                                 "a manager says whether the backend applied it")
    resolve.add_argument("id", type=int)
    answer = resolve.add_mutually_exclusive_group(required=True)
    answer.add_argument("--applied", action="store_true", help="the backend has it: mark it delivered")
    answer.add_argument("--resend", action="store_true", help="the backend does not have it: send it again")
    resolve.add_argument("--manager", required=True, help="the approving manager's operator id")
    # Required, never filled in: the audit log keeps what the manager checked.
    resolve.add_argument("--reason", required=True, help="what was checked, in a few words")
    resolve.add_argument("--pin-stdin", action="store_true", help="read the PIN from one line of standard input")
    drain = actions.add_parser("drain", help="deliver everything pending, then exit")
    drain.add_argument("--max-seconds", type=float, default=None,
                       help="give up after this long (default: until the queue is empty)")


def run(args: argparse.Namespace) -> int:
    from kiosk.outbox.queue import Outbox
    from kiosk.outbox.store import StorageError, open_database

    settings = config.load_settings()
    path = terminal_db_path(settings)
    try:
        db = open_database(path)
    except StorageError as exc:
        print(f"kiosk queue: {exc}", file=sys.stderr)
        return 1
    outbox = Outbox(db)
    try:
        if args.action == "status":
            return _status(outbox, path)
        if args.action == "list":
            return _list(outbox, args.state, args.limit)
        if args.action == "retry":
            if outbox.retry(args.id):
                print(f"operation {args.id} is queued again; the app (or `kiosk queue drain`) will send it")
                return 0
            print(f"kiosk queue: operation {args.id} is not dead-lettered (see `kiosk queue list --state dead`)",
                  file=sys.stderr)
            return 1
        if args.action == "resolve":
            return _resolve(outbox, settings, args)
        return asyncio.run(_drain(outbox, settings, args.max_seconds))
    except StorageError as exc:
        print(f"kiosk queue: {exc}", file=sys.stderr)
        return 1
    finally:
        db.close()


def _status(outbox: "Outbox", path: Path) -> int:
    status = outbox.status()
    integrity = outbox.db.integrity()
    print(f"database:   {path} ({'ok' if integrity == 'ok' else 'DAMAGED: ' + integrity})")
    print(f"pending:    {status.depth} (oldest {age_text(status.oldest_age_s)})")
    print(f"dead:       {status.dead}" + ("  -> `kiosk queue list --state dead`" if status.dead else ""))
    print(f"held:       {status.held}" + ("  -> `kiosk queue list --state held`, then `kiosk queue resolve ID`"
                                          if status.held else ""))
    back = outbox.giving_back()
    if back.undos:
        print(f"giving back: {back.undos} redemption(s) of failed sales or returns, {back.on_cards} of it on cards"
              f" and {back.points} points (held there until delivered)")
    if status.blocked:
        print(f"blocked:    {status.blocked} waiting behind a dead operation of the same order or code")
    print(f"delivery:   {'PAUSED: ' + status.paused if status.paused else 'running'}")
    return 0 if integrity == "ok" else 1


def _list(outbox: "Outbox", state: str | None, limit: int) -> int:
    # Operation ids, kinds, states and reasons only: bodies carry member data.
    rows = outbox.rows(state, limit)
    if not rows:
        print("nothing to list")  # a person reading an empty screen can't tell "none" from "broken"
    for row in rows:
        created = datetime.fromtimestamp(row["created_at"]).strftime("%Y-%m-%d %H:%M:%S")
        line = {"id": row["id"], "kind": row["kind"], "state": row["state"], "created": created,
                "attempts": row["attempts"], "in_doubt": bool(row["maybe_sent"]), "key": row["key"]}
        if row["last_error"]:
            line["reason"] = i18n.readable(row["last_error"], i18n.ENGLISH)  # the command line stays English
        if row["backend_view"]:
            line["backend_has"] = json.loads(row["backend_view"])
        if row["state"] == "held":
            # What a manager needs to judge it: what was asked (amounts, no member data
            # beyond what the queue already shows), and the documented reads' answers.
            line["sent"] = _summary(json.loads(row["intent"] or "{}"))
            if row["evidence"]:
                line["evidence"] = json.loads(row["evidence"])
        print(json.dumps(line, ensure_ascii=False))
    return 0


def _summary(intent: dict) -> str:
    kind = intent.get("kind", "")
    if kind == "order":
        order = intent.get("order") or {}
        return f"order {order.get('id')} of {order.get('total')}"
    if kind in ("redeem_code", "undo_code"):
        spend = intent.get("spend") or {}
        verb = "undo of a redemption of" if kind == "undo_code" else "redemption of"
        return f"{verb} card {spend.get('code')}" + (f" for {spend['amount']}" if spend.get("amount") else "")
    if kind == "redeem_codes":
        return "redemption of cards " + ", ".join(f"{s.get('code')} for {s.get('amount')}"
                                                 for s in intent.get("spends") or [])
    if kind == "full_return":
        return f"full return of order {intent.get('order_id')}"
    if kind == "return_lines":
        return f"return of {len(intent.get('lines') or [])} line(s) of order {intent.get('order_id')}"
    if kind in ("award_points", "debit_points"):
        return f"{'award' if kind == 'award_points' else 'debit'} of {intent.get('points')} points"
    if kind == "redeem_reward":
        return f"reward {intent.get('reward_id')} redeemed"
    if kind == "reverse_reward":
        return "reward redemption reversed"
    if kind == "redeem_points":
        return f"{intent.get('points')} points paid {intent.get('amount')} of order {intent.get('order_id')}"
    if kind == "enrol":
        consent = intent.get("consent") or {}
        return (f"enrolment of {intent.get('contact')}, marketing consent "
                f"{'yes' if consent.get('marketing') else 'no'} at {consent.get('given_at')}")
    if kind == "reverse_points":
        return f"{intent.get('points')} points ({intent.get('amount')}) given back for order {intent.get('order_id')}"
    return kind


def _resolve(outbox: "Outbox", settings: config.Settings, args: argparse.Namespace) -> int:
    import getpass

    from kiosk.checkout.audit import AuditLog
    from kiosk.checkout.operators import OperatorError, Operators

    row = outbox.get(args.id)
    if row is None or row["state"] != "held":
        print(f"kiosk queue: operation {args.id} is not held (see `kiosk queue list --state held`)", file=sys.stderr)
        return 1
    audit = AuditLog(outbox.db, settings.store.terminal_id)
    operators = Operators(outbox.db, terminal_id=settings.store.terminal_id, audit=audit)
    pin = sys.stdin.readline().strip() if args.pin_stdin else getpass.getpass(f"PIN of {args.manager}: ")
    reason = args.reason
    try:
        approval = operators.authorize("resolve_held_write", args.manager, pin, requested_by=args.manager,
                                       subject=f"operation {args.id}", reason=reason)
    except OperatorError as exc:
        print(f"kiosk queue: {exc}", file=sys.stderr)
        return 1
    with outbox.db.tx() as conn:
        state = outbox.resolve_in(conn, args.id, args.applied, reason)
        if state is not None:
            operators.record_approval(conn, approval, {"operation": args.id, "kind": row["kind"],
                                                       "applied": bool(args.applied), "now": state})
    if state is None:
        print(f"kiosk queue: operation {args.id} was settled meanwhile; nothing changed", file=sys.stderr)
        return 1
    print({"done": f"operation {args.id} is marked delivered",
           "pending": f"operation {args.id} is queued again with its own key; the app (or `kiosk queue drain`) "
                      "sends it",
           "cancelled": f"operation {args.id} is cancelled: its sale had been given up, so nothing is sent"}[state])
    return 0


async def _drain(outbox: "Outbox", settings: config.Settings, max_seconds: float | None) -> int:
    from kiosk.connect import connect
    from kiosk.outbox.engine import SyncEngine

    connection = connect(settings)
    # Unpaced (kiosk/outbox/pace.py): a person waits at the command line for this drain.
    unpaced = settings.outbox.model_copy(update={"drain_per_s": 0})
    engine = SyncEngine(outbox, connection.client, unpaced, attempt_timeout_s=settings.backend.attempt_timeout_s,
                        probe_member=settings.loyalty.guest_user_id)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: asyncio.ensure_future(engine.stop()))
    try:
        async with asyncio.timeout(max_seconds):
            status = await engine.run(until_empty=True)
    except TimeoutError:
        status = outbox.status()
        print(f"kiosk queue drain: stopped after {max_seconds:g} s with {status.depth} pending "
              f"(connection: {engine.state})", file=sys.stderr)
        return 1
    finally:
        await connection.aclose()
        engine.close()
    if status.paused:
        print(f"kiosk queue drain: {status.paused}", file=sys.stderr)
        return 1
    print(f"queue drained: {engine.delivered} delivered by this run, {status.depth} pending, {status.dead} dead"
          + (f" ({status.blocked} held back by them)" if status.blocked else ""))
    return 0
