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
MAX_DEFAULT_PROCESSES = 4
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


def _count(text: str, what: str, most: int) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= most:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of {what} (1 to {most})")
    return count


def _threads(text: str) -> int:
    return _count(text, "threads", 256)


def default_processes() -> int:
    """One worker per CPU, within reason; one where processes cannot be forked."""
    if not hasattr(os, "fork"):
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_PROCESSES))


def _processes(text: str) -> int:
    processes = _count(text, "processes", 64)
    if processes > 1 and not hasattr(os, "fork"):
        raise argparse.ArgumentTypeError("this system cannot fork: use --processes 1")
    return processes


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
        help=f"requests each worker process serves at once (default {DEFAULT_THREADS})",
    )
    parser.add_argument(
        "--processes",
        type=_processes,
        default=default_processes(),
        help="worker processes serving at once (default: one per CPU, at most "
        f"{MAX_DEFAULT_PROCESSES}; always 1 where the system cannot fork)",
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


def listen(args: argparse.Namespace) -> socket.socket:
    """Bind the address before anything slow, so a busy port is reported at once."""
    where = f"{args.host}:{args.port}"
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            args.host, args.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
    except socket.gaierror:
        say(f"Cannot listen on {where}: unknown address. Check --host.", err=True)
        sys.exit(EXIT_CANNOT_LISTEN)
    try:
        # As waitress does: a restart does not wait for old connections to time out.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(1024)
    except OSError as error:
        listener.close()
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
    return listener


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
        badge = f"badge {account.badge} PIN {account.pin}" if account.badge else ""
        say(
            f"  {account.username:<10} {account.role:<11} {account.password:<16} "
            f"{badge:<23} {account.name}"
        )


def address(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        return f"http://{socket.gethostname()}:{port}/ (every network address of this machine)"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _stop(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def serve(
    app: Any,
    listener: socket.socket,
    threads: int,
    *,
    balance: Any = None,
    checkpointer: Any = None,
) -> None:
    """Serve requests on the listening socket until Ctrl+C or SIGTERM."""
    from waitress.server import create_server

    server = create_server(app, sockets=[listener], threads=threads)
    if balance is not None:
        balance(server)
    if checkpointer is not None:
        checkpointer.start()
    try:
        # Waitress returns from run() on Ctrl+C (and on SIGTERM, turned into one).
        server.run()
    finally:
        server.close()
        if checkpointer is not None:
            checkpointer.stop()


def supervise(
    app: Any, listener: socket.socket, args: argparse.Namespace, checkpointer: Any = None
) -> int:
    """Fork the worker processes, replace any that dies, stop them all on Ctrl+C or SIGTERM."""
    from workshop.workers import Workers

    def work(slot: int) -> None:
        serve(
            app,
            listener,
            args.threads,
            balance=lambda server: workers.balance.watch(server, slot),
            # Each worker checkpoints from a thread of its own: threads do not survive a fork.
            checkpointer=checkpointer,
        )
        app.extensions["workshop.engine"].dispose()

    workers = Workers(work, args.processes)
    # Connections made before the fork (migrations, demo) must not be shared by the workers.
    app.extensions["workshop.engine"].dispose()
    try:
        workers.run()
    except KeyboardInterrupt:
        pass
    finally:
        workers.stop()
    if workers.failed:
        say(workers.failed, err=True)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")

    from inventory.checkpoints import checkpoint_in_background
    from workshop import create_app

    app = create_app()
    listener = listen(args)
    status = 0
    try:
        migrate(app)
        if args.demo:
            fill_demo(app)
        engine = app.extensions["workshop.engine"]
        checkpointer = checkpoint_in_background(engine)
        say(f"Database: {engine.url.render_as_string(hide_password=True)}")
        say(f"Workshop is running at {address(args.host, args.port)} - press Ctrl+C to stop.")
        signal.signal(signal.SIGTERM, _stop)
        # What start-up loaded lives as long as the process: keep it out of the
        # collector's way, so full collections do not stall requests for it
        # (and the workers share those pages with the parent instead of copying them).
        gc.collect()
        gc.freeze()
        if args.processes > 1:
            status = supervise(app, listener, args, checkpointer)
        else:
            serve(app, listener, args.threads, checkpointer=checkpointer)
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
        app.extensions["workshop.engine"].dispose()
    say("Workshop stopped.")
    return status


if __name__ == "__main__":
    sys.exit(main())
