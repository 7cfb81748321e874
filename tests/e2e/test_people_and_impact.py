"""Human resources record a hire by keyboard alone; the impact page reads well and passes axe."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inventory import staff
from inventory.people import Employment, Person
from tests.conftest import PASSWORD
from tests.e2e.axe import violations
from tests.e2e.keyboard import enter, focused, tab_to
from tests.people_helpers import History, write_histories

pytestmark = pytest.mark.e2e


def _log_in(page, server: str, username: str) -> None:
    page.goto(server + "/login")
    assert focused(page) == "username"
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    enter(page)


def test_a_hire_recorded_with_the_keyboard_alone(server, browser, make_user, sessions):
    make_user("hr", "hana")
    hired_on = ""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _log_in(page, server, "hana")
        page.goto(server + "/people/")
        tab_to(page, "a[href='/people/new']")
        enter(page)
        assert focused(page) == "staff_number"
        page.keyboard.type("E-207")
        page.keyboard.press("Tab")
        page.keyboard.type("Inès Morel")
        enter(page)
        # Straight on to the first period of employment, the hire date focused.
        assert "/employments/new" in page.url
        assert focused(page) == "hired_on"
        # A date field takes the digits in the order the browser's locale writes dates.
        page.keyboard.type("03022025")
        hired_on = page.eval_on_selector("#hired_on", "el => el.value")
        assert hired_on in ("2025-02-03", "2025-03-02")
        tab_to(page, "#contract")
        page.keyboard.type("Contrat d")  # picks "Contrat d'insertion" by its first letters
        tab_to(page, "#fte")
        page.keyboard.type("0.8")
        enter(page)
        assert page.locator("h1").inner_text() == "Inès Morel"
        assert "Contrat d'insertion" in page.content()
        assert violations(page) == []
    finally:
        context.close()
    with sessions() as session:
        person = session.scalar(select(Person).where(Person.staff_number == "E-207"))
        assert person.name == "Inès Morel"
        period = session.scalar(select(Employment).where(Employment.person_id == person.id))
        assert (str(period.hired_on), period.contract, str(period.fte)) == (
            hired_on,
            "insertion",
            "0.800",
        )


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_the_impact_page_shows_two_years_with_charts_and_passes_the_audit(
    server, browser, make_user, sessions, locale
):
    make_user("manager", "maud")
    with sessions() as session:
        write_histories(
            session,
            [
                History("2023-03-01", ready="2023-03-10", sold="2023-04-01"),
                History("2024-05-01", ready="2024-05-10", sold="2024-06-01", channel="donation"),
                History("2024-07-01", recycled="2024-07-02", weight_kg="6.000"),
            ],
        )
        person = staff.add_person(session, staff_number="S1", name="Sam")
        staff.add_employment(session, person, hired_on="2022-01-03", contract="permanent", fte="1")
        session.commit()
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _log_in(page, server, "maud")
        response = page.goto(server + "/impact/?year=2024")
        assert response is not None and response.status == 200
        assert page.locator("svg[role=img]").count() == 4
        row = page.locator("table.impact tbody tr").first
        assert row.locator("td").all_inner_texts() == ["1", "2"]  # received: 2023, 2024
        assert violations(page) == []
        # The year is chosen with the keyboard too.
        page.focus("#year")
        page.keyboard.press("Control+A")
        page.keyboard.type("2023")
        enter(page)
        assert page.url.endswith("year=2023")
        with page.expect_download() as download:
            page.locator("a[href^='/impact/2023.pdf']").focus()
            page.keyboard.press("Enter")
        assert download.value.suggested_filename.startswith("impact-2023")
    finally:
        context.close()
