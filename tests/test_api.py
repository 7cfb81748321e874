"""A day at the workshop through the JSON API: a lot arrives, laptops are scanned in, work moves on."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from inventory.codes import has_valid_check
from inventory.models import Device, Event, Scan
from tests.conftest import answer_checks_by_api, check_codes, record_diagnostics_by_api

API = "/api/v1"
LOT = "L-2024-031"


def receive(client, headers, serial, **extra):
    body = {
        "serial_number": serial,
        "category": "laptop",
        "make": "Lenovo",
        "model": "ThinkPad T480",
        **extra,
    }
    return client.post(f"{API}/devices", json=body, headers=headers)


def move(client, headers, tag, to, **extra):
    return client.post(
        f"{API}/devices/{tag}/transitions", json={"to": to, **extra}, headers=headers
    )


def grade(client, headers, tag, value, **extra):
    return client.post(
        f"{API}/devices/{tag}/grade", json={"grade": value, **extra}, headers=headers
    )


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def aware(text):
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None, text
    return moment


@pytest.fixture
def warehouse(bearer):
    return bearer("warehouse", "wanda")


@pytest.fixture
def technician(bearer):
    return bearer("technician", "theo")


@pytest.fixture
def lot(client, warehouse):
    response = client.post(
        f"{API}/lots",
        json={"code": LOT, "donor": "Banque Martin", "received_on": "2024-03-11"},
        headers=warehouse,
    )
    assert response.status_code == 201, response.get_json()
    return LOT


def test_a_lot_is_opened_and_listed(client, warehouse):
    response = client.post(
        f"{API}/lots",
        json={
            "code": LOT,
            "donor": "Banque Martin",
            "received_on": "2024-03-11",
            "reference": "BM-88",
            "note": "Two pallets, shrink-wrapped.",
        },
        headers=warehouse,
    )
    assert response.status_code == 201
    opened = response.get_json()
    assert opened["code"] == LOT
    assert opened["donor"] == "Banque Martin"
    assert opened["received_on"] == "2024-03-11"
    assert opened["reference"] == "BM-88"
    aware(opened["created_at"])

    listed = client.get(f"{API}/lots", headers=warehouse).get_json()["items"]
    assert [item["code"] for item in listed] == [LOT]


def test_a_lot_code_can_only_be_opened_once(client, warehouse, lot):
    response = client.post(f"{API}/lots", json={"code": lot}, headers=warehouse)
    assert response.status_code == 409
    assert error_of(response)["field"] == "code"
    assert len(client.get(f"{API}/lots", headers=warehouse).get_json()["items"]) == 1


def test_forty_laptops_of_a_lot_are_received_and_listed_page_by_page(client, warehouse, lot):
    tags = []
    for number in range(1, 41):
        response = receive(client, warehouse, f"PF1A{number:04d}", lot=lot, weight_kg=1.85)
        assert response.status_code == 201, response.get_json()
        device = response.get_json()
        assert response.headers["Location"].endswith(f"{API}/devices/{device['asset_tag']}")
        assert device["new_cycle"] is False
        assert device["stage"] == "received"
        assert device["lot"] == lot
        assert device["weight_kg"] == 1.85
        assert device["serial_number"] == f"PF1A{number:04d}"
        assert device["identifiers"] == [{"kind": "serial", "value": f"PF1A{number:04d}"}]
        assert device["allowed_moves"] == ["triage", "recycled"]
        assert device["cycle"] == 1
        assert device["grade"] is None
        aware(device["received_at"])
        tags.append(device["asset_tag"])
    assert len(set(tags)) == 40
    assert all(has_valid_check(tag) for tag in tags)

    first = client.get(f"{API}/devices?lot={lot}&per_page=25", headers=warehouse).get_json()
    second = client.get(f"{API}/devices?lot={lot}&per_page=25&page=2", headers=warehouse)
    second = second.get_json()
    assert (first["total"], first["pages"], first["page"], first["per_page"]) == (40, 2, 1, 25)
    assert len(first["items"]) == 25 and len(second["items"]) == 15
    listed = [item["asset_tag"] for item in first["items"] + second["items"]]
    assert sorted(listed) == sorted(tags)
    # Newest first: the last laptop scanned heads the list.
    assert listed[0] == tags[-1]


def test_a_serial_already_received_is_refused_with_the_existing_device(client, warehouse, session):
    first = receive(client, warehouse, "PF1ABC42").get_json()

    # The same label scanned again, typed with blanks and in lower case.
    response = receive(client, warehouse, " pf1 abc42 ", make="Other", model="Other")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "already_received"
    assert first["asset_tag"] in error["message"]
    assert "already received" in error["message"]
    assert error["device"]["asset_tag"] == first["asset_tag"]
    assert error["device"]["make"] == "Lenovo"
    assert session.scalar(select(func.count()).select_from(Device)) == 1


def test_an_unknown_lot_is_refused_naming_the_field_and_nothing_is_created(
    client, warehouse, session
):
    response = receive(client, warehouse, "PF1ABC42", lot="NO-SUCH-LOT")
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("invalid", "lot")
    assert "NO-SUCH-LOT" in error["message"]
    assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_a_laptop_moves_through_the_stages_and_its_history_says_who_did_what(
    client, warehouse, technician
):
    tag = receive(client, warehouse, "PF1ABC42", weight_kg=2).get_json()["asset_tag"]
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        response = move(client, technician, tag, stage)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["stage"] == stage
    assert grade(client, technician, tag, "A", note="Tiny scratch on the lid").status_code == 200
    answer_checks_by_api(client, technician, tag)
    response = move(client, technician, tag, "ready", note="Boxed, shelf R3")
    assert response.status_code == 200
    assert response.get_json()["allowed_moves"] == ["sold", "qc", "recycled"]

    device = client.get(f"{API}/devices/{tag.lower()}", headers=technician).get_json()
    assert device["asset_tag"] == tag
    assert device["stage"] == "ready"
    assert device["grade"] == "A"
    events = device["events"]
    assert [event["kind"] for event in events] == [
        "intake",
        "stage_change",
        "stage_change",
        "stage_change",
        "stage_change",
        "graded",
        "checks",
        # The benches' runs, posted by the agent with theo's token: battery, disk health,
        # then the erasure and the drive it erased.
        "diagnostic_started",
        "diagnostic_run",
        "diagnostic_started",
        "diagnostic_run",
        "diagnostic_started",
        "erasure",
        "diagnostic_run",
        "stage_change",
    ]
    assert [event["id"] for event in events] == sorted(event["id"] for event in events)
    assert events[0]["entered_by"] == "wanda"
    assert {event["performed_by"] for event in events[1:]} == {"theo"}
    assert (events[1]["from_stage"], events[1]["to_stage"]) == ("received", "triage")
    assert events[5]["payload"]["grade"] == "A"
    assert events[5]["payload"]["note"] == "Tiny scratch on the lid"
    assert set(events[6]["payload"]["results"].values()) == {"pass"}
    runs = [event["payload"] for event in events if event["kind"] == "diagnostic_run"]
    assert [(run["script"], run["outcome"]) for run in runs] == [
        ("battery", "pass"),
        ("disk-health", "pass"),
        ("erasure", "pass"),
    ]
    assert events[-1]["payload"]["note"] == "Boxed, shelf R3"
    assert [run["script"] for run in device["diagnostics"]] == ["erasure", "disk-health", "battery"]
    assert [item["drive_serial"] for item in device["erasures"]] == ["WX41A12B3456"]
    for event in events:
        assert aware(event["recorded_at"]) >= aware(event["occurred_at"])
    assert aware(device["stage_entered_at"]) >= aware(device["received_at"])


def test_an_illegal_move_names_the_allowed_ones_and_changes_nothing(client, warehouse, technician):
    tag = receive(client, warehouse, "PF1ABC42").get_json()["asset_tag"]
    response = move(client, technician, tag, "ready")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "illegal_transition"
    assert error["allowed"] == ["triage", "recycled"]
    assert "triage, recycled" in error["message"].lower()
    device = client.get(f"{API}/devices/{tag}", headers=technician).get_json()
    assert device["stage"] == "received"
    assert len(device["events"]) == 1


def test_the_ready_gate_asks_for_a_grade_the_checks_and_the_benches(client, warehouse, technician):
    tag = receive(client, warehouse, "PF1ABC42").get_json()["asset_tag"]
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move(client, technician, tag, stage)
    unanswered = f"answers to the checks ({', '.join(check_codes('laptop'))})"
    benches = [
        "a passing battery run",
        "a passing disk-health run",
        "a passing erasure run",
        "an erasure record for every drive, or the device marked as having no storage",
    ]

    response = move(client, technician, tag, "ready")
    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["missing"]) == ("gate_unmet", ["grade", unanswered, *benches])

    graded = grade(client, technician, tag, "B")
    assert graded.status_code == 200
    assert graded.get_json()["grade"] == "B"
    still = error_of(move(client, technician, tag, "ready"))
    assert (still["code"], still["missing"]) == ("gate_unmet", [unanswered, *benches])
    answer_checks_by_api(client, technician, tag, diagnostics=False)
    still = error_of(move(client, technician, tag, "ready"))
    assert (still["code"], still["missing"]) == ("gate_unmet", benches)
    record_diagnostics_by_api(client, technician, tag)
    assert move(client, technician, tag, "ready").get_json()["stage"] == "ready"


def test_a_double_click_naming_the_stage_it_came_from_moves_once(client, warehouse, technician):
    tag = receive(client, warehouse, "PF1ABC42").get_json()["asset_tag"]
    assert move(client, technician, tag, "triage", **{"from": "received"}).status_code == 200
    response = move(client, technician, tag, "triage", **{"from": "received"})
    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["stage"]) == ("conflict", "triage")
    events = client.get(f"{API}/devices/{tag}", headers=technician).get_json()["events"]
    assert [event["kind"] for event in events] == ["intake", "stage_change"]


def test_a_sold_laptop_that_comes_back_starts_a_new_cycle_on_its_record(
    client, warehouse, technician, bearer
):
    manager = bearer("manager", "maud")
    tag = receive(client, warehouse, "PF1ABC42").get_json()["asset_tag"]
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move(client, technician, tag, stage)
    grade(client, technician, tag, "A")
    answer_checks_by_api(client, technician, tag)
    move(client, technician, tag, "ready")
    refused = move(client, manager, tag, "sold")
    assert refused.status_code == 409
    assert "POST /api/v1/sales" in refused.get_json()["error"]["message"]
    sale = {"customer": "Boutique", "channel": "shop", "lines": [{"asset_tag": tag, "price": 180}]}
    assert client.post(f"{API}/sales", json=sale, headers=manager).status_code == 201

    response = receive(client, warehouse, "PF1ABC42")
    assert response.status_code == 201
    back = response.get_json()
    assert back["new_cycle"] is True
    assert (back["asset_tag"], back["cycle"], back["stage"]) == (tag, 2, "received")
    assert back["grade"] is None
    events = client.get(f"{API}/devices/{tag}", headers=warehouse).get_json()["events"]
    assert [event["kind"] for event in events].count("intake") == 2
    assert (events[-1]["from_stage"], events[-1]["to_stage"]) == ("sold", "received")


def test_a_recycled_device_scanned_in_again_comes_back_too(client, warehouse):
    tag = receive(client, warehouse, "PF1ABC42").get_json()["asset_tag"]
    recycled = move(client, warehouse, tag, "recycled", reason="obsolete", weight_kg=2.2)
    assert recycled.get_json()["allowed_moves"] == []
    back = receive(client, warehouse, "PF1ABC42").get_json()
    assert (back["asset_tag"], back["new_cycle"], back["cycle"]) == (tag, True, 2)


def test_a_sold_device_cannot_be_graded(client, warehouse, technician):
    tag = receive(client, warehouse, "PF1ABC42").get_json()["asset_tag"]
    move(client, warehouse, tag, "recycled", reason="obsolete", weight_kg=2.2)
    response = grade(client, technician, tag, "A")
    assert response.status_code == 409
    assert error_of(response)["code"] == "illegal_transition"


def test_scans_resolve_tags_and_serials_and_every_scan_is_logged(
    client, warehouse, technician, session
):
    tag = receive(client, warehouse, "PF1ABC42").get_json()["asset_tag"]
    misread = tag[:-1] + ("0" if tag[-1] != "0" else "1")

    def scan(code, station="bench-2"):
        response = client.post(
            f"{API}/scans", json={"code": code, "station": station}, headers=technician
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    # The handheld scanner types the code and Enter.
    by_tag = scan(tag.lower() + "\r\n")
    assert (by_tag["kind"], by_tag["code"]) == ("device", tag)
    assert by_tag["device"]["asset_tag"] == tag
    assert "message" not in by_tag

    by_serial = scan("pf1abc42")
    assert (by_serial["kind"], by_serial["device"]["asset_tag"]) == ("device", tag)

    unknown = scan("NOT-OURS-123")
    assert unknown["kind"] == "unknown"
    assert "device" not in unknown
    assert unknown["message"]

    wrong_check = scan(misread)
    assert wrong_check["kind"] == "invalid"
    assert "misread" in wrong_check["message"]

    garbled = scan("PF1\x00ABC")
    assert garbled["kind"] == "invalid"

    empty = scan("   ")
    assert empty["kind"] == "invalid"

    logged = session.scalars(select(Scan).order_by(Scan.id)).all()
    assert [row.outcome for row in logged] == [
        "device",
        "device",
        "unknown",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert logged[0].code == tag
    assert logged[4].code == "PF1ABC"
    assert {row.station for row in logged} == {"bench-2"}
    assert logged[0].device_id is not None and logged[2].device_id is None
    assert len({row.user_id for row in logged}) == 1


def test_the_device_list_searches_and_filters(client, warehouse, technician):
    receive(client, warehouse, "PF1ABC42")
    receive(client, warehouse, "PF1ABC43")
    monitor = receive(
        client, warehouse, "CN0DELL7", category="monitor", make="Dell", model="P2419H"
    ).get_json()
    move(client, technician, monitor["asset_tag"], "triage")

    def tags(query):
        response = client.get(f"{API}/devices?{query}", headers=technician)
        assert response.status_code == 200, response.get_json()
        return {item["asset_tag"] for item in response.get_json()["items"]}

    assert len(tags("")) == 3
    assert len(tags("q=pf1abc")) == 2
    assert tags("q=dell") == {monitor["asset_tag"]}
    assert tags(f"q={monitor['asset_tag'].lower()}") == {monitor["asset_tag"]}
    assert tags("stage=triage") == {monitor["asset_tag"]}
    assert len(tags("category=laptop")) == 2
    assert tags("category=laptop&stage=triage") == set()
    # A lot nobody opened is a mistyped filter, said as such rather than answered with nothing.
    response = client.get(f"{API}/devices?lot=NO-SUCH-LOT", headers=technician)
    assert response.status_code == 400
    assert "No lot has the code 'NO-SUCH-LOT'" in response.get_json()["error"]["message"]

    response = client.get(f"{API}/devices?stage=nowhere", headers=technician)
    assert response.status_code == 400
    assert error_of(response)["field"] == "stage"


def test_a_device_nobody_received_is_not_found(client, technician):
    for tag in ("A0000042X", "nothing-like-a-tag", "%00", "A" * 300):
        response = client.get(f"{API}/devices/{tag}", headers=technician)
        assert response.status_code == 404, tag
        assert error_of(response)["code"] == "not_found"
    response = move(client, technician, "A0000042X", "triage")
    assert response.status_code == 404


def test_eight_terminals_receiving_the_same_serial_at_once_create_one_device(
    app, warehouse, session
):
    answers = _at_once(
        app,
        8,
        lambda client: receive(client, warehouse, "PF1RACE01"),
    )
    assert sorted(answers) == [201] + [409] * 7
    assert session.scalar(select(func.count()).select_from(Device)) == 1
    intakes = select(func.count()).select_from(Event).where(Event.kind == "intake")
    assert session.scalar(intakes) == 1


def test_eight_terminals_moving_the_same_device_at_once_move_it_once(
    app, client, warehouse, technician, session
):
    tag = receive(client, warehouse, "PF1RACE02").get_json()["asset_tag"]
    answers = _at_once(app, 8, lambda client: move(client, technician, tag, "triage"))
    assert sorted(answers) == [200] + [409] * 7
    moves = select(func.count()).select_from(Event).where(Event.kind == "stage_change")
    assert session.scalar(moves) == 1


def _at_once(app, count, call):
    """Run `call` from `count` threads released together; the statuses they got."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    failures: list[BaseException] = []

    def worker():
        client = app.test_client()
        barrier.wait()
        try:
            response = call(client)
            if response.status_code == 409:
                assert error_of(response)["code"] in (
                    "already_received",
                    "conflict",
                    "illegal_transition",
                )
            statuses.append(response.status_code)
        except BaseException as error:  # a failure in a thread must fail the test
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return statuses
