"""Sending a PDF or ZPL job to a printer: a CUPS queue through `lp`, or raw TCP (port 9100)."""

from __future__ import annotations

import re
import socket
import subprocess
from dataclasses import dataclass

METHODS = ("lp", "raw")
RAW_PORT = 9100
TIMEOUT_S = 10.0
QUEUE = re.compile(r"^[A-Za-z0-9_.@-]{1,127}$")
HOST_PORT = re.compile(
    r"^(?P<host>[A-Za-z0-9_.-]{1,253}|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?$"
)


class PrintError(RuntimeError):
    """The printer could not take the job; the message says why, for the person printing."""


@dataclass(frozen=True)
class Printer:
    """Where a workstation's labels go: `lp` and a CUPS queue, or `raw` and host[:port]."""

    method: str
    target: str

    def describe(self) -> str:
        """The printer as a person reads it."""
        return f"CUPS {self.target}" if self.method == "lp" else f"{self.target} (raw TCP)"


def check_printer(method: str, target: str) -> Printer:
    """A printer whose target has the right shape for its method, or ValueError."""
    target = (target or "").strip()
    if method == "lp":
        if not QUEUE.match(target):
            raise ValueError(
                "A CUPS queue name is 1 to 127 letters, digits, dots, dashes or underscores."
            )
    elif method == "raw":
        found = HOST_PORT.match(target)
        port = int(found.group("port") or RAW_PORT) if found else 0
        if not found or not 1 <= port <= 65535:
            raise ValueError("A raw printer is a host name or address, with :port if not 9100.")
    else:
        raise ValueError(f"Send labels by {' or '.join(METHODS)}.")
    return Printer(method, target)


def _host_port(target: str) -> tuple[str, int]:
    found = HOST_PORT.match(target)
    if not found:
        raise PrintError(f"{target!r} is not host or host:port.")
    host = found.group("host").strip("[]")
    return host, int(found.group("port") or RAW_PORT)


def send(printer: Printer, data: bytes, *, title: str = "labels", raw: bool = False) -> str:
    """Send one job; return what the printer or CUPS said, or raise PrintError."""
    if not data:
        raise PrintError("Nothing to print.")
    if printer.method == "raw":
        host, port = _host_port(printer.target)
        try:
            with socket.create_connection((host, port), timeout=TIMEOUT_S) as link:
                link.sendall(data)
                link.shutdown(socket.SHUT_WR)
        except OSError as error:
            raise PrintError(
                f"The printer at {host}:{port} did not take the job: {error}."
            ) from None
        return f"{len(data)} bytes sent to {host}:{port}"
    command = ["lp", "-d", printer.target, "-t", title[:80]]
    if raw:
        # ZPL goes to the printer untouched; CUPS would otherwise try to convert it.
        command += ["-o", "raw"]
    command.append("-")
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=TIMEOUT_S * 3)
    except FileNotFoundError:
        raise PrintError("The lp command is not installed on the server (CUPS).") from None
    except subprocess.TimeoutExpired:
        raise PrintError(f"CUPS did not answer in time for the queue {printer.target}.") from None
    said = (done.stdout or done.stderr).decode("utf-8", "replace").strip()
    if done.returncode != 0:
        raise PrintError(f"CUPS refused the job for {printer.target}: {said or done.returncode}.")
    return said or f"sent to {printer.target}"
