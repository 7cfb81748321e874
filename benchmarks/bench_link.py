"""The serial link's cost per query against raw pyserial, on the same pty in the same run.

A simulated bench (tests/bench_simulator.py) answers at once on a real pty. The
same queries go through our `Link.query` (lock, deadline, comment and noise
skipping, transcript) and through raw pyserial `write` + `read_until` on the
same port, in alternating rounds so that both meet the same machine. Prints the
per-query medians and p90s and the ratio of the medians (target: at most 1.2).

    python benchmarks/bench_link.py                 # 1,000 queries each way
    python benchmarks/bench_link.py --queries 5000 --query "BATT:PRES?"

Exits 1 when the ratio is over the target, or when an answer is wrong.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import serial  # noqa: E402

from diagnostics.link import BAUDRATE, Link  # noqa: E402
from tests.bench_simulator import BenchSimulator  # noqa: E402

TARGET = 1.2
ROUND = 100  # queries per round; the two ways alternate round by round
QUERIES = ("*IDN?", "BATT:PRES?")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=1000, help="queries each way (1000)")
    parser.add_argument(
        "--query",
        action="append",
        help=f"what to ask (repeatable; default: {' and '.join(QUERIES)})",
    )
    args = parser.parse_args(argv)
    if args.queries < ROUND:
        parser.error(f"--queries must be at least {ROUND}")
    return args


def timed(ask: Callable[[], str], expected: str, count: int, into: list[float]) -> None:
    """Ask `count` times, appending each query's seconds; stops loudly on a wrong answer."""
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        answer = ask()
        into.append(clock() - started)
        if answer != expected:
            raise RuntimeError(f"answered {answer!r}, expected {expected!r}")


def measure(bench: BenchSimulator, query: str, queries: int) -> tuple[list[float], list[float]]:
    """Per-query seconds through our link and through raw pyserial, alternating rounds."""
    data = (query + "\n").encode("ascii")
    raw_port = serial.serial_for_url(bench.port_name, baudrate=BAUDRATE, timeout=1.0)
    raw_port.write_timeout = 1.0
    link = Link.open(bench.port_name, timeout=1.0, write_timeout=1.0)
    expected = link.query(query)

    def ours() -> str:
        return link.query(query)

    def raw() -> str:
        raw_port.write(data)
        return raw_port.read_until(b"\n").decode("ascii").rstrip("\r\n")

    link_times: list[float] = []
    raw_times: list[float] = []
    try:
        timed(raw, expected, ROUND, [])  # warm both ways up
        timed(ours, expected, ROUND, [])
        for _ in range(queries // ROUND):
            timed(ours, expected, ROUND, link_times)
            timed(raw, expected, ROUND, raw_times)
    finally:
        link.close()
        raw_port.close()
    return link_times, raw_times


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    micro = [value * 1e6 for value in ordered]
    return (
        f"median {statistics.median(micro):7.1f} us  "
        f"p90 {micro[int(len(micro) * 0.9) - 1]:7.1f} us  max {micro[-1]:8.1f} us"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    queries = args.query or list(QUERIES)
    print(
        f"Serial link benchmark: {args.queries} queries each way per query, on a pty, "
        f"the simulated bench answering at once"
    )
    over = False
    with BenchSimulator("BATT-100") as bench:
        for query in queries:
            link_times, raw_times = measure(bench, query, args.queries)
            ratio = statistics.median(link_times) / statistics.median(raw_times)
            print(f"{query}")
            print(f"  Link.query            {figures(link_times)}")
            print(f"  write + read_until    {figures(raw_times)}")
            verdict = "within" if ratio <= TARGET else "OVER"
            print(f"  ratio link/raw (medians): {ratio:.2f}  ({verdict} the target {TARGET})")
            over = over or ratio > TARGET
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
