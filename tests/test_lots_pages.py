"""Lots: a collection arrives, the warehouse opens its lot, and the list says where its devices are."""

from __future__ import annotations

import re

from sqlalchemy import event, func, select

from inventory.intake import receive_device
from inventory.lots import open_lot
from inventory.models import Event, Lot
from inventory.stages import move_to_stage
from tests.conftest import csrf_token


def open_lot_page(client, **fields):
    token = csrf_token(client, "/lots/new")
    data = {"code": "", "donor": "", "received_on": "", "reference": "", "note": ""}
    data.update(fields, csrf_token=token)
    return client.post("/lots/new", data=data)


def row_of(page: str, code: str) -> str:
    """The text of the lot's row in the list, tags removed."""
    match = re.search(
        rf"<tr>\s*<th scope=\"row\"><a [^>]*>{re.escape(code)}</a>.*?</tr>", page, re.S
    )
    assert match, f"no row for {code}"
    text = re.sub(r"<[^>]+>", " ", match.group(0)).replace("&nbsp;", " ")
    return re.sub(r"\s+", " ", text).strip()


def test_opening_a_lot_records_the_donor_and_lists_it(client, logged_in, sessions):
    warehouse = logged_in("warehouse", "wanda")
    page = client.get("/lots/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*autofocus[^>]*name="code"|name="code"[^>]*autofocus', page)
    response = open_lot_page(
        client,
        code="2024-06-BANK",
        donor="Crédit Coopératif",
        received_on="2024-06-03",
        reference="PO-77",
        note="Two pallets",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/lots/")
    page = client.get("/lots/").get_data(as_text=True)
    assert "Lot 2024-06-BANK is open." in page
    assert row_of(page, "2024-06-BANK").startswith("2024-06-BANK PO-77 Crédit Coopératif")
    with sessions() as session:
        lot = session.scalar(select(Lot))
        assert (lot.code, lot.donor, str(lot.received_on), lot.reference, lot.note) == (
            "2024-06-BANK",
            "Crédit Coopératif",
            "2024-06-03",
            "PO-77",
            "Two pallets",
        )
        opened = session.scalar(select(Event).where(Event.kind == "lot_opened"))
        assert opened.entered_by_id == warehouse.id


def test_the_list_counts_each_lots_devices_by_stage(client, logged_in, sessions):
    logged_in("manager", "maud")
    with sessions() as session:
        open_lot(session, "L-SCHOOL", donor="Lycée Jean Moulin", entered_by=None)
        open_lot(session, "L-EMPTY", donor="Nobody yet", entered_by=None)
        devices = [
            receive_device(
                session,
                serial_number=f"SCH-{n}",
                category="desktop",
                make="HP",
                model="EliteDesk 800",
                lot="L-SCHOOL",
                entered_by=None,
            ).device
            for n in range(5)
        ]
        move_to_stage(session, devices[0], "triage", entered_by=None)
        move_to_stage(session, devices[1], "triage", entered_by=None)
        move_to_stage(session, devices[2], "recycled", entered_by=None)
        session.commit()
    page = client.get("/lots/").get_data(as_text=True)
    assert row_of(page, "L-SCHOOL").endswith(
        "Lycée Jean Moulin 5 Received 2 · Triage 2 · Recycled 1 Receive into L-SCHOOL"
    )
    assert row_of(page, "L-EMPTY").endswith("Nobody yet 0 Receive into L-EMPTY")


def test_the_list_asks_the_database_the_same_questions_for_five_devices_or_fifty(
    app, client, logged_in, sessions
):
    logged_in("warehouse", "wanda")
    engine = app.extensions["workshop.engine"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def questions_asked() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/lots/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    def receive(first: int, last: int) -> None:
        with sessions() as session:
            for n in range(first, last):
                receive_device(
                    session,
                    serial_number=f"N-{n}",
                    category="phone",
                    make="Samsung",
                    model="A52",
                    lot=f"L-{n % 3}",
                    entered_by=None,
                )
            session.commit()

    with sessions() as session:
        for n in range(3):
            open_lot(session, f"L-{n}", entered_by=None)
        session.commit()
    receive(0, 5)
    few = questions_asked()
    receive(5, 50)
    assert questions_asked() == few
    assert "L-1" in client.get("/lots/").get_data(as_text=True)


def test_opening_a_lot_from_intake_goes_back_to_scanning_into_it(client, logged_in):
    logged_in("warehouse", "wanda")
    intake = client.get("/intake/").get_data(as_text=True)
    assert 'href="/lots/new?then=intake"' in intake
    page = client.get("/lots/new?then=intake").get_data(as_text=True)
    assert '<input id="then" name="then" type="hidden" value="intake">' in page
    response = open_lot_page(client, code="L-TRUCK-9", donor="Mairie", then="intake")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/intake/")
    intake = client.get("/intake/").get_data(as_text=True)
    assert re.search(r'<input [^>]*id="lot"[^>]*value="L-TRUCK-9"', intake)
    assert "Lot L-TRUCK-9 is open." in intake


def test_a_lot_code_already_used_is_refused_and_the_form_keeps_what_was_typed(
    client, logged_in, sessions
):
    logged_in("warehouse", "wanda")
    assert open_lot_page(client, code="L-1", donor="First").status_code == 302
    response = open_lot_page(client, code="L-1", donor="Second donor", reference="R-2")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "A lot with the code L-1 already exists." in page
    assert 'value="Second donor"' in page and 'value="R-2"' in page
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lot)) == 1


def test_a_lot_without_a_code_or_with_a_bad_date_says_which_field(client, logged_in, sessions):
    logged_in("warehouse", "wanda")
    response = open_lot_page(client, code="  ", donor="Town hall", received_on="yesterday")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give the lot a code" in page
    assert re.search(
        r'aria-invalid="true"[^>]*name="code"|name="code"[^>]*aria-invalid="true"', page
    )
    assert re.search(
        r'id="received_on"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="received_on"', page
    )
    assert 'value="Town hall"' in page
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lot)) == 0


