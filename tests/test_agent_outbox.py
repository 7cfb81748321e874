"""The bench agent's outbox: a result is on disk before it is first sent, and gone only once taken.

An erasure's result is the proof that a donor's drive was wiped: an agent killed
outright, a server away, a result sent twice, a refusal or a damaged file never
costs it, duplicates it, or stops the agent. The server is the real one (waitress,
SQLite or PostgreSQL), the benches simulated on real ptys.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from diagnostics import jobs
from diagnostics.agent import Agent, Answer, Api
from diagnostics.outbox import Outbox, default_outbox
from inventory.errors import Conflict
from inventory.intake import receive_device
from inventory.models import ErasureRecord, Event
from tests import test_bench_agent as bench_agent
from tests.conftest import passing_result, result_json
from tests.test_bench_agent import ROOT, Server, api, laptop_with_job, latest_job, wait_for

# The real server and the users of tests/test_bench_agent.py.
serve = bench_agent.serve
technician = bench_agent.technician
warehouse = bench_agent.warehouse

# An HDD overwrite of about three seconds: long enough to take the server away meanwhile.
SLOW_ERASE = 1000


@pytest.fixture(autouse=True)
def _state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No agent of these tests writes to the real home folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("WORKSHOP_AGENT_OUTBOX", raising=False)


def kept(folder: Path) -> list[Path]:
    """The results waiting in an outbox folder, oldest first."""
    return sorted(folder.glob("*.json"))


def device(server: Server, token: str, tag: str) -> dict[str, Any]:
    return api(server, token, "GET", f"/devices/{tag}").json()


class Running:
    """An agent of station bench-1 in a thread: quick to poll, to retry and to give up at the end."""

    def __init__(
        self, server_url: str, token: str, benches: dict[str, str], outbox: Path, **options: Any
    ) -> None:
        self.answers: list[tuple[int, dict[str, Any], Answer]] = []
        self.agent = Agent(
            options.pop("api", None) or Api(server_url, token, timeout=3),
            "bench-1",
            benches,
            outbox=outbox,
            poll_s=0.2,
            heartbeat_s=0.5,
            retry_max_s=1.0,
            shutdown_grace_s=1.0,
            on_result=lambda job, body, answer: self.answers.append((job, body, answer)),
            **options,
        )
        self.died: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="agent", daemon=True)

    def _run(self) -> None:
        try:
            self.agent.run()
        except Killed as killed:
            self.died = killed

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.agent.stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


class Killed(BaseException):
    """The agent's process dying on the spot: nothing after it runs."""


class DiesBeforeSending(Api):
    """An Api whose agent is killed the moment it would first post a result."""

    def post(self, path: str, body: Any) -> Answer:
        if path.endswith("/result"):
            raise Killed(path)
        return super().post(path, body)


# -- the outbox on its own ----------------------------------------------------------------------


