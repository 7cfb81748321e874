"""A dying drive pulled out and destroyed instead of erased: the record, the gates on `ready`,
the device page's form, the API, and what the certificate says of it."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from diagnostics import records
from inventory.db import begin_write
from inventory.devices import get_device
from inventory.errors import Conflict, IllegalTransition, InvalidInput
from inventory.events import device_history
from inventory.lifecycle import unmet_gates
from inventory.models import ErasureRecord, Event
from inventory.recycling import recycle
from inventory.stages import move_to_stage
from tests.conftest import csrf_token, login, passing_result
from tests.destruction_helpers import A_DESTRUCTION, DYING, laptop_with_dying_drive, seeing

ERASURE_GATE = records.ERASURE_GATE
STORAGE_RUNS = ["a passing disk-health run", "a passing erasure run"]
NEW_SSD = {
    "model": "Samsung 870 EVO",
    "serial": "S6PNNS0T-NEW",
    "capacity_bytes": 250_059_350_016,
    "type": "SSD",
}


def missing(session, device):
    """What `ready` still asks of the device."""
    return unmet_gates(session, device, "ready")


def destroy(session, device, serial=DYING["serial"], **changes):
    values = {"destruction": "shredded", "replaced": False, "reference": "DESTRUKT-118"}
    return records.record_destroyed_drive(
        session, device, drive_serial=serial, **(values | changes), entered_by=None
    )


# -- the service and the gates ----------------------------------------------------------------


def test_destroying_the_only_drive_not_erased_lets_the_device_enter_ready(session, make_user):
    lea = make_user("technician", "lea", "Léa Rousseau")
    device = laptop_with_dying_drive(session)
    assert missing(session, device) == [*STORAGE_RUNS, ERASURE_GATE]
    assert [drive["serial"] for drive in records.storage_status(session, device).unerased] == [
        DYING["serial"]
    ]

    record = records.record_destroyed_drive(
        session,
        device,
        drive_serial=f"  {DYING['serial']} ",
        destruction=" Shredded",
        replaced=False,
        reference=" DESTRUKT-2026-118 ",
        entered_by=session.merge(lea),
    )
    session.commit()

    # The bench's model, capacity and type stand: the serial named the drive.
    assert (record.drive_model, record.capacity_bytes, record.drive_type) == (
        DYING["model"],
        DYING["capacity_bytes"],
        DYING["type"],
    )
    assert (record.method, record.nist_category, record.destruction, record.reference) == (
        "DESTROY",
        "Destroy",
        "shredded",
        "DESTRUKT-2026-118",
    )
    assert (record.manual, record.run, record.destroyed, record.replaced) == (
        True,
        None,
        True,
        False,
    )
    assert record.operator.username == "lea" and record.recorded_by.username == "lea"
    status = records.storage_status(session, device)
    assert (status.unerased, status.erased, status.destroyed) == ([], set(), {DYING["serial"]})
    assert status.none_left and status.complete and not status.awaiting_replacement
    event = device_history(session, device)[-1]
    assert event.kind == "drive_destroyed"
    assert event.payload["drive_serial"] == DYING["serial"]
    assert event.payload["destruction"] == "shredded"
    assert event.payload["reference"] == "DESTRUKT-2026-118"
    assert event.payload["nist_category"] == "Destroy"
    assert event.payload["erasure"] == record.id
    # It has no storage left: the disk-health and erasure runs are excused, like no storage.
    move_to_stage(session, device, "ready", entered_by=None)
    assert device.stage == "ready"


def test_a_drive_put_in_place_of_the_one_destroyed_must_be_erased(session):
    device = laptop_with_dying_drive(session)
    destroy(session, device, replaced=True)
    status = records.storage_status(session, device)
    assert not status.none_left and not status.complete and status.awaiting_replacement
    # A destroyed drive erased nothing: it never stands in for the erasure run.
    assert missing(session, device) == [*STORAGE_RUNS, ERASURE_GATE]

    # The benches see the new drive: it is a drive like any other.
    records.record_run(
        session, device, seeing(passing_result("disk-health"), NEW_SSD), operator=None
    )
    assert missing(session, device) == ["a passing erasure run", ERASURE_GATE]
    assert [d["serial"] for d in records.storage_status(session, device).unerased] == [
        NEW_SSD["serial"]
    ]
    records.record_run(
        session, device, passing_result("erasure", drive_serial=NEW_SSD["serial"]), operator=None
    )
    move_to_stage(session, device, "ready", entered_by=None)


def test_a_drive_seen_after_the_destruction_holds_the_device_back_even_unannounced(session):
    device = laptop_with_dying_drive(session)
    destroy(session, device, replaced=False)
    assert missing(session, device) == []
    # Someone put a drive in after all, and a bench saw it: no storage is left no more.
    records.record_run(
        session, device, seeing(passing_result("disk-health"), NEW_SSD), operator=None
    )
    assert missing(session, device) == ["a passing erasure run", ERASURE_GATE]
    records.record_manual_erasure(
        session, device, drive_model=NEW_SSD["model"], drive_serial=NEW_SSD["serial"],
        capacity_bytes=NEW_SSD["capacity_bytes"], drive_type="SSD", method="CRYPTO",
        tool="Parted Magic 2024", log="Secure erase OK", entered_by=None,
    )  # fmt: skip
    assert missing(session, device) == []


def test_one_drive_erased_and_the_other_destroyed_is_every_drive_dealt_with(session):
    device = laptop_with_dying_drive(session)
    erasure = seeing(passing_result("erasure", drive_serial=NEW_SSD["serial"]), DYING)
    records.record_run(session, device, erasure, operator=None)
    records.record_run(session, device, seeing(passing_result("disk-health"), DYING), operator=None)
    assert missing(session, device) == [ERASURE_GATE]
    destroy(session, device, replaced=False)
    status = records.storage_status(session, device)
    assert status.complete and not status.none_left
    assert missing(session, device) == []


def test_a_drive_no_bench_saw_is_described_by_hand(session):
    device = laptop_with_dying_drive(session)
    typed = destroy(
        session,
        device,
        serial="Z9TYPED",
        drive_model="Toshiba MQ01",
        capacity_bytes=320 * 10**9,
        drive_type="hdd",
        destruction="drilled",
        reference="",
        destroyed_at=datetime(2026, 3, 4, 11, 0, tzinfo=UTC),
    )
    assert (typed.drive_model, typed.capacity_bytes, typed.drive_type) == (
        "Toshiba MQ01",
        320 * 10**9,
        "HDD",
    )
    assert typed.ended_at == datetime(2026, 3, 4, 11, 0, tzinfo=UTC) == typed.started_at
    # The dying drive the benches saw is still there, not erased.
    assert missing(session, device) == [*STORAGE_RUNS, ERASURE_GATE]
    # A serial typed in another case names the drive the benches saw.
    assert destroy(session, device, serial=DYING["serial"].lower()).drive_serial == DYING["serial"]
    assert missing(session, device) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"serial": ""}, "drive_serial"),
        ({"serial": None}, "drive_serial"),
        ({"serial": "S" * 101}, "drive_serial"),
        ({"destruction": "hammered"}, "destruction"),
        ({"destruction": None}, "destruction"),
        ({"replaced": "yes"}, "replaced"),
        ({"replaced": None}, "replaced"),
        ({"reference": "R" * 201}, "reference"),
        ({"reference": 118}, "reference"),
        ({"destroyed_at": datetime(2026, 3, 4, 11, 0)}, "destroyed_at"),
        ({"serial": "UNSEEN"}, "drive_model"),
        ({"serial": "UNSEEN", "drive_model": "X" * 201}, "drive_model"),
        ({"serial": "UNSEEN", "drive_model": "WD"}, "capacity_bytes"),
        ({"serial": "UNSEEN", "drive_model": "WD", "capacity_bytes": "500"}, "capacity_bytes"),
        ({"serial": "UNSEEN", "drive_model": "WD", "capacity_bytes": True}, "capacity_bytes"),
        ({"serial": "UNSEEN", "drive_model": "WD", "capacity_bytes": 0}, "capacity_bytes"),
        ({"serial": "UNSEEN", "drive_model": "WD", "capacity_bytes": 10**16}, "capacity_bytes"),
        ({"serial": "UNSEEN", "drive_model": "WD", "capacity_bytes": 10**9}, "drive_type"),
        (
            {
                "serial": "UNSEEN",
                "drive_model": "WD",
                "capacity_bytes": 10**9,
                "drive_type": "TAPE",
            },
            "drive_type",
        ),
    ],
)
def test_a_destruction_that_cannot_be_used_names_the_field_and_saves_nothing(
    session, changes, field
):
    device = laptop_with_dying_drive(session)
    serial = changes.pop("serial", DYING["serial"])
    with pytest.raises(InvalidInput) as refused:
        destroy(session, device, serial, **changes)
    assert refused.value.details["field"] == field
    assert session.scalars(select(ErasureRecord)).all() == []
    assert "drive_destroyed" not in [event.kind for event in device_history(session, device)]


def test_a_drive_is_destroyed_once_and_only_on_a_device_still_here(session):
    with pytest.raises(InvalidInput) as refused:
        destroy(session, None)
    assert refused.value.details["field"] == "device"

    device = laptop_with_dying_drive(session)
    destroy(session, device)
    session.commit()
    with pytest.raises(Conflict) as twice:
        destroy(session, device, DYING["serial"].lower(), destruction="crushed")
    assert twice.value.details == {"drive_serial": DYING["serial"], "asset_tag": device.asset_tag}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ErasureRecord)) == 1

    recycle(session, device, reason="beyond_repair", weight_kg="2.1", entered_by=None)
    with pytest.raises(IllegalTransition) as left:
        destroy(
            session, device, "Z9TYPED", drive_model="WD", capacity_bytes=10**9, drive_type="HDD"
        )
    assert left.value.details["stage"] == "recycled"
    assert "cannot be recorded as destroyed" in str(left.value)


def test_the_database_refuses_a_second_destruction_of_the_same_drive(session):
    device = laptop_with_dying_drive(session)
    first = destroy(session, device)
    session.commit()
    twin = ErasureRecord(
        device=device, cycle=device.cycle, drive_model=first.drive_model,
        drive_serial=first.drive_serial, capacity_bytes=1, drive_type="HDD", method="DESTROY",
        nist_category="Destroy", destruction="crushed",
    )  # fmt: skip
    session.add(twin)
    with pytest.raises(Exception, match="(?i)unique"):
        session.flush()
    session.rollback()
    # Erasures of one drive may repeat: only a destruction is unique.
    for _ in range(2):
        records.record_run(
            session, device, passing_result("erasure", drive_serial="AGAIN"), operator=None
        )
    session.flush()


def test_two_submits_at_the_same_moment_record_one_destruction(sessions):
    with sessions() as session:
        tag = laptop_with_dying_drive(session).asset_tag
        session.commit()
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def terminal(number: int) -> None:
        with sessions() as session:
            try:
                barrier.wait(timeout=30)
                begin_write(session)
                destroy(session, get_device(session, tag))
                session.commit()
                outcomes[number] = "saved"
            except Exception as error:
                session.rollback()
                outcomes[number] = error

    threads = [threading.Thread(target=terminal, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert outcomes.count("saved") == 1
    [refusal] = [item for item in outcomes if item != "saved"]
    assert isinstance(refusal, Conflict) and refusal.details["drive_serial"] == DYING["serial"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ErasureRecord)) == 1


# -- the page -----------------------------------------------------------------------------------


@pytest.fixture
def dying(sessions):
    """The asset tag of a laptop whose only drive is dying, and one other drive, erased."""
    with sessions() as session:
        device = laptop_with_dying_drive(session)
        records.record_run(
            session, device, passing_result("erasure", drive_serial="ERASED-1"), operator=None
        )
        session.commit()
        return device.asset_tag


def form(client, tag, **changes):
    data = {
        "csrf_token": csrf_token(client, f"/devices/{tag}"),
        "back": "devices.show",
        "drive": DYING["serial"],
        "destruction": "crushed",
        "replaced": "no",
        "reference": "Bin 7, batch 2026-03",
    }
    return data | changes


def stored(sessions, tag):
    with sessions() as session:
        device = get_device(session, tag)
        return [
            (record.drive_serial, record.destruction, record.reference)
            for record in records.erasures(session, device)
            if record.destroyed
        ]


def test_the_device_page_offers_the_unerased_drives_first_and_records_one_destroyed(
    client, make_user, sessions, dying
):
    make_user("technician", "theo")
    login(client, "theo")
    page = client.get(f"/devices/{dying}").get_data(as_text=True)
    assert "Record a drive destroyed…" in page and 'id="destroy-drive"' in page
    card = client.get(f"/work/{dying}").get_data(as_text=True)
    assert 'id="destroy-drive"' in card and 'name="back" value="workcard.show"' in card
    select_html = page[
        page.index('id="destroy-drive"') : page.index("</select>", page.index('id="destroy-drive"'))
    ]
    options = re.findall(r'<option value="([^"]*)"', select_html)
    assert options == ["", DYING["serial"], "ERASED-1", "typed"]
    assert select_html.index("Not erased") < select_html.index("Already erased")

    sent = client.post(f"/devices/{dying}/destroyed-drives", data=form(client, dying))
    assert sent.status_code == 302
    assert sent.headers["Location"] == f"/devices/{dying}#diagnostics"
    page = client.get(f"/devices/{dying}").get_data(as_text=True)
    assert f"Drive {DYING['serial']} is recorded as destroyed on {dying}: Crushed." in page
    assert "destroyed: crushed</strong>, ref. Bin 7, batch 2026-03 (NIST Destroy)" in page
    assert "Drive destroyed" in page  # the history
    # The drive destroyed is no longer offered; the one erased still is.
    select_html = page[
        page.index('id="destroy-drive"') : page.index("</select>", page.index('id="destroy-drive"'))
    ]
    assert re.findall(r'<option value="([^"]*)"', select_html) == ["", "ERASED-1", "typed"]
    assert stored(sessions, dying) == [(DYING["serial"], "crushed", "Bin 7, batch 2026-03")]

    # From the work card, back to the work card.
    sent = client.post(
        f"/devices/{dying}/destroyed-drives",
        data=form(client, dying, drive="typed", drive_serial="Z9-CARD", drive_model="Toshiba",
                  capacity_gb="320", drive_type="HDD", back="workcard.show", reference=""),
    )  # fmt: skip
    assert sent.headers["Location"] == f"/work/{dying}#diagnostics"
    assert ("Z9-CARD", "crushed", "") in stored(sessions, dying)


def test_a_second_submit_of_the_same_form_adds_nothing(client, make_user, sessions, dying):
    make_user("technician", "theo")
    login(client, "theo")
    data = form(client, dying)
    assert client.post(f"/devices/{dying}/destroyed-drives", data=data).status_code == 302
    again = client.post(f"/devices/{dying}/destroyed-drives", data=data, follow_redirects=True)
    assert again.status_code == 200
    text = again.get_data(as_text=True)
    assert f"Drive {DYING['serial']} is already recorded as destroyed on {dying}." in text
    assert "Nothing more was saved." in text
    assert len(stored(sessions, dying)) == 1


@pytest.mark.parametrize(
    ("changes", "invalid", "says"),
    [
        ({"drive": ""}, "destroy-drive", "Choose the drive destroyed"),
        ({"destruction": ""}, "destroy-how", "Say how the drive was destroyed"),
        ({"destruction": "hammered"}, "destroy-how", "Say how the drive was destroyed"),
        ({"replaced": ""}, "destroy-replaced-yes", "Say whether another drive was put in"),
        ({"replaced": "maybe"}, "destroy-replaced-yes", "Say whether another drive was put in"),
        ({"reference": "R" * 300}, "destroy-reference", "at most 200 characters"),
        ({"drive": "typed"}, "destroy-serial", "Give the serial of the drive destroyed."),
        ({"drive": "typed", "drive_serial": "NEW1"}, "destroy-model", "give its model"),
        (
            {"drive": "typed", "drive_serial": "NEW1", "drive_model": "WD", "capacity_gb": "lots"},
            "destroy-capacity",
            "capacity in gigabytes",
        ),
        (
            {"drive": "typed", "drive_serial": "NEW1", "drive_model": "WD", "capacity_gb": "-5"},
            "destroy-capacity",
            "capacity in gigabytes",
        ),
        (
            {
                "drive": "typed",
                "drive_serial": "NEW1",
                "drive_model": "WD",
                "capacity_gb": "1",
                "drive_type": "TAPE",
            },
            "destroy-type",
            "give its type",
        ),  # fmt: skip
        ({"drive_serial": "OTHER"}, "destroy-serial", "keep only one"),
    ],
)
def test_a_refused_form_comes_back_with_the_problem_beside_its_field(
    client, make_user, sessions, dying, changes, invalid, says
):
    make_user("technician", "theo")
    login(client, "theo")
    sent = client.post(f"/devices/{dying}/destroyed-drives", data=form(client, dying, **changes))
    assert sent.status_code == 400
    page = sent.get_data(as_text=True)
    assert "Nothing was saved." in page and says in page
    field = re.search(rf'<(?:input|select)[^>]*id="{invalid}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field
    assert "autofocus" in field
    # What was typed is kept.
    if "reference" not in changes:
        assert 'value="Bin 7, batch 2026-03"' in page
    assert stored(sessions, dying) == []


def test_garbage_never_makes_the_page_fail(client, make_user, sessions, dying):
    make_user("technician", "theo")
    login(client, "theo")
    token = csrf_token(client, f"/devices/{dying}")
    for data in (
        {},
        {"drive": "<script>alert(1)</script>", "destruction": "shredded", "replaced": "no"},
        {"drive": "typed", "drive_serial": "\x00\x01", "capacity_gb": "1e999999",
         "drive_type": "\u202e", "destruction": "shredded", "replaced": "yes"},
        {"drive": "typed", "drive_serial": "X" * 5000, "capacity_gb": "NaN"},
        {"drive": "typed", "drive_serial": "NEW", "drive_model": "WD", "capacity_gb": "Infinity",
         "destruction": "shredded", "replaced": "no"},
        {"back": "https://evil.example/", "drive": "", "replaced": "no"},
    ):  # fmt: skip
        sent = client.post(f"/devices/{dying}/destroyed-drives", data={"csrf_token": token, **data})
        assert sent.status_code == 400, data
        assert "<script>alert(1)</script>" not in sent.get_data(as_text=True)
    assert stored(sessions, dying) == []
    assert (
        client.post("/devices/A0000042X/destroyed-drives", data=form(client, dying)).status_code
        == 404
    )


def test_only_a_role_that_records_diagnostics_sends_it_and_always_with_its_csrf_token(
    client, make_user, sessions, dying
):
    make_user("technician", "theo")
    login(client, "theo")
    without = form(client, dying)
    without.pop("csrf_token")
    assert client.post(f"/devices/{dying}/destroyed-drives", data=without).status_code == 400
    assert stored(sessions, dying) == []

    make_user("warehouse", "wanda")
    other = client.application.test_client()
    login(other, "wanda")
    page = other.get(f"/devices/{dying}").get_data(as_text=True)
    assert "Record a drive destroyed…" not in page
    sent = other.post(f"/devices/{dying}/destroyed-drives", data=form(other, dying))
    assert sent.status_code == 403
    assert stored(sessions, dying) == []


def test_a_device_that_left_takes_no_destruction(client, make_user, sessions, dying):
    make_user("technician", "theo")
    login(client, "theo")
    data = form(client, dying)
    with sessions() as session:
        recycle(
            session, get_device(session, dying), reason="obsolete", weight_kg="2", entered_by=None
        )
        session.commit()
    assert "Record a drive destroyed…" not in client.get(f"/devices/{dying}").get_data(as_text=True)
    sent = client.post(f"/devices/{dying}/destroyed-drives", data=data)
    assert sent.status_code == 409
    assert "its drives cannot be recorded as destroyed" in sent.get_data(as_text=True)
    assert stored(sessions, dying) == []


def test_the_form_and_the_record_read_in_french(client, make_user, sessions, dying):
    make_user("technician", "theo")
    login(client, "theo")
    french = {"Accept-Language": "fr"}
    page = client.get(f"/devices/{dying}", headers=french).get_data(as_text=True)
    for words in ("Enregistrer un support détruit…", "Comment a-t-il été détruit ?", "Broyé"):
        assert words in page.replace("\u00a0", " "), words
    client.post(f"/devices/{dying}/destroyed-drives", data=form(client, dying), headers=french)
    page = client.get(f"/devices/{dying}", headers=french).get_data(as_text=True)
    assert "détruit : écrasé" in page.replace("\u00a0", " ")


# -- the API ------------------------------------------------------------------------------------

API = "/api/v1"


def test_the_api_records_a_destroyed_drive_and_says_what_it_is(client, bearer, sessions):
    with sessions() as session:
        tag = laptop_with_dying_drive(session).asset_tag
        session.commit()
    tech = bearer("technician", "theo")
    url = f"{API}/devices/{tag}/destroyed-drives"
    sent = client.post(
        url,
        json={"drive_serial": DYING["serial"], "destruction": "disintegrated", "replaced": False,
              "destroyed_at": "2026-03-04T11:00:00+01:00"},
        headers=tech,
    )  # fmt: skip
    assert sent.status_code == 201, sent.get_json()
    body = sent.get_json()
    assert {key: body[key] for key in (
        "drive_serial", "drive_model", "capacity_bytes", "method", "nist_category", "destroyed",
        "destruction", "reference", "replaced", "manual", "run", "operator", "ended_at",
    )} == {
        "drive_serial": DYING["serial"], "drive_model": DYING["model"],
        "capacity_bytes": DYING["capacity_bytes"], "method": "DESTROY",
        "nist_category": "Destroy", "destroyed": True, "destruction": "disintegrated",
        "reference": "", "replaced": False, "manual": True, "run": None, "operator": "theo",
        "ended_at": "2026-03-04T10:00:00+00:00",
    }  # fmt: skip
    device = client.get(f"{API}/devices/{tag}", headers=tech).get_json()
    assert [item["destroyed"] for item in device["erasures"]] == [True]
    assert device["events"][-1]["kind"] == "drive_destroyed"

    again = client.post(url, json=A_DESTRUCTION | {"drive_serial": DYING["serial"]}, headers=tech)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    for bad, field in (
        ({"destruction": "hammered"}, "destruction"),
        ({"replaced": "no"}, "replaced"),
        ({"drive_serial": "UNSEEN", "drive_model": None}, "drive_model"),
        ({"capacity_bytes": 0}, "capacity_bytes"),
        ({"destroyed_at": "yesterday"}, "destroyed_at"),
    ):
        refused = client.post(url, json=A_DESTRUCTION | bad, headers=tech)
        assert refused.status_code == 400, bad
        assert refused.get_json()["error"]["field"] == field
    assert client.post(f"{API}/devices/A0000042X/destroyed-drives", json=A_DESTRUCTION,
                       headers=tech).status_code == 404  # fmt: skip
    warehouse = bearer("warehouse", "wanda")
    assert client.post(url, json=A_DESTRUCTION, headers=warehouse).status_code == 403
    assert client.post(url, json=A_DESTRUCTION).status_code == 401
    with sessions() as session:
        recycle(
            session, get_device(session, tag), reason="obsolete", weight_kg="2", entered_by=None
        )
        session.commit()
    left = client.post(url, json=A_DESTRUCTION, headers=tech)
    assert left.status_code == 409 and left.get_json()["error"]["code"] == "illegal_transition"
    with sessions() as session:
        kinds = session.scalars(select(Event.kind).where(Event.kind == "drive_destroyed")).all()
        assert kinds == ["drive_destroyed"]


def test_the_openapi_document_describes_the_endpoint_and_a_destroyed_record(client):
    document = client.get(f"{API}/openapi.json").get_json()
    operation = document["paths"]["/devices/{asset_tag}/destroyed-drives"]["post"]
    assert operation["x-permission"] == "record_diagnostics"
    assert {"201", "400", "401", "403", "404", "409"} <= set(operation["responses"])
    schema = document["components"]["schemas"]["DestroyedDriveRequest"]
    assert schema["required"] == ["drive_serial", "destruction", "replaced"]
    assert schema["properties"]["destruction"]["enum"] == [
        "shredded", "crushed", "drilled", "disintegrated", "incinerated",
    ]  # fmt: skip
    record = document["components"]["schemas"]["ErasureRecord"]["properties"]
    assert "DESTROY" in record["method"]["enum"] and "Destroy" in record["nist_category"]["enum"]
    assert {"destroyed", "destruction", "reference", "replaced"} <= set(record)


def test_a_destruction_after_an_hour_keeps_its_own_time(session):
    device = laptop_with_dying_drive(session)
    when = datetime.now(UTC) - timedelta(hours=1)
    record = destroy(session, device, destroyed_at=when)
    assert record.ended_at == when and record.recorded_at > when