def test_opening_a_lot_without_its_csrf_token_is_refused(client, logged_in, sessions):
    logged_in("warehouse", "wanda")
    response = client.post("/lots/new", data={"code": "L-X"})
    assert response.status_code == 400
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lot)) == 0


def test_a_technician_does_not_manage_lots(client, logged_in, sessions):
    logged_in("technician", "theo")
    token = csrf_token(client, "/devices/")
    assert client.get("/lots/").status_code == 403
    assert client.get("/lots/new").status_code == 403
    assert client.post("/lots/new", data={"code": "L-T", "csrf_token": token}).status_code == 403
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lot)) == 0


def test_a_lot_code_the_lot_pages_use_is_refused_with_a_way_out(client, logged_in, sessions):
    logged_in("warehouse", "wanda")
    for code in ("new", "NEW", "june.csv"):
        response = open_lot_page(client, code=code, donor="Town hall")
        assert response.status_code == 400, code
        assert "cannot be a lot code: the lot pages use it" in response.get_data(as_text=True)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lot)) == 0
    # Anything else that merely contains those words is a fine code, and its page opens.
    assert open_lot_page(client, code="2024-06-new", donor="Town hall").status_code == 302
    assert client.get("/lots/2024-06-new").status_code == 200


def test_the_list_goes_a_page_at_a_time_and_a_lot_is_found_by_its_code(client, logged_in, sessions):
    logged_in("warehouse", "wanda")
    with sessions() as session:
        for n in range(55):
            open_lot(session, f"L-{n:03d}", donor=f"Donor {n}", entered_by=None)
        receive_device(
            session,
            serial_number="OLD-1",
            category="phone",
            make="Samsung",
            model="A52",
            lot="L-000",
            entered_by=None,
        )
        session.commit()
    first = client.get("/lots/").get_data(as_text=True)
    assert "L-054" in first and "L-005" in first and "L-004" not in first
    assert 'href="/lots/?page=2"' in first and "Newer lots" not in first
    second = client.get("/lots/?page=2").get_data(as_text=True)
    assert "L-004" in second and "L-000" in second and "L-005" not in second
    assert 'href="/lots/?page=1"' in second and "Older lots" not in second
    # The oldest lot, on the second page, still has its device counted.
    assert row_of(second, "L-000").endswith("Donor 0 1 Received 1 Receive into L-000")
    for wrong in ("?page=9", "?page=0", "?page=abc"):
        answer = client.get("/lots/" + wrong, follow_redirects=True)
        assert answer.status_code == 200 and "L-054" in answer.get_data(as_text=True)

    found = client.get("/lots/?code=%20L-000%20")
    assert found.status_code == 302 and found.headers["Location"].endswith("/lots/L-000")
    missing = client.get("/lots/?code=L-999").get_data(as_text=True)
    assert "No lot has the code" in missing and "L-054" in missing
