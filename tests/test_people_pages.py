"""Staff pages, the impact page and API, and health data that only hr and admin can reach."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from inventory import recognition, staff
from inventory.people import DisabilityRecognition, HealthDataRead, Person
from tests.conftest import csrf_token, login
from tests.people_helpers import History, write_histories

# The recognition's own dates: they must never appear where a manager can look.
SECRET_FROM, SECRET_UNTIL = "2017-03-14", "2031-09-27"


@pytest.fixture
def people(sessions, make_user):
    """One hired worker with a recognition, one without; a device history in 2018."""
    hr = make_user("hr", "hana")
    with sessions() as session:
        hr = session.merge(hr)
        lea = staff.add_person(session, staff_number="E-042", name="Léa Martin")
        staff.add_employment(session, lea, hired_on="2018-03-01", contract="insertion", fte="0.8")
        recognition.add_recognition(
            session, lea, valid_from=SECRET_FROM, valid_until=SECRET_UNTIL, by=hr
        )
        karim = staff.add_person(session, staff_number="E-043", name="Karim Benali")
        staff.add_employment(session, karim, hired_on="2016-05-01", contract="permanent", fte="1")
        write_histories(session, [History("2018-02-01", ready="2018-02-10", sold="2018-03-01")])
        session.commit()
        return {"lea": lea.id, "karim": karim.id}


def test_a_manager_cannot_reach_health_data_by_page_api_or_export(
    client, logged_in, bearer, people, tmp_path
):
    logged_in("manager", "max")
    lea = people["lea"]
    # Pages: the recognition page and the read log are closed; the record does not show them.
    assert client.get(f"/people/{lea}/recognition").status_code == 403
    token = csrf_token(client, f"/people/{lea}")
    refused = client.post(
        f"/people/{lea}/recognition",
        data={"valid_from": "2019-01-01", "csrf_token": token},
    )
    assert refused.status_code == 403
    assert client.get("/people/health-data-reads").status_code == 403
    record = client.get(f"/people/{lea}").get_data(as_text=True)
    assert "Léa Martin" in record
    assert "recognition" not in record.lower()
    listing = client.get("/people/").get_data(as_text=True)
    impact_page = client.get("/impact/?year=2018").get_data(as_text=True)
    for page in (record, listing, impact_page):
        assert SECRET_FROM not in page and SECRET_UNTIL not in page
    # Exports: every format of the report holds totals, never a person or a date of theirs.
    for fmt in ("json", "csv", "xlsx", "pdf"):
        response = client.get(f"/impact/2018.{fmt}?lang=en")
        assert response.status_code == 200, fmt
        body = response.data
        if fmt == "xlsx":
            path = tmp_path / "r.xlsx"
            path.write_bytes(body)
            book = load_workbook(path)
            body = "\n".join(
                str(cell)
                for sheet in book
                for row in sheet.iter_rows(values_only=True)
                for cell in row
            ).encode()
        for secret in (SECRET_FROM, SECRET_UNTIL, "Léa", "E-042"):
            assert secret.encode() not in body, (fmt, secret)
    # API: the report is totals; no endpoint of the API serves recognitions.
    headers = bearer("manager", "max-api")
    report = client.get("/api/v1/reports/impact/2018", headers=headers)
    assert report.status_code == 200
    assert report.get_json()["jobs_created_disabled"] == 1
    assert SECRET_FROM not in report.get_data(as_text=True)
    document = client.get("/api/v1/openapi.json").get_json()
    assert not any("recogni" in path or "health" in path for path in document["paths"])


def test_hr_reads_and_records_recognitions_and_each_read_is_logged(
    client, sessions, people, make_user
):
    login(client, "hana")
    lea = people["lea"]
    page = client.get(f"/people/{lea}/recognition")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "2017" in text and "2031" in text
    token = csrf_token(client, f"/people/{lea}/recognition")
    bad = client.post(
        f"/people/{lea}/recognition",
        data={"valid_from": "2020-05-01", "valid_until": "2020-04-01", "csrf_token": token},
    )
    assert bad.status_code == 400
    assert "before valid_from" in bad.get_data(as_text=True) or "Valid" in bad.get_data(
        as_text=True
    )
    saved = client.post(
        f"/people/{lea}/recognition",
        data={"valid_from": "2032-01-01", "valid_until": "", "csrf_token": token},
    )
    assert saved.status_code == 302
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(DisabilityRecognition)) == 2
        reads = session.scalars(select(HealthDataRead).order_by(HealthDataRead.id)).all()
        assert [(read.person_id, read.purpose) for read in reads][:1] == [(lea, "record")]
        assert all(read.reader.username == "hana" for read in reads)
    log = client.get("/people/health-data-reads").get_data(as_text=True)
    assert "Léa Martin" in log and "hana" in log


def test_a_technician_sees_no_staff_page_and_no_impact(client, logged_in, people):
    logged_in("technician", "tom")
    assert client.get("/people/").status_code == 403
    assert client.get(f"/people/{people['karim']}").status_code == 403
    assert client.get("/impact/").status_code == 403
    assert client.get("/impact/2018.csv").status_code == 403


def test_the_impact_api_for_each_role(client, bearer, people):
    for role in ("manager", "hr", "admin"):
        response = client.get("/api/v1/reports/impact/2018", headers=bearer(role, f"{role}-a"))
        assert response.status_code == 200, role
        data = response.get_json()
        assert data["year"] == 2018 and data["units_sold"] == 1
        assert data["jobs_created"] == 1 and data["jobs_sustained"] == 1
    for role in ("technician", "warehouse"):
        response = client.get("/api/v1/reports/impact/2018", headers=bearer(role, f"{role}-a"))
        assert response.status_code == 403
    headers = bearer("manager", "m2")
    bad = client.get("/api/v1/reports/impact/nineteen", headers=headers)
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "invalid"
    assert client.get("/api/v1/reports/impact/2018?lang=de", headers=headers).status_code == 400
    french = client.get("/api/v1/reports/impact/2018?lang=fr", headers=headers).get_json()
    assert french["labels"]["units_sold"] == "Appareils vendus"
    assert client.get("/api/v1/reports/impact/2018").status_code == 401


def test_adding_a_person_a_period_a_rehire_skills_and_an_insertion(client, logged_in, sessions):
    logged_in("manager", "max")
    token = csrf_token(client, "/people/new")
    missing = client.post(
        "/people/new", data={"staff_number": "", "name": "", "username": "", "csrf_token": token}
    )
    assert missing.status_code == 400
    created = client.post(
        "/people/new",
        data={
            "staff_number": "E-100",
            "name": "Aïcha Diallo",
            "username": "max",
            "csrf_token": token,
        },
    )
    assert created.status_code == 302
    with sessions() as session:
        person = session.scalar(select(Person).where(Person.staff_number == "E-100"))
        person_id = person.id
        assert person.user.username == "max"
    taken = client.post(
        "/people/new",
        data={"staff_number": "E-100", "name": "Someone", "username": "", "csrf_token": token},
    )
    assert taken.status_code == 400
    assert "already taken" in taken.get_data(as_text=True)

    url = f"/people/{person_id}/employments/new"
    first = client.post(
        url,
        data={
            "hired_on": "2019-01-07",
            "left_on": "2020-06-30",
            "contract": "fixed_term",
            "fte": "1",
            "csrf_token": token,
        },
    )
    assert first.status_code == 302
    overlapping = client.post(
        url,
        data={"hired_on": "2020-06-01", "contract": "permanent", "fte": "1", "csrf_token": token},
    )
    assert overlapping.status_code == 400
    assert "overlaps" in overlapping.get_data(as_text=True)
    too_much = client.post(
        url,
        data={"hired_on": "2021-01-04", "contract": "permanent", "fte": "1.5", "csrf_token": token},
    )
    assert too_much.status_code == 400
    rehire = client.post(
        url,
        data={"hired_on": "2021-01-04", "contract": "permanent", "fte": "0.8", "csrf_token": token},
    )
    assert rehire.status_code == 302
    skills = client.post(
        f"/people/{person_id}/skills",
        data={"skill-erasure": "trainer", "skill-repair": "learning", "csrf_token": token},
    )
    assert skills.status_code == 302
    backwards = client.post(
        f"/people/{person_id}/insertion/new",
        data={
            "entered_on": "2019-01-07",
            "exited_on": "2018-06-30",
            "exit_outcome": "",
            "csrf_token": token,
        },
    )
    # The refusal sits under the exit date, the field to correct.
    assert backwards.status_code == 400
    assert re.search(
        r'id="exited_on-errors"><li>The insertion exit \(2018-06-30\) is before',
        backwards.get_data(as_text=True),
    )
    insertion = client.post(
        f"/people/{person_id}/insertion/new",
        data={
            "entered_on": "2019-01-07",
            "exited_on": "2020-06-30",
            "exit_outcome": "durable_employment",
            "csrf_token": token,
        },
    )
    assert insertion.status_code == 302
    page = client.get(f"/people/{person_id}").get_data(as_text=True)
    assert "Aïcha Diallo" in page
    assert page.count("Change the period from") == 2
    assert re.search(r'<option value="trainer" selected>', page)
    assert "Durable employment" in page
    listing = client.get("/people/").get_data(as_text=True)
    assert "Permanent" in listing


def test_the_impact_page_compares_two_years_and_downloads_in_french(client, logged_in, people):
    logged_in("manager", "max")
    page = client.get("/impact/?year=2019")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2018" in html and "2019" in html
    assert html.count("<svg") == 4
    assert "Publish the figures of 2018" in html
    csv_file = client.get("/impact/2018.csv?lang=fr")
    rows = list(csv.reader(io.StringIO(csv_file.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][:3] == ["units_received", "Appareils reçus", "1"]
    assert client.get("/impact/2018.docx").status_code == 404
    assert client.get("/impact/2018.csv?lang=de").status_code == 400
    data = json.loads(client.get("/impact/2018.json").data)
    assert data["status"] == "computed"

    token = csrf_token(client, "/impact/?year=2019")
    assert client.post("/impact/2018/publish", data={"csrf_token": token}).status_code == 302
    published = client.get("/impact/?year=2019").get_data(as_text=True)
    assert "Published on" in published
    assert "same figures from the same events" in published
    assert client.post("/impact/2018/publish", data={}).status_code == 400  # no CSRF token
