"""The floor's main pages pass axe-core's WCAG 2.1 A and AA audit, in French and in English."""

from __future__ import annotations

import pytest

from inventory.accounts import User
from inventory.intake import receive_device
from inventory.lots import open_lot
from tests.conftest import PASSWORD
from tests.e2e.axe import violations

pytestmark = pytest.mark.e2e

PAGES = {
    "scan page": "/intake/",
    "work card": "/work/{tag}",
    "board": "/board/",
    "device page": "/devices/{tag}",
    "lots": "/lots/",
}


@pytest.fixture
def laptop(sessions, make_user) -> str:
    """A manager, and a laptop received into a lot; its asset tag."""
    make_user("manager", "maud")
    with sessions() as session:
        lot = open_lot(session, "2024-06-AUDIT", donor="Mairie de Lyon", entered_by=None)
        intake = receive_device(
            session,
            serial_number="5CG-AUDIT-1",
            category="laptop",
            make="HP",
            model="EliteBook 840 G5",
            lot=lot.code,
            weight_kg="1.48",
            entered_by=session.get(User, 1),
        )
        session.commit()
        return intake.device.asset_tag


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_the_floor_pages_break_no_wcag_21_a_or_aa_rule(server, browser, laptop, locale):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/login")
        page.fill("input[name=username]", "maud")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        found = {}
        for name, path in PAGES.items():
            response = page.goto(server + path.format(tag=laptop))
            assert response is not None and response.status == 200, (name, response)
            assert page.locator("html").get_attribute("lang") == locale[:2]
            found[name] = violations(page)
        assert found == {name: [] for name in PAGES}
    finally:
        context.close()


def test_the_audit_reports_what_breaks_a_rule(server, browser):
    """The harness itself: an image without a text alternative is named, so a pass means something."""
    page = browser.new_page()
    try:
        page.goto(server + "/login")
        page.evaluate("document.body.appendChild(document.createElement('img'))")
        found = violations(page)
        assert any(line.startswith("image-alt (critical)") for line in found), found
    finally:
        page.close()
