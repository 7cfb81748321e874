"""The demo workshop: believable, true to its own event log, and the same every time."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from diagnostics import records
from inventory.accounts import ROLES, User
from inventory.db import make_engine, make_sessionmaker
from inventory.lifecycle import STAGES, TRANSITIONS
from inventory.models import Device, Event
from tests.conftest import check_codes
from workshop import accounts, demo
from workshop.migrate import upgrade

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashing 13 passwords on purpose slowly is not what these tests look at.

    test_run.py logs in with a demo password on a real demo database.
    """
    monkeypatch.setattr(accounts, "generate_password_hash", lambda password: "unusable")


def test_the_demo_is_a_believable_workshop_whose_event_log_tells_its_story(session):
    made = demo.fill(session, now=NOW)
    session.commit()

    devices = session.scalars(select(Device).options(selectinload(Device.lot))).all()
    assert made.devices == len(devices) == 300
    stages = Counter(device.stage for device in devices)
    assert set(stages) == set(STAGES), stages
    assert len({device.lot.donor for device in devices}) >= 6
    assert {"laptop", "desktop", "monitor", "phone"} <= {device.category for device in devices}
    latitude = next(device for device in devices if device.model == "Latitude 5490")
    assert (latitude.make, str(latitude.weight_kg)) == ("Dell", "1.600")
    roles = Counter(account.role for account in made.accounts)
    assert all(roles[role] >= 2 for role in ROLES), roles
    assert {user.username for user in session.scalars(select(User))} == {
        account.username for account in made.accounts
    }

    events = session.scalars(select(Event).where(Event.device_id.is_not(None))).all()
    by_device: dict[int, list[Event]] = {}
    stories: list[list[str]] = []
    for event in events:
        by_device.setdefault(event.device_id, []).append(event)
    for device in devices:
        # Replaying the device's events in order ends in the stage the device shows.
        history = sorted(by_device[device.id], key=lambda event: event.id)
        stage = None
        graded = False
        answers: dict[str, str] = {}
        passed: set[str] = set()
        previous = history[0].occurred_at
        for event in history:
            assert previous <= event.occurred_at < NOW, device.asset_tag
            previous = event.occurred_at
            graded = graded or event.kind == "graded"
            if event.kind == "intake":
                answers = {}  # each cycle answers its checks again
                passed = set()  # and goes through the benches again
            if event.kind == "diagnostic_run" and event.payload["outcome"] == "pass":
                passed.add(event.payload["script"])
            if event.kind == "erasure" and event.payload["manual"]:
                passed.add("erasure")  # erased elsewhere, recorded by hand
            if event.kind == "checks":
                assert event.entered_by is not None
                answers.update(event.payload["results"])
                stories.append([*event.payload["results"].values()])
            if event.kind == "stage_change":
                assert event.to_stage in TRANSITIONS[stage], (device.asset_tag, stage)
                assert event.entered_by is not None
            if event.to_stage == "ready":
                assert graded, device.asset_tag
                # Every check of its category answered, none failed.
                assert set(answers) == set(check_codes(device.category)), device.asset_tag
                assert "fail" not in answers.values(), device.asset_tag
                # And the benches passed what its category requires.
                assert set(records.required_scripts(device.category)) <= passed
            stage = event.to_stage or stage
        assert stage == device.stage
        assert device.stage_entered_at == max(e.occurred_at for e in history if e.to_stage)
        if device.cycle == 2:
            kinds = [event.kind for event in history]
            assert kinds.count("intake") == 2
            assert "sold" in [event.to_stage for event in history]
    assert any(device.cycle == 2 for device in devices)
    # The benches' stories: a worn battery failed, then passed once replaced; a failing
    # disk sent its laptop or desktop to recycling; a desktop's drive was erased elsewhere.
    runs = [event for event in events if event.kind == "diagnostic_run"]
    failed = [
        (run.payload["script"], run.device_id) for run in runs if run.payload["outcome"] == "fail"
    ]
    assert sorted(script for script, _device in failed) == ["battery", "disk-health"]
    worn = next(device for script, device in failed if script == "battery")
    batteries = [
        run for run in runs if run.device_id == worn and run.payload["script"] == "battery"
    ]
    assert [run.payload["outcome"] for run in batteries] == ["fail", "pass"]
    failing = next(device for script, device in failed if script == "disk-health")
    assert session.get(Device, failing).stage == "recycled"
    manual = [event for event in events if event.kind == "erasure" and event.payload["manual"]]
    assert len(manual) == 1 and session.get(Device, manual[0].device_id).category == "desktop"
    # A couple of laptops failed a check, went back to repair and passed it on a second look.
    assert sum("fail" in results for results in stories) == 2
    assert ["pass"] in stories
    # The first donors gave months ago, the last a few days ago.
    intakes = [event.occurred_at for event in events if event.kind == "intake"]
    assert NOW - min(intakes) > timedelta(days=150)
    assert NOW - max(intakes) < timedelta(days=10)


def test_the_demo_is_the_same_every_time(session, tmp_path: Path):
    other = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    upgrade(other)

    def snapshot(into: Session) -> list[tuple]:
        demo.fill(into, now=NOW)
        into.flush()
        rows = into.execute(
            select(
                Device.asset_tag, Device.make, Device.model, Device.stage, Device.grade
            ).order_by(Device.asset_tag)
        ).all()
        return [tuple(row) for row in rows]

    with make_sessionmaker(other)() as again:
        assert snapshot(session) == snapshot(again)
    other.dispose()


def test_a_workshop_with_people_in_it_is_not_empty(sessions, make_user):
    with sessions() as session:
        assert demo.is_empty(session)

    make_user("admin", "sophie")

    with sessions() as session:
        assert not demo.is_empty(session)
