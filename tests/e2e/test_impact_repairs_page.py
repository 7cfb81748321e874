"""The repairs section of the impact page reads well in French and English and passes axe."""

from __future__ import annotations

import pytest

from inventory import parts as stock
from inventory import repairs
from tests.e2e.axe import violations
from tests.e2e.test_people_and_impact import _log_in
from tests.repair_helpers import a_year_of_repairs

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("locale", "caption", "battery"),
    [
        ("fr-FR", "Pannes les plus fréquentes, 2025 par rapport à 2024", "Batterie morte"),
        ("en-GB", "Most frequent faults, 2025 against 2024", "Dead battery"),
    ],
)
def test_the_repairs_section_has_captioned_tables_and_passes_the_audit(
    server, browser, make_user, sessions, locale, caption, battery
):
    make_user("manager", "maud")
    with sessions() as session:
        repairs.seed_default_codes(session)
        stock.seed_default_kinds(session)
        session.commit()
        a_year_of_repairs(session, "PF1APX")
        session.commit()
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _log_in(page, server, "maud")
        response = page.goto(server + "/impact/?year=2025")
        assert response is not None and response.status == 200
        section = page.locator("section[aria-labelledby=repairs]")
        faults = section.locator("table", has=page.locator("caption", has_text=caption))
        assert faults.count() == 1
        row = faults.locator("tbody tr").first
        assert row.locator("th[scope=row]").inner_text() == battery
        assert row.locator("td").all_inner_texts() == ["0", "1"]
        # Every table of the section has a caption, and its headers a scope.
        tables = section.locator("table")
        assert tables.count() == 4
        assert section.locator("table caption").count() == 4
        assert section.locator("th:not([scope])").count() == 0
        assert violations(page) == []
    finally:
        context.close()