def test_a_result_is_a_whole_file_and_results_are_sent_oldest_first(tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    first = outbox.put(7, {"script": "battery", "outcome": "pass"}, asset_tag="A1")
    second = outbox.put(3, {"script": "erasure", "outcome": "pass"})
    assert [path.name for path in kept(outbox.folder)] == [first.name, second.name]
    assert not list(outbox.folder.glob(".*"))  # no temporary file left behind
    record = json.loads(first.path.read_text())
    assert (record["job"], record["asset_tag"], record["body"]["script"]) == (7, "A1", "battery")
    # Another agent (the same one started again) finds them, in the order they ended.
    again = Outbox(tmp_path / "outbox").waiting()
    assert [(item.job_id, item.body["script"]) for item in again] == [
        (7, "battery"),
        (3, "erasure"),
    ]
    outbox.taken(again[0])
    assert [item.job_id for item in outbox.waiting()] == [3]


def test_a_write_cut_short_is_set_aside_and_a_whole_one_is_kept(tmp_path):
    folder = tmp_path / "outbox"
    folder.mkdir()
    whole = {"format": 1, "job": 4, "body": {"script": "erasure"}}
    (folder / ".00000000000000000001-job4.json.tmp").write_text(json.dumps(whole))
    (folder / ".00000000000000000002-job5.json.tmp").write_text('{"format": 1, "job": 5, "bo')
    outbox = Outbox(folder)
    assert [(item.name, item.job_id) for item in outbox.waiting()] == [
        ("00000000000000000001-job4.json", 4)
    ]
    assert not list(folder.glob(".*"))
    assert [path.name for path in (folder / "corrupt").glob("*.tmp")] == [
        "00000000000000000002-job5.json.tmp"
    ]


def test_damaged_files_are_moved_aside_and_the_rest_is_sent(tmp_path, caplog):
    outbox = Outbox(tmp_path / "outbox")
    good = outbox.put(9, {"script": "battery"})
    (outbox.folder / "00000000000000000001-job1.json").write_bytes(b"\xff\xfe not json")
    (outbox.folder / "00000000000000000002-job2.json").write_text('["a list"]')
    (outbox.folder / "00000000000000000003-job3.json").write_text('{"job": "3", "body": {}}')
    with caplog.at_level(logging.ERROR, logger="diagnostics.agent"):
        assert [item.name for item in outbox.waiting()] == [good.name]
    set_aside = sorted(path.name for path in (outbox.folder / "corrupt").glob("*.json"))
    assert set_aside == [f"0000000000000000000{n}-job{n}.json" for n in (1, 2, 3)]
    why = (outbox.folder / "corrupt" / "00000000000000000003-job3.json.why").read_text()
    assert "no job number" in why
    assert caplog.text.count("cannot be read") == 3
    assert outbox.waiting()[0].name == good.name  # nothing more moves the next time


def test_a_disk_that_refuses_the_result_keeps_it_in_memory(tmp_path, monkeypatch, caplog):
    outbox = Outbox(tmp_path / "outbox")

    def full(_handle: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("diagnostics.outbox.os.fsync", full)
    with caplog.at_level(logging.ERROR, logger="diagnostics.agent"):
        item = outbox.put(5, {"script": "erasure"})
    assert item.path is None and "kept in memory only" in caplog.text
    assert not list(outbox.folder.iterdir())  # no half file
    assert outbox.waiting() == [item]
    outbox.taken(item)
    assert outbox.waiting() == []


def test_the_default_outbox_is_in_the_state_folder_named_for_the_station(tmp_path):
    state = tmp_path / "state" / "workshop" / "agent"
    assert default_outbox("bench-1") == state / "bench-1" / "outbox"
    assert default_outbox("../a b") == state / ".._a_b" / "outbox"
    assert default_outbox("..") == state / "station" / "outbox"


# -- the server: a result sent twice is stored once ---------------------------------------------


def test_the_same_result_sent_again_changes_nothing_and_another_is_refused(session):
    laptop = receive_device(
        session,
        serial_number="PF1AGAIN",
        category="laptop",
        make="HP",
        model="840",
        entered_by=None,
    ).device
    jobs.request_job(session, laptop, "erasure", "bench-1", requested_by=None)
    job = jobs.claim_next(session, "bench-1", ["erasure"], agent=None)
    result = passing_result("erasure")
    run = jobs.finish_job(session, job, result, agent=None)
    session.commit()
    events = session.query(Event).count()
    assert jobs.finish_job(session, job, result, agent=None) is run
    session.commit()
    assert session.query(ErasureRecord).count() == 1
    assert session.query(Event).count() == events
    other = passing_result("erasure")
    other.outcome = "fail"
    with pytest.raises(Conflict):
        jobs.finish_job(session, job, other, agent=None)


# -- the agent and the real server --------------------------------------------------------------


def test_an_agent_killed_before_sending_leaves_the_result_for_the_next_one(
    serve, technician, warehouse, disk_bench, tmp_path
):
    server = serve()
    tag = laptop_with_job(server, technician, warehouse, script="erasure")
    folder = tmp_path / "outbox"
    dying = DiesBeforeSending(server.url, technician, timeout=3)
    with Running(server.url, technician, {"disk": disk_bench.url}, folder, api=dying) as first:
        first.thread.join(timeout=60)
    assert isinstance(first.died, Killed)
    [waiting] = kept(folder)
    assert json.loads(waiting.read_text())["body"]["erasures"][0]["verified"] is True
    assert latest_job(server, technician, tag)["state"] == "running"
    with Running(server.url, technician, {"disk": disk_bench.url}, folder) as second:
        wait_for(lambda: second.answers, what="the kept result to be sent")
    assert second.answers[0][2].status == 200 and not kept(folder)
    job = latest_job(server, technician, tag)
    assert (job["state"], job["outcome"]) == ("done", "pass")
    found = device(server, technician, tag)
    assert [run["id"] for run in found["diagnostics"]] == [job["run"]]
    assert len(found["erasures"]) == 1


def test_a_result_kept_past_the_job_s_loss_still_reaches_its_run(
    serve, technician, warehouse, disk_bench, tmp_path
):
    """Back after a power cut longer than the server's patience: the erasure proof is not lost."""
    server = serve(lost_after=3.0)
    tag = laptop_with_job(server, technician, warehouse, script="erasure")
    folder = tmp_path / "outbox"
    dying = DiesBeforeSending(server.url, technician, timeout=3)
    with Running(server.url, technician, {"disk": disk_bench.url}, folder, api=dying) as first:
        first.thread.join(timeout=60)
    assert isinstance(first.died, Killed) and kept(folder)
    # Reading the job sweeps: the agent has been silent for longer than the server waits.
    lost = wait_for(
        lambda: (found := latest_job(server, technician, tag))["state"] == "lost" and found,
        what="the server to give the job up",
    )
    assert lost["outcome"] == "error"
    with Running(server.url, technician, {"disk": disk_bench.url}, folder) as second:
        wait_for(lambda: second.answers, what="the kept result to be sent")
    assert second.answers[0][2].status == 200 and not kept(folder)
    job = latest_job(server, technician, tag)
    assert (job["state"], job["outcome"], job["run"]) == ("done", "pass", lost["run"])
    found = device(server, technician, tag)
    assert [run["id"] for run in found["diagnostics"]] == [job["run"]]
    assert len(found["erasures"]) == 1


def test_while_the_server_is_away_the_result_waits_on_disk_and_the_log_says_so(
    serve, technician, warehouse, bench_simulator, tmp_path, caplog
):
    server = serve()
    bench = bench_simulator("DISK-300", speed=SLOW_ERASE)
    tag = laptop_with_job(server, technician, warehouse, script="erasure")
    folder = tmp_path / "outbox"
    with (
        caplog.at_level(logging.INFO, logger="diagnostics.agent"),
        Running(server.url, technician, {"disk": bench.url}, folder) as agent,
    ):
        wait_for(lambda: bench.count("DISK:ERASE:STAT?") >= 1, what="the erasure")
        server.stop()
        wait_for(lambda: kept(folder), timeout=60, what="the result to be kept")
        wait_for(lambda: "sent once it can be" in caplog.text, what="the agent to say it waits")
        assert not agent.answers
        server.start()
        wait_for(lambda: agent.answers, timeout=30, what="the result to be sent")
    assert "the server cannot be reached" in caplog.text and f"kept in {folder}" in caplog.text
    assert not kept(folder)
    assert latest_job(server, technician, tag)["outcome"] == "pass"
    assert len(device(server, technician, tag)["erasures"]) == 1


def test_a_result_the_server_already_has_is_sent_again_without_a_duplicate(
    serve, technician, warehouse, disk_bench, tmp_path
):
    server = serve()
    tag = laptop_with_job(server, technician, warehouse, script="erasure")
    folder = tmp_path / "outbox"
    with Running(server.url, technician, {"disk": disk_bench.url}, folder) as first:
        wait_for(lambda: first.answers, what="the result")
    job_id, body, answer = first.answers[0]
    assert answer.status == 200
    # Killed after the server took it, before the file went: the next agent finds it again.
    Outbox(folder).put(job_id, body)
    with Running(server.url, technician, {"disk": disk_bench.url}, folder) as second:
        wait_for(lambda: second.answers, what="the result sent again")
    again = second.answers[0][2]
    assert again.status == 200 and again.body["id"] == answer.body["id"]
    assert not kept(folder) and not (folder / "rejected").exists()
    found = device(server, technician, tag)
    assert len(found["diagnostics"]) == 1 and len(found["erasures"]) == 1
    assert [event["kind"] for event in found["events"]].count("erasure") == 1


def test_a_result_refused_for_good_is_moved_aside_and_the_agent_goes_on(
    serve, technician, warehouse, battery_bench, tmp_path, caplog
):
    server = serve()
    tag = laptop_with_job(server, technician, warehouse)
    folder = tmp_path / "outbox"
    outbox = Outbox(folder)
    unknown = outbox.put(999_999, result_json(passing_result("battery")))
    malformed = outbox.put(1, {**result_json(passing_result("battery")), "outcome": "maybe"})
    with (
        caplog.at_level(logging.ERROR, logger="diagnostics.agent"),
        Running(server.url, technician, {"battery": battery_bench.url}, folder) as agent,
    ):
        wait_for(lambda: len(agent.answers) == 3, what="two refusals and the new job's result")
    statuses = [answer.status for _job, _body, answer in agent.answers]
    assert sorted(statuses[:2]) == [400, 404] and statuses[2] == 200
    rejected = folder / "rejected"
    assert sorted(path.name for path in rejected.glob("*.json")) == sorted(
        [unknown.name, malformed.name]
    )
    assert "404 not_found" in (rejected / f"{unknown.name}.why").read_text()
    assert caplog.text.count("refused the result for good") == 2
    assert not kept(folder)
    assert latest_job(server, technician, tag)["state"] == "done"


def test_a_refused_token_keeps_the_result_for_later(serve, tmp_path):
    server = serve()
    folder = tmp_path / "outbox"
    Outbox(folder).put(1, {"script": "battery"})
    agent = Agent(Api(server.url, "not-a-token", timeout=3), "bench-1", {}, outbox=folder)
    assert agent.deliver_pending() is False
    assert "refused the agent (401" in agent.held_back
    assert len(kept(folder)) == 1 and not (folder / "rejected").exists()


def test_a_damaged_file_in_the_outbox_does_not_stop_the_agent(
    serve, technician, warehouse, battery_bench, tmp_path
):
    server = serve()
    tag = laptop_with_job(server, technician, warehouse)
    folder = tmp_path / "outbox"
    folder.mkdir()
    (folder / "00000000000000000001-job1.json").write_text("{ cut sho")
    with Running(server.url, technician, {"battery": battery_bench.url}, folder) as agent:
        wait_for(lambda: agent.answers, what="the job's result")
    assert latest_job(server, technician, tag)["outcome"] == "pass"
    assert [path.name for path in (folder / "corrupt").glob("*.json")] == [
        "00000000000000000001-job1.json"
    ]


def agent_process(server: Server, token: str, port: str, outbox: Path) -> subprocess.Popen[str]:
    """`workshop bench agent` of station bench-1, as a workbench runs it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workshop.cli",
            "bench",
            "agent",
            "--server",
            server.url,
            "--station",
            "bench-1",
            "--bench",
            f"disk={port}",
            "--poll",
            "0.2",
            "--outbox",
            str(outbox),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "WORKSHOP_TOKEN": token},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stopped(process: subprocess.Popen[str], how: Callable[[], None]) -> str:
    """Stop an agent process and return what it printed."""
    try:
        how()
        return process.communicate(timeout=30)[0]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_an_agent_process_killed_with_the_result_unsent_sends_it_when_started_again(
    serve, technician, warehouse, bench_simulator, tmp_path
):
    server = serve()
    bench = bench_simulator("DISK-300", speed=SLOW_ERASE)
    tag = laptop_with_job(server, technician, warehouse, script="erasure")
    folder = tmp_path / "outbox"
    first = agent_process(server, technician, bench.url, folder)
    try:
        wait_for(lambda: bench.count("DISK:ERASE:STAT?") >= 1, what="the erasure")
        server.stop()
        wait_for(lambda: kept(folder), timeout=60, what="the result on disk")
    finally:
        said = stopped(first, lambda: first.send_signal(signal.SIGKILL))
    assert first.returncode == -signal.SIGKILL, said
    [waiting] = kept(folder)
    assert json.loads(waiting.read_text())["body"]["erasures"]
    server.start()
    second = agent_process(server, technician, bench.url, folder)
    try:
        job = wait_for(
            lambda: (found := latest_job(server, technician, tag))["state"] == "done" and found,
            what="the kept result to reach the server",
        )
        wait_for(lambda: not kept(folder), what="the file to go once taken")
    finally:
        said = stopped(second, lambda: second.send_signal(signal.SIGTERM))
    assert second.returncode == 0, said
    assert "1 result from before wait in the outbox" in said
    assert f"job {job['id']}: the server has the result" in said
    assert job["outcome"] == "pass"
    found = device(server, technician, tag)
    assert [run["id"] for run in found["diagnostics"]] == [job["run"]]
    assert len(found["erasures"]) == 1
