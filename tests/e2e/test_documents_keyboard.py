"""Documents downloaded in a real browser with the keyboard alone: a spec sheet in the language
chosen, an erasure certificate the workshop then recognises, a donor's lot report."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.certificates import verify_certificate
from tests.conftest import PASSWORD
from tests.documents_helpers import make_lot, pdf_text, ready_laptop
from tests.e2e.axe import violations
from tests.e2e.keyboard import enter, focused, tab_to

pytestmark = pytest.mark.e2e


def download(page, selector: str, folder: Path) -> bytes:
    """Tab to a download button, press Enter, and read the file the browser saved."""
    tab_to(page, selector)
    with page.expect_download() as started:
        page.keyboard.press("Enter")
    path = folder / started.value.suggested_filename
    started.value.save_as(path)
    return path.read_bytes()


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_a_manager_downloads_the_documents_by_keyboard(
    server, browser, make_user, sessions, tmp_path, locale
):
    make_user("manager", "marie", "Marie Curie")
    with sessions() as session:
        make_lot(session)
        tag = ready_laptop(session, lot="L-2024-07").asset_tag
        session.commit()
    context = browser.new_context(
        locale=locale, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    try:
        page.goto(server + "/login")
        # The login form takes the keyboard once the page has put it on the username.
        assert focused(page) == "username"
        page.keyboard.type("marie")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)
        page.goto(f"{server}/devices/{tag}")

        # French for the buyer: the language is chosen with the arrow keys.
        tab_to(page, "#spec-sheet-lang")
        page.keyboard.press("ArrowDown")
        assert page.eval_on_selector("#spec-sheet-lang", "el => el.value") == "fr"
        sheet = download(page, "#download-spec-sheet", tmp_path)
        assert "Appareil reconditionné" in pdf_text(sheet)

        # The certificate in the user's own language, the one the page chose.
        certificate = download(page, "#issue-certificate", tmp_path)
        english = locale == "en-GB"
        assert ("Data erasure certificate" if english else "Certificat d’effacement") in pdf_text(
            certificate
        )
        assert "Marie Curie" in pdf_text(certificate)
        with sessions() as session:
            assert verify_certificate(session, certificate).device.asset_tag == tag
        page.goto(f"{server}/devices/{tag}")
        assert "EC-000001" in page.inner_text("#documents")
        assert violations(page) == []

        page.goto(f"{server}/lots/L-2024-07")
        report = download(page, "#download-lot-report", tmp_path)
        assert ("What became" if english else "Ce que sont devenus") in pdf_text(report)
        assert violations(page) == []
    finally:
        context.close()
