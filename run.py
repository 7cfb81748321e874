"""Start the workshop on this machine: `python run.py`, then open the address it prints.

The database and the secret key are created in the instance folder on first
start and the migrations are applied before serving, so a fresh checkout
needs nothing else. `--demo` also fills an empty database with a believable
workshop to try things on.

Exit status: 0 stopped with Ctrl+C, 2 wrong usage, 3 cannot listen on the
address (port in use), 4 the database cannot be reached or migrated.
"""

from __future__ import annotations

import argparse
import errno
import gc
import logging
import os
import signal
import socket
import sys
import time
from typing import Any

DEFAULT_PORT = 8000
DEFAULT_THREADS = 8
EXIT_CANNOT_LISTEN = 3
EXIT_DATABASE = 4


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1 to 65535)")
    return port


def _threads(text: str) -> int:
    try:
        threads = int(text)
    except ValueError:
        threads = 0
    if not 1 <= threads <= 256:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of threads (1 to 256)")
    return threads


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with the port taken from $PORT when --port is not given."""
    parser = argparse.ArgumentParser(
        prog="python run.py",
        description="Start the workshop with waitress on the embedded database "
        "(or WORKSHOP_DATABASE_URL), after applying the migrations.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; "
        "0.0.0.0 opens the workshop to the local network)",
    )
    parser.add_argument(
        "--port", type=_port, default=None, help=f"port (default: $PORT, else {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--threads",
        type=_threads,
        default=DEFAULT_THREADS,
        help=f"requests served at once (default {DEFAULT_THREADS})",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="fill an empty database with demo lots, devices and users, and print their passwords",
    )
    args = parser.parse_args(argv)
    if args.port is None:
        from_env = os.environ.get("PORT", "").strip()
        try:
            args.port = _port(from_env) if from_env else DEFAULT_PORT
        except argparse.ArgumentTypeError as error:
            parser.error(f"PORT={from_env!r}: {error}")
    return args


def say(message: str = "", *, err: bool = False) -> None:
    print(message, file=sys.stderr if err else sys.stdout, flush=True)


def listen(app: Any, args: argparse.Namespace) -> Any:
    """Bind the address before anything slow, so a busy port is reported at once."""
    from waitress.server import create_server

    try:
        return create_server(app, host=args.host, port=args.port, threads=args.threads)
    except ValueError:
        # Waitress's word for a host name that does not resolve.
        say(f"Cannot listen on {args.host}:{args.port}: unknown address. Check --host.", err=True)
        sys.exit(EXIT_CANNOT_LISTEN)
    except OSError as error:
        where = f"{args.host}:{args.port}"
        if error.errno == errno.EADDRINUSE:
            reason = (
                f"Port {args.port} is already in use on {args.host}: another program "
                "(perhaps a workshop already running) listens there. Stop it, or choose "
                "another port with --port."
            )
        elif error.errno == errno.EACCES:
            reason = (
                f"Not allowed to listen on {where}: ports below 1024 need administrator "
                "rights. Choose another port with --port."
            )
        else:
            reason = f"Cannot listen on {where}: {error.strerror or error}. Check --host."
        say(reason, err=True)
        sys.exit(EXIT_CANNOT_LISTEN)


def migrate(app: Any) -> None:
    """Apply the migrations; a database we cannot reach is one clear line, not a traceback."""
    from sqlalchemy.exc import DBAPIError

    from workshop.cli import database_trouble
    from workshop.migrate import upgrade

    engine = app.extensions["workshop.engine"]
    try:
        upgrade(engine)
    except DBAPIError as error:
        say(database_trouble(engine, error).message, err=True)
        sys.exit(EXIT_DATABASE)


def fill_demo(app: Any) -> None:
    """Fill an empty database with the demo workshop and print the demo accounts."""
    from inventory.db import transaction
    from workshop import demo

    started = time.perf_counter()
    with transaction(app.extensions["workshop.sessions"]) as session:
        if not demo.is_empty(session):
            say("The database already holds data: --demo leaves it alone.")
            return
        made = demo.fill(session)
    seconds = time.perf_counter() - started
    say(
        f"Demo workshop created in {seconds:.1f} s: {made.devices} devices "
        f"from {made.lots} donor lots, {len(made.accounts)} users."
    )
    say("Demo accounts (these passwords are printed here: use this database only to try things):")
    for account in made.accounts:
        say(f"  {account.username:<10} {account.role:<11} {account.password:<16} {account.name}")


def address(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        return f"http://{socket.gethostname()}:{port}/ (every network address of this machine)"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _stop(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")

    from workshop import create_app

    app = create_app()
    server = listen(app, args)
    try:
        migrate(app)
        if args.demo:
            fill_demo(app)
        engine = app.extensions["workshop.engine"]
        say(f"Database: {engine.url.render_as_string(hide_password=True)}")
        say(f"Workshop is running at {address(args.host, args.port)} - press Ctrl+C to stop.")
        signal.signal(signal.SIGTERM, _stop)
        # What start-up loaded lives as long as the process: keep it out of the
        # collector's way, so full collections do not stall requests for it.
        gc.collect()
        gc.freeze()
        # Waitress returns from run() on Ctrl+C (and on SIGTERM, turned into one).
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        app.extensions["workshop.engine"].dispose()
    say("Workshop stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
