"""Documents over the API: PDFs for the roles that may have them, clear JSON refusals otherwise,
never an empty PDF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inventory.certificates import IssuedCertificate, verify_certificate
from inventory.recycling import recycle
from tests.documents_helpers import at_qc, make_lot, pdf_text, ready_laptop

API = "/api/v1"


@pytest.fixture
def lot_code(sessions):
    """A lot of a laptop ready for sale, one waiting in quality control, one recycled."""
    with sessions() as session:
        make_lot(session, "L-2024/07")
        ready_laptop(session, lot="L-2024/07")
        at_qc(session, "PF0QC", lot="L-2024/07")
        recycle(
            session, at_qc(session, "PF0DEAD", lot="L-2024/07"), reason="obsolete", entered_by=None
        )
        session.commit()
    return "L-2024/07"


def assert_refused(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    return error


def test_a_device_certificate_is_issued_as_a_pdf_and_kept(client, bearer, sessions, lot_code):
    response = client.get(
        f"{API}/devices/A0000001O/certificate.pdf?lang=fr", headers=bearer("warehouse", "karim")
    )

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert (
        'filename="erasure-certificate-A0000001O-fr.pdf"' in response.headers["Content-Disposition"]
    )
    text = pdf_text(response.data)
    assert "Certificat d’effacement des données" in text and "WX41A12B3456" in text
    with sessions() as session:
        issued = verify_certificate(session, response.data)
        assert issued.number == "EC-000001" and issued.issued_by.username == "karim"


def test_the_language_follows_the_user_unless_asked(client, bearer, lot_code):
    headers = bearer("manager", "marie") | {"Accept-Language": "fr-FR,fr;q=0.9"}

    french = client.get(f"{API}/devices/A0000001O/spec-sheet.pdf", headers=headers)
    english = client.get(f"{API}/devices/A0000001O/spec-sheet.pdf?lang=en", headers=headers)

    assert "Fiche technique" in pdf_text(french.data)
    assert "Specification sheet" in pdf_text(english.data)


def test_a_lot_certificate_and_report_by_a_code_holding_a_slash(client, bearer, sessions, lot_code):
    headers = bearer("manager", "marie")

    certificate = client.get(f"{API}/lots/{lot_code}/certificate.pdf", headers=headers)
    report = client.get(f"{API}/lots/{lot_code}/report.pdf?lang=en", headers=headers)

    assert certificate.status_code == 200 and certificate.mimetype == "application/pdf"
    assert "A0000001O" in pdf_text(certificate.data)
    assert "PF0DEAD" in pdf_text(certificate.data)  # named among those not covered
    assert report.status_code == 200
    assert "Reused: 1 of 3" in pdf_text(report.data)
    with sessions() as session:
        assert verify_certificate(session, certificate.data).lot.code == lot_code


def test_refusals_are_json_with_their_status_and_nothing_issued(client, bearer, sessions, lot_code):
    manager = bearer("manager", "marie")

    error = assert_refused(
        client.get(f"{API}/devices/A0000002M/spec-sheet.pdf", headers=manager), 409, "not_ready"
    )
    assert error["refused"] == [{"asset_tag": "A0000002M", "stage": "qc"}]
    error = assert_refused(
        client.get(f"{API}/devices/A0000002M/certificate.pdf", headers=manager), 409, "no_erasure"
    )
    assert "A0000002M" in error["message"]
    assert_refused(
        client.get(f"{API}/devices/A0000099X/certificate.pdf", headers=manager), 404, "not_found"
    )
    assert_refused(
        client.get(f"{API}/devices/A0000099X/spec-sheet.pdf", headers=manager), 404, "not_found"
    )
    assert_refused(
        client.get(f"{API}/lots/L-NONE/certificate.pdf", headers=manager), 404, "not_found"
    )
    assert_refused(client.get(f"{API}/lots/L-NONE/report.pdf", headers=manager), 404, "not_found")
    error = assert_refused(
        client.get(f"{API}/devices/A0000001O/spec-sheet.pdf?lang=de", headers=manager),
        400,
        "invalid",
    )
    assert error["field"] == "lang"
    error = assert_refused(
        client.get(f"{API}/devices/A0000001O/certificate.pdf?langue=fr", headers=manager),
        400,
        "invalid",
    )
    assert error["field"] == "langue"
    with sessions() as session:
        assert session.scalars(select(IssuedCertificate)).all() == []


def test_each_document_asks_its_role(client, bearer, lot_code):
    technician = bearer("technician", "theo")
    hr = bearer("hr", "helene")

    assert (
        client.get(f"{API}/devices/A0000001O/spec-sheet.pdf", headers=technician).status_code == 200
    )
    assert client.get(f"{API}/lots/{lot_code}/report.pdf", headers=technician).status_code == 200
    assert_refused(
        client.get(f"{API}/devices/A0000001O/certificate.pdf", headers=technician), 403, "forbidden"
    )
    assert_refused(
        client.get(f"{API}/lots/{lot_code}/certificate.pdf", headers=technician), 403, "forbidden"
    )
    assert_refused(
        client.get(f"{API}/devices/A0000001O/spec-sheet.pdf", headers=hr), 403, "forbidden"
    )
    assert_refused(client.get(f"{API}/devices/A0000001O/spec-sheet.pdf"), 401, "unauthorized")
