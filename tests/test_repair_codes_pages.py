"""An administrator keeps the lists of faults and actions: renames, reorders, retires, restores."""

from __future__ import annotations

import html

from sqlalchemy import select

from inventory import repairs
from inventory.accounts import User
from inventory.models import Event
from inventory.repair_models import RepairCode
from tests.conftest import csrf_token, login
from tests.repair_helpers import (
    _repair_lists,  # noqa: F401  (an autouse fixture)
    in_repair,
)


def text(response):
    return html.unescape(response.get_data(as_text=True))


def _code(sessions, kind: str, code: str, category: str = "laptop") -> RepairCode:
    with sessions() as session:
        item = session.scalar(
            select(RepairCode).where(
                RepairCode.kind == kind,
                RepairCode.category == (category if kind == "fault" else ""),
                RepairCode.code == code,
            )
        )
        session.expunge(item)
        return item


def _laptop_faults(sessions) -> list[str]:
    with sessions() as session:
        return [item.code for item in repairs.faults(session, "laptop")]


def test_an_administrator_renames_a_fault_and_every_page_shows_the_new_words(
    app, client, sessions, make_user
):
    make_user("admin", "root")
    make_user("technician", "theo")
    with sessions() as session:
        theo = session.scalar(select(User).where(User.username == "theo"))
        tag = in_repair(session, "PF1CODEPG1", theo).asset_tag
        session.commit()
    hinge = _code(sessions, "fault", "hinge")
    login(client, "root")
    form = text(client.get(f"/repairs/codes/{hinge.id}"))
    assert 'value="Charnière"' in form and 'value="hinges"' in form
    token = csrf_token(client, f"/repairs/codes/{hinge.id}")
    answer = client.post(
        f"/repairs/codes/{hinge.id}",
        data={
            "csrf_token": token,
            "label_en": "Hinge or lid",
            "label_fr": "Charnière ou capot",
            "checks": "hinges screen",
            "scripts": "",
        },
        follow_redirects=True,
    )
    assert "Saved: hinge." in text(answer)
    changed = _code(sessions, "fault", "hinge")
    assert (changed.label_en, changed.label_fr) == ("Hinge or lid", "Charnière ou capot")
    assert changed.checks == ["hinges", "screen"]
    with sessions() as session:
        event = session.scalars(
            select(Event).where(Event.kind == "repair_code_changed").order_by(Event.id.desc())
        ).first()
        assert event.payload["code"] == "hinge" and event.payload["checks"] == ["hinges", "screen"]

    technician = app.test_client()
    login(technician, "theo")
    french = text(technician.get(f"/repairs/{tag}", headers={"Accept-Language": "fr"}))
    assert "Charnière ou capot" in french
    english = text(technician.get(f"/repairs/{tag}", headers={"Accept-Language": "en"}))
    assert "Hinge or lid" in english


def test_a_wrong_edit_is_explained_and_changes_nothing(client, sessions, make_user):
    make_user("admin", "root")
    login(client, "root")
    hinge = _code(sessions, "fault", "hinge")
    token = csrf_token(client, f"/repairs/codes/{hinge.id}")
    for data, message in (
        ({"label_en": "Hinge", "label_fr": "Charnière", "checks": "nope"}, "unknown code 'nope'"),
        ({"label_en": "Hinge", "label_fr": "Charnière", "scripts": "toaster"}, "'toaster'"),
        ({"label_en": "", "label_fr": "Charnière"}, "Give the English label."),
    ):
        answer = client.post(f"/repairs/codes/{hinge.id}", data={"csrf_token": token, **data})
        assert answer.status_code == 200
        assert message in text(answer)
    unchanged = _code(sessions, "fault", "hinge")
    assert (unchanged.label_en, unchanged.checks, unchanged.scripts) == ("Hinge", ["hinges"], [])
    assert client.get("/repairs/codes/999999").status_code == 404


def test_an_action_keeps_no_checks_even_if_some_are_posted(client, sessions, make_user):
    make_user("admin", "root")
    login(client, "root")
    cleaned = _code(sessions, "action", "cleaned")
    page = text(client.get(f"/repairs/codes/{cleaned.id}"))
    assert 'name="checks"' not in page
    token = csrf_token(client, f"/repairs/codes/{cleaned.id}")
    client.post(
        f"/repairs/codes/{cleaned.id}",
        data={
            "csrf_token": token,
            "label_en": "Cleaned inside",
            "label_fr": "Nettoyé",
            "checks": "x",
        },
    )
    after = _code(sessions, "action", "cleaned")
    assert (after.label_en, after.checks) == ("Cleaned inside", [])


