"""The upload page: a manager sends a spreadsheet, sees what is in it and what is wrong, confirms once."""

from __future__ import annotations

import io
import re
import threading

import pytest
from sqlalchemy import func, select

from inventory.intake import receive_device
from inventory.models import Device, Event
from tests.conftest import csrf_token, login
from tests.import_helpers import csv_bytes, device, xlsx_bytes

PAGE = "/imports/"
TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def devices(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Device)) or 0


def upload(client, data: bytes, filename: str = "gaia.csv", kind: str = "devices", **headers):
    return client.post(
        PAGE,
        data={
            "kind": kind,
            "file": (io.BytesIO(data), filename),
            "csrf_token": csrf_token(client, PAGE),
        },
        content_type="multipart/form-data",
        headers=headers,
    )


def confirm(client, token: str):
    return client.post(
        "/imports/confirm", data={"token": token, "csrf_token": csrf_token(client, PAGE)}
    )


def token_of(response) -> str:
    match = TOKEN.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1)


def test_a_technician_cannot_reach_the_import_page(client, logged_in):
    logged_in("technician")

    assert client.get(PAGE).status_code == 403
    assert client.post("/imports/confirm", data={}).status_code in (400, 403)


@pytest.mark.parametrize("role", ["technician", "warehouse", "hr"])
def test_only_managers_and_admins_import_devices(client, logged_in, sessions, role):
    logged_in(role)

    page = client.get(PAGE)
    response = upload(client, csv_bytes([device("FLOOR1")]))

    assert page.status_code == 403 or 'value="devices"' not in page.get_data(as_text=True)
    assert response.status_code in (400, 403)
    assert devices(sessions) == 0


def test_a_visitor_is_sent_to_log_in(client, make_user):
    make_user("admin")

    response = client.get(PAGE)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_page_offers_the_kinds_with_their_first_line(client, logged_in):
    logged_in("manager")

    html = client.get(PAGE).get_data(as_text=True)

    assert 'type="radio" name="kind" id="kind-devices" value="devices"' in html
    assert "serial_number,category,make,model,weight_kg,lot,received_on" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrf_token"' in html


def test_an_upload_without_the_form_token_is_refused(client, logged_in, sessions):
    logged_in("manager")

    response = client.post(
        PAGE,
        data={"kind": "devices", "file": (io.BytesIO(csv_bytes([device()])), "a.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert devices(sessions) == 0


def test_upload_preview_confirm_then_a_second_confirm_imports_nothing_again(
    client, logged_in, sessions
):
    logged_in("manager")

    preview = upload(
        client, xlsx_bytes([device("WEB1"), device("WEB2", sold_on="", sale_price="")]), "gaia.xlsx"
    )

    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Check of gaia.xlsx" in html
    assert "Rows read: 2." in html
    assert "WEB1" in html and "WEB2" in html
    assert "Sold: 1" in html and "Ready for sale: 1" in html
    assert "Import 2 rows" in html
    assert devices(sessions) == 0
    token = token_of(preview)

    first = confirm(client, token)
    assert first.status_code == 302
    assert devices(sessions) == 2
    assert "Devices imported from gaia.xlsx: 2 rows" in client.get(PAGE).get_data(as_text=True)

    second = confirm(client, token)
    assert second.status_code == 302
    assert "already imported" in client.get(PAGE).get_data(as_text=True)
    assert devices(sessions) == 2
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Event.kind == "import")) == 1


def test_two_confirmations_at_the_same_moment_import_once(app, make_user, sessions):
    make_user("manager", "margot")
    client = app.test_client()
    login(client, "margot")
    token = token_of(upload(client, csv_bytes([device(f"RACE{n}") for n in range(50)])))
    form = {"token": token, "csrf_token": csrf_token(client, PAGE)}
    cookie = client.get_cookie("session")
    statuses = []

    def send() -> None:
        other = app.test_client()
        other.set_cookie("session", cookie.value)
        statuses.append(other.post("/imports/confirm", data=form).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302, 302]
    assert devices(sessions) == 50


def test_bad_rows_are_listed_with_line_column_and_reason_and_nothing_can_be_confirmed(
    client, logged_in, sessions
):
    logged_in("manager")

    response = upload(
        client,
        csv_bytes([device("OK1"), device("BAD1", category="fridge"), device("OK1")], separator=";"),
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing can be imported" in html
    assert "2 lines have problems" in html
    assert re.search(
        r"<th scope=\"row\">3</th><td><code>category</code></td><td>Unknown category", html
    )
    assert re.search(
        r"<th scope=\"row\">4</th><td><code>serial_number</code></td><td>Serial OK1 is already on line 2",
        html,
    )
    assert "/imports/confirm" not in html
    assert devices(sessions) == 0


def test_a_file_that_is_no_spreadsheet_is_explained(client, logged_in):
    logged_in("manager")

    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00", "photo.png")

    assert response.status_code == 422
    assert "not text" in response.get_data(as_text=True) or "UTF-8" in response.get_data(
        as_text=True
    )


def test_a_serial_taken_between_the_check_and_the_confirmation_stops_the_import(
    client, logged_in, sessions
):
    logged_in("manager")
    token = token_of(upload(client, csv_bytes([device("LATE1"), device("LATE2")])))
    with sessions() as session:
        receive_device(
            session, serial_number="LATE2", category="laptop", make="HP", model="X", entered_by=None
        )
        session.commit()

    response = confirm(client, token)

    assert response.status_code == 409
    assert "Serial LATE2 is already known" in response.get_data(as_text=True)
    assert devices(sessions) == 1


def test_another_users_file_cannot_be_confirmed(app, make_user, sessions):
    make_user("manager", "margot")
    make_user("admin", "alex")
    margot, alex = app.test_client(), app.test_client()
    login(margot, "margot")
    login(alex, "alex")
    token = token_of(upload(margot, csv_bytes([device("MINE1")])))

    response = confirm(alex, token)

    assert response.status_code == 302
    assert devices(sessions) == 0
    assert confirm(margot, token).status_code == 302
    assert devices(sessions) == 1


def test_a_made_up_token_imports_nothing(client, logged_in, sessions):
    logged_in("admin")

    for token in ("../../secret_key", "x" * 32, ""):
        assert confirm(client, token).status_code == 302
    assert devices(sessions) == 0


def test_the_page_in_french(client, logged_in):
    logged_in("manager")
    french = {"Accept-Language": "fr"}

    page = client.get(PAGE, headers=french).get_data(as_text=True)
    bad = upload(client, csv_bytes([device("FR1", grade="Z")]), **french).get_data(as_text=True)

    assert "Importer un tableur" in page
    assert "Vérifier le fichier" in page
    assert "Rien ne peut être importé" in bad
    assert "Grade inconnu" in bad
