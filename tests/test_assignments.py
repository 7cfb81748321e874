"""A day at the benches: a manager hands out laptops, technicians claim, work and pass them on."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from inventory import assignments
from inventory.accounts import User
from inventory.db import begin_write
from inventory.devices import get_device
from inventory.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from inventory.intake import receive_device
from inventory.models import Assignment, Event
from inventory.stages import move_to_stage
from tests.conftest import answer_checks_by_api, csrf_token, enter_ready, login

API = "/api/v1"


def receive(session, user, serial):
    """A laptop received at intake; its asset tag."""
    return receive_device(
        session,
        serial_number=serial,
        category="laptop",
        make="Lenovo",
        model="ThinkPad T480",
        entered_by=user,
    ).device.asset_tag


def user(session, username):
    return session.scalar(select(User).where(User.username == username))


def kinds(session, device):
    query = select(Event.kind).where(Event.device_id == device.id).order_by(Event.id)
    return [kind for kind in session.scalars(query) if kind not in ("intake", "stage_change")]


@pytest.fixture
def staff(make_user):
    """The people of the day: a manager, two technicians, someone from HR."""
    make_user("manager", "marie")
    make_user("technician", "theo")
    make_user("technician", "tina")
    make_user("hr", "helene")
    make_user("warehouse", "wanda")


# Services


def test_a_manager_assigns_and_the_technician_finds_it_in_the_queue_until_the_stage_ends(
    session, staff
):
    marie, theo = user(session, "marie"), user(session, "theo")
    first = get_device(session, receive(session, marie, "PF1FIRST"))
    second = get_device(session, receive(session, marie, "PF1SECOND"))
    assignments.assign(session, first, theo, by=marie)
    assignments.assign(session, second, theo, by=marie)
    session.commit()
    assert [item.device.asset_tag for item in assignments.queue(session, theo)] == [
        first.asset_tag,
        second.asset_tag,
    ]
    held = assignments.active_assignment(session, first)
    assert (held.technician, held.assigned_by, held.stage) == (theo, marie, "received")

    move_to_stage(session, first, "triage", entered_by=theo)
    session.commit()
    assert [item.device for item in assignments.queue(session, theo)] == [second]
    assert assignments.active_assignment(session, first) is None
    done = session.scalar(select(Assignment).where(Assignment.device_id == first.id))
    assert (done.end_reason, done.ended_at is not None) == ("finished", True)
    assert kinds(session, first) == ["assigned", "finished"]
    finished = session.scalar(select(Event).where(Event.kind == "finished"))
    assert (finished.performed_by, finished.payload["stage"]) == (theo, "received")


def test_reassigning_relieves_the_first_technician_and_releasing_frees_the_device(session, staff):
    marie, theo, tina = (user(session, name) for name in ("marie", "theo", "tina"))
    device = get_device(session, receive(session, marie, "PF1MOVE"))
    assignments.assign(session, device, theo, by=marie)
    assignments.assign(session, device, tina, by=marie)
    session.commit()
    assert assignments.queue(session, theo) == []
    assert assignments.active_assignment(session, device).technician == tina
    assignments.release(session, device, by=tina)
    session.commit()
    assert assignments.active_assignment(session, device) is None
    reasons = session.scalars(
        select(Assignment.end_reason).where(Assignment.device_id == device.id)
    ).all()
    assert sorted(reasons) == ["reassigned", "released"]
    assert kinds(session, device) == ["assigned", "reassigned", "assigned", "released"]
    with pytest.raises(NotFound):
        assignments.release(session, device, by=marie)


def test_a_technician_claims_a_free_device_but_is_told_who_has_a_taken_one(session, staff):
    marie, theo, tina = (user(session, name) for name in ("marie", "theo", "tina"))
    device = get_device(session, receive(session, marie, "PF1CLAIM"))
    assignments.claim(session, device, theo)
    session.commit()
    # Scanning it again is harmless.
    assert assignments.claim(session, device, theo).technician == theo
    with pytest.raises(Conflict) as told:
        assignments.claim(session, device, tina)
    assert told.value.details["holder"] == "theo"
    assert told.value.message.startswith(f"{device.asset_tag} is already assigned to theo since ")
    assert kinds(session, device) == ["claimed"]


def test_only_people_who_work_at_the_bench_can_hold_a_device(session, staff):
    marie = user(session, "marie")
    device = get_device(session, receive(session, marie, "PF1HR"))
    for name in ("helene", "wanda"):
        with pytest.raises(InvalidInput) as refused:
            assignments.assign(session, device, user(session, name), by=marie)
        assert refused.value.details["field"] == "technician"
    # A manager doing the work takes it like anyone at a bench.
    assert assignments.claim(session, device, marie).technician == marie
    with pytest.raises(NotFound):
        assignments.get_holder(session, "nobody")
    with pytest.raises(InvalidInput):
        assignments.get_holder(session, "helene")


def test_a_device_that_has_left_cannot_be_assigned(session, staff):
    marie, theo = user(session, "marie"), user(session, "theo")
    device = get_device(session, receive(session, marie, "PF1GONE"))
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move_to_stage(session, device, stage, entered_by=theo)
    enter_ready(session, device, grade="B", entered_by=theo)
    move_to_stage(session, device, "sold", entered_by=marie)
    with pytest.raises(IllegalTransition):
        assignments.assign(session, device, theo, by=marie)


def test_the_database_refuses_a_second_active_assignment(session, staff):
    marie, theo, tina = (user(session, name) for name in ("marie", "theo", "tina"))
    device = get_device(session, receive(session, marie, "PF1TWICE"))
    session.add(Assignment(device=device, technician=theo, stage="received"))
    session.flush()
    session.add(Assignment(device=device, technician=tina, stage="received"))
    with pytest.raises(Exception, match="(?i)unique"):
        session.flush()


@pytest.mark.parametrize("round_", range(5))
def test_two_terminals_claiming_one_laptop_at_once_one_wins_the_other_is_told(
    sessions, staff, round_
):
    with sessions() as session:
        tag = receive(session, user(session, "marie"), f"PF1RACE{round_}")
        session.commit()
    barrier = threading.Barrier(2)
    names = ("theo", "tina")
    outcomes: list[object] = [None, None]

    def terminal(number: int) -> None:
        with sessions() as session:
            try:
                barrier.wait(timeout=30)
                begin_write(session)
                device = get_device(session, tag)
                assignments.claim(session, device, user(session, names[number]))
                session.commit()
                outcomes[number] = names[number]
            except Conflict as error:
                session.rollback()
                outcomes[number] = error

    threads = [threading.Thread(target=terminal, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [outcome for outcome in outcomes if isinstance(outcome, str)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert len(winners) == 1 and len(refusals) == 1, outcomes
    assert refusals[0].details["holder"] == winners[0]
    with sessions() as session:
        device = get_device(session, tag)
        assert assignments.active_assignment(session, device).technician.username == winners[0]
        assert kinds(session, device) == ["claimed"]


# The API


def test_through_the_api_a_manager_assigns_the_technician_reads_the_queue_and_releases(
    client, bearer
):
    manager = bearer("manager", "marie")
    theo = bearer("technician", "theo")
    tina = bearer("technician", "tina")
    laptop = {"serial_number": "PF1API", "category": "laptop", "make": "Dell", "model": "E7470"}
    tag = client.post(f"{API}/devices", json=laptop, headers=manager).get_json()["asset_tag"]
    url = f"{API}/devices/{tag}/assignment"

    given = client.post(url, json={"technician": "theo"}, headers=manager)
    assert given.status_code == 201
    body = given.get_json()
    assert (body["technician"], body["assigned_by"], body["stage"]) == ("theo", "marie", "received")
    assert body["device"]["assigned_to"] == "theo"
    assert client.post(url, json={"technician": "theo"}, headers=manager).status_code == 200
    queue = client.get(f"{API}/me/queue", headers=theo).get_json()["items"]
    assert [item["asset_tag"] for item in queue] == [tag]
    assert client.get(f"{API}/me/queue", headers=tina).get_json() == {"items": []}

    # Someone else's device is not theirs to release.
    refused = client.delete(url, headers=tina)
    assert refused.status_code == 403
    assert "theo" in refused.get_json()["error"]["message"]
    released = client.delete(url, headers=theo)
    assert released.status_code == 200
    assert released.get_json()["end_reason"] == "released"
    assert client.get(f"{API}/devices/{tag}", headers=theo).get_json()["assigned_to"] is None
    assert client.delete(url, headers=manager).status_code == 404


def test_the_api_refuses_with_the_right_status_and_says_why(client, bearer):
    manager = bearer("manager", "marie")
    theo = bearer("technician", "theo")
    hr = bearer("hr", "helene")
    laptop = {"serial_number": "PF1REF", "category": "laptop", "make": "HP", "model": "840 G3"}
    tag = client.post(f"{API}/devices", json=laptop, headers=manager).get_json()["asset_tag"]
    url = f"{API}/devices/{tag}/assignment"

    assert client.post(url, json={"technician": "theo"}).status_code == 401
    assert client.get(f"{API}/me/queue").status_code == 401
    # A technician may claim for themselves only (tests/test_api_claim.py), not hand out work.
    assert client.post(url, json={"technician": "marie"}, headers=theo).status_code == 403
    assert client.get(f"{API}/me/queue", headers=hr).status_code == 403
    for name in ("helene", "nobody", ""):
        bad = client.post(url, json={"technician": name}, headers=manager)
        assert bad.status_code == 400, name
        assert bad.get_json()["error"]["field"] == "technician"
    assert client.post(url, json={}, headers=manager).status_code == 400
    missing = client.post(
        f"{API}/devices/A0000042X/assignment", json={"technician": "theo"}, headers=manager
    )
    assert missing.status_code == 404
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        client.post(f"{API}/devices/{tag}/transitions", json={"to": stage}, headers=manager)
    client.post(f"{API}/devices/{tag}/grade", json={"grade": "A"}, headers=manager)
    answer_checks_by_api(client, manager, tag)
    client.post(f"{API}/devices/{tag}/transitions", json={"to": "ready"}, headers=manager)
    sale = {"customer": "Boutique", "channel": "shop", "lines": [{"asset_tag": tag, "price": 150}]}
    assert client.post(f"{API}/sales", json=sale, headers=manager).status_code == 201
    gone = client.post(url, json={"technician": "theo"}, headers=manager)
    assert (gone.status_code, gone.get_json()["error"]["code"]) == (409, "illegal_transition")


# The pages


def post(client, page, action, data=None):
    token = csrf_token(client, page)
    return client.post(action, data={"csrf_token": token, **(data or {})}, follow_redirects=True)


def test_a_technician_scans_a_free_laptop_into_the_queue_and_is_told_who_has_a_taken_one(
    client, make_user, sessions
):
    make_user("technician", "theo")
    make_user("technician", "tina")
    make_user("manager", "marie")
    with sessions() as session:
        free = receive(session, user(session, "marie"), "PF1FREE")
        taken = receive(session, user(session, "marie"), "PF1TAKEN")
        assignments.claim(session, get_device(session, taken), user(session, "tina"))
        session.commit()
    login(client, "theo")
    home = client.get("/queue/").get_data(as_text=True)
    assert 'href="/queue/"' in home and 'id="queue-empty"' in home
    assert "autofocus" in home

    opened = post(client, "/queue/", "/queue/scan", {"code": free.lower()})
    page = opened.get_data(as_text=True)
    # The scan opens the device's work card, where the technician works it.
    assert opened.request.path == f"/work/{free}"
    assert f"{free} is now in your queue." in page
    assert "Release" in page
    queue = client.get("/queue/").get_data(as_text=True)
    assert free in queue and taken not in queue

    refused = post(client, "/queue/", "/queue/scan", {"code": taken})
    assert refused.request.path == "/queue/"
    assert f"{taken} is already assigned to tina since " in refused.get_data(as_text=True)
    unknown = post(client, "/queue/", "/queue/scan", {"code": "NOT-OURS"})
    assert unknown.request.path == "/queue/"
    assert post(client, "/queue/", "/queue/scan", {"code": ""}).request.path == "/queue/"

    released = post(client, f"/devices/{free}", f"/devices/{free}/release")
    assert f"{free} is released" in released.get_data(as_text=True)
    assert free not in client.get("/queue/").get_data(as_text=True)
    # Someone else's device is not theirs to release.
    token = csrf_token(client, "/queue/")
    refused = client.post(f"/devices/{taken}/release", data={"csrf_token": token})
    assert refused.status_code == 403


def test_a_manager_assigns_from_the_device_page_and_hr_has_no_queue(client, make_user, sessions):
    make_user("technician", "theo")
    make_user("hr", "helene")
    make_user("manager", "marie")
    with sessions() as session:
        tag = receive(session, user(session, "marie"), "PF1PAGE")
        session.commit()
    login(client, "marie")
    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert "No one is assigned this device." in page
    assert 'value="theo"' in page and 'value="helene"' not in page
    done = post(client, f"/devices/{tag}", f"/devices/{tag}/assign", {"technician": "theo"})
    assert f"{tag} is assigned to theo." in done.get_data(as_text=True)
    assert "Assigned to theo since" in done.get_data(as_text=True)
    hr = post(client, f"/devices/{tag}", f"/devices/{tag}/assign", {"technician": "helene"})
    assert "cannot be assigned devices" in hr.get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/queue/")})
    login(client, "theo")
    assert tag in client.get("/queue/").get_data(as_text=True)
    token = csrf_token(client, "/queue/")
    assert client.post(f"/devices/{tag}/assign", data={"csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login(client, "helene")
    assert client.get("/queue/").status_code == 403


def test_the_queue_page_speaks_french(client, make_user):
    make_user("technician", "theo")
    login(client, "theo")
    client.post(
        "/language",
        data={"language": "fr", "next": "/queue/", "csrf_token": csrf_token(client, "/queue/")},
    )
    page = client.get("/queue/").get_data(as_text=True)
    assert "Ma file" in page
