"""A newcomer's first minutes: the first administrator, then logging in."""

import pytest
from sqlalchemy import select

from inventory.accounts import User
from tests.conftest import PASSWORD, csrf_token, login


def test_every_page_leads_to_the_first_administrator_page_while_no_user_exists(client):
    for page in ("/", "/devices/", "/intake/", "/login"):
        response = client.get(page)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/setup")


def test_creating_the_first_administrator_logs_them_in_and_closes_the_page(client):
    token = csrf_token(client, "/setup")
    response = client.post(
        "/setup",
        data={
            "username": "Marie",
            "name": "Marie Curie",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    page = client.get("/devices/").get_data(as_text=True)
    assert "Marie Curie" in page
    assert client.get("/setup").status_code == 302


def test_setup_refuses_mismatched_passwords_and_creates_nobody(client):
    token = csrf_token(client, "/setup")
    response = client.post(
        "/setup",
        data={
            "username": "marie",
            "password": PASSWORD,
            "confirm": "other one",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    assert "The passwords differ." in response.get_data(as_text=True)
    assert client.get("/login").headers["Location"].endswith("/setup")


def test_a_form_without_its_csrf_token_is_refused(client, make_user):
    make_user("admin", "root")
    response = client.post("/login", data={"username": "root", "password": PASSWORD})
    assert response.status_code == 400
    assert "Nothing was saved" in response.get_data(as_text=True)


def test_wrong_password_is_refused_with_a_message(client, make_user):
    make_user("warehouse", "paul")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": "paul", "password": "nope nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


@pytest.mark.real_password_hashing
def test_a_password_is_stored_as_a_slow_salted_hash_and_still_logs_in(client, make_user, sessions):
    """The quick hash of the other tests is theirs alone: accounts are made with scrypt."""
    make_user("warehouse", "paul")
    make_user("warehouse", "pia")
    with sessions() as session:
        hashes = dict(session.execute(select(User.username, User.password_hash)).all())
    assert all(stored.startswith("scrypt:") for stored in hashes.values())
    assert PASSWORD not in hashes["paul"] and hashes["paul"] != hashes["pia"]  # salted
    login(client, "paul")
    assert client.get("/intake/").status_code == 200


def test_login_then_logout(client, make_user):
    make_user("warehouse", "paul")
    login(client, "paul")
    assert client.get("/intake/").status_code == 200
    token = csrf_token(client, "/intake/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/intake/").status_code == 302


def test_a_role_without_the_permission_gets_403(client, make_user):
    make_user("hr", "helene")
    login(client, "helene")
    assert client.get("/intake/").status_code == 403
    assert client.get("/users/").status_code == 403


def test_the_interface_speaks_french_to_a_french_browser(client, make_user):
    make_user("admin", "root")
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert 'lang="fr"' in page.get_data(as_text=True)
