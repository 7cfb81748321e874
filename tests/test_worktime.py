"""Time spent per stage and per technician, computed from the event log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inventory import assignments, events, stages
from inventory.accounts import User
from inventory.intake import receive_device
from inventory.stages import move_to_stage
from inventory.worktime import time_per_stage, time_per_technician
from tests.conftest import login

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Clock:
    """The time the services see, moved by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    for module in (events, assignments, stages):
        monkeypatch.setattr(module, "utcnow", clock)
    return clock


def receive(session, serial: str, user: User):
    return receive_device(
        session,
        serial_number=serial,
        category="laptop",
        make="Lenovo",
        model="T480",
        entered_by=user,
        occurred_at=T0,
    ).device


def test_stays_in_a_stage_run_from_the_move_in_to_the_move_out(session, make_user, clock):
    user = session.merge(make_user("technician", "tom"))
    first, second = receive(session, "SN-TIME-1", user), receive(session, "SN-TIME-2", user)
    move_to_stage(session, first, "triage", entered_by=user, occurred_at=T0 + 2 * HOUR)
    move_to_stage(session, first, "erasure", entered_by=user, occurred_at=T0 + 5 * HOUR)
    move_to_stage(session, second, "triage", entered_by=user, occurred_at=T0 + 4 * HOUR)
    session.commit()

    rows = {row.stage: row for row in time_per_stage(session, T0, T0 + 24 * HOUR)}

    # The stay in erasure has not ended, so it does not count yet.
    assert set(rows) == {"received", "triage"}
    assert (rows["received"].count, rows["received"].total) == (2, 6 * HOUR)
    assert (rows["received"].median, rows["received"].longest) == (3 * HOUR, 4 * HOUR)
    assert (rows["triage"].count, rows["triage"].total) == (1, 3 * HOUR)
    # Only stays that ended within the period: here the two that left `received`.
    early = time_per_stage(session, T0, T0 + 3 * HOUR)
    assert [(row.stage, row.count, row.total) for row in early] == [("received", 1, 2 * HOUR)]


def test_a_technician_holds_a_device_from_assignment_to_release_or_finish(
    session, make_user, clock
):
    people = [
        make_user("manager", "maud"),
        make_user("technician", "tom", name="Tom Martin"),
        make_user("technician", "ana"),
    ]
    # Merged once all are committed: a session that read first could not write after them.
    manager, tom, ana = (session.merge(user) for user in people)
    laptop, desktop = receive(session, "SN-HOLD-1", tom), receive(session, "SN-HOLD-2", tom)

    assignments.assign(session, laptop, tom, by=manager)
    clock.now = T0 + HOUR
    assignments.claim(session, desktop, ana)
    clock.now = T0 + 2 * HOUR
    assignments.release(session, desktop, by=ana)
    clock.now = T0 + 3 * HOUR
    # Moving the laptop on finishes Tom's assignment for `received`.
    move_to_stage(session, laptop, "triage", entered_by=tom)
    assignments.assign(session, laptop, tom, by=manager)
    clock.now = T0 + 4 * HOUR
    assignments.assign(session, laptop, ana, by=manager)
    session.commit()

    rows = time_per_technician(session, T0, T0 + 24 * HOUR)

    assert [(row.technician, row.name, row.stage, row.count, row.total) for row in rows] == [
        ("ana", "", "received", 1, HOUR),
        ("tom", "Tom Martin", "received", 1, 3 * HOUR),
        ("tom", "Tom Martin", "triage", 1, HOUR),
    ]
    # Ana still holds the laptop in triage: that span has not ended.
    assert time_per_technician(session, T0 + 5 * HOUR, T0 + 24 * HOUR) == []


def test_managers_read_the_time_page_in_their_language(app, client, session, make_user, clock):
    make_user("manager", "maud")
    tom = session.merge(make_user("technician", "tom"))
    laptop = receive(session, "SN-PAGE-1", tom)
    move_to_stage(
        session, laptop, "triage", entered_by=tom, occurred_at=T0 + 90 * timedelta(minutes=1)
    )
    session.commit()
    login(client, "maud")

    page = client.get(
        "/board/time?since=2026-03-01&until=2026-03-31", headers={"Accept-Language": "fr"}
    )

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<th scope="row">Reçu</th>' in text
    assert "1,5" in text  # an hour and a half, written the French way


def test_a_period_that_makes_no_sense_is_explained_not_a_crash(client, make_user):
    make_user("manager", "maud")
    login(client, "maud")

    backwards = client.get("/board/time?since=2026-03-31&until=2026-03-01")
    garbled = client.get("/board/time?since=yesterday&until=2026-03-01")

    assert backwards.status_code == 400
    assert "comes before the first" in backwards.get_data(as_text=True)
    assert garbled.status_code == 400
    assert "Write the day as 2024-06-01" in garbled.get_data(as_text=True)


@pytest.mark.parametrize("role", ["technician", "warehouse", "hr"])
def test_time_per_technician_is_for_those_who_plan_the_work(client, make_user, role):
    make_user(role, "someone")
    login(client, "someone")
    assert client.get("/board/time").status_code == 403


def test_the_board_link_opens_the_last_thirty_days(client, make_user):
    make_user("manager", "maud")
    login(client, "maud")

    opened = client.get("/board/time")

    assert opened.status_code == 302
    page = client.get(opened.headers["Location"])
    assert page.status_code == 200
    assert "Check the period" not in page.get_data(as_text=True)
    assert 'name="since"' in page.get_data(as_text=True)
