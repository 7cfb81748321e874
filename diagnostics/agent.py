"""The bench agent: on the workbench computer, runs the jobs the work card asks of its benches.

It claims its station's jobs over the API (`POST /agent/claim`), runs each with
the runner on the bench that serves the script, reports progress at most once
a second (and at least every few seconds, as a heartbeat; the answer says
whether someone asked to stop), then posts the result. Stopping the agent
(SIGTERM, Ctrl+C) aborts the run under way, so it is posted as `aborted`.

A result is written to the agent's outbox (diagnostics/outbox.py) before it is
first sent, and stays there until the server has taken it. The outbox is sent,
oldest first, when the agent starts and before each claim, with a growing wait
while the server cannot be reached. Only the standard library speaks HTTP here:
a workbench needs nothing more.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from diagnostics.outbox import Outbox, Waiting, default_outbox
from diagnostics.results import Limits, RunResult
from diagnostics.runner import run_script
from diagnostics.scripts import SCRIPTS

log = logging.getLogger(__name__)

# The scripts each kind of bench serves: `--bench disk=/dev/ttyUSB1` runs both disk scripts.
BENCH_SCRIPTS: dict[str, tuple[str, ...]] = {
    "battery": ("battery",),
    "psu": ("psu",),
    "disk": ("disk-health", "erasure"),
}
# The API's limits on what a result may hold (workshop/api/validation.py).
MAX_TRANSCRIPT = 50_000
MAX_LINE = 2000
# Refusals that say nothing against the result itself: send it again later.
REFUSED_FOR_NOW = (401, 403, 408, 429)


class Unreachable(Exception):
    """The server did not answer, or answered that it cannot now (5xx): try again later."""


@dataclass
class Answer:
    """What the server said: the HTTP status and the JSON body (None when empty)."""

    status: int
    body: Any

    @property
    def error_code(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("code", ""))
        return ""

    @property
    def error_message(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("message", ""))
        return ""


class Api:
    """The workshop's API as the agent uses it: JSON posts with the agent's bearer token."""

    def __init__(self, server: str, token: str, *, timeout: float = 10.0) -> None:
        self.base = server.rstrip("/") + "/api/v1"
        self.token = token
        self.timeout = timeout

    def post(self, path: str, body: Mapping[str, Any]) -> Answer:
        """Post a JSON body; a refusal (4xx) is an Answer, no answer or a 5xx is Unreachable."""
        data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Answer(response.status, _json(response.read()))
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, _json(error.read()))
            if error.code >= 500:
                raise Unreachable(f"{error.code} {answer.error_message}".strip()) from None
            return answer
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise Unreachable(str(getattr(error, "reason", error))) from None


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


# -- a RunResult as the API takes it --------------------------------------------------------------


def _plain(text: Any, limit: int) -> str:
    """Text the API accepts: control characters (a bench's noise) written as escapes."""
    text = str(text or "")
    cleaned = "".join(
        f"\\x{ord(char):02x}"
        if unicodedata.category(char) in ("Cc", "Cs") and char not in "\t"
        else char
        for char in text
    )
    return cleaned[:limit]


def _value(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return value


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def result_body(result: RunResult, *, station: str = "") -> dict[str, Any]:
    """The result as `POST /agent/jobs/<id>/result` takes it, every field within its limits."""
    body: dict[str, Any] = {
        "script": result.script,
        "outcome": result.outcome,
        "code": _plain(result.code, 40),
        "message": _plain(result.message, 2000),
        "started_at": _time(result.started_at),
        "ended_at": _time(result.ended_at),
        "measurements": [
            {
                "step": _plain(item.step, 40),
                "name": _plain(item.name, 60),
                "value": _value(item.value),
                "unit": _plain(item.unit, 20),
                "low": _value(item.low),
                "high": _value(item.high),
                "required": item.required,
                "outcome": item.outcome,
            }
            for item in result.measurements
        ],
        "steps": [
            {
                "name": _plain(step.name, 40),
                "outcome": step.outcome,
                "code": _plain(step.code, 40),
                "message": _plain(step.message, 2000),
            }
            for step in result.steps
        ],
        "erasures": [
            {
                "drive_model": _plain(item.drive_model, 200),
                "drive_serial": _plain(item.drive_serial, 100),
                "capacity_bytes": item.capacity_bytes,
                "drive_type": item.drive_type,
                "method": item.method,
                "nist_category": item.nist_category,
                "verified": item.verified,
                "verification": _plain(item.verification, 2000),
                "started_at": _time(item.started_at),
                "ended_at": _time(item.ended_at),
            }
            for item in result.erasures
        ],
        # The latest lines matter most when a long transcript must be cut.
        "transcript": [
            {"at": _time(line.at), "direction": line.direction, "text": _plain(line.text, MAX_LINE)}
            for line in result.transcript[-MAX_TRANSCRIPT:]
        ],
    }
    if result.bench is not None:
        body["bench"] = {
            "maker": _plain(result.bench.maker, 100),
            "model": _plain(result.bench.model, 40),
            "serial": _plain(result.bench.serial, 100),
            "firmware": _plain(result.bench.firmware, 40),
        }
    if station:
        body["station"] = station[:64]
    return body


def parse_benches(values: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`battery=/dev/ttyUSB0` options as {kind: port}; a ValueError says what is wrong."""
    benches: dict[str, str] = {}
    for value in values:
        kind, _sign, port = value.partition("=")
        kind, port = kind.strip().lower(), port.strip()
        if kind not in BENCH_SCRIPTS or not port:
            raise ValueError(
                f"{value!r}: write KIND=PORT, KIND one of {', '.join(BENCH_SCRIPTS)} "
                "(e.g. battery=/dev/ttyUSB0)."
            )
        if kind in benches:
            raise ValueError(f"{value!r}: the {kind} bench is given twice.")
        benches[kind] = port
    if not benches:
        raise ValueError("Give at least one bench, e.g. --bench battery=/dev/ttyUSB0.")
    return benches


def _results(count: int) -> str:
    return "1 result" if count == 1 else f"{count} results"


# -- the agent ----------------------------------------------------------------------------------


class Reporter:
    """Posts a run's progress from a thread of its own, so a slow server never slows the bench.

    At most one post a second, and one at least every `heartbeat_s` even when nothing
    changed, so the server knows the agent is alive. `abort` is set when the server asks to
    stop, or refuses the reports (the job was lost or cancelled meanwhile).
    """

    def __init__(
        self, api: Api, job_id: int, *, every_s: float = 1.0, heartbeat_s: float = 5.0
    ) -> None:
        self.api = api
        self.path = f"/agent/jobs/{job_id}/progress"
        self.every_s = every_s
        self.heartbeat_s = heartbeat_s
        self.abort = threading.Event()
        self._done = threading.Event()
        self._guard = threading.Lock()
        self._latest: dict[str, Any] = {"percent": 0, "message": ""}
        self._changed = True
        self._thread = threading.Thread(target=self._loop, name=f"progress-{job_id}", daemon=True)

    def start(self) -> Reporter:
        self._thread.start()
        return self

    def update(self, step: str, percent: int | None, message: str) -> None:
        """The runner's on_progress: kept, and posted by the thread."""
        body: dict[str, Any] = {"message": _plain(f"{step}: {message}", 200)}
        if percent is not None:
            body["percent"] = max(0, min(100, int(percent)))
        with self._guard:
            self._latest, self._changed = body, True

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=15)

    def _loop(self) -> None:
        last_post = -math.inf
        while not self._done.is_set():
            now = time.monotonic()
            with self._guard:
                due = (self._changed and now - last_post >= self.every_s) or (
                    now - last_post >= self.heartbeat_s
                )
                body, self._changed = (dict(self._latest), False) if due else ({}, self._changed)
            if due:
                last_post = now
                self._post(body)
            self._done.wait(0.2)

    def _post(self, body: dict[str, Any]) -> None:
        try:
            answer = self.api.post(self.path, body)
        except Unreachable as error:
            log.warning("progress not sent, the server is unreachable (%s); the run goes on", error)
            return
        if answer.status == 200 and isinstance(answer.body, dict):
            if answer.body.get("abort"):
                self.abort.set()
        elif answer.status in (404, 409):
            # The job ended without us (lost, cancelled): the run is no longer wanted.
            log.warning("the server refused progress (%s): stopping the run", answer.error_message)
            self.abort.set()
        else:
            log.warning("progress refused: %s %s", answer.status, answer.error_message)


class Agent:
    """Claims its station's jobs, runs them on its benches, and posts what they found."""

    def __init__(
        self,
        api: Api,
        station: str,
        benches: Mapping[str, str],
        *,
        outbox: Outbox | str | os.PathLike[str] | None = None,
        poll_s: float = 1.5,
        progress_every_s: float = 1.0,
        heartbeat_s: float = 5.0,
        retry_max_s: float = 30.0,
        shutdown_grace_s: float = 10.0,
        link_options: Mapping[str, Any] | None = None,
        on_result: Callable[[int, dict[str, Any], Answer], None] | None = None,
    ) -> None:
        self.api = api
        self.station = station
        self.benches = dict(benches)
        # An OSError here (a folder the agent may not write) stops it before it claims a job.
        if not isinstance(outbox, Outbox):
            outbox = Outbox(outbox if outbox is not None else default_outbox(station))
        self.outbox = outbox
        self.poll_s = poll_s
        self.progress_every_s = progress_every_s
        self.heartbeat_s = heartbeat_s
        self.retry_max_s = retry_max_s
        self.shutdown_grace_s = shutdown_grace_s
        self.link_options = dict(link_options or {})
        self.on_result = on_result
        self.stopping = threading.Event()
        # Why the outbox could not be sent the last time, for the log.
        self.held_back = ""

    @property
    def scripts(self) -> list[str]:
        """Every script the agent's benches can run."""
        return [script for kind in self.benches for script in BENCH_SCRIPTS[kind]]

    @property
    def pending(self) -> list[Waiting]:
        """The results the server has not taken yet, oldest first."""
        return self.outbox.waiting()

    def port_for(self, script: str) -> str | None:
        for kind, port in self.benches.items():
            if script in BENCH_SCRIPTS[kind]:
                return port
        return None

    def stop(self) -> None:
        """Ask the agent to end: the run under way is aborted and posted, then it returns."""
        self.stopping.set()

    def run(self) -> None:
        """Claim and run jobs until stopped; the server being away only delays things."""
        log.info(
            "agent of station %s serving %s; results are kept in %s until the server takes them",
            self.station,
            ", ".join(self.scripts),
            self.outbox.folder,
        )
        if waiting := self.pending:
            log.info("%s from before wait in the outbox: sending first", _results(len(waiting)))
        backoff = Backoff(self.retry_max_s)
        while not self.stopping.is_set():
            # What waits is sent before anything new is claimed.
            if not self.deliver_pending():
                delay = backoff.next()
                log.warning(
                    "%s: %s kept in %s, sent once it can be; next try in %.0f s",
                    self.held_back,
                    _results(len(self.pending)),
                    self.outbox.folder,
                    delay,
                )
                self.stopping.wait(delay)
                continue
            try:
                answer = self.api.post(
                    "/agent/claim", {"station": self.station, "scripts": self.scripts}
                )
            except Unreachable as error:
                delay = backoff.next()
                log.warning("server unreachable (%s): trying again in %.0f s", error, delay)
                self.stopping.wait(delay)
                continue
            backoff.reset()
            if answer.status == 200 and isinstance(answer.body, dict):
                self.run_job(answer.body)
            elif answer.status == 204:
                self.stopping.wait(self.poll_s)
            else:
                log.error("claim refused: %s %s", answer.status, answer.error_message)
                self.stopping.wait(max(self.poll_s, backoff.next()))
        # Stopping: the result of an aborted run still goes to the server, for a little while.
        deadline = time.monotonic() + self.shutdown_grace_s
        while not self.deliver_pending() and time.monotonic() < deadline:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        if left := self.pending:
            log.warning(
                "%s not taken by the server (%s): kept in %s, sent when the agent starts again",
                _results(len(left)),
                self.held_back,
                self.outbox.folder,
            )
        for item in self.outbox.memory:
            log.error("job %s: its result was never written to disk, and is lost", item.job_id)

    def run_job(self, job: Mapping[str, Any]) -> RunResult:
        """Run one claimed job on its bench, keep its result in the outbox, and send it."""
        job_id, script_name = int(job["id"]), str(job["script"])
        log.info("job %s: %s on %s", job_id, script_name, job.get("asset_tag"))
        limits = {
            name: Limits(item.get("low"), item.get("high"))
            for name, item in (job.get("limits") or {}).items()
        }
        reporter = Reporter(
            self.api, job_id, every_s=self.progress_every_s, heartbeat_s=self.heartbeat_s
        ).start()
        try:
            result = run_script(
                SCRIPTS[script_name],
                self.port_for(script_name) or "",
                limits=limits,
                on_progress=reporter.update,
                should_abort=lambda: self.stopping.is_set() or reporter.abort.is_set(),
                link_options=self.link_options,
            )
        finally:
            reporter.stop()
        log.info("job %s: %s %s", job_id, result.outcome, result.message)
        # On disk before the first try: a kill from here on never costs the result.
        self.outbox.put(
            job_id,
            result_body(result, station=self.station),
            asset_tag=str(job.get("asset_tag") or ""),
            script=script_name,
            server=self.api.base,
        )
        self.deliver_pending()
        return result

    def deliver_pending(self) -> bool:
        """Send the outbox, oldest first; False when the server cannot take it now."""
        for item in self.outbox.waiting():
            try:
                answer = self.api.post(f"/agent/jobs/{item.job_id}/result", item.body)
            except Unreachable as error:
                self.held_back = f"the server cannot be reached ({error})"
                return False
            reason = f"{answer.status} {answer.error_code} {answer.error_message}".strip()
            if 200 <= answer.status < 300:
                # Taken, or already had it (a result sent again changes nothing there).
                self.outbox.taken(item)
                log.info("job %s: the server has the result", item.job_id)
            elif answer.status in REFUSED_FOR_NOW or not 400 <= answer.status < 500:
                # The agent's token or the server's mood, not the result: try again later.
                self.held_back = f"the server refused the agent ({reason})"
                log.error("job %s: the server refused the agent (%s)", item.job_id, reason)
                return False
            else:
                where = self.outbox.reject(item, reason)
                log.error(
                    "job %s: the server refused the result for good (%s): it is not sent "
                    "again, and was moved to %s for a person to look at",
                    item.job_id,
                    reason,
                    where or "nowhere: it could not be written",
                )
            if self.on_result is not None:
                self.on_result(item.job_id, item.body, answer)
        return True


class Backoff:
    """Waits that double from one second up to a limit, back to one after a success."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.current = 0.0

    def next(self) -> float:
        self.current = min(self.limit_s, max(1.0, self.current * 2))
        return self.current

    def reset(self) -> None:
        self.current = 0.0
