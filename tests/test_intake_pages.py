"""A day at the intake station: a lot arrives, its laptops are scanned in, by keyboard alone."""

from __future__ import annotations

import re
import threading
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from inventory.badges import issue_badge
from inventory.codes import asset_tag
from inventory.intake import receive_device
from inventory.lots import open_lot
from inventory.models import Device, Event, Scan
from inventory.stages import move_to_stage
from tests.conftest import csrf_token, enter_ready, login


class PageForm(HTMLParser):
    """What a browser would send for one form of a page, and which element has the focus."""

    def __init__(self, css_class: str) -> None:
        super().__init__()
        self.css_class = css_class
        self.inside = False
        self.found = False
        self.values: dict[str, str] = {}
        self.autofocus: str | None = None
        self.action: str | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and not self.found and self.css_class in (a.get("class") or "").split():
            self.inside = self.found = True
            self.action = a.get("action")
            return
        if not self.inside:
            return
        if "autofocus" in a:
            self.autofocus = a.get("name") or a.get("id")
        name = a.get("name")
        if tag == "input" and name:
            self.values[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value") or ""
                self.values.setdefault(self._select, self._first_option)
            if "selected" in a:
                self.values[self._select] = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def read_form(html: str, css_class: str) -> PageForm:
    reader = PageForm(css_class)
    reader.feed(html)
    assert reader.found, f"no form.{css_class} on the page"
    return reader


def scan(client, code: str):
    """The scanner types the code and Enter into the scan field."""
    page = client.get("/intake/").get_data(as_text=True)
    form = read_form(page, "scan-form")
    assert form.autofocus == "code", "the scan field must have the focus"
    form.values["code"] = code
    return client.post(form.action, data=form.values)


def press_enter(client, page: str):
    """Enter on the intake form: the browser sends the form exactly as the page filled it."""
    form = read_form(page, "intake-form")
    return client.post(form.action, data=form.values)


def outcome_of(client) -> str:
    """The live region's text on the scan page, once the browser is back there."""
    page = client.get("/intake/").get_data(as_text=True)
    match = re.search(r'<div id="scan-outcome"[^>]*role="status"[^>]*>(.*?)</div>', page, re.S)
    assert match, "the scan page has no live region"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


@pytest.fixture
def warehouse(logged_in):
    return logged_in("warehouse", "wanda")


@pytest.fixture
def lot(client, warehouse):
    """The warehouse opens a lot from the intake page and comes back to scan into it."""
    token = csrf_token(client, "/lots/new?then=intake")
    response = client.post(
        "/lots/new",
        data={
            "code": "2024-06-TOWNHALL",
            "donor": "Town hall",
            "received_on": "2024-06-12",
            "reference": "PO-1138",
            "note": "",
            "then": "intake",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/intake/")
    return "2024-06-TOWNHALL"


def test_forty_identical_laptops_take_forty_scans_and_forty_enters(client, lot, sessions):
    page = client.get("/intake/").get_data(as_text=True)
    assert read_form(page, "lot-bar").values["lot"] == lot

    # The first laptop of the lot: the form opens on the first field to fill.
    response = scan(client, "5cg7 0001")
    assert response.status_code == 302
    assert "/intake/new?serial=5CG70001" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    form = read_form(page, "intake-form")
    assert form.values["serial_number"] == "5CG70001"
    assert form.values["lot"] == lot
    assert form.autofocus == "category"
    form.values.update(category="laptop", make="Lenovo", model="ThinkPad T480", weight_kg="1,6")
    response = client.post(form.action, data=form.values)
    assert response.status_code == 302
    assert outcome_of(client) == f"Received 5CG70001 as {asset_tag(1)}. Open {asset_tag(1)}"

    # Every next one: scan, the form opens filled in with the focus on Save, Enter.
    for number in range(2, 41):
        serial = f"5CG7{number:04d}"
        response = scan(client, serial)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        form = read_form(page, "intake-form")
        assert form.autofocus == "save"
        assert form.values["category"] == "laptop"
        assert (form.values["make"], form.values["model"]) == ("Lenovo", "ThinkPad T480")
        assert form.values["weight_kg"] == "1.6"
        assert press_enter(client, page).status_code == 302
        assert outcome_of(client).startswith(f"Received {serial} as {asset_tag(number)}.")

    with sessions() as session:
        devices = session.scalars(select(Device).order_by(Device.id)).all()
        assert len(devices) == 40
        assert len({device.asset_tag for device in devices}) == 40
        assert {(d.lot.code, d.category, d.make, d.model) for d in devices} == {
            (lot, "laptop", "Lenovo", "ThinkPad T480")
        }
        assert {str(device.weight_kg) for device in devices} == {"1.600"}
        assert session.scalar(select(func.count()).where(Event.kind == "intake")) == 40
        outcomes = session.execute(select(Scan.outcome, func.count()).group_by(Scan.outcome)).all()
        assert dict(outcomes) == {"new": 40}

    # The station's recent scans say what became of them.
    page = client.get("/intake/").get_data(as_text=True)
    assert page.count("New serial: received") == 10
    assert asset_tag(40) in page and asset_tag(30) not in page


def test_the_scan_log_holds_every_scan_good_or_bad(client, lot, warehouse, sessions):
    scan(client, "SN-AAA")
    form = read_form(client.get("/intake/new?serial=SN-AAA").get_data(as_text=True), "intake-form")
    form.values.update(category="printer", make="Brother", model="HL-L2350")
    assert client.post(form.action, data=form.values).status_code == 302
    with sessions() as session:
        tag = session.scalar(select(Device.asset_tag))
    wrong = tag[:-1] + ("0" if tag[-1] != "0" else "1")
    for code in ("SN-AAA", tag, wrong, asset_tag(999), "X" * 300, "   "):
        scan(client, code)
    with sessions() as session:
        rows = session.execute(select(Scan.code, Scan.outcome, Scan.user_id).order_by(Scan.id))
        log = [(code, outcome) for code, outcome, user_id in rows if user_id == warehouse.id]
    assert log == [
        ("SN-AAA", "new"),
        ("SN-AAA", "already_received"),
        (tag, "device"),
        (wrong, "misread"),
        (asset_tag(999), "unknown_tag"),
        ("X" * 200, "invalid"),
    ]


def test_a_serial_already_received_says_when_and_under_which_tag_and_creates_nothing(
    client, lot, warehouse, sessions
):
    with sessions() as session:
        receive_device(
            session,
            serial_number="PF0ABC12",
            category="laptop",
            make="Lenovo",
            model="X270",
            lot=lot,
            entered_by=None,
        )
        session.commit()
    response = scan(client, "pf0abc12")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/intake/")
    assert re.match(
        rf"PF0ABC12 was already received on \S+, [\d:]+\s[AP]M as {asset_tag(1)} "
        r"\(stage: Received\)\. Nothing was created\.",
        outcome_of(client),
    )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 1
    # The form cannot be reached around the scan either.
    response = client.get("/intake/new?serial=PF0ABC12")
    assert response.headers["Location"].endswith("/intake/")


def test_a_serial_received_long_ago_gives_the_date_and_the_stage(client, warehouse, sessions):
    from datetime import UTC, datetime

    with sessions() as session:
        receive_device(
            session,
            serial_number="OLD-1",
            category="desktop",
            make="Dell",
            model="Optiplex 7010",
            entered_by=None,
            occurred_at=datetime(2023, 3, 9, 14, 5, tzinfo=UTC),
        )
        session.commit()
    scan(client, "OLD-1")
    text = outcome_of(client)
    assert "OLD-1 was already received on 3/9/23" in text
    assert f"as {asset_tag(1)} (stage: Received). Nothing was created." in text


def test_a_misread_asset_tag_asks_to_scan_again_and_nothing_else(client, lot, sessions):
    good = asset_tag(42)
    misread = good[:-1] + ("A" if good[-1] != "A" else "B")
    response = scan(client, misread)
    assert response.headers["Location"].endswith("/intake/")
    assert outcome_of(client).startswith(f"{misread} was misread: scan the label again.")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_a_staff_badge_is_not_taken_for_a_new_serial(client, lot, warehouse, sessions, make_user):
    theo = make_user("technician", "theo", "Théo Martin")
    with sessions() as session:
        badge = issue_badge(session, session.merge(theo), by=None)
        session.commit()

    response = scan(client, badge.lower())
    assert response.headers["Location"].endswith("/intake/")
    assert unescape(outcome_of(client)) == (
        f"{badge} is the staff badge of Théo Martin, not a device. Nothing was created: "
        "scan the device's serial number or asset tag."
    )
    # A badge read wrong is a misread too, yet a serial of that shape can still be received.
    misread = badge[:-1] + ("A" if badge[-1] != "A" else "B")
    scan(client, misread)
    text = outcome_of(client)
    assert text.startswith(f"{misread} looks like a staff badge but its check character is wrong")
    assert text.endswith("It is a manufacturer serial: receive it")
    page = client.get("/intake/").get_data(as_text=True)
    assert "Staff badge: not a device" in page

    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 0
        rows = session.execute(select(Scan.code, Scan.outcome, Scan.user_id).order_by(Scan.id))
        assert [tuple(row) for row in rows] == [
            (badge, "staff", warehouse.id),
            (misread, "misread", warehouse.id),
        ]


def test_an_asset_tag_opens_the_device(client, lot, sessions):
    with sessions() as session:
        tag = receive_device(
            session,
            serial_number="SN1",
            category="phone",
            make="Fairphone",
            model="4",
            lot=lot,
            entered_by=None,
        ).device.asset_tag
        session.commit()
    response = scan(client, tag.lower())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/devices/{tag}")
    assert client.get(response.headers["Location"]).status_code == 200


def test_an_asset_tag_we_never_printed_says_so(client, lot):
    scan(client, asset_tag(7))
    assert outcome_of(client).startswith(f"No device has the asset tag {asset_tag(7)}.")


@pytest.mark.parametrize("left", ["sold", "recycled"])
def test_a_device_that_left_comes_back_for_a_new_cycle_on_the_same_record(
    client, lot, warehouse, sessions, left
):
    with sessions() as session:
        device = receive_device(
            session,
            serial_number="RET-77",
            category="laptop",
            make="HP",
            model="840 G5",
            entered_by=None,
        ).device
        path = ["triage", "erasure", "diagnostics", "qc", "ready", "sold"]
        for stage in path if left == "sold" else ["recycled"]:
            if stage == "ready":
                enter_ready(session, device, grade="B")
            else:
                move_to_stage(session, device, stage, entered_by=None)
        session.commit()
        tag = device.asset_tag

    response = scan(client, "RET-77")
    assert response.headers["Location"].endswith("/intake/new?serial=RET-77")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{tag} comes back" in page
    form = read_form(page, "intake-form")
    assert form.autofocus == "save"
    assert press_enter(client, page).status_code == 302
    assert outcome_of(client).startswith(f"RET-77 came back as {tag}: cycle 2 starts")

    with sessions() as session:
        devices = session.scalars(select(Device)).all()
        assert [(d.asset_tag, d.stage, d.cycle, d.lot.code) for d in devices] == [
            (tag, "received", 2, lot)
        ]
        history = session.execute(
            select(Event.kind, Event.to_stage)
            .where(Event.device_id == devices[0].id)
            .order_by(Event.id)
        ).all()
        # The first cycle is kept, and the new one starts after it.
        assert history[0] == ("intake", "received")
        assert history[-2] == ("stage_change", left)
        assert history[-1] == ("intake", "received")
        assert session.scalars(select(Scan.outcome)).all() == ["comes_back"]


def test_a_double_enter_on_the_intake_form_receives_the_device_once(client, lot, sessions):
    scan(client, "DBL-1")
    form = read_form(client.get("/intake/new?serial=DBL-1").get_data(as_text=True), "intake-form")
    form.values.update(category="laptop", make="Dell", model="Latitude 7480")
    first = client.post(form.action, data=form.values)
    second = client.post(form.action, data=form.values)
    assert (first.status_code, second.status_code) == (302, 302)
    assert outcome_of(client) == (
        f"DBL-1 was just received as {asset_tag(1)}. Nothing more was created. Open {asset_tag(1)}"
    )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 1


def test_two_terminals_receiving_the_same_serial_at_once_create_one_device(
    app, make_user, sessions
):
    with sessions() as session:
        open_lot(session, "L-RACE", entered_by=None)
        session.commit()
    terminals = []
    for name in ("north", "south"):
        make_user("warehouse", name)
        terminal = app.test_client()
        login(terminal, name)
        token = csrf_token(terminal, "/intake/")
        terminal.post("/intake/lot", data={"lot": "L-RACE", "csrf_token": token})
        scan(terminal, "RACE-1")
        terminals.append(terminal)
    pages = [t.get("/intake/new?serial=RACE-1").get_data(as_text=True) for t in terminals]
    forms = []
    for page in pages:
        form = read_form(page, "intake-form")
        form.values.update(category="monitor", make="Eizo", model="EV2450")
        forms.append(form)

    start = threading.Barrier(2)
    statuses: list[int] = []

    def press(terminal, form):
        start.wait()
        statuses.append(terminal.post(form.action, data=form.values).status_code)

    threads = [
        threading.Thread(target=press, args=pair) for pair in zip(terminals, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302, 302]
    said = sorted(outcome_of(terminal) for terminal in terminals)
    tag = asset_tag(1)
    assert said[0].startswith(f"RACE-1 was just received as {tag}. Nothing more was created.")
    assert said[1].startswith(f"Received RACE-1 as {tag}.")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 1
        assert session.scalar(select(func.count()).where(Event.kind == "intake")) == 1


def test_validation_errors_keep_what_was_typed_and_name_the_field(client, lot, sessions):
    scan(client, "VAL-1")
    page = client.get("/intake/new?serial=VAL-1").get_data(as_text=True)
    form = read_form(page, "intake-form")
    form.values.update(category="laptop", make="", model="Latitude 5490", weight_kg="heavy")
    response = client.post(form.action, data=form.values)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    again = read_form(html, "intake-form")
    assert again.values["model"] == "Latitude 5490"
    assert again.values["weight_kg"] == "heavy"
    assert again.values["category"] == "laptop"
    assert again.autofocus == "make"
    assert "Type the make, for example Lenovo." in html
    assert "Type a weight in kilograms between 0 and 2000" in html
    assert re.search(r'id="make"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="make"', html)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_one_of_our_asset_tags_typed_as_a_serial_is_refused_by_the_form(client, lot):
    page = client.get("/intake/new?serial=SOMETHING").get_data(as_text=True)
    form = read_form(page, "intake-form")
    form.values.update(serial_number=asset_tag(5), category="laptop", make="Acer", model="Swift 3")
    response = client.post(form.action, data=form.values)
    assert response.status_code == 400
    assert f"{asset_tag(5)} is one of our asset tags, not a manufacturer serial" in (
        response.get_data(as_text=True)
    )


def test_the_first_device_without_a_lot_asks_for_the_lot(client, warehouse, sessions):
    with sessions() as session:
        open_lot(session, "L-A", donor="Bank", entered_by=None)
        session.commit()
    scan(client, "NOLOT-1")
    page = client.get("/intake/new?serial=NOLOT-1").get_data(as_text=True)
    form = read_form(page, "intake-form")
    assert form.values["lot"] == "" and form.autofocus == "lot"
    form.values.update(category="tablet", make="Apple", model="iPad 6")
    response = client.post(form.action, data=form.values)
    assert response.status_code == 400
    assert "Type or scan the code of the lot this device came in." in response.get_data(
        as_text=True
    )
    form.values["lot"] = "L-A"
    assert client.post(form.action, data=form.values).status_code == 302
    # The lot chosen on the form is the one the next scans go to.
    assert (
        read_form(client.get("/intake/").get_data(as_text=True), "lot-bar").values["lot"] == "L-A"
    )


def test_choosing_the_lot_survives_each_scan(client, warehouse, sessions):
    with sessions() as session:
        open_lot(session, "L-1", entered_by=None)
        open_lot(session, "L-2", entered_by=None)
        session.commit()
    token = csrf_token(client, "/intake/")
    assert client.post("/intake/lot", data={"lot": "L-1", "csrf_token": token}).status_code == 302
    assert outcome_of(client) == "Lot L-1 chosen: scan its devices."
    scan(client, "NEXT-1")
    assert (
        read_form(client.get("/intake/").get_data(as_text=True), "lot-bar").values["lot"] == "L-1"
    )
    client.post("/intake/lot", data={"lot": "NO-SUCH-LOT", "csrf_token": token})
    assert unescape(outcome_of(client)) == (
        "No lot has the code 'NO-SUCH-LOT'. Create the lot first, then receive its devices."
    )
    assert (
        read_form(client.get("/intake/").get_data(as_text=True), "lot-bar").values["lot"] == "L-1"
    )


def test_a_scan_without_its_csrf_token_is_refused_and_not_logged(client, lot, sessions):
    response = client.post("/intake/", data={"code": "NOCSRF"})
    assert response.status_code == 400
    token = csrf_token(client, "/intake/")
    response = client.post(
        "/intake/new",
        data={
            "serial_number": "NOCSRF",
            "lot": lot,
            "category": "laptop",
            "make": "A",
            "model": "B",
        },
    )
    assert response.status_code == 400
    assert token
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 0
        assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_a_technician_cannot_use_the_intake_station(client, logged_in, sessions):
    logged_in("technician", "theo")
    token = csrf_token(client, "/devices/")
    assert client.get("/intake/").status_code == 403
    assert client.get("/intake/new?serial=X1").status_code == 403
    assert client.post("/intake/", data={"code": "X1", "csrf_token": token}).status_code == 403
    assert client.post("/intake/lot", data={"lot": "L", "csrf_token": token}).status_code == 403
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 0


def test_the_intake_station_speaks_french_to_a_french_browser(client, warehouse):
    page = client.get("/intake/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert 'lang="fr"' in page.get_data(as_text=True)


def test_the_newest_lots_are_offered_and_any_other_can_be_typed(client, warehouse, sessions):
    with sessions() as session:
        for number in range(35):
            open_lot(session, f"L-{number:02d}", donor=f"Donor {number}", entered_by=None)
        session.commit()
    page = client.get("/intake/").get_data(as_text=True)
    offered = re.findall(r'<option value="(L-\d\d)">', page)
    assert offered == [f"L-{number:02d}" for number in range(34, 4, -1)]
    assert 'list="recent-lots"' in page
    token = csrf_token(client, "/intake/")
    client.post("/intake/lot", data={"lot": " L-00 ", "csrf_token": token})
    assert outcome_of(client) == "Lot L-00 chosen: scan its devices."
    scan(client, "OLDLOT-1")
    form = read_form(
        client.get("/intake/new?serial=OLDLOT-1").get_data(as_text=True), "intake-form"
    )
    assert form.values["lot"] == "L-00"
    form.values.update(lot="L-99", category="laptop", make="HP", model="840 G5")
    refused = client.post(form.action, data=form.values)
    assert refused.status_code == 400
    assert "No lot has the code" in unescape(refused.get_data(as_text=True))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 0
