"""Through the API a technician claims a free device for themselves, as a scan at the bench does."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from inventory.models import Assignment, Event

API = "/api/v1"
LAPTOP = {"serial_number": "PF1CLAIM", "category": "laptop", "make": "Dell", "model": "E7470"}


def test_a_technician_claims_a_free_device_and_is_told_who_holds_a_taken_one(client, bearer):
    manager = bearer("manager", "marie")
    theo, tina = bearer("technician", "theo"), bearer("technician", "tina")
    warehouse = bearer("warehouse", "walid")
    tag = client.post(f"{API}/devices", json=LAPTOP, headers=manager).get_json()["asset_tag"]
    url = f"{API}/devices/{tag}/assignment"

    claimed = client.post(url, json={"technician": "Theo "}, headers=theo)
    assert claimed.status_code == 201
    assert (claimed.get_json()["technician"], claimed.get_json()["assigned_by"]) == ("theo", None)
    assert client.post(url, json={"technician": "theo"}, headers=theo).status_code == 200

    taken = client.post(url, json={"technician": "tina"}, headers=tina)
    assert (taken.status_code, taken.get_json()["error"]["code"]) == (409, "conflict")
    assert "theo" in taken.get_json()["error"]["message"]
    handing_out = client.post(url, json={"technician": "tina"}, headers=theo)
    assert handing_out.status_code == 403
    assert "your own username" in handing_out.get_json()["error"]["message"]
    assert client.post(url, json={"technician": "walid"}, headers=warehouse).status_code == 403
    history = client.get(f"{API}/devices/{tag}", headers=theo).get_json()["events"]
    assert [event["kind"] for event in history].count("claimed") == 1


def test_two_technicians_claiming_at_once_through_the_api_one_wins(app, bearer, sessions):
    manager = bearer("manager", "marie")
    people = {name: bearer("technician", name) for name in ("theo", "tina", "tom", "tess")}
    with app.test_client() as setup:
        tag = setup.post(f"{API}/devices", json=LAPTOP, headers=manager).get_json()["asset_tag"]
    url = f"{API}/devices/{tag}/assignment"
    answers: dict[str, tuple[int, dict]] = {}
    start = threading.Barrier(len(people))

    def claim(name: str) -> None:
        with app.test_client() as terminal:
            start.wait()
            response = terminal.post(url, json={"technician": name}, headers=people[name])
            answers[name] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=claim, args=(name,)) for name in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    winners = [name for name, (status, _body) in answers.items() if status == 201]
    assert len(winners) == 1
    for name, (status, body) in answers.items():
        if name != winners[0]:
            assert (status, body["error"]["code"]) == (409, "conflict")
            assert winners[0] in body["error"]["message"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Assignment)) == 1
        claims = select(func.count()).select_from(Event).where(Event.kind == "claimed")
        assert session.scalar(claims) == 1
