"""The device and lot pages offer their documents to the roles that may have them; the
downloads are PDFs, the refusals a clear message back on the page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inventory.certificates import IssuedCertificate, verify_certificate
from tests.conftest import csrf_token
from tests.documents_helpers import at_qc, make_lot, pdf_text, ready_laptop


@pytest.fixture
def laptops(sessions):
    """In lot L-2024-07: a laptop ready for sale (A0000001O), one in quality control."""
    with sessions() as session:
        make_lot(session)
        ready_laptop(session, lot="L-2024-07")
        at_qc(session, "PF0QC", lot="L-2024-07")
        session.commit()


def test_a_manager_gets_the_spec_sheet_and_issues_the_certificate_from_the_device_page(
    client, logged_in, sessions, laptops
):
    logged_in("manager", "marie")
    page = client.get("/devices/A0000001O").get_data(as_text=True)

    assert 'id="documents"' in page
    assert 'id="download-spec-sheet"' in page and 'id="issue-certificate"' in page
    assert '<option value="fr" lang="fr"' in page

    sheet = client.get("/devices/A0000001O/spec-sheet.pdf?lang=fr")
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    assert "Appareil reconditionné" in pdf_text(sheet.data)

    token = csrf_token(client, "/devices/A0000001O")
    issued = client.post(
        "/devices/A0000001O/certificate.pdf", data={"csrf_token": token, "lang": "en"}
    )
    assert issued.status_code == 200 and issued.mimetype == "application/pdf"
    assert "attachment;" in issued.headers["Content-Disposition"]
    assert "Data erasure certificate" in pdf_text(issued.data)
    with sessions() as session:
        assert verify_certificate(session, issued.data).issued_by.username == "marie"

    page = client.get("/devices/A0000001O").get_data(as_text=True)
    assert "Certificate EC-000001 issued" in page


def test_a_certificate_needs_the_form_s_csrf_token(client, logged_in, sessions, laptops):
    logged_in("manager", "marie")

    refused = client.post("/devices/A0000001O/certificate.pdf", data={"lang": "en"})

    assert refused.status_code == 400
    with sessions() as session:
        assert session.scalars(select(IssuedCertificate)).all() == []


def test_a_technician_sees_the_spec_sheet_but_issues_no_certificate(client, logged_in, laptops):
    logged_in("technician", "theo")
    page = client.get("/devices/A0000001O").get_data(as_text=True)

    assert 'id="download-spec-sheet"' in page
    assert 'id="issue-certificate"' not in page
    token = csrf_token(client, "/devices/A0000001O")
    assert (
        client.post("/devices/A0000001O/certificate.pdf", data={"csrf_token": token}).status_code
        == 403
    )


def test_a_device_not_ready_offers_no_sheet_and_a_sheet_asked_anyway_is_explained(
    client, logged_in, laptops
):
    logged_in("manager", "marie")
    page = client.get("/devices/A0000002M").get_data(as_text=True)

    assert 'id="download-spec-sheet"' not in page
    assert 'id="issue-certificate"' not in page  # nothing erased yet
    refused = client.get("/devices/A0000002M/spec-sheet.pdf", follow_redirects=True)
    assert refused.status_code == 200 and refused.mimetype == "text/html"
    assert "not ready for sale" in refused.get_data(as_text=True)
    token = csrf_token(client, "/devices/A0000002M")
    nothing = client.post(
        "/devices/A0000002M/certificate.pdf", data={"csrf_token": token}, follow_redirects=True
    )
    assert nothing.mimetype == "text/html"
    assert "nothing to certify" in nothing.get_data(as_text=True)


def test_errors_and_languages_in_french(client, logged_in, laptops):
    logged_in("manager", "marie")
    client.post("/language", data={"language": "fr", "csrf_token": csrf_token(client, "/")})
    page = client.get("/devices/A0000001O").get_data(as_text=True)

    assert "Télécharger la fiche technique (PDF)" in page
    assert "Délivrer le certificat d’effacement (PDF)" in page
    assert '<option value="fr" lang="fr" selected>' in page
    # The user's language, unless another is chosen.
    assert "Fiche technique" in pdf_text(client.get("/devices/A0000001O/spec-sheet.pdf").data)
    english = client.get("/devices/A0000001O/spec-sheet.pdf?lang=en")
    assert "Specification sheet" in pdf_text(english.data)
    wrong = client.get("/devices/A0000001O/spec-sheet.pdf?lang=de")
    assert wrong.status_code == 400
    assert "Les documents sont rédigés en en, fr" in wrong.get_data(as_text=True)
    assert client.get("/devices/A0000099X/spec-sheet.pdf").status_code == 404
    assert client.get("/lots/L-NONE/report.pdf").status_code == 404


def test_the_lot_page_offers_the_donor_s_report_and_certificate(
    client, logged_in, sessions, laptops
):
    logged_in("manager", "marie")
    page = client.get("/lots/L-2024-07").get_data(as_text=True)

    assert 'id="download-lot-report"' in page and 'id="issue-lot-certificate"' in page
    report = client.get("/lots/L-2024-07/report.pdf?lang=fr")
    assert report.status_code == 200
    assert "Ce que sont devenus vos appareils" in pdf_text(report.data)
    token = csrf_token(client, "/lots/L-2024-07")
    issued = client.post(
        "/lots/L-2024-07/certificate.pdf", data={"csrf_token": token, "lang": "fr"}
    )
    assert issued.status_code == 200
    assert "PF0QC" in pdf_text(issued.data)  # among the devices it does not cover
    with sessions() as session:
        assert verify_certificate(session, issued.data).lot.code == "L-2024-07"
    page = client.get("/lots/L-2024-07").get_data(as_text=True)
    assert "Certificate EC-000001 issued" in page


def test_people_without_device_screens_get_no_documents(client, logged_in, laptops):
    logged_in("hr", "helene")

    assert client.get("/devices/A0000001O/spec-sheet.pdf").status_code == 403
    assert client.get("/lots/L-2024-07/report.pdf").status_code == 403
