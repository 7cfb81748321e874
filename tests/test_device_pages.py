"""A technician's day on the device pages: find a device, move it along, grade it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from inventory.checks import answer_checks
from inventory.devices import get_device
from inventory.intake import receive_device
from inventory.lots import open_lot
from inventory.models import Event
from inventory.stages import move_to_stage, set_grade
from tests.conftest import answer_checks_on_page, csrf_token, enter_ready

LAPTOP_CHECKS = (
    "Screen, Keyboard, Touchpad, Webcam, Speakers, Microphone, Wi-Fi, USB ports, Hinges, Charger"
)
# What the benches must have said of a laptop, as the pages say it.
BENCHES = (
    "a passing Battery bench test, a passing Disk health bench test, a passing Disk erasure "
    "bench test, an erasure record for every drive, or the device marked as having no storage"
)

ROW_TAG = re.compile(r'<a class="tag" href="/devices/(A\d{7}[0-9A-Z])">')


def receive(
    sessions, serials, *, lot=None, make="Lenovo", model="ThinkPad T480", category="laptop"
):
    """Receive devices through the intake service, as the warehouse does; returns their tags."""
    with sessions() as session:
        tags = [
            receive_device(
                session,
                serial_number=serial,
                category=category,
                make=make,
                model=model,
                lot=lot,
                weight_kg="1.8",
                entered_by=None,
            ).device.asset_tag
            for serial in serials
        ]
        session.commit()
    return tags


def move_in_advance(sessions, tag, *stages):
    """Moves done earlier in the week, through the service."""
    with sessions() as session:
        device = get_device(session, tag)
        for stage in stages:
            move_to_stage(session, device, stage, entered_by=None)
        session.commit()


def stage_of(sessions, tag):
    with sessions() as session:
        return get_device(session, tag).stage


def stage_changes(sessions, tag):
    with sessions() as session:
        device = get_device(session, tag)
        return session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.device_id == device.id, Event.kind == "stage_change")
        )


def listed(response):
    return ROW_TAG.findall(response.get_data(as_text=True))


def post_move(client, tag, to, expected_stage, **extra):
    token = csrf_token(client, f"/devices/{tag}")
    data = {"csrf_token": token, "to": to, "expected_stage": expected_stage, **extra}
    return client.post(f"/devices/{tag}/move", data=data)


@pytest.fixture
def collection(sessions):
    """A lot from the town hall: three ThinkPads and two Dell monitors."""
    with sessions() as session:
        open_lot(session, "L-2026-014", donor="Mairie de Villeurbanne", entered_by=None)
        open_lot(session, "L-2026-015", donor="Crédit Local", entered_by=None)
        session.commit()
    laptops = receive(sessions, ["PF1A0001", "PF1A0002", "PF1A0003"], lot="L-2026-014")
    monitors = receive(
        sessions,
        ["CN0P2214", "CN0P2215"],
        lot="L-2026-015",
        make="Dell",
        model="P2214H",
        category="monitor",
    )
    return {"laptops": laptops, "monitors": monitors}


def test_a_technician_finds_devices_by_serial_prefix(client, logged_in, collection):
    logged_in("technician")
    response = client.get("/devices/?q=pf1a")
    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(collection["laptops"])


def test_scanning_a_tag_or_a_whole_serial_opens_the_device(client, logged_in, collection):
    logged_in("technician")
    tag = collection["monitors"][0]
    response = client.get(f"/devices/?q={tag}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/devices/{tag}"
    # A scanner may add blanks, a person may type lower case.
    response = client.get("/devices/", query_string={"q": f"  {tag.lower()} "})
    assert response.headers["Location"] == f"/devices/{tag}"
    response = client.get("/devices/?q=CN0P2215")
    assert response.headers["Location"] == f"/devices/{collection['monitors'][1]}"


def test_a_misread_tag_is_said_to_be_misread(client, logged_in, collection):
    logged_in("technician")
    tag = collection["laptops"][0]
    wrong = tag[:-1] + ("0" if tag[-1] != "0" else "1")
    page = client.get(f"/devices/?q={wrong}").get_data(as_text=True)
    assert "check character is wrong" in page


def test_filters_by_stage_category_and_lot(client, logged_in, sessions, collection):
    first, second, third = collection["laptops"]
    move_in_advance(sessions, first, "triage")
    move_in_advance(sessions, second, "triage", "erasure")
    logged_in("technician")
    assert listed(client.get("/devices/?stage=triage")) == [first]
    assert sorted(listed(client.get("/devices/?category=monitor"))) == sorted(
        collection["monitors"]
    )
    assert sorted(listed(client.get("/devices/?lot=L-2026-014"))) == sorted(collection["laptops"])
    assert listed(client.get("/devices/?lot=L-2026-014&stage=received")) == [third]


def test_a_bad_filter_gets_a_clear_message_not_an_error(client, logged_in, collection):
    logged_in("technician")
    response = client.get("/devices/?stage=broken")
    assert response.status_code == 400
    assert "broken is not in this list" in response.get_data(as_text=True)
    response = client.get("/devices/?lot=NO-SUCH-LOT")
    assert response.status_code == 400
    assert "No lot has the code" in response.get_data(as_text=True)
    for page in ("minus-one", "0", "99999999999999999999999"):
        response = client.get(f"/devices/?page={page}")
        assert response.status_code == 400
        assert "The page number must be a whole number" in response.get_data(as_text=True)


def test_paging_through_sixty_laptops_keeps_the_filters(client, logged_in, sessions):
    tags = receive(sessions, [f"R90X{n:04d}" for n in range(60)])
    receive(sessions, ["MON0001"], make="Iiyama", model="ProLite", category="monitor")
    logged_in("technician")
    first_page = client.get("/devices/?q=lenovo&category=laptop")
    html = first_page.get_data(as_text=True)
    assert "60 devices" in html
    on_first = listed(first_page)
    assert len(on_first) == 50
    links = re.findall(r'href="(/devices/\?[^"]*page=2[^"]*)"', html)
    assert links, "no link to page 2"
    params = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert params == {"q": ["lenovo"], "category": ["laptop"], "page": ["2"]}
    on_second = listed(client.get(links[0].replace("&amp;", "&")))
    assert len(on_second) == 10
    assert sorted(on_first + on_second) == sorted(tags)
    beyond = client.get("/devices/?q=lenovo&category=laptop&page=9")
    assert beyond.status_code == 200
    assert "the list has 2 pages" in beyond.get_data(as_text=True)


def test_the_device_page_shows_identity_and_the_moves_it_allows(client, logged_in, collection):
    logged_in("technician")
    tag = collection["laptops"][0]
    response = client.get(f"/devices/{tag}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in ("PF1A0001", "Lenovo", "ThinkPad T480", "L-2026-014", "Mairie de Villeurbanne"):
        assert text in page
    assert "1.8 kg" in page
    assert 'value="triage"' in page
    assert 'name="expected_stage" value="received"' in page
    assert "Recycle this device" in page
    assert 'value="erasure"' not in page


def test_moving_a_laptop_through_triage_to_erasure(client, sessions, make_user, collection):
    from tests.conftest import login

    make_user("technician", "yasmine", "Yasmine Benali")
    login(client, "yasmine")
    tag = collection["laptops"][0]
    response = post_move(client, tag, "triage", "received", note="Keyboard sticky")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/devices/{tag}"
    assert "moved to Triage" in client.get(response.headers["Location"]).get_data(as_text=True)
    post_move(client, tag, "erasure", "triage")
    assert stage_of(sessions, tag) == "erasure"

    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    history = page[page.index('<table class="history">') :]
    assert "the newest first" in history
    assert "Received → Triage" in history
    assert "Triage → Erasure" in history
    assert history.index("Triage → Erasure") < history.index("Received → Triage")
    assert history.count("Yasmine Benali") == 4  # done by and entered by, for both moves
    assert "Keyboard sticky" in history


def test_a_double_click_moves_the_device_once(client, logged_in, sessions, collection):
    logged_in("technician")
    tag = collection["laptops"][1]
    post_move(client, tag, "triage", "received")
    again = post_move(client, tag, "triage", "received")
    assert again.status_code == 302
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already moved to Triage" in page
    assert stage_changes(sessions, tag) == 1


def test_a_move_not_offered_is_refused_with_the_allowed_moves(
    client, logged_in, sessions, collection
):
    logged_in("technician")
    tag = collection["laptops"][2]
    response = post_move(client, tag, "ready", "received")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash flash-error"' in page
    assert "Allowed moves" in page and "Triage, Recycled" in page
    assert stage_of(sessions, tag) == "received"
    assert stage_changes(sessions, tag) == 0


def test_ready_needs_a_grade_and_the_checks_and_their_forms_are_right_there(
    client, logged_in, sessions, collection
):
    logged_in("technician")
    tag = collection["laptops"][0]
    for stage, to in (
        ("received", "triage"),
        ("triage", "erasure"),
        ("erasure", "diagnostics"),
        ("diagnostics", "qc"),
    ):
        assert post_move(client, tag, to, stage).status_code == 302
    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert f"Still needs a grade, answers to the checks ({LAPTOP_CHECKS}), {BENCHES}." in page

    refused = post_move(client, tag, "ready", "qc")
    assert refused.headers["Location"] == f"/devices/{tag}?focus=grade"
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert (
        f"{tag} cannot enter Ready for sale yet: missing a grade, "
        f"answers to the checks ({LAPTOP_CHECKS}), {BENCHES}." in page
    )
    assert "Set the grade below" in page
    assert re.search(r'<input autofocus[^>]*name="grade-grade"[^>]*value="A"', page)
    assert stage_of(sessions, tag) == "qc"

    answer_checks_on_page(client, tag)
    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert "Still needs a grade." in page

    token = csrf_token(client, f"/devices/{tag}")
    graded = client.post(
        f"/devices/{tag}/grade",
        data={"csrf_token": token, "grade-grade": "B", "grade-note": "Scratch on the lid"},
    )
    assert graded.status_code == 302
    assert graded.headers["Location"] == f"/devices/{tag}?focus=ready"
    page = client.get(graded.headers["Location"]).get_data(as_text=True)
    assert "It can now be moved to Ready for sale" in page
    assert 'value="ready" class="primary big" autofocus' in page
    assert post_move(client, tag, "ready", "qc").status_code == 302
    assert stage_of(sessions, tag) == "ready"
    history = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert "Graded: <strong>B</strong>" in history and "Scratch on the lid" in history


def test_a_sale_is_not_a_button_on_the_device_page(client, logged_in, sessions, collection):
    logged_in("manager")
    tag = collection["laptops"][0]
    move_in_advance(sessions, tag, "triage", "erasure", "diagnostics", "qc")
    with sessions() as session:
        enter_ready(session, get_device(session, tag))
        session.commit()
    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert 'value="sold"' not in page
    assert "Sell it: add it to a sale order" in page
    refused = post_move(client, tag, "sold", "ready")
    assert refused.status_code == 302
    assert "recorded from the sales pages" in client.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    assert stage_of(sessions, tag) == "ready"


def test_grading_twice_with_the_same_grade_records_it_once(client, logged_in, sessions, collection):
    logged_in("technician")
    tag = collection["laptops"][0]
    for _ in range(2):
        token = csrf_token(client, f"/devices/{tag}")
        client.post(f"/devices/{tag}/grade", data={"csrf_token": token, "grade-grade": "A"})
    with sessions() as session:
        device = get_device(session, tag)
        kinds = [e.kind for e in session.scalars(select(Event).where(Event.device_id == device.id))]
    assert kinds.count("graded") == 1


def test_recycling_asks_to_confirm_first(client, logged_in, sessions, collection):
    logged_in("technician")
    tag = collection["monitors"][0]
    asked = post_move(client, tag, "recycled", "received", note="Cracked panel")
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "out of stock" in page and "Cracked panel" in page
    assert stage_of(sessions, tag) == "received"
    confirmed = post_move(
        client,
        tag,
        "recycled",
        "received",
        confirm="yes",
        note="Cracked panel",
        reason="beyond_repair",
        weight_kg="5.1",
    )
    assert confirmed.status_code == 302
    assert stage_of(sessions, tag) == "recycled"
    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert "Recycle this device" not in page
    assert 'name="grade-grade"' not in page


def test_a_move_without_its_csrf_token_is_refused(client, logged_in, sessions, collection):
    logged_in("technician")
    tag = collection["laptops"][0]
    response = client.post(
        f"/devices/{tag}/move", data={"to": "triage", "expected_stage": "received"}
    )
    assert response.status_code == 400
    assert stage_of(sessions, tag) == "received"


def test_an_unknown_tag_says_which_and_asks_to_scan_again(client, logged_in, collection):
    logged_in("technician")
    response = client.get("/devices/A0009999Z")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "A0009999Z" in page and "scan it again" in page
    assert 'name="q"' in page


def test_who_may_see_move_and_grade(client, make_user, collection):
    from tests.conftest import login

    tag = collection["laptops"][0]
    make_user("hr", "helene")
    login(client, "helene")
    assert client.get("/devices/").status_code == 403
    assert client.get(f"/devices/{tag}").status_code == 403

    warehouse = client.application.test_client()
    make_user("warehouse", "paul")
    login(warehouse, "paul")
    page = warehouse.get(f"/devices/{tag}").get_data(as_text=True)
    assert 'value="triage"' in page
    assert 'name="grade-grade"' not in page
    token = csrf_token(warehouse, f"/devices/{tag}")
    refused = warehouse.post(
        f"/devices/{tag}/grade", data={"csrf_token": token, "grade-grade": "A"}
    )
    assert refused.status_code == 403


def test_the_device_page_speaks_french_to_a_french_browser(client, logged_in, collection):
    logged_in("technician")
    tag = collection["laptops"][0]
    page = client.get(f"/devices/{tag}", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert 'lang="fr"' in page.get_data(as_text=True)


def test_a_french_technician_is_told_which_checks_are_left_by_their_french_names(
    client, logged_in, sessions, collection
):
    logged_in("technician")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    laptop, monitor = collection["laptops"][0], collection["monitors"][0]
    for tag in (laptop, monitor):
        move_in_advance(sessions, tag, "triage", "erasure", "diagnostics", "qc")
        with sessions() as session:
            set_grade(session, get_device(session, tag), "A", entered_by=None)
            session.commit()
    with sessions() as session:
        device = get_device(session, laptop)
        answer_checks(session, device, {"screen": "pass", "hinges": "fail"}, entered_by=None)
        session.commit()

    page = client.get(f"/devices/{laptop}").get_data(as_text=True)
    left = "Clavier, Pavé tactile, Webcam, Haut-parleurs, Microphone, Wi-Fi, Ports USB, Chargeur"
    assert f"({left})" in page
    assert "(Charnières)" in page
    refused = post_move(client, laptop, "ready", "qc")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert f"({left})" in page and "(Charnières)" in page
    assert stage_of(sessions, laptop) == "qc"

    # A monitor's buttons are not a phone's: the label is the monitor's own.
    monitor_checks = (
        "(Dalle : ni pixel mort ni marque, Rétroéclairage uniforme, Entrées vidéo, "
        "Boutons et menu, Pied, Câble d&#39;alimentation)"
    )
    assert monitor_checks in client.get(f"/devices/{monitor}").get_data(as_text=True)
    refused = post_move(client, monitor, "ready", "qc")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert page.count(monitor_checks) == 2  # in the refusal and beside the button
    assert stage_of(sessions, monitor) == "qc"
