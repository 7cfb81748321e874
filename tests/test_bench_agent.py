"""The bench agent end to end: the real server (waitress), the agent, a simulated bench on a pty.

A technician asks for a test through the API; the agent of the station claims it,
runs it on the bench and posts the result; the run lands on the device. An agent
killed mid-run leaves its job `lost` and its run an error, never running for ever;
a server that goes away mid-run gets the result once it is back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from waitress.server import create_server

from diagnostics.agent import Agent, Api, parse_benches, result_body
from workshop import create_app

ROOT = Path(__file__).resolve().parent.parent
LAPTOP = {"serial_number": "PF1AGENT", "category": "laptop", "make": "Lenovo", "model": "T480"}


class Server:
    """The application served by waitress on a loopback port; it can stop and come back."""

    def __init__(self, db_url: str, instance: Path, lost_after: float) -> None:
        self.app = create_app(
            {
                "DATABASE_URL": db_url,
                "SECRET_KEY": "agent-secret",
                "INSTANCE_PATH": str(instance),
                "BENCH_AGENT_LOST_AFTER": lost_after,
            }
        )
        self.port = 0
        self.wsgi: Any = None
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.wsgi = create_server(self.app, host="127.0.0.1", port=self.port, threads=4)
        self.port = self.wsgi.effective_port
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(self.wsgi,), name="waitress")
        self.thread.daemon = True
        self.thread.start()
        return self

    def _serve(self, wsgi: Any) -> None:
        # waitress's own run() loops until its sockets close, and closing them while it
        # waits on them fails in its thread (EBADF): this loop stops first (as tests/e2e's).
        while not self.stopping.is_set():
            wsgi.asyncore.loop(timeout=0.05, map=wsgi._map, count=1)

    def stop(self) -> None:
        if self.wsgi is None:
            return
        self.stopping.set()
        assert self.thread is not None
        self.thread.join(timeout=5)
        self.wsgi.close()
        self.wsgi.task_dispatcher.shutdown()
        self.wsgi = None


@pytest.fixture(autouse=True)
def _state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Agents, in this process or started from it, keep their outbox under the test's folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("WORKSHOP_AGENT_OUTBOX", raising=False)


@pytest.fixture
def serve(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def make(lost_after: float = 30.0) -> Server:
        server = Server(db_url, tmp_path / "instance", lost_after).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
        server.app.extensions["workshop.engine"].dispose()


@pytest.fixture
def technician(make_user, make_token) -> str:
    return make_token(make_user("technician", "theo"))


@pytest.fixture
def warehouse(make_user, make_token) -> str:
    return make_token(make_user("warehouse", "wanda"))


def api(server: Server, token: str, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(
        method, f"{server.url}/api/v1{path}", headers=headers, timeout=10, **kwargs
    )


def laptop_with_job(server: Server, token: str, warehouse: str, script: str = "battery") -> str:
    """A laptop received at the door, and a test of it asked of the station bench-1."""
    tag = api(server, warehouse, "POST", "/devices", json=LAPTOP).json()["asset_tag"]
    asked = api(
        server, token, "POST", f"/devices/{tag}/jobs", json={"script": script, "station": "bench-1"}
    )
    assert asked.status_code == 201, asked.json()
    return tag


def latest_job(server: Server, token: str, tag: str) -> dict[str, Any]:
    return api(server, token, "GET", f"/devices/{tag}/jobs").json()["items"][0]


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"waited {timeout} s for {what or condition}")


class AgentThread:
    """An agent of station bench-1 running in a thread, quick to poll and to retry."""

    def __init__(self, server: Server, token: str, benches: dict[str, str]) -> None:
        self.results: list[tuple[int, Any, Any]] = []
        self.agent = Agent(
            Api(server.url, token, timeout=3),
            "bench-1",
            benches,
            poll_s=0.2,
            heartbeat_s=0.5,
            retry_max_s=1.0,
            on_result=lambda job, result, answer: self.results.append((job, result, answer)),
        )
        self.thread = threading.Thread(target=self.agent.run, name="agent", daemon=True)

    def __enter__(self) -> AgentThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.agent.stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


def test_a_job_asked_through_the_api_is_run_by_the_agent_and_stored_on_the_device(
    serve, technician, warehouse, battery_bench
):
    server = serve()
    tag = laptop_with_job(server, technician, warehouse)
    with AgentThread(server, technician, {"battery": battery_bench.url}) as agent:
        wait_for(lambda: agent.results, what="the result")
    job = latest_job(server, technician, tag)
    assert (job["state"], job["outcome"], job["percent"]) == ("done", "pass", 100)
    runs = api(server, technician, "GET", f"/devices/{tag}").json()["diagnostics"]
    assert len(runs) == 1 and runs[0]["id"] == job["run"]
    assert runs[0]["outcome"] == "pass" and runs[0]["station"] == "bench-1"
    assert runs[0]["bench"]["model"] == "BATT-100" and runs[0]["operator"] == "theo"
    measured = {item["name"]: item for item in runs[0]["measurements"]}
    assert measured and all(item["outcome"] == "pass" for item in measured.values())
    assert all(item["value"] is not None for item in measured.values())


def test_a_worn_battery_is_a_fail_stored_with_its_measurements(
    serve, technician, warehouse, bench_simulator
):
    server = serve()
    bench = bench_simulator("BATT-100", battery="worn")
    tag = laptop_with_job(server, technician, warehouse)
    with AgentThread(server, technician, {"battery": bench.url}) as agent:
        wait_for(lambda: agent.results, what="the result")
    run = api(server, technician, "GET", f"/devices/{tag}").json()["diagnostics"][0]
    assert run["outcome"] == "fail"
    assert any(item["outcome"] == "fail" for item in run["measurements"])


def agent_process(server: Server, token: str, port: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workshop.cli",
            "bench",
            "agent",
            "--server",
            server.url,
            "--token",
            token,
            "--station",
            "bench-1",
            "--bench",
            f"battery={port}",
            "--poll",
            "0.2",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_an_agent_killed_mid_run_leaves_the_job_lost_and_the_run_an_error(
    serve, technician, warehouse, bench_simulator
):
    server = serve(lost_after=2.0)
    # A capacity test of about ten seconds: long enough to kill the agent in the middle.
    bench = bench_simulator("BATT-100", speed=1000)
    tag = laptop_with_job(server, technician, warehouse)
    process = agent_process(server, technician, bench.url)
    try:
        wait_for(lambda: bench.count("BATT:TEST:STAT?") >= 1, what="the capacity test")
        assert latest_job(server, technician, tag)["state"] == "running"
        process.kill()
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    # Nothing sweeps on a timer: the next read does, once the agent has been silent too long.
    job = wait_for(
        lambda: (found := latest_job(server, technician, tag))["state"] == "lost" and found,
        timeout=15,
        what="the job to be lost",
    )
    run = api(server, technician, "GET", f"/devices/{tag}").json()["diagnostics"][0]
    assert run["id"] == job["run"] and not run["running"]
    assert (run["outcome"], run["code"]) == ("error", "agent_lost")


def test_an_agent_stopped_mid_run_aborts_it_and_posts_it_as_aborted(
    serve, technician, warehouse, bench_simulator
):
    server = serve()
    bench = bench_simulator("BATT-100", speed=1000)
    tag = laptop_with_job(server, technician, warehouse)
    process = agent_process(server, technician, bench.url)
    try:
        wait_for(lambda: bench.count("BATT:TEST:STAT?") >= 1, what="the capacity test")
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    job = latest_job(server, technician, tag)
    assert job["state"] == "done" and job["outcome"] == "aborted"
    # The bench was made safe: the capacity test was aborted on it.
    assert bench.count("BATT:TEST:ABOR") >= 1, bench.commands[-10:]


def test_the_result_is_kept_while_the_server_is_away_and_sent_when_it_is_back(
    serve, technician, warehouse, bench_simulator
):
    server = serve()
    # About five seconds of capacity test.
    bench = bench_simulator("BATT-100", speed=2000)
    tag = laptop_with_job(server, technician, warehouse)
    with AgentThread(server, technician, {"battery": bench.url}) as agent:
        wait_for(lambda: bench.count("BATT:TEST:STAT?") >= 1, what="the capacity test")
        server.stop()
        # The run goes on without the server, and ends; its result waits in the agent.
        wait_for(lambda: agent.agent.pending, timeout=60, what="the run to end")
        assert not agent.results
        time.sleep(1.5)
        server.start()
        wait_for(lambda: agent.results, timeout=30, what="the result to be sent")
    job = latest_job(server, technician, tag)
    assert (job["state"], job["outcome"]) == ("done", "pass")
    run = api(server, technician, "GET", f"/devices/{tag}").json()["diagnostics"][0]
    assert run["outcome"] == "pass" and run["measurements"]


def test_bench_options_name_the_scripts_they_serve():
    assert parse_benches(["battery=/dev/ttyUSB0", "disk=socket://127.0.0.1:4000"]) == {
        "battery": "/dev/ttyUSB0",
        "disk": "socket://127.0.0.1:4000",
    }
    for wrong in (["toaster=/dev/ttyUSB0"], ["battery"], ["psu=a", "psu=b"], []):
        with pytest.raises(ValueError):
            parse_benches(wrong)


def test_a_result_with_bench_noise_is_sent_as_text_the_api_accepts():
    from datetime import UTC, datetime

    from diagnostics.results import RunResult, TranscriptLine

    now = datetime.now(UTC)
    result = RunResult(
        "battery",
        "error",
        "garbage",
        "x",
        now,
        now,
        transcript=[TranscriptLine(now, "<", "\x00\xff\x05ok")],
    )
    body = result_body(result)
    assert body["transcript"][0]["text"] == "\\x00\xff\\x05ok"
