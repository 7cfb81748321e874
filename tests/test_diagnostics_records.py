"""Bench runs and erasure records in the workshop, their gate on `ready`, and the limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from diagnostics import records
from diagnostics.results import Limits, TranscriptLine
from inventory.errors import Conflict, GateUnmet, IllegalTransition, InvalidInput
from inventory.events import device_history
from inventory.intake import receive_device
from inventory.models import DiagnosticRun, ErasureRecord
from inventory.stages import move_to_stage, set_grade
from inventory.types import utcnow
from tests.conftest import csrf_token, login, pass_diagnostics, passing_result

TO_QC = ("triage", "erasure", "diagnostics", "qc")
ERASURE_GATE = records.ERASURE_GATE


def laptop_at_qc(session, serial="PF1DIAG1", category="laptop", user=None):
    """A device graded, its checks passed, in quality control: only the benches are missing."""
    from inventory.checks import answer_every_check

    device = receive_device(
        session, serial_number=serial, category=category, make="Lenovo", model="T480",
        entered_by=user,
    ).device  # fmt: skip
    for stage in TO_QC:
        move_to_stage(session, device, stage, entered_by=user)
    set_grade(session, device, "A", entered_by=user)
    answer_every_check(session, device, entered_by=user)
    return device


def missing(session, device):
    with pytest.raises(GateUnmet) as refused:
        move_to_stage(session, device, "ready", entered_by=None)
    return refused.value.details["missing"]


def failed_battery():
    result = passing_result("battery")
    result.outcome, result.code, result.message = "fail", "out_of_limits", "health out of limits."
    return result


def test_a_run_is_stored_before_it_starts_and_finished_with_its_result(session, make_user):
    theo = make_user("technician", "theo")
    device = laptop_at_qc(session, user=theo)
    run = records.start_run(session, device, "erasure", operator=theo, station="bench-2")
    session.commit()
    assert (run.outcome, run.running, run.cycle) == ("aborted", True, 1)

    result = passing_result("erasure", drive_serial="S4DYNX0M1")
    at = result.started_at
    result.transcript = [
        TranscriptLine(at, ">", "DISK:INFO?"),
        TranscriptLine(at, "<", "# docked"),
        TranscriptLine(at, "<", "SAMSUNG MZVLB256,S4DYNX0M1,256060514304,NVME"),
    ]
    records.finish_run(session, run, result, limits_applied={"verified": Limits(1.0, 1.0)})
    session.commit()
    assert (run.outcome, run.running, run.bench_model) == ("pass", False, "DISK-300")
    assert run.limits == {"verified": {"low": 1.0, "high": 1.0}}
    assert [item.name for item in run.measurements] == ["erasure_ok"]
    assert run.drives[0]["serial"] == "S4DYNX0M1"
    assert "> DISK:INFO?" in run.transcript
    [record] = records.erasures(session, device)
    assert (record.drive_serial, record.nist_category, record.manual) == (
        "S4DYNX0M1",
        "Clear",
        False,
    )
    assert record.tool.startswith("ACME Bench DISK-300")
    kinds = [event.kind for event in device_history(session, device)]
    assert kinds[-3:] == ["diagnostic_started", "erasure", "diagnostic_run"]
    with pytest.raises(Conflict):
        records.finish_run(session, run, result)


def test_ready_waits_for_every_required_script_and_every_drive_erased(session):
    device = laptop_at_qc(session)
    assert missing(session, device) == [
        "a passing battery run",
        "a passing disk-health run",
        "a passing erasure run",
        ERASURE_GATE,
    ]
    records.record_run(session, device, failed_battery(), operator=None)
    records.record_run(session, device, passing_result("disk-health"), operator=None)
    assert missing(session, device) == [
        "a passing battery run",
        "a passing erasure run",
        ERASURE_GATE,
    ]
    # The battery is replaced: its latest run counts.
    records.record_run(session, device, passing_result("battery"), operator=None)
    records.record_run(session, device, passing_result("erasure"), operator=None)
    move_to_stage(session, device, "ready", entered_by=None)
    assert device.stage == "ready"


def test_a_drive_seen_but_not_erased_holds_the_device_back(session):
    device = laptop_at_qc(session)
    pass_diagnostics(session, device)
    health = passing_result("disk-health")
    health.transcript = [
        TranscriptLine(health.started_at, ">", "DISK:INFO?"),
        TranscriptLine(health.started_at, "<", "WDC WD10,WD-SECOND,1000204886016,HDD\r"),
    ]
    records.record_run(session, device, health, operator=None)
    assert missing(session, device) == [ERASURE_GATE]
    assert [drive["serial"] for drive in records.storage_status(session, device).unerased] == [
        "WD-SECOND"
    ]
    records.record_manual_erasure(
        session, device, drive_model="WDC WD10", drive_serial="WD-SECOND",
        capacity_bytes=1_000_204_886_016, drive_type="hdd", method="overwrite",
        tool="ShredOS nwipe 0.34", log="erased", entered_by=None,
    )  # fmt: skip
    move_to_stage(session, device, "ready", entered_by=None)


def test_no_storage_excuses_the_disk_scripts_and_a_manual_erasure_the_erasure_run(session):
    laptop = laptop_at_qc(session)
    records.record_run(session, laptop, passing_result("battery"), operator=None)
    records.mark_no_storage(session, laptop, entered_by=None, note="Donor kept the SSD")
    again = records.mark_no_storage(session, laptop, entered_by=None)
    assert again.note == "Donor kept the SSD"
    assert [e.kind for e in device_history(session, laptop)].count("no_storage") == 1
    move_to_stage(session, laptop, "ready", entered_by=None)

    desktop = laptop_at_qc(session, "CZC8DIAG", category="desktop")
    records.record_run(session, desktop, passing_result("psu"), operator=None)
    records.record_run(session, desktop, passing_result("disk-health"), operator=None)
    assert missing(session, desktop) == ["a passing erasure run", ERASURE_GATE]
    record = records.record_manual_erasure(
        session, desktop, drive_model="Samsung 860", drive_serial="S3Z1", capacity_bytes=250 * 10**9,
        drive_type="SSD", method="CRYPTO", tool="Parted Magic 2024", log="Secure erase OK",
        entered_by=None,
    )  # fmt: skip
    assert (record.manual, record.nist_category, record.verified) == (True, "Purge", True)
    move_to_stage(session, desktop, "ready", entered_by=None)


def test_categories_without_scripts_need_none(session):
    monitor = laptop_at_qc(session, "CN0DIAG", category="monitor")
    move_to_stage(session, monitor, "ready", entered_by=None)


def test_a_new_cycle_needs_new_runs(session):
    device = laptop_at_qc(session)
    pass_diagnostics(session, device)
    move_to_stage(session, device, "ready", entered_by=None)
    move_to_stage(session, device, "sold", entered_by=None)
    with pytest.raises(IllegalTransition):
        records.start_run(session, device, "battery", operator=None)
    session.commit()
    back = laptop_at_qc(session)  # the same serial, received again
    assert back.cycle == 2
    assert missing(session, back)[-1] == ERASURE_GATE
    assert records.latest_runs(session, back) == {}
    pass_diagnostics(session, back)
    move_to_stage(session, back, "ready", entered_by=None)


def test_runs_left_open_by_a_dead_process_are_closed_as_aborted(session):
    device = laptop_at_qc(session)
    old = records.start_run(
        session, device, "battery", operator=None, started_at=utcnow() - timedelta(hours=9)
    )
    fresh = records.start_run(session, device, "erasure", operator=None)
    closed = records.close_abandoned_runs(session, timedelta(hours=8))
    assert closed == [old]
    assert (old.outcome, old.code, old.running) == ("aborted", "abandoned", False)
    assert fresh.running
    assert missing(session, device)[0] == "a passing battery run"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"drive_serial": ""}, "drive_serial"),
        ({"capacity_bytes": "500"}, "capacity_bytes"),
        ({"capacity_bytes": 0}, "capacity_bytes"),
        ({"drive_type": "TAPE"}, "drive_type"),
        ({"method": "HAMMER"}, "method"),
        ({"tool": " "}, "tool"),
        ({"log": ""}, "log"),
    ],
)
def test_a_manual_erasure_that_cannot_be_used_names_the_field(session, changes, field):
    device = laptop_at_qc(session)
    values = {
        "drive_model": "WDC", "drive_serial": "WD1", "capacity_bytes": 500 * 10**9,
        "drive_type": "HDD", "method": "OVERWRITE", "tool": "nwipe", "log": "ok",
    }  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        records.record_manual_erasure(session, device, **(values | changes), entered_by=None)
    assert refused.value.details["field"] == field
    assert session.scalars(select(ErasureRecord)).all() == []


def test_an_administrator_changes_a_categorys_limits_and_runs_keep_theirs(session, make_user):
    root = make_user("admin", "root")
    assert records.limits_for(session, "laptop", "battery")["health"] == Limits(70.0, None)
    records.set_limits(session, "laptop", "battery", "health", low=65, high=None, entered_by=root)
    assert records.limits_for(session, "laptop", "battery")["health"] == Limits(65.0, None)
    assert records.limits_for(session, "desktop", "battery")["health"] == Limits(70.0, None)
    assert records.limits_for(session, None, "battery")["health"] == Limits(70.0, None)
    # Back to the default: the override is gone.
    assert (
        records.set_limits(
            session, "laptop", "battery", "health", low=70, high=None, entered_by=root
        )
        is None
    )
    assert records.overrides(session) == []
    for bad, field in (
        ({"measurement": "colour"}, "measurement"),
        ({"low": 5, "high": 1}, "low"),
        ({"low": "x"}, "low"),
        ({"category": "spaceship"}, "category"),
    ):
        args = {"category": "laptop", "measurement": "health", "low": 60, "high": None} | bad
        with pytest.raises(InvalidInput) as refused:
            records.set_limits(
                session, args["category"], "battery", args["measurement"], low=args["low"],
                high=args["high"], entered_by=root,
            )  # fmt: skip
        assert refused.value.details["field"] == field


def test_the_work_card_and_device_page_show_the_benches_and_take_a_manual_erasure(
    client, make_user, sessions
):
    make_user("technician", "theo")
    with sessions() as session:
        device = laptop_at_qc(session)
        records.record_run(session, device, failed_battery(), operator=None)
        run = session.scalars(select(DiagnosticRun)).one()
        run.measurements[0].outcome = "fail"
        tag = device.asset_tag
        session.commit()
    login(client, "theo")
    card = client.get(f"/work/{tag}").get_data(as_text=True)
    assert 'id="diagnostics"' in card
    assert "Failed: the device is faulty" in card and "OUT OF LIMITS" in card
    assert "a passing Battery bench test" in card
    assert '<label for="erasure-serial">' in card and 'id="no-storage"' in card
    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert 'id="diagnostics"' in page and "not run yet in this cycle" in page

    sent = client.post(
        f"/devices/{tag}/erasures",
        data={
            "csrf_token": csrf_token(client, f"/work/{tag}"),
            "back": "workcard.show",
            "drive_model": "WDC WD5000",
            "drive_serial": "WD-HAND-1",
            "capacity_gb": "500",
            "drive_type": "HDD",
            "method": "OVERWRITE",
            "tool": "ShredOS nwipe 0.34",
            "log": "nwipe: pass 1/1 done, verified",
            "verified": "yes",
        },
    )
    assert sent.status_code == 302 and sent.headers["Location"] == f"/work/{tag}#diagnostics"
    card = client.get(f"/work/{tag}").get_data(as_text=True)
    assert "WD-HAND-1" in card and "erased elsewhere, recorded by hand" in card

    refused = client.post(
        f"/devices/{tag}/erasures",
        data={"csrf_token": csrf_token(client, f"/work/{tag}"), "capacity_gb": "lots"},
        follow_redirects=True,
    )
    assert "Nothing was saved." in refused.get_data(as_text=True)
    no_storage = client.post(
        f"/devices/{tag}/no-storage",
        data={"csrf_token": csrf_token(client, f"/devices/{tag}")},
        follow_redirects=True,
    )
    assert "recorded as having no storage" in no_storage.get_data(as_text=True)
    assert client.post(f"/devices/{tag}/no-storage").status_code == 400  # no CSRF token


def test_only_an_administrator_edits_the_limits_page(client, make_user, sessions):
    make_user("manager", "marie")
    login(client, "marie")
    assert client.get("/diagnostics/limits").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/devices/")})
    make_user("admin", "root")
    client2 = client.application.test_client()
    login(client2, "root")
    page = client2.get("/diagnostics/limits?category=laptop").get_data(as_text=True)
    assert '<label class="visually-hidden" for="battery-low-health">' in page
    saved = client2.post(
        "/diagnostics/limits",
        data={
            "csrf_token": csrf_token(client2, "/diagnostics/limits"),
            "category": "laptop",
            "script": "battery",
            "low-health": "65",
            "high-temperature": "45",
        },
    )
    assert saved.status_code == 302
    with sessions() as session:
        assert records.limits_for(session, "laptop", "battery")["health"] == Limits(65.0, None)
    bad = client2.post(
        "/diagnostics/limits",
        data={
            "csrf_token": csrf_token(client2, "/diagnostics/limits"),
            "category": "laptop",
            "script": "battery",
            "low-health": "abc",
            "high-temperature": "45",
        },
        follow_redirects=True,
    )
    assert "Nothing was saved." in bad.get_data(as_text=True)
