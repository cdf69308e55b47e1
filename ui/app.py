"""The `kiosk` command.

Non-GUI subcommands go to kiosk.cli before anything imports Qt, so `kiosk
sandbox` runs on a server with no display libraries. Until the cashier screen
lands, `kiosk` with no subcommand runs the command-line walk-through.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from kiosk import cli

    if not args:
        args = ["demo"]
    return cli.main(args)


if __name__ == "__main__":
    sys.exit(main())
