"""A part taken out of a recycled laptop gets its label and its page, keyboard only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from inventory.accounts import User
from inventory.repair_models import Part
from tests.conftest import PASSWORD
from tests.e2e.axe import violations
from tests.e2e.keyboard import enter, focused, tab_to
from tests.repair_helpers import (
    _repair_lists,  # noqa: F401  (an autouse fixture)
    bought,
    recycled,
)

pytestmark = pytest.mark.e2e


def _login(page, server: str, username: str) -> None:
    page.goto(server + "/login")
    # The login form takes the keyboard once the page has put it on the username.
    assert focused(page) == "username"
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    enter(page)


def test_a_harvested_part_is_labelled_then_found_by_its_scan(server, browser, make_user, sessions):
    make_user("technician", "tom")
    with sessions() as session:
        tom = session.scalar(select(User).where(User.username == "tom"))
        donor = recycled(session, "PF1E2EHAR", tom).asset_tag
        session.commit()
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _login(page, server, "tom")
        page.goto(server + f"/repairs/{donor}/harvest")
        assert focused(page) == "kind"
        tab_to(page, "#reference")
        page.keyboard.type("01AV452")
        enter(page)
        with sessions() as session:
            code = session.scalar(select(Part.code))
        expect(page.locator(".flash-success")).to_contain_text(f"Part {code} taken out of {donor}")
        expect(page.locator("#new-parts")).to_contain_text(code)
        tab_to(page, "#print-new-parts", limit=80)
        with context.expect_page() as opened:
            page.keyboard.press("Enter")
        label = opened.value
        label.wait_for_load_state()
        assert label.url.endswith("/labels/print")
        assert violations(page) == []

        # The label scanned into the search box opens the part's page.
        page.goto(server + "/devices/")
        tab_to(page, "#q")
        page.keyboard.type(code)
        enter(page)
        expect(page.locator("h1")).to_contain_text(code)
        expect(page.locator("#part-source")).to_contain_text(donor)
        tab_to(page, "#print-part", limit=80)
        assert violations(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_the_receive_and_part_pages_break_no_wcag_21_a_or_aa_rule(
    server, browser, make_user, sessions, locale
):
    make_user("warehouse", "wanda")
    with sessions() as session:
        [part] = bought(session, None, kind="ram", reference="DDR4 SO-DIMM")
        code = part.code
        session.commit()
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _login(page, server, "wanda")
        page.goto(server + "/repairs/parts/receive")
        assert focused(page) == "kind"
        assert violations(page) == []
        tab_to(page, "#reference")
        page.keyboard.type("01AV452")
        page.keyboard.press("Tab")
        page.keyboard.press("Control+A")
        page.keyboard.type("2")
        page.keyboard.press("Tab")
        page.keyboard.type("Pièces Pro")
        page.keyboard.press("Tab")
        page.keyboard.type("39.90")
        tab_to(page, "button.primary")
        enter(page)
        expect(page.locator("#new-parts li")).to_have_count(2)
        assert violations(page) == []
        page.goto(server + f"/repairs/parts/{code}")
        expect(page.locator("#part-source")).to_contain_text("Pièces Pro")
        assert violations(page) == []
    finally:
        context.close()