def test_faults_move_up_and_down_and_a_double_click_moves_once(client, sessions, make_user):
    make_user("admin", "root")
    login(client, "root")
    before = _laptop_faults(sessions)
    third = _code(sessions, "fault", before[2])
    token = csrf_token(client, "/repairs/codes?category=laptop")
    for _ in range(2):
        # The second post carries the position the page showed before the first moved it.
        answer = client.post(
            f"/repairs/codes/{third.id}/up",
            data={"csrf_token": token, "seen_at": third.position},
            follow_redirects=True,
        )
    assert "The list changed meanwhile" in text(answer)
    after = _laptop_faults(sessions)
    assert after[1] == before[2] and after[2] == before[1] and after[3:] == before[3:]
    last = _code(sessions, "fault", after[-1])
    client.post(
        f"/repairs/codes/{last.id}/down", data={"csrf_token": token, "seen_at": last.position}
    )
    assert _laptop_faults(sessions) == after
    page = text(client.get("/repairs/codes?category=laptop"))
    assert f"Move {after[0]} up" not in page and f"Move {after[0]} down" in page
    assert f"Move {after[-1]} down" not in page
    assert (
        client.post(f"/repairs/codes/{third.id}/down", data={"csrf_token": token}).status_code
        == 400
    )
    assert client.post(
        f"/repairs/codes/{third.id}/sideways", data={"csrf_token": token}
    ).status_code in (404, 405)


def test_a_retired_fault_can_be_offered_again(app, client, sessions, make_user):
    make_user("admin", "root")
    make_user("technician", "theo")
    with sessions() as session:
        theo = session.scalar(select(User).where(User.username == "theo"))
        tag = in_repair(session, "PF1CODEPG2", theo).asset_tag
        session.commit()
    login(client, "root")
    webcam = _code(sessions, "fault", "webcam")
    token = csrf_token(client, "/repairs/codes?category=laptop")
    client.post(f"/repairs/codes/{webcam.id}/retire", data={"csrf_token": token})
    assert "webcam" not in _laptop_faults(sessions)
    technician = app.test_client()
    login(technician, "theo")
    assert 'value="webcam"' not in text(technician.get(f"/repairs/{tag}"))
    page = text(client.get("/repairs/codes?category=laptop"))
    assert "Offer webcam again" in page
    for _ in range(2):  # a double click offers it once
        answer = client.post(
            f"/repairs/codes/{webcam.id}/restore", data={"csrf_token": token}, follow_redirects=True
        )
        assert "Offered again: webcam." in text(answer)
    assert "webcam" in _laptop_faults(sessions)
    assert 'value="webcam"' in text(technician.get(f"/repairs/{tag}"))
    with sessions() as session:
        kinds = list(
            session.scalars(
                select(Event.kind).where(Event.kind.like("repair_code_%")).order_by(Event.id)
            )
        )
        assert kinds == ["repair_code_retired", "repair_code_restored"]


def test_only_an_administrator_changes_the_lists(app, client, sessions, make_user):
    make_user("admin", "root")
    make_user("manager", "marie")
    hinge = _code(sessions, "fault", "hinge")
    login(client, "marie")
    token = csrf_token(client, "/")
    for path, data in (
        (f"/repairs/codes/{hinge.id}", {"label_en": "x", "label_fr": "x"}),
        (f"/repairs/codes/{hinge.id}/up", {"seen_at": hinge.position}),
        (f"/repairs/codes/{hinge.id}/restore", {}),
        (f"/repairs/codes/{hinge.id}/retire", {}),
    ):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403
    assert client.get(f"/repairs/codes/{hinge.id}").status_code == 403
    admin = app.test_client()
    login(admin, "root")
    # Without its CSRF token a change is refused.
    answer = admin.post(f"/repairs/codes/{hinge.id}", data={"label_en": "x", "label_fr": "x"})
    assert answer.status_code == 400
    assert _code(sessions, "fault", "hinge").label_en == "Hinge"
