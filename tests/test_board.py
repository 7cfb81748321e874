"""The stage board and the lot view: what a manager sees at the end of the day."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from inventory.board import lot_summary, stage_counts, stuck_devices
from inventory.intake import receive_device
from inventory.lots import get_lot, open_lot
from inventory.recycling import recycle
from inventory.stages import move_to_stage
from inventory.types import utcnow
from tests.conftest import csrf_token, enter_ready

MAIN_LINE = ("triage", "erasure", "diagnostics", "qc", "ready")


def receive(session, serial, *, category="laptop", lot="L-BANK", weight="2.1", at=None):
    return receive_device(
        session,
        serial_number=serial,
        category=category,
        make="Dell",
        model="Latitude 5490",
        lot=lot,
        weight_kg=weight,
        entered_by=None,
        occurred_at=at,
    ).device


def walk(session, device, *, until, at=None):
    """Move a device along the main line up to `until`, all at the time `at`."""
    for stage in MAIN_LINE:
        if stage == "ready":
            enter_ready(session, device, grade="B", occurred_at=at)
        else:
            move_to_stage(session, device, stage, entered_by=None, occurred_at=at)
        if stage == until:
            return device
    raise AssertionError(until)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def a_day_of_moves(sessions):
    """Two lots received this morning; by evening the devices are spread over the line."""
    with sessions() as session:
        open_lot(session, "L-BANK", donor="Crédit Agricole", entered_by=None)
        open_lot(session, "L-SCHOOL", donor="Lycée Jean Moulin", entered_by=None)
        laptops = [receive(session, f"BANK-L{n}") for n in range(6)]
        screens = [
            receive(session, f"BANK-M{n}", category="monitor", weight="4.5") for n in range(3)
        ]
        desktops = [
            receive(session, f"SCH-D{n}", category="desktop", lot="L-SCHOOL", weight=None)
            for n in range(4)
        ]
        walk(session, laptops[0], until="triage")
        walk(session, laptops[1], until="triage")
        walk(session, laptops[2], until="ready")
        walk(session, laptops[3], until="ready")
        move_to_stage(session, laptops[3], "sold", entered_by=None)
        recycle(session, laptops[4], reason="beyond_repair", entered_by=None)
        walk(session, screens[0], until="diagnostics")
        recycle(session, screens[1], reason="obsolete", entered_by=None)
        walk(session, desktops[0], until="erasure")
        session.commit()


def test_the_board_counts_each_stage_and_category_after_a_day_of_moves(a_day_of_moves, sessions):
    with sessions() as session:
        counts = stage_counts(session)
        assert counts.cells == {
            ("received", "laptop"): 1,
            ("triage", "laptop"): 2,
            ("ready", "laptop"): 1,
            ("sold", "laptop"): 1,
            ("recycled", "laptop"): 1,
            ("received", "monitor"): 1,
            ("diagnostics", "monitor"): 1,
            ("recycled", "monitor"): 1,
            ("received", "desktop"): 3,
            ("erasure", "desktop"): 1,
        }
        assert counts.stage_total("received") == 5
        assert counts.category_total("laptop") == 6
        assert counts.total == 13
        school = stage_counts(session, lot="L-SCHOOL")
        assert school.cells == {("received", "desktop"): 3, ("erasure", "desktop"): 1}


def test_the_board_page_links_each_count_to_its_devices(a_day_of_moves, client, logged_in):
    logged_in("technician", "theo")
    page = client.get("/board/").get_data(as_text=True)
    assert '<a href="/devices/?stage=triage&amp;category=laptop">2</a>' in page
    row = re.search(r'<th scope="row">Received</th>.*?</tr>', page, re.S).group(0)
    # Categories are columns in alphabetical order: desktop, laptop, monitor, then the total.
    assert text_of(row) == "Received 3 1 1 5"
    # Sold and recycled are counted over the last 30 days; the total is what the workshop holds.
    assert "10 devices in the workshop, and those sold or recycled since" in page
    in_workshop = re.search(r'<th scope="row">In the workshop</th>.*?</tr>', page, re.S).group(0)
    assert text_of(in_workshop) == "In the workshop 4 4 2 10"

    school = client.get("/board/?lot=L-SCHOOL").get_data(as_text=True)
    assert '<a href="/devices/?stage=received&amp;category=desktop&amp;lot=L-SCHOOL">3</a>' in (
        school
    )
    assert "Laptop" not in school
    assert 'name="lot" type="text" value="L-SCHOOL"' in school
    assert "4 devices in all" in school

    unknown = client.get("/board/?lot=L-NOPE")
    assert unknown.status_code == 404
    assert "No lot has the code" in unknown.get_data(as_text=True)


def test_devices_waiting_too_long_are_named_oldest_first_with_their_stage(
    sessions, client, logged_in
):
    now = utcnow()
    with sessions() as session:
        open_lot(session, "L-BANK", entered_by=None)
        forgotten = receive(session, "OLD-1", at=now - timedelta(days=20))
        in_repair = receive(session, "OLD-2", at=now - timedelta(days=30))
        walk(session, in_repair, until="diagnostics", at=now - timedelta(days=15))
        move_to_stage(
            session, in_repair, "repair", entered_by=None, occurred_at=now - timedelta(days=12)
        )
        recent = receive(session, "NEW-1", at=now - timedelta(days=3))
        sold_long_ago = receive(session, "SOLD-1", at=now - timedelta(days=60))
        walk(session, sold_long_ago, until="ready", at=now - timedelta(days=50))
        move_to_stage(
            session, sold_long_ago, "sold", entered_by=None, occurred_at=now - timedelta(days=40)
        )
        session.commit()
        stuck = stuck_devices(session, after_days=7, now=now)
        assert [(d.asset_tag, d.stage, d.days) for d in stuck.devices] == [
            (forgotten.asset_tag, "received", 20),
            (in_repair.asset_tag, "repair", 12),
        ]
        assert stuck.total == 2
        assert recent.asset_tag not in {d.asset_tag for d in stuck.devices}
        assert [d.asset_tag for d in stuck_devices(session, after_days=15, now=now).devices] == [
            forgotten.asset_tag
        ]
        listed = stuck_devices(session, after_days=7, now=now, limit=1)
        assert (len(listed.devices), listed.total) == (1, 2)
        repair_tag = in_repair.asset_tag

    logged_in("manager", "maud")
    page = text_of(client.get("/board/").get_data(as_text=True))
    assert "2 devices wait for more than 7 days" in page
    assert f"{repair_tag} Laptop · Dell Latitude 5490 in Repair for 12 days" in page


def test_the_stuck_limit_comes_from_the_configuration(sessions, app, client, logged_in):
    now = utcnow()
    with sessions() as session:
        open_lot(session, "L-BANK", entered_by=None)
        receive(session, "OLD-1", at=now - timedelta(days=10))
        session.commit()
    logged_in("warehouse", "wanda")
    assert "1 device waits for more than 7 days" in client.get("/board/").get_data(as_text=True)
    app.config["STUCK_AFTER_DAYS"] = 14
    assert "waits for more" not in client.get("/board/").get_data(as_text=True)


def test_the_board_asks_the_same_number_of_questions_for_10_devices_or_100(
    app, client, logged_in, sessions
):
    logged_in("manager", "maud")
    engine = app.extensions["workshop.engine"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def questions_asked(url: str) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    old = utcnow() - timedelta(days=30)
    categories = ("laptop", "desktop", "monitor", "phone")

    def receive_many(first: int, last: int) -> None:
        with sessions() as session:
            for n in range(first, last):
                device = receive(
                    session, f"N-{n}", category=categories[n % 4], lot=f"L-{n % 3}", at=old
                )
                if n % 2:
                    move_to_stage(session, device, "triage", entered_by=None, occurred_at=old)
            session.commit()

    with sessions() as session:
        for n in range(3):
            open_lot(session, f"L-{n}", entered_by=None)
        session.commit()
    receive_many(0, 10)
    few = questions_asked("/board/"), questions_asked("/board/?lot=L-1")
    receive_many(10, 100)
    assert (questions_asked("/board/"), questions_asked("/board/?lot=L-1")) == few
    assert "100 devices wait for more than 7 days" in client.get("/board/").get_data(as_text=True)


def test_the_lot_summary_says_what_became_of_each_device_with_kilograms(a_day_of_moves, sessions):
    with sessions() as session:
        summary = lot_summary(session, get_lot(session, "L-BANK"))
        assert {name: (o.count, o.weight_kg) for name, o in summary.outcomes.items()} == {
            "received": (2, Decimal("6.6")),
            "in_progress": (3, Decimal("8.7")),
            "ready": (1, Decimal("2.1")),
            "sold": (1, Decimal("2.1")),
            "recycled": (2, Decimal("6.6")),
        }
        assert (summary.total.count, summary.total.weight_kg) == (9, Decimal("26.1"))
        school = lot_summary(session, get_lot(session, "L-SCHOOL"))
        assert (school.total.count, school.total.weight_kg, school.total.unweighed) == (
            4,
            Decimal("0"),
            4,
        )


def test_the_lot_page_lists_its_devices_and_the_summary(a_day_of_moves, client, logged_in):
    logged_in("manager", "maud")
    lots = client.get("/lots/").get_data(as_text=True)
    assert '<a href="/lots/L-BANK">L-BANK</a>' in lots
    page = client.get("/lots/L-BANK").get_data(as_text=True)
    text = text_of(page)
    assert "Donor: Crédit Agricole" in text
    assert "2 reused, 5 in progress, 2 recycled; 26.1 kg in all." in text
    assert "Recycled 2 6.6" in text
    assert len(re.findall(r'<th scope="row"><a href="/devices/A', page)) == 9
    assert 'href="/lots/L-BANK.csv"' in page
    school = text_of(client.get("/lots/L-SCHOOL").get_data(as_text=True))
    assert "4 devices have no recorded weight" in school
    assert client.get("/lots/L-NOPE").status_code == 404


def test_the_lot_exports_as_a_spreadsheet_excel_reads_with_accents(sessions, client, logged_in):
    with sessions() as session:
        open_lot(session, "L-MAIRIE", donor="Mairie de Besançon", entered_by=None)
        first = receive(session, "MAI-1", lot="L-MAIRIE", weight="1.85")
        first.model = "Latitude Écran 14"
        walk(session, first, until="ready")
        second = receive(session, "MAI-2", lot="L-MAIRIE", category="printer", weight=None)
        # Someone typed a formula as the make: the spreadsheet must show it, not run it.
        second.make = '=HYPERLINK("http://example.invalid")'
        session.commit()
        tags = first.asset_tag, second.asset_tag

    logged_in("warehouse", "wanda")
    response = client.get("/lots/L-MAIRIE.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="lot-L-MAIRIE.csv"'
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "asset_tag",
        "serial",
        "category",
        "make",
        "model",
        "stage",
        "weight_kg",
        "grade",
        "received_at",
    ]
    assert [
        (r["asset_tag"], r["serial"], r["category"], r["model"], r["stage"], r["weight_kg"])
        for r in rows
    ] == [
        (tags[0], "MAI-1", "laptop", "Latitude Écran 14", "ready", "1.850"),
        (tags[1], "MAI-2", "printer", "Latitude 5490", "received", ""),
    ]
    assert (rows[0]["grade"], rows[1]["grade"]) == ("B", "")
    assert rows[1]["make"] == '\'=HYPERLINK("http://example.invalid")'
    assert rows[0]["received_at"].startswith(str(utcnow().year))
    assert client.get("/lots/L-NOPE.csv").status_code == 404


@pytest.mark.parametrize("role", ["technician", "warehouse", "manager", "admin"])
def test_the_floor_sees_the_board(role, client, logged_in):
    logged_in(role)
    page = client.get("/board/")
    assert page.status_code == 200
    assert 'href="/board/"' in page.get_data(as_text=True)


def test_hr_sees_neither_the_board_nor_the_lots(a_day_of_moves, client, logged_in):
    logged_in("hr", "helene")
    assert client.get("/board/").status_code == 403
    assert client.get("/lots/L-BANK").status_code == 403
    assert client.get("/lots/L-BANK.csv").status_code == 403
    assert 'href="/board/"' not in client.get("/board/").get_data(as_text=True)


def test_the_board_asks_to_log_in_first(client, make_user):
    make_user("admin")
    response = client.get("/board/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_board_and_the_lot_speak_french(sessions, client, logged_in):
    now = utcnow()
    with sessions() as session:
        open_lot(session, "L-BANK", donor="Crédit Agricole", entered_by=None)
        device = receive(session, "OLD-1", at=now - timedelta(days=20))
        walk(session, device, until="diagnostics", at=now - timedelta(days=20))
        move_to_stage(
            session, device, "repair", entered_by=None, occurred_at=now - timedelta(days=9)
        )
        session.commit()
    logged_in("manager", "maud")
    token = csrf_token(client, "/board/")
    client.post("/language", data={"language": "fr", "csrf_token": token, "next": "/board/"})
    board = text_of(client.get("/board/").get_data(as_text=True))
    assert "1 appareil attend depuis plus de 7 jours" in board
    assert "depuis 9 jours" in board
    assert "Tableau des étapes" in board
    lot = text_of(client.get("/lots/L-BANK").get_data(as_text=True))
    # text_of folds the no-break spaces of French punctuation into plain ones.
    assert "Donateur : Crédit Agricole" in lot
    assert "0 réemployés, 1 en cours, 0 recyclés ; 2,1 kg en tout." in lot


def test_a_lot_code_with_a_slash_and_accents_still_has_its_page_and_file(
    sessions, client, logged_in
):
    with sessions() as session:
        open_lot(session, "2024/06-Besançon", entered_by=None)
        receive(session, "BES-1", lot="2024/06-Besançon")
        session.commit()
    logged_in("manager", "maud")
    lots = client.get("/lots/").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">2024/06-Besançon</a>', lots).group(1)
    assert "Lot 2024/06-Besançon" in client.get(link).get_data(as_text=True)
    export = client.get(link + ".csv")
    assert export.headers["Content-Disposition"] == (
        'attachment; filename="lot-2024_06-Besan_on.csv"'
    )
    assert "BES-1" in export.get_data().decode("utf-8-sig")


def test_the_board_shows_what_each_technician_holds(sessions, make_user, client, logged_in):
    from inventory import assignments
    from inventory.board import work_in_progress
    from inventory.devices import get_device

    amina = make_user("technician", "amina", "Amina Diallo")
    bruno = make_user("technician", "bruno")
    with sessions() as session:
        open_lot(session, "L-BANK", entered_by=None)
        devices = [receive(session, f"WIP-{n}") for n in range(4)]
        walk(session, devices[3], until="triage")
        session.commit()
        tags = [device.asset_tag for device in devices]
    with sessions() as session:
        holder = {0: amina, 1: amina, 2: bruno, 3: amina}
        for number, tag in enumerate(tags):
            technician = session.merge(holder[number])
            assignments.assign(session, get_device(session, tag), technician, by=None)
        assignments.release(session, get_device(session, tags[1]), by=None)
        session.commit()
        loads = {load.username: (load.total, load.by_stage) for load in work_in_progress(session)}
    assert loads == {"amina": (2, {"received": 1, "triage": 1}), "bruno": (1, {"received": 1})}

    logged_in("manager")
    page = text_of(client.get("/board/").get_data(as_text=True))
    assert "Amina Diallo 2 Received: 1 · Triage: 1" in page
    assert "bruno 1 Received: 1" in page


def test_the_board_counts_what_left_the_workshop_lately_and_links_to_exactly_those(
    sessions, client, logged_in
):
    now = utcnow()
    with sessions() as session:
        open_lot(session, "L-BANK", entered_by=None)
        old_sale, new_sale, old_scrap, new_scrap, waiting = (
            receive(session, f"LEFT-{n}", at=now - timedelta(days=400)) for n in range(5)
        )
        for device in (old_sale, new_sale):
            walk(session, device, until="ready", at=now - timedelta(days=300))
        for device, days_ago in ((old_sale, 200), (new_sale, 3)):
            at = now - timedelta(days=days_ago)
            move_to_stage(session, device, "sold", entered_by=None, occurred_at=at)
        for device, days_ago in ((old_scrap, 90), (new_scrap, 1)):
            at = now - timedelta(days=days_ago)
            recycle(session, device, reason="obsolete", entered_by=None, occurred_at=at)
        session.commit()
        since = now - timedelta(days=30)
        counts = stage_counts(session, left_since=since)
        assert counts.cells == {
            ("sold", "laptop"): 1,
            ("recycled", "laptop"): 1,
            ("received", "laptop"): 1,
        }
        assert counts.present_total() == 1
        # For one lot every device counts, whenever it left.
        assert stage_counts(session, lot="L-BANK", left_since=since).total == 5

    logged_in("manager", "maya")
    page = client.get("/board/").get_data(as_text=True)
    sold_row = re.search(r'<th scope="row">Sold since .*?</tr>', page, re.S).group(0)
    assert text_of(sold_row).endswith(" 1 1")
    link = re.search(r'href="(/devices/\?stage=sold&amp;since=[0-9-]+)"', sold_row).group(1)
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "1 device" in listed and new_sale.asset_tag in listed
    assert old_sale.asset_tag not in listed


def test_the_device_list_says_when_a_typed_lot_does_not_exist(client, logged_in):
    logged_in("manager", "maya")
    answer = client.get("/devices/?lot=L-NOPE")
    # The list's page, with the problem said, as for any filter it cannot apply.
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "No lot has the code" in page
    assert 'value="L-NOPE"' in page
