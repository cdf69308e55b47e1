"""`kiosk operators list | add | set-pin | enable | disable` and `kiosk audit`: for a store's IT person.

Changes made here are audited as "store IT" (no operator id): whoever runs these
already has the terminal's files, so a PIN prompt would prove nothing more.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date, datetime
from typing import TYPE_CHECKING

from kiosk import config
from kiosk.outbox.commands import terminal_db_path

if TYPE_CHECKING:  # the parser is built on every `kiosk` start; the modules load only when used
    from kiosk.checkout.operators import Operators


def add_parser(sub: argparse._SubParsersAction) -> None:
    operators = sub.add_parser("operators", help="cashiers and managers who sign in at this terminal")
    actions = operators.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every operator, with role and state")
    add = actions.add_parser("add", help="a new operator; the PIN is asked for twice")
    add.add_argument("id", help="1 to 16 letters or digits, like C02")
    add.add_argument("name")
    add.add_argument("--role", choices=("cashier", "manager"), required=True)
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN from one line of standard input")
    set_pin = actions.add_parser("set-pin", help="a new PIN (also lifts a lock)")
    set_pin.add_argument("id")
    set_pin.add_argument("--pin-stdin", action="store_true", help="read the PIN from one line of standard input")
    for name, text in (("disable", "stop an operator signing in (the audit log keeps their name)"),
                       ("enable", "let a disabled operator sign in again")):
        actions.add_parser(name, help=text).add_argument("id")

    audit = sub.add_parser("audit", help="the audit log: sign-ins, approvals, operator changes")
    audit.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="from this day on (local time)")
    audit.add_argument("--operator", metavar="ID", help="entries by or approved by this operator")
    audit.add_argument("--action", metavar="A", help="e.g. price_override, void, sign_in_failed, lockout")
    audit.add_argument("--limit", type=int, default=200, help="the newest N entries (default 200)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day like 2026-12-01") from None


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    first = getpass.getpass("PIN (4 to 8 digits): ")
    if getpass.getpass("The same PIN again: ") != first:
        from kiosk.checkout.operators import OperatorError

        raise OperatorError("The two PINs differ; nothing was changed. Run the command again.")
    return first


def run(args: argparse.Namespace) -> int:
    from kiosk.checkout.audit import AuditLog
    from kiosk.checkout.operators import OperatorError, Operators
    from kiosk.outbox.store import StorageError, open_database

    settings = config.load_settings()
    prog = f"kiosk {args.command}"
    try:
        db = open_database(terminal_db_path(settings))
    except StorageError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    audit = AuditLog(db, settings.store.terminal_id)
    operators = Operators(db, audit=audit)
    try:
        if args.command == "audit":
            entries = audit.entries(since=args.since, operator_id=args.operator, action=args.action,
                                    limit=args.limit)
            for line in audit.lines(entries) or ["nothing to list"]:
                print(line)
            return 0
        return _operators(operators, args)
    except (OperatorError, StorageError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    finally:
        db.close()


def _operators(operators: "Operators", args: argparse.Namespace) -> int:
    if args.action == "list":
        everyone = operators.list()
        if not everyone:
            print("No operators yet. Add the first manager: kiosk operators add M01 NAME --role manager")
        for op in everyone:
            state = "active" if op.active else "disabled"
            if op.active and op.locked_until and op.locked_until > operators.clock():
                state = f"locked until {datetime.fromtimestamp(op.locked_until):%H:%M:%S}"
            print(f"{op.id:<8} {op.name:<24} {op.role:<8} {state}")
        return 0
    if args.action == "add":
        operators.check_new(args.id, args.name, args.role)  # before asking for a PIN twice
        op = operators.add(args.id, args.name, args.role, _read_pin(args.pin_stdin))
        print(f"added {op.id} {op.name} ({op.role}); they sign in with their ID and PIN")
        return 0
    if args.action == "set-pin":
        operators.get(args.id)
        operators.set_pin(args.id, _read_pin(args.pin_stdin))
        print(f"new PIN set for {args.id}; any lock is lifted")
        return 0
    operators.set_active(args.id, args.action == "enable")
    print(f"{args.id} is {args.action}d")
    return 0
