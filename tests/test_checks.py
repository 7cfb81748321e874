"""Manual checks: the checklists an administrator keeps, the answers, and their gate on `ready`."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from inventory import checks
from inventory.db import make_sessionmaker
from inventory.devices import get_device
from inventory.errors import GateUnmet, IllegalTransition, InvalidInput
from inventory.intake import receive_device
from inventory.models import CheckAnswer, CheckItem, Event
from inventory.stages import move_to_stage, set_grade
from tests.conftest import csrf_token, login, pass_diagnostics
from tests.test_api_openapi import DocumentedClient
from tests.test_concurrency import race
from tests.test_migrations import empty_engine  # noqa: F401  (a fixture)
from workshop.migrate import upgrade

API = "/api/v1"
LAPTOP_CHECKS = [code for code, _en, _fr in checks.DEFAULT_CHECKLISTS["laptop"]]
TO_QC = ("triage", "erasure", "diagnostics", "qc")


@pytest.fixture(autouse=True)
def _default_checklists(sessions):
    """The migration seeds the checklists; PostgreSQL tests start from a truncation, so seed again."""
    with sessions() as session:
        checks.seed_default_checklists(session)
        session.commit()


def receive(session, serial="PF1CHK01", category="laptop", user=None):
    return receive_device(
        session,
        serial_number=serial,
        category=category,
        make="Lenovo",
        model="ThinkPad T480",
        entered_by=user,
    ).device


def at_qc(session, serial="PF1CHK01", user=None):
    """A laptop graded, through the benches and in quality control: only its checks keep it
    from `ready`."""
    device = receive(session, serial, user=user)
    for stage in TO_QC:
        move_to_stage(session, device, stage, entered_by=user)
    set_grade(session, device, "A", entered_by=user)
    pass_diagnostics(session, device, operator=user)
    return device


def all_pass(codes=LAPTOP_CHECKS):
    return dict.fromkeys(codes, "pass")


def check_events(session, device):
    return list(
        session.scalars(
            select(Event)
            .where(Event.device_id == device.id, Event.kind == "checks")
            .order_by(Event.id)
        )
    )


# The checklists


def test_the_migration_seeds_a_checklist_for_every_category(empty_engine):  # noqa: F811
    upgrade(empty_engine)
    with make_sessionmaker(empty_engine)() as session:
        items = session.scalars(select(CheckItem).order_by(CheckItem.category, CheckItem.position))
        seeded: dict[str, list[tuple[str, str, str]]] = {}
        for item in items:
            assert item.active
            seeded.setdefault(item.category, []).append((item.code, item.label_en, item.label_fr))
    assert seeded == {category: list(rows) for category, rows in checks.DEFAULT_CHECKLISTS.items()}
    assert set(seeded) == set(checks.CATEGORIES)
    assert [code for code, _en, _fr in seeded["laptop"]] == [
        "screen",
        "keyboard",
        "touchpad",
        "webcam",
        "speakers",
        "microphone",
        "wifi",
        "usb_ports",
        "hinges",
        "charger",
    ]
    assert all(len(rows) >= 3 for rows in seeded.values())


def test_an_administrator_adds_renames_reorders_retires_and_restores_a_check(session, make_user):
    admin = make_user("admin", "root")
    item = checks.add_item(session, "laptop", " Battery ", "Battery", "Batterie", entered_by=admin)
    assert (item.code, item.position, item.active) == ("battery", 11, True)
    assert checks.edit_item(
        session,
        item,
        label_en="Battery health",
        label_fr="Santé batterie",
        position=1,
        entered_by=admin,
    )
    assert not checks.edit_item(
        session,
        item,
        label_en="Battery health",
        label_fr="Santé batterie",
        position=1,
        entered_by=admin,
    )
    assert checks.checklist(session, "laptop")[0].code == "battery"
    assert item.label("fr") == "Santé batterie" and item.label("en") == "Battery health"
    checks.retire_item(session, item, entered_by=admin)
    assert "battery" not in [i.code for i in checks.checklist(session, "laptop")]
    assert "battery" in [i.code for i in checks.checklist(session, "laptop", retired=True)]
    checks.restore_item(session, item, entered_by=admin)
    session.commit()
    kinds = session.scalars(
        select(Event.kind).where(Event.kind.like("check_item_%")).order_by(Event.id)
    ).all()
    assert kinds == [
        "check_item_added",
        "check_item_changed",
        "check_item_retired",
        "check_item_restored",
    ]


@pytest.mark.parametrize(
    ("code", "label_en", "label_fr", "field"),
    [
        ("Bad Code!", "X", "X", "code"),
        ("9lives", "X", "X", "code"),
        ("screen", "Screen again", "Écran", "code"),
        ("battery", "  ", "Batterie", "label_en"),
        ("battery", "Battery", "", "label_fr"),
        ("battery", "B" * 201, "Batterie", "label_en"),
    ],
)
def test_a_check_that_cannot_be_added_names_the_field(session, code, label_en, label_fr, field):
    with pytest.raises(InvalidInput) as refused:
        checks.add_item(session, "laptop", code, label_en, label_fr, entered_by=None)
    assert refused.value.details["field"] == field


def test_a_retired_code_is_restored_not_added_again(session):
    item = checks.checklist(session, "laptop")[0]
    checks.retire_item(session, item, entered_by=None)
    with pytest.raises(InvalidInput, match="restore it"):
        checks.add_item(session, "laptop", item.code, "Screen", "Écran", entered_by=None)


# Answers and the gate on `ready`


def test_ready_waits_for_every_check_answered_with_no_fail(session, make_user):
    theo = make_user("technician", "theo")
    device = at_qc(session, user=theo)

    with pytest.raises(GateUnmet) as refused:
        move_to_stage(session, device, "ready", entered_by=theo)
    assert refused.value.details["missing"] == [
        "answers to the checks (" + ", ".join(LAPTOP_CHECKS) + ")"
    ]
    assert "screen, keyboard" in refused.value.message

    answers = all_pass(LAPTOP_CHECKS[:8]) | {"hinges": "fail"}
    checks.answer_checks(
        session, device, answers, {"hinges": " Left hinge loose "}, entered_by=theo
    )
    with pytest.raises(GateUnmet) as refused:
        move_to_stage(session, device, "ready", entered_by=theo)
    assert refused.value.details["missing"] == [
        "answers to the checks (charger)",
        "a pass on the failed checks (hinges)",
    ]

    # Repaired: the hinge passes now, the charger was not supplied.
    checks.answer_checks(session, device, {"hinges": "pass", "charger": "na"}, entered_by=theo)
    move_to_stage(session, device, "ready", entered_by=theo)
    session.commit()
    assert device.stage == "ready"

    events = check_events(session, device)
    assert len(events) == 2
    assert events[0].payload["results"] == answers
    assert events[0].payload["notes"] == {"hinges": "Left hinge loose"}
    assert events[0].payload["cycle"] == 1
    assert events[1].payload["results"] == {"hinges": "pass", "charger": "na"}
    now = checks.device_checks(session, device)
    assert now.complete and now.unanswered == [] and now.failed == []
    hinges = next(line for line in now.lines if line.item.code == "hinges")
    assert (hinges.result, hinges.note, hinges.answer.event_id) == ("pass", "", events[1].id)
    assert hinges.answer.answered_by.username == "theo"


def test_answering_records_who_did_the_work_and_who_typed_it(session, make_user):
    theo, marie = make_user("technician", "theo"), make_user("manager", "marie")
    device = receive(session)
    event = checks.answer_checks(
        session, device, {"screen": "pass"}, entered_by=marie, performed_by=theo
    )
    session.commit()
    assert (event.entered_by.username, event.performed_by.username) == ("marie", "theo")
    answer = session.scalar(select(CheckAnswer).where(CheckAnswer.device_id == device.id))
    assert answer.answered_by.username == "theo"
    assert answer.answered_at == event.occurred_at


@pytest.mark.parametrize(
    ("results", "notes", "field"),
    [
        ({}, None, "results"),
        ({"screen": "ok"}, None, "results.screen"),
        ({"floppy_drive": "pass"}, None, "results.floppy_drive"),
        ({"screen": "pass"}, {"webcam": "cracked"}, "notes.webcam"),
        ({"screen": "pass"}, {"screen": "x" * 2001}, "notes.screen"),
        ({"screen": "pass"}, {"screen": 3}, "notes.screen"),
    ],
)
def test_an_answer_that_cannot_be_used_names_the_field_and_records_nothing(
    session, results, notes, field
):
    device = receive(session)
    with pytest.raises(InvalidInput) as refused:
        checks.answer_checks(session, device, results, notes, entered_by=None)
    assert refused.value.details["field"] == field
    assert check_events(session, device) == []


def test_a_retired_check_is_no_longer_asked_and_its_old_answers_stay(session):
    device = at_qc(session)
    checks.answer_checks(session, device, all_pass(LAPTOP_CHECKS[:-1]), entered_by=None)
    checks.answer_checks(session, device, {"webcam": "fail"}, entered_by=None)
    charger, webcam = (
        next(i for i in checks.checklist(session, "laptop") if i.code == code)
        for code in ("charger", "webcam")
    )
    # Chargers are no longer tested, and this model has no webcam to speak of.
    checks.retire_item(session, charger, entered_by=None)
    checks.retire_item(session, webcam, entered_by=None)
    with pytest.raises(InvalidInput, match="retired") as refused:
        checks.answer_checks(session, device, {"webcam": "pass"}, entered_by=None)
    assert refused.value.details["field"] == "results.webcam"
    now = checks.device_checks(session, device)
    assert now.complete
    retired = [(line.item.code, line.result) for line in now.lines if not line.item.active]
    assert retired == [("webcam", "fail")]
    move_to_stage(session, device, "ready", entered_by=None)
    assert device.stage == "ready"


def test_a_device_back_for_a_new_cycle_is_checked_again(session):
    device = at_qc(session)
    checks.answer_checks(session, device, all_pass(), entered_by=None)
    move_to_stage(session, device, "ready", entered_by=None)
    move_to_stage(session, device, "sold", entered_by=None)
    with pytest.raises(IllegalTransition):
        checks.answer_checks(session, device, {"screen": "fail"}, entered_by=None)
    session.commit()

    again = receive(session)  # the same serial, scanned at intake a year later
    assert again.id == device.id and again.cycle == 2
    now = checks.device_checks(session, again)
    assert now.unanswered == LAPTOP_CHECKS and now.answered == []
    for stage in TO_QC:
        move_to_stage(session, again, stage, entered_by=None)
    set_grade(session, again, "B", entered_by=None)
    with pytest.raises(GateUnmet, match="answers to the checks"):
        move_to_stage(session, again, "ready", entered_by=None)
    checks.answer_checks(session, again, all_pass(), entered_by=None)
    # The benches' runs of the first cycle do not count for the second.
    with pytest.raises(GateUnmet, match="a passing battery run"):
        move_to_stage(session, again, "ready", entered_by=None)
    pass_diagnostics(session, again)
    move_to_stage(session, again, "ready", entered_by=None)
    session.commit()
    cycles = session.scalars(
        select(CheckAnswer.cycle).where(CheckAnswer.device_id == device.id).distinct()
    ).all()
    assert sorted(cycles) == [1, 2]


def test_every_category_is_held_back_by_its_own_list(session):
    monitor = receive(session, "CN0MON1", category="monitor")
    for stage in TO_QC:
        move_to_stage(session, monitor, stage, entered_by=None)
    set_grade(session, monitor, "B", entered_by=None)
    with pytest.raises(
        GateUnmet, match=r"\(panel, backlight, inputs, buttons, stand, power_cable\)"
    ):
        move_to_stage(session, monitor, "ready", entered_by=None)
    with pytest.raises(InvalidInput):
        checks.answer_checks(session, monitor, {"keyboard": "pass"}, entered_by=None)


@pytest.mark.parametrize("round_", range(3))
def test_answers_given_at_the_same_moment_are_all_kept(sessions, make_user, round_):
    make_user("technician", "theo")
    with sessions() as session:
        tag = receive(session, f"PF1RACE{round_}").asset_tag
        session.commit()
    # Eight terminals answer the same laptop at once: each its own check, plus the screen.
    codes = LAPTOP_CHECKS[1:9]

    def answer(session, number):
        device = get_device(session, tag)
        result = "fail" if number % 2 else "pass"
        return checks.answer_checks(
            session, device, {codes[number]: "pass", "screen": result}, entered_by=None
        ).id

    outcomes = race(sessions, answer)
    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    with sessions() as session:
        device = get_device(session, tag)
        events = check_events(session, device)
        assert sorted(event.id for event in events) == sorted(outcomes)
        answers = {
            answer.item.code: answer
            for answer in session.scalars(
                select(CheckAnswer).where(CheckAnswer.device_id == device.id)
            )
        }
        assert set(answers) == {"screen", *codes}
        # The latest event's word on the screen is the one that counts.
        assert answers["screen"].event_id == events[-1].id
        assert answers["screen"].result == events[-1].payload["results"]["screen"]
        for code in codes:
            given = next(event for event in events if code in event.payload["results"])
            assert answers[code].event_id == given.id


def test_answering_counts_as_a_change_of_the_device(session):
    device = receive(session)
    before = device.version
    checks.answer_checks(session, device, {"screen": "fail"}, entered_by=None)
    # A move to `ready` decided on the answers as they were is refused as a conflict.
    assert device.version == before + 1


# The pages


def post_answers(client, tag, data, page=None):
    token = csrf_token(client, page or f"/devices/{tag}/checks")
    return client.post(f"/devices/{tag}/checks", data={"csrf_token": token, **data})


def laptop_at_qc(sessions, serial="PF1WEB01"):
    with sessions() as session:
        tag = at_qc(session, serial).asset_tag
        session.commit()
    return tag


def test_an_administrator_keeps_the_checklists_on_their_pages(client, make_user, sessions):
    make_user("admin", "root")
    login(client, "root")
    index = client.get("/checklists/").get_data(as_text=True)
    assert 'href="/checklists/laptop"' in index and 'href="/checklists/other"' in index
    assert 'href="/checklists/">Checklists</a>' in index  # the administrator's menu
    page = client.get("/checklists/laptop")
    assert page.status_code == 200
    assert "Touchpad" in page.get_data(as_text=True)

    token = csrf_token(client, "/checklists/laptop")
    added = client.post(
        "/checklists/laptop",
        data={
            "new-csrf_token": token,
            "new-code": "battery",
            "new-label_en": "Battery",
            "new-label_fr": "Batterie",
            "new-position": "",
        },
    )
    assert added.status_code == 302
    page = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "Battery" in page and "The check Battery was added" in page

    refused = client.post(
        "/checklists/laptop",
        data={
            "new-csrf_token": token,
            "new-code": "battery",
            "new-label_en": "Battery",
            "new-label_fr": "Batterie",
        },
    )
    assert refused.status_code == 400
    assert "already has a check with the code battery" in refused.get_data(as_text=True)
    missing_french = client.post(
        "/checklists/laptop",
        data={"new-csrf_token": token, "new-code": "dock", "new-label_en": "Dock"},
    )
    assert missing_french.status_code == 400
    assert "Type the French label of the check." in missing_french.get_data(as_text=True)

    with sessions() as session:
        battery = session.scalar(
            select(CheckItem).where(CheckItem.category == "laptop", CheckItem.code == "battery")
        )
    prefix = f"item{battery.id}-"
    edited = client.post(
        f"/checklists/laptop/{battery.id}",
        data={
            prefix + "csrf_token": token,
            prefix + "label_en": "Battery health",
            prefix + "label_fr": "Santé de la batterie",
            prefix + "position": "2",
        },
    )
    assert edited.status_code == 302
    bad_position = client.post(
        f"/checklists/laptop/{battery.id}",
        data={
            prefix + "csrf_token": token,
            prefix + "label_en": "Battery health",
            prefix + "label_fr": "Santé de la batterie",
            prefix + "position": "zero",
        },
    )
    assert bad_position.status_code == 400
    retired = client.post(f"/checklists/laptop/{battery.id}/retire", data={"csrf_token": token})
    assert retired.status_code == 302
    with sessions() as session:
        battery = session.get(CheckItem, battery.id)
        assert (battery.label_fr, battery.position, battery.active) == (
            "Santé de la batterie",
            2,
            False,
        )
    client.post(f"/checklists/laptop/{battery.id}/restore", data={"csrf_token": token})
    with sessions() as session:
        assert session.get(CheckItem, battery.id).active
    assert client.get("/checklists/attic").status_code == 404
    assert (
        client.post(
            f"/checklists/monitor/{battery.id}/retire", data={"csrf_token": token}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", ["technician", "manager", "warehouse", "hr"])
def test_only_an_administrator_may_edit_the_checklists(client, make_user, sessions, role):
    make_user(role, "someone")
    login(client, "someone")
    with sessions() as session:
        screen = checks.checklist(session, "laptop")[0]
    token = csrf_token(client, "/")
    assert client.get("/checklists/").status_code == 403
    assert client.get("/checklists/laptop").status_code == 403
    assert (
        client.post(
            "/checklists/laptop",
            data={
                "new-csrf_token": token,
                "new-code": "x",
                "new-label_en": "X",
                "new-label_fr": "X",
            },
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/checklists/laptop/{screen.id}/retire", data={"csrf_token": token}
        ).status_code
        == 403
    )
    with sessions() as session:
        assert session.get(CheckItem, screen.id).active
        assert len(checks.checklist(session, "laptop")) == len(LAPTOP_CHECKS)


def test_a_technician_answers_the_checks_by_keyboard_and_the_device_page_shows_them(
    client, make_user, sessions
):
    make_user("technician", "theo")
    tag = laptop_at_qc(sessions)
    login(client, "theo")
    page = client.get(f"/devices/{tag}/checks").get_data(as_text=True)
    # One labelled group of radio buttons and one labelled note per check.
    assert page.count('type="radio"') == 3 * len(LAPTOP_CHECKS)
    assert "<legend>Hinges" in page
    assert '<label for="check-hinges-note">' in page
    assert 'action="/devices/' + tag + '/checks"' in page

    answers = {f"result-{code}": "pass" for code in LAPTOP_CHECKS[:-1]}
    saved = post_answers(
        client,
        tag,
        answers | {"result-hinges": "fail", "note-hinges": "Left hinge loose", "next": "/queue/"},
    )
    assert saved.status_code == 302 and saved.headers["Location"] == "/queue/"
    shown = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert 'id="checks"' in shown
    assert "Left hinge loose" in shown
    assert "Still to answer: Charger." in shown and "Failed: Hinges." in shown
    assert "answers to the checks (Charger)" in shown  # what the move to ready still needs

    # The same form sent again changes nothing; only what changed is a new answer.
    again = post_answers(
        client, tag, answers | {"result-hinges": "fail", "note-hinges": "Left hinge loose"}
    )
    assert again.headers["Location"].endswith(f"/devices/{tag}#checks")
    with sessions() as session:
        assert len(check_events(session, get_device(session, tag))) == 1
    post_answers(client, tag, answers | {"result-hinges": "pass", "result-charger": "na"})
    with sessions() as session:
        device = get_device(session, tag)
        events = check_events(session, device)
        assert [event.payload["results"] for event in events[1:]] == [
            {"hinges": "pass", "charger": "na"}
        ]
        assert checks.device_checks(session, device).complete

    moved = client.post(
        f"/devices/{tag}/move",
        data={
            "csrf_token": csrf_token(client, f"/devices/{tag}"),
            "to": "ready",
            "expected_stage": "qc",
        },
    )
    assert moved.status_code == 302
    with sessions() as session:
        assert get_device(session, tag).stage == "ready"


def test_the_answer_form_refuses_what_it_cannot_save(client, make_user, sessions):
    make_user("technician", "theo")
    tag = laptop_at_qc(sessions)
    login(client, "theo")
    nothing = post_answers(client, tag, {})
    page = client.get(nothing.headers["Location"]).get_data(as_text=True)
    assert "Choose pass, fail or not applicable for at least one check." in page
    lonely = post_answers(client, tag, {"note-webcam": "No webcam on this model"})
    page = client.get(lonely.headers["Location"]).get_data(as_text=True)
    assert "A note goes with an answer" in page and "Webcam" in page
    tampered = post_answers(client, tag, {"result-screen": "maybe"})
    assert tampered.status_code == 302
    no_csrf = client.post(f"/devices/{tag}/checks", data={"result-screen": "pass"})
    assert no_csrf.status_code in (302, 400)
    elsewhere = post_answers(client, tag, {"result-screen": "pass", "next": "//evil.example/"})
    assert elsewhere.headers["Location"].endswith(f"/devices/{tag}#checks")
    assert client.get("/devices/A0000042X/checks").status_code == 404
    with sessions() as session:
        events = check_events(session, get_device(session, tag))
        assert [event.payload["results"] for event in events] == [{"screen": "pass"}]


@pytest.mark.parametrize("role", ["warehouse", "hr"])
def test_only_the_bench_roles_answer_checks(client, make_user, sessions, role):
    make_user(role, "someone")
    tag = laptop_at_qc(sessions)
    login(client, "someone")
    assert client.get(f"/devices/{tag}/checks").status_code == 403
    token = csrf_token(client, "/")
    assert (
        client.post(
            f"/devices/{tag}/checks", data={"csrf_token": token, "result-screen": "pass"}
        ).status_code
        == 403
    )
    if role == "warehouse":
        page = client.get(f"/devices/{tag}").get_data(as_text=True)
        assert 'id="checks"' in page and "Answer the checks" not in page


def test_the_checks_speak_french(client, make_user, sessions):
    make_user("technician", "theo")
    tag = laptop_at_qc(sessions)
    login(client, "theo")
    client.post(
        "/language",
        data={"language": "fr", "next": "/", "csrf_token": csrf_token(client, "/")},
    )
    page = client.get(f"/devices/{tag}/checks").get_data(as_text=True)
    assert "<legend>Charnières" in page and "Pavé tactile" in page


# The API


def test_the_api_answers_checks_and_returns_them_as_they_stand(
    app, client, bearer, sessions, monkeypatch
):
    technician = bearer("technician", "theo")
    tag = laptop_at_qc(sessions)
    document = client.get(f"{API}/openapi.json").get_json()
    call = DocumentedClient(app, client, document)
    url = f"{API}/devices/{tag}/checks"

    body = call(
        "POST",
        url,
        technician,
        json={"results": {"screen": "pass", "hinges": "fail"}, "notes": {"hinges": "Loose"}},
    ).get_json()
    assert body["asset_tag"] == tag and body["cycle"] == 1 and body["complete"] is False
    assert body["failed"] == ["hinges"]
    assert body["unanswered"] == [c for c in LAPTOP_CHECKS if c not in ("screen", "hinges")]
    hinges = next(item for item in body["checks"] if item["item"] == "hinges")
    assert hinges | {"answered_at": None} == {
        "item": "hinges",
        "label_en": "Hinges",
        "label_fr": "Charnières",
        "active": True,
        "result": "fail",
        "note": "Loose",
        "answered_by": "theo",
        "answered_at": None,
    }

    refused = call("POST", f"{API}/devices/{tag}/transitions", technician, json={"to": "ready"})
    assert refused.status_code == 409
    assert "a pass on the failed checks (hinges)" in refused.get_json()["error"]["missing"]

    body = call("POST", url, technician, json={"results": all_pass()}).get_json()
    assert body["complete"] is True and body["unanswered"] == body["failed"] == []
    moved = call("POST", f"{API}/devices/{tag}/transitions", technician, json={"to": "ready"})
    assert moved.get_json()["stage"] == "ready"

    for bad, field in [
        ({}, "results"),
        ({"results": {}}, "results"),
        ({"results": []}, "results"),
        ({"results": {"screen": "ok"}}, "results.screen"),
        ({"results": {"screen": True}}, "results.screen"),
        ({"results": {"floppy": "pass"}}, "results.floppy"),
        ({"results": {"x" * 41: "pass"}}, "results." + "x" * 40),
        ({"results": {"screen": "pass"}, "notes": {"webcam": "x"}}, "notes.webcam"),
        ({"results": {"screen": "pass"}, "notes": {"screen": 1}}, "notes.screen"),
        ({"results": {"screen": "pass"}, "notes": "fine"}, "notes"),
        ({"results": {"screen": "pass"}, "extra": 1}, "extra"),
    ]:
        response = call("POST", url, technician, json=bad)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["field"] == field, bad

    call(
        "POST", f"{API}/devices/A0000042X/checks", technician, json={"results": {"screen": "pass"}}
    )
    call("POST", url, json={"results": {"screen": "pass"}})
    call("POST", url, bearer("warehouse", "wanda"), json={"results": {"screen": "pass"}})
    manager = bearer("manager", "marie")
    call("POST", url, manager, data=b"results=1", content_type="application/x-www-form-urlencoded")
    call("POST", url, manager, data=b"{" + b" " * 70_000 + b"}", content_type="application/json")
    call(
        "POST",
        f"{API}/devices/{tag}/transitions",
        manager,
        json={"to": "recycled", "reason": "obsolete", "weight_kg": 2},
    )
    call("POST", url, bearer("admin", "root"), json={"results": {"screen": "pass"}})

    with sessions() as session:
        assert len(check_events(session, get_device(session, tag))) == 2

    def unreachable(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("could not connect"))

    monkeypatch.setattr("workshop.api.auth.user_for_token", unreachable)
    assert call("POST", url, technician, json={"results": {"screen": "pass"}}).status_code == 503
    path = "/devices/{asset_tag}/checks"
    documented = {status for status in document["paths"][path]["post"]["responses"]}
    seen = {status for seen_path, _method, status in call.seen if seen_path == path}
    assert documented == seen


def test_the_document_declares_the_checks_body(client):
    document = client.get(f"{API}/openapi.json").get_json()
    operation = document["paths"]["/devices/{asset_tag}/checks"]["post"]
    assert operation["x-permission"] == "check_devices"
    schema = document["components"]["schemas"]["ChecksRequest"]
    assert schema["required"] == ["results"]
    assert schema["properties"]["results"]["additionalProperties"]["enum"] == ["pass", "fail", "na"]


def test_the_postgres_truncation_leaves_the_checklists_seeded(sessions):
    # Guard for this file's own fixture: every test starts with the default lists.
    with sessions() as session:
        count = session.scalar(select(func.count()).select_from(CheckItem))
        assert count == sum(len(rows) for rows in checks.DEFAULT_CHECKLISTS.values())


def test_codes_are_plain_words():
    assert all(
        re.fullmatch(checks.CODE, code)
        for rows in checks.DEFAULT_CHECKLISTS.values()
        for code, _e, _f in rows
    )
