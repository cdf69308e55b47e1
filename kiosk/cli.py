"""The non-GUI commands of `kiosk`. Runs without Qt: `python -m kiosk.cli ...` works too."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from kiosk import __version__, config, logs, private

NON_GUI = ("sandbox", "cards", "demo", "config", "queue", "decode", "operators", "audit", "catalogue", "doctor",
           "setup", "support-bundle")
# The commands that open Kiosk's files: their modes are checked (and tightened) first.
KEEPS_DATA = ("sandbox", "demo", "queue", "operators", "audit", "catalogue")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk", description="Kiosk loyalty terminal. Plain `kiosk` (or `kiosk gui`) opens the cashier "
        "window; the commands below run without it.")
    parser.add_argument("-V", "--version", action="version", version=f"kiosk {__version__}")
    # Taken out of the command line before parsing (kiosk/ops/environments.py), so it may stand anywhere.
    parser.add_argument("--environment", choices=("demo", "live", "training"),
                        help="demo, live or training, over the settings' environment")
    # The window's own flags, taken out before parsing too (take_window_flags): they choose the window.
    parser.add_argument("--mode", choices=("cashier", "selfservice"),
                        help="the cashier's window, or the shoppers' self-service kiosk (over the settings' mode)")
    parser.add_argument("--service-screen", action="store_true",
                        help="only a full-screen 'out of order' notice, with no backend (for a kiosk's unit "
                        "to show after repeated failures)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sb = sub.add_parser("sandbox", help="serve the local Annex Cloud sandbox")
    sb.add_argument("--host", default="127.0.0.1")
    sb.add_argument("--port", type=int, default=8750, help="0 picks a free port (default 8750)")
    sb.add_argument("--db", help="SQLite file (default: sandbox.sqlite3 in the data directory)")
    sb.add_argument("--fresh", action="store_true", help="start again from the demo data")
    sb.add_argument("--faults", action="store_true",
                    help="enable fault switches and the /_admin routes (tests only)")
    sb.add_argument("--profile", choices=("extended", "documented"), default="extended",
                    help="documented: only what the published API documents show (default extended)")
    sb.add_argument("--points-ratio", help="points per currency unit on orders (default 1)")
    sb.add_argument("--vendor", choices=("annex", "loyaltyprime"), default="annex",
                    help="whose API to serve the demo programme in (default annex: Annex Cloud)")

    cards = sub.add_parser("cards", help="save demo member and gift cards as scannable images")
    cards.add_argument("out", type=Path, help="folder to write PNG files and index.html into")

    sub.add_parser("demo", help="walk through the loyalty flows on the command line")

    dec = sub.add_parser("decode", help="read the codes in image or video files; one JSON line per file")
    dec.add_argument("files", nargs="+", metavar="FILE", help="images (PNG, JPEG, ...) or videos (MP4, AVI, ...)")
    dec.add_argument("--decoder", choices=("auto", "zxing", "zbar"), default="auto",
                     help="auto (default): zxing-cpp, with zbar as a second opinion")

    cfg = sub.add_parser("config", help="show where settings live and what is in effect")
    cfg.add_argument("action", choices=("show", "path", "init"), nargs="?", default="show")

    from kiosk.outbox import commands as queue_commands

    queue_commands.add_parser(sub)
    from kiosk.checkout import catalogue_commands, operator_commands

    operator_commands.add_parser(sub)
    catalogue_commands.add_parser(sub)
    doc = sub.add_parser("doctor", help="check this terminal: settings, backend, database, queue, devices, disk")
    doc.add_argument("--json", action="store_true", help="one JSON line per check")
    st = sub.add_parser("setup", help="set this terminal up: environment, backend, secret, store, devices, "
                        "the first manager (again: changes only what differs)")
    st.add_argument("--from", dest="from_file", metavar="FILE",
                    help="answers from a TOML file, for unattended roll-out (kiosk/ops/setup.py lists the keys)")
    sub.add_parser("support-bundle", help="write a zip for support to this folder: logs, versions, doctor, "
                   "settings without secrets, queue status (never the databases)")
    return parser


MODES = ("cashier", "selfservice")


def take_window_flags(args: list[str]) -> tuple[list[str], str | None, bool]:
    """`--mode NAME` and `--service-screen` anywhere on the command line, taken out: the rest,
    the mode asked for (None: the settings decide) and whether the service screen was asked for.
    They open a window, so they never reach the parser of the non-GUI commands."""
    out, mode, service = [], None, False
    rest = iter(args)
    for arg in rest:
        if arg == "--mode" or arg.startswith("--mode="):
            mode = arg.partition("=")[2] if "=" in arg else next(rest, "")
            if mode not in MODES:
                raise config.ConfigError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
        elif arg == "--service-screen":
            service = True
        else:
            out.append(arg)
    return out, mode, service


def _sandbox(args: argparse.Namespace) -> int:
    from kiosk.connect import sandbox_db_path
    from kiosk.sandbox.server import SandboxServer, print_info

    db = args.db or str(sandbox_db_path(config.load_settings()))
    if args.vendor != "annex" and not args.db:
        # One programme, two vendors' shapes: each keeps its own file so neither reads the other's tables.
        db = db.replace(".sqlite3", f"-{args.vendor}.sqlite3")
    site = {"pointsPerCurrencyUnit": args.points_ratio} if args.points_ratio else None
    try:
        server = SandboxServer(db, host=args.host, port=args.port, faults=args.faults, fresh=args.fresh, site=site,
                               profile=args.profile, vendor=args.vendor)
    except OSError as exc:
        print(f"kiosk sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    # uvicorn shuts down gracefully on SIGTERM/SIGINT and then re-raises the
    # signal; turning that into a normal exit lets a service manager see 0. Installed
    # before the info line: whoever reads it may stop the sandbox at once.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sys.exit(0))
    print_info(server)
    try:
        server.serve_forever()
    finally:
        server.close_store()
    return 0


def _config(action: str) -> int:
    path = config.settings_path()
    if action == "path":
        print(path)
    elif action == "init":
        if path.exists():
            print(f"{path} already exists", file=sys.stderr)
            return 1
        print(config.save_settings(config.Settings(), path))
    else:
        settings = config.load_settings()
        print(json.dumps({"file": str(path), "exists": path.exists(),
                          "settings": settings.model_dump(mode="json")}, indent=2))
    return 0


def _decode(files: list[str], mode: str) -> int:
    # OpenCV and the decoders load here only: the other commands never pay for them.
    from kiosk.scanner.decoders import DecoderUnavailable
    from kiosk.scanner.files import Limits, decode_file
    from kiosk.scanner.reader import FrameReader

    decode = config.load_settings().decode
    limits = Limits(max_megapixels=decode.max_megapixels, max_file_mb=decode.max_file_mb)
    try:
        reader = FrameReader(mode=mode)
    except DecoderUnavailable as exc:
        print(f"kiosk decode: {exc}", file=sys.stderr)
        return 2
    if reader.notice:
        print(f"kiosk decode: {reader.notice}", file=sys.stderr)
    for name in files:
        print(json.dumps(decode_file(name, reader, limits)), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    logs.setup()
    private.restrict_umask()
    from kiosk.ops import environments

    try:
        argv = environments.take_flag(list(sys.argv[1:] if argv is None else argv))
    except config.ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    from kiosk.ops import hooks, logfiles

    # A run's log file and hooks, taken down again when the run ends: a command run in-process
    # (the tests, a script) leaves the process's logging as it found it.
    ours = logfiles.current() is None
    logfiles.start(args.command)
    previous = hooks.install()
    # An exception on its way out keeps them: sys.excepthook (ours) logs it to the run's file.
    status = _run(args)
    hooks.restore(previous)
    if ours:
        logfiles.stop()
    return status


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "doctor":  # before the settings load: it says what is wrong with them
            from kiosk.ops import doctor

            return doctor.main(args.json)
        if args.command == "setup":  # before the settings load: it is how they get fixed
            from kiosk.ops import setup

            return setup.main(args.from_file)
        if args.command == "support-bundle":  # also when the settings are broken: that is what it is for
            from kiosk.ops import bundle

            return bundle.main()
        if args.command != "config":  # `config` shows a broken file's problem itself
            logs.set_level(config.load_settings().log.level)
        if args.command in KEEPS_DATA:
            private.secure_install(config.load_settings())
        if args.command == "sandbox":
            return _sandbox(args)
        if args.command == "cards":
            from kiosk.sandbox.cards import save_cards

            written = save_cards(args.out)
            print(f"{len(written)} files written to {args.out} (open index.html to print them)")
            return 0
        if args.command == "demo":
            from kiosk.walkthrough import run_sync

            return run_sync()
        if args.command == "queue":
            from kiosk.outbox import commands as queue_commands

            return queue_commands.run(args)
        if args.command in ("operators", "audit"):
            from kiosk.checkout import operator_commands

            return operator_commands.run(args)
        if args.command == "catalogue":
            from kiosk.checkout import catalogue_commands

            return catalogue_commands.run(args)
        if args.command == "decode":
            return _decode(args.files, args.decoder)
        return _config(args.action)
    except config.ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
