"""A manager imports last year's spreadsheet in a real browser, with the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import func, select

from inventory.models import Device, Event
from tests.conftest import PASSWORD
from tests.e2e.axe import violations
from tests.e2e.keyboard import enter, focused, tab_to
from tests.import_helpers import csv_bytes, device

pytestmark = pytest.mark.e2e


def send(page, path) -> None:
    """Choose "Devices" and the file, then check it, as a keyboard does it."""
    # Shift+Tab into the kinds, the arrows to "Devices", Space to be sure it is chosen.
    tab_to(page, "input[name=kind]", backwards=True)
    for _ in range(10):
        if focused(page) == "kind-devices":
            break
        page.keyboard.press("ArrowUp")
    page.keyboard.press("Space")
    assert page.is_checked("#kind-devices")
    page.keyboard.press("Tab")
    assert focused(page) == "file"
    # Space opens the file chooser; on a busy machine the first press was once lost. The
    # chooser is caught from now on, so a press the waiter missed leaves no dialog open
    # that would swallow the second one.
    page.on("filechooser", lambda _chooser: None)
    for attempt in (1, 2):
        try:
            with page.expect_file_chooser(timeout=10_000) as chooser:
                page.keyboard.press("Space")
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    chooser.value.set_files(str(path))
    page.keyboard.press("Tab")
    enter(page)


def count(sessions, *where) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Device).where(*where)) or 0


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_upload_preview_and_confirm_by_keyboard(
    server, browser, make_user, sessions, tmp_path, locale
):
    make_user("manager", "maud")
    bad = tmp_path / "gaia-with-a-typo.csv"
    bad.write_bytes(csv_bytes([device("KB1"), device("KB2", category="fridge")], separator=";"))
    good = tmp_path / "gaia-2016.csv"
    good.write_bytes(csv_bytes([device(f"KB{number}") for number in range(1, 6)], bom=True))
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/login")
        assert focused(page) == "username"
        page.keyboard.type("maud")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)

        # The menu leads to the imports, where the file field has the focus.
        tab_to(page, "a[href='/imports/']")
        enter(page)
        assert page.url == server + "/imports/"
        assert focused(page) == "file"
        assert violations(page) == []

        # A file with a wrong row: the problems are listed and nothing can be confirmed.
        send(page, bad)
        assert page.locator("table.import-errors tbody tr").count() == 1
        assert page.locator("table.import-errors tbody th").inner_text() == "3"
        assert page.locator("table.import-errors tbody code").inner_text() == "category"
        assert page.locator("form[action='/imports/confirm']").count() == 0
        assert violations(page) == []
        assert focused(page) == "A"
        enter(page)
        assert page.url == server + "/imports/"
        assert count(sessions) == 0

        # The corrected file: its first rows, then one Enter on the focused confirmation.
        assert focused(page) == "file"
        send(page, good)
        assert page.locator("table.import-sample tbody tr").count() == 5
        assert page.evaluate("() => document.activeElement.type") == "submit"
        assert violations(page) == []
        assert count(sessions) == 0
        # Enter pressed twice in a row, as an impatient hand does: one import, never two.
        # (The browser drops the first request for the second; the server sees both.)
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        page.wait_for_selector(".flash-success, .flash-warning")
        assert page.url == server + "/imports/"
        assert count(sessions) == 5
        assert count(sessions, Device.stage == "sold") == 5
        with sessions() as session:
            assert session.scalar(select(func.count()).where(Event.kind == "import")) == 1
    finally:
        context.close()
