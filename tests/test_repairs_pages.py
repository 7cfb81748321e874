"""The repair pages: the form on a device in repair, the parts finder, the low-stock list."""

from __future__ import annotations

import html

from sqlalchemy import select

from inventory import checks
from inventory import parts as stock
from inventory.accounts import User
from inventory.repair_models import Part, RepairAction, RepairCode
from tests.conftest import csrf_token, login
from tests.repair_helpers import (
    BATTERY,
    MODEL,
    _repair_lists,  # noqa: F401  (an autouse fixture)
    bought,
    harvested_battery,
    in_repair,
    recycled,
)


def text(response):
    return html.unescape(response.get_data(as_text=True))


def _setup(sessions, make_user):
    """A laptop in repair with a failed hinge check, a harvested battery that fits it."""
    make_user("technician", "theo")
    with sessions() as session:
        who = session.scalar(select(User).where(User.username == "theo"))
        device = in_repair(session, "PF1PAGE1", who)
        checks.answer_checks(session, device, {"hinges": "fail"}, entered_by=who)
        part = harvested_battery(session, "PF1PAGE2", who)
        session.commit()
        return device.asset_tag, part.code


def test_a_technician_records_a_repair_from_the_page(client, sessions, make_user):
    tag, code = _setup(sessions, make_user)
    login(client, "theo")
    card = text(client.get(f"/work/{tag}"))
    assert f"/repairs/{tag}" in card
    page = text(client.get(f"/repairs/{tag}"))
    assert "Hinge (proposed)" in page
    assert code in page and "harvested from" in page
    token = csrf_token(client, f"/repairs/{tag}")
    answer = client.post(
        f"/repairs/{tag}",
        data={
            "csrf_token": token,
            "fault": "dead_battery",
            "action": "replaced",
            "parts": [code],
            "minutes": "20",
            "note": "",
        },
        follow_redirects=True,
    )
    page = text(answer)
    assert "Repair recorded" in page and code in page
    with sessions() as session:
        repair = session.scalar(select(RepairAction))
        assert (repair.fault, repair.minutes) == ("dead_battery", 20)
        assert session.scalar(select(Part.state).where(Part.code == code)) == "used"
    # The same part again: refused, and said so.
    answer = client.post(
        f"/repairs/{tag}",
        data={"csrf_token": token, "fault": "hinge", "action": "replaced", "scanned": code},
        follow_redirects=True,
    )
    assert "not in stock" in text(answer)
    with sessions() as session:
        assert len(session.scalars(select(RepairAction)).all()) == 1


def test_the_repair_page_checks_the_form_csrf_and_role(app, client, sessions, make_user):
    tag, _code = _setup(sessions, make_user)
    login(client, "theo")
    refused = client.post(f"/repairs/{tag}", data={"fault": "hinge", "action": "replaced"})
    assert refused.status_code == 400
    token = csrf_token(client, f"/repairs/{tag}")
    answer = client.post(
        f"/repairs/{tag}",
        data={"csrf_token": token, "fault": "hinge", "action": "replaced", "minutes": "-5"},
        follow_redirects=True,
    )
    assert "Minutes are a whole number" in text(answer)
    assert client.get("/repairs/A0000042X").status_code == 404
    make_user("warehouse", "wanda")
    other = app.test_client()
    login(other, "wanda")
    assert other.get(f"/repairs/{tag}").status_code == 403
    assert other.get("/repairs/low-stock").status_code == 200


def test_the_finder_and_the_low_stock_list(app, client, sessions, make_user):
    make_user("manager", "marie")
    with sessions() as session:
        who = session.scalar(select(User).where(User.username == "marie"))
        [part] = bought(session, who)
        session.commit()
    login(client, "marie")
    page = text(client.get(f"/repairs/parts?fits={MODEL}&kind=battery"))
    assert "1 part in stock fits" in page and part.code in page
    assert "0 parts in stock fit" in text(client.get("/repairs/parts?fits=Unknown+model"))
    low = text(client.get("/repairs/low-stock"))
    assert "RAM module" in low and "Battery" in low
    make_user("technician", "theo")
    other = app.test_client()
    login(other, "theo")
    assert other.get("/repairs/low-stock").status_code == 403
    french = text(other.get("/repairs/parts", headers={"Accept-Language": "fr"}))
    assert "Trouver une pièce" in french


def test_an_administrator_keeps_the_lists_of_faults_and_actions(app, client, sessions, make_user):
    make_user("admin", "root")
    login(client, "root")
    page = text(client.get("/repairs/codes?category=laptop"))
    assert "dead_battery" in page and "Batterie morte" in page
    token = csrf_token(client, "/repairs/codes?category=laptop")
    answer = client.post(
        "/repairs/codes?category=laptop&kind=fault",
        data={
            "csrf_token": token,
            "code": "bios_password",
            "label_en": "BIOS password set",
            "label_fr": "Mot de passe BIOS",
            "checks": "keyboard",
            "scripts": "",
        },
        follow_redirects=True,
    )
    assert "Added: bios_password." in text(answer)
    answer = client.post(
        "/repairs/codes?category=laptop&kind=fault",
        data={
            "csrf_token": token,
            "code": "x1",
            "label_en": "X",
            "label_fr": "X",
            "checks": "nope",
        },
        follow_redirects=True,
    )
    assert "unknown code 'nope'" in text(answer)
    with sessions() as session:
        added = session.scalar(select(RepairCode).where(RepairCode.code == "bios_password"))
        assert added.checks == ["keyboard"]
        code_id = added.id
    answer = client.post(f"/repairs/codes/{code_id}/retire", data={"csrf_token": token})
    assert answer.status_code == 302
    with sessions() as session:
        assert session.get(RepairCode, code_id).active is False
    assert client.post(f"/repairs/codes/{code_id}/retire").status_code == 400
    make_user("manager", "marie")
    other = app.test_client()
    login(other, "marie")
    assert other.get("/repairs/codes").status_code == 403


def test_parts_are_harvested_from_a_recycled_device_on_its_page(client, sessions, make_user):
    make_user("technician", "theo")
    with sessions() as session:
        who = session.scalar(select(User).where(User.username == "theo"))
        donor = recycled(session, "PF1HPAGE1", who).asset_tag
        working = in_repair(session, "PF1HPAGE2", who).asset_tag
        session.commit()
    login(client, "theo")
    assert f"/repairs/{donor}/harvest" in text(client.get(f"/work/{donor}"))
    page = text(client.get(f"/repairs/{donor}/harvest"))
    assert f'value="{MODEL}"' in page
    token = csrf_token(client, f"/repairs/{donor}/harvest")
    part = {"csrf_token": token, "kind": "battery", "reference": BATTERY, "fits": MODEL}
    answer = text(client.post(f"/repairs/{donor}/harvest", data=part, follow_redirects=True))
    assert "taken out of" in answer and "in stock" in answer
    refused = text(client.post(f"/repairs/{working}/harvest", data=part, follow_redirects=True))
    assert "only from a recycled device" in refused
    with sessions() as session:
        [taken] = session.scalars(select(Part)).all()
        assert (taken.source, taken.donor.asset_tag) == ("harvested", donor)
        assert [p.code for p in stock.parts_that_fit(session, MODEL)] == [taken.code]
